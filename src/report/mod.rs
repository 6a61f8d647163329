//! Reports: what a run means (outcome, counts, exit code) and the formats
//! that show it, one module each.

pub mod human;
pub mod json;
pub mod list;
mod style;

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::config::{Gate, Severity};
use crate::error::{EXIT_FAIL, EXIT_INTERRUPTED, EXIT_PASS};
use crate::event::{GateResult, Status};
use crate::exec::Run;
use crate::plan::Plan;

/// What the exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
}

impl Outcome {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
        }
    }
}

/// True when this gate's result fails the run.
pub fn fails_run(severity: Severity, status: Status, require_manual: bool) -> bool {
    match status {
        Status::Passed => false,
        Status::Pending => require_manual && severity == Severity::Block,
        _ => severity == Severity::Block,
    }
}

/// The run's outcome: fail when any gate fails the run, or it was interrupted.
pub fn outcome(plan: &Plan, run: &Run) -> Outcome {
    let failed = plan.steps.iter().zip(&run.results).any(|(step, result)| {
        fails_run(
            step.gate.severity,
            result.status,
            plan.settings.require_manual,
        )
    });
    if failed || run.interrupted {
        Outcome::Fail
    } else {
        Outcome::Pass
    }
}

/// The process exit code for a finished run.
pub fn exit_code(plan: &Plan, run: &Run) -> i32 {
    match (run.interrupted, outcome(plan, run)) {
        (true, _) => EXIT_INTERRUPTED,
        (false, Outcome::Fail) => EXIT_FAIL,
        (false, Outcome::Pass) => EXIT_PASS,
    }
}

/// How many gates ended with each status (every status present, 0 included).
pub fn counts(results: &[GateResult]) -> BTreeMap<Status, usize> {
    let mut counts: BTreeMap<Status, usize> = Status::ALL.iter().map(|&s| (s, 0)).collect();
    for result in results {
        *counts.entry(result.status).or_default() += 1;
    }
    counts
}

/// Groups `items` by section: gates with no section first, then each
/// section in order of first appearance, items in their given order.
pub fn by_section<'a, T>(
    items: Vec<T>,
    section: impl Fn(&T) -> Option<&'a str>,
) -> Vec<(Option<&'a str>, Vec<T>)> {
    let mut groups: Vec<(Option<&'a str>, Vec<T>)> = vec![(None, Vec::new())];
    for item in items {
        let name = section(&item);
        match groups.iter_mut().find(|(s, _)| *s == name) {
            Some((_, members)) => members.push(item),
            None => groups.push((name, vec![item])),
        }
    }
    groups.retain(|(_, members)| !members.is_empty());
    groups
}

/// What the JSON outputs say of a gate before its result: `id`, `name`,
/// `section`, `tags`, `kind`, `severity`.
#[derive(Debug, Serialize)]
pub struct GateFields<'a> {
    id: &'a str,
    name: &'a str,
    section: Option<&'a str>,
    tags: &'a [String],
    kind: &'static str,
    severity: &'static str,
}

impl<'a> GateFields<'a> {
    /// The fields of `gate`.
    pub fn of(gate: &'a Gate) -> GateFields<'a> {
        GateFields {
            id: &gate.id,
            name: &gate.name,
            section: gate.section.as_deref(),
            tags: &gate.tags,
            kind: gate.check.kind(),
            severity: gate.severity.as_str(),
        }
    }
}

/// Writes `text` to stdout. A closed stdout (`gate list | head -1`) is not an
/// error worth stopping for: the run goes on and its report files are written.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
