//! The kinds of check a gate can make: `run` (a command), `http`, `tls`,
//! `tcp`, `ws`, `dns` and `manual`.
//!
//! A kind is one module here, and it holds all of itself:
//!
//! - its raw keys: a serde mirror of its table (or value) in gates.toml, which
//!   implements [`RawCheck`];
//! - its validation: [`RawCheck::load`] turns the raw keys into a [`Check`],
//!   values that may be interpolated kept as
//!   [`Template`](crate::config::Template)s and parsed by the same code now
//!   (literal) or when planned (interpolated);
//! - its planned form: [`Check::plan`] resolves the templates into a
//!   [`Probe`], ready to run;
//! - its execution: [`Probe::attempt`] runs it once and says how it ended,
//!   and [`Probe::describe`] says what it would do (`--dry-run`).
//!
//! The config, the planner, the executor and the reports only see these
//! traits. Adding a kind of check is a new module here and one arm where the
//! kinds are listed: a field for its key in `RawGate` and its entry in
//! `RawGate::checks`, side by side in `src/config/raw.rs`.

pub mod capture;
pub mod command;
pub mod dns;
pub mod expect;
pub mod http;
pub mod manual;
pub mod net;
pub mod predicate;
pub mod tcp;
pub mod tls;
pub mod ws;

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::config::{Diagnostic, Source};
use crate::error::Error;
use crate::exec::{Attempt, AttemptContext};
use crate::plan::Resolver;

/// The raw keys of one kind of check, as read from a gate's table.
pub trait RawCheck {
    /// The validated check, or the first mistake in the keys.
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic>;
}

impl<T: RawCheck> RawCheck for &T {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        (**self).load(source)
    }
}

/// A validated check of one kind; strings that may be interpolated are
/// still templates.
pub trait Check: Debug + Send + Sync {
    /// The kind's name in reports and `gate list`: `command`, `http`, ...
    fn kind(&self) -> &'static str;

    /// The variables it captures for the gates that need it (`capture`,
    /// `outputs`).
    fn captures(&self) -> Vec<String> {
        Vec::new()
    }

    /// What the gate does in this run, its templates resolved by `resolver`.
    fn plan(&self, resolver: &Resolver) -> Result<Action, Error>;
}

/// What a planned gate does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Runs a check.
    Probe(Arc<dyn Probe>),
    /// Waits for a person's confirmation: never executed.
    Manual,
}

/// A planned check, its values resolved: what the executor runs.
pub trait Probe: Debug + Send + Sync {
    /// One line for `--dry-run`: `$ cargo test`, `GET https://...`.
    fn describe(&self) -> String;

    /// Runs the check once, within the context's deadline and stop.
    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt>;
}

/// The future of an attempt.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the checks of one run share: connection pools, made once.
#[derive(Debug, Default)]
pub struct Resources {
    /// HTTP clients, for probes and the webhook.
    pub http: http::Clients,
}
