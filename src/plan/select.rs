//! Which gates a run covers: ids, tags, sections and the profile, then the
//! transitive needs of what is left. `after` brings nothing in: it only
//! orders gates that are selected anyway.

use std::collections::{BTreeSet, HashSet};

use crate::config::{Config, Profile, suggest};
use crate::error::Error;

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub ids: Vec<String>,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub sections: Vec<String>,
    pub profile: Option<String>,
}

impl Selection {
    /// The profile named by the selection, if any; unknown names are an error.
    pub fn profile<'c>(&self, config: &'c Config) -> Result<Option<&'c Profile>, Error> {
        let Some(name) = &self.profile else {
            return Ok(None);
        };
        let known = config.profiles.keys().map(String::as_str);
        config
            .profiles
            .get(name)
            .map(Some)
            .ok_or_else(|| unknown("profile", name, known))
    }

    /// Indices (into `config.gates`, ascending) of the selected gates.
    pub fn resolve(&self, config: &Config) -> Result<Vec<usize>, Error> {
        self.check_names(config)?;
        let profile = self.profile(config)?;
        let (profile_tags, profile_skip) = match profile {
            Some(p) => (p.tags.as_slice(), p.skip_tags.as_slice()),
            None => (&[][..], &[][..]),
        };
        let ids: HashSet<&str> = self.ids.iter().map(String::as_str).collect();
        let chosen = config.gates.iter().enumerate().filter(|(_, gate)| {
            (ids.is_empty() || ids.contains(gate.id.as_str()))
                && matches_any(&self.tags, &gate.tags)
                && matches_any(profile_tags, &gate.tags)
                && (self.sections.is_empty()
                    || gate
                        .section
                        .as_ref()
                        .is_some_and(|s| self.sections.contains(s)))
                && !has_any(&self.skip_tags, &gate.tags)
                && !has_any(profile_skip, &gate.tags)
        });
        let chosen: Vec<usize> = chosen.map(|(index, _)| index).collect();
        Ok(with_needs(config, chosen))
    }

    /// Every id, tag and section named on the command line must exist.
    fn check_names(&self, config: &Config) -> Result<(), Error> {
        if let Some(id) = self.ids.iter().find(|id| config.index_of(id).is_none()) {
            let ids = config.gates.iter().map(|g| g.id.as_str());
            return Err(unknown("gate", id, ids));
        }
        let tags: BTreeSet<&str> = config
            .gates
            .iter()
            .flat_map(|g| g.tags.iter().map(String::as_str))
            .collect();
        let sections: BTreeSet<&str> = config
            .gates
            .iter()
            .filter_map(|g| g.section.as_deref())
            .collect();
        expect_known("tag", &self.tags, &tags)?;
        expect_known("tag", &self.skip_tags, &tags)?;
        expect_known("section", &self.sections, &sections)
    }
}

/// Checks that every id in `acks` names a manual gate of the config;
/// `given` says where they were given (`--ack`, `gate ack`).
pub fn check_acks(config: &Config, acks: &[String], given: &str) -> Result<(), Error> {
    for ack in acks {
        match config
            .index_of(ack)
            .map(|index| config.gates[index].is_manual())
        {
            Some(true) => {}
            Some(false) => {
                return Err(Error::usage(
                    format!("{given} `{ack}`: gate `{ack}` is not a manual gate"),
                    None,
                ));
            }
            None => {
                let manual = config.gates.iter().filter(|g| g.is_manual());
                return Err(unknown("manual gate", ack, manual.map(|g| g.id.as_str())));
            }
        }
    }
    Ok(())
}

/// Every one of `asked` must be `known`; else an error naming the first
/// that is not, with the closest known `what`.
fn expect_known(what: &str, asked: &[String], known: &BTreeSet<&str>) -> Result<(), Error> {
    match asked.iter().find(|name| !known.contains(name.as_str())) {
        Some(name) => Err(unknown(what, name, known.iter().copied())),
        None => Ok(()),
    }
}

/// "unknown tag `sl0w`, did you mean `slow`?"
fn unknown<'a>(what: &str, name: &str, known: impl IntoIterator<Item = &'a str>) -> Error {
    let known: Vec<&str> = known.into_iter().collect();
    Error::usage(suggest::unknown(what, name, &known), None)
}

/// True when `wanted` is empty (no filter) or shares a tag with `tags`.
fn matches_any(wanted: &[String], tags: &[String]) -> bool {
    wanted.is_empty() || has_any(wanted, tags)
}

fn has_any(wanted: &[String], tags: &[String]) -> bool {
    tags.iter().any(|tag| wanted.contains(tag))
}

/// `chosen` plus every gate they need, transitively, also through the
/// needs of the services they use; ascending config order.
fn with_needs(config: &Config, chosen: Vec<usize>) -> Vec<usize> {
    let mut selected: BTreeSet<usize> = BTreeSet::new();
    let mut stack = chosen;
    while let Some(index) = stack.pop() {
        if selected.insert(index) {
            let needs = config.needs_of(&config.gates[index]);
            stack.extend(needs.filter_map(|id| config.index_of(id)));
        }
    }
    selected.into_iter().collect()
}
