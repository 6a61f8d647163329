//! What a received text must show, shared by the kinds that receive one
//! (an HTTP body, a WebSocket message, what a TCP peer sends): `contains`,
//! `matches`, and JSON values at pointers. Each expectation that does not
//! hold is one message.

use indexmap::IndexMap;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::config::{Diagnostic, Located, Parse, Source, Span, Template};
use crate::error::Error;
use crate::plan::Resolver;
use crate::redact::Redactor;

/// Characters of a received text shown in a report.
const EXCERPT: usize = 400;

/// `json = { "/pointer" = value }` as written.
pub type RawJson = IndexMap<Spanned<String>, Spanned<toml::Value>>;

/// `expect = { contains, matches }` as written (`tcp`, `dns`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatch {
    contains: Option<Spanned<String>>,
    matches: Option<Spanned<String>>,
}

impl RawMatch {
    /// The expectations, which must check something.
    pub fn load(source: &Source, raw: &Spanned<RawMatch>) -> Result<TextExpect, Diagnostic> {
        let expect = raw.get_ref();
        let keys = (
            expect.contains.as_ref(),
            expect.matches.as_ref(),
            &RawJson::default(),
        );
        TextExpect::load_some(source, raw.span(), keys, "`contains` or `matches`")
    }
}

/// `expect = { contains, matches, json }` as written (`ws`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMessage {
    contains: Option<Spanned<String>>,
    matches: Option<Spanned<String>>,
    #[serde(default)]
    json: RawJson,
}

impl RawMessage {
    /// The expectations, which must check something.
    pub fn load(source: &Source, raw: &Spanned<RawMessage>) -> Result<TextExpect, Diagnostic> {
        let expect = raw.get_ref();
        let keys = (
            expect.contains.as_ref(),
            expect.matches.as_ref(),
            &expect.json,
        );
        TextExpect::load_some(source, raw.span(), keys, "`contains`, `matches` or `json`")
    }
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
    pub matches: Option<Template<Pattern>>,
    /// JSON pointer -> expected value; string values are interpolated too.
    pub json: Vec<(String, Located<Value>)>,
}

impl TextExpect {
    /// The expectations of `contains`, `matches` and `json`, validated.
    pub fn load(
        source: &Source,
        contains: Option<&Spanned<String>>,
        matches: Option<&Spanned<String>>,
        json: &RawJson,
    ) -> Result<TextExpect, Diagnostic> {
        Ok(TextExpect {
            contains: Template::optional(source, contains)?,
            matches: Template::optional(source, matches)?,
            json: json
                .iter()
                .map(|(pointer, value)| {
                    let value = Located {
                        value: json_value(value.get_ref()),
                        span: value.span(),
                    };
                    Ok((json_pointer(source, pointer)?, value))
                })
                .collect::<Result<_, Diagnostic>>()?,
        })
    }

    /// [`TextExpect::load`] of an `expect` table, written at `span`, that
    /// must check something; `keys` names what it can hold, for the message.
    fn load_some(
        source: &Source,
        span: Span,
        (contains, matches, json): (Option<&Spanned<String>>, Option<&Spanned<String>>, &RawJson),
        keys: &str,
    ) -> Result<TextExpect, Diagnostic> {
        let expect = TextExpect::load(source, contains, matches, json)?;
        match expect.contains.is_some() || expect.matches.is_some() || !expect.json.is_empty() {
            true => Ok(expect),
            false => Err(source.diagnostic(
                span,
                format!("`expect` has nothing to check: give it {keys}"),
            )),
        }
    }

    /// The expectations with their values resolved.
    pub fn plan(&self, resolver: &Resolver) -> Result<TextExpectations, Error> {
        Ok(TextExpectations {
            contains: resolver.optional(self.contains.as_ref())?.map(|c| c.0),
            matches: resolver.optional(self.matches.as_ref())?.map(|m| m.0),
            json: self
                .json
                .iter()
                .map(|(pointer, value)| {
                    let span = &value.span;
                    let resolved =
                        resolve_strings(&value.value, &|text| resolver.interpolate(text, span))?;
                    Ok((pointer.clone(), resolved))
                })
                .collect::<Result<_, Error>>()?,
        })
    }
}

/// What a text must show, ready to check.
#[derive(Debug, Clone, Default)]
pub struct TextExpectations {
    pub contains: Option<String>,
    pub matches: Option<Regex>,
    pub json: Vec<(String, Value)>,
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
    /// Every expectation that does not hold for `received`, one message each.
    pub fn failures(&self, received: Received) -> Vec<String> {
        let mut failures = Vec::new();
        if let Some(needle) = &self.contains {
            failures.extend(contains(received, needle));
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
        false => format!(" (in its first {} KiB)", received.bytes.len() / 1024),
    }
}

fn contains(received: Received, needle: &str) -> Option<String> {
    // Never empty (see `Needle`); were it so, it would be found nowhere.
    let found = !needle.is_empty()
        && received
            .bytes
            .windows(needle.len())
            .any(|window| window == needle.as_bytes());
    (!found).then(|| {
        format!(
            "{} does not contain \"{needle}\"{}",
            received.noun,
            partly(received)
        )
    })
}

fn matches(received: Received, pattern: &Regex) -> Option<String> {
    match std::str::from_utf8(received.bytes) {
        Ok(text) if pattern.is_match(text) => None,
        Ok(_) => Some(format!(
            "{} does not match /{pattern}/{}",
            received.noun,
            partly(received)
        )),
        Err(_) => Some(format!(
            "{} is not UTF-8 text, so it cannot match a regex",
            received.noun
        )),
    }
}

fn json(received: Received, expected: &[(String, Value)]) -> Vec<String> {
    if !received.complete {
        return vec![format!(
            "{} is larger than {} KiB: too large to check as JSON",
            received.noun,
            received.bytes.len() / 1024
        )];
    }
    let document: Value = match serde_json::from_slice(received.bytes) {
        Ok(document) => document,
        Err(error) => return vec![format!("{} is not JSON: {error}", received.noun)],
    };
    expected
        .iter()
        .filter_map(|(pointer, want)| match document.pointer(pointer) {
            None => Some(format!("JSON {pointer} not found")),
            Some(got) if same_json(got, want) => None,
            Some(got) => Some(format!("expected JSON {pointer} = {want}, got {got}")),
        })
        .collect()
}

/// Equal JSON values, numbers compared by value (`1 == 1.0`; integers
/// exactly, beyond what a float holds).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i128(), y.as_i128()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
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

    fn expect_json(pairs: &[(&str, Value)]) -> TextExpectations {
        TextExpectations {
            json: pairs
                .iter()
                .map(|(p, v)| (p.to_string(), v.clone()))
                .collect(),
            ..TextExpectations::default()
        }
    }

    #[test]
    fn json_numbers_compare_by_value() {
        let want = expect_json(&[
            ("/n", serde_json::json!(1)),
            ("/ok", serde_json::json!(true)),
        ]);
        assert!(want.failures(body(r#"{"n": 1.0, "ok": true}"#)).is_empty());
        let big = expect_json(&[("/n", serde_json::json!(9_007_199_254_740_992_u64))]);
        assert_eq!(big.failures(body(r#"{"n": 9007199254740993}"#)).len(), 1);
        assert_eq!(
            want.failures(body(r#"{"n": 2}"#)),
            ["expected JSON /n = 1, got 2", "JSON /ok not found"]
        );
        assert_eq!(
            want.failures(body("<html>")),
            ["body is not JSON: expected value at line 1 column 1"]
        );
    }

    #[test]
    fn text_checks() {
        let want = TextExpectations {
            contains: Some("ok".into()),
            matches: Some(Regex::new(r#""status"\s*:\s*"ok""#).unwrap()),
            json: Vec::new(),
        };
        assert!(want.failures(body(r#"{"status" : "ok"}"#)).is_empty());
        assert_eq!(
            want.failures(Received {
                noun: "message",
                ..body("down")
            }),
            [
                "message does not contain \"ok\"",
                "message does not match /\"status\"\\s*:\\s*\"ok\"/"
            ]
        );
    }

    #[test]
    fn a_partly_read_text_says_so() {
        let big = "x".repeat(2048);
        let cut = Received {
            complete: false,
            ..body(&big)
        };
        let want = TextExpectations {
            contains: Some("needle".into()),
            ..expect_json(&[("/a", Value::Null)])
        };
        assert_eq!(
            want.failures(cut),
            [
                "body does not contain \"needle\" (in its first 2 KiB)",
                "body is larger than 2 KiB: too large to check as JSON"
            ]
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
