//! What an HTTP response must show (`http.expect`), checked as data: each
//! expectation that does not hold is a [`Failure`] record, with what was
//! expected, what came, and where the expectation is written.

use std::time::Duration;

use regex::Regex;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::HttpProbe;
use super::client::without_password;
use crate::check::expect::{self, Placed, TextExpectations, excerpt, quoted};
use crate::config::{Parse, format_duration};
use crate::event::Failure;
use crate::redact::Redactor;

/// Which response statuses pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusRule {
    /// Any of these codes.
    Codes(Vec<u16>),
    /// A class: `2` for "2xx".
    Class(u16),
}

impl Default for StatusRule {
    fn default() -> Self {
        StatusRule::Class(2)
    }
}

impl std::fmt::Display for StatusRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusRule::Codes(codes) => {
                let list: Vec<String> = codes.iter().map(u16::to_string).collect();
                write!(f, "{}", list.join(" or "))
            }
            StatusRule::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// What a header must be.
#[derive(Debug, Clone)]
pub enum HeaderRule {
    /// Present, with a value that matches.
    Matches(Regex),
    /// Present, whatever its value (`true`).
    Present,
    /// Not sent at all (`false`).
    Absent,
}

impl Parse for HeaderRule {
    fn parse(text: &str) -> Result<HeaderRule, String> {
        Regex::parse(text).map(HeaderRule::Matches)
    }
}

/// A statistic of a `load` gate's response times that `expect` bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    P50,
    P90,
    P95,
    P99,
    Mean,
}

impl Stat {
    /// Its key in `expect`.
    pub fn key(self) -> &'static str {
        match self {
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
            Stat::Mean => "mean",
        }
    }
}

/// `http.expect`, its values resolved.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub status: Placed<StatusRule>,
    /// With `repeat`: the status of the first response.
    pub first_status: Option<Placed<StatusRule>>,
    /// `body_contains`, `body_not_contains`, `body_matches` and `json`.
    pub text: TextExpectations,
    /// Lowercase header name and what it must be.
    pub headers: Vec<Placed<(String, HeaderRule)>>,
    /// The (last) response's time, or with `load` the slowest one's.
    pub max_time: Option<Placed<Duration>>,
    /// With `load`: bounds of `p50` ... `mean`.
    pub statistics: Vec<Placed<(Stat, Duration)>>,
    /// With `load`: the most errors allowed, as a fraction.
    pub error_rate: Option<Placed<f64>>,
}

/// A response as far as it was read.
#[derive(Debug)]
pub struct Response {
    /// Where the response came from, after any redirects.
    pub url: reqwest::Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body, or its first part when `complete` is false.
    pub body: Vec<u8>,
    pub complete: bool,
    /// From sending the request to the end of the body read.
    pub elapsed: Duration,
}

impl Expectations {
    /// Every expectation that does not hold for the (last) response.
    pub fn check(&self, received: &Response) -> Vec<Failure> {
        let mut failures = self.check_response(received);
        if let Some(max) = &self.max_time {
            if received.elapsed > max.value {
                failures.push(max.failure(
                    "response time",
                    format!("<= {}", format_duration(max.value)),
                    format_duration(received.elapsed),
                ));
            }
        }
        failures
    }

    /// What does not hold for one response, whatever its time: status,
    /// headers and body.
    pub fn check_response(&self, received: &Response) -> Vec<Failure> {
        let mut failures = Vec::new();
        failures.extend(status("status", &self.status, received.status));
        for rule in &self.headers {
            failures.extend(header(&received.headers, rule));
        }
        failures.extend(self.text.failures(expect::Received {
            noun: "body",
            bytes: &received.body,
            complete: received.complete,
        }));
        failures
    }
}

/// The failure of `rule` (written as `key`) for `status`, if it does not hold.
pub fn status(key: &str, rule: &Placed<StatusRule>, status: StatusCode) -> Option<Failure> {
    let code = status.as_u16();
    let holds = match &rule.value {
        StatusRule::Codes(codes) => codes.contains(&code),
        StatusRule::Class(class) => code / 100 == *class,
    };
    (!holds).then(|| rule.failure(key, rule.value.to_string(), code.to_string()))
}

fn header(headers: &HeaderMap, rule: &Placed<(String, HeaderRule)>) -> Option<Failure> {
    let (name, expected) = &rule.value;
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let shown = || quoted(&values.join(", "));
    let expect = format!("header {name}");
    match expected {
        HeaderRule::Absent if values.is_empty() => None,
        HeaderRule::Absent => Some(rule.failure(&expect, "absent".to_owned(), shown())),
        _ if values.is_empty() => {
            let wanted = match expected {
                HeaderRule::Matches(pattern) => format!("matching /{pattern}/"),
                _ => "present".to_owned(),
            };
            Some(rule.failure(&expect, wanted, "absent".to_owned()))
        }
        HeaderRule::Present => None,
        HeaderRule::Matches(pattern) if values.iter().any(|v| pattern.is_match(v)) => None,
        HeaderRule::Matches(pattern) => {
            Some(rule.failure(&expect, format!("matching /{pattern}/"), shown()))
        }
    }
}

/// A short summary of the response for the report: request, status, time,
/// where redirects ended, any `location`, and the start of the body. Secrets
/// are masked before anything is cut, so no piece of one is left.
pub fn summary(probe: &HttpProbe, received: &Response, redactor: &Redactor) -> String {
    let requests = match probe.repeat {
        1 => String::new(),
        n => format!(" (request {n} of {n})"),
    };
    let mut text = format!(
        "{} {} -> {} in {}{requests}",
        probe.method,
        probe.url.display(),
        received.status,
        format_duration(received.elapsed)
    );
    if received.url != probe.url.url {
        text.push_str(&format!(
            "\nredirected to: {}",
            without_password(&received.url)
        ));
    }
    if let Some(location) = received.headers.get(reqwest::header::LOCATION) {
        text.push_str(&format!(
            "\nlocation: {}",
            String::from_utf8_lossy(location.as_bytes())
        ));
    }
    text.push_str(&excerpt(&received.body, received.complete, redactor));
    redactor.redact(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(status: u16) -> Response {
        Response {
            url: reqwest::Url::parse("http://127.0.0.1/").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            complete: true,
            elapsed: Duration::from_millis(5),
        }
    }

    fn expect(status: StatusRule) -> Expectations {
        Expectations {
            status: Placed::new(status, "gates.toml:3:1".into()),
            first_status: None,
            text: TextExpectations::default(),
            headers: Vec::new(),
            max_time: None,
            statistics: Vec::new(),
            error_rate: None,
        }
    }

    fn reasons(failures: Vec<Failure>) -> Vec<String> {
        failures.iter().map(Failure::to_string).collect()
    }

    #[test]
    fn status_rules() {
        let any_2xx = expect(StatusRule::Class(2));
        assert!(any_2xx.check(&received(204)).is_empty());
        assert_eq!(
            any_2xx.check(&received(503)),
            [Failure {
                expect: "status".into(),
                expected: "2xx".into(),
                actual: "503".into(),
                at: "gates.toml:3:1".into()
            }]
        );
        let redirect = expect(StatusRule::Codes(vec![301, 308]));
        assert_eq!(
            reasons(redirect.check(&received(200))),
            ["expected status 301 or 308, got 200"]
        );
    }

    #[test]
    fn headers_present_absent_and_matching() {
        let mut response = received(200);
        response
            .headers
            .insert("x-powered-by", "Express".parse().unwrap());
        let rule = |name: &str, rule| Placed::new((name.to_owned(), rule), "g:1:1".into());
        let mut want = expect(StatusRule::Class(2));
        want.headers = vec![
            rule("x-powered-by", HeaderRule::Absent),
            rule("server", HeaderRule::Absent),
            rule("x-frame-options", HeaderRule::Present),
            rule(
                "x-powered-by",
                HeaderRule::Matches(Regex::new("^Exp").unwrap()),
            ),
        ];
        assert_eq!(
            reasons(want.check(&response)),
            [
                "expected header x-powered-by absent, got \"Express\"",
                "expected header x-frame-options present, got absent"
            ]
        );
    }
}
