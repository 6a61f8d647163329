//! Why a config could not be found, read or accepted.
//!
//! The CLI turns every one of these into exit code 2.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::diagnostic::Diagnostic;

/// A config error.
///
/// `Display` is the complete message for the terminal, starting with
/// `error: ` like the rest of gate's errors (for [`Error::Invalid`], the
/// rendered diagnostic with its file position).
#[derive(Debug, Error)]
pub enum Error {
    /// No `-c`, no `$GATE_CONFIG`, and no `gates.toml` in `dir` or above.
    #[error(
        "error: no gates.toml found in {} or any of its parents\n  \
         (hint: pass -c FILE or set GATE_CONFIG)",
        dir.display()
    )]
    NotFound { dir: PathBuf },
    /// The config file could not be read.
    #[error("error: cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// A `.env` file could not be read.
    #[error("error: cannot read env file {}: {source}", path.display())]
    EnvFileRead { path: PathBuf, source: io::Error },
    /// A line of a `.env` file is not `NAME=value`; the line itself is not
    /// shown, as it may hold a secret.
    #[error(
        "error: cannot read {path}: line {line} is not `NAME=value` in dotenv syntax\n \
         --> {path}:{line}:{column}\n  (hint: quote a value with spaces or `#`: \
         NAME=\"a value\"; the line is not shown, as it may hold a secret)",
        path = path.display()
    )]
    EnvFileLine {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A `$` reference of a `.env` file that dotenv syntax reads otherwise
    /// than it is written; `what` and `hint` show no value.
    #[error(
        "error: cannot read {path}: {what}\n --> {path}:{line}:{column}\n  (hint: {hint})",
        path = path.display()
    )]
    EnvFileReference {
        path: PathBuf,
        line: usize,
        column: usize,
        what: String,
        hint: String,
    },
    /// A `.env` file is not UTF-8 text.
    #[error(
        "error: cannot read {path}: line {line} is not UTF-8\n --> {path}:{line}:{column}\n  \
         (hint: save the file as UTF-8)",
        path = path.display()
    )]
    EnvFileEncoding {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// The file was read but is not a valid config.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

#[cfg(test)]
impl Error {
    /// The diagnostic of an [`Error::Invalid`] (for the tests of the config module).
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Error::Invalid(diagnostic) => Some(diagnostic),
            _ => None,
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Self {
        Error::Invalid(Box::new(diagnostic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_directory_and_hints() {
        let error = Error::NotFound {
            dir: PathBuf::from("/srv/app"),
        };
        assert_eq!(
            error.to_string(),
            "error: no gates.toml found in /srv/app or any of its parents\n  \
             (hint: pass -c FILE or set GATE_CONFIG)"
        );
    }

    #[test]
    fn read_names_the_path() {
        let error = Error::Read {
            path: PathBuf::from("ci/gates.toml"),
            source: io::Error::new(io::ErrorKind::NotFound, "No such file or directory"),
        };
        assert_eq!(
            error.to_string(),
            "error: cannot read ci/gates.toml: No such file or directory"
        );
        assert!(error.diagnostic().is_none());
    }

    #[test]
    fn invalid_is_the_rendered_diagnostic() {
        let source = crate::config::Source::new(PathBuf::from("gates.toml"), "x = 1\n".into());
        let error = Error::from(source.diagnostic(0..1, "bad"));
        assert_eq!(
            error.to_string(),
            "error: bad\n --> gates.toml:1:1\n  |\n1 | x = 1\n  | ^"
        );
        assert_eq!(error.diagnostic().map(|d| d.line()), Some(1));
    }
}
