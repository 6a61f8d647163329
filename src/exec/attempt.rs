//! One attempt of a gate's check, whatever its kind: what it is given (a
//! deadline, the stop level, where output lines go) and what it returns.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::leftovers::Tag;
use super::stop::{Stop, StopReceiver, reached};
use crate::check::Resources;
use crate::config::format_duration;
use crate::event::{Event, Failure, Stats, Status};
use crate::plan::Step;
use crate::redact::Redactor;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub status: Status,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    /// The expectations that did not hold; `reason` ends with their join.
    pub failures: Vec<Failure>,
    pub output: String,
    /// Statistics of a `load` gate (boxed: most attempts have none).
    pub stats: Option<Box<Stats>>,
    /// Values captured for the gates that need this one: (name, value).
    pub captures: Vec<(String, String)>,
}

impl Attempt {
    /// The check held.
    pub fn passed() -> Attempt {
        Attempt {
            status: Status::Passed,
            exit_code: None,
            reason: None,
            failures: Vec::new(),
            output: String::new(),
            stats: None,
            captures: Vec::new(),
        }
    }

    /// Ended with `status` for `reason`.
    pub fn new(status: Status, reason: String) -> Attempt {
        Attempt {
            status,
            reason: Some(reason),
            ..Attempt::passed()
        }
    }

    /// Could not be run, for `reason`.
    pub fn error(reason: String) -> Attempt {
        Attempt::new(Status::Error, reason)
    }

    /// Cut short by a timeout (`timeout` is the gate's) or a stop.
    pub fn interrupted(interruption: Interruption, timeout: Duration) -> Attempt {
        match interruption {
            Interruption::TimedOut => Attempt::new(
                Status::TimedOut,
                format!("timed out after {}", format_duration(timeout)),
            ),
            Interruption::Stopped => Attempt::new(Status::Cancelled, "cancelled".to_string()),
        }
    }

    /// The same attempt, with `output` as its output.
    pub fn with_output(self, output: String) -> Attempt {
        Attempt { output, ..self }
    }

    /// The same attempt with `failure` as the record of its reason, which
    /// says it in the kind's own words.
    pub fn with_record(self, failure: Failure) -> Attempt {
        Attempt {
            failures: vec![failure],
            ..self
        }
    }

    /// The same attempt with `failures` added: it failed, if it had not
    /// ended worse, and its reason ends with them, joined by `; `.
    pub fn with_failures(self, failures: Vec<Failure>) -> Attempt {
        if failures.is_empty() {
            return self;
        }
        let joined = failures.iter().map(Failure::to_string);
        let reason: Vec<String> = self.reason.into_iter().chain(joined).collect();
        Attempt {
            status: match self.status {
                Status::Passed => Status::Failed,
                worse => worse,
            },
            reason: Some(reason.join("; ")),
            failures: self.failures.into_iter().chain(failures).collect(),
            ..self
        }
    }
}

/// Why an attempt was cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// The gate's timeout passed.
    TimedOut,
    /// Fail-fast or an interrupt.
    Stopped,
}

/// Where a gate's output lines go when they are streamed live.
#[derive(Debug, Clone)]
pub struct LineSink {
    pub index: usize,
    pub events: mpsc::Sender<Event>,
}

impl LineSink {
    /// Sends one line of output as an event.
    pub async fn send(&self, line: String) {
        let event = Event::GateOutput {
            index: self.index,
            line,
        };
        let _ = self.events.send(event).await;
    }
}

/// What an attempt is given.
#[derive(Debug)]
pub struct AttemptContext<'a> {
    /// The gate: its environment, working directory and timeout.
    pub step: &'a Step,
    /// How commands are run (`settings.shell`).
    pub shell: &'a [String],
    /// What the checks of the run share.
    pub resources: &'a Resources,
    /// When the gate's timeout passes.
    pub deadline: Instant,
    /// The gate's timeout, for messages.
    pub timeout: Duration,
    pub stop: StopReceiver,
    pub kill_grace: Duration,
    /// Lines of output kept for the report.
    pub output_lines: usize,
    /// Set when output is streamed live.
    pub stream: Option<LineSink>,
    /// Masks secrets in the output kept for the report.
    pub redactor: Arc<Redactor>,
    /// The mark on the processes the attempt starts, to end what they leave.
    pub tag: &'a Tag,
}

impl AttemptContext<'_> {
    /// Resolves when the attempt must end early, and says why.
    pub async fn interrupted(&mut self) -> Interruption {
        tokio::select! {
            () = tokio::time::sleep_until(self.deadline) => Interruption::TimedOut,
            () = reached(&mut self.stop, Stop::Terminate) => Interruption::Stopped,
        }
    }

    /// Runs `check` until it ends or the attempt must end early: the gate's
    /// timeout (`timed_out`) or a stop (`cancelled`). A check whose own
    /// timeout ends with the gate's says so itself: it is polled first.
    pub async fn bounded(&mut self, check: impl Future<Output = Attempt>) -> Attempt {
        tokio::select! {
            biased;
            attempt = check => attempt,
            interruption = self.interrupted() => Attempt::interrupted(interruption, self.timeout),
        }
    }

    /// The limit of a check with its own `timeout` (`None`: the gate's):
    /// that long from now, unless the gate's deadline comes first, and then
    /// the gate's, so that a message names the timeout that ended it.
    pub fn limit(&self, timeout: Option<Duration>) -> Limit {
        let gate = Limit {
            deadline: self.deadline,
            timeout: self.timeout,
        };
        let own = timeout.map(|timeout| Limit {
            deadline: Instant::now() + timeout,
            timeout,
        });
        match own {
            Some(own) if own.deadline < self.deadline => own,
            _ => gate,
        }
    }
}

/// When a check must give up, and that time as a duration for messages.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub deadline: Instant,
    pub timeout: Duration,
}

impl Limit {
    /// The output of `future`, or `None` once the deadline has passed.
    pub async fn run<T>(&self, future: impl Future<Output = T>) -> Option<T> {
        tokio::time::timeout_at(self.deadline, future).await.ok()
    }

    /// `within 5s`, for messages.
    pub fn within(&self) -> String {
        format!("within {}", format_duration(self.timeout))
    }
}
