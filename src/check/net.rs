//! What the network checks share: hosts and ports as gates.toml writes
//! them, and why a connection could not be made, in words.

use std::io;
use std::net::Ipv6Addr;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::config::{Diagnostic, Parse, Port, Source, Template};
use crate::exec::Limit;

/// `port = 443` or `port = "${TLS_PORT}"`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Port")]
pub enum RawPort {
    Number(i64),
    Text(String),
}

/// A port as a template: a number is checked now, as the same text would be.
pub fn port(source: &Source, raw: &Spanned<RawPort>) -> Result<Template<Port>, Diagnostic> {
    let text = match raw.get_ref() {
        RawPort::Number(number) => number.to_string(),
        RawPort::Text(text) => text.clone(),
    };
    Template::load(source, &Spanned::new(raw.span(), text))
}

/// A host name or an IP address, as a connection needs it: no scheme, no
/// port, no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(pub String);

impl Parse for Host {
    fn parse(text: &str) -> Result<Host, String> {
        let bare = text
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(text);
        let is_ipv6 = bare.parse::<Ipv6Addr>().is_ok();
        let plain = !bare.is_empty()
            && !bare.contains(['/', ' ', '\t', '\n', '@', '?', '#'])
            && (is_ipv6 || !bare.contains(':'));
        match plain {
            true => Ok(Host(bare.to_owned())),
            false => Err(format!(
                "invalid host `{text}`: expected a host name or an IP address, without \
                 scheme or port (`db.example.com`, `10.0.0.5`)"
            )),
        }
    }
}

/// `host:port`, with an IPv6 address in brackets: how addresses are shown.
pub fn address(host: &str, port: u16) -> String {
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

/// `connection refused by 127.0.0.1:6379`, `cannot resolve host db: ...`,
/// `cannot connect to 10.0.0.5:27017: No route to host (os error 113)`.
pub fn connect_reason(error: &io::Error, host: &str, address: &str) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => format!("connection refused by {address}"),
        _ if is_unresolved(error) => format!("cannot resolve host {host}: {error}"),
        _ => format!("cannot connect to {address}: {error}"),
    }
}

/// True when a connection failed because the host name did not resolve.
pub fn is_unresolved(error: &io::Error) -> bool {
    error.to_string().starts_with("failed to lookup address")
}

/// The rustls error behind `error`, also when an `io::Error` wraps it
/// (its `source()` skips the error it wraps): a TLS handshake that failed.
pub fn rustls_cause<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    error.downcast_ref::<rustls::Error>().or_else(|| {
        error
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    })
}

/// `no answer from 127.0.0.1:6379 within 5s`.
pub fn no_answer(address: &str, limit: Limit) -> String {
    format!("no answer from {address} {}", limit.within())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_or_addresses() {
        assert_eq!(Host::parse("db.internal"), Ok(Host("db.internal".into())));
        assert_eq!(Host::parse("10.0.0.5"), Ok(Host("10.0.0.5".into())));
        assert_eq!(Host::parse("[::1]"), Ok(Host("::1".into())));
        assert_eq!(Host::parse("::1"), Ok(Host("::1".into())));
        for bad in ["", "redis://db", "db:6379", "10.0.0.5:80", "a b", "user@db"] {
            let error = Host::parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("invalid host `{bad}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn ipv6_addresses_are_bracketed() {
        assert_eq!(address("::1", 6379), "[::1]:6379");
        assert_eq!(address("db", 6379), "db:6379");
    }

    #[test]
    fn reasons_in_words() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            connect_reason(&refused, "db", "db:1"),
            "connection refused by db:1"
        );
        let unresolved = io::Error::other("failed to lookup address information: x");
        assert!(connect_reason(&unresolved, "db", "db:1").starts_with("cannot resolve host db: "));
    }
}
