//! One attempt of a gate's check, whatever its kind: what it is given (a
//! deadline, the stop level, where output lines go) and what it returns.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::stop::{Stop, StopReceiver, reached};
use crate::config::format_duration;
use crate::event::{Event, Status};
use crate::redact::Redactor;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub status: Status,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub output: String,
}

impl Attempt {
    /// The check held.
    pub fn passed() -> Attempt {
        Attempt {
            status: Status::Passed,
            exit_code: None,
            reason: None,
            output: String::new(),
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
pub struct AttemptContext {
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
}

impl AttemptContext {
    /// Resolves when the attempt must end early, and says why.
    pub async fn interrupted(&mut self) -> Interruption {
        tokio::select! {
            () = tokio::time::sleep_until(self.deadline) => Interruption::TimedOut,
            () = reached(&mut self.stop, Stop::Terminate) => Interruption::Stopped,
        }
    }
}
