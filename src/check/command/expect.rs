//! What a command must do besides exiting 0 (`expect` beside `run`): its
//! exit code (`exit_code`, `error_codes`) and its whole combined output
//! (`output_contains`, `output_not_contains`, `output_matches`,
//! `output_json`), watched as it streams, in bounded memory.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::check::expect::{
    JsonCheck, Placed, RawJson, RawJsonSchema, TextExpect, TextExpectations, TextKeys, around,
    quoted_start,
};
use crate::config::{Diagnostic, Source, SpannedString};
use crate::error::Error;
use crate::event::{Failure, Status};
use crate::exec::Attempt;
use crate::exec::output::LineSplitter;
use crate::plan::Resolver;

/// Exit status of a shell that could not find the command.
const COMMAND_NOT_FOUND: i32 = 127;
/// Most output kept to be read as JSON.
const JSON_LIMIT: usize = 16 * 1024 * 1024;

/// `expect = { ... }` beside `run`, as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CommandExpect")]
pub struct RawExpect {
    /// The exit codes that pass: a number or a list (default 0).
    #[schemars(with = "Option<RawCodes>")]
    exit_code: Option<Spanned<RawCodes>>,
    /// A text the whole output (stdout and stderr) must contain; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    output_contains: Option<SpannedString>,
    /// A text the output must not contain; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    output_not_contains: Option<SpannedString>,
    /// A regex one line of the output must match; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    output_matches: Option<SpannedString>,
    /// The output read as JSON: `"/pointer" = value`, or a table of
    /// predicates (`eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `contains`,
    /// `matches`, `exists`, `len`, `type`).
    #[serde(default)]
    #[schemars(with = "RawJsonSchema")]
    output_json: RawJson,
}

/// `0` or `[0, 1]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "an exit code or a list of exit codes")]
#[schemars(rename = "ExitCodes")]
enum RawCodes {
    Code(i64),
    Codes(Vec<i64>),
}

/// A command's expectations, validated.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// With an `expect`: the exit codes that pass (written, else 0).
    /// `None`: no `expect`, and an exit other than 0 fails as `exit status N`.
    exit_code: Option<Placed<Vec<i32>>>,
    /// `exit_code` was written (it may then list 127).
    written: bool,
    error_codes: Vec<i32>,
    output: TextExpect,
}

/// Exit codes from 0 to 255, as written at `span`.
fn codes(
    source: &Source,
    span: std::ops::Range<usize>,
    codes: &[i64],
) -> Result<Vec<i32>, Diagnostic> {
    let invalid = |what: String| {
        source.diagnostic(
            span.clone(),
            format!("invalid exit code {what}: exit codes are 0 to 255"),
        )
    };
    if codes.is_empty() {
        return Err(source.diagnostic(
            span,
            "an empty list of exit codes: give at least one, like `[0, 1]`",
        ));
    }
    codes
        .iter()
        .map(|&code| {
            u8::try_from(code)
                .map(i32::from)
                .map_err(|_| invalid(code.to_string()))
        })
        .collect()
}

impl Expect {
    /// `expect` and `error_codes`, which must not share a code.
    pub fn load(
        source: &Source,
        expect: Option<&Spanned<RawExpect>>,
        error_codes: Option<&Spanned<Vec<i64>>>,
    ) -> Result<Expect, Diagnostic> {
        let error_span = error_codes.map_or(0..0, Spanned::span);
        let error_codes = match error_codes {
            Some(raw) => codes(source, raw.span(), raw.get_ref())?,
            None => Vec::new(),
        };
        let written = expect.and_then(|raw| raw.get_ref().exit_code.as_ref());
        let expected = match written {
            Some(written) => {
                let list = match written.get_ref() {
                    RawCodes::Code(code) => vec![*code],
                    RawCodes::Codes(list) => list.clone(),
                };
                (codes(source, written.span(), &list)?, written.span())
            }
            None => (vec![0], expect.map_or(error_span, Spanned::span)),
        };
        if let Some(both) = expected.0.iter().find(|code| error_codes.contains(code)) {
            let what = match written {
                Some(_) => "expected (`exit_code`)",
                None => "what passes (the default `exit_code`)",
            };
            return Err(source.diagnostic(
                expected.1.clone(),
                format!(
                    "exit code {both} is both {what} and an error (`error_codes`): keep it in one"
                ),
            ));
        }
        let Some(raw) = expect else {
            return Ok(Expect {
                error_codes,
                ..Expect::default()
            });
        };
        let expect = raw.get_ref();
        // With an `expect`, the exit code is an expectation too: 0 unless written.
        let exit_code = Some(Placed::new(expected.0, source.place(&expected.1)));
        let keys = TextKeys {
            contains: expect.output_contains.as_ref(),
            not_contains: expect.output_not_contains.as_ref(),
            matches: expect.output_matches.as_ref(),
            json: Some(&expect.output_json),
        };
        let output = TextExpect::load(source, keys)?;
        if written.is_none() && output.is_empty() {
            return Err(source.diagnostic(
                raw.span(),
                "`expect` has nothing to check: give it `exit_code`, `output_contains`, \
                 `output_not_contains`, `output_matches` or `output_json`",
            ));
        }
        Ok(Expect {
            exit_code,
            written: written.is_some(),
            error_codes,
            output,
        })
    }

    /// The expectations with their values resolved.
    pub fn plan(&self, resolver: &Resolver) -> Result<Expectations, Error> {
        Ok(Expectations {
            exit_code: self.exit_code.clone(),
            written: self.written,
            error_codes: self.error_codes.clone(),
            output: self.output.plan(resolver)?,
        })
    }
}

/// A command's expectations, ready to check.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    exit_code: Option<Placed<Vec<i32>>>,
    written: bool,
    error_codes: Vec<i32>,
    output: TextExpectations,
}

impl Expectations {
    /// A watch over the output for these expectations.
    pub fn watch(&self) -> Watch {
        let output = &self.output;
        Watch {
            contains: output.contains.as_ref().map(|n| Search::new(&n.value)),
            not_contains: output.not_contains.as_ref().map(|n| Search::new(&n.value)),
            matched: false,
            lines: output.matches.as_ref().map(|_| LineSplitter::default()),
            json: (!output.json.is_empty()).then(Vec::new),
            json_overflow: false,
            read: 0,
        }
    }

    /// How the command ended, judged: `error_codes` first (could not
    /// check), then a command not found, the exit code, and what the
    /// output showed.
    pub fn judge(&self, status: ExitStatus, watch: Watch) -> Attempt {
        let attempt = match (status.code(), status.signal()) {
            (Some(code), _) => self.exit(code, watch),
            (None, Some(signal)) => {
                Attempt::new(Status::Failed, format!("killed by signal {signal}"))
            }
            (None, None) => Attempt::new(Status::Failed, "ended without an exit status".into()),
        };
        Attempt {
            exit_code: status.code(),
            ..attempt
        }
    }

    fn exit(&self, code: i32, watch: Watch) -> Attempt {
        let expected = self.exit_code.as_ref();
        if self.error_codes.contains(&code) {
            return Attempt::error(format!(
                "exit status {code}, which `error_codes` says means the check could not run"
            ));
        }
        let listed = expected.is_some_and(|codes| codes.value.contains(&code));
        if code == COMMAND_NOT_FOUND && !(listed && self.written) {
            return Attempt::error("command not found (exit status 127)".to_owned());
        }
        let attempt = match expected {
            Some(codes) if !listed => Attempt::passed().with_failures(vec![codes.failure(
                "exit_code",
                one_of(&codes.value),
                code.to_string(),
            )]),
            None if code != 0 => Attempt::new(Status::Failed, format!("exit status {code}")),
            _ => Attempt::passed(),
        };
        attempt.with_failures(watch.failures(&self.output))
    }
}

/// `0 or 1`.
fn one_of(codes: &[i32]) -> String {
    let codes: Vec<String> = codes.iter().map(i32::to_string).collect();
    codes.join(" or ")
}

/// Bytes of context kept before a text found in a stream.
const CONTEXT: usize = 40;

/// A text looked for across the chunks of a stream: the last bytes of each
/// chunk are kept, so a text cut in two is found too, with what came
/// before it.
#[derive(Debug)]
pub struct Search {
    needle: Vec<u8>,
    /// The end of what was read: the needle's length less one, and the
    /// context before it.
    carry: Vec<u8>,
    /// Bytes read before `carry`.
    dropped: usize,
    /// The text around the first place it was found.
    found: Option<String>,
}

impl Search {
    fn new(needle: &str) -> Search {
        Search {
            needle: needle.as_bytes().to_vec(),
            carry: Vec::new(),
            dropped: 0,
            found: None,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        if self.found.is_some() || self.needle.is_empty() {
            return;
        }
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        let found = window
            .windows(self.needle.len())
            .position(|w| w == self.needle.as_slice());
        match found {
            Some(at) => {
                let context = around(&window, at, self.needle.len());
                let cut = self.dropped > 0 && !context.starts_with('…');
                self.found = Some(if cut {
                    format!("…{context}")
                } else {
                    context
                });
            }
            None => {
                let keep = window.len().min(self.needle.len() - 1 + CONTEXT);
                self.dropped += window.len() - keep;
                self.carry = window[window.len() - keep..].to_vec();
            }
        }
    }
}

/// What the output showed so far, for the expectations on it.
#[derive(Debug)]
pub struct Watch {
    contains: Option<Search>,
    not_contains: Option<Search>,
    /// A line matched `output_matches`.
    matched: bool,
    /// Cuts lines for `output_matches`.
    lines: Option<LineSplitter>,
    /// The output kept for `output_json`.
    json: Option<Vec<u8>>,
    json_overflow: bool,
    /// Bytes read in all.
    read: usize,
}

impl Watch {
    /// Looks at the next chunk of output; `matches` is the regex of
    /// `output_matches`, tried on every line.
    pub fn push(&mut self, chunk: &[u8], expect: &Expectations) {
        self.read += chunk.len();
        for search in [&mut self.contains, &mut self.not_contains]
            .into_iter()
            .flatten()
        {
            search.push(chunk);
        }
        if let (Some(lines), Some(pattern)) = (&mut self.lines, &expect.output.matches) {
            if !self.matched {
                let matched = &mut self.matched;
                lines.push(chunk, |line| *matched |= pattern.value.is_match(&line));
            }
        }
        if let Some(json) = &mut self.json {
            let room = JSON_LIMIT - json.len();
            json.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.json_overflow |= chunk.len() > room;
        }
    }

    /// Every expectation on the output that does not hold.
    fn failures(mut self, expect: &TextExpectations) -> Vec<Failure> {
        let read = format!("{} bytes of output", self.read);
        let mut failures = Vec::new();
        if let (Some(needle), Some(search)) = (&expect.contains, &self.contains) {
            if search.found.is_none() {
                let expected = format!("containing {}", json_string(&needle.value));
                failures.push(needle.failure("output", expected, format!("{read} without it")));
            }
        }
        if let (
            Some(needle),
            Some(Search {
                found: Some(context),
                ..
            }),
        ) = (&expect.not_contains, &self.not_contains)
        {
            let expected = format!("without {}", json_string(&needle.value));
            failures.push(needle.failure("output", expected, context.clone()));
        }
        if let (Some(pattern), Some(lines)) = (&expect.matches, self.lines.take()) {
            if !self.matched {
                self.matched = lines
                    .finish()
                    .is_some_and(|line| pattern.value.is_match(&line));
            }
            if !self.matched {
                let expected = format!("a line matching /{}/", pattern.value);
                failures.push(pattern.failure(
                    "output",
                    expected,
                    format!("{read}, no line matching"),
                ));
            }
        }
        if let Some(json) = &self.json {
            failures.extend(json_failures(json, self.json_overflow, &expect.json));
        }
        failures
    }
}

/// `text` quoted as JSON writes it.
fn json_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// The JSON expectations on the output: the first JSON document in it,
/// lines before it (a warning on stderr) passed over.
fn json_failures(output: &[u8], overflow: bool, checks: &[JsonCheck]) -> Vec<Failure> {
    let not_json = |actual: String| {
        vec![Failure {
            expect: "output".to_owned(),
            expected: "JSON".to_owned(),
            actual,
            at: checks[0].at.clone(),
        }]
    };
    if overflow {
        return not_json(format!(
            "more than {} MiB, too large to check as JSON",
            JSON_LIMIT / 1024 / 1024
        ));
    }
    match first_document(output) {
        Ok(document) => checks.iter().flat_map(|c| c.failures(&document)).collect(),
        Err(error) => not_json(format!("{} (not JSON: {error})", quoted_start(output))),
    }
}

/// The JSON document the output holds: all of it, or else the first value
/// that starts a line with `{` or `[`.
fn first_document(output: &[u8]) -> Result<Value, serde_json::Error> {
    let whole = serde_json::from_slice::<Value>(output);
    if whole.is_ok() {
        return whole;
    }
    let starts = output
        .split_inclusive(|&b| b == b'\n')
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line))
        })
        .filter(|(_, line)| matches!(line.first(), Some(b'{' | b'[')));
    for (start, _) in starts {
        let mut values =
            serde_json::Deserializer::from_slice(&output[start..]).into_iter::<Value>();
        if let Some(Ok(value)) = values.next() {
            return Ok(value);
        }
    }
    whole
}
