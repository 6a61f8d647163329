//! From a config and a command line to a plan: the selected gates in config
//! order, with their needs as indices, their environment interpolated, their
//! working directory resolved, and the effective settings.
//!
//! Every error the user can make is found here, before anything runs.

mod partition;
mod resolve;
mod select;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::check::{Action, manual};
use crate::config::{Config, EnvVar, Gate, Overrides, Settings, interpolate};
use crate::error::Error;
use crate::redact::Redactor;

pub use resolve::Resolver;
pub use select::{Selection, check_acks};

/// The process environment, as a map (a snapshot, so that plans are testable).
pub type Environment = BTreeMap<String, String>;

/// What the command line adds to the config.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub selection: Selection,
    pub acks: Vec<String>,
    pub jobs: Option<usize>,
    pub fail_fast: Option<bool>,
    /// Shard `(K, N)` of a partitioned run, 1-based.
    pub partition: Option<(usize, usize)>,
}

/// The gates to run and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `[settings]` with the profile's and the command line's overrides.
    pub settings: Settings,
    /// Gates running at once.
    pub concurrency: usize,
    /// The selected gates, in config order.
    pub steps: Vec<Step>,
    /// Masks the secrets of this run's environment in every output.
    pub redactor: Arc<Redactor>,
    /// `[env]`, interpolated.
    pub env: Vec<(String, String)>,
}

/// One selected gate, ready to execute.
#[derive(Debug, Clone)]
pub struct Step {
    pub gate: Gate,
    /// What the gate does, its strings interpolated.
    pub action: Action,
    /// Indices into `Plan::steps` of the gates this one needs.
    pub needs: Vec<usize>,
    /// Variables set on top of gate's own environment: `[env]`, then the gate's `env`.
    pub env: Vec<(String, String)>,
    /// Where the command runs.
    pub cwd: PathBuf,
    /// The gate's timeout (its own, else the settings').
    pub timeout: Duration,
    /// A manual gate confirmed with `--ack`.
    pub acked: bool,
}

impl Step {
    /// What the gate would do, in one line (`--dry-run`).
    pub fn describe(&self) -> String {
        match &self.action {
            Action::Probe(probe) => probe.describe(),
            Action::Manual => manual::describe(self.acked),
        }
    }

    /// Where `program` is, looked up as the gate's command would: on the
    /// gate's PATH (its `env`, else gate's own), relative to its `cwd`.
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        let path = self
            .env
            .iter()
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.into())
            .or_else(|| std::env::var_os("PATH"));
        which::which_in(program, path, &self.cwd).ok()
    }
}

impl Plan {
    /// Step indices in an order that runs every gate after its needs (config
    /// order where the needs leave a choice).
    pub fn order(&self) -> Vec<usize> {
        let mut done = vec![false; self.steps.len()];
        let mut order = Vec::with_capacity(self.steps.len());
        while order.len() < self.steps.len() {
            let next = (0..self.steps.len())
                .find(|&i| !done[i] && self.steps[i].needs.iter().all(|&n| done[n]))
                .expect("config validation rules out needs cycles");
            done[next] = true;
            order.push(next);
        }
        order
    }
}

/// Builds the plan for `config` as `options` ask, reading variables from `environment`.
pub fn build(config: &Config, options: &Options, environment: &Environment) -> Result<Plan, Error> {
    check_acks(config, &options.acks)?;
    let selected = options.selection.resolve(config)?;
    let selected = match options.partition {
        Some((index, count)) => partition::shard(config, &selected, index, count),
        None => selected,
    };
    let settings = effective_settings(config, options)?;
    let global_env = interpolate_env(config, &config.env, environment, &[], None)?;
    let steps = selected
        .iter()
        .map(|&index| {
            let gate = &config.gates[index];
            step(
                config,
                gate,
                &selected,
                &global_env,
                environment,
                &settings,
                options,
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let concurrency = settings.concurrency.unwrap_or_else(default_concurrency);
    let variables = environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(
            steps
                .iter()
                .flat_map(|step| step.env.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        );
    let redactor = Arc::new(Redactor::new(&settings.redact, variables));
    Ok(Plan {
        settings,
        concurrency,
        steps,
        redactor,
        env: global_env,
    })
}

/// A redactor for errors found while planning, before the plan's own
/// exists: the secrets of the environment and of `[env]` as far as it can
/// be interpolated.
pub fn error_redactor(config: &Config, environment: &Environment) -> Redactor {
    let mut variables: Vec<(String, String)> = environment
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    for var in &config.env {
        let lookup = |name: &str| {
            variables
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if let Ok(value) = interpolate(var.value.text(), lookup) {
            variables.push((var.name.clone(), value));
        }
    }
    Redactor::new(
        &config.settings.redact,
        variables.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    )
}

fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn effective_settings(config: &Config, options: &Options) -> Result<Settings, Error> {
    let mut settings = config.settings.clone();
    if let Some(profile) = options.selection.profile(config)? {
        settings.apply(&profile.overrides);
    }
    let command_line = Overrides {
        concurrency: options.jobs,
        fail_fast: options.fail_fast,
        ..Overrides::default()
    };
    settings.apply(&command_line);
    settings.shell[0] = resolve_program(&settings.shell[0]);
    Ok(settings)
}

/// The shell's path, looked up on PATH once rather than at every spawn;
/// as written when it is not found (starting a gate then says so).
fn resolve_program(program: &str) -> String {
    which::which(program).map_or_else(|_| program.to_owned(), |path| path.display().to_string())
}

fn step(
    config: &Config,
    gate: &Gate,
    selected: &[usize],
    global_env: &[(String, String)],
    environment: &Environment,
    settings: &Settings,
    options: &Options,
) -> Result<Step, Error> {
    let mut env = global_env.to_vec();
    env.extend(interpolate_env(
        config,
        &gate.env,
        environment,
        global_env,
        Some(&gate.id),
    )?);
    let resolver = Resolver::new(config, environment, &env, Some(&gate.id));
    let cwd = match &gate.cwd {
        Some(cwd) => config.source.dir().join(resolver.value(cwd)?),
        None => config.source.dir().to_path_buf(),
    };
    let action = gate.check.plan(&resolver)?;
    let needs = gate
        .needs
        .iter()
        .filter_map(|id| position_in(config, selected, id))
        .collect();
    Ok(Step {
        gate: gate.clone(),
        action,
        needs,
        env,
        cwd,
        timeout: gate.timeout.unwrap_or(settings.timeout),
        acked: options.acks.contains(&gate.id),
    })
}

/// Interpolates `vars` in order; each sees the process environment, `outer`,
/// and the variables before it.
fn interpolate_env(
    config: &Config,
    vars: &[EnvVar],
    environment: &Environment,
    outer: &[(String, String)],
    gate: Option<&str>,
) -> Result<Vec<(String, String)>, Error> {
    let mut done: Vec<(String, String)> = outer.to_vec();
    for var in vars {
        let value = Resolver::new(config, environment, &done, gate).value(&var.value)?;
        done.push((var.name.clone(), value));
    }
    Ok(done.split_off(outer.len()))
}

/// The position in `selected` (config indices, ascending) of the gate with `id`.
fn position_in(config: &Config, selected: &[usize], id: &str) -> Option<usize> {
    config
        .index_of(id)
        .and_then(|index| selected.binary_search(&index).ok())
}
