//! Checks of single values shared by settings, profiles and gates:
//! durations, enum-like strings, and strings interpolated later.

use std::time::Duration;

use super::diagnostic::Diagnostic;
use super::duration::parse_duration;
use super::interpolate::check_syntax;
use super::model::{EnvVar, Located, Source};
use super::raw::{RawEnv, SpannedString};
use super::suggest;

/// A duration such as `30s` or `1m30s`; zero allowed.
pub fn duration(source: &Source, value: &SpannedString) -> Result<Duration, Diagnostic> {
    parse_duration(value.get_ref()).ok_or_else(|| {
        source.diagnostic(
            value.span(),
            format!(
                "invalid duration `{}`: expected an integer and a unit, like `500ms`, `30s`, \
                 `5m` or `1h30m`",
                value.get_ref()
            ),
        )
    })
}

/// A duration that must be positive (a timeout of zero would fail every gate).
pub fn timeout(source: &Source, value: &SpannedString) -> Result<Duration, Diagnostic> {
    match duration(source, value)? {
        Duration::ZERO => Err(source.diagnostic(
            value.span(),
            format!(
                "invalid timeout `{}`: it must be greater than zero",
                value.get_ref()
            ),
        )),
        positive => Ok(positive),
    }
}

/// One of a fixed set of words, e.g. `what` = "severity" and
/// `options` = block, warn; a typo gets a suggestion.
pub fn choice<T: Copy>(
    source: &Source,
    what: &str,
    value: &SpannedString,
    options: &[(&str, T)],
) -> Result<T, Diagnostic> {
    let word = value.get_ref().as_str();
    match options.iter().find(|(name, _)| *name == word) {
        Some(&(_, chosen)) => Ok(chosen),
        None => {
            let names: Vec<&str> = options.iter().map(|&(name, _)| name).collect();
            Err(source.diagnostic(value.span(), suggest::unknown(what, word, &names)))
        }
    }
}

/// A string interpolated later: its `${...}` syntax is checked now.
pub fn template(source: &Source, value: &SpannedString) -> Result<Located<String>, Diagnostic> {
    check_syntax(value.get_ref())
        .map_err(|error| source.diagnostic(value.span(), error.to_string()))?;
    Ok(Located {
        value: value.get_ref().clone(),
        span: value.span(),
    })
}

/// `[env]` or a gate's `env`, with each value's `${...}` syntax checked.
pub fn env_vars(source: &Source, env: &RawEnv) -> Result<Vec<EnvVar>, Diagnostic> {
    env.iter()
        .map(|(name, value)| {
            Ok(EnvVar {
                name: name.clone(),
                value: template(source, value)?,
            })
        })
        .collect()
}
