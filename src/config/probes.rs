//! `http` and `tls` tables: checked as far as they can be before their
//! strings are interpolated (a regex with `${...}` is compiled when planned).

use super::diagnostic::Diagnostic;
use super::model::{Expect, Http, Located, Source, StatusRule, Tls};
use super::raw::{RawExpect, RawHttp, RawPort, RawStatus, RawTls, SpannedString};
use super::values;
use toml::Spanned;

/// Days a TLS certificate must still be valid when `min_days` is not given.
const DEFAULT_MIN_DAYS: u32 = 30;

/// `http = { ... }`, validated.
pub fn http(source: &Source, raw: &RawHttp) -> Result<Http, Diagnostic> {
    let method = match &raw.method {
        Some(method) => token(source, "method", method)?,
        None => Located {
            value: "GET".to_owned(),
            span: raw.url.span(),
        },
    };
    Ok(Http {
        url: checked_template(source, &raw.url, |url| parse_url(url).map(drop))?,
        method,
        headers: raw
            .headers
            .iter()
            .map(|(name, value)| {
                let name = header_name(source, name, value)?;
                let value = checked_template(source, value, |v| check_header_value(&name, v))?;
                Ok((name, value))
            })
            .collect::<Result<_, Diagnostic>>()?,
        body: raw
            .body
            .as_ref()
            .map(|b| values::template(source, b))
            .transpose()?,
        timeout: raw
            .timeout
            .as_ref()
            .map(|t| duration_template(source, t))
            .transpose()?,
        follow_redirects: raw.follow_redirects.unwrap_or(true),
        insecure: raw.insecure.unwrap_or(false),
        repeat: match &raw.repeat {
            Some(repeat) => positive(source, "repeat", repeat)?,
            None => 1,
        },
        expect: expect(source, &raw.expect)?,
    })
}

fn expect(source: &Source, raw: &RawExpect) -> Result<Expect, Diagnostic> {
    Ok(Expect {
        status: raw
            .status
            .as_ref()
            .map(|s| status(source, s))
            .transpose()?
            .unwrap_or_default(),
        body_contains: raw
            .body_contains
            .as_ref()
            .map(|b| values::template(source, b))
            .transpose()?,
        body_matches: raw
            .body_matches
            .as_ref()
            .map(|r| regex(source, r))
            .transpose()?,
        json: raw
            .json
            .iter()
            .map(|(pointer, value)| {
                Ok((
                    json_pointer(source, pointer)?,
                    Located {
                        value: json_value(value.get_ref()),
                        span: value.span(),
                    },
                ))
            })
            .collect::<Result<_, Diagnostic>>()?,
        headers: raw
            .headers
            .iter()
            .map(|(name, pattern)| {
                Ok((
                    header_name(source, name.get_ref(), name)?.to_ascii_lowercase(),
                    regex(source, pattern)?,
                ))
            })
            .collect::<Result<_, Diagnostic>>()?,
        max_time: raw
            .max_time
            .as_ref()
            .map(|t| duration_template(source, t))
            .transpose()?,
    })
}

/// `200`, `[301, 308]` or `"2xx"`.
fn status(source: &Source, raw: &Spanned<RawStatus>) -> Result<StatusRule, Diagnostic> {
    let invalid = |what: String| {
        source.diagnostic(
            raw.span(),
            format!("invalid status {what}: expected a code from 100 to 599, a list of codes, or a class like \"2xx\""),
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

/// A positive duration, checked now unless it is interpolated (then it is
/// checked when planned).
fn duration_template(source: &Source, raw: &SpannedString) -> Result<Located<String>, Diagnostic> {
    let located = values::template(source, raw)?;
    if !located.value.contains("${") {
        values::timeout(source, raw)?;
    }
    Ok(located)
}

/// A regex, compiled now to report its syntax errors, unless it is
/// interpolated (then it is compiled when planned).
fn regex(source: &Source, raw: &SpannedString) -> Result<Located<String>, Diagnostic> {
    let located = values::template(source, raw)?;
    if !located.value.contains("${") {
        regex::Regex::new(&located.value)
            .map_err(|e| source.diagnostic(raw.span(), regex_error(&e)))?;
    }
    Ok(located)
}

/// A regex error in one line.
pub fn regex_error(error: &regex::Error) -> String {
    let detail = error.to_string();
    let last = detail
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default();
    format!(
        "invalid regex: {}",
        last.trim_start_matches("error: ").trim()
    )
}

/// A JSON pointer: empty (the whole document) or starting with `/`.
fn json_pointer(source: &Source, raw: &SpannedString) -> Result<String, Diagnostic> {
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
fn json_value(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Value::from(*f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => items.iter().map(json_value).collect(),
        toml::Value::Table(table) => table
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect(),
    }
}

/// A header name: letters, digits and `!#$%&'*+-.^_`|~`.
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

/// An HTTP URL: http or https.
pub fn parse_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("invalid URL `{text}`: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "invalid URL `{text}`: the scheme is `{other}`, expected `http` or `https`"
        )),
    }
}

/// A TCP port, 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|&port| port > 0)
        .ok_or_else(|| format!("invalid port `{text}`: expected 1 to 65535"))
}

/// A header value: no control characters but tab.
pub fn check_header_value(name: &str, value: &str) -> Result<(), String> {
    match reqwest::header::HeaderValue::from_str(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "invalid value for header `{name}`: it holds a control character"
        )),
    }
}

/// `raw` as a template whose value, when it is not interpolated, passes `check` now.
fn checked_template(
    source: &Source,
    raw: &SpannedString,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Located<String>, Diagnostic> {
    let located = values::template(source, raw)?;
    if !located.value.contains("${") {
        check(&located.value).map_err(|message| source.diagnostic(raw.span(), message))?;
    }
    Ok(located)
}

/// An HTTP method: a token, interpolation allowed.
fn token(source: &Source, what: &str, raw: &SpannedString) -> Result<Located<String>, Diagnostic> {
    let value = raw.get_ref();
    if value.contains("${") || is_token(value) {
        return values::template(source, raw);
    }
    Err(source.diagnostic(raw.span(), format!("invalid {what} `{value}`")))
}

fn positive(source: &Source, what: &str, raw: &Spanned<i64>) -> Result<u32, Diagnostic> {
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

/// `tls = { ... }`, validated.
pub fn tls(source: &Source, raw: &RawTls) -> Result<Tls, Diagnostic> {
    let port = match &raw.port {
        None => Located {
            value: "443".to_owned(),
            span: raw.host.span(),
        },
        Some(port) => match port.get_ref() {
            RawPort::Number(n) if (1..=65535).contains(n) => Located {
                value: n.to_string(),
                span: port.span(),
            },
            RawPort::Number(n) => {
                return Err(source.diagnostic(
                    port.span(),
                    format!("invalid port {n}: expected 1 to 65535"),
                ));
            }
            RawPort::Text(text) => {
                let text = Spanned::new(port.span(), text.clone());
                checked_template(source, &text, |port| parse_port(port).map(drop))?
            }
        },
    };
    let min_days = match &raw.min_days {
        Some(days) => u32::try_from(*days.get_ref()).map_err(|_| {
            source.diagnostic(
                days.span(),
                format!(
                    "invalid min_days {}: expected 0 to {}",
                    days.get_ref(),
                    u32::MAX
                ),
            )
        })?,
        None => DEFAULT_MIN_DAYS,
    };
    Ok(Tls {
        host: values::template(source, &raw.host)?,
        port,
        min_days,
        insecure: raw.insecure.unwrap_or(false),
    })
}
