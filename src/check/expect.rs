//! What a received text must show, shared by the kinds that receive one
//! (an HTTP body, a WebSocket message, what a TCP peer sends, a command's
//! output): `contains`, `not_contains`, `matches`, and JSON values at
//! pointers, compared or tested by predicates. Each expectation that does
//! not hold is a [`Failure`] record, with where it is written.

use indexmap::IndexMap;
use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::predicate::Expected;
use crate::config::{Diagnostic, Parse, Source, Span, Template, check_syntax};
use crate::error::Error;
use crate::event::Failure;
use crate::plan::Resolver;
use crate::redact::Redactor;

/// Characters of a received text shown in a report.
const EXCERPT: usize = 400;
/// Characters of a received text shown in a failure.
const SHOWN: usize = 80;

/// `json = { "/pointer" = value }` as written.
pub type RawJson = IndexMap<Spanned<String>, Spanned<toml::Value>>;

/// [`RawJson`] as the schema of gates.toml describes it: JSON pointers to
/// values of any type (a value, or a table of predicates).
pub type RawJsonSchema = IndexMap<String, serde_json::Value>;

/// `expect = { contains, matches }` as written (`tcp`, `dns`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TextExpect")]
pub struct RawMatch {
    /// `tcp`: a text the answer must contain; `dns`: a value that must be
    /// among the answers. May use `${VAR}`.
    #[schemars(with = "Option<String>")]
    contains: Option<Spanned<String>>,
    /// A regex the answer (`tcp`) or one of the answers (`dns`) must match;
    /// may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    matches: Option<Spanned<String>>,
}

impl RawMatch {
    /// The expectations, which must check something.
    pub fn load(source: &Source, raw: &Spanned<RawMatch>) -> Result<TextExpect, Diagnostic> {
        let expect = raw.get_ref();
        let keys = TextKeys {
            contains: expect.contains.as_ref(),
            matches: expect.matches.as_ref(),
            ..TextKeys::default()
        };
        TextExpect::load_some(source, raw.span(), keys, "`contains` or `matches`")
    }
}

/// `expect = { contains, matches, json }` as written (`ws`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MessageExpect")]
pub struct RawMessage {
    /// A text the message must contain; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    contains: Option<Spanned<String>>,
    /// A regex the message must match; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    matches: Option<Spanned<String>>,
    /// The message read as JSON: `"/pointer" = value`, or a table of
    /// predicates, as for HTTP.
    #[serde(default)]
    #[schemars(with = "RawJsonSchema")]
    json: RawJson,
}

impl RawMessage {
    /// The expectations, which must check something.
    pub fn load(source: &Source, raw: &Spanned<RawMessage>) -> Result<TextExpect, Diagnostic> {
        let expect = raw.get_ref();
        let keys = TextKeys {
            contains: expect.contains.as_ref(),
            matches: expect.matches.as_ref(),
            not_contains: None,
            json: Some(&expect.json),
        };
        TextExpect::load_some(source, raw.span(), keys, "`contains`, `matches` or `json`")
    }
}

/// The keys of a text's expectations, as a kind names them
/// (`body_contains`, `output_contains`, `contains`...).
#[derive(Debug, Clone, Copy, Default)]
pub struct TextKeys<'a> {
    pub contains: Option<&'a Spanned<String>>,
    pub not_contains: Option<&'a Spanned<String>>,
    pub matches: Option<&'a Spanned<String>>,
    pub json: Option<&'a RawJson>,
}

/// A text that must be there: never empty, which every text contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle(pub String);

impl Parse for Needle {
    fn parse(text: &str) -> Result<Needle, String> {
        match text.is_empty() {
            true => Err(
                "the text to look for is empty, so anything would hold it: give the text \
                 that must be there"
                    .to_owned(),
            ),
            false => Ok(Needle(text.to_owned())),
        }
    }
}

/// A regex that must match: never one that matches any text (`x?`, `.*`,
/// `$`), which would check nothing.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl Parse for Pattern {
    fn parse(text: &str) -> Result<Pattern, String> {
        let regex = Regex::parse(text)?;
        // A regex that matches an empty text and a text of one character it
        // cannot know matches at the start of every text; one that matches
        // a lone character of every kind (`.`, `[\s\S]`) matches every text
        // that is not empty, and an empty one never passes.
        let lone = ["\u{1}", "\n", " ", "a", "Z", "0", "-", "é"];
        let vacuous = regex.is_match("") && regex.is_match("\u{1}")
            || lone.iter().all(|text| regex.is_match(text));
        match vacuous {
            true => Err(format!(
                "the regex /{text}/ matches any text, so it checks nothing: make it match \
                 what must be there"
            )),
            false => Ok(Pattern(regex)),
        }
    }
}

/// What a text must show, as the config wrote it.
#[derive(Debug, Clone, Default)]
pub struct TextExpect {
    pub contains: Option<Template<Needle>>,
    pub not_contains: Option<Template<Needle>>,
    pub matches: Option<Template<Pattern>>,
    /// JSON pointer -> what the value there must be.
    pub json: Vec<JsonExpect>,
}

/// `"/pointer" = value` of a `json` table: the value (or predicate table)
/// as JSON, its strings interpolated when the gate is planned.
#[derive(Debug, Clone)]
pub struct JsonExpect {
    pointer: String,
    /// As written, converted to JSON.
    value: Value,
    span: Span,
    /// Parsed when loaded, if no string of it holds `${...}`.
    literal: Option<Expected>,
}

impl TextExpect {
    /// The expectations of `keys`, validated.
    pub fn load(source: &Source, keys: TextKeys) -> Result<TextExpect, Diagnostic> {
        let json = keys.json.into_iter().flatten();
        Ok(TextExpect {
            contains: Template::optional(source, keys.contains)?,
            not_contains: Template::optional(source, keys.not_contains)?,
            matches: Template::optional(source, keys.matches)?,
            json: json
                .map(|(pointer, value)| JsonExpect::load(source, pointer, value))
                .collect::<Result<_, Diagnostic>>()?,
        })
    }

    /// [`TextExpect::load`] of an `expect` table, written at `span`, that
    /// must check something; `names` says what it can hold, for the message.
    fn load_some(
        source: &Source,
        span: Span,
        keys: TextKeys,
        names: &str,
    ) -> Result<TextExpect, Diagnostic> {
        let expect = TextExpect::load(source, keys)?;
        match expect.is_empty() {
            false => Ok(expect),
            true => Err(source.diagnostic(
                span,
                format!("`expect` has nothing to check: give it {names}"),
            )),
        }
    }

    /// True when it checks nothing.
    pub fn is_empty(&self) -> bool {
        self.contains.is_none()
            && self.not_contains.is_none()
            && self.matches.is_none()
            && self.json.is_empty()
    }

    /// The expectations with their values resolved.
    pub fn plan(&self, resolver: &Resolver) -> Result<TextExpectations, Error> {
        Ok(TextExpectations {
            contains: placed(resolver, self.contains.as_ref())?.map(|p| p.map(|n| n.0)),
            not_contains: placed(resolver, self.not_contains.as_ref())?.map(|p| p.map(|n| n.0)),
            matches: placed(resolver, self.matches.as_ref())?.map(|p| p.map(|m| m.0)),
            json: self
                .json
                .iter()
                .map(|json| json.plan(resolver))
                .collect::<Result<_, Error>>()?,
        })
    }
}

/// The value of an optional template, with where it is written.
pub fn placed<T: Parse>(
    resolver: &Resolver,
    template: Option<&Template<T>>,
) -> Result<Option<Placed<T>>, Error> {
    template
        .map(|t| Ok(Placed::new(resolver.value(t)?, resolver.place(t.span()))))
        .transpose()
}

impl JsonExpect {
    /// `"/pointer" = value`, the value parsed now when it holds no `${...}`.
    pub fn load(
        source: &Source,
        pointer: &Spanned<String>,
        value: &Spanned<toml::Value>,
    ) -> Result<JsonExpect, Diagnostic> {
        let at = |message: String| source.diagnostic(value.span(), message);
        if has_non_finite(value.get_ref()) {
            return Err(at(
                "`nan` and `inf` are no JSON values: expect a number, or use `lt`/`gt`".to_owned(),
            ));
        }
        let json = json_value(value.get_ref());
        let mut interpolated = false;
        for_each_string(&json, &mut |text| {
            interpolated |= text.contains("${");
            check_syntax(text).map_err(|error| error.to_string())
        })
        .map_err(at)?;
        let literal = match interpolated {
            true => None,
            false => Some(Expected::parse(&json).map_err(at)?),
        };
        Ok(JsonExpect {
            pointer: json_pointer(source, pointer)?,
            value: json,
            span: value.span(),
            literal,
        })
    }

    /// The expectation, its strings interpolated and parsed.
    pub fn plan(&self, resolver: &Resolver) -> Result<JsonCheck, Error> {
        let expected = match &self.literal {
            Some(expected) => expected.clone(),
            None => {
                let span = &self.span;
                let value = resolve_strings(&self.value, &|text| resolver.interpolate(text, span))?;
                resolver.parsed(span, Expected::parse(&value))?
            }
        };
        Ok(JsonCheck {
            pointer: self.pointer.clone(),
            expected,
            at: resolver.place(&self.span),
        })
    }
}

/// A value with where its expectation is written (`gates.toml:12:44`).
#[derive(Debug, Clone)]
pub struct Placed<T> {
    pub value: T,
    pub at: String,
}

impl<T> Placed<T> {
    pub fn new(value: T, at: String) -> Placed<T> {
        Placed { value, at }
    }

    /// The same place, with `f` applied to the value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Placed<U> {
        Placed {
            value: f(self.value),
            at: self.at,
        }
    }

    /// A failure of this expectation.
    pub fn failure(&self, expect: &str, expected: String, actual: String) -> Failure {
        Failure {
            expect: expect.to_owned(),
            expected,
            actual,
            at: self.at.clone(),
        }
    }
}

/// A JSON pointer and what the value there must be, ready to check.
#[derive(Debug, Clone)]
pub struct JsonCheck {
    pub pointer: String,
    pub expected: Expected,
    pub at: String,
}

impl JsonCheck {
    /// What does not hold in `document`, as failures.
    pub fn failures(&self, document: &Value) -> Vec<Failure> {
        let expect = format!("json {}", self.pointer).trim_end().to_owned();
        self.expected
            .check(document.pointer(&self.pointer))
            .into_iter()
            .map(|mismatch| Failure {
                expect: expect.clone(),
                expected: mismatch.expected,
                actual: mismatch.actual,
                at: self.at.clone(),
            })
            .collect()
    }
}

/// What a text must show, ready to check.
#[derive(Debug, Clone, Default)]
pub struct TextExpectations {
    pub contains: Option<Placed<String>>,
    pub not_contains: Option<Placed<String>>,
    pub matches: Option<Placed<Regex>>,
    pub json: Vec<JsonCheck>,
}

/// A text as it was received.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// What it is, for messages: `body`, `message`, `answer`.
    pub noun: &'a str,
    /// What was read of it.
    pub bytes: &'a [u8],
    /// False when only its first part was read.
    pub complete: bool,
}

impl TextExpectations {
    /// Every expectation that does not hold for `received`.
    pub fn failures(&self, received: Received) -> Vec<Failure> {
        let mut failures = Vec::new();
        if let Some(needle) = &self.contains {
            failures.extend(contains(received, needle));
        }
        if let Some(needle) = &self.not_contains {
            failures.extend(not_contains(received, needle));
        }
        if let Some(pattern) = &self.matches {
            failures.extend(matches(received, pattern));
        }
        if !self.json.is_empty() {
            failures.extend(json(received, &self.json));
        }
        failures
    }
}

/// Where a failure on a partly read text says how much was checked.
fn partly(received: Received) -> String {
    match received.complete {
        true => String::new(),
        false => format!(" (only its first {} KiB read)", received.bytes.len() / 1024),
    }
}

fn contains(received: Received, needle: &Placed<String>) -> Option<Failure> {
    let found = find(received.bytes, &needle.value).is_some();
    (!found).then(|| {
        needle.failure(
            received.noun,
            format!("containing {}", quoted(&needle.value)),
            format!("{}{}", quoted_start(received.bytes), partly(received)),
        )
    })
}

/// Absence can only be seen in a text read whole: in one read in part,
/// the text may be in the rest.
fn not_contains(received: Received, needle: &Placed<String>) -> Option<Failure> {
    let expected = format!("without {}", quoted(&needle.value));
    let actual = match find(received.bytes, &needle.value) {
        Some(at) => around(received.bytes, at, needle.value.len()),
        None if !received.complete => format!(
            "more than {} KiB, not read whole, so the text may be in the rest",
            received.bytes.len() / 1024
        ),
        None => return None,
    };
    Some(needle.failure(received.noun, expected, actual))
}

fn matches(received: Received, pattern: &Placed<Regex>) -> Option<Failure> {
    let actual = match std::str::from_utf8(received.bytes) {
        Ok(text) if pattern.value.is_match(text) => return None,
        Ok(_) => format!("{}{}", quoted_start(received.bytes), partly(received)),
        Err(_) => "bytes that are not UTF-8 text".to_owned(),
    };
    Some(pattern.failure(
        received.noun,
        format!("matching /{}/", pattern.value),
        actual,
    ))
}

fn json(received: Received, checks: &[JsonCheck]) -> Vec<Failure> {
    let not_json = |actual: String| {
        vec![Failure {
            expect: received.noun.to_owned(),
            expected: "JSON".to_owned(),
            actual,
            at: checks[0].at.clone(),
        }]
    };
    if !received.complete {
        return not_json(format!(
            "more than {} KiB, too large to check as JSON",
            received.bytes.len() / 1024
        ));
    }
    match serde_json::from_slice::<Value>(received.bytes) {
        Ok(document) => checks.iter().flat_map(|c| c.failures(&document)).collect(),
        Err(error) => not_json(format!(
            "{} (not JSON: {error})",
            quoted_start(received.bytes)
        )),
    }
}

/// Where `needle` first starts in `bytes`.
fn find(bytes: &[u8], needle: &str) -> Option<usize> {
    // Never empty (see `Needle`); were it so, it would be found nowhere.
    if needle.is_empty() {
        return None;
    }
    bytes
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// `text` quoted as JSON writes a string (quotes, newlines escaped).
pub fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// The start of `bytes`, quoted, cut to `SHOWN` characters with `…`;
/// `nothing` when empty.
pub fn quoted_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_owned();
    }
    let text = String::from_utf8_lossy(bytes);
    let cut: String = text.chars().take(SHOWN).collect();
    match cut.len() < text.len() {
        true => format!("{}…", quoted(&cut)),
        false => quoted(&cut),
    }
}

/// The text around `len` bytes at `at` of `bytes`, quoted, with `…` where
/// it was cut.
pub fn around(bytes: &[u8], at: usize, len: usize) -> String {
    let margin = SHOWN / 2;
    let start = floor_boundary(bytes, at.saturating_sub(margin));
    let end = floor_boundary(bytes, (at + len + margin).min(bytes.len()));
    let text = String::from_utf8_lossy(&bytes[start..end]);
    let before = if start > 0 { "…" } else { "" };
    let after = if end < bytes.len() { "…" } else { "" };
    format!("{before}{}{after}", quoted(&text))
}

/// `index`, moved back to the start of a UTF-8 character.
fn floor_boundary(bytes: &[u8], mut index: usize) -> usize {
    while index > 0 && index < bytes.len() && bytes[index] & 0b1100_0000 == 0b1000_0000 {
        index -= 1;
    }
    index
}

/// A JSON pointer: empty (the whole document) or starting with `/`.
fn json_pointer(source: &Source, raw: &Spanned<String>) -> Result<String, Diagnostic> {
    let pointer = raw.get_ref();
    if pointer.is_empty() || pointer.starts_with('/') {
        return Ok(pointer.clone());
    }
    Err(source.diagnostic(
        raw.span(),
        format!("invalid JSON pointer `{pointer}`: it starts with `/`, like `/{pointer}`"),
    ))
}

/// True when `value` holds a float JSON cannot write (`nan`, `inf`).
fn has_non_finite(value: &toml::Value) -> bool {
    match value {
        toml::Value::Float(f) => !f.is_finite(),
        toml::Value::Array(items) => items.iter().any(has_non_finite),
        toml::Value::Table(table) => table.values().any(has_non_finite),
        _ => false,
    }
}

/// A TOML value as the JSON value it stands for.
fn json_value(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => items.iter().map(json_value).collect(),
        toml::Value::Table(table) => table
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect(),
    }
}

/// The start of `bytes` on a line of its own, secrets masked first; ` ...`
/// where it was cut; nothing when it is blank.
pub fn excerpt(bytes: &[u8], complete: bool, redactor: &Redactor) -> String {
    let text = redactor.redact(&String::from_utf8_lossy(bytes));
    let excerpt: String = text.chars().take(EXCERPT).collect();
    if excerpt.trim().is_empty() {
        return String::new();
    }
    let cut = excerpt.len() < text.len() || !complete;
    format!("\n{}{}", excerpt.trim_end(), if cut { " ..." } else { "" })
}

/// Calls `check` on every string inside `value`, to the first error.
fn for_each_string(
    value: &Value,
    check: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    match value {
        Value::String(text) => check(text),
        Value::Array(items) => items.iter().try_for_each(|v| for_each_string(v, check)),
        Value::Object(map) => map.values().try_for_each(|v| for_each_string(v, check)),
        _ => Ok(()),
    }
}

/// `value` with `interpolate` applied to every string inside it.
fn resolve_strings(
    value: &Value,
    interpolate: &dyn Fn(&str) -> Result<String, Error>,
) -> Result<Value, Error> {
    Ok(match value {
        Value::String(text) => Value::String(interpolate(text)?),
        Value::Array(items) => items
            .iter()
            .map(|v| resolve_strings(v, interpolate))
            .collect::<Result<_, _>>()?,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), resolve_strings(v, interpolate)?)))
            .collect::<Result<_, Error>>()?,
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_that_anything_holds_are_refused() {
        assert!(Needle::parse("").is_err());
        assert_eq!(Needle::parse("ok"), Ok(Needle("ok".into())));
        for vacuous in [
            "",
            "x?",
            ".*",
            "(?s).*",
            "$",
            "^",
            "a|",
            "(NOAUTH)?",
            "(?s).",
            r"[\s\S]",
        ] {
            let error = Pattern::parse(vacuous).unwrap_err();
            assert!(error.contains("matches any text"), "{vacuous}: {error}");
        }
        for real in ["^$", "NOAUTH", r"^0\{", "(?m)^$", r"\bok\b"] {
            assert!(Pattern::parse(real).is_ok(), "{real}");
        }
        assert!(
            Pattern::parse("(")
                .unwrap_err()
                .starts_with("invalid regex")
        );
    }

    fn body(text: &str) -> Received<'_> {
        Received {
            noun: "body",
            bytes: text.as_bytes(),
            complete: true,
        }
    }

    fn at<T>(value: T) -> Option<Placed<T>> {
        Some(Placed::new(value, "gates.toml:9:5".into()))
    }

    fn expect_json(pairs: &[(&str, Value)]) -> TextExpectations {
        TextExpectations {
            json: pairs
                .iter()
                .map(|(p, v)| JsonCheck {
                    pointer: p.to_string(),
                    expected: Expected::parse(v).unwrap(),
                    at: "gates.toml:9:5".into(),
                })
                .collect(),
            ..TextExpectations::default()
        }
    }

    fn reasons(failures: Vec<Failure>) -> Vec<String> {
        failures.iter().map(Failure::to_string).collect()
    }

    #[test]
    fn json_values_and_predicates() {
        let want = expect_json(&[
            ("/n", serde_json::json!(1)),
            ("/ok", serde_json::json!(true)),
        ]);
        assert!(want.failures(body(r#"{"n": 1.0, "ok": true}"#)).is_empty());
        let big = expect_json(&[("/n", serde_json::json!(9_007_199_254_740_992_u64))]);
        assert_eq!(big.failures(body(r#"{"n": 9007199254740993}"#)).len(), 1);
        assert_eq!(
            want.failures(body(r#"{"n": 2}"#)),
            [
                Failure {
                    expect: "json /n".into(),
                    expected: "= 1".into(),
                    actual: "2".into(),
                    at: "gates.toml:9:5".into()
                },
                Failure {
                    expect: "json /ok".into(),
                    expected: "= true".into(),
                    actual: "not found".into(),
                    at: "gates.toml:9:5".into()
                }
            ]
        );
        assert_eq!(
            reasons(want.failures(body("<html>"))),
            ["expected body JSON, got \"<html>\" (not JSON: expected value at line 1 column 1)"]
        );
        let uptime = expect_json(&[("/v/1", serde_json::json!({"gte": 0.999}))]);
        assert_eq!(
            reasons(uptime.failures(body(r#"{"v": [1700000000, "0.9812"]}"#))),
            ["expected json /v/1 >= 0.999, got 0.9812"]
        );
    }

    #[test]
    fn text_checks() {
        let want = TextExpectations {
            contains: at("ok".to_owned()),
            not_contains: at("Traceback".to_owned()),
            matches: at(Regex::new(r#""status"\s*:\s*"ok""#).unwrap()),
            json: Vec::new(),
        };
        assert!(want.failures(body(r#"{"status" : "ok"}"#)).is_empty());
        assert_eq!(
            reasons(want.failures(Received {
                noun: "message",
                ..body("down\nTraceback (most recent call last)")
            })),
            [
                "expected message containing \"ok\", got \"down\\nTraceback (most recent call last)\"",
                "expected message without \"Traceback\", got \"down\\nTraceback (most recent call last)\"",
                "expected message matching /\"status\"\\s*:\\s*\"ok\"/, got \"down\\nTraceback (most recent call last)\""
            ]
        );
    }

    #[test]
    fn a_found_text_is_shown_in_its_context() {
        let long = format!("{}Traceback{}", "a".repeat(100), "b".repeat(100));
        let shown = around(long.as_bytes(), 100, 9);
        assert_eq!(
            shown,
            format!("…\"{}Traceback{}\"…", "a".repeat(40), "b".repeat(40))
        );
        assert_eq!(quoted_start(b""), "nothing");
        assert!(quoted_start(long.as_bytes()).ends_with("…"));
    }

    #[test]
    fn a_partly_read_text_says_so() {
        let big = "x".repeat(2048);
        let cut = Received {
            complete: false,
            ..body(&big)
        };
        let want = TextExpectations {
            contains: at("needle".to_owned()),
            ..expect_json(&[("/a", Value::Null)])
        };
        let failures = reasons(want.failures(cut));
        assert!(
            failures[0].ends_with("(only its first 2 KiB read)"),
            "{failures:?}"
        );
        assert_eq!(
            failures[1],
            "expected body JSON, got more than 2 KiB, too large to check as JSON"
        );
    }

    #[test]
    fn excerpts_are_cut_and_marked() {
        let redactor = Redactor::default();
        assert_eq!(excerpt(b"  \n", true, &redactor), "");
        assert_eq!(excerpt(b"ok\n", true, &redactor), "\nok");
        assert_eq!(excerpt(b"ok", false, &redactor), "\nok ...");
        let long = "x".repeat(EXCERPT + 1);
        assert!(excerpt(long.as_bytes(), true, &redactor).ends_with("x ..."));
    }
}
