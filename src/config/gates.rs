//! `[gates.ID]` tables: ids, check kinds, timings, severity, `needs` and
//! `after` entries.

use std::borrow::Cow;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::diagnostic::Diagnostic;
use super::model::{Gate, Severity, Source};
use super::raw::{RawGate, SpannedString};
use super::schema;
use super::template::{self, Delay, Template, Timeout};
use super::values::{self, Ids};
use crate::check::{Check, command};

/// The valid `severity` values.
const SEVERITIES: [(&str, Severity); 2] = [("block", Severity::Block), ("warn", Severity::Warn)];

/// `severity` in the schema of gates.toml: one of `SEVERITIES`.
impl JsonSchema for Severity {
    fn schema_name() -> Cow<'static, str> {
        "Severity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema::words(&SEVERITIES)
    }
}

/// Every gate, in file order, from the `raw` tables by their ids, whose
/// strings it takes over; `needs` and `after` entries all name gates
/// (cycles are checked afterwards, on the result).
pub fn gates<'a>(
    source: &Source,
    raw: impl IntoIterator<Item = (&'a SpannedString, RawGate)>,
    (ids, services): (&Ids, &Ids),
) -> Result<Vec<Gate>, Diagnostic> {
    raw.into_iter()
        .map(|(id, gate)| {
            check_id(source, "gate", id)?;
            GateContext {
                source,
                id,
                ids,
                services,
            }
            .gate(gate)
        })
        .collect()
}

/// What validating one gate needs to know.
struct GateContext<'a> {
    source: &'a Source,
    id: &'a SpannedString,
    /// All gate ids, for `needs` and `after`.
    ids: &'a Ids<'a>,
    /// All service ids, for `services`.
    services: &'a Ids<'a>,
}

impl GateContext<'_> {
    /// The validated gate, defaults filled in; its strings are taken from `raw`.
    fn gate(&self, mut raw: RawGate) -> Result<Gate, Diagnostic> {
        let source = self.source;
        let id = self.id.get_ref();
        Ok(Gate {
            id: id.clone(),
            span: self.id.span(),
            name: raw.name.take().unwrap_or_else(|| id.clone()),
            section: raw.section.take(),
            tags: values::listed_once(source, "tags", std::mem::take(&mut raw.tags))?,
            check: self.check(&raw)?,
            cwd: Template::optional(source, raw.cwd.as_ref())?,
            env: values::env_vars(source, &raw.env)?,
            requires: values::listed_once(source, "requires", std::mem::take(&mut raw.requires))?,
            timeout: raw
                .timeout
                .as_ref()
                .map(|t| template::parse::<Timeout>(source, t).map(|t| t.0))
                .transpose()?,
            retries: raw.retries.unwrap_or(0),
            retry_delay: match &raw.retry_delay {
                Some(delay) => template::parse::<Delay>(source, delay)?.0,
                None => Default::default(),
            },
            severity: match &raw.severity {
                Some(severity) => values::choice(source, "severity", severity, &SEVERITIES)?,
                None => Severity::default(),
            },
            needs: self.gate_ids(("needs", "needs"), std::mem::take(&mut raw.needs))?,
            after: self.gate_ids(("after", "runs after"), std::mem::take(&mut raw.after))?,
            services: self.services(std::mem::take(&mut raw.services), &raw)?,
            slots: match &raw.slots {
                Some(slots) => values::at_least_one(source, "slots", slots)? as usize,
                None => 1,
            },
        })
    }

    /// The `services` entries (taken out of `raw`), each naming a service,
    /// once; a manual gate, which is confirmed and not run, uses none.
    fn services(
        &self,
        entries: Vec<SpannedString>,
        raw: &RawGate,
    ) -> Result<Vec<String>, Diagnostic> {
        if let (Some(first), Some(_)) = (entries.first(), raw.manual.as_ref().filter(|m| m.0)) {
            return Err(self.source.diagnostic(
                first.span(),
                format!(
                    "gate `{}` is manual: a person confirms it, so it uses no service",
                    self.id.get_ref()
                ),
            ));
        }
        for service in &entries {
            self.reference(("uses", "service"), service, self.services)?;
        }
        values::listed_once(self.source, "services", entries)
    }

    /// Exactly one kind of check, loaded by its kind.
    fn check(&self, raw: &RawGate) -> Result<Arc<dyn Check>, Diagnostic> {
        let kinds = raw.checks();
        let mut present = kinds
            .iter()
            .filter_map(|(key, raw)| Some((*key, raw.as_ref()?)));
        match (present.next(), present.next()) {
            (Some(("run", check)), None) => check.load(self.source),
            (Some((kind, check)), None) => match raw.command_keys() {
                Some((key, span)) => Err(self
                    .source
                    .diagnostic(span, command::beside_other_kind(key, kind))),
                None => check.load(self.source),
            },
            (None, _) => {
                let keys: Vec<String> = kinds
                    .iter()
                    .map(|(key, _)| match *key {
                        "manual" => "`manual = true`".to_owned(),
                        key => format!("`{key}`"),
                    })
                    .collect();
                let (last, rest) = keys.split_last().expect("there are kinds");
                Err(self.error(format!(
                    "gate `{}` has no check: give it one of {} or {last}",
                    self.id.get_ref(),
                    rest.join(", ")
                )))
            }
            (Some((first, _)), Some((second, _))) => Err(self.error(format!(
                "gate `{}` has two checks (`{first}` and `{second}`): keep one",
                self.id.get_ref()
            ))),
        }
    }

    /// The entries of the list `key` of gate ids (`needs`, `after`), each
    /// of which must name a gate, once; `relation` words an error ("gate
    /// `a` needs `b`").
    fn gate_ids(
        &self,
        (key, relation): (&str, &str),
        entries: Vec<SpannedString>,
    ) -> Result<Vec<String>, Diagnostic> {
        for entry in &entries {
            self.reference((relation, "gate"), entry, self.ids)?;
        }
        values::listed_once(self.source, key, entries)
    }

    /// One entry of `needs`, `after` (a gate) or `services` (a service): it
    /// must name one of `names`.
    fn reference(
        &self,
        (verb, what): (&str, &str),
        entry: &SpannedString,
        names: &Ids,
    ) -> Result<(), Diagnostic> {
        // The owner is worded only when the entry names nothing.
        let owner = format_args!("gate `{}`", self.id.get_ref());
        values::reference(self.source, (&owner, verb), (what, entry), names)
    }

    /// An error about the gate as a whole, at its header.
    fn error(&self, message: String) -> Diagnostic {
        self.source.diagnostic(self.id.span(), message)
    }
}

/// Ids of gates and services (`what`) are `[a-z0-9][a-z0-9_-]*`.
pub fn check_id(source: &Source, what: &str, id: &SpannedString) -> Result<(), Diagnostic> {
    if is_valid_id(id.get_ref()) {
        return Ok(());
    }
    Err(source.diagnostic(
        id.span(),
        format!(
            "invalid {what} id `{}`: ids are lowercase letters, digits, `-` and `_`, \
             starting with a letter or digit",
            id.get_ref()
        ),
    ))
}

fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    let lower_or_digit = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    chars.next().is_some_and(lower_or_digit) && chars.all(|c| lower_or_digit(c) || "-_".contains(c))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::model::Severity;
    use super::super::testing::{assert_invalid, valid};

    #[test]
    fn defaults() {
        let text = "[gates.lint]\nrun = \"cargo clippy\"\n";
        let gate = valid(text).gates.remove(0);
        assert_eq!(gate.id, "lint");
        assert_eq!(&text[gate.span.clone()], "lint");
        assert_eq!(gate.name, "lint");
        assert_eq!(gate.section, None);
        assert!(gate.tags.is_empty() && gate.env.is_empty() && gate.requires.is_empty());
        assert_eq!(gate.check.kind(), "command");
        assert!(format!("{:?}", gate.check).contains(r#"run: "cargo clippy""#));
        assert_eq!(gate.cwd, None);
        assert_eq!(gate.timeout, None);
        assert_eq!(gate.retries, 0);
        assert_eq!(gate.retry_delay, Duration::ZERO);
        assert_eq!(gate.severity, Severity::Block);
        assert!(gate.needs.is_empty() && gate.after.is_empty());
        assert_eq!(gate.slots, 1);
    }

    #[test]
    fn every_key() {
        let text = "[gates.migrations]\nrun = \"true\"\n\
            [gates.backend-coverage]\nname = \"Backend test coverage >= 80%\"\nsection = \"Testing\"\n\
            tags = [\"backend\", \"ci\"]\nrun = \"pytest --cov\"\ncwd = \"${APP_DIR:-backend}\"\n\
            env = { PYTHONWARNINGS = \"ignore\", URL = \"${API_URL}\" }\nrequires = [\"pytest\"]\n\
            timeout = \"15m\"\nretries = 2\nretry_delay = \"1m30s\"\nseverity = \"warn\"\n\
            needs = [\"migrations\"]\nafter = [\"migrations\"]\nslots = 4\n";
        let gate = valid(text).gates.remove(1);
        assert_eq!(gate.name, "Backend test coverage >= 80%");
        assert_eq!(gate.section.as_deref(), Some("Testing"));
        assert_eq!(gate.tags, ["backend", "ci"]);
        let cwd = gate.cwd.clone().unwrap();
        assert_eq!(cwd.text(), "${APP_DIR:-backend}");
        assert_eq!(&text[cwd.span().clone()], "\"${APP_DIR:-backend}\"");
        let env: Vec<(&str, &str)> = gate
            .env
            .iter()
            .map(|var| (var.name.as_str(), var.value.text()))
            .collect();
        assert_eq!(env, [("PYTHONWARNINGS", "ignore"), ("URL", "${API_URL}")]);
        assert_eq!(gate.requires, ["pytest"]);
        assert_eq!(gate.timeout, Some(Duration::from_secs(900)));
        assert_eq!(gate.retries, 2);
        assert_eq!(gate.retry_delay, Duration::from_secs(90));
        assert_eq!(gate.severity, Severity::Warn);
        assert_eq!(gate.needs, ["migrations"]);
        assert_eq!(gate.after, ["migrations"]);
        assert_eq!(gate.slots, 4);
    }

    #[test]
    fn gates_keep_file_order() {
        let config = valid(
            "[gates.zeta]\nrun = \"true\"\n[gates.alpha]\nmanual = true\n\
             [gates.mid]\nrun = \"true\"\nneeds = [\"zeta\"]\n[gates.beta]\nrun = \"true\"\n",
        );
        let ids: Vec<&str> = config.gates.iter().map(|gate| gate.id.as_str()).collect();
        assert_eq!(ids, ["zeta", "alpha", "mid", "beta"]);
        assert!(config.gates[1].is_manual());
    }

    #[test]
    fn manual_gate_with_false_run_still_one_check() {
        let gate = valid("[gates.a]\nrun = \"true\"\nmanual = false\n")
            .gates
            .remove(0);
        assert_eq!(gate.check.kind(), "command");
    }

    #[test]
    fn invalid_ids() {
        let rule =
            "ids are lowercase letters, digits, `-` and `_`, starting with a letter or digit";
        assert_invalid(
            "[gates.Foo]\nrun = \"true\"\n",
            &format!("invalid gate id `Foo`: {rule}"),
            1,
            8,
        );
        assert_invalid(
            "[gates.ok]\nrun = \"true\"\n[gates._x]\nrun = \"true\"\n",
            &format!("invalid gate id `_x`: {rule}"),
            3,
            8,
        );
        assert_invalid(
            "[gates.\"a b\"]\nrun = \"true\"\n",
            &format!("invalid gate id `a b`: {rule}"),
            1,
            8,
        );
        assert_invalid(
            "[gates.\"\"]\nrun = \"true\"\n",
            &format!("invalid gate id ``: {rule}"),
            1,
            8,
        );
        let config = valid("[gates.9-a_b]\nrun = \"true\"\n[gates.x]\nmanual = true\n");
        assert_eq!(config.gates[0].id, "9-a_b");
    }

    #[test]
    fn no_check_or_two_checks() {
        let none = "gate `a` has no check: give it one of `run`, `http`, `tls`, `tcp`, `ws`, `dns` or `manual = true`";
        assert_invalid("[gates.a]\nname = \"A\"\n", none, 1, 8);
        assert_invalid("[gates.a]\nmanual = false\n", none, 1, 8);
        assert_invalid(
            "[gates.ok]\nrun = \"true\"\n\n[gates.a]\nrun = \"true\"\nmanual = true\n",
            "gate `a` has two checks (`run` and `manual`): keep one",
            4,
            8,
        );
    }

    #[test]
    fn bad_durations() {
        let expected = "expected an integer and a unit, like `500ms`, `30s`, `5m` or `1h30m`";
        assert_invalid(
            "[gates.a]\nrun = \"true\"\ntimeout = \"5 mins\"\n",
            &format!("invalid duration `5 mins`: {expected}"),
            3,
            11,
        );
        assert_invalid(
            "[gates.a]\nrun = \"true\"\nretry_delay = \"1.5s\"\n",
            &format!("invalid duration `1.5s`: {expected}"),
            3,
            15,
        );
        assert_invalid(
            "[gates.a]\nrun = \"true\"\ntimeout = \"0ms\"\n",
            "invalid timeout `0ms`: it must be greater than zero",
            3,
            11,
        );
    }

    #[test]
    fn slots_are_at_least_one() {
        for bad in ["0", "-2"] {
            assert_invalid(
                &format!("[gates.a]\nrun = \"true\"\nslots = {bad}\n"),
                &format!("invalid slots {bad}: it must be at least 1"),
                3,
                9,
            );
        }
    }

    #[test]
    fn bad_severity() {
        assert_invalid(
            "[gates.a]\nrun = \"true\"\nseverity = \"blok\"\n",
            "unknown severity `blok`, did you mean `block`?",
            3,
            12,
        );
        assert_invalid(
            "[gates.a]\nrun = \"true\"\nseverity = \"fatal\"\n",
            "unknown severity `fatal` (expected one of `block`, `warn`)",
            3,
            12,
        );
    }

    #[test]
    fn needs_an_unknown_gate() {
        assert_invalid(
            "[gates.migrations]\nrun = \"true\"\n[gates.deploy]\nrun = \"true\"\n\
             needs = [\"migrations\", \"migratoins\"]\n",
            "gate `deploy` needs `migratoins`, which is not a gate; did you mean `migrations`?",
            5,
            24,
        );
        assert_invalid(
            "[gates.deploy]\nrun = \"true\"\nneeds = [\"lint\"]\n",
            "gate `deploy` needs `lint`, which is not a gate",
            3,
            10,
        );
    }

    #[test]
    fn after_an_unknown_gate() {
        assert_invalid(
            "[gates.probe]\nrun = \"true\"\n[gates.logs]\nrun = \"true\"\n\
             after = [\"probe\", \"prboe\"]\n",
            "gate `logs` runs after `prboe`, which is not a gate; did you mean `probe`?",
            5,
            19,
        );
        assert_invalid(
            "[gates.logs]\nrun = \"true\"\nafter = [\"probes\"]\n",
            "gate `logs` runs after `probes`, which is not a gate",
            3,
            10,
        );
    }

    #[test]
    fn interpolation_syntax_of_cwd_and_env() {
        assert_invalid(
            "[gates.a]\nrun = \"true\"\ncwd = \"${DIR\"\n",
            "unterminated `${`: add a closing `}`",
            3,
            7,
        );
        assert_invalid(
            "[gates.a]\nrun = \"true\"\nenv = { A = \"ok\", B = \"${}\" }\n",
            "empty variable name in `${}`",
            3,
            23,
        );
        let gate = valid("[gates.a]\nrun = \"echo ${NOT CHECKED\"\n")
            .gates
            .remove(0);
        assert!(format!("{:?}", gate.check).contains(r#"run: "echo ${NOT CHECKED""#));
    }
}
