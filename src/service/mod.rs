//! `[services.NAME]`: a process gate starts for the gates that use it (an
//! API under test, a database), waits for until it is ready, and stops once
//! they have ended. Its keys, validation and planned form are here; running
//! one is [`process`].

pub mod process;
pub mod ready;

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use toml::Spanned;

use crate::config::values::Ids;
use crate::config::{
    Diagnostic, EnvVar, RawEnv, Source, Span, SpannedString, Template, Timeout, schema, template,
    values,
};
use crate::error::Error;
use crate::plan::{Resolver, WorkDir};
use ready::{RawReady, Ready, ReadyProbe};

/// `ready_timeout` when none is given.
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The signals `stop_signal` may name.
const SIGNALS: [(&str, i32); 6] = [
    ("SIGTERM", libc::SIGTERM),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGHUP", libc::SIGHUP),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
];

/// `stop_signal` in the schema of gates.toml: one of `SIGNALS`.
pub struct StopSignal;

impl JsonSchema for StopSignal {
    fn schema_name() -> Cow<'static, str> {
        "StopSignal".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema::words(&SIGNALS)
    }
}

/// `[services.NAME]` as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
pub struct Raw {
    /// The shell command that starts it, run with `settings.shell`; may use `${VAR}`.
    #[schemars(with = "String")]
    run: SpannedString,
    /// Its working directory, relative to the config file; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    cwd: Option<SpannedString>,
    /// Variables for it, over `[env]`: `NAME = "value"`, where a value may
    /// use `${VAR}`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    env: RawEnv,
    /// Gates that must pass before it starts.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    needs: Vec<SpannedString>,
    /// How to tell it is ready: exactly one of `http`, `tcp`, `log` (default:
    /// ready once started).
    #[schemars(with = "Option<RawReady>")]
    ready: Option<Spanned<RawReady>>,
    /// How long it may take to be ready, like `"60s"` (default `"30s"`).
    #[schemars(with = "Option<String>")]
    ready_timeout: Option<SpannedString>,
    /// The signal that stops it, then `kill_grace`, then SIGKILL (default `SIGTERM`).
    #[schemars(with = "Option<StopSignal>")]
    stop_signal: Option<SpannedString>,
    /// When `ready` holds already, start nothing and use what runs (default false).
    #[schemars(with = "Option<bool>")]
    reuse: Option<Spanned<bool>>,
}

/// A validated `[services.NAME]`; strings are resolved when it is planned.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    /// Where its table header names it.
    pub span: Span,
    /// As written: like a gate's `run`, never interpolated (the shell
    /// expands `$VAR` from its environment), so no value is spliced into
    /// shell code.
    pub run: String,
    pub cwd: Option<Template<String>>,
    pub env: Vec<EnvVar>,
    /// Gates that must pass before it starts.
    pub needs: Vec<String>,
    /// `None`: ready as soon as it has started.
    pub ready: Option<Ready>,
    pub ready_timeout: ReadyTimeout,
    pub stop_signal: i32,
    pub reuse: bool,
}

/// `ready_timeout`, and how it is written, for the reason that names it
/// (`not ready after 60s`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadyTimeout {
    pub duration: Duration,
    pub text: String,
}

/// A service as one run starts it: its strings resolved, its needs and the
/// gates that use it as step indices.
#[derive(Debug, Clone)]
pub struct PlannedService {
    pub id: String,
    pub run: String,
    pub cwd: PathBuf,
    /// Variables set on top of gate's own environment: `[env]`, then its `env`.
    pub env: Vec<(String, String)>,
    pub needs: Vec<usize>,
    /// The selected gates that list it in `services`.
    pub users: Vec<usize>,
    pub ready: Option<ReadyProbe>,
    pub ready_timeout: ReadyTimeout,
    pub stop_signal: i32,
    pub reuse: bool,
}

/// Every `[services.*]` table, in file order; `needs` entries name gates of `gate_ids`.
pub fn load_all<'a>(
    source: &Source,
    raw: impl IntoIterator<Item = (&'a SpannedString, &'a Raw)>,
    gate_ids: &Ids,
) -> Result<Vec<Service>, Diagnostic> {
    raw.into_iter()
        .map(|(id, raw)| raw.load(source, id, gate_ids))
        .collect()
}

impl Raw {
    fn load(
        &self,
        source: &Source,
        id: &SpannedString,
        gate_ids: &Ids,
    ) -> Result<Service, Diagnostic> {
        let owner = format!("service `{}`", id.get_ref());
        let ready = self
            .ready
            .as_ref()
            .map(|ready| RawReady::load(source, ready))
            .transpose()?;
        let reuse = self.reuse.as_ref().filter(|reuse| *reuse.get_ref());
        if let Some(reuse) = reuse.filter(|_| ready.as_ref().is_none_or(Ready::is_log)) {
            return Err(source.diagnostic(
                reuse.span(),
                "`reuse = true` needs `ready.http` or `ready.tcp`: gate probes them to find a \
                 service that already runs",
            ));
        }
        Ok(Service {
            id: id.get_ref().clone(),
            span: id.span(),
            run: self.run.get_ref().clone(),
            cwd: Template::optional(source, self.cwd.as_ref())?,
            env: values::env_vars(source, &self.env)?,
            needs: self
                .needs
                .iter()
                .map(|need| {
                    values::reference(source, (&owner, "needs"), ("gate", need), gate_ids)?;
                    Ok(need.get_ref().clone())
                })
                .collect::<Result<_, _>>()?,
            ready,
            ready_timeout: match &self.ready_timeout {
                Some(timeout) => ReadyTimeout {
                    duration: template::parse::<Timeout>(source, timeout)?.0,
                    text: timeout.get_ref().clone(),
                },
                None => ReadyTimeout {
                    duration: DEFAULT_READY_TIMEOUT,
                    text: "30s".to_owned(),
                },
            },
            stop_signal: match &self.stop_signal {
                Some(signal) => values::choice(source, "stop_signal", signal, &SIGNALS)?,
                None => libc::SIGTERM,
            },
            reuse: reuse.is_some(),
        })
    }
}

impl Service {
    /// This service for one run: strings resolved with `resolver` (which
    /// knows `[env]`), `env` its interpolated variables, needs and users as
    /// step indices, run in its `cwd` or `workdir`'s default.
    pub fn plan(
        &self,
        resolver: &Resolver,
        env: Vec<(String, String)>,
        (needs, users): (Vec<usize>, Vec<usize>),
        workdir: &WorkDir,
    ) -> Result<PlannedService, Error> {
        Ok(PlannedService {
            id: self.id.clone(),
            run: self.run.clone(),
            cwd: workdir.of_own(resolver, self.cwd.as_ref())?,
            env,
            needs,
            users,
            ready: self.ready.as_ref().map(|r| r.plan(resolver)).transpose()?,
            ready_timeout: self.ready_timeout.clone(),
            stop_signal: self.stop_signal,
            reuse: self.reuse,
        })
    }
}

impl PlannedService {
    /// What `--dry-run` and `gate list` say of it.
    pub fn describe(&self) -> String {
        let ready = match &self.ready {
            Some(ready) => format!(", ready on {}", ready.describe()),
            None => String::new(),
        };
        let reuse = if self.reuse { ", reused when up" } else { "" };
        format!("`{}`{ready}{reuse}", self.run)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::testing::{assert_invalid, valid};

    const GATES: &str = "[gates.migrate]\nrun = \"true\"\n";

    #[test]
    fn defaults() {
        let config = valid(&format!("[services.api]\nrun = \"serve\"\n{GATES}"));
        let service = &config.services[0];
        assert_eq!(service.id, "api");
        assert_eq!(service.run, "serve");
        assert!(service.ready.is_none() && service.needs.is_empty() && !service.reuse);
        assert_eq!(service.ready_timeout.duration, Duration::from_secs(30));
        assert_eq!(service.stop_signal, libc::SIGTERM);
    }

    #[test]
    fn every_key() {
        let text = format!(
            "[services.api]\nrun = \"uvicorn main:app\"\ncwd = \"backend\"\n\
             env = {{ ENVIRONMENT = \"test\" }}\nneeds = [\"migrate\"]\n\
             ready = {{ http = \"http://127.0.0.1:8000/health\" }}\nready_timeout = \"1m\"\n\
             stop_signal = \"SIGINT\"\nreuse = true\n{GATES}\
             [gates.health]\nservices = [\"api\"]\nrun = \"true\"\n"
        );
        let config = valid(&text);
        let service = &config.services[0];
        assert_eq!(service.cwd.as_ref().map(|c| c.text()), Some("backend"));
        assert_eq!(service.env[0].name, "ENVIRONMENT");
        assert_eq!(service.needs, ["migrate"]);
        assert_eq!(service.ready_timeout.duration, Duration::from_secs(60));
        assert_eq!(service.ready_timeout.text, "1m");
        assert_eq!(service.stop_signal, libc::SIGINT);
        assert!(service.reuse);
        assert_eq!(config.gates[1].services, ["api"]);
    }

    #[test]
    fn a_gate_naming_an_unknown_service_gets_the_closest() {
        let text = format!(
            "[services.api]\nrun = \"serve\"\n{GATES}[gates.health]\nservices = [\"apii\"]\nrun = \"true\"\n"
        );
        let message = "gate `health` uses `apii`, which is not a service; did you mean `api`?";
        assert_invalid(&text, message, 6, 13);
    }

    #[test]
    fn a_service_needing_an_unknown_gate_gets_the_closest() {
        let text = format!("[services.api]\nrun = \"serve\"\nneeds = [\"migrat\"]\n{GATES}");
        let message = "service `api` needs `migrat`, which is not a gate; did you mean `migrate`?";
        assert_invalid(&text, message, 3, 10);
    }

    #[test]
    fn reuse_needs_a_probe_it_can_ask_before_starting() {
        for ready in ["", "ready = { log = \"up\" }\n"] {
            let text = format!("[services.api]\nrun = \"serve\"\n{ready}reuse = true\n");
            let line = if ready.is_empty() { 3 } else { 4 };
            let message = "`reuse = true` needs `ready.http` or `ready.tcp`: gate probes them to \
                           find a service that already runs";
            assert_invalid(&text, message, line, 9);
        }
    }

    #[test]
    fn ready_takes_exactly_one_check() {
        let text = "[services.api]\nrun = \"serve\"\nready = {}\n";
        assert_invalid(text, "`ready` needs one of `http`, `tcp` or `log`", 3, 9);
        let text =
            "[services.api]\nrun = \"serve\"\nready = { tcp = \"127.0.0.1:1\", log = \"x\" }\n";
        let message = "`ready` has two checks (`tcp` and `log`): keep one";
        assert_invalid(text, message, 3, 9);
        let text = "[services.api]\nrun = \"serve\"\nready = { tcp = \"127.0.0.1\" }\n";
        let message =
            "invalid address `127.0.0.1`: expected host:port (`127.0.0.1:8000`, `[::1]:5432`)";
        assert_invalid(text, message, 3, 17);
    }

    #[test]
    fn a_stop_signal_is_one_gate_knows() {
        let text = "[services.api]\nrun = \"serve\"\nstop_signal = \"SIGTREM\"\n";
        let diagnostic = crate::config::testing::invalid(text);
        assert!(
            diagnostic.message().contains("did you mean `SIGTERM`?"),
            "{diagnostic}"
        );
    }

    #[test]
    fn a_cycle_through_a_service_is_refused() {
        let text = "[services.api]\nrun = \"serve\"\nneeds = [\"a\"]\n\
                    [gates.a]\nservices = [\"api\"]\nrun = \"true\"\n";
        let diagnostic = crate::config::testing::invalid(text);
        assert_eq!(
            diagnostic.message(),
            "needs cycle: a -> a (through the needs of service `api`)"
        );
    }

    #[test]
    fn service_ids_follow_the_rules_of_gate_ids() {
        let text = "[services.Api]\nrun = \"serve\"\n";
        let diagnostic = crate::config::testing::invalid(text);
        assert!(
            diagnostic.message().starts_with("invalid service id `Api`"),
            "{diagnostic}"
        );
    }
}
