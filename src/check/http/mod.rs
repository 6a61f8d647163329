//! `http` gates: a request, sent `repeat` times in a row with a client
//! shared by the run (so connections are pooled), the last response read in
//! bounded memory and checked against `expect`.

pub mod client;
mod expect;

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use regex::Regex;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Client, Method};
use serde::Deserialize;
use tokio::time::Instant;
use toml::Spanned;

use super::expect::{RawJson, TextExpect};
use super::{Action, BoxFuture, Check, Probe, RawCheck};
use crate::config::{
    Diagnostic, Parse, RawEnv, Source, SpannedString, Template, Timeout, format_duration,
};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext};
use crate::plan::Resolver;
use crate::redact::Redactor;
pub use client::{Clients, HttpUrl, NoResponse};
use expect::{Expectations, Response, StatusRule};

/// The kind's name in reports.
pub const KIND: &str = "http";

/// Most of a response body kept for the expectations; the rest is not read.
const BODY_LIMIT: usize = 1024 * 1024;

/// `http = { ... }` of a gate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    url: SpannedString,
    method: Option<SpannedString>,
    #[serde(default)]
    headers: RawEnv,
    body: Option<SpannedString>,
    timeout: Option<SpannedString>,
    follow_redirects: Option<bool>,
    insecure: Option<bool>,
    repeat: Option<Spanned<i64>>,
    #[serde(default)]
    expect: RawExpect,
}

/// `http.expect`: what the (last) response must show.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Option<Spanned<RawStatus>>,
    body_contains: Option<SpannedString>,
    body_matches: Option<SpannedString>,
    #[serde(default)]
    json: RawJson,
    #[serde(default)]
    headers: IndexMap<SpannedString, SpannedString>,
    max_time: Option<SpannedString>,
}

/// `status = 200`, `[301, 308]` or `"2xx"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
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
        Ok(Arc::new(Http {
            url: Template::load(source, &self.url)?,
            method,
            headers: load_headers(source, &self.headers)?,
            body: Template::optional(source, self.body.as_ref())?,
            timeout: Template::optional(source, self.timeout.as_ref())?,
            follow_redirects: self.follow_redirects.unwrap_or(true),
            insecure: self.insecure.unwrap_or(false),
            repeat: match &self.repeat {
                Some(repeat) => at_least_one(source, "repeat", repeat)?,
                None => 1,
            },
            expect: self.expect.load(source)?,
        }))
    }
}

impl RawExpect {
    fn load(&self, source: &Source) -> Result<Expect, Diagnostic> {
        Ok(Expect {
            status: self
                .status
                .as_ref()
                .map(|s| status(source, s))
                .transpose()?
                .unwrap_or_default(),
            text: TextExpect::load(
                source,
                self.body_contains.as_ref(),
                self.body_matches.as_ref(),
                &self.json,
            )?,
            headers: self
                .headers
                .iter()
                .map(|(name, pattern)| {
                    let name = header_name(source, name.get_ref(), name)?;
                    Ok((name.to_ascii_lowercase(), Template::load(source, pattern)?))
                })
                .collect::<Result<_, Diagnostic>>()?,
            max_time: Template::optional(source, self.max_time.as_ref())?,
        })
    }
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
    expect: Expect,
}

/// `http.expect`, validated.
#[derive(Debug)]
struct Expect {
    status: StatusRule,
    /// `body_contains`, `body_matches`, `json`.
    text: TextExpect,
    /// Lowercase header name -> regex its value must match.
    headers: Vec<(String, Template<Regex>)>,
    max_time: Option<Template<Timeout>>,
}

impl Check for Http {
    fn kind(&self) -> &'static str {
        KIND
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
            expect: Expectations {
                status: expect.status.clone(),
                text: expect.text.plan(resolver)?,
                headers: expect
                    .headers
                    .iter()
                    .map(|(name, pattern)| Ok((name.clone(), resolver.value(pattern)?)))
                    .collect::<Result<_, Error>>()?,
                max_time: resolver.timeout(expect.max_time.as_ref())?,
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

/// Sends the requests (`repeat` of them) and checks the last response.
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
    ctx.bounded(requests(probe, client, timeout, &redactor))
        .await
}

/// The requests, one after the other; the gate's deadline is watched by
/// the caller, `http.timeout` (when set) bounds each request here.
async fn requests(
    probe: &HttpProbe,
    client: &Client,
    timeout: Duration,
    redactor: &Redactor,
) -> Attempt {
    let mut last = None;
    for number in 1..=probe.repeat {
        match request(probe, client).await {
            Ok(received) => last = Some(received),
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
    let output = expect::summary(probe, &received, redactor);
    let failures = probe.expect.check(&received);
    match failures.is_empty() {
        true => Attempt::passed().with_output(output),
        false => Attempt::new(Status::Failed, failures.join("; ")).with_output(output),
    }
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
        NoResponse::Tls(tls) => (
            Status::Error,
            format!("TLS handshake with {address} failed: {tls}"),
        ),
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

/// A count of 1 or more (`repeat`).
fn at_least_one(source: &Source, what: &str, raw: &Spanned<i64>) -> Result<u32, Diagnostic> {
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
