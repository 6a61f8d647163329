//! From a config and a command line to a plan: the selected gates in config
//! order, with their needs and `after` gates as indices, their environment
//! (`.env` files, `[env]`, the profile's and their own variables)
//! interpolated, their working directory resolved, and the effective
//! settings.
//!
//! Every error the user can make is found here, before anything runs.

mod env;
mod partition;
mod resolve;
mod select;

mod later;

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::check::Action;
use crate::check::manual::{self, Confirmation};
use crate::config::{Config, EnvVar, FileVar, Gate, Overrides, Settings, Source};
use crate::error::Error;
use crate::redact::Redactor;
use crate::service::PlannedService;
use crate::signoff::{Ledger, Standing};

pub use env::{GlobalEnv, WorkDir};
pub use resolve::{Later, Resolver};
pub use select::{Selection, check_acks};

/// The process environment, as a map (a snapshot, so that plans are testable).
pub type Environment = BTreeMap<String, String>;

/// What the command line (and what it reads) adds to the config.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The variables of the `.env` files, in the order read (a later one
    /// of a name wins).
    pub dotenv: Vec<FileVar>,
    pub selection: Selection,
    pub acks: Vec<String>,
    pub jobs: Option<usize>,
    pub fail_fast: Option<bool>,
    /// Shard `(K, N)` of a partitioned run, 1-based.
    pub partition: Option<(usize, usize)>,
    /// The sign-offs on record; `None`: none are consulted.
    pub signoffs: Option<Ledger>,
}

/// The gates to run and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `[settings]` with the profile's and the command line's overrides.
    pub settings: Settings,
    /// Gates running at once.
    pub concurrency: usize,
    /// The selected gates, in config order.
    pub steps: Vec<Arc<Step>>,
    /// Masks the secrets of this run's environment in every output.
    pub redactor: Arc<Redactor>,
    /// The variables set for every gate: those of `.env` files the process
    /// environment does not set, then `[env]` and the profile's, interpolated.
    pub env: GlobalEnv,
    /// Where gates and services run.
    pub workdir: WorkDir,
    /// The config file, for errors found when a gate is planned again.
    pub source: Source,
    /// The process environment the plan was made with.
    pub environment: Environment,
    /// The services the selected gates use, in config order.
    pub services: Vec<Arc<PlannedService>>,
    /// `[signoff] fields`, interpolated: the Markdown sign-off block's lines.
    pub signoff_fields: Vec<(String, String)>,
}

/// One selected gate, ready to execute.
#[derive(Debug, Clone)]
pub struct Step {
    pub gate: Arc<Gate>,
    /// What the gate does, its strings interpolated.
    pub action: Action,
    /// Indices into `Plan::steps` of the gates this one needs.
    pub needs: Vec<usize>,
    /// Indices into `Plan::steps` of the gates it starts after, whatever
    /// they end: its `after` gates that are selected and not in `needs`
    /// (which waits for them already).
    pub after: Vec<usize>,
    /// Variables set on top of gate's own environment: `[env]`, then the gate's `env`.
    pub env: Vec<(String, String)>,
    /// Where the command runs.
    pub cwd: PathBuf,
    /// The gate's timeout (its own, else the settings').
    pub timeout: Duration,
    /// How a manual gate is confirmed (for other gates: not at all).
    pub confirmation: Confirmation,
    /// A gate it needs captures values: it is planned again with them
    /// when it starts ([`Plan::replan`]).
    pub replan: bool,
    /// Indices into `Plan::services` of the services it uses.
    pub services: Vec<usize>,
}

impl Step {
    /// What the gate would do, in one line (`--dry-run`).
    pub fn describe(&self) -> String {
        match &self.action {
            Action::Probe(probe) => probe.describe(),
            Action::Manual => manual::describe(&self.confirmation),
        }
    }

    /// Where `program` is, looked up as the gate's command would: on the
    /// gate's PATH (its `env`, else gate's own), relative to its `cwd`.
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        let path = self
            .own_path()
            .map(Into::into)
            .or_else(|| std::env::var_os("PATH"));
        which::which_in(program, path, &self.cwd).ok()
    }

    /// The PATH the gate's `env` (or `[env]`) sets, when one does: the last.
    pub fn own_path(&self) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.as_str())
    }
}

impl Plan {
    /// Step `index` planned again with the values captured by the gates it
    /// needs (`captured`, the nearest last): interpolated in its strings and
    /// added to its environment, after `[env]` and before its own `env`.
    pub fn replan(&self, index: usize, captured: &[(String, String)]) -> Result<Step, Error> {
        let step = &self.steps[index];
        let resolved = resolve(
            (&self.source, &self.workdir),
            &step.gate,
            &self.env,
            captured,
            &self.environment,
            None,
        )?;
        Ok(Step {
            action: resolved.action,
            env: resolved.env,
            cwd: resolved.cwd,
            replan: false,
            ..Step::clone(step)
        })
    }

    /// Indices into `steps` of every gate step `index` starts after: its
    /// needs, its `after` gates, then the needs of the services it uses.
    pub fn waits_for(&self, index: usize) -> Vec<usize> {
        let step = &self.steps[index];
        let services = step.services.iter().map(|&s| &self.services[s]);
        let mut gates: Vec<usize> = step.needs.iter().chain(&step.after).copied().collect();
        for need in services.flat_map(|service| &service.needs) {
            if !gates.contains(need) {
                gates.push(*need);
            }
        }
        gates
    }

    /// Step indices in an order that runs every gate after what it waits
    /// for (config order where that leaves a choice): of the gates whose
    /// waits are over, always the first in config order.
    pub fn order(&self) -> Vec<usize> {
        let count = self.steps.len();
        let mut unblocks: Vec<Vec<usize>> = vec![Vec::new(); count];
        let mut waiting: Vec<usize> = (0..count)
            .map(|step| {
                let waits_for = self.waits_for(step);
                for &gate in &waits_for {
                    unblocks[gate].push(step);
                }
                waits_for.len()
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> = (0..count)
            .filter(|&step| waiting[step] == 0)
            .map(Reverse)
            .collect();
        let mut order = Vec::with_capacity(count);
        while let Some(Reverse(next)) = ready.pop() {
            order.push(next);
            for &step in &unblocks[next] {
                waiting[step] -= 1;
                if waiting[step] == 0 {
                    ready.push(Reverse(step));
                }
            }
        }
        assert_eq!(order.len(), count, "config validation rules out cycles");
        order
    }
}

/// Builds the plan for `config` as `options` ask, reading variables from `environment`.
pub fn build(config: &Config, options: &Options, environment: &Environment) -> Result<Plan, Error> {
    check_acks(config, &options.acks, "--ack")?;
    let selected = options.selection.resolve(config)?;
    let selected = match options.partition {
        Some((index, count)) => partition::shard(config, &selected, index, count),
        None => selected,
    };
    let settings = effective_settings(config, options)?;
    let profile = options.selection.profile(config)?;
    let global = env::global_env(config, profile, &options.dotenv, environment)?;
    let global_env = global.vars.as_slice();
    let workdir = WorkDir::of(config, global_env, environment)?;
    let upstream = later::Upstream::of(config);
    let services = plan_services(config, &selected, (&global, environment), &workdir)?;
    let mut services_of = services_of(selected.len(), &services);
    let steps = selected
        .iter()
        .enumerate()
        .map(|(position, &index)| {
            let gate = &config.gates[index];
            let context = StepContext {
                config,
                selected: &selected,
                global: &global,
                workdir: &workdir,
                environment,
                later: &upstream.captures(index),
                services: std::mem::take(&mut services_of[position]),
            };
            context.step(gate, &settings, options).map(Arc::new)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let signoff_fields = interpolate_env(
        &config.source,
        &config.signoff_fields,
        environment,
        global_env,
        Some("[signoff] fields"),
        None,
    )?;
    let concurrency = settings.concurrency.unwrap_or_else(default_concurrency);
    let set_vars = global_env
        .iter()
        .chain(steps.iter().flat_map(|step| &step.env))
        .chain(services.iter().flat_map(|service| &service.env));
    // Every file's variables, those the environment overrides too: a
    // secret of `.env` is one wherever it shows (`cat .env`).
    let files = options.dotenv.iter().map(|var| (&var.name, &var.value));
    let variables = environment
        .iter()
        .chain(set_vars.map(|(n, v)| (n, v)))
        .chain(files)
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let redactor = Arc::new(Redactor::new(&settings.redact, variables));
    Ok(Plan {
        settings,
        concurrency,
        steps,
        redactor,
        env: global,
        workdir,
        source: config.source.clone(),
        environment: environment.clone(),
        services,
        signoff_fields,
    })
}

/// The services the `selected` gates use, in config order, planned with
/// `[env]` and the process environment.
fn plan_services(
    config: &Config,
    selected: &[usize],
    (global, environment): (&GlobalEnv, &Environment),
    workdir: &WorkDir,
) -> Result<Vec<Arc<PlannedService>>, Error> {
    let global_env = global.vars.as_slice();
    let source = &config.source;
    let mut users_of = users_of_services(config, selected);
    let mut planned = Vec::new();
    for (service, users) in config.services.iter().zip(&mut users_of) {
        let users = std::mem::take(users);
        if users.is_empty() {
            continue;
        }
        let owner = format!("service `{}`", service.id);
        let own = interpolate_env(
            source,
            &service.env,
            environment,
            global_env,
            Some(&owner),
            None,
        )?;
        let env = [global_env, &own].concat();
        let origins = global.origins_for(source, &owner, &[], &service.env);
        let resolver =
            Resolver::new(source, environment, &env, Some(&owner)).with_origins(&origins);
        let needs = service
            .needs
            .iter()
            .filter_map(|id| position_in(config, selected, id))
            .collect();
        let service = service.plan(&resolver, env.clone(), (needs, users), workdir)?;
        planned.push(Arc::new(service));
    }
    Ok(planned)
}

/// Per service of `config`, the positions in `selected` of the gates that
/// use it (a gate lists each of its services once).
fn users_of_services(config: &Config, selected: &[usize]) -> Vec<Vec<usize>> {
    let mut users = vec![Vec::new(); config.services.len()];
    for (position, &gate) in selected.iter().enumerate() {
        let used = config.gates[gate].services.iter();
        for service in used.filter_map(|id| config.service_index_of(id)) {
            users[service].push(position);
        }
    }
    users
}

/// Per step of `count`, the indices into `services` of those it uses.
fn services_of(count: usize, services: &[Arc<PlannedService>]) -> Vec<Vec<usize>> {
    let mut used = vec![Vec::new(); count];
    for (index, service) in services.iter().enumerate() {
        for &user in &service.users {
            used[user].push(index);
        }
    }
    used
}

/// A redactor for errors found while planning, before the plan's own
/// exists: the secrets of the environment, of the `.env` files and of
/// `[env]` (with the profile's variables) as far as it can be interpolated.
pub fn error_redactor(config: &Config, options: &Options, environment: &Environment) -> Redactor {
    let profile = options.selection.profile(config).ok().flatten();
    env::error_redactor(config, profile, &options.dotenv, environment)
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

/// What planning one gate reads.
struct StepContext<'a> {
    config: &'a Config,
    selected: &'a [usize],
    global: &'a GlobalEnv,
    workdir: &'a WorkDir,
    environment: &'a Environment,
    /// The variables the gates it needs capture.
    later: &'a BTreeSet<String>,
    /// Indices into the plan's services of those it uses.
    services: Vec<usize>,
}

impl StepContext<'_> {
    fn step(
        &self,
        gate: &Arc<Gate>,
        settings: &Settings,
        options: &Options,
    ) -> Result<Step, Error> {
        let config = self.config;
        let used = Cell::new(false);
        let later = Later {
            names: self.later,
            used: &used,
        };
        let resolved = match resolve(
            (&config.source, self.workdir),
            gate,
            self.global,
            &[],
            self.environment,
            Some(later),
        ) {
            Ok(resolved) => resolved,
            // A value made of a captured one can only be checked once it is known.
            Err(_) if used.get() => Resolved {
                env: self.global.vars.clone(),
                cwd: self.workdir.default_dir().to_path_buf(),
                action: Action::Probe(Arc::new(later::Waiting)),
            },
            Err(error) => return Err(error),
        };
        let needs = self.positions(&gate.needs);
        let after = self
            .positions(&gate.after)
            .into_iter()
            .filter(|index| !needs.contains(index))
            .collect();
        Ok(Step {
            gate: Arc::clone(gate),
            action: resolved.action,
            needs,
            after,
            env: resolved.env,
            cwd: resolved.cwd,
            timeout: gate.timeout.unwrap_or(settings.timeout),
            confirmation: confirmation(gate, options),
            replan: !self.later.is_empty(),
            services: self.services.clone(),
        })
    }

    /// The positions in the plan of the selected gates among `ids`, in the
    /// order of `ids`; the others are left out.
    fn positions(&self, ids: &[String]) -> Vec<usize> {
        ids.iter()
            .filter_map(|id| position_in(self.config, self.selected, id))
            .collect()
    }
}

/// How `gate` is confirmed: by a sign-off on record or by `--ack`. Only a
/// manual gate is: a record naming an automated gate counts for nothing.
fn confirmation(gate: &Gate, options: &Options) -> Confirmation {
    let standing = options
        .signoffs
        .as_ref()
        .filter(|_| gate.is_manual())
        .map_or(Standing::Unsigned, |ledger| ledger.standing(&gate.id));
    Confirmation::of(options.acks.contains(&gate.id), standing)
}

/// A gate's values, resolved.
struct Resolved {
    env: Vec<(String, String)>,
    cwd: PathBuf,
    action: Action,
}

/// Resolves `gate`'s environment (`[env]`, then `captured`, then its own
/// `env`), working directory (in `workdir`) and check.
fn resolve(
    (source, workdir): (&Source, &WorkDir),
    gate: &Gate,
    global: &GlobalEnv,
    captured: &[(String, String)],
    environment: &Environment,
    later: Option<Later>,
) -> Result<Resolved, Error> {
    let mut env = global.vars.clone();
    env.extend_from_slice(captured);
    let owner = format!("gate `{}`", gate.id);
    let own = interpolate_env(source, &gate.env, environment, &env, Some(&owner), later)?;
    env.extend(own);
    let origins = global.origins_for(source, &owner, captured, &gate.env);
    let resolver = Resolver::new(source, environment, &env, Some(&owner))
        .with_later(later)
        .with_origins(&origins);
    let cwd = workdir.of_own(&resolver, gate.cwd.as_ref())?;
    let action = gate.check.plan(&resolver)?;
    Ok(Resolved { env, cwd, action })
}

/// Interpolates `vars` in order; each sees the process environment, `outer`,
/// and the variables before it.
/// `later` stands for the variables the gate's needs capture.
fn interpolate_env(
    source: &Source,
    vars: &[EnvVar],
    environment: &Environment,
    outer: &[(String, String)],
    owner: Option<&str>,
    later: Option<Later>,
) -> Result<Vec<(String, String)>, Error> {
    let mut done: Vec<(String, String)> = outer.to_vec();
    for var in vars {
        let resolver = Resolver::new(source, environment, &done, owner).with_later(later);
        let value = resolver.value(&var.value)?;
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
