//! The validated configuration: what the rest of gate reads.
//!
//! Everything here has passed validation (ids, needs, kinds, durations), so
//! the planner and executor never see raw TOML. Strings that are interpolated
//! later (`[env]` values, a gate's `env` values and `cwd`, the strings of its
//! check) are [`Template`]s, which keep their source span so a missing
//! variable can point at the spot in the file.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use super::template::Template;
use crate::check::http::HttpUrl;
use crate::check::{Check, manual};
pub use crate::service::Service;

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
    /// The text as read; the line starts below are its own.
    pub text: String,
    /// The byte offset where each line of `text` starts: a span's line is
    /// found by a binary search, not by counting the line breaks before it.
    line_starts: Vec<usize>,
}

impl Source {
    /// The config file at `path`, read as `text`.
    pub fn new(path: PathBuf, text: String) -> Source {
        let breaks = text.match_indices('\n').map(|(at, _)| at + 1);
        let line_starts = std::iter::once(0).chain(breaks).collect();
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// The 0-based line that byte `offset` of the text is on, and where that line starts.
    pub(super) fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        (line, self.line_starts[line])
    }

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
    /// `[services.*]`, in file order.
    pub services: Vec<Service>,
    /// `[gates.*]`, in file order.
    pub gates: Vec<Arc<Gate>>,
    /// `[signoff] fields`: label and value of each line of the Markdown
    /// report's sign-off block, in file order; values not yet interpolated.
    pub signoff_fields: Vec<EnvVar>,
    /// Where each gate and service is, by id.
    pub(super) index: Index,
}

/// Where each gate and service of a config is, by id: the indices into
/// [`Config::gates`] and [`Config::services`].
#[derive(Debug, Clone, Default)]
pub struct Index {
    gates: HashMap<String, usize>,
    services: HashMap<String, usize>,
}

impl Index {
    /// The index of `gates` and `services`.
    pub fn new(gates: &[Gate], services: &[Service]) -> Index {
        Index {
            gates: positions(gates.iter().map(|gate| &gate.id)),
            services: positions(services.iter().map(|service| &service.id)),
        }
    }

    /// The index of the gate with `id`.
    pub fn gate(&self, id: &str) -> Option<usize> {
        self.gates.get(id).copied()
    }

    /// The index of the service with `id`.
    pub fn service(&self, id: &str) -> Option<usize> {
        self.services.get(id).copied()
    }
}

/// Each of `ids` with its position.
fn positions<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.clone(), i)).collect()
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
    /// `.env` files, relative to the config file's directory, in the order given.
    pub env_files: Vec<PathBuf>,
    /// The working directory of gates and services that set none, relative
    /// to the config file's directory; `None`: that directory.
    pub cwd: Option<Template<String>>,
}

/// `[settings.notify]`: where to POST a summary of the run, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// The webhook URL, interpolated when the run ends.
    pub url: Template<HttpUrl>,
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
            env_files: Vec::new(),
            cwd: None,
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

/// `[profiles.NAME]`: a named selection plus settings overrides and variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub overrides: Overrides,
    /// `[profiles.NAME.env]`, in file order; values not yet interpolated.
    pub env: Vec<EnvVar>,
}

/// One `NAME = "value"` of `[env]`, of a gate's `env` or of `[signoff] fields`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: Template<String>,
}

/// `block` (default) fails the run; `warn` never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Block,
    Warn,
}

/// `[gates.ID]`.
#[derive(Debug, Clone)]
pub struct Gate {
    pub id: String,
    /// Span of the gate's table header key (for errors about the gate as a whole).
    pub span: Span,
    /// Checklist text; the id when `name` is absent.
    pub name: String,
    pub section: Option<String>,
    /// Each tag once.
    pub tags: Vec<String>,
    /// What it checks: exactly one kind per gate.
    pub check: Arc<dyn Check>,
    pub cwd: Option<Template<String>>,
    pub env: Vec<EnvVar>,
    /// Programs that must be on PATH, each once.
    pub requires: Vec<String>,
    /// `None`: the settings' (or profile's) timeout.
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub retry_delay: Duration,
    pub severity: Severity,
    /// Ids of gates that must pass first, each once; all exist, no cycles.
    pub needs: Vec<String>,
    /// Ids of gates that must have ended first, whatever their status, when
    /// they are selected, each once; all exist, no cycles (through `needs`
    /// either).
    pub after: Vec<String>,
    /// Ids of the services it uses, each once; all exist.
    pub services: Vec<String>,
    /// How many of the running slots (`-j`) it takes while it runs; at
    /// least 1.
    pub slots: usize,
}

impl Config {
    /// The index in `gates` of the gate with `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.gate(id)
    }

    /// The index in `services` of the service with `id`.
    pub fn service_index_of(&self, id: &str) -> Option<usize> {
        self.index.service(id)
    }

    /// The ids of the gates `gate` needs: its own needs, then those of the
    /// services it uses.
    pub fn needs_of<'a>(&'a self, gate: &'a Gate) -> impl Iterator<Item = &'a String> {
        needs_of(gate, &self.services, &self.index)
    }
}

/// The ids of the gates `gate` needs, with `services` (found by `index`):
/// its own needs, then those of the services it uses, in config order.
pub fn needs_of<'a>(
    gate: &'a Gate,
    services: &'a [Service],
    index: &Index,
) -> impl Iterator<Item = &'a String> {
    // The gate lists each service once; sorted, they are in config order.
    let mut used: Vec<usize> = gate
        .services
        .iter()
        .filter_map(|id| index.service(id))
        .collect();
    used.sort_unstable();
    let used = used.into_iter().map(|service| &services[service]);
    gate.needs
        .iter()
        .chain(used.flat_map(|service| &service.needs))
}

impl Gate {
    /// True for `manual = true` gates, which are confirmed, not executed.
    pub fn is_manual(&self) -> bool {
        self.check.kind() == manual::KIND
    }

    /// The ids of the gates it starts after: its `needs`, then its `after`.
    pub fn waits_for(&self) -> impl Iterator<Item = &str> {
        self.needs.iter().chain(&self.after).map(String::as_str)
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
