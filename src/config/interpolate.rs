//! `${VAR}` and `${VAR:-default}` in config strings.
//!
//! A `$` not followed by `{` is literal text, and `$${` writes a literal
//! `${`. The default after `:-` is literal text too (no nesting), and it is
//! used when the variable is unset or empty, like the POSIX shell's `:-`.

use thiserror::Error;

/// Why a template could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InterpolateError {
    /// `${VAR}` with `VAR` unset and no default.
    #[error("environment variable `{var}` is not set")]
    Missing { var: String },
    /// A malformed `${...}`.
    #[error("{message}")]
    Syntax { message: String },
}

/// Replaces every `${VAR}` and `${VAR:-default}` of `template` using `lookup`.
pub fn interpolate(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar..];
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
        } else if let Some(open) = after.strip_prefix("${") {
            let close = open
                .find('}')
                .ok_or_else(|| syntax("unterminated `${`: add a closing `}`"))?;
            out.push_str(&substitute(&open[..close], &lookup)?);
            rest = &open[close + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks that every `${...}` of `template` is well formed, whatever the environment.
pub fn check_syntax(template: &str) -> Result<(), InterpolateError> {
    interpolate(template, |_| Some(String::new())).map(drop)
}

/// The value of one `${...}`, given what is between the braces.
fn substitute(
    inner: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    check_name(name)?;
    match (lookup(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => Err(InterpolateError::Missing {
            var: name.to_owned(),
        }),
    }
}

/// True for a valid variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_name(name: &str) -> bool {
    check_name(name).is_ok()
}

/// Variable names are `[A-Za-z_][A-Za-z0-9_]*`.
fn check_name(name: &str) -> Result<(), InterpolateError> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err(syntax("empty variable name in `${}`")),
        Some(first)
            if (first.is_ascii_alphabetic() || first == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(())
        }
        Some(_) => Err(syntax(format!(
            "invalid variable name `{name}` in `${{...}}`: names are letters, digits and `_`, \
             not starting with a digit"
        ))),
    }
}

fn syntax(message: impl Into<String>) -> InterpolateError {
    InterpolateError::Syntax {
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("example.com".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(template: &str) -> Result<String, InterpolateError> {
        interpolate(template, env)
    }

    fn syntax_message(template: &str) -> String {
        match run(template) {
            Err(InterpolateError::Syntax { message }) => message,
            other => panic!("expected a syntax error for {template:?}, got {other:?}"),
        }
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(run("no variables here").unwrap(), "no variables here");
        assert_eq!(run("").unwrap(), "");
    }

    #[test]
    fn replaces_variables() {
        assert_eq!(
            run("https://${HOST}/health").unwrap(),
            "https://example.com/health"
        );
        assert_eq!(run("${HOST}${HOST}").unwrap(), "example.comexample.com");
    }

    #[test]
    fn set_but_empty_without_default_is_empty() {
        assert_eq!(run("[${EMPTY}]").unwrap(), "[]");
    }

    #[test]
    fn default_when_unset_or_empty() {
        assert_eq!(run("${PORT:-8000}").unwrap(), "8000");
        assert_eq!(run("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(run("${HOST:-other}").unwrap(), "example.com");
        assert_eq!(run("${PORT:-}").unwrap(), "");
    }

    #[test]
    fn default_is_literal() {
        assert_eq!(
            run("${URL:-http://127.0.0.1:8000}").unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(run("${X:-${HOST}").unwrap(), "${HOST");
        assert_eq!(run("${X:-a:-b}").unwrap(), "a:-b");
    }

    #[test]
    fn missing_variable() {
        assert_eq!(
            run("${API_URL}/health"),
            Err(InterpolateError::Missing {
                var: "API_URL".into()
            })
        );
        assert_eq!(
            InterpolateError::Missing {
                var: "API_URL".into()
            }
            .to_string(),
            "environment variable `API_URL` is not set"
        );
    }

    #[test]
    fn lone_dollar_is_literal() {
        assert_eq!(run("cost: $5, $HOST, $").unwrap(), "cost: $5, $HOST, $");
        assert_eq!(run("$$").unwrap(), "$$");
    }

    #[test]
    fn double_dollar_escapes() {
        assert_eq!(run("$${HOST}").unwrap(), "${HOST}");
        // Left to right: a lone `$`, then the `$${` escape.
        assert_eq!(run("$$${HOST}").unwrap(), "$${HOST}");
        assert_eq!(run("$${").unwrap(), "${");
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            syntax_message("${HOST"),
            "unterminated `${`: add a closing `}`"
        );
        assert_eq!(syntax_message("a ${}"), "empty variable name in `${}`");
        assert_eq!(syntax_message("${:-x}"), "empty variable name in `${}`");
        assert!(syntax_message("${1X}").starts_with("invalid variable name `1X`"));
        assert!(syntax_message("${A-B}").starts_with("invalid variable name `A-B`"));
        assert!(syntax_message("${A:B}").starts_with("invalid variable name `A:B`"));
    }

    #[test]
    fn check_syntax_ignores_the_environment() {
        assert_eq!(check_syntax("${SURELY_NOT_SET_ANYWHERE}"), Ok(()));
        assert_eq!(check_syntax("$${ literal"), Ok(()));
        assert!(matches!(
            check_syntax("${oops"),
            Err(InterpolateError::Syntax { .. })
        ));
    }
}
