//! The validated configuration: what the rest of gate reads.
//!
//! Everything here has passed validation (ids, needs, kinds, durations), so
//! the planner and executor never see raw TOML. Strings that are interpolated
//! later (`[env]` values, a gate's `env` values and `cwd`) keep their source
//! span so a missing variable can point at the spot in the file.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

/// Byte range in the config file's text.
pub type Span = Range<usize>;

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

/// The config file as it was read: its path as found and its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as found (`-c` argument, `$GATE_CONFIG`, or the discovered file).
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    /// The directory commands run in (the config file's directory).
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }
}

/// A parsed and validated `gates.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: Source,
    pub settings: Settings,
    /// `[env]`, in file order; values not yet interpolated.
    pub env: Vec<EnvVar>,
    /// `[profiles.*]`, in file order.
    pub profiles: IndexMap<String, Profile>,
    /// `[gates.*]`, in file order.
    pub gates: Vec<Gate>,
}

/// `[settings]`, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Gates running at once; `None` means the number of CPUs.
    pub concurrency: Option<usize>,
    pub timeout: Duration,
    pub shell: Vec<String>,
    pub fail_fast: bool,
    pub output_lines: usize,
    pub kill_grace: Duration,
    pub redact: Vec<String>,
    pub require_manual: bool,
    /// `[settings.notify]`: a webhook told about the run.
    pub notify: Option<Notify>,
}

/// `[settings.notify]`: where to POST a summary of the run, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// The webhook URL, interpolated when the run starts.
    pub url: Located<String>,
    pub on: NotifyOn,
}

/// When the webhook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyOn {
    /// Only when the run fails (the default).
    Failure,
    Always,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: None,
            timeout: Duration::from_secs(600),
            shell: vec!["sh".into(), "-c".into()],
            fail_fast: false,
            output_lines: 40,
            kill_grace: Duration::from_secs(5),
            redact: Vec::new(),
            require_manual: false,
            notify: None,
        }
    }
}

/// The settings a profile may override; `None` leaves `[settings]` as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub concurrency: Option<usize>,
    pub timeout: Option<Duration>,
    pub shell: Option<Vec<String>>,
    pub fail_fast: Option<bool>,
    pub output_lines: Option<usize>,
    pub kill_grace: Option<Duration>,
    pub require_manual: Option<bool>,
}

/// `[profiles.NAME]`: a named selection plus settings overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub overrides: Overrides,
}

/// One `NAME = "value"` of `[env]` or of a gate's `env`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: Located<String>,
}

/// `block` (default) fails the run; `warn` never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Block,
    Warn,
}

/// What a gate checks: exactly one kind per gate.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `run = "..."`: a shell command, run with `settings.shell`.
    Command { run: String },
    /// `http = { ... }`: an HTTP request and what its response must show.
    Http(Box<Http>),
    /// `tls = { ... }`: the expiry of a server's certificate.
    Tls(Tls),
    /// `manual = true`: confirmed by a person with `--ack`.
    Manual,
}

/// `[gates.ID]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub id: String,
    /// Span of the gate's table header key (for errors about the gate as a whole).
    pub span: Span,
    /// Checklist text; the id when `name` is absent.
    pub name: String,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub check: Check,
    pub cwd: Option<Located<String>>,
    pub env: Vec<EnvVar>,
    pub requires: Vec<String>,
    /// `None`: the settings' (or profile's) timeout.
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub retry_delay: Duration,
    pub severity: Severity,
    /// Ids of gates that must pass first; all exist, no cycles.
    pub needs: Vec<String>,
}

/// `http = { ... }`. Strings are interpolated when the gate is planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Http {
    pub url: Located<String>,
    pub method: Located<String>,
    pub headers: Vec<(String, Located<String>)>,
    pub body: Option<Located<String>>,
    /// One request's timeout (a duration, maybe interpolated); `None`: the gate's timeout.
    pub timeout: Option<Located<String>>,
    pub follow_redirects: bool,
    pub insecure: bool,
    /// Requests sent in a row; `expect` is checked on the last.
    pub repeat: u32,
    pub expect: Expect,
}

/// `http.expect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub status: StatusRule,
    pub body_contains: Option<Located<String>>,
    /// A regex (after interpolation).
    pub body_matches: Option<Located<String>>,
    /// JSON pointer -> expected value; string values are interpolated too.
    pub json: Vec<(String, Located<serde_json::Value>)>,
    /// Lowercase header name -> regex its value must match.
    pub headers: Vec<(String, Located<String>)>,
    /// A duration, maybe interpolated.
    pub max_time: Option<Located<String>>,
}

/// Which response statuses pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRule {
    /// Any of these codes.
    Codes(Vec<u16>),
    /// A class: `2` for "2xx".
    Class(u16),
}

impl Default for StatusRule {
    fn default() -> Self {
        StatusRule::Class(2)
    }
}

/// `tls = { ... }`. Strings are interpolated when the gate is planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Tls {
    pub host: Located<String>,
    /// A number, or a string to interpolate (`"${TLS_PORT}"`).
    pub port: Located<String>,
    /// Fewest days the certificate must still be valid.
    pub min_days: u32,
    /// Check the expiry of a certificate that does not verify.
    pub insecure: bool,
}

impl Config {
    /// The index in `gates` of the gate with `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.gates.iter().position(|gate| gate.id == id)
    }
}

impl Gate {
    /// True for `manual = true` gates, which are confirmed, not executed.
    pub fn is_manual(&self) -> bool {
        matches!(self.check, Check::Manual)
    }
}

impl Check {
    /// The kind's name in reports: `command`, `http`, `tls` or `manual`.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Command { .. } => "command",
            Check::Http(_) => "http",
            Check::Tls(_) => "tls",
            Check::Manual => "manual",
        }
    }
}

impl Severity {
    /// `block` or `warn`, as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
        }
    }
}
