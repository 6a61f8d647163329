//! `ready = { http | tcp | log }`: how gate knows a service it started can
//! be used. `http` holds on any answer below 500, `tcp` when a connection
//! opens, `log` when a line of the service's output matches.

use std::time::Duration;

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::check::Resources;
use crate::check::http::HttpUrl;
use crate::check::net::{self, Host};
use crate::config::{Diagnostic, Parse, Port, Source, SpannedString, Template};
use crate::error::Error;
use crate::plan::Resolver;

/// How long one probe of `http` or `tcp` may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `ready = { ... }` as written: exactly one key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ready")]
pub struct RawReady {
    /// An `http://` or `https://` URL that answers below 500.
    #[schemars(with = "Option<String>")]
    http: Option<SpannedString>,
    /// `host:port` where a connection opens.
    #[schemars(with = "Option<String>")]
    tcp: Option<SpannedString>,
    /// A regex a line of the service's output matches.
    #[schemars(with = "Option<String>")]
    log: Option<SpannedString>,
}

/// `ready`, validated; its string is resolved when the service is planned.
#[derive(Debug, Clone)]
pub enum Ready {
    Http(Template<HttpUrl>),
    Tcp(Template<Address>),
    Log(Template<Regex>),
}

/// `ready`, planned: what to probe.
#[derive(Debug, Clone)]
pub enum ReadyProbe {
    Http(HttpUrl),
    Tcp(Address),
    Log(Regex),
}

/// `host:port`, as `ready.tcp` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: u16,
}

impl Parse for Address {
    fn parse(text: &str) -> Result<Address, String> {
        let invalid = || {
            format!("invalid address `{text}`: expected host:port (`127.0.0.1:8000`, `[::1]:5432`)")
        };
        let (host, port) = text.rsplit_once(':').ok_or_else(invalid)?;
        let host = Host::parse(host).map_err(|_| invalid())?.0;
        let port = Port::parse(port).map_err(|_| invalid())?.0;
        Ok(Address { host, port })
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&net::address(&self.host, self.port))
    }
}

impl RawReady {
    /// The one readiness check written at `raw`.
    pub fn load(source: &Source, raw: &Spanned<RawReady>) -> Result<Ready, Diagnostic> {
        let ready = raw.get_ref();
        let given = [
            ready.http.as_ref().map(|t| ("http", t)),
            ready.tcp.as_ref().map(|t| ("tcp", t)),
            ready.log.as_ref().map(|t| ("log", t)),
        ];
        let mut given = given.into_iter().flatten();
        match (given.next(), given.next()) {
            (Some(("http", text)), None) => Ok(Ready::Http(Template::load(source, text)?)),
            (Some(("tcp", text)), None) => Ok(Ready::Tcp(Template::load(source, text)?)),
            (Some((_, text)), None) => Ok(Ready::Log(Template::load(source, text)?)),
            (None, _) => {
                Err(source.diagnostic(raw.span(), "`ready` needs one of `http`, `tcp` or `log`"))
            }
            (Some((first, _)), Some((second, _))) => Err(source.diagnostic(
                raw.span(),
                format!("`ready` has two checks (`{first}` and `{second}`): keep one"),
            )),
        }
    }
}

impl Ready {
    /// The check with its string resolved.
    pub fn plan(&self, resolver: &Resolver) -> Result<ReadyProbe, Error> {
        Ok(match self {
            Ready::Http(url) => ReadyProbe::Http(resolver.value(url)?),
            Ready::Tcp(address) => ReadyProbe::Tcp(resolver.value(address)?),
            Ready::Log(pattern) => ReadyProbe::Log(resolver.value(pattern)?),
        })
    }

    /// True for `log`, which only a service gate started can satisfy.
    pub fn is_log(&self) -> bool {
        matches!(self, Ready::Log(_))
    }
}

impl ReadyProbe {
    /// What is waited for, in words: `http://127.0.0.1:8000/health`,
    /// `tcp 127.0.0.1:8000`, `log /startup complete/`.
    pub fn describe(&self) -> String {
        match self {
            ReadyProbe::Http(url) => url.display(),
            ReadyProbe::Tcp(address) => format!("tcp {address}"),
            ReadyProbe::Log(pattern) => format!("log /{pattern}/"),
        }
    }

    /// True for `http` and `tcp`, which can be asked at any time; `log`
    /// only holds for a service gate started.
    pub fn can_probe(&self) -> bool {
        !matches!(self, ReadyProbe::Log(_))
    }

    /// Whether the service answers now (`http`, `tcp`); `log` is matched on
    /// the output as it comes, so it never holds here.
    pub async fn holds(&self, resources: &Resources) -> bool {
        match self {
            ReadyProbe::Http(url) => http_answers(url, resources).await,
            ReadyProbe::Tcp(address) => tcp_opens(address).await,
            ReadyProbe::Log(_) => false,
        }
    }
}

/// Any answer below 500, certificate unchecked (ready is not a TLS check),
/// never through a proxy.
async fn http_answers(url: &HttpUrl, resources: &Resources) -> bool {
    let Ok(client) = resources.http.local() else {
        return false;
    };
    let request = client.get(url.url.clone()).timeout(PROBE_TIMEOUT).send();
    matches!(request.await, Ok(response) if response.status().as_u16() < 500)
}

async fn tcp_opens(address: &Address) -> bool {
    let connect = tokio::net::TcpStream::connect((address.host.as_str(), address.port));
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, connect).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_and_port() {
        let address = Address::parse("127.0.0.1:8000").unwrap();
        assert_eq!((address.host.as_str(), address.port), ("127.0.0.1", 8000));
        assert_eq!(
            Address::parse("[::1]:5432").unwrap().to_string(),
            "[::1]:5432"
        );
        for bad in ["127.0.0.1", "localhost:0", "http://x:80", ":80", "a:b"] {
            let error = Address::parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("invalid address `{bad}`")),
                "{error}"
            );
        }
    }
}
