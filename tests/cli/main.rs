//! Integration tests: each drives the real `gate` binary on a temporary config.

mod harness;

mod after;
mod captures;
mod ci;
mod commands;
mod config_errors;
mod dns;
mod example;
mod execution;
mod expectations;
mod http;
mod init;
mod init_from;
mod kinds;
mod leftovers;
mod load;
mod notify;
mod processes;
mod reports;
mod scale;
mod screens;
mod secrets;
mod selection;
mod servers;
mod services;
mod signoff;
mod tcp;
mod templates;
mod tls;
mod ws;

pub use harness::Test;
