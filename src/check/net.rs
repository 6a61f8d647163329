//! What the network checks share: hosts and ports as gates.toml writes
//! them, and why a connection could not be made, in words.

use std::io;
use std::net::Ipv6Addr;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::config::{Diagnostic, Parse, Port, Source, Template};
use crate::exec::Limit;
use crate::words;

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

/// `connection refused by 127.0.0.1:6379`, `cannot resolve host db: name
/// or service not known`, `cannot connect to 10.0.0.5:27017: no route to
/// host`.
pub fn connect_reason(error: &io::Error, host: &str, address: &str) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => format!("connection refused by {address}"),
        _ => match unresolved(error) {
            Some(why) => format!("cannot resolve host {host}: {why}"),
            None => format!("cannot connect to {address}: {}", words::io(error)),
        },
    }
}

/// Why `error` happened, in words: the resolver's when the host name did
/// not resolve.
pub fn io_reason(error: &io::Error) -> String {
    unresolved(error).unwrap_or_else(|| words::io(error))
}

/// Why the host name did not resolve, in the resolver's words, when that
/// is why `error` happened.
pub fn unresolved(error: &io::Error) -> Option<String> {
    let text = error.to_string();
    let why = text.strip_prefix("failed to lookup address information: ")?;
    Some(words::fragment(why))
}

/// `TLS handshake with api.example.com:443 failed: the server's
/// certificate has expired`: why a handshake failed, whether TLS or the
/// connection under it said so.
pub fn handshake_reason(address: &str, error: &io::Error) -> String {
    let why = match rustls_cause(error) {
        Some(tls) => words::tls(tls),
        None => words::io(error),
    };
    handshake_failed(address, &why)
}

/// `TLS handshake with api.example.com:443 failed: ...`, saying `why`.
pub fn handshake_failed(address: &str, why: &str) -> String {
    format!("TLS handshake with {address} failed: {why}")
}

/// The rustls error behind `error`, also when `io::Error`s wrap it, one
/// in another as an HTTP client's connector does (their `source()` skips
/// the error they wrap): a TLS handshake that failed.
pub fn rustls_cause<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = error.downcast_ref::<io::Error>()?.get_ref()?;
    rustls_cause(inner)
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
        let unresolved =
            io::Error::other("failed to lookup address information: Name or service not known");
        assert_eq!(
            connect_reason(&unresolved, "db", "db:1"),
            "cannot resolve host db: name or service not known"
        );
        let unreachable = io::Error::from_raw_os_error(libc::EHOSTUNREACH);
        assert_eq!(
            connect_reason(&unreachable, "db", "db:1"),
            "cannot connect to db:1: no route to host"
        );
    }
}
