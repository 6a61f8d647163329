//! Integration tests: each drives the real `gate` binary on a temporary config.

mod harness;

mod execution;

pub use harness::Test;
