//! GitHub Actions (`GITHUB_ACTIONS=true`): an `::error` annotation for each
//! blocking gate that did not pass (`::warning` for warn gates), and the
//! Markdown checklist appended to `$GITHUB_STEP_SUMMARY`.

use std::io::Write;

use super::{GateRecord, Report, markdown, print};
use crate::config::Severity;
use crate::error::Error;
use crate::event::Status;

/// In GitHub Actions, prints the annotations (on stdout, or on stderr when
/// stdout holds the JSON report; the runner reads both) and appends the
/// step summary.
pub fn report(report: &Report, stdout_is_json: bool) -> Result<(), Error> {
    if std::env::var_os("GITHUB_ACTIONS").is_none_or(|v| v != "true") {
        return Ok(());
    }
    match stdout_is_json {
        true => eprint!("{}", annotations(report)),
        false => print(&annotations(report)),
    }
    match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        Some(path) => append(path.as_ref(), &markdown::render(report)),
        None => Ok(()),
    }
}

/// One workflow command per gate that did not pass; pending manual gates
/// are sign-off items, not annotations.
pub fn annotations(report: &Report) -> String {
    report
        .gates
        .iter()
        .filter(|g| !matches!(g.status, Status::Passed | Status::Pending))
        .map(annotation)
        .collect()
}

fn annotation(gate: &GateRecord) -> String {
    let level = match gate.gate.severity {
        Severity::Block => "error",
        Severity::Warn => "warning",
    };
    let title = escape_property(&format!("{} ({})", gate.gate.name, gate.status.as_str()));
    let reason = gate.reason.as_deref().unwrap_or(gate.status.as_str());
    let message = escape_data(&format!("{}: {reason}", gate.gate.id));
    format!("::{level} title={title}::{message}\n")
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

fn append(path: &std::path::Path, text: &str) -> Result<(), Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|source| Error::WriteReport {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }
}
