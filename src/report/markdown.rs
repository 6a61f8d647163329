//! The Markdown report (`--markdown FILE`): the deployment checklist as a
//! person signs it off, with when, where and on which commit it ran.

use std::path::Path;
use std::time::Duration;

use super::{GateRecord, Outcome, Report, by_section, origin, style};
use crate::event::Status;

/// `report` as a Markdown checklist.
pub fn render(report: &Report) -> String {
    let mut text = header(report);
    let gates: Vec<&GateRecord> = report.gates.iter().collect();
    for (section, gates) in by_section(gates, |g| g.gate.section.as_deref()) {
        text.push_str(&format!("\n## {}\n\n", section.unwrap_or("Gates")));
        for gate in gates {
            text.push_str(&item(gate));
        }
    }
    text
}

fn header(report: &Report) -> String {
    let verdict = match report.outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
    };
    let counts: Vec<String> = report
        .counts
        .iter()
        .filter(|&(_, &n)| n > 0)
        .map(|(status, n)| format!("{n} {}", status.as_str()))
        .collect();
    let mut rows = vec![
        ("Date", report.started_at.clone()),
        (
            "Commit",
            origin::commit(Path::new(&report.config))
                .unwrap_or_else(|| "(not a git repository)".into()),
        ),
        ("Host", origin::host().unwrap_or_else(|| "(unknown)".into())),
        ("Config", format!("`{}`", report.config)),
        ("Outcome", format!("**{verdict}**: {}", counts.join(", "))),
    ];
    if let Some(partition) = &report.partition {
        rows.push(("Partition", partition.clone()));
    }
    let rows: String = rows
        .iter()
        .map(|(k, v)| format!("| {k} | {v} |\n"))
        .collect();
    format!("# Deployment checklist: {verdict}\n\n| | |\n|---|---|\n{rows}")
}

/// `- [x] Name (`id`): passed in 1.20s`, `- [ ] ...: **failed** in 3ms: exit status 1`,
/// `- [ ] Team notified (`team-notified`): **pending**: confirm, then `gate run --ack team-notified``
fn item(gate: &GateRecord) -> String {
    let done = if gate.status == Status::Passed {
        "x"
    } else {
        " "
    };
    let (name, id) = (&gate.gate.name, &gate.gate.id);
    let warn = match gate.gate.severity {
        crate::config::Severity::Warn => " (warn)",
        crate::config::Severity::Block => "",
    };
    let outcome = match (gate.gate.kind.as_str(), gate.status) {
        // Manual gates are the sign-off items: say how they were, or are to be, confirmed.
        ("manual", Status::Passed) => format!("confirmed with `--ack {id}`"),
        ("manual", Status::Pending) => format!("**pending**: confirm, then `gate run --ack {id}`"),
        (_, status) => {
            let status = match status {
                Status::Passed => "passed".to_owned(),
                other => format!("**{}**", other.as_str()),
            };
            let duration = style::duration(Duration::from_millis(gate.duration_ms));
            let reason = gate
                .reason
                .as_deref()
                .map(|r| format!(": {}", origin::one_line(r)));
            format!("{status} in {duration}{}", reason.unwrap_or_default())
        }
    };
    format!("- [{done}] {name} (`{id}`){warn}: {outcome}\n")
}
