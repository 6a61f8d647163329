//! Templates turned into values when a gate is planned: `${VAR}` replaced,
//! then the value parsed by the same code that checked a literal one when
//! the file was loaded.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::time::Duration;

use super::Environment;
use super::env::Origins;
use crate::config::interpolate::variables;
use crate::config::{InterpolateError, Parse, Source, Span, Template, Timeout, interpolate};
use crate::error::Error;

/// Resolves the templates of one gate (or of `[env]`).
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    source: &'a Source,
    environment: &'a Environment,
    /// Variables set on top of the environment (`[env]`, then the gate's
    /// `env`); the last of a name wins.
    set: &'a [(String, String)],
    /// Whose values these are (`gate `x``, `service `api``); `None` for `[env]`.
    owner: Option<&'a str>,
    /// Variables that gates this one needs will capture: not known yet, so
    /// they stand as `${NAME}` until the gate is planned again with them.
    later: Option<Later<'a>>,
    /// Where the variables of `set` were set, for an error about a value
    /// made of them.
    origins: Option<&'a Origins>,
}

/// Captured variables not known yet, and whether a value used one.
#[derive(Debug, Clone, Copy)]
pub struct Later<'a> {
    pub names: &'a BTreeSet<String>,
    pub used: &'a Cell<bool>,
}

impl<'a> Resolver<'a> {
    /// A resolver that reads `set`, then `environment`, for `owner`.
    pub fn new(
        source: &'a Source,
        environment: &'a Environment,
        set: &'a [(String, String)],
        owner: Option<&'a str>,
    ) -> Resolver<'a> {
        Resolver {
            source,
            environment,
            set,
            owner,
            later: None,
            origins: None,
        }
    }

    /// The same resolver, naming where the variables it reads were set
    /// when a value made of them is wrong.
    pub fn with_origins(self, origins: &'a Origins) -> Resolver<'a> {
        Resolver {
            origins: Some(origins),
            ..self
        }
    }

    /// The same resolver, with `later` standing for captured variables.
    pub fn with_later(self, later: Option<Later<'a>>) -> Resolver<'a> {
        Resolver { later, ..self }
    }

    /// The value of `template`: the literal one, or the interpolated text
    /// parsed; a mistake is a config error at the template's place.
    pub fn value<T: Parse>(&self, template: &Template<T>) -> Result<T, Error> {
        if let Some(value) = template.literal() {
            return Ok(value.clone());
        }
        let text = self.interpolate(template.text(), template.span())?;
        T::parse(&text).map_err(|message| {
            let diagnostic = self.source.diagnostic(template.span().clone(), message);
            let diagnostic = match self.set_at(template.text()) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            };
            Error::from(crate::config::Error::from(diagnostic))
        })
    }

    /// Where the variables `text` uses were set, when gate set them:
    /// "`API_URL` is set in [env] at gates.toml:3:11".
    fn set_at(&self, text: &str) -> Option<String> {
        let origins = self.origins?;
        let mut names = variables(text);
        let mut seen = BTreeSet::new();
        names.retain(|name| seen.insert(*name));
        let set: Vec<String> = names
            .into_iter()
            .filter_map(|name| Some(format!("`{name}` is set in {}", origins.get(name)?)))
            .collect();
        (!set.is_empty()).then(|| set.join("; "))
    }

    /// The value of an optional template.
    pub fn optional<T: Parse>(&self, template: Option<&Template<T>>) -> Result<Option<T>, Error> {
        template.map(|t| self.value(t)).transpose()
    }

    /// An optional timeout's duration.
    pub fn timeout(&self, template: Option<&Template<Timeout>>) -> Result<Option<Duration>, Error> {
        template.map(|t| Ok(self.value(t)?.0)).transpose()
    }

    /// `text` (written at `span`) with its `${...}` replaced.
    pub fn interpolate(&self, text: &str, span: &Span) -> Result<String, Error> {
        let lookup = |name: &str| {
            self.set
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| self.environment.get(name).cloned())
                .or_else(|| {
                    let later = self.later.filter(|later| later.names.contains(name))?;
                    later.used.set(true);
                    Some(format!("${{{name}}}"))
                })
        };
        interpolate(text, lookup).map_err(|error| {
            let place = self.owner.unwrap_or("[env]");
            let message = match error {
                InterpolateError::Missing { var } => format!(
                    "variable `{var}` is not set (needed by {place}); set it, or give a \
                     default: ${{{var}:-value}}"
                ),
                InterpolateError::Syntax { message } => message,
            };
            self.error(span, message)
        })
    }

    /// Where `span` is in the config file: `gates.toml:12:44`.
    pub fn place(&self, span: &Span) -> String {
        self.source.place(span)
    }

    /// `parsed`, its error message made a config error at `span`.
    pub fn parsed<T>(&self, span: &Span, parsed: Result<T, String>) -> Result<T, Error> {
        parsed.map_err(|message| self.error(span, message))
    }

    /// A config error at `span`.
    fn error(&self, span: &Span, message: String) -> Error {
        let diagnostic = self.source.diagnostic(span.clone(), message);
        Error::from(crate::config::Error::from(diagnostic))
    }
}
