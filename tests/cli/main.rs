//! Integration tests: each drives the real `gate` binary on a temporary config.

mod harness;

mod after;
mod captures;
mod ci;
mod commands;
mod config_errors;
mod dns;
mod environments;
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
mod report_files;
mod reports;
mod scale;
mod schema;
mod screens;
mod secrets;
mod selection;
mod servers;
mod services;
mod signoff;
mod slots;
mod tcp;
mod templates;
mod tls;
mod ws;

pub use harness::Test;
