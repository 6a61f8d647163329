//! The Markdown report (`--markdown FILE`): the deployment checklist as a
//! person signs it off, with when, where and on which commit it ran.

use std::path::Path;
use std::time::Duration;

use super::{GateRecord, Outcome, Report, by_section, origin, style};
use crate::config::Severity;
use crate::event::Status;

/// `report` as a Markdown checklist.
pub fn render(report: &Report) -> String {
    let mut text = header(report);
    let gates: Vec<&GateRecord> = report.gates.iter().collect();
    for (section, gates) in by_section(gates, |g| g.gate.section.as_deref()) {
        text.push_str(&format!("\n## {}\n\n", escape(section.unwrap_or("Gates"))));
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
    let mut rows = vec![
        ("Date", report.started_at.clone()),
        (
            "Commit",
            origin::commit(Path::new(&report.config))
                .unwrap_or_else(|| "(not a git repository)".into()),
        ),
        ("Host", origin::host().unwrap_or_else(|| "(unknown)".into())),
        ("Config", code(&report.config)),
        (
            "Outcome",
            format!("**{verdict}**: {}", report.counts_summary()),
        ),
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
    let id = &gate.gate.id;
    let label = match gate.gate.name == *id {
        true => format!("`{id}`"),
        false => format!("{} (`{id}`)", escape(&gate.gate.name)),
    };
    let warn = match gate.gate.severity {
        Severity::Warn => " (warn)",
        Severity::Block => "",
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
                .map(|r| format!(": {}", code(&origin::one_line(r))));
            format!("{status} in {duration}{}", reason.unwrap_or_default())
        }
    };
    format!("- [{done}] {label}{warn}: {outcome}\n")
}

/// `text` with Markdown's punctuation escaped, so it shows as written.
fn escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match "\\`*_[]<>|&~".contains(c) {
            true => vec!['\\', c],
            false => vec![c],
        })
        .collect()
}

/// `text` as a code span, its fence longer than any run of backticks in it.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::{code, escape};

    #[test]
    fn names_and_reasons_show_as_written() {
        assert_eq!(escape("a <b> *c*"), "a \\<b\\> \\*c\\*");
        assert_eq!(code("needs `x` now"), "``needs `x` now``");
        assert_eq!(code("needs `x`"), "`` needs `x` ``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("plain"), "`plain`");
    }
}
