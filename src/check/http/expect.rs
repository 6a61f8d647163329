//! What an HTTP response must show (`http.expect`), checked as data: each
//! expectation that does not hold is one message, with what was expected
//! and what came.

use std::time::Duration;

use regex::Regex;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::HttpProbe;
use super::client::without_password;
use crate::check::expect::{self, TextExpectations, excerpt};
use crate::config::format_duration;
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

/// `http.expect`, its values resolved.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub status: StatusRule,
    /// `body_contains`, `body_matches` and `json`.
    pub text: TextExpectations,
    /// Lowercase header name -> regex.
    pub headers: Vec<(String, Regex)>,
    pub max_time: Option<Duration>,
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
    /// Every expectation that does not hold, as one message each.
    pub fn check(&self, received: &Response) -> Vec<String> {
        let mut failures = Vec::new();
        failures.extend(status(&self.status, received.status));
        for (name, pattern) in &self.headers {
            failures.extend(header(&received.headers, name, pattern));
        }
        failures.extend(self.text.failures(expect::Received {
            noun: "body",
            bytes: &received.body,
            complete: received.complete,
        }));
        if let Some(max) = self.max_time {
            if received.elapsed > max {
                failures.push(format!(
                    "response took {}, more than max_time {}",
                    format_duration(received.elapsed),
                    format_duration(max)
                ));
            }
        }
        failures
    }
}

fn status(rule: &StatusRule, status: StatusCode) -> Option<String> {
    let code = status.as_u16();
    let (holds, expected) = match rule {
        StatusRule::Codes(codes) => {
            let list: Vec<String> = codes.iter().map(u16::to_string).collect();
            (codes.contains(&code), list.join(" or "))
        }
        StatusRule::Class(class) => (code / 100 == *class, format!("{class}xx")),
    };
    (!holds).then(|| format!("expected status {expected}, got {code}"))
}

fn header(headers: &HeaderMap, name: &str, pattern: &Regex) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if values.is_empty() {
        return Some(format!("header `{name}` missing"));
    }
    match values.iter().any(|value| pattern.is_match(value)) {
        true => None,
        false => Some(format!(
            "header `{name}`: \"{}\" does not match /{pattern}/",
            values.join(", ")
        )),
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
            status,
            text: TextExpectations::default(),
            headers: Vec::new(),
            max_time: None,
        }
    }

    #[test]
    fn status_rules() {
        let any_2xx = expect(StatusRule::Class(2));
        assert_eq!(any_2xx.check(&received(204)), Vec::<String>::new());
        assert_eq!(
            any_2xx.check(&received(503)),
            ["expected status 2xx, got 503"]
        );
        let redirect = expect(StatusRule::Codes(vec![301, 308]));
        assert_eq!(
            redirect.check(&received(200)),
            ["expected status 301 or 308, got 200"]
        );
    }
}
