//! The JUnit XML report (`--junit FILE`), as GitLab and GitHub test
//! reporters read it: one `<testsuite>` per section, one `<testcase>` per gate.

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{GateRecord, Report, by_section};
use crate::event::Status;

/// The suite of gates with no section.
const NO_SECTION: &str = "gates";

/// `report` as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("gate");
    junit.set_time(Duration::from_millis(report.duration_ms));
    let gates: Vec<&GateRecord> = report.gates.iter().collect();
    for (section, gates) in by_section(gates, |g| g.gate.section.as_deref()) {
        let mut suite = TestSuite::new(section.unwrap_or(NO_SECTION));
        suite.add_test_cases(gates.into_iter().map(test_case));
        junit.add_test_suite(suite);
    }
    junit.to_string().expect("a JUnit report serializes")
}

/// The text of a failure: each failed expectation and where it is written,
/// then the output.
fn description(gate: &GateRecord) -> String {
    let failures = gate
        .failures
        .iter()
        .map(|failure| format!("{failure}\n  --> {}\n", failure.at));
    let mut text: String = failures.collect();
    if !text.is_empty() && !gate.output.is_empty() {
        text.push('\n');
    }
    text.push_str(&gate.output);
    text
}

/// `name` = the gate's name, `classname` = its id; failed, timed out and
/// errored gates are failures, skipped, cancelled and pending ones skipped.
fn test_case(gate: &GateRecord) -> TestCase {
    let mut status = match gate.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed | Status::TimedOut | Status::Error => {
            TestCaseStatus::non_success(NonSuccessKind::Failure)
        }
        Status::Skipped | Status::Cancelled | Status::Pending => TestCaseStatus::skipped(),
    };
    if gate.status != Status::Passed {
        status.set_type(gate.status.as_str());
        if let Some(reason) = &gate.reason {
            status.set_message(reason.as_str());
        }
        let text = description(gate);
        if !text.is_empty() {
            status.set_description(text);
        }
    }
    let mut case = TestCase::new(gate.gate.name.as_str(), status);
    case.set_classname(gate.gate.id.as_str());
    case.set_time(Duration::from_millis(gate.duration_ms));
    case
}
