//! The TOML as written: a serde mirror of `gates.toml`.
//!
//! Every table denies unknown keys, and values that later errors point at
//! keep their span. Nothing is validated here beyond TOML types; see
//! `validate` for turning this into the model.

use indexmap::{IndexMap, IndexSet};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::model::Span;

use crate::check::{RawCheck, command, dns, http, manual, tcp, tls, ws};

/// A string with its position in the file.
pub type SpannedString = Spanned<String>;

/// `NAME = "value"` pairs, in file order.
pub type RawEnv = IndexMap<String, SpannedString>;

/// The whole file: gates.toml, the checklist of an automated pre-deploy gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The config version: 1, the one this gate reads (optional).
    #[schemars(with = "Option<i64>")]
    pub version: Option<Spanned<i64>>,
    /// How every gate runs: concurrency, timeouts, shell, secrets.
    #[serde(default)]
    pub settings: RawSettings,
    /// Variables added to the environment of every command and service, and
    /// seen by `${VAR}` everywhere: `NAME = "value"`, where a value may use
    /// `${VAR}` and `${VAR:-default}` (defaults nest). They come after the
    /// variables of `settings.env_file`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub env: RawEnv,
    /// Named selections and settings, chosen with `gate run --profile NAME`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawProfile>")]
    pub profiles: IndexMap<SpannedString, RawProfile>,
    /// Long-lived processes that gates probe, by id: started for the gates
    /// that list them in `services`, stopped after them.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, crate::service::Raw>")]
    pub services: IndexMap<SpannedString, crate::service::Raw>,
    /// The checklist's items, by id (lowercase letters, digits, `-` and `_`):
    /// each has exactly one check (`run`, `http`, `tls`, `tcp`, `ws`, `dns`
    /// or `manual = true`).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawGate>")]
    pub gates: IndexMap<SpannedString, RawGate>,
    /// The sign-off block that ends the Markdown report.
    #[serde(default)]
    pub signoff: RawSignoff,
}

/// `[signoff]`: the Markdown report's sign-off block.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Signoff")]
pub struct RawSignoff {
    /// `"Deployed by" = "${USER}"`: label and value, in file order.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub fields: RawEnv,
}

/// `[settings]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Settings")]
pub struct RawSettings {
    /// Gates running at once, at least 1 (default: the number of CPUs).
    #[schemars(with = "Option<i64>")]
    pub concurrency: Option<Spanned<i64>>,
    /// A gate's timeout when it sets none, like `"10m"` (default `"10m"`).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<SpannedString>,
    /// The program and arguments `run` is given to (default `["sh", "-c"]`).
    #[schemars(with = "Option<Vec<String>>")]
    pub shell: Option<Spanned<Vec<String>>>,
    /// On the first blocking failure, cancel the rest (default false).
    pub fail_fast: Option<bool>,
    /// Lines of a gate's output kept for the reports (default 40).
    pub output_lines: Option<usize>,
    /// How long a process group has between SIGTERM and SIGKILL, like `"5s"`.
    #[schemars(with = "Option<String>")]
    pub kill_grace: Option<SpannedString>,
    /// Variables whose values are masked in every output, besides those
    /// whose names contain TOKEN, SECRET, PASSWORD or API_KEY.
    pub redact: Option<Vec<String>>,
    /// A pending manual gate fails the run (default false).
    pub require_manual: Option<bool>,
    /// A webhook called with a summary when the run ends.
    pub notify: Option<RawNotify>,
    /// Files of `KEY=value` lines in dotenv syntax, relative to the config
    /// file, loaded before `[env]`; a file that does not exist is skipped,
    /// and the process environment wins over a file.
    pub env_file: Option<Vec<String>>,
    /// The working directory of every gate and service that sets no `cwd`,
    /// relative to the config file; `${VAR}` is interpolated.
    #[schemars(with = "Option<String>")]
    pub cwd: Option<SpannedString>,
}

/// `[settings.notify]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Notify")]
pub struct RawNotify {
    /// The http(s) URL the summary is POSTed to; interpolated when the run ends.
    #[schemars(with = "String")]
    pub url: SpannedString,
    /// When to call it: `"failure"` (default) or `"always"`.
    #[schemars(with = "Option<super::model::NotifyOn>")]
    pub on: Option<SpannedString>,
}

/// `[profiles.NAME]`: a selection plus the overridable settings keys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Profile")]
pub struct RawProfile {
    /// Only the gates with one of these tags (empty: all).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub tags: Vec<SpannedString>,
    /// Leave out the gates with one of these tags.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub skip_tags: Vec<SpannedString>,
    /// `settings.concurrency` for this profile.
    #[schemars(with = "Option<i64>")]
    pub concurrency: Option<Spanned<i64>>,
    /// `settings.timeout` for this profile.
    #[schemars(with = "Option<String>")]
    pub timeout: Option<SpannedString>,
    /// `settings.shell` for this profile.
    #[schemars(with = "Option<Vec<String>>")]
    pub shell: Option<Spanned<Vec<String>>>,
    /// `settings.fail_fast` for this profile.
    pub fail_fast: Option<bool>,
    /// `settings.output_lines` for this profile.
    pub output_lines: Option<usize>,
    /// `settings.kill_grace` for this profile.
    #[schemars(with = "Option<String>")]
    pub kill_grace: Option<SpannedString>,
    /// `settings.require_manual` for this profile.
    pub require_manual: Option<bool>,
    /// Variables this profile sets over `[env]`: a name `[env]` also sets
    /// takes this value in its place, other names are set before `[env]`
    /// (or right after the variables of `[env]` they use).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub env: RawEnv,
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "Gate",
    description = "`[gates.ID]`: an item of the checklist, with exactly one check: \
                   `run`, `http`, `tls`, `tcp`, `ws`, `dns` or `manual = true`."
)]
pub struct RawGate {
    /// The checklist's text for it (default: the id).
    pub name: Option<String>,
    /// The heading it is listed under in reports.
    pub section: Option<String>,
    /// Words that `--tag`, `--skip-tag` and profiles select it by, each once.
    #[serde(default)]
    #[schemars(with = "IndexSet<String>")]
    pub tags: Vec<SpannedString>,
    /// A shell command, run with `settings.shell`: it passes on exit 0, or
    /// as `expect` says.
    pub run: Option<command::Raw>,
    /// A `run` gate's expectations, beside `run`.
    #[schemars(with = "Option<command::RawExpect>")]
    pub expect: Option<Box<Spanned<command::RawExpect>>>,
    /// A `run` gate's exit codes that mean "could not check": `error`, not
    /// `failed`.
    #[schemars(with = "Option<Vec<i64>>")]
    pub error_codes: Option<Spanned<Vec<i64>>>,
    /// The variables a `run` gate writes to `$GATE_OUTPUT` as `NAME=value`
    /// lines, for the gates that need it.
    #[schemars(with = "Option<Vec<String>>")]
    pub outputs: Option<Spanned<Vec<SpannedString>>>,
    /// An HTTP probe: a request, and what its response must show.
    pub http: Option<Box<http::Raw>>,
    /// A TLS endpoint whose certificate must be valid for `min_days` more days.
    pub tls: Option<Box<tls::Raw>>,
    /// A TCP probe: a connection, an answer to what is sent, or a port that
    /// must be closed.
    pub tcp: Option<Box<tcp::Raw>>,
    /// A WebSocket probe: a handshake, and the first message.
    pub ws: Option<Box<ws::Raw>>,
    /// A DNS probe: the records of a name.
    pub dns: Option<Box<dns::Raw>>,
    /// A sign-off item: `true` leaves it pending until `gate ack ID`.
    pub manual: Option<manual::Raw>,
    /// The working directory of its command, relative to the config file;
    /// may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    pub cwd: Option<SpannedString>,
    /// Variables for this gate, over `[env]`: `NAME = "value"`, where a
    /// value may use `${VAR}`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub env: RawEnv,
    /// Programs that must be on PATH, each once, checked before it runs:
    /// `error` if not.
    #[serde(default)]
    #[schemars(with = "IndexSet<String>")]
    pub requires: Vec<SpannedString>,
    /// How long an attempt may take, like `"15m"` (default `settings.timeout`).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<SpannedString>,
    /// Attempts after one that ended `failed`, `timed_out` or `error` (default 0).
    pub retries: Option<u32>,
    /// The pause before a retry, like `"1s"` (default `"0s"`).
    #[schemars(with = "Option<String>")]
    pub retry_delay: Option<SpannedString>,
    /// `"block"` (default): its failure fails the run; `"warn"`: it never does.
    #[schemars(with = "Option<super::model::Severity>")]
    pub severity: Option<SpannedString>,
    /// Gates that must pass before it starts, each once; they come into
    /// the selection with it.
    #[serde(default)]
    #[schemars(with = "IndexSet<String>")]
    pub needs: Vec<SpannedString>,
    /// Gates that must have ended, whatever their status, before it starts,
    /// when they are selected; each once.
    #[serde(default)]
    #[schemars(with = "IndexSet<String>")]
    pub after: Vec<SpannedString>,
    /// The services it probes, started for it; each once.
    #[serde(default)]
    #[schemars(with = "IndexSet<String>")]
    pub services: Vec<SpannedString>,
    /// How many of the `-j` running slots the gate takes (default 1): a
    /// test suite that uses every core takes them all.
    #[schemars(with = "Option<i64>", range(min = 1))]
    pub slots: Option<Spanned<i64>>,
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
