//! Integration tests: each drives the real `gate` binary on a temporary config.

mod harness;

mod config_errors;
mod execution;
mod processes;
mod reports;
mod selection;

pub use harness::Test;
