//! The Markdown report (`--markdown FILE`): the deployment checklist as a
//! person signs it off, with when, where and on which commit it ran, and
//! the sign-off block at its end: `[signoff] fields`, who verified what,
//! the date and the commit.

use std::time::Duration;

use super::{GateRecord, Outcome, Report, by_section, origin, style};
use crate::config::Severity;
use crate::event::Status;
use crate::signoff::{self, Signature};

/// `report` as a Markdown checklist.
pub fn render(report: &Report) -> String {
    let commit = report.origin.commit.as_deref();
    let mut text = header(report, commit);
    let gates: Vec<&GateRecord> = report.gates.iter().collect();
    for (section, gates) in by_section(gates, |g| g.gate.section.as_deref()) {
        text.push_str(&format!("\n## {}\n\n", escape(section.unwrap_or("Gates"))));
        for gate in gates {
            text.push_str(&item(gate));
        }
    }
    text.push_str(&sign_off_block(report, commit));
    text
}

/// What a person signs under, as a checklist ends: the `[signoff] fields`,
/// who verified the manual gates, the date and the commit; a blank to fill
/// in where no one has signed off yet.
fn sign_off_block(report: &Report, commit: Option<&str>) -> String {
    const BLANK: &str = "_______________";
    let verified: Vec<String> = report
        .gates
        .iter()
        .filter_map(|gate| Some(verified_by(&gate.gate.id, gate.signoff.as_ref()?)))
        .collect();
    let fields = report
        .signoff_fields
        .iter()
        .map(|(label, value)| (escape(label), escape(value)));
    let lines = fields.chain([
        (
            "Verified by".to_owned(),
            match verified.is_empty() {
                true => BLANK.to_owned(),
                false => verified.join("; "),
            },
        ),
        ("Date".to_owned(), report.started_at.clone()),
        (
            "Commit".to_owned(),
            commit.map_or_else(|| BLANK.to_owned(), code),
        ),
    ]);
    let lines: String = lines
        .map(|(label, value)| format!("**{label}**: {value}  \n"))
        .collect();
    format!("\n---\n\n{lines}")
}

/// `Ana (`team-notified`, 2026-12-02T16:50:00Z)`.
fn verified_by(id: &str, signature: &Signature) -> String {
    format!("{} (`{id}`, {})", escape(&signature.by), signature.at)
}

fn header(report: &Report, commit: Option<&str>) -> String {
    let verdict = match report.outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
    };
    let mut rows = vec![
        ("Date", report.started_at.clone()),
        (
            "Commit",
            commit.map_or_else(|| "(not a git repository)".into(), str::to_owned),
        ),
        (
            "Host",
            report.origin.host.as_deref().unwrap_or("(unknown)").into(),
        ),
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
/// `- [ ] Team notified (`team-notified`): **pending**: confirm, then `gate ack team-notified``
fn item(gate: &GateRecord) -> String {
    let done = if gate.status == Status::Passed {
        "x"
    } else {
        " "
    };
    let id = &gate.gate.id;
    let label = match gate.gate.name == *id {
        true => format!("`{id}`"),
        false => format!("{} (`{id}`)", escape(gate.gate.plain_name())),
    };
    let warn = match gate.gate.severity {
        Severity::Warn => " (warn)",
        Severity::Block => "",
    };
    let outcome = match (gate.gate.kind.as_str(), gate.status) {
        // Manual gates are the sign-off items: say how they were, or are to be, confirmed.
        ("manual", Status::Passed) => match &gate.signoff {
            Some(signature) => signed_off(signature),
            None => format!("confirmed with `--ack {id}`"),
        },
        ("manual", Status::Pending) => pending(id, gate.reason.as_deref()),
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

/// `signed off by Ana at 2026-12-02T16:50:00Z: posted in #deploys`.
fn signed_off(signature: &Signature) -> String {
    let note = signature
        .note
        .as_deref()
        .map(|note| format!(": {}", escape(note)));
    let by = escape(&signature.by);
    format!(
        "signed off by {by} at {}{}",
        signature.at,
        note.unwrap_or_default()
    )
}

/// Why a manual gate is pending (why the sign-off on record does not
/// hold; nothing more when there is none), and how to confirm it.
fn pending(id: &str, reason: Option<&str>) -> String {
    let why = reason
        .filter(|r| *r != signoff::awaiting(id))
        .map(|r| format!("{}; ", code(r)));
    format!(
        "**pending**: {}confirm, then `gate ack {id}`",
        why.unwrap_or_default()
    )
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
    use super::{code, escape, render};
    use crate::event::Status;
    use crate::report::Origin;
    use crate::report::Outcome;
    use crate::report::model::samples::{gate, report};

    #[test]
    fn the_commit_and_host_shown_are_the_reports_own() {
        let mut report = report(vec![gate("build", Status::Passed, None)], Outcome::Pass);
        // Beside no repository: a renderer that looked would find no commit.
        report.config = std::env::temp_dir()
            .join("gates.toml")
            .display()
            .to_string();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        report.origin = Origin {
            commit: Some(commit.into()),
            host: Some("checklist-host".into()),
        };
        let text = render(&report);
        assert!(text.contains(&format!("| Commit | {commit} |\n")), "{text}");
        assert!(text.contains("| Host | checklist-host |\n"), "{text}");
        assert!(
            text.ends_with(&format!("**Commit**: `{commit}`  \n")),
            "{text}"
        );
    }

    #[test]
    fn names_and_reasons_show_as_written() {
        assert_eq!(escape("a <b> *c*"), "a \\<b\\> \\*c\\*");
        assert_eq!(code("needs `x` now"), "``needs `x` now``");
        assert_eq!(code("needs `x`"), "`` needs `x` ``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("plain"), "`plain`");
    }
}
