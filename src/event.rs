//! The events of a run: the one contract between the executor, which emits
//! them, and the reporters, which only consume them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a gate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check held (an acked manual gate too).
    Passed,
    /// The command exited non-zero, or the probe's expectation did not hold.
    Failed,
    /// It ran past its timeout; a command's whole process group was killed.
    TimedOut,
    /// It could not be run.
    Error,
    /// A gate in its `needs` did not pass.
    Skipped,
    /// Fail-fast or an interrupt stopped it before or while it ran.
    Cancelled,
    /// A manual gate not acked.
    Pending,
}

impl Status {
    /// Every status, in the order reports count them.
    pub const ALL: [Status; 7] = [
        Status::Passed,
        Status::Failed,
        Status::TimedOut,
        Status::Error,
        Status::Skipped,
        Status::Cancelled,
        Status::Pending,
    ];

    /// The status as the reports spell it (`timed_out`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timed_out",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Cancelled => "cancelled",
            Status::Pending => "pending",
        }
    }

    /// Statuses that `retries` re-run and that trigger fail-fast.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Failed | Status::TimedOut | Status::Error)
    }
}

/// An expectation that did not hold, as data: what was checked, what was
/// expected, what was found, and where in the config the expectation is
/// written. Every report renders it; [`fmt::Display`] is its one-line form,
/// `expected status 200, got 503`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What was checked: `status`, `json /status`, `header server`, `output`.
    pub expect: String,
    /// What should have been found: `200`, `>= 0.999`, `absent`.
    pub expected: String,
    /// What was found: `503`, `0.9812`, `"Express"`.
    pub actual: String,
    /// Where the expectation is written: `gates.toml:12:44`.
    pub at: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Failure {
            expect,
            expected,
            actual,
            ..
        } = self;
        write!(f, "expected {expect} {expected}, got {actual}")
    }
}

impl Failure {
    /// The failure with `redact` applied to each of its texts.
    pub fn map_text(self, redact: impl Fn(&str) -> String) -> Failure {
        Failure {
            expect: redact(&self.expect),
            expected: redact(&self.expected),
            actual: redact(&self.actual),
            at: self.at,
        }
    }
}

/// The end of one gate.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    pub status: Status,
    /// Time spent on the gate, all attempts and retry delays included.
    pub duration: Duration,
    /// Runs made; 0 for gates that never ran.
    pub attempts: u32,
    /// The exit code of a command that exited by itself.
    pub exit_code: Option<i32>,
    /// Why the gate did not pass, in one line; `None` when it passed.
    pub reason: Option<String>,
    /// The expectations that did not hold (their join is `reason`).
    pub failures: Vec<Failure>,
    /// Tail of the combined output (commands) or a response summary (probes).
    pub output: String,
    /// Response time statistics of a `load` gate.
    pub stats: Option<Stats>,
    /// Values captured for the gates that need this one: (name, value).
    /// Never shown: they reach those gates only.
    pub captures: Vec<(String, String)>,
}

/// Response time statistics of a `load` gate, in whole milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    /// Requests that got no response or failed an expectation.
    pub errors: u64,
    pub p50_ms: u64,
    pub p90_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
    pub mean_ms: u64,
}

impl GateResult {
    /// A result for a gate that never ran.
    pub fn not_run(status: Status, reason: Option<String>) -> GateResult {
        GateResult {
            status,
            duration: Duration::ZERO,
            attempts: 0,
            exit_code: None,
            reason,
            failures: Vec::new(),
            output: String::new(),
            stats: None,
            captures: Vec::new(),
        }
    }
}

/// Something that happened during a run. `index` is the gate's index in the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An attempt of a gate began (`attempt` counts from 1).
    GateStarted { index: usize, attempt: u32 },
    /// A line of a gate's output (only when output is streamed).
    GateOutput { index: usize, line: String },
    /// A gate ended.
    GateFinished { index: usize, result: GateResult },
    /// SIGINT or SIGTERM arrived: running gates are being terminated.
    Interrupted,
    /// Service `service` (an index into the plan's services) can be used.
    ServiceReady {
        service: usize,
        ready_ms: u64,
        reused: bool,
    },
    /// Service `service` has stopped, or never became ready.
    ServiceEnded {
        service: usize,
        result: ServiceResult,
    },
}

/// How a service fared, as reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// gate started it and it became ready.
    Ready,
    /// It exited before it was ready, or was not ready in time.
    Failed,
    /// `reuse`: it was already up, so gate started nothing.
    Reused,
}

/// The end of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceResult {
    pub status: ServiceStatus,
    /// How long it took to become ready.
    pub ready_ms: Option<u64>,
    /// Why it failed, or what happened to it while in use.
    pub reason: Option<String>,
    /// The tail of its own output, secrets masked.
    pub output: String,
}

/// `duration` in whole milliseconds, as the events and reports write it.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
