//! Captures: values a probe takes from what it received, for the gates that
//! need it (`capture = { TOKEN = { json = "/access_token" } }` in `http`
//! and `ws`).
//!
//! A capture takes a JSON value at a pointer, a header's value, or the first
//! group of a regex on the body. One that finds nothing (or only `null` or
//! an empty text) fails its gate, so the gates that need it are skipped
//! instead of sending an empty token.

use indexmap::IndexMap;
use regex::Regex;
use reqwest::header::HeaderMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::expect::Received;
use crate::config::{Diagnostic, Source, SpannedString, interpolate, template};
use crate::event::{Failure, Status};
use crate::exec::Attempt;
use crate::redact::Redactor;

/// Captured values: (name, value), in the order they were taken.
pub type Captured = Vec<(String, String)>;

/// A capture that found nothing: the reason in the contract's words, and
/// the failure record.
pub type Missed = (String, Failure);

/// `capture = { NAME = { ... } }` as written.
pub type RawCaptures = IndexMap<SpannedString, Spanned<RawCapture>>;

/// [`RawCaptures`] as the schema of gates.toml describes it.
pub type RawCapturesSchema = IndexMap<String, RawCapture>;

/// `{ json = "/pointer" }`, `{ header = "name" }` or `{ body_regex = "(group)" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Capture")]
pub struct RawCapture {
    /// The value at this JSON pointer of the body or message (a string as
    /// it is, another value as JSON).
    #[schemars(with = "Option<String>")]
    json: Option<SpannedString>,
    /// The value of this response header.
    #[schemars(with = "Option<String>")]
    header: Option<SpannedString>,
    /// The first group of this regex, in the body or message.
    #[schemars(with = "Option<String>")]
    body_regex: Option<SpannedString>,
}

/// One capture, validated.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable it sets.
    pub name: String,
    from: From,
    /// Where it is written (`gates.toml:12:44`).
    at: String,
}

/// Where a capture takes its value.
#[derive(Debug, Clone)]
enum From {
    Json(String),
    /// Lowercase.
    Header(String),
    BodyRegex(Regex),
}

/// The captures of a probe, in file order.
pub fn load(source: &Source, raw: &RawCaptures) -> Result<Vec<Capture>, Diagnostic> {
    raw.iter()
        .map(|(name, spec)| {
            if !interpolate::is_name(name.get_ref()) {
                return Err(source.diagnostic(
                    name.span(),
                    format!(
                        "invalid capture name `{}`: names are letters, digits and `_`, not \
                         starting with a digit",
                        name.get_ref()
                    ),
                ));
            }
            Ok(Capture {
                name: name.get_ref().clone(),
                from: from(source, spec)?,
                at: source.place(&spec.span()),
            })
        })
        .collect()
}

/// Exactly one of `json`, `header`, `body_regex`.
fn from(source: &Source, raw: &Spanned<RawCapture>) -> Result<From, Diagnostic> {
    let spec = raw.get_ref();
    let error = |message: &str| source.diagnostic(raw.span(), message);
    let one = "a capture takes its value from one of `json`, `header` or `body_regex`";
    match (&spec.json, &spec.header, &spec.body_regex) {
        (Some(pointer), None, None) => {
            let text = pointer.get_ref();
            match text.is_empty() || text.starts_with('/') {
                true => Ok(From::Json(text.clone())),
                false => Err(source.diagnostic(
                    pointer.span(),
                    format!("invalid JSON pointer `{text}`: it starts with `/`, like `/{text}`"),
                )),
            }
        }
        (None, Some(name), None) => Ok(From::Header(name.get_ref().to_ascii_lowercase())),
        (None, None, Some(pattern)) => {
            let regex: Regex = template::parse(source, pattern)?;
            match regex.captures_len() > 1 {
                true => Ok(From::BodyRegex(regex)),
                false => Err(source.diagnostic(
                    pattern.span(),
                    "`body_regex` captures its first group: put `(...)` around the value, \
                     like 'id=(\\d+)'",
                )),
            }
        }
        (None, None, None) => Err(error(&format!("{one}: give it one"))),
        _ => Err(error(&format!("{one}: keep one"))),
    }
}

/// What a capture reads: the body (or message) and the headers.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub body: Received<'a>,
    pub headers: &'a HeaderMap,
}

impl Capture {
    /// The captured value, or the failure that says what was not found; the
    /// reason is in the contract's words (`capture TOKEN: /access_token not
    /// found`).
    pub fn take(&self, from: Answer) -> Result<String, Missed> {
        let (expected, found) = match &self.from {
            From::Json(pointer) => (format!("json {pointer}"), json(from.body, pointer)),
            From::Header(name) => (format!("header {name}"), header(from.headers, name)),
            From::BodyRegex(regex) => (
                format!("{} matching /{regex}/", from.body.noun),
                group(from.body, regex),
            ),
        };
        match found {
            Ok(value) if !value.is_empty() => Ok(value),
            Ok(_) => Err(self.failure(&expected, "an empty value")),
            Err(actual) => Err(self.failure(&expected, actual)),
        }
    }

    fn failure(&self, expected: &str, actual: &str) -> Missed {
        let what = match &self.from {
            From::Json(pointer) => pointer.clone(),
            From::Header(name) => format!("header {name}"),
            From::BodyRegex(regex) => format!("/{regex}/"),
        };
        let reason = match actual {
            "an empty value" => format!("capture {}: {what} is empty", self.name),
            "nothing" => format!("capture {}: {what} matched nothing", self.name),
            _ => format!("capture {}: {what} not found", self.name),
        };
        let failure = Failure {
            expect: format!("capture {}", self.name),
            expected: expected.to_owned(),
            actual: actual.to_owned(),
            at: self.at.clone(),
        };
        (reason, failure)
    }
}

fn json(body: Received, pointer: &str) -> Result<String, &'static str> {
    let document: Value = serde_json::from_slice(body.bytes).map_err(|_| "not found")?;
    match document.pointer(pointer) {
        None | Some(Value::Null) => Err("not found"),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Ok(other.to_string()),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Result<String, &'static str> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_owned())
        .ok_or("not found")
}

fn group(body: Received, regex: &Regex) -> Result<String, &'static str> {
    let text = String::from_utf8_lossy(body.bytes);
    regex
        .captures(&text)
        .and_then(|groups| groups.get(1))
        .map(|group| group.as_str().to_owned())
        .ok_or("nothing")
}

/// The values of `captures` in `answer`, each made known to the redactor
/// (when its name says it is a secret) before anything shows it; or, with
/// those taken before it, the first capture that found nothing.
pub fn take_all(
    captures: &[Capture],
    answer: Answer,
    redactor: &Redactor,
) -> (Captured, Option<Missed>) {
    let mut values = Vec::new();
    for capture in captures {
        match capture.take(answer) {
            Ok(value) => {
                redactor.learn(&capture.name, &value);
                values.push((capture.name.clone(), value));
            }
            Err(missed) => return (values, Some(missed)),
        }
    }
    (values, None)
}

/// `attempt` with what [`take_all`] found: the values, for the gates that
/// need it, when it passed; a capture that found nothing fails it.
pub fn apply(attempt: Attempt, (values, missed): (Captured, Option<Missed>)) -> Attempt {
    match missed {
        Some((reason, failure)) if attempt.status == Status::Passed => Attempt {
            exit_code: attempt.exit_code,
            ..Attempt::new(Status::Failed, reason).with_record(failure)
        },
        Some((_, failure)) => attempt.with_failures(vec![failure]),
        None => Attempt {
            captures: values,
            ..attempt
        },
    }
}
