//! Checks of single values shared by settings, profiles and gates:
//! enum-like words, and `NAME = "value"` tables whose values are interpolated.

use super::diagnostic::Diagnostic;
use super::model::{EnvVar, Source};
use super::raw::{RawEnv, SpannedString};
use super::suggest;
use super::template::Template;

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

/// `[env]` or a gate's `env`, with each value's `${...}` syntax checked.
pub fn env_vars(source: &Source, env: &RawEnv) -> Result<Vec<EnvVar>, Diagnostic> {
    env.iter()
        .map(|(name, value)| {
            Ok(EnvVar {
                name: name.clone(),
                value: Template::load(source, value)?,
            })
        })
        .collect()
}
