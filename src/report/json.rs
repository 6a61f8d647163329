//! The JSON report: the schema of the contract, field for field.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{GateFields, counts, outcome};
use crate::event::{GateResult, Status};
use crate::exec::Run;
use crate::plan::{Plan, Step};

/// Version of the report schema.
const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
struct Report<'a> {
    version: u32,
    tool: String,
    config: String,
    started_at: String,
    duration_ms: u128,
    outcome: &'static str,
    partition: Option<String>,
    counts: BTreeMap<Status, usize>,
    gates: Vec<Gate<'a>>,
}

/// One gate's entry.
#[derive(Debug, Serialize)]
struct Gate<'a> {
    #[serde(flatten)]
    gate: GateFields<'a>,
    status: Status,
    duration_ms: u128,
    attempts: u32,
    exit_code: Option<i32>,
    reason: Option<&'a str>,
    output: &'a str,
}

/// The report of `run` of `plan`, read from the config at `config_path`, as pretty JSON.
pub fn render(plan: &Plan, run: &Run, config_path: &Path) -> String {
    let report = Report {
        version: SCHEMA_VERSION,
        tool: format!("gate {}", env!("CARGO_PKG_VERSION")),
        config: config_path.display().to_string(),
        started_at: humantime::format_rfc3339_seconds(run.started_at).to_string(),
        duration_ms: run.duration.as_millis(),
        outcome: outcome(plan, run).as_str(),
        partition: None,
        counts: counts(&run.results),
        gates: plan
            .steps
            .iter()
            .zip(&run.results)
            .map(|(s, r)| gate(s, r))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}

fn gate<'a>(step: &'a Step, result: &'a GateResult) -> Gate<'a> {
    Gate {
        gate: GateFields::of(&step.gate),
        status: result.status,
        duration_ms: result.duration.as_millis(),
        attempts: result.attempts,
        exit_code: result.exit_code,
        reason: result.reason.as_deref(),
        output: &result.output,
    }
}
