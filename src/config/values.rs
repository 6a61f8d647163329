//! Checks of single values shared by settings, profiles and gates:
//! enum-like words, `NAME = "value"` tables whose values are interpolated,
//! and lists of names.

use std::collections::HashSet;
use std::fmt::Display;

use indexmap::IndexSet;
use toml::Spanned;

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

/// The ids of a config's gates or services, in file order: looked up by
/// hash, listed in order for the closest name to a misspelt one.
pub type Ids<'a> = IndexSet<&'a str>;

/// An entry of a list that names something by id (`needs`, `services`):
/// `owner` (`gate `x``) `verb`s (`needs`, `uses`) `entry`, which must be
/// one of the `what`s (`gate`, `service`) in `names`; else an error at the
/// entry with the closest name.
pub fn reference(
    source: &Source,
    (owner, verb): (&dyn Display, &str),
    (what, entry): (&str, &SpannedString),
    names: &Ids,
) -> Result<(), Diagnostic> {
    let wanted = entry.get_ref();
    if names.contains(wanted.as_str()) {
        return Ok(());
    }
    let mut message = format!("{owner} {verb} `{wanted}`, which is not a {what}");
    if let Some(best) = suggest::closest(wanted, names.iter().copied()) {
        message.push_str(&format!("; did you mean `{best}`?"));
    }
    Err(source.diagnostic(entry.span(), message))
}

/// The names of the list `key` (`tags`, `needs`, `services`...), which
/// lists each once; else an error at the second place of a name.
pub fn listed_once(
    source: &Source,
    key: &str,
    entries: Vec<SpannedString>,
) -> Result<Vec<String>, Diagnostic> {
    let mut seen = HashSet::new();
    if let Some(again) = entries.iter().find(|entry| !seen.insert(entry.get_ref())) {
        let message = format!("`{}` is listed twice in `{key}`", again.get_ref());
        return Err(source.diagnostic(again.span(), message));
    }
    Ok(entries.into_iter().map(Spanned::into_inner).collect())
}

/// A count of 1 or more (`slots`, `repeat`, `load.requests`); `what` names
/// it in the error.
pub fn at_least_one(source: &Source, what: &str, raw: &Spanned<i64>) -> Result<u32, Diagnostic> {
    u32::try_from(*raw.get_ref())
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| {
            source.diagnostic(
                raw.span(),
                format!("invalid {what} {}: it must be at least 1", raw.get_ref()),
            )
        })
}
