//! `${VAR}` and `${VAR:-default}` in config strings.
//!
//! A `$` not followed by `{` is literal text, and `$${` writes a literal
//! `${`. The default after `:-` is a template itself, so defaults nest
//! (`${API_URL:-http://127.0.0.1:${API_PORT:-8000}}`); it is used when the
//! variable is unset or empty, like the POSIX shell's `:-`, and only then
//! are its own variables looked up. A `}` outside any `${` is literal text,
//! and so is the `}` that closes a `$${`, in a default too
//! (`${X:-$${HOST}/x}` is `${HOST}/x`).

use thiserror::Error;

/// How deep defaults may nest: enough for any real value, and a bound on
/// the parser's recursion.
const MAX_DEPTH: usize = 16;

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

/// A template, parsed: literal text and variables.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var {
        name: &'a str,
        /// What follows `:-`, when there is one.
        default: Option<Vec<Piece<'a>>>,
    },
}

/// Replaces every `${VAR}` and `${VAR:-default}` of `template` using `lookup`.
pub fn interpolate(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let pieces = parse(template)?;
    let mut out = String::with_capacity(template.len());
    evaluate(&pieces, &lookup, &mut out)?;
    Ok(out)
}

/// Checks that every `${...}` of `template` is well formed, whatever the environment.
pub fn check_syntax(template: &str) -> Result<(), InterpolateError> {
    parse(template).map(drop)
}

/// The names of the variables `template` uses, its defaults' included, in
/// the order written; none when its syntax is wrong.
pub fn variables(template: &str) -> Vec<&str> {
    fn collect<'a>(pieces: &[Piece<'a>], names: &mut Vec<&'a str>) {
        for piece in pieces {
            if let Piece::Var { name, default } = piece {
                names.push(name);
                collect(default.as_deref().unwrap_or_default(), names);
            }
        }
    }
    let mut names = Vec::new();
    collect(&parse(template).unwrap_or_default(), &mut names);
    names
}

/// The pieces of a whole template.
fn parse(template: &str) -> Result<Vec<Piece<'_>>, InterpolateError> {
    let (pieces, rest) = sequence(template, 0)?;
    debug_assert!(rest.is_empty(), "the top level reads to the end");
    Ok(pieces)
}

/// Reads pieces from `text` up to its end or, inside a default (`depth` >
/// 0), up to the `}` that closes it; returns them and what follows that `}`.
/// The `}` of an escaped `$${...}` is text, as it is outside a default.
fn sequence(mut text: &str, depth: usize) -> Result<(Vec<Piece<'_>>, &str), InterpolateError> {
    let mut pieces = Vec::new();
    let mut escaped_open = 0usize;
    loop {
        let stop = match depth {
            0 => text.find('$'),
            _ => text.find(['$', '}']),
        };
        let Some(at) = stop else {
            return match depth {
                0 => {
                    push_text(&mut pieces, text);
                    Ok((pieces, ""))
                }
                _ => Err(unterminated()),
            };
        };
        push_text(&mut pieces, &text[..at]);
        let rest = &text[at..];
        if let Some(after) = rest.strip_prefix('}') {
            if escaped_open == 0 {
                return Ok((pieces, after));
            }
            escaped_open -= 1;
            push_text(&mut pieces, "}");
            text = after;
        } else if let Some(escaped) = rest.strip_prefix("$${") {
            escaped_open += 1;
            push_text(&mut pieces, "${");
            text = escaped;
        } else if let Some(open) = rest.strip_prefix("${") {
            let (var, after) = variable(open, depth)?;
            pieces.push(var);
            text = after;
        } else {
            push_text(&mut pieces, "$");
            text = &rest[1..];
        }
    }
}

/// One `${...}`, given what follows its `${`; returns it and what follows
/// its closing `}`.
fn variable(open: &str, depth: usize) -> Result<(Piece<'_>, &str), InterpolateError> {
    let end = open.find('}').ok_or_else(unterminated)?;
    let default_at = open[..end].find(":-");
    let name = &open[..default_at.unwrap_or(end)];
    check_name(name)?;
    let Some(default_at) = default_at else {
        return Ok((
            Piece::Var {
                name,
                default: None,
            },
            &open[end + 1..],
        ));
    };
    if depth + 1 > MAX_DEPTH {
        return Err(syntax(format!(
            "defaults nest at most {MAX_DEPTH} deep in `${{...}}`"
        )));
    }
    let (default, after) = sequence(&open[default_at + 2..], depth + 1)?;
    let var = Piece::Var {
        name,
        default: Some(default),
    };
    Ok((var, after))
}

/// Adds literal text, joined to the text before it.
fn push_text<'a>(pieces: &mut Vec<Piece<'a>>, text: &'a str) {
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
}

/// Writes the value of `pieces` to `out`; a default's variables are looked
/// up only when the default is used.
fn evaluate(
    pieces: &[Piece<'_>],
    lookup: &impl Fn(&str) -> Option<String>,
    out: &mut String,
) -> Result<(), InterpolateError> {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Var { name, default } => match (lookup(name), default) {
                (Some(value), Some(default)) if value.is_empty() => {
                    evaluate(default, lookup, out)?;
                }
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => evaluate(default, lookup, out)?,
                (None, None) => {
                    return Err(InterpolateError::Missing {
                        var: (*name).to_owned(),
                    });
                }
            },
        }
    }
    Ok(())
}

fn unterminated() -> InterpolateError {
    syntax("unterminated `${`: add a closing `}`")
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
    fn a_default_is_text_with_its_own_variables() {
        assert_eq!(
            run("${URL:-http://127.0.0.1:8000}").unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(run("${X:-a:-b}").unwrap(), "a:-b");
        assert_eq!(run("${X:-{a}}").unwrap(), "{a}");
        assert_eq!(run("a}b").unwrap(), "a}b");
    }

    #[test]
    fn defaults_nest() {
        assert_eq!(
            run("${API_URL:-http://${HOST}:${PORT:-8000}}/health").unwrap(),
            "http://example.com:8000/health"
        );
        assert_eq!(run("${A:-${B:-${C:-deep}}}").unwrap(), "deep");
        assert_eq!(run("${A:-${EMPTY:-x}y}z").unwrap(), "xyz");
        assert_eq!(run("${X:-$${HOST}}").unwrap(), "${HOST}");
        // The `}` of an escaped reference is text, in a default too.
        assert_eq!(run("${X:-$${HOST}/x}").unwrap(), "${HOST}/x");
        assert_eq!(run("${X:-a$${B}c}d").unwrap(), "a${B}cd");
        assert_eq!(run("${X:-$${${HOST}}}").unwrap(), "${example.com}");
        assert_eq!(run("$${HOST}}").unwrap(), "${HOST}}");
    }

    #[test]
    fn a_default_not_used_is_not_looked_up() {
        assert_eq!(run("${HOST:-${UNSET}}").unwrap(), "example.com");
        assert_eq!(
            run("${PORT:-${UNSET}}"),
            Err(InterpolateError::Missing {
                var: "UNSET".into()
            })
        );
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
        assert_eq!(
            syntax_message("${X:-${HOST}"),
            "unterminated `${`: add a closing `}`"
        );
        assert_eq!(
            syntax_message("${X:-${HOST:-x}"),
            "unterminated `${`: add a closing `}`"
        );
        assert!(syntax_message("${X:-${1A}}").starts_with("invalid variable name `1A`"));
    }

    #[test]
    fn the_variables_a_template_uses() {
        assert_eq!(
            variables("${API_URL:-http://${HOST}:${PORT:-8000}}/x $${NOT} $Y"),
            ["API_URL", "HOST", "PORT"]
        );
        assert!(variables("${broken").is_empty());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |levels: usize| format!("{}x{}", "${A:-".repeat(levels), "}".repeat(levels));
        assert_eq!(run(&deep(16)).unwrap(), "x");
        assert_eq!(
            syntax_message(&deep(17)),
            "defaults nest at most 16 deep in `${...}`"
        );
    }

    #[test]
    fn check_syntax_ignores_the_environment() {
        assert_eq!(check_syntax("${SURELY_NOT_SET_ANYWHERE}"), Ok(()));
        assert_eq!(check_syntax("$${ literal"), Ok(()));
        assert_eq!(check_syntax("${A:-${SURELY_NOT_SET:-x}}"), Ok(()));
        assert!(matches!(
            check_syntax("${oops"),
            Err(InterpolateError::Syntax { .. })
        ));
    }
}
