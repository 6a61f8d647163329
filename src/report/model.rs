//! The report as data: what every output format shows, built from a run or
//! read back from the JSON of another run (to merge shards). Its JSON form
//! is the contract's report schema, field for field.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::{Gate, Severity};
use crate::error::Error;
use crate::event::{Failure, GateResult, ServiceStatus, Stats, Status, millis};
use crate::exec::Run;
use crate::plan::{Plan, Step};
use crate::signoff::Signature;

/// Version of the report schema.
pub const SCHEMA_VERSION: u32 = 1;

/// What the exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub tool: String,
    /// The config file's path as found.
    pub config: String,
    /// RFC 3339, UTC, to the second.
    pub started_at: String,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// `"K/N"` for a shard of a partitioned run.
    pub partition: Option<String>,
    /// Every status, 0 included.
    pub counts: BTreeMap<Status, usize>,
    /// In config order.
    pub gates: Vec<GateRecord>,
    /// The services gate started (or reused) for the gates, in config order.
    #[serde(default)]
    pub services: Vec<ServiceRecord>,
    /// `[signoff] fields`, interpolated and masked: the lines of the
    /// Markdown report's sign-off block, in config order.
    #[serde(default)]
    pub signoff_fields: IndexMap<String, String>,
    /// Where the run happened, for the reports a person reads later. Not
    /// in the JSON report, whose schema has no such fields: a report read
    /// back from a file has none until the caller gathers it.
    #[serde(skip)]
    pub origin: Origin,
}

/// Where a run happened: gathered once, when its report is made, so that
/// the formats that show it (Markdown, notifications) only read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The config's git `HEAD`; `None` outside a repository.
    pub commit: Option<String>,
    /// This machine's host name; `None` when it cannot be told.
    pub host: Option<String>,
}

/// How a service fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub id: String,
    pub status: ServiceStatus,
    /// How long it took to become ready; `null` when it never was.
    pub ready_ms: Option<u64>,
    /// Why it failed, or what happened to it while in use.
    pub reason: Option<String>,
    /// The tail of its own output, secrets masked.
    pub output: String,
}

/// What a gate is, as the outputs describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateInfo {
    pub id: String,
    pub name: String,
    pub section: Option<String>,
    pub tags: Vec<String>,
    /// `command`, `http`, `tls` or `manual`.
    pub kind: String,
    pub severity: Severity,
}

impl GateInfo {
    /// The description of `gate`.
    pub fn of(gate: &Gate) -> GateInfo {
        GateInfo {
            id: gate.id.clone(),
            name: gate.name.clone(),
            section: gate.section.clone(),
            tags: gate.tags.clone(),
            kind: gate.check.kind().to_owned(),
            severity: gate.severity,
        }
    }

    /// The checklist text, with the id when the two differ, once: a name
    /// that ends with the id in parentheses already has it.
    pub fn label(&self) -> String {
        match self.name == self.id {
            true => self.id.clone(),
            false => format!("{} ({})", self.plain_name(), self.id),
        }
    }

    /// The name without a final `(id)` that names the gate: `No linting
    /// errors` for `No linting errors (flake8)` of gate `flake8`.
    pub fn plain_name(&self) -> &str {
        let rest = self
            .name
            .strip_suffix(&format!("({})", self.id))
            .map(str::trim_end);
        match rest {
            Some(rest) if !rest.is_empty() => rest,
            _ => &self.name,
        }
    }
}

/// One gate's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    #[serde(flatten)]
    pub gate: GateInfo,
    pub status: Status,
    pub duration_ms: u64,
    pub attempts: u32,
    pub exit_code: Option<i32>,
    /// Why it did not pass; `None` when it passed.
    pub reason: Option<String>,
    /// The expectations that did not hold; `[]` when none.
    #[serde(default)]
    pub failures: Vec<Failure>,
    pub output: String,
    /// Response time statistics of a `load` gate; `null` for the others.
    #[serde(default)]
    pub stats: Option<Stats>,
    /// The sign-off on record that passed a manual gate; `null` otherwise.
    #[serde(default)]
    pub signoff: Option<Signature>,
}

impl GateRecord {
    /// The record of `step`'s `result`; `signoff` is the sign-off that
    /// passed it, secrets masked.
    fn of(step: &Step, result: &GateResult, signoff: Option<Signature>) -> GateRecord {
        let gate = &step.gate;
        GateRecord {
            gate: GateInfo::of(gate),
            status: result.status,
            duration_ms: millis(result.duration),
            attempts: result.attempts,
            exit_code: result.exit_code,
            reason: result.reason.clone(),
            failures: result.failures.clone(),
            output: result.output.clone(),
            stats: result.stats,
            signoff: signoff.filter(|_| result.status == Status::Passed),
        }
    }

    /// True when this gate's status fails the run (a pending manual gate
    /// only with `require_manual`).
    pub fn fails_run(&self, require_manual: bool) -> bool {
        let blocking = self.gate.severity == Severity::Block;
        match self.status {
            Status::Passed => false,
            Status::Pending => require_manual && blocking,
            _ => blocking,
        }
    }
}

impl Report {
    /// The report of `run` of `plan`, read from the config at `config`,
    /// which ran at `origin`.
    pub fn of_run(
        plan: &Plan,
        run: &Run,
        config: &Path,
        partition: Option<String>,
        origin: Origin,
    ) -> Report {
        let gates: Vec<GateRecord> = plan
            .steps
            .iter()
            .zip(&run.results)
            .map(|(step, result)| {
                let signoff = step.confirmation.signature();
                GateRecord::of(step, result, signoff.map(|s| s.masked(&plan.redactor)))
            })
            .collect();
        let failed = gates
            .iter()
            .any(|g| g.fails_run(plan.settings.require_manual));
        Report {
            version: SCHEMA_VERSION,
            tool: tool(),
            config: config.display().to_string(),
            started_at: humantime::format_rfc3339_seconds(run.started_at).to_string(),
            duration_ms: millis(run.duration),
            outcome: if failed || run.interrupted {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            partition,
            counts: counts(&gates),
            gates,
            services: service_records(plan, run),
            signoff_fields: plan
                .signoff_fields
                .iter()
                .map(|(label, value)| (label.clone(), plan.redactor.redact(value)))
                .collect(),
            origin,
        }
    }

    /// Reads the JSON report at `path`; errors say it could not be read to
    /// `purpose` (`merge`).
    pub fn read(path: &Path, purpose: &str) -> Result<Report, Error> {
        let problem = |what: String| {
            Error::usage(format!("cannot {purpose} {}: {what}", path.display()), None)
        };
        let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
        Report::from_json(&text).map_err(problem)
    }

    /// The report that `text`, a JSON report of this schema version, holds;
    /// the error says why it is not one.
    pub fn from_json(text: &str) -> Result<Report, String> {
        let report: Report =
            serde_json::from_str(text).map_err(|e| format!("not a gate JSON report: {e}"))?;
        if report.version != SCHEMA_VERSION {
            return Err(format!(
                "report version {} (this gate reads version {SCHEMA_VERSION})",
                report.version
            ));
        }
        Ok(report)
    }

    /// Marks the pending manual gate `id` passed by `signature`, counts
    /// again, and judges again as strictly as the run could have: the
    /// report does not say whether the run required manual gates or was
    /// interrupted, so a failed run passes only when nothing is left that
    /// could have failed it (no gate but a warn gate not passed, none
    /// cancelled).
    pub fn sign_off(&mut self, id: &str, signature: Signature) -> Result<(), String> {
        let gate = self
            .gates
            .iter_mut()
            .find(|g| g.gate.id == id)
            .ok_or_else(|| format!("gate `{id}` is not in the report"))?;
        if gate.gate.kind != crate::check::manual::KIND || gate.status != Status::Pending {
            return Err(format!(
                "gate `{id}` is {} in the report: only a pending manual gate is signed off",
                gate.status.as_str()
            ));
        }
        gate.status = Status::Passed;
        gate.reason = None;
        gate.signoff = Some(signature);
        self.counts = counts(&self.gates);
        let cancelled = self.gates.iter().any(|g| g.status == Status::Cancelled);
        let failing = self.gates.iter().any(|g| g.fails_run(true));
        if self.outcome == Outcome::Fail && !cancelled && !failing {
            self.outcome = Outcome::Pass;
        }
        Ok(())
    }

    /// How the gates ended, for a summary line: the statuses that some
    /// gate has, in the order of [`Status::ALL`], with the warn gates that
    /// failed, timed out or errored counted apart as warned, after those
    /// that passed (they do not fail the run).
    pub fn tallies(&self) -> Vec<Tally> {
        let warned =
            |gate: &&GateRecord| gate.gate.severity == Severity::Warn && gate.status.is_failure();
        let mut tallies = Vec::new();
        for status in Status::ALL {
            let count = self
                .gates
                .iter()
                .filter(|gate| gate.status == status && !warned(gate))
                .count();
            if count > 0 {
                tallies.push(Tally::Ended(status, count));
            }
            if status == Status::Passed {
                let count = self.gates.iter().filter(warned).count();
                if count > 0 {
                    tallies.push(Tally::Warned(count));
                }
            }
        }
        tallies
    }

    /// `12 passed, 1 warned, 1 failed, 1 pending`: the [`Report::tallies`].
    pub fn counts_summary(&self) -> String {
        let parts: Vec<String> = self.tallies().iter().map(Tally::to_string).collect();
        match parts.is_empty() {
            true => "nothing to run".to_owned(),
            false => parts.join(", "),
        }
    }

    /// The report as pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the report serializes");
        text.push('\n');
        text
    }
}

/// One part of a summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// How many gates ended with a status (a warn gate that did not hold
    /// is counted as warned instead).
    Ended(Status, usize),
    /// How many warn gates failed, timed out or errored.
    Warned(usize),
}

impl std::fmt::Display for Tally {
    /// `12 passed`, `1 warned`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tally::Ended(status, count) => write!(f, "{count} {}", status.as_str()),
            Tally::Warned(count) => write!(f, "{count} warned"),
        }
    }
}

/// The services of `run` that started, as records.
fn service_records(plan: &Plan, run: &Run) -> Vec<ServiceRecord> {
    plan.services
        .iter()
        .zip(&run.services)
        .filter_map(|(service, result)| {
            let result = result.as_ref()?;
            Some(ServiceRecord {
                id: service.id.clone(),
                status: result.status,
                ready_ms: result.ready_ms,
                reason: result.reason.clone(),
                output: result.output.clone(),
            })
        })
        .collect()
}

/// `gate X.Y.Z`.
pub fn tool() -> String {
    format!("gate {}", env!("CARGO_PKG_VERSION"))
}

/// How many gates ended with each status, every status present.
pub fn counts(gates: &[GateRecord]) -> BTreeMap<Status, usize> {
    let mut counts: BTreeMap<Status, usize> = Status::ALL.iter().map(|&s| (s, 0)).collect();
    for gate in gates {
        *counts.entry(gate.status).or_default() += 1;
    }
    counts
}

/// Reports made by hand, for the tests of the formats that show them.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    /// A blocking command gate `id`, named `ID`, that ended `status`.
    pub fn gate(id: &str, status: Status, reason: Option<&str>) -> GateRecord {
        GateRecord {
            gate: GateInfo {
                id: id.into(),
                name: id.to_uppercase(),
                section: None,
                tags: Vec::new(),
                kind: "command".into(),
                severity: Severity::Block,
            },
            status,
            duration_ms: 1,
            attempts: 1,
            exit_code: None,
            reason: reason.map(Into::into),
            failures: Vec::new(),
            stats: None,
            output: String::new(),
            signoff: None,
        }
    }

    /// The report of `gates` run from `gates.toml` on host `web-1`, at
    /// commit `1a2b3c4d5e6f`.
    pub fn report(gates: Vec<GateRecord>, outcome: Outcome) -> Report {
        Report {
            version: SCHEMA_VERSION,
            tool: "gate 0".into(),
            config: "gates.toml".into(),
            started_at: "2024-01-01T00:00:00Z".into(),
            duration_ms: 5,
            outcome,
            partition: None,
            counts: counts(&gates),
            gates,
            services: Vec::new(),
            signoff_fields: IndexMap::new(),
            origin: Origin {
                commit: Some("1a2b3c4d5e6f".into()),
                host: Some("web-1".into()),
            },
        }
    }
}
