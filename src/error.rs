//! The errors that stop gate before or outside a run, and their exit codes.
//!
//! A gate that fails is not an error: it is a result, reported and counted.
//! These are the usage and config errors (exit 2) and the rare I/O failure
//! writing a report.

use std::io;
use std::path::PathBuf;

use crate::config;
use crate::redact::Redactor;

/// Exit code: every blocking gate passed.
pub const EXIT_PASS: i32 = 0;
/// Exit code: a blocking gate did not pass.
pub const EXIT_FAIL: i32 = 1;
/// Exit code: usage or config error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: interrupted by SIGINT or SIGTERM.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Everything that makes gate stop with an error message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config could not be found, read or understood.
    #[error(transparent)]
    Config(#[from] config::Error),

    /// The command line names something the config does not have.
    #[error("error: {message}{}", hint.as_ref().map(|h| format!("\n  (hint: {h})")).unwrap_or_default())]
    Usage {
        message: String,
        hint: Option<String>,
    },

    /// A report file could not be written.
    #[error("error: cannot write {}: {source}", path.display())]
    WriteReport { path: PathBuf, source: io::Error },

    /// Another error, its text with the secrets masked.
    #[error("{text}")]
    Masked { text: String, code: i32 },

    /// The async runtime could not start.
    #[error("error: cannot start the runtime: {0}")]
    Runtime(io::Error),
}

impl Error {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage { .. } => EXIT_USAGE,
            Error::WriteReport { .. } | Error::Runtime(_) => EXIT_FAIL,
            Error::Masked { code, .. } => *code,
        }
    }

    /// This error with the secrets `redactor` knows masked in its text.
    pub fn masked(self, redactor: &Redactor) -> Error {
        Error::Masked {
            text: redactor.redact(&self.to_string()),
            code: self.code(),
        }
    }

    /// The error in one line, for a gate's reason: a config error as its
    /// message and where (`... (gates.toml:12:5)`).
    pub fn one_line(&self) -> String {
        match self {
            Error::Config(config::Error::Invalid(diagnostic)) => diagnostic.one_line(),
            other => {
                let text = other.to_string();
                let first = text.lines().next().unwrap_or_default();
                first.trim_start_matches("error: ").to_owned()
            }
        }
    }

    /// A usage error: `message`, with an optional hint.
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint,
        }
    }
}
