//! The TOML as written: a serde mirror of `gates.toml`.
//!
//! Every table denies unknown keys, and values that later errors point at
//! keep their span. Nothing is validated here beyond TOML types; see
//! `validate` for turning this into the model.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::model::Span;

use crate::check::{RawCheck, command, dns, http, manual, tcp, tls, ws};

/// A string with its position in the file.
pub type SpannedString = Spanned<String>;

/// `NAME = "value"` pairs, in file order.
pub type RawEnv = IndexMap<String, SpannedString>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub version: Option<Spanned<i64>>,
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub env: RawEnv,
    #[serde(default)]
    pub profiles: IndexMap<SpannedString, RawProfile>,
    #[serde(default)]
    pub services: IndexMap<SpannedString, crate::service::Raw>,
    #[serde(default)]
    pub gates: IndexMap<SpannedString, RawGate>,
    #[serde(default)]
    pub signoff: RawSignoff,
}

/// `[signoff]`: the Markdown report's sign-off block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignoff {
    /// `"Deployed by" = "${USER}"`: label and value, in file order.
    #[serde(default)]
    pub fields: RawEnv,
}

/// `[settings]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub concurrency: Option<Spanned<i64>>,
    pub timeout: Option<SpannedString>,
    pub shell: Option<Spanned<Vec<String>>>,
    pub fail_fast: Option<bool>,
    pub output_lines: Option<usize>,
    pub kill_grace: Option<SpannedString>,
    pub redact: Option<Vec<String>>,
    pub require_manual: Option<bool>,
    pub notify: Option<RawNotify>,
}

/// `[settings.notify]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub url: SpannedString,
    pub on: Option<SpannedString>,
}

/// `[profiles.NAME]`: a selection plus the overridable settings keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    #[serde(default)]
    pub tags: Vec<SpannedString>,
    #[serde(default)]
    pub skip_tags: Vec<SpannedString>,
    pub concurrency: Option<Spanned<i64>>,
    pub timeout: Option<SpannedString>,
    pub shell: Option<Spanned<Vec<String>>>,
    pub fail_fast: Option<bool>,
    pub output_lines: Option<usize>,
    pub kill_grace: Option<SpannedString>,
    pub require_manual: Option<bool>,
}

/// The settings keys a profile may override, borrowed from `[settings]` or a
/// profile so both are validated by the same code.
#[derive(Debug, Clone, Copy)]
pub struct RawOverrides<'a> {
    pub concurrency: Option<&'a Spanned<i64>>,
    pub timeout: Option<&'a SpannedString>,
    pub shell: Option<&'a Spanned<Vec<String>>>,
    pub fail_fast: Option<bool>,
    pub output_lines: Option<usize>,
    pub kill_grace: Option<&'a SpannedString>,
    pub require_manual: Option<bool>,
}

/// Borrows the overridable keys of a table that has all of them.
macro_rules! borrow_overrides {
    ($table:expr) => {
        RawOverrides {
            concurrency: $table.concurrency.as_ref(),
            timeout: $table.timeout.as_ref(),
            shell: $table.shell.as_ref(),
            fail_fast: $table.fail_fast,
            output_lines: $table.output_lines,
            kill_grace: $table.kill_grace.as_ref(),
            require_manual: $table.require_manual,
        }
    };
}

impl RawSettings {
    /// The keys of `[settings]` that a profile could also set.
    pub fn overrides(&self) -> RawOverrides<'_> {
        borrow_overrides!(self)
    }
}

impl RawProfile {
    /// The settings this profile overrides.
    pub fn overrides(&self) -> RawOverrides<'_> {
        borrow_overrides!(self)
    }
}

/// `[gates.ID]`. The kinds of check are separate optional keys, each read
/// by its kind's module; validation enforces exactly one. The tables of
/// the probes are boxed: a gate has one kind, and a config of thousands
/// of gates should not hold room for all of them in each.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGate {
    pub name: Option<String>,
    pub section: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub run: Option<command::Raw>,
    /// A `run` gate's expectations, beside `run`.
    pub expect: Option<Box<Spanned<command::RawExpect>>>,
    /// A `run` gate's exit codes that mean "could not check".
    pub error_codes: Option<Spanned<Vec<i64>>>,
    /// The variables a `run` gate writes to `$GATE_OUTPUT`.
    pub outputs: Option<Spanned<Vec<SpannedString>>>,
    pub http: Option<Box<http::Raw>>,
    pub tls: Option<Box<tls::Raw>>,
    pub tcp: Option<Box<tcp::Raw>>,
    pub ws: Option<Box<ws::Raw>>,
    pub dns: Option<Box<dns::Raw>>,
    pub manual: Option<manual::Raw>,
    pub cwd: Option<SpannedString>,
    #[serde(default)]
    pub env: RawEnv,
    #[serde(default)]
    pub requires: Vec<String>,
    pub timeout: Option<SpannedString>,
    pub retries: Option<u32>,
    pub retry_delay: Option<SpannedString>,
    pub severity: Option<SpannedString>,
    #[serde(default)]
    pub needs: Vec<SpannedString>,
    #[serde(default)]
    pub after: Vec<SpannedString>,
    /// The services it probes, started for it.
    #[serde(default)]
    pub services: Vec<SpannedString>,
}

impl RawGate {
    /// Every kind of check, by its key, with this gate's table for it when
    /// the gate has one. This list and the fields above are where the kinds
    /// are listed: a new kind adds its field and one line here.
    pub fn checks(&self) -> [(&'static str, Option<Box<dyn RawCheck + '_>>); 7] {
        fn boxed<T: RawCheck>(raw: &T) -> Box<dyn RawCheck + '_> {
            Box::new(raw)
        }
        let run = self.run.as_ref().map(|run| command::Keys {
            run,
            expect: self.expect.as_deref(),
            error_codes: self.error_codes.as_ref(),
            outputs: self.outputs.as_ref(),
        });
        [
            ("run", run.map(|keys| Box::new(keys) as _)),
            ("http", self.http.as_deref().map(boxed)),
            ("tls", self.tls.as_deref().map(boxed)),
            ("tcp", self.tcp.as_deref().map(boxed)),
            ("ws", self.ws.as_deref().map(boxed)),
            ("dns", self.dns.as_deref().map(boxed)),
            ("manual", self.manual.as_ref().filter(|m| m.0).map(boxed)),
        ]
    }

    /// The keys beside `run` that only a `run` gate has, with where the
    /// first one given is written.
    pub fn command_keys(&self) -> Option<(&'static str, Span)> {
        let keys = [
            ("expect", self.expect.as_deref().map(Spanned::span)),
            ("error_codes", self.error_codes.as_ref().map(Spanned::span)),
            ("outputs", self.outputs.as_ref().map(Spanned::span)),
        ];
        keys.into_iter().find_map(|(key, span)| Some((key, span?)))
    }
}
