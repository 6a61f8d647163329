//! What an HTTP response must show (`http.expect`), checked as data: each
//! expectation that does not hold is one message, with what was expected
//! and what came.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::config::{StatusRule, format_duration};
use crate::plan::{Expectations, HttpProbe, without_password};
use crate::redact::Redactor;

/// Characters of the body shown in a report.
const EXCERPT: usize = 400;

/// A response as far as it was read.
#[derive(Debug)]
pub struct Received {
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

/// Every expectation that does not hold, as one message each.
pub fn check(expect: &Expectations, received: &Received) -> Vec<String> {
    let mut failures = Vec::new();
    failures.extend(status(&expect.status, received.status));
    for (name, pattern) in &expect.headers {
        failures.extend(header(&received.headers, name, pattern));
    }
    if let Some(needle) = &expect.body_contains {
        failures.extend(body_contains(received, needle));
    }
    if let Some(pattern) = &expect.body_matches {
        failures.extend(body_matches(received, pattern));
    }
    if !expect.json.is_empty() {
        failures.extend(json(received, &expect.json));
    }
    if let Some(max) = expect.max_time {
        if received.elapsed > max {
            failures.push(format!(
                "response took {}, more than max_time {}",
                format_duration(round_to_millis(received.elapsed)),
                format_duration(max)
            ));
        }
    }
    failures
}

fn round_to_millis(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
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

fn header(headers: &HeaderMap, name: &str, pattern: &regex::Regex) -> Option<String> {
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

/// Where a failure on a partly read body says how much was checked.
fn partly(received: &Received) -> String {
    match received.complete {
        true => String::new(),
        false => format!(" (in its first {} KiB)", received.body.len() / 1024),
    }
}

fn body_contains(received: &Received, needle: &str) -> Option<String> {
    let found = needle.is_empty()
        || received
            .body
            .windows(needle.len())
            .any(|window| window == needle.as_bytes());
    (!found).then(|| format!("body does not contain \"{needle}\"{}", partly(received)))
}

fn body_matches(received: &Received, pattern: &regex::Regex) -> Option<String> {
    match std::str::from_utf8(&received.body) {
        Ok(text) if pattern.is_match(text) => None,
        Ok(_) => Some(format!(
            "body does not match /{pattern}/{}",
            partly(received)
        )),
        Err(_) => Some("body is not UTF-8 text, so it cannot match a regex".to_owned()),
    }
}

fn json(received: &Received, expected: &[(String, Value)]) -> Vec<String> {
    if !received.complete {
        return vec![format!(
            "body is larger than {} KiB: too large to check as JSON",
            received.body.len() / 1024
        )];
    }
    let document: Value = match serde_json::from_slice(&received.body) {
        Ok(document) => document,
        Err(error) => return vec![format!("body is not JSON: {error}")],
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

/// A short summary of the response for the report: request, status, time,
/// where redirects ended, any `location`, and the start of the body. Secrets
/// are masked before anything is cut, so no piece of one is left.
pub fn summary(probe: &HttpProbe, received: &Received, redactor: &Redactor) -> String {
    let requests = match probe.repeat {
        1 => String::new(),
        n => format!(" (request {n} of {n})"),
    };
    let mut text = format!(
        "{} {} -> {} in {}{requests}",
        probe.method,
        probe.display_url(),
        received.status,
        format_duration(round_to_millis(received.elapsed))
    );
    if received.url != probe.url {
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
    let body = redactor.redact(&String::from_utf8_lossy(&received.body));
    let excerpt: String = body.chars().take(EXCERPT).collect();
    if !excerpt.trim().is_empty() {
        text.push('\n');
        text.push_str(excerpt.trim_end());
        if excerpt.len() < body.len() || !received.complete {
            text.push_str(" ...");
        }
    }
    redactor.redact(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(status: u16, body: &str) -> Received {
        Received {
            url: reqwest::Url::parse("http://127.0.0.1/").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            complete: true,
            elapsed: Duration::from_millis(5),
        }
    }

    fn expect() -> Expectations {
        Expectations {
            status: StatusRule::Class(2),
            body_contains: None,
            body_matches: None,
            json: Vec::new(),
            headers: Vec::new(),
            max_time: None,
        }
    }

    #[test]
    fn status_rules() {
        assert_eq!(check(&expect(), &received(204, "")), Vec::<String>::new());
        assert_eq!(
            check(&expect(), &received(503, "")),
            ["expected status 2xx, got 503"]
        );
        let redirect = Expectations {
            status: StatusRule::Codes(vec![301, 308]),
            ..expect()
        };
        assert_eq!(
            check(&redirect, &received(200, "")),
            ["expected status 301 or 308, got 200"]
        );
    }

    #[test]
    fn json_numbers_compare_by_value() {
        let want = Expectations {
            json: vec![
                ("/n".into(), serde_json::json!(1)),
                ("/ok".into(), serde_json::json!(true)),
            ],
            ..expect()
        };
        assert!(check(&want, &received(200, r#"{"n": 1.0, "ok": true}"#)).is_empty());
        let big = Expectations {
            json: vec![("/n".into(), serde_json::json!(9_007_199_254_740_992_u64))],
            ..expect()
        };
        assert_eq!(
            check(&big, &received(200, r#"{"n": 9007199254740993}"#)).len(),
            1
        );
        assert_eq!(
            check(&want, &received(200, r#"{"n": 2}"#)),
            ["expected JSON /n = 1, got 2", "JSON /ok not found"]
        );
        assert_eq!(
            check(&want, &received(200, "<html>"))[0],
            "body is not JSON: expected value at line 1 column 1"
        );
    }

    #[test]
    fn body_checks() {
        let want = Expectations {
            body_contains: Some("ok".into()),
            body_matches: Some(regex::Regex::new(r#""status"\s*:\s*"ok""#).unwrap()),
            ..expect()
        };
        assert!(check(&want, &received(200, r#"{"status" : "ok"}"#)).is_empty());
        assert_eq!(check(&want, &received(200, "down")).len(), 2);
    }
}
