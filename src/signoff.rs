//! Sign-offs that last: who confirmed which manual gate, when, and for
//! which commit, kept in `.gate/signoff.toml` beside the config.
//!
//! The store is data, and whether a record counts for a commit at a time is
//! a pure function of it ([`Store::standing`]); reading and writing the file
//! are the only I/O here.
//!
//! ```toml
//! [[signoff]]
//! gate = "team-notified"
//! by = "Ana"
//! at = "2026-12-02T16:50:00Z"
//! note = "posted in #deploys"
//! commit = "1a2b3c4d5e6f..."
//! expires = "2026-12-09T16:50:00Z"
//! ```
//!
//! Every `gate ack` adds a record; none is removed, so the file is the
//! history of the sign-offs. The latest record that holds wins.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::redact::Redactor;

/// Where the store is, relative to the config file's directory.
pub const FILE: &str = ".gate/signoff.toml";

/// The directory of [`FILE`], beside the config: what committing a
/// sign-off changes.
pub const DIR: &str = ".gate";

/// How many digits of a commit the reasons show.
const SHORT_COMMIT: usize = 7;

/// One person's confirmation of a gate, as the reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Who confirmed it.
    pub by: String,
    /// When: RFC 3339, UTC, to the second.
    pub at: String,
    /// What they added (`--note`).
    #[serde(default)]
    pub note: Option<String>,
    /// `git rev-parse HEAD` beside the config then; `None` outside git.
    #[serde(default)]
    pub commit: Option<String>,
    /// When it stops holding (RFC 3339, UTC); `None`: until the commit changes.
    #[serde(default)]
    pub expires: Option<String>,
}

/// One record of the store: a gate and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The manual gate's id.
    pub gate: String,
    #[serde(flatten)]
    pub signature: Signature,
}

/// `.gate/signoff.toml`: every record, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    #[serde(default, rename = "signoff")]
    pub records: Vec<Record>,
}

/// The store as a run reads it: for the commit beside the config, now.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub store: Store,
    /// `git rev-parse HEAD` beside the config; `None` outside git; an
    /// error when git could not tell, and then no record holds.
    pub commit: Result<Option<String>, String>,
    /// Other commits whose files are those of `commit` but for the store
    /// itself: committing `.gate/signoff.toml` keeps its records holding.
    pub alike: BTreeSet<String>,
    pub now: SystemTime,
}

impl Ledger {
    /// Where `gate` stands for this commit, now.
    pub fn standing(&self, gate: &str) -> Standing {
        match &self.commit {
            Ok(commit) => {
                let here = Here {
                    commit: commit.as_deref(),
                    alike: &self.alike,
                };
                self.store.standing(gate, &here, self.now)
            }
            Err(why) => match self.store.records.iter().any(|r| r.gate == gate) {
                true => Standing::Stale(format!("no sign-off holds: {why}")),
                false => Standing::Unsigned,
            },
        }
    }
}

/// The commit a record must have been given for: the one checked out, or
/// one that differs from it only in the store.
#[derive(Debug, Clone, Copy)]
pub struct Here<'a> {
    /// `git rev-parse HEAD` beside the config; `None` outside git.
    pub commit: Option<&'a str>,
    /// Commits that count as this one (see [`Ledger::alike`]).
    pub alike: &'a BTreeSet<String>,
}

impl Here<'_> {
    /// True when a record given for `signed` holds here.
    fn accepts(&self, signed: Option<&str>) -> bool {
        signed == self.commit || signed.is_some_and(|c| self.alike.contains(c))
    }
}

/// Where a gate stands by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// A record holds for this commit and time.
    Signed(Signature),
    /// Records exist but none holds; why the latest does not.
    Stale(String),
    /// No record for the gate.
    Unsigned,
}

impl Signature {
    /// A signature by `by` given `now` for `commit`, holding for
    /// `expires_in` when given.
    pub fn new(
        by: String,
        note: Option<String>,
        commit: Option<String>,
        now: SystemTime,
        expires_in: Option<Duration>,
    ) -> Signature {
        Signature {
            by,
            at: timestamp(now),
            note,
            commit,
            expires: expires_in.map(|duration| timestamp(now + duration)),
        }
    }

    /// Why it does not hold `here` at `now`; `None` when it holds.
    pub fn problem(&self, here: &Here, now: SystemTime) -> Option<String> {
        let by = &self.by;
        if !here.accepts(self.commit.as_deref()) {
            return Some(other_commit(by, self.commit.as_deref(), here.commit));
        }
        let expires = self.expires.as_deref()?;
        match humantime::parse_rfc3339(expires) {
            Ok(end) if now < end => None,
            Ok(_) => Some(format!("sign-off by {by} expired {}", date(expires))),
            Err(_) => Some(format!(
                "sign-off by {by} has an expiry that is not an RFC 3339 time: `{expires}`"
            )),
        }
    }

    /// The signature with the secrets `redactor` knows masked in its texts.
    pub fn masked(&self, redactor: &Redactor) -> Signature {
        Signature {
            by: redactor.redact(&self.by),
            note: self.note.as_deref().map(|note| redactor.redact(note)),
            ..self.clone()
        }
    }
}

impl Store {
    /// Where `gate` stands `here` at `now`: the latest record that
    /// holds, else why the latest record does not.
    pub fn standing(&self, gate: &str, here: &Here, now: SystemTime) -> Standing {
        let mut problem = None;
        for record in self.records.iter().rev().filter(|r| r.gate == gate) {
            match record.signature.problem(here, now) {
                None => return Standing::Signed(record.signature.clone()),
                Some(why) => {
                    problem.get_or_insert(why);
                }
            }
        }
        problem.map_or(Standing::Unsigned, Standing::Stale)
    }

    /// The commits of the latest record of each gate, but `head`: those a
    /// run asks git about (see [`Ledger::alike`]).
    pub fn other_commits(&self, head: &str) -> BTreeSet<String> {
        let mut latest = BTreeMap::new();
        for record in &self.records {
            latest.insert(record.gate.as_str(), record.signature.commit.as_deref());
        }
        latest
            .into_values()
            .flatten()
            .filter(|commit| *commit != head)
            .map(str::to_owned)
            .collect()
    }

    /// The store as TOML, one `[[signoff]]` table per record.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the sign-off store serializes")
    }
}

/// The store of the config at `config`: `.gate/signoff.toml` in its directory.
pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE)
}

/// Reads the store at `path`; a missing file is an empty store.
pub fn read(path: &Path) -> Result<Store, Error> {
    let problem =
        |what: String| Error::usage(format!("cannot read {}: {what}", path.display()), None);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
        Err(e) => return Err(problem(e.to_string())),
    };
    toml::from_str(&text).map_err(|e| problem(e.message().to_owned()))
}

/// Writes `store` to `path`, creating its directory.
pub fn write(path: &Path, store: &Store) -> Result<(), Error> {
    let failed = |source| Error::WriteReport {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    crate::whole_file::write(path, &store.to_toml()).map_err(failed)
}

/// `time` in RFC 3339, UTC, to the second.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Why a signature given for commit `signed` does not hold for `this`
/// (`None`: outside git); the two differ.
fn other_commit(by: &str, signed: Option<&str>, this: Option<&str>) -> String {
    let this = this.map_or_else(
        || "not outside git".to_owned(),
        |this| format!("not this one ({})", short(this)),
    );
    format!("signed off by {by} {}, {this}", place(signed))
}

/// The reason of a manual gate nobody has confirmed yet.
pub fn awaiting(gate: &str) -> String {
    format!("awaiting sign-off (confirm with gate ack {gate}, or --ack {gate} for one run)")
}

/// Where a signature was given: `for commit 1a2b3c4`, or `outside git`.
pub fn place(commit: Option<&str>) -> String {
    match commit {
        Some(commit) => format!("for commit {}", short(commit)),
        None => "outside git".to_owned(),
    }
}

/// The first digits of a commit, as git shows it.
fn short(commit: &str) -> &str {
    commit.get(..SHORT_COMMIT).unwrap_or(commit)
}

/// The date of an RFC 3339 time: `2026-11-30`.
fn date(time: &str) -> &str {
    time.split_once('T').map_or(time, |(date, _)| date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    fn record(gate: &str, by: &str, commit: Option<&str>, expires: Option<&str>) -> Record {
        Record {
            gate: gate.to_owned(),
            signature: Signature {
                by: by.to_owned(),
                at: "2026-11-20T10:00:00Z".to_owned(),
                note: None,
                commit: commit.map(str::to_owned),
                expires: expires.map(str::to_owned),
            },
        }
    }

    /// Checked out `commit`, with no other commit alike.
    fn here(commit: Option<&str>) -> Here<'_> {
        static NONE_ALIKE: BTreeSet<String> = BTreeSet::new();
        Here {
            commit,
            alike: &NONE_ALIKE,
        }
    }

    #[test]
    fn a_record_for_an_alike_commit_holds() {
        let store = Store {
            records: vec![record("notified", "Ana", Some("1a2b3c4d5e"), None)],
        };
        let alike = BTreeSet::from(["1a2b3c4d5e".to_owned()]);
        let here = Here {
            commit: Some("5d6e7f8a9b"),
            alike: &alike,
        };
        assert!(matches!(
            store.standing("notified", &here, at(NOW)),
            Standing::Signed(_)
        ));
        assert_eq!(
            store.other_commits("5d6e7f8a9b"),
            BTreeSet::from(["1a2b3c4d5e".to_owned()])
        );
        assert!(store.other_commits("1a2b3c4d5e").is_empty());
    }

    const NOW: &str = "2026-12-01T12:00:00Z";

    #[test]
    fn a_record_for_this_commit_holds() {
        let store = Store {
            records: vec![record("notified", "Ana", Some("1a2b3c4d5e"), None)],
        };
        let standing = store.standing("notified", &here(Some("1a2b3c4d5e")), at(NOW));
        assert_eq!(
            standing,
            Standing::Signed(store.records[0].signature.clone())
        );
        assert_eq!(
            store.standing("other", &here(Some("1a2b3c4d5e")), at(NOW)),
            Standing::Unsigned
        );
    }

    #[test]
    fn a_record_for_another_commit_says_which() {
        let store = Store {
            records: vec![record("notified", "Ana", Some("1a2b3c4d5e"), None)],
        };
        assert_eq!(
            store.standing("notified", &here(Some("5d6e7f8a9b")), at(NOW)),
            Standing::Stale("signed off by Ana for commit 1a2b3c4, not this one (5d6e7f8)".into())
        );
        assert_eq!(
            store.standing("notified", &here(None), at(NOW)),
            Standing::Stale("signed off by Ana for commit 1a2b3c4, not outside git".into())
        );
    }

    #[test]
    fn outside_git_a_record_without_commit_holds() {
        let store = Store {
            records: vec![record("notified", "Ana", None, None)],
        };
        assert!(matches!(
            store.standing("notified", &here(None), at(NOW)),
            Standing::Signed(_)
        ));
    }

    #[test]
    fn an_expired_record_says_when() {
        let store = Store {
            records: vec![record(
                "notified",
                "Ana",
                None,
                Some("2026-11-30T09:00:00Z"),
            )],
        };
        assert_eq!(
            store.standing("notified", &here(None), at(NOW)),
            Standing::Stale("sign-off by Ana expired 2026-11-30".into())
        );
        assert!(matches!(
            store.standing("notified", &here(None), at("2026-11-30T08:59:59Z")),
            Standing::Signed(_)
        ));
    }

    #[test]
    fn the_latest_record_that_holds_wins() {
        let store = Store {
            records: vec![
                record("notified", "Ana", None, None),
                record("notified", "Bo", None, None),
                record("notified", "Cy", Some("ffff"), None),
            ],
        };
        match store.standing("notified", &here(None), at(NOW)) {
            Standing::Signed(signature) => assert_eq!(signature.by, "Bo"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_store_reads_back_what_it_writes() {
        let mut store = Store {
            records: vec![record("notified", "Ana", Some("1a2b"), Some(NOW))],
        };
        store.records.push(Record {
            gate: "approved".into(),
            signature: Signature::new("Bo".into(), Some("ok".into()), None, at(NOW), None),
        });
        let text = store.to_toml();
        assert!(
            text.starts_with("[[signoff]]\ngate = \"notified\"\n"),
            "{text}"
        );
        assert!(!text.contains("expires = \"\""), "{text}");
        assert_eq!(toml::from_str::<Store>(&text).unwrap(), store);
    }

    #[test]
    fn an_expiry_is_counted_from_the_sign_off() {
        let signature = Signature::new(
            "Ana".into(),
            None,
            None,
            at(NOW),
            Some(Duration::from_secs(7 * 86_400)),
        );
        assert_eq!(signature.at, NOW);
        assert_eq!(signature.expires.as_deref(), Some("2026-12-08T12:00:00Z"));
    }
}
