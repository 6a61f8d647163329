//! The worked example, examples/python-service, end to end: a real Flask
//! service with an alembic-migrated SQLite database, pytest, flake8, black,
//! isort, bandit and a TLS endpoint. Its `run` script prepares ports, a
//! certificate and a token and runs this gate binary, which migrates the
//! database, starts the service and the TLS endpoint, checks them and stops
//! them; then its broken variant.
//!
//! It needs python3 and PyPI (for the example's virtualenv), so it is
//! ignored in a plain `cargo test`; `.ci/run` runs it when python3 is there:
//! `cargo test --test cli -- --ignored example`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The four gates the broken variant breaks, and nothing else.
const BROKEN: [&str; 4] = ["coverage", "bandit", "security-headers", "migrations"];

/// Runs the example's `run` script (with `--broken` or not) and returns its
/// exit code and JSON report.
fn run_example(broken: bool) -> (i32, Value) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python-service");
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut command = Command::new(example.join("run"));
    if broken {
        command.arg("--broken");
    }
    let output = command
        .args(["--json", report.path().to_str().unwrap(), "-q"])
        .env("GATE", env!("CARGO_BIN_EXE_gate"))
        .output()
        .unwrap_or_else(|e| panic!("examples/python-service/run does not start: {e}"));
    let transcript = format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(report.path()).unwrap_or_default();
    let report: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): the example did not run\n{transcript}"));
    (output.status.code().unwrap_or(-1), report)
}

/// `(id, status)` of every gate of a report.
fn statuses(report: &Value) -> Vec<(String, String, String)> {
    report["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .map(|g| {
            let field = |name: &str| g[name].as_str().unwrap_or_default().to_owned();
            (field("id"), field("kind"), field("status"))
        })
        .collect()
}

#[test]
#[ignore = "needs python3 and PyPI; .ci/run runs it: cargo test --test cli -- --ignored example"]
fn the_python_example_passes_and_its_broken_variant_fails_where_broken() {
    // One test, both variants in turn: they share the example's virtualenv.
    let (code, report) = run_example(false);
    for (id, kind, status) in statuses(&report) {
        let expected = if kind == "manual" {
            "pending"
        } else {
            "passed"
        };
        assert_eq!(
            status, expected,
            "gate {id} of the working example\n{report:#}"
        );
    }
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["outcome"], "pass");

    let (code, report) = run_example(true);
    let mut failed: Vec<String> = Vec::new();
    for (id, kind, status) in statuses(&report) {
        match (kind.as_str(), status.as_str()) {
            (_, "failed") => failed.push(id),
            ("manual", "pending") | (_, "passed") => {}
            _ => panic!("gate {id} of the broken example ended {status}\n{report:#}"),
        }
    }
    failed.sort_unstable();
    let mut expected = BROKEN.map(str::to_owned).to_vec();
    expected.sort_unstable();
    assert_eq!(failed, expected, "{report:#}");
    assert_eq!(code, 1);
    assert_eq!(report["outcome"], "fail");
}
