//! The variables gate sets for every gate and service of a run, and where
//! they run: the variables of `.env` files that the process environment
//! does not set, then `[env]` with the profile's variables over it; the
//! working directory `settings.cwd` gives those that set none.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Environment, Resolver};
use crate::config::interpolate::variables;
use crate::config::{Config, EnvVar, FileVar, Profile, Source, Template, interpolate};
use crate::error::Error;
use crate::redact::Redactor;

/// The variables set for every gate, interpolated, in the order they are
/// set (a later one of a name wins), and where each name's value was set.
#[derive(Debug, Clone, Default)]
pub struct GlobalEnv {
    pub vars: Vec<(String, String)>,
    /// Name -> where its value was set.
    pub origins: Origins,
}

/// Where the variables of a run's environment were set, by name.
pub type Origins = BTreeMap<String, Origin>;

/// Where a variable of the run's environment was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file or table: `.env`, `[env]`, `[profiles.staging.env]`.
    pub table: String,
    /// Where gates.toml writes the value (`gates.toml:3:11`); none for a file's.
    pub place: Option<String>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{} at {place}", self.table),
            None => f.write_str(&self.table),
        }
    }
}

impl GlobalEnv {
    /// Each name once, with its value (the last one set) and where it was
    /// set, in the order the names were first set.
    pub fn effective(&self) -> Vec<(&str, &str, &Origin)> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.vars {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .map(|name| {
                let value = self.vars.iter().rev().find(|(n, _)| n == name);
                let value = value.map_or("", |(_, value)| value.as_str());
                (name, value, &self.origins[name])
            })
            .collect()
    }
}

impl GlobalEnv {
    /// Where the variables that the values of `owner` (`gate `x``,
    /// `service `api``) read were set: as in this environment, but for the
    /// names `captured` sets, and `own` (its `env`) where it writes them.
    pub fn origins_for(
        &self,
        source: &Source,
        owner: &str,
        captured: &[(String, String)],
        own: &[EnvVar],
    ) -> Origins {
        let mut origins = self.origins.clone();
        for (name, _) in captured {
            origins.remove(name);
        }
        for var in own {
            let origin = Origin {
                table: format!("the env of {owner}"),
                place: Some(source.place(var.value.span())),
            };
            origins.insert(var.name.clone(), origin);
        }
        origins
    }
}

/// The variables of `files` that `environment` does not set, then `[env]`
/// with `profile`'s variables over it, each value interpolated with what
/// comes before it and the process environment.
pub fn global_env(
    config: &Config,
    profile: Option<&Profile>,
    files: &[FileVar],
    environment: &Environment,
) -> Result<GlobalEnv, Error> {
    let mut global = GlobalEnv::default();
    for var in unshadowed(files, environment) {
        global.vars.push((var.name.clone(), var.value.clone()));
        let file = Origin {
            table: var.file.display().to_string(),
            place: None,
        };
        global.origins.insert(var.name.clone(), file);
    }
    for (var, table) in config_vars(config, profile) {
        let owner = (table != ENV_TABLE).then_some(table.as_str());
        let resolver = Resolver::new(&config.source, environment, &global.vars, owner);
        let value = resolver.value(&var.value)?;
        global.vars.push((var.name.clone(), value));
        let place = Some(config.source.place(var.value.span()));
        global
            .origins
            .insert(var.name.clone(), Origin { table, place });
    }
    Ok(global)
}

/// The table `[env]`, as errors name it.
const ENV_TABLE: &str = "[env]";

/// The variables of `files` whose names the process environment does not
/// set: the environment wins over a file.
fn unshadowed<'a>(
    files: &'a [FileVar],
    environment: &'a Environment,
) -> impl Iterator<Item = &'a FileVar> {
    files
        .iter()
        .filter(|var| !environment.contains_key(&var.name))
}

/// `[env]` with `profile`'s variables over it, each with the table it is
/// written in: a name both set takes the profile's value in `[env]`'s
/// place (so the values after it see that one); the profile's other names
/// come first, so that `[env]` values may use them, but one that uses
/// variables of `[env]` comes right after the last of them.
fn config_vars<'a>(config: &'a Config, profile: Option<&'a Profile>) -> Vec<(&'a EnvVar, String)> {
    let over: &[EnvVar] = profile.map_or(&[], |profile| &profile.env);
    let table = || profile.map_or(String::new(), |p| format!("[profiles.{}.env]", p.name));
    let mut vars: Vec<(&EnvVar, String)> = config
        .env
        .iter()
        .map(|var| match over.iter().find(|own| own.name == var.name) {
            Some(own) => (own, table()),
            None => (var, ENV_TABLE.to_owned()),
        })
        .collect();
    let added = over
        .iter()
        .filter(|own| !config.env.iter().any(|var| var.name == own.name));
    let mut first = 0;
    for own in added {
        let uses = variables(own.value.text());
        let used = vars
            .iter()
            .rposition(|(var, _)| uses.contains(&var.name.as_str()));
        let at = used.map_or(first, |last| last + 1);
        if at <= first {
            first += 1;
        }
        vars.insert(at, (own, table()));
    }
    vars
}

/// A redactor for errors found while planning, before the plan's own
/// exists: the secrets of the environment, of `files` (those the
/// environment overrides too: a file's secret is one wherever it shows)
/// and of `[env]` (with `profile`'s variables) as far as it can be
/// interpolated.
pub fn error_redactor(
    config: &Config,
    profile: Option<&Profile>,
    files: &[FileVar],
    environment: &Environment,
) -> Redactor {
    let mut variables: Vec<(String, String)> = environment
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .chain(unshadowed(files, environment).map(|v| (v.name.clone(), v.value.clone())))
        .collect();
    for (var, _) in config_vars(config, profile) {
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
    let files = files.iter().map(|var| (&var.name, &var.value));
    let all = variables.iter().map(|(n, v)| (n, v)).chain(files);
    Redactor::new(
        &config.settings.redact,
        all.map(|(n, v)| (n.as_str(), v.as_str())),
    )
}

/// Where gates and services run: a `cwd` they set is relative to the config
/// file's directory; without one, they run in `settings.cwd` (or that
/// directory).
#[derive(Debug, Clone)]
pub struct WorkDir {
    /// The config file's directory.
    base: PathBuf,
    /// Where those that set no `cwd` run.
    default: PathBuf,
}

impl WorkDir {
    /// The directories of `config`, `settings.cwd` resolved with the
    /// variables of `global` and the process environment.
    pub fn of(
        config: &Config,
        global: &[(String, String)],
        environment: &Environment,
    ) -> Result<WorkDir, Error> {
        let base = config.source.dir().to_path_buf();
        let owner = Some("`settings.cwd`");
        let resolver = Resolver::new(&config.source, environment, global, owner);
        let default = match &config.settings.cwd {
            Some(cwd) => base.join(resolver.value(cwd)?),
            None => base.clone(),
        };
        Ok(WorkDir { base, default })
    }

    /// Where something whose `cwd` is `cwd` runs, its value resolved by `resolver`.
    pub fn of_own(
        &self,
        resolver: &Resolver,
        cwd: Option<&Template<String>>,
    ) -> Result<PathBuf, Error> {
        Ok(match cwd {
            Some(cwd) => self.base.join(resolver.value(cwd)?),
            None => self.default.clone(),
        })
    }

    /// Where something that sets no `cwd` runs.
    pub fn default_dir(&self) -> &std::path::Path {
        &self.default
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::valid;

    const CONFIG: &str = "[env]\nAPI_URL = \"http://127.0.0.1:8000\"\n\
        HEALTH = \"${API_URL}/health\"\nMODE = \"${MODE:-dev}\"\n\
        [profiles.staging.env]\nAPI_URL = \"https://${REGION}.example.com\"\nREGION = \"eu\"\n";

    fn file_var(name: &str, value: &str) -> FileVar {
        FileVar {
            name: name.into(),
            value: value.into(),
            file: ".env".into(),
        }
    }

    /// Name, value and origin of each variable `global` sets.
    fn effective(global: &GlobalEnv) -> Vec<(&str, &str, String)> {
        let effective = global.effective().into_iter();
        effective.map(|(n, v, o)| (n, v, o.table.clone())).collect()
    }

    #[test]
    fn a_profile_sets_over_env_in_its_place() {
        let config = valid(CONFIG);
        let staging = config.profiles.get("staging");
        let global = global_env(&config, staging, &[], &Environment::new()).unwrap();
        assert_eq!(
            global.origins["HEALTH"].to_string(),
            "[env] at gates.toml:3:10"
        );
        assert_eq!(
            effective(&global),
            [
                ("REGION", "eu", "[profiles.staging.env]".to_owned()),
                (
                    "API_URL",
                    "https://eu.example.com",
                    "[profiles.staging.env]".into()
                ),
                ("HEALTH", "https://eu.example.com/health", "[env]".into()),
                ("MODE", "dev", "[env]".into()),
            ]
        );
        let plain = global_env(&config, None, &[], &Environment::new()).unwrap();
        assert_eq!(plain.effective()[1].1, "http://127.0.0.1:8000/health");
    }

    #[test]
    fn files_come_first_and_the_environment_wins_over_them() {
        let config = valid(CONFIG);
        let files = [file_var("MODE", "ci"), file_var("TOKEN", "from-file")];
        let environment = Environment::from([("TOKEN".to_owned(), "from-env".to_owned())]);
        let global = global_env(&config, None, &files, &environment).unwrap();
        let effective = effective(&global);
        assert_eq!(effective[0], ("MODE", "ci", "[env]".to_owned()));
        assert!(effective.iter().all(|(name, _, _)| *name != "TOKEN"));
    }
}
