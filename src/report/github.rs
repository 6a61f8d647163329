//! GitHub Actions (`GITHUB_ACTIONS=true`): an `::error` annotation for each
//! blocking gate that did not pass (`::warning` for warn gates and for manual
//! gates still pending), and the Markdown checklist appended to
//! `$GITHUB_STEP_SUMMARY`.

use std::io::Write;

use super::{GateRecord, Report, markdown, print};
use crate::config::Severity;
use crate::event::Status;

/// In GitHub Actions, prints the annotations (on stdout, or on stderr when
/// stdout holds the JSON report; the runner reads both) and appends the
/// step summary. A summary that cannot be written is a warning: the run's
/// outcome is the gates', not the summary's.
pub fn report(report: &Report, stdout_is_json: bool) {
    if !in_actions() {
        return;
    }
    match stdout_is_json {
        true => eprint!("{}", annotations(report)),
        false => print(&annotations(report)),
    }
    if let Some(path) = summary_path() {
        if let Err(error) = append(path.as_ref(), &markdown::render(report)) {
            eprintln!("gate: warning: GITHUB_STEP_SUMMARY: {error}");
        }
    }
}

/// Whether [`report`] will render the Markdown checklist (as the step summary).
pub fn shows_markdown() -> bool {
    in_actions() && summary_path().is_some()
}

/// Whether gate runs as a GitHub Actions step.
fn in_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// `$GITHUB_STEP_SUMMARY`, when set.
fn summary_path() -> Option<std::ffi::OsString> {
    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
}

/// One workflow command per gate that did not pass: an error for a
/// blocking gate, a warning for a warn gate and for a manual gate still to
/// be signed off.
pub fn annotations(report: &Report) -> String {
    report
        .gates
        .iter()
        .filter(|g| g.status != Status::Passed)
        .map(annotation)
        .collect()
}

fn annotation(gate: &GateRecord) -> String {
    let level = match (gate.gate.severity, gate.status) {
        (Severity::Block, Status::Pending) | (Severity::Warn, _) => "warning",
        (Severity::Block, _) => "error",
    };
    let title = escape_property(&format!("{} ({})", gate.gate.name, gate.status.as_str()));
    let reason = gate.reason.as_deref().unwrap_or(gate.status.as_str());
    let message = escape_data(&format!("{}: {reason}", gate.gate.id));
    let place = gate.failures.first().and_then(|f| position(&f.at));
    let place = place.map_or_else(String::new, |(file, line, col)| {
        format!("file={},line={line},col={col},", escape_property(file))
    });
    format!("::{level} {place}title={title}::{message}\n")
}

/// `gates.toml:12:44` as its file, line and column.
fn position(at: &str) -> Option<(&str, &str, &str)> {
    let mut parts = at.rsplitn(3, ':');
    let (col, line, file) = (parts.next()?, parts.next()?, parts.next()?);
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(line) && numeric(col)).then_some((file, line, col))
}

/// Workflow command data: `%`, CR and LF escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property, position};

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }

    #[test]
    fn failures_point_at_their_place() {
        assert_eq!(
            position("ci/gates.toml:12:44"),
            Some(("ci/gates.toml", "12", "44"))
        );
        assert_eq!(position("C:x:1:2"), Some(("C:x", "1", "2")));
        assert_eq!(position("gates.toml"), None);
    }
}
