//! `http` gates: a request, sent `repeat` times in a row with a client
//! shared by the run (so connections are pooled), the last response read in
//! bounded memory and checked against `expect`; or, with `load`, sent
//! `requests` times, `concurrency` at once, and its response times checked
//! as statistics. Captures take values from the last response for the gates
//! that need this one.

pub mod client;
mod expect;
mod load;

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Method};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::time::Instant;
use toml::Spanned;

use super::capture::{self, Capture, RawCaptures, RawCapturesSchema};
use super::expect::{Placed, RawJson, RawJsonSchema, Received, TextExpect, TextKeys, placed};
use super::{Action, BoxFuture, Check, Probe, RawCheck, net};
use crate::config::{
    Diagnostic, Parse, RawEnv, Source, Span, SpannedString, Template, Timeout, format_duration,
    values,
};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext};
use crate::plan::Resolver;
use crate::redact::Redactor;
pub use client::{Clients, HttpUrl, NoResponse};
use expect::{Expectations, HeaderRule, Response, Stat, StatusRule};
use load::Load;

/// The kind's name in reports.
pub const KIND: &str = "http";

/// Most of a response body kept for the expectations; the rest is not read.
const BODY_LIMIT: usize = 1024 * 1024;

/// `http = { ... }` of a gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpCheck")]
pub struct Raw {
    /// An `http://` or `https://` URL.
    #[schemars(with = "String")]
    url: SpannedString,
    /// The request method (default `GET`).
    #[schemars(with = "Option<String>")]
    method: Option<SpannedString>,
    /// Request headers: `name = "value"`; values may use `${VAR}`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    headers: RawEnv,
    /// The request body.
    #[schemars(with = "Option<String>")]
    body: Option<SpannedString>,
    /// How long one request may take, like `"5s"` (default the gate's).
    #[schemars(with = "Option<String>")]
    timeout: Option<SpannedString>,
    /// Follow redirects, at most 10 (default true).
    follow_redirects: Option<bool>,
    /// Accept a certificate that does not verify (default false).
    insecure: Option<bool>,
    /// Requests in a row; `expect` is checked on the last (default 1).
    #[schemars(with = "Option<i64>")]
    repeat: Option<Spanned<i64>>,
    /// Many requests at once, their response times checked as statistics.
    #[schemars(with = "Option<RawLoad>")]
    load: Option<Spanned<RawLoad>>,
    /// Values taken from the last response, for the gates that need this one:
    /// `NAME = { json = "/pointer" }`, `{ header = "name" }` or
    /// `{ body_regex = "(group)" }`.
    #[serde(default)]
    #[schemars(with = "RawCapturesSchema")]
    capture: RawCaptures,
    /// What the (last) response must show (default: a 2xx status).
    #[serde(default)]
    expect: RawExpect,
}

/// `load = { requests, concurrency }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpLoad")]
struct RawLoad {
    /// How many requests are sent.
    #[schemars(with = "i64")]
    requests: Spanned<i64>,
    /// At most this many in flight.
    #[schemars(with = "i64")]
    concurrency: Spanned<i64>,
}

/// `http.expect`: what the (last) response must show.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpExpect")]
struct RawExpect {
    /// `200`, a list like `[301, 308]`, or a class like `"2xx"`.
    #[schemars(with = "Option<RawStatus>")]
    status: Option<Spanned<RawStatus>>,
    /// With `repeat`: the status of the first response.
    #[schemars(with = "Option<RawStatus>")]
    first_status: Option<Spanned<RawStatus>>,
    /// A text the body must contain; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    body_contains: Option<SpannedString>,
    /// A text the body must not contain; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    body_not_contains: Option<SpannedString>,
    /// A regex the body must match; may use `${VAR}`.
    #[schemars(with = "Option<String>")]
    body_matches: Option<SpannedString>,
    /// The body read as JSON: `"/pointer" = value`, or a table of predicates
    /// (`eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `contains`, `matches`,
    /// `exists`, `len`, `type`).
    #[serde(default)]
    #[schemars(with = "RawJsonSchema")]
    json: RawJson,
    /// Per header (names in any case): a regex its value must match, `false`
    /// (absent) or `true` (present).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RawHeaderRule>")]
    headers: IndexMap<SpannedString, Spanned<RawHeaderRule>>,
    /// The longest a response may take, like `"500ms"`.
    #[schemars(with = "Option<String>")]
    max_time: Option<SpannedString>,
    /// With `load`: the median response time at most, like `"200ms"`.
    #[schemars(with = "Option<String>")]
    p50: Option<SpannedString>,
    /// With `load`: the 90th percentile of the response times at most.
    #[schemars(with = "Option<String>")]
    p90: Option<SpannedString>,
    /// With `load`: the 95th percentile of the response times at most.
    #[schemars(with = "Option<String>")]
    p95: Option<SpannedString>,
    /// With `load`: the 99th percentile of the response times at most.
    #[schemars(with = "Option<String>")]
    p99: Option<SpannedString>,
    /// With `load`: the mean response time at most.
    #[schemars(with = "Option<String>")]
    mean: Option<SpannedString>,
    /// With `load`: the fraction of requests, 0 to 1, that may get no
    /// response or fail an expectation (default 0).
    #[schemars(with = "Option<f64>")]
    error_rate: Option<Spanned<f64>>,
}

/// A header's expectation: a regex its value matches, or `false` (absent)
/// or `true` (present, whatever its value).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a regex its value must match, `false` (absent) or `true` (present)"
)]
#[schemars(rename = "HeaderRule")]
enum RawHeaderRule {
    Matches(String),
    Present(bool),
}

/// `status = 200`, `[301, 308]` or `"2xx"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a status code, a list of codes, or a class like \"2xx\""
)]
#[schemars(rename = "Status")]
pub enum RawStatus {
    Code(i64),
    Codes(Vec<i64>),
    Class(String),
}

impl RawCheck for Raw {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        let method = match &self.method {
            Some(method) => Template::load(source, method)?,
            None => Template::fixed(Method::GET, "GET", self.url.span()),
        };
        let load = self
            .load
            .as_ref()
            .map(|l| load::load(source, l))
            .transpose()?;
        let repeat = match &self.repeat {
            Some(repeat) => values::at_least_one(source, "repeat", repeat)?,
            None => 1,
        };
        self.exclusions(source)?;
        Ok(Arc::new(Http {
            url: Template::load(source, &self.url)?,
            method,
            headers: load_headers(source, &self.headers)?,
            body: Template::optional(source, self.body.as_ref())?,
            timeout: Template::optional(source, self.timeout.as_ref())?,
            follow_redirects: self.follow_redirects.unwrap_or(true),
            insecure: self.insecure.unwrap_or(false),
            repeat,
            captures: capture::load(source, &self.capture)?,
            expect: self.expect.load(source, &self.url, self.load.as_ref())?,
            load,
        }))
    }
}

impl Raw {
    /// The keys that exclude each other: `load` with `repeat` or `capture`,
    /// `first_status` without `repeat`, statistics without `load`.
    fn exclusions(&self, source: &Source) -> Result<(), Diagnostic> {
        let expect = &self.expect;
        if let Some(load) = &self.load {
            let other = match (&self.repeat, self.capture.first()) {
                (Some(_), _) => {
                    Some("`repeat`: a load sends many requests, a repeat one after the other")
                }
                (None, Some(_)) => Some("`capture`: a capture takes a value from one response"),
                (None, None) => None,
            };
            if let Some(other) = other {
                return Err(source.diagnostic(load.span(), format!("`load` and {other}; keep one")));
            }
        } else if let Some((key, span)) = expect.statistics().first() {
            return Err(source.diagnostic(
                span.clone(),
                format!(
                    "`expect.{key}` bounds a statistic of many requests: give the gate \
                     `load = {{ requests = 200, concurrency = 8 }}`"
                ),
            ));
        }
        let repeated = self.repeat.as_ref().is_some_and(|r| *r.get_ref() >= 2);
        match (&expect.first_status, repeated) {
            (Some(first), false) => Err(source.diagnostic(
                first.span(),
                "`first_status` checks the first of `repeat` requests: give the gate \
                 `repeat = N` (2 or more), or check one response with `status`",
            )),
            _ => Ok(()),
        }
    }
}

impl RawExpect {
    /// `url` is where a default expectation points; `load`, where the
    /// default error rate does.
    fn load(
        &self,
        source: &Source,
        url: &SpannedString,
        load: Option<&Spanned<RawLoad>>,
    ) -> Result<Expect, Diagnostic> {
        let placed_status = |raw: &Spanned<RawStatus>| {
            Ok::<_, Diagnostic>(Placed::new(status(source, raw)?, source.place(&raw.span())))
        };
        let status = match &self.status {
            Some(raw) => placed_status(raw)?,
            None => Placed::new(StatusRule::default(), source.place(&url.span())),
        };
        let text = TextKeys {
            contains: self.body_contains.as_ref(),
            not_contains: self.body_not_contains.as_ref(),
            matches: self.body_matches.as_ref(),
            json: Some(&self.json),
        };
        let error_rate = match (&self.error_rate, load) {
            (Some(rate), _) => Some(error_rate(source, rate)?),
            (None, Some(load)) => Some(Placed::new(0.0, source.place(&load.span()))),
            (None, None) => None,
        };
        Ok(Expect {
            status,
            first_status: self.first_status.as_ref().map(placed_status).transpose()?,
            text: TextExpect::load(source, text)?,
            headers: self
                .headers
                .iter()
                .map(|(name, rule)| header_rule(source, name, rule))
                .collect::<Result<_, Diagnostic>>()?,
            max_time: Template::optional(source, self.max_time.as_ref())?,
            statistics: self
                .statistic_values()
                .into_iter()
                .map(|(stat, raw)| Ok((stat, Template::load(source, raw)?)))
                .collect::<Result<_, Diagnostic>>()?,
            error_rate,
        })
    }

    /// The statistics bounded, with where: `p95`, ...
    fn statistics(&self) -> Vec<(&'static str, Span)> {
        self.statistic_values()
            .into_iter()
            .map(|(stat, raw)| (stat.key(), raw.span()))
            .chain(self.error_rate.as_ref().map(|r| ("error_rate", r.span())))
            .collect()
    }

    fn statistic_values(&self) -> Vec<(Stat, &SpannedString)> {
        [
            (Stat::P50, &self.p50),
            (Stat::P90, &self.p90),
            (Stat::P95, &self.p95),
            (Stat::P99, &self.p99),
            (Stat::Mean, &self.mean),
        ]
        .into_iter()
        .filter_map(|(stat, raw)| Some((stat, raw.as_ref()?)))
        .collect()
    }
}

/// `error_rate`: a fraction from 0 to 1.
fn error_rate(source: &Source, raw: &Spanned<f64>) -> Result<Placed<f64>, Diagnostic> {
    let rate = *raw.get_ref();
    match (0.0..=1.0).contains(&rate) {
        true => Ok(Placed::new(rate, source.place(&raw.span()))),
        false => Err(source.diagnostic(
            raw.span(),
            format!("invalid error_rate {rate}: it is a fraction from 0 to 1 (0.001 is 0.1%)"),
        )),
    }
}

/// `name = "regex"`, `name = false` or `name = true`.
fn header_rule(
    source: &Source,
    name: &SpannedString,
    rule: &Spanned<RawHeaderRule>,
) -> Result<(String, Template<HeaderRule>), Diagnostic> {
    let name = header_name(source, name.get_ref(), name)?.to_ascii_lowercase();
    let rule = match rule.get_ref() {
        RawHeaderRule::Matches(pattern) => {
            Template::load(source, &Spanned::new(rule.span(), pattern.clone()))?
        }
        RawHeaderRule::Present(present) => {
            let fixed = match present {
                true => HeaderRule::Present,
                false => HeaderRule::Absent,
            };
            Template::fixed(fixed, present.to_string(), rule.span())
        }
    };
    Ok((name, rule))
}

/// `http = { ... }`, validated; strings are resolved when the gate is planned.
#[derive(Debug)]
pub struct Http {
    url: Template<HttpUrl>,
    method: Template<Method>,
    headers: Headers,
    body: Option<Template<String>>,
    /// One request's timeout; `None`: the gate's timeout.
    timeout: Option<Template<Timeout>>,
    follow_redirects: bool,
    insecure: bool,
    /// Requests sent in a row; `expect` is checked on the last.
    repeat: u32,
    load: Option<Load>,
    captures: Vec<Capture>,
    expect: Expect,
}

/// `http.expect`, validated.
#[derive(Debug)]
struct Expect {
    status: Placed<StatusRule>,
    first_status: Option<Placed<StatusRule>>,
    /// `body_contains`, `body_not_contains`, `body_matches`, `json`.
    text: TextExpect,
    /// Lowercase header name -> what its value must be.
    headers: Vec<(String, Template<HeaderRule>)>,
    max_time: Option<Template<Timeout>>,
    /// The bounds of `p50` ... `mean` (with `load`).
    statistics: Vec<(Stat, Template<Timeout>)>,
    /// With `load`: the most errors allowed, as a fraction.
    error_rate: Option<Placed<f64>>,
}

impl Check for Http {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn captures(&self) -> Vec<String> {
        self.captures.iter().map(|c| c.name.clone()).collect()
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        let expect = &self.expect;
        let probe = HttpProbe {
            url: resolver.value(&self.url)?,
            method: resolver.value(&self.method)?,
            headers: plan_headers(resolver, &self.headers)?,
            body: resolver.optional(self.body.as_ref())?,
            timeout: resolver.timeout(self.timeout.as_ref())?,
            follow_redirects: self.follow_redirects,
            insecure: self.insecure,
            repeat: self.repeat,
            load: self.load,
            captures: self.captures.clone(),
            expect: Expectations {
                status: expect.status.clone(),
                first_status: expect.first_status.clone(),
                text: expect.text.plan(resolver)?,
                headers: expect
                    .headers
                    .iter()
                    .map(|(name, rule)| {
                        let placed = placed(resolver, Some(rule))?.expect("a rule");
                        Ok(placed.map(|rule| (name.clone(), rule)))
                    })
                    .collect::<Result<_, Error>>()?,
                max_time: placed(resolver, expect.max_time.as_ref())?.map(|t| t.map(|t| t.0)),
                statistics: expect
                    .statistics
                    .iter()
                    .map(|(stat, bound)| {
                        let placed = placed(resolver, Some(bound))?.expect("a bound");
                        Ok(placed.map(|bound| (*stat, bound.0)))
                    })
                    .collect::<Result<_, Error>>()?,
                error_rate: expect.error_rate.clone(),
            },
        };
        Ok(Action::Probe(Arc::new(probe)))
    }
}

/// An HTTP request and what its response must show, ready to send.
#[derive(Debug)]
pub struct HttpProbe {
    url: HttpUrl,
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<String>,
    /// One request's timeout; `None`: the gate's.
    timeout: Option<Duration>,
    follow_redirects: bool,
    insecure: bool,
    repeat: u32,
    load: Option<Load>,
    captures: Vec<Capture>,
    expect: Expectations,
}

impl Probe for HttpProbe {
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.url.display())
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        Box::pin(attempt(self, context))
    }
}

/// Sends the requests (`repeat` of them, or a `load`) and checks them.
async fn attempt(probe: &HttpProbe, ctx: &mut AttemptContext<'_>) -> Attempt {
    let client = match ctx
        .resources
        .http
        .get(probe.follow_redirects, probe.insecure)
    {
        Ok(client) => client,
        Err(reason) => return Attempt::error(reason),
    };
    let timeout = probe.timeout.unwrap_or(ctx.timeout);
    let redactor = Arc::clone(&ctx.redactor);
    match probe.load {
        Some(load) => ctx.bounded(load::run(probe, load, client, timeout)).await,
        None => {
            ctx.bounded(requests(probe, client, timeout, &redactor))
                .await
        }
    }
}

/// The requests, one after the other; the gate's deadline is watched by
/// the caller, `http.timeout` (when set) bounds each request here.
async fn requests(
    probe: &HttpProbe,
    client: &Client,
    timeout: Duration,
    redactor: &Redactor,
) -> Attempt {
    let mut first_status = None;
    let mut last = None;
    for number in 1..=probe.repeat {
        match request(probe, client).await {
            Ok(received) => {
                first_status.get_or_insert(received.status);
                last = Some(received);
            }
            Err(error) => {
                let (status, reason) = describe(&error, probe, timeout);
                let reason = match probe.repeat {
                    1 => reason,
                    n => format!("request {number} of {n}: {reason}"),
                };
                return Attempt::new(status, reason);
            }
        }
    }
    let received = last.expect("repeat is at least 1");
    let mut failures = probe.expect.check(&received);
    if let (Some(rule), Some(first)) = (&probe.expect.first_status, first_status) {
        failures.extend(expect::status("first_status", rule, first));
    }
    let answer = capture::Answer {
        body: Received {
            noun: "body",
            bytes: &received.body,
            complete: received.complete,
        },
        headers: &received.headers,
    };
    let taken = capture::take_all(&probe.captures, answer, redactor);
    let output = expect::summary(probe, &received, redactor);
    capture::apply(Attempt::passed().with_failures(failures), taken).with_output(output)
}

/// One request, its response read up to the body limit.
async fn request(probe: &HttpProbe, client: &Client) -> Result<Response, reqwest::Error> {
    let mut request = client.request(probe.method.clone(), probe.url.url.clone());
    if let Some(timeout) = probe.timeout {
        request = request.timeout(timeout);
    }
    for (name, value) in &probe.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &probe.body {
        request = request.body(body.clone());
    }
    let started = Instant::now();
    let mut response = request.send().await?;
    let (body, complete) = read_body(&mut response).await?;
    Ok(Response {
        url: response.url().clone(),
        status: response.status(),
        headers: response.headers().clone(),
        body,
        complete,
        elapsed: started.elapsed(),
    })
}

/// At most `BODY_LIMIT` bytes of the body; true if that was all of it.
async fn read_body(response: &mut reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            return Ok((body, false));
        }
    }
    Ok((body, true))
}

/// The status and one-line reason for a request that got no response.
fn describe(error: &reqwest::Error, probe: &HttpProbe, timeout: Duration) -> (Status, String) {
    let url = &probe.url.url;
    let host = url.host_str().unwrap_or_default();
    let address = match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => url.to_string(),
    };
    match NoResponse::of(error) {
        NoResponse::TimedOut => (
            Status::TimedOut,
            format!("request timed out after {}", format_duration(timeout)),
        ),
        NoResponse::Tls(why) => (Status::Error, net::handshake_failed(&address, &why)),
        NoResponse::Refused => (Status::Error, format!("connection refused by {address}")),
        NoResponse::Unresolved(cause) => (
            Status::Error,
            format!("cannot resolve host {host}: {cause}"),
        ),
        NoResponse::Connect(cause) => (
            Status::Error,
            format!("cannot connect to {address}: {cause}"),
        ),
        NoResponse::Failed(cause) => (
            Status::Error,
            format!("request to {address} failed: {cause}"),
        ),
    }
}

/// `200`, `[301, 308]` or `"2xx"`.
fn status(source: &Source, raw: &Spanned<RawStatus>) -> Result<StatusRule, Diagnostic> {
    let invalid = |what: String| {
        source.diagnostic(
            raw.span(),
            format!(
                "invalid status {what}: expected a code from 100 to 599, a list of codes, \
                 or a class like \"2xx\""
            ),
        )
    };
    let code = |n: i64| {
        u16::try_from(n)
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| invalid(n.to_string()))
    };
    match raw.get_ref() {
        RawStatus::Code(n) => Ok(StatusRule::Codes(vec![code(*n)?])),
        RawStatus::Codes(codes) if !codes.is_empty() => Ok(StatusRule::Codes(
            codes.iter().map(|&n| code(n)).collect::<Result<_, _>>()?,
        )),
        RawStatus::Codes(_) => Err(invalid("[]".to_owned())),
        RawStatus::Class(class) => match class.as_bytes() {
            [digit @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                Ok(StatusRule::Class(u16::from(digit - b'0')))
            }
            _ => Err(invalid(format!("\"{class}\""))),
        },
    }
}

/// Request headers as written: names checked now, values templates.
pub type Headers = Vec<(HeaderName, Template<HeaderValue>)>;

/// `headers = { Name = "value" }` of a request (`http`, `ws`).
pub fn load_headers(source: &Source, raw: &RawEnv) -> Result<Headers, Diagnostic> {
    raw.iter()
        .map(|(name, value)| {
            let invalid =
                || source.diagnostic(value.span(), format!("invalid header name `{name}`"));
            let name = header_name(source, name, value)?;
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            Ok((name, Template::load(source, value)?))
        })
        .collect()
}

/// The request headers, their values resolved.
pub fn plan_headers(
    resolver: &Resolver,
    headers: &Headers,
) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
    headers
        .iter()
        .map(|(name, value)| Ok((name.clone(), resolver.value(value)?)))
        .collect()
}

/// A header name: letters, digits and ``!#$%&'*+-.^_`|~``.
fn header_name(source: &Source, name: &str, at: &SpannedString) -> Result<String, Diagnostic> {
    if is_token(name) {
        return Ok(name.to_owned());
    }
    Err(source.diagnostic(at.span(), format!("invalid header name `{name}`")))
}

/// An HTTP token (header names, methods): letters, digits and
/// ``!#$%&'*+-.^_`|~``.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Parse for Method {
    fn parse(text: &str) -> Result<Method, String> {
        match is_token(text) {
            true => Method::from_bytes(text.as_bytes()).map_err(|e| e.to_string()),
            false => Err(format!("invalid method `{text}`")),
        }
    }
}

impl Parse for HeaderValue {
    fn parse(text: &str) -> Result<HeaderValue, String> {
        HeaderValue::from_str(text)
            .map_err(|_| "invalid header value: it holds a control character".to_owned())
    }
}
