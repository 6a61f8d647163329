//! gate: an automated pre-deploy gate.
//!
//! The pipeline is config -> plan -> exec -> events -> report: `config`
//! reads and validates gates.toml, `plan` selects the gates of a run,
//! `exec` runs them and emits `event`s, and `report` shows them.

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod error;
pub mod event;
pub mod exec;
pub mod init;
pub mod notify;
pub mod plan;
pub mod redact;
pub mod report;
pub mod service;
pub mod signoff;
pub mod whole_file;
pub mod words;

use clap::Parser;

/// Parses the command line, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(code) => code,
        Err(error) => {
            // A URL's password in the config is a secret too, even in the
            // line of gates.toml an error shows.
            eprintln!("{}", redact::Redactor::default().redact(&error.to_string()));
            error.code()
        }
    }
}
