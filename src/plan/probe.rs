//! `http` and `tls` checks with every string interpolated, regexes
//! compiled, and URL, method and port parsed: what the executor sends.

use std::time::Duration;

use regex::Regex;
use serde_json::Value;

use crate::config::{
    Check, Config, Http, Located, StatusRule, Tls, check_header_value, parse_duration, parse_port,
    parse_url, regex_error,
};
use crate::error::Error;

/// What a gate does, ready to execute.
#[derive(Debug, Clone)]
pub enum Action {
    /// A shell command (`run` is never interpolated).
    Command {
        run: String,
    },
    Http(Box<HttpProbe>),
    Tls(TlsProbe),
    Manual,
}

/// An HTTP request and what its response must show.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    pub url: reqwest::Url,
    /// The URL as written, interpolated: shown in reports, since the parsed
    /// URL re-encodes characters (and a secret with them).
    pub url_text: String,
    pub method: reqwest::Method,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// One request's timeout; `None`: the gate's.
    pub timeout: Option<Duration>,
    pub follow_redirects: bool,
    pub insecure: bool,
    pub repeat: u32,
    pub expect: Expectations,
}

/// `http.expect`, interpolated and compiled.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub status: StatusRule,
    pub body_contains: Option<String>,
    pub body_matches: Option<Regex>,
    pub json: Vec<(String, Value)>,
    /// Lowercase header name -> regex.
    pub headers: Vec<(String, Regex)>,
    pub max_time: Option<Duration>,
}

impl HttpProbe {
    /// The URL for reports: as written, or with its password masked when it has one.
    pub fn display_url(&self) -> String {
        match self.url.password() {
            Some(_) => without_password(&self.url),
            None => self.url_text.clone(),
        }
    }
}

/// `url` with any password replaced by `***`.
pub fn without_password(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    url.to_string()
}

/// A TLS endpoint whose certificate's expiry is checked.
#[derive(Debug, Clone)]
pub struct TlsProbe {
    pub host: String,
    /// `host` as the name the certificate must be for.
    pub server_name: rustls::pki_types::ServerName<'static>,
    pub port: u16,
    pub min_days: u32,
    pub insecure: bool,
}

/// Turns a config string into its value (interpolation), or a config error.
pub type Resolve<'a> = dyn Fn(&Located<String>) -> Result<String, Error> + 'a;

/// The action of `check`, its strings resolved with `resolve`.
pub fn action(config: &Config, check: &Check, resolve: &Resolve) -> Result<Action, Error> {
    Ok(match check {
        Check::Command { run } => Action::Command { run: run.clone() },
        Check::Http(http) => Action::Http(Box::new(http_probe(config, http, resolve)?)),
        Check::Tls(tls) => Action::Tls(tls_probe(config, tls, resolve)?),
        Check::Manual => Action::Manual,
    })
}

fn http_probe(config: &Config, http: &Http, resolve: &Resolve) -> Result<HttpProbe, Error> {
    let url_text = resolve(&http.url)?;
    let url = parse_url(&url_text).map_err(|message| invalid(config, &http.url, message))?;
    let method_text = resolve(&http.method)?;
    let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        invalid(
            config,
            &http.method,
            format!("invalid method `{method_text}`"),
        )
    })?;
    let expect = &http.expect;
    Ok(HttpProbe {
        url,
        url_text,
        method,
        headers: http
            .headers
            .iter()
            .map(|(name, value)| {
                let text = resolve(value)?;
                check_header_value(name, &text)
                    .map_err(|message| invalid(config, value, message))?;
                Ok((name.clone(), text))
            })
            .collect::<Result<_, Error>>()?,
        body: http.body.as_ref().map(resolve).transpose()?,
        timeout: http
            .timeout
            .as_ref()
            .map(|t| duration(config, t, resolve))
            .transpose()?,
        follow_redirects: http.follow_redirects,
        insecure: http.insecure,
        repeat: http.repeat,
        expect: Expectations {
            status: expect.status.clone(),
            body_contains: expect.body_contains.as_ref().map(resolve).transpose()?,
            body_matches: expect
                .body_matches
                .as_ref()
                .map(|r| regex(config, r, resolve))
                .transpose()?,
            json: expect
                .json
                .iter()
                .map(|(pointer, value)| {
                    Ok((pointer.clone(), json_strings(&value.value, value, resolve)?))
                })
                .collect::<Result<_, Error>>()?,
            headers: expect
                .headers
                .iter()
                .map(|(name, pattern)| Ok((name.clone(), regex(config, pattern, resolve)?)))
                .collect::<Result<_, Error>>()?,
            max_time: expect
                .max_time
                .as_ref()
                .map(|t| duration(config, t, resolve))
                .transpose()?,
        },
    })
}

fn tls_probe(config: &Config, tls: &Tls, resolve: &Resolve) -> Result<TlsProbe, Error> {
    let port_text = resolve(&tls.port)?;
    let port = parse_port(&port_text).map_err(|message| invalid(config, &tls.port, message))?;
    let host = resolve(&tls.host)?;
    let server_name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|_| invalid(config, &tls.host, format!("invalid host name `{host}`")))?;
    Ok(TlsProbe {
        host,
        server_name,
        port,
        min_days: tls.min_days,
        insecure: tls.insecure,
    })
}

/// A positive duration, parsed after interpolation.
fn duration(config: &Config, text: &Located<String>, resolve: &Resolve) -> Result<Duration, Error> {
    let value = resolve(text)?;
    parse_duration(&value).filter(|d| !d.is_zero()).ok_or_else(|| {
        invalid(
            config,
            text,
            format!("invalid duration `{value}`: expected a positive integer and a unit, like `500ms`, `30s` or `5m`"),
        )
    })
}

/// A regex, compiled after interpolation.
fn regex(config: &Config, pattern: &Located<String>, resolve: &Resolve) -> Result<Regex, Error> {
    Regex::new(&resolve(pattern)?).map_err(|e| invalid(config, pattern, regex_error(&e)))
}

/// `value` with the strings inside it interpolated; errors point at `at`.
fn json_strings<T>(value: &Value, at: &Located<T>, resolve: &Resolve) -> Result<Value, Error> {
    Ok(match value {
        Value::String(text) => Value::String(resolve(&Located {
            value: text.clone(),
            span: at.span.clone(),
        })?),
        Value::Array(items) => items
            .iter()
            .map(|v| json_strings(v, at, resolve))
            .collect::<Result<_, _>>()?,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), json_strings(v, at, resolve)?)))
            .collect::<Result<_, Error>>()?,
        other => other.clone(),
    })
}

/// A config error at `at`.
fn invalid(config: &Config, at: &Located<String>, message: String) -> Error {
    super::config_error(config, &at.span, message)
}
