//! `dns` gates: the records of one name and type (A, AAAA, CNAME, MX, TXT,
//! NS), asked of the system's DNS servers (`/etc/resolv.conf`) or of an
//! explicit `server`, and checked: at least one answer, an answer that must
//! be among them (`contains`), or one that must match (`matches`).
//!
//! The name is asked as written, never with the search domains appended,
//! and `/etc/hosts` is not read: the check is about what DNS answers. Each
//! query is sent as it is (hickory-resolver's name server pool, no cache),
//! and a CNAME is followed by asking its target next, so that only what a
//! server gave in the answer section of a NOERROR response counts. The
//! `expect` table is read as for `tcp` (so neither key can be empty or a
//! regex that matches anything), with a meaning of its own: `contains` is
//! a value one answer must be, not a text it must contain.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::DnsHandle;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::{DnsRequestOptions, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::system_conf::read_system_conf;
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use tokio::time::Instant;
use toml::Spanned;

use super::expect::{RawMatch, TextExpect, TextExpectations};
use super::net;
use super::{Action, BoxFuture, Check, Probe, RawCheck};
use crate::config::{
    Diagnostic, Parse, Source, SpannedString, Template, Timeout, format_duration, schema, suggest,
};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext, Limit};
use crate::plan::Resolver;
use crate::words;

/// The kind's name in reports.
pub const KIND: &str = "dns";

/// The record types a gate can ask for, as written.
const TYPES: [(&str, RecordType); 6] = [
    ("A", RecordType::A),
    ("AAAA", RecordType::AAAA),
    ("CNAME", RecordType::CNAME),
    ("MX", RecordType::MX),
    ("TXT", RecordType::TXT),
    ("NS", RecordType::NS),
];

/// Most CNAMEs followed from the name asked.
const MAX_CNAMES: usize = 8;

/// The servers a question is sent to, one query at a time.
type Pool = NameServerPool<TokioRuntimeProvider>;

/// Why a question has no answers.
enum Unanswered {
    /// This name (the one asked, or one its CNAMEs led to) does not exist.
    NoSuchName(Name),
    /// No server could answer.
    Failed(NetError),
}

/// The port of a `server` that names none.
const DNS_PORT: u16 = 53;

/// `dns = { ... }` of a gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DnsCheck")]
pub struct Raw {
    /// The name to look up, as written (no search domain is appended).
    #[schemars(with = "String")]
    name: SpannedString,
    /// The record type asked for: `A` (default), `AAAA`, `CNAME`, `MX`,
    /// `TXT` or `NS`, in any case; may use `${VAR}`.
    #[serde(rename = "type")]
    #[schemars(with = "Option<Template<Type>>")]
    record_type: Option<SpannedString>,
    /// The server asked, `host:port` or `host` for port 53 (default: the
    /// servers of /etc/resolv.conf).
    #[schemars(with = "Option<String>")]
    server: Option<SpannedString>,
    /// How long the answer may take, like `"5s"` (default the gate's).
    #[schemars(with = "Option<String>")]
    timeout: Option<SpannedString>,
    /// What the answers must hold.
    #[schemars(with = "Option<RawMatch>")]
    expect: Option<Spanned<RawMatch>>,
}

impl RawCheck for Raw {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        let record_type = match &self.record_type {
            Some(raw) => Template::load(source, raw)?,
            None => Template::fixed(Type(RecordType::A), "A", self.name.span()),
        };
        Ok(Arc::new(Dns {
            name: Template::load(source, &self.name)?,
            record_type,
            server: Template::optional(source, self.server.as_ref())?,
            timeout: Template::optional(source, self.timeout.as_ref())?,
            expect: self
                .expect
                .as_ref()
                .map(|e| RawMatch::load(source, e))
                .transpose()?,
        }))
    }
}

/// `dns = { ... }`, validated; strings are resolved when the gate is planned.
#[derive(Debug)]
pub struct Dns {
    name: Template<DnsName>,
    record_type: Template<Type>,
    /// `None`: the system's DNS servers.
    server: Option<Template<Server>>,
    timeout: Option<Template<Timeout>>,
    /// `contains`: an answer; `matches`: a regex one answer matches.
    expect: Option<TextExpect>,
}

/// A name to look up: as written, and as a fully qualified name (so no
/// search domain is ever appended).
#[derive(Debug, Clone)]
pub struct DnsName {
    text: String,
    name: Name,
}

impl Parse for DnsName {
    fn parse(text: &str) -> Result<DnsName, String> {
        let mut name = Name::from_utf8(text)
            .ok()
            .filter(|_| !text.trim_end_matches('.').is_empty() && !text.contains(['/', ':', ' ']))
            .ok_or_else(|| {
                format!("invalid DNS name `{text}`: expected a name like `api.example.com`")
            })?;
        name.set_fqdn(true);
        Ok(DnsName {
            text: text.trim_end_matches('.').to_owned(),
            name,
        })
    }
}

/// A record type gate can ask for (`A`, `AAAA`, `CNAME`, ...: those of `TYPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Type(RecordType);

/// A record type in the schema of gates.toml: one of `TYPES`, in any case.
impl JsonSchema for Type {
    fn schema_name() -> Cow<'static, str> {
        "RecordType".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema::words_in_any_case(&TYPES)
    }
}

impl Parse for Type {
    fn parse(text: &str) -> Result<Type, String> {
        let wanted = text.to_ascii_uppercase();
        match TYPES.iter().find(|(name, _)| *name == wanted) {
            Some(&(_, record_type)) => Ok(Type(record_type)),
            None => {
                let names: Vec<&str> = TYPES.iter().map(|&(name, _)| name).collect();
                Err(suggest::unknown("record type", text, &names))
            }
        }
    }
}

/// A DNS server, `host:port` (`[::1]:53`); the port defaults to 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    host: String,
    port: u16,
}

impl Parse for Server {
    fn parse(text: &str) -> Result<Server, String> {
        let invalid = || {
            format!(
                "invalid DNS server `{text}`: expected `host:port` or `host`, like \
                 `127.0.0.1:5353` or `[2001:db8::53]:53`"
            )
        };
        let (host, port) = match text.rsplit_once(':') {
            _ if text.parse::<IpAddr>().is_ok() => (text, None),
            Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
                (host, Some(port))
            }
            Some(_) => return Err(invalid()),
            None => (text, None),
        };
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(invalid)?,
            None => DNS_PORT,
        };
        let host = net::Host::parse(host).map_err(|_| invalid())?.0;
        Ok(Server { host, port })
    }
}

impl Check for Dns {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        let probe = DnsProbe {
            name: resolver.value(&self.name)?,
            record_type: resolver.value(&self.record_type)?.0,
            server: resolver.optional(self.server.as_ref())?,
            timeout: resolver.timeout(self.timeout.as_ref())?,
            expect: self.expect.as_ref().map(|e| e.plan(resolver)).transpose()?,
        };
        Ok(Action::Probe(Arc::new(probe)))
    }
}

/// A DNS question and what its answers must hold, ready to ask.
#[derive(Debug)]
pub struct DnsProbe {
    name: DnsName,
    record_type: RecordType,
    server: Option<Server>,
    /// `None`: the gate's timeout.
    timeout: Option<Duration>,
    expect: Option<TextExpectations>,
}

impl Probe for DnsProbe {
    fn describe(&self) -> String {
        let server = match &self.server {
            Some(server) => format!(" @{}", net::address(&server.host, server.port)),
            None => String::new(),
        };
        format!("dns {} {}{server}", self.record_type, self.name.text)
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        let limit = context.limit(self.timeout);
        Box::pin(async move { context.bounded(self.ask(limit)).await })
    }
}

impl DnsProbe {
    /// Asks the question and judges the answers.
    async fn ask(&self, limit: Limit) -> Attempt {
        let started = Instant::now();
        let (pool, servers) = match self.pool(limit).await {
            Ok(found) => found,
            Err(reason) => return Attempt::error(reason),
        };
        let answers = match limit.run(self.chase(&pool)).await {
            Some(Ok(answers)) => answers,
            Some(Err(unanswered)) => return self.unanswered(unanswered, &servers, limit),
            None => return self.silence(&servers, limit),
        };
        let output = format!(
            "{} {} @{servers} -> {} in {}",
            self.record_type,
            self.name.text,
            listing(&answers),
            format_duration(started.elapsed())
        );
        self.judge(&answers).with_output(output)
    }

    /// The servers to ask, and their addresses for messages.
    async fn pool(&self, limit: Limit) -> Result<(Pool, String), String> {
        let (config, mut options) = match &self.server {
            Some(server) => {
                let ip = server_address(server, limit).await?;
                let mut name_server = NameServerConfig::udp_and_tcp(ip);
                for connection in &mut name_server.connections {
                    connection.port = server.port;
                }
                let config = ResolverConfig::from_parts(None, Vec::new(), vec![name_server]);
                (config, ResolverOpts::default())
            }
            None => read_system_conf()
                .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
        };
        let servers = servers(config.name_servers());
        options.timeout = limit.deadline.saturating_duration_since(Instant::now());
        options.attempts = 1;
        let tls = TlsConfig::new().map_err(|e| format!("cannot set up the DNS client: {e}"))?;
        let context = Arc::new(PoolContext::new(options, tls));
        let (_, _, name_servers) = config.into_parts();
        let pool =
            NameServerPool::from_config(name_servers, context, TokioRuntimeProvider::default());
        Ok((pool, servers))
    }

    /// The answers to the question, one query at a time: when an answer
    /// holds only a CNAME, its target is asked next. Only what a server
    /// gave in the answer section of a NOERROR response counts.
    async fn chase(&self, pool: &Pool) -> Result<Vec<String>, Unanswered> {
        let mut names = vec![self.name.name.clone()];
        for _ in 0..MAX_CNAMES {
            let asked = names.last().expect("the name asked").clone();
            let query = Query::query(asked.clone(), self.record_type);
            let response = match pool
                .lookup(query, DnsRequestOptions::default())
                .next()
                .await
            {
                Some(Ok(response)) => response,
                Some(Err(NetError::Dns(DnsError::NoRecordsFound(no)))) => {
                    return match no.response_code {
                        ResponseCode::NXDomain => Err(Unanswered::NoSuchName(asked)),
                        _ => Ok(Vec::new()),
                    };
                }
                Some(Err(error)) => return Err(Unanswered::Failed(error)),
                None => return Err(Unanswered::Failed(NetError::Message("no response"))),
            };
            if response.metadata.response_code == ResponseCode::NXDomain {
                return Err(Unanswered::NoSuchName(asked));
            }
            let answers = answers_to(&response.answers, &mut names, self.record_type);
            let followed = names.last() != Some(&asked);
            if !answers.is_empty() || !followed || self.record_type == RecordType::CNAME {
                return Ok(answers);
            }
        }
        Ok(Vec::new())
    }

    /// Whether the answers hold what is expected.
    fn judge(&self, answers: &[String]) -> Attempt {
        let kind = self.record_type;
        let listed = listing(answers);
        if answers.is_empty() {
            return Attempt::new(
                Status::Failed,
                format!("{} has no {kind} record", self.name.text),
            );
        }
        let expect = self.expect.as_ref();
        let records = format!("{kind} records");
        if let Some(wanted) = expect.and_then(|e| e.contains.as_ref()) {
            if !answers
                .iter()
                .any(|answer| same_value(kind, answer, &wanted.value))
            {
                let reason = format!("{records} {listed} do not contain {}", wanted.value);
                let failure =
                    wanted.failure(&records, format!("containing {}", wanted.value), listed);
                return Attempt::new(Status::Failed, reason).with_record(failure);
            }
        }
        if let Some(pattern) = expect.and_then(|e| e.matches.as_ref()) {
            if !answers.iter().any(|answer| pattern.value.is_match(answer)) {
                let reason = format!("{records} {listed} do not match /{}/", pattern.value);
                let failure =
                    pattern.failure(&records, format!("matching /{}/", pattern.value), listed);
                return Attempt::new(Status::Failed, reason).with_record(failure);
            }
        }
        Attempt::passed()
    }

    /// A question that got no answer: a name that does not exist is a
    /// failed check, a server that could not answer is an error.
    fn unanswered(&self, unanswered: Unanswered, servers: &str, limit: Limit) -> Attempt {
        let (name, kind) = (&self.name.text, self.record_type);
        let output = |what: &str| format!("{kind} {name} @{servers} -> {what}");
        let error = match unanswered {
            Unanswered::NoSuchName(missing) => {
                // The name a CNAME led to, when it is that one that does not exist.
                let at = match missing == self.name.name {
                    true => String::new(),
                    false => format!(" for {}", plain(&missing)),
                };
                let reason = format!("{name} has no {kind} record (NXDOMAIN{at})");
                return Attempt::new(Status::Failed, reason).with_output(output("NXDOMAIN"));
            }
            Unanswered::Failed(error) => error,
        };
        let (reason, answer) = match &error {
            NetError::Dns(DnsError::ResponseCode(code)) => {
                let code = mnemonic(*code);
                let reason = format!("DNS server {servers} answered {code} for {name} {kind}");
                (reason, code)
            }
            NetError::Timeout => return self.silence(servers, limit),
            NetError::Io(io) => {
                let why = words::io(io);
                (format!("cannot ask DNS server {servers}: {why}"), why)
            }
            other => {
                let why = words::fragment(&other.to_string());
                let reason = format!("cannot look up {name} {kind} at {servers}: {why}");
                (reason, why)
            }
        };
        Attempt::error(reason).with_output(output(&answer))
    }

    /// No answer came in time.
    fn silence(&self, servers: &str, limit: Limit) -> Attempt {
        let reason = format!("no answer from DNS server {servers} {}", limit.within());
        Attempt::new(Status::TimedOut, reason)
    }
}

/// A response code as dig prints it: `SERVFAIL`, `REFUSED`, `RCODE23`.
fn mnemonic(code: ResponseCode) -> String {
    match code {
        ResponseCode::Unknown(number) => format!("RCODE{number}"),
        // The variants are named after the mnemonics: ServFail, NXDomain.
        known => format!("{known:?}").to_ascii_uppercase(),
    }
}

/// The address of `server`, resolved when it is a name.
async fn server_address(server: &Server, limit: Limit) -> Result<IpAddr, String> {
    if let Ok(ip) = server.host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let lookup = tokio::net::lookup_host((server.host.as_str(), server.port));
    let host = &server.host;
    match limit.run(lookup).await {
        Some(Ok(mut addresses)) => addresses
            .next()
            .map(|address: SocketAddr| address.ip())
            .ok_or_else(|| format!("cannot resolve DNS server {host}")),
        Some(Err(e)) => Err(format!(
            "cannot resolve DNS server {host}: {}",
            net::io_reason(&e)
        )),
        None => Err(format!(
            "cannot resolve DNS server {host} {}",
            limit.within()
        )),
    }
}

/// The values of the records of `records` that answer the question: of
/// its type, at the last of `names` or at a name the CNAME chain from it
/// leads to, which `names` gains. A record of any other name is no answer.
fn answers_to(records: &[Record], names: &mut Vec<Name>, record_type: RecordType) -> Vec<String> {
    if record_type != RecordType::CNAME {
        // At most as many links as there are records: each adds a name.
        for _ in 0..records.len() {
            let last = names.last().expect("the name asked");
            let next = records.iter().find_map(|record| match &record.data {
                RData::CNAME(target) if record.name == *last && !names.contains(target) => {
                    Some(target.0.clone())
                }
                _ => None,
            });
            match next {
                Some(target) => names.push(target),
                None => break,
            }
        }
    }
    records
        .iter()
        .filter(|record| record.record_type() == record_type && names.contains(&record.name))
        .map(|record| value(&record.data))
        .collect()
}

/// `name` without its final dot.
fn plain(name: &Name) -> String {
    name.to_utf8().trim_end_matches('.').to_owned()
}

/// `10.0.0.2:53, 10.0.0.3:53`: the servers a resolver asks.
fn servers(name_servers: &[NameServerConfig]) -> String {
    let addresses: Vec<String> = name_servers
        .iter()
        .map(|server| {
            let port = server.connections.first().map_or(DNS_PORT, |c| c.port);
            net::address(&server.ip.to_string(), port)
        })
        .collect();
    match addresses.is_empty() {
        true => "(none configured)".to_owned(),
        false => addresses.join(", "),
    }
}

/// A record's value as gates.toml writes it: `203.0.113.10`,
/// `lb.example.net`, `10 mail.example.com`, the text of a TXT record.
fn value(data: &RData) -> String {
    let name = plain;
    match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(aaaa) => aaaa.0.to_string(),
        RData::CNAME(cname) => name(&cname.0),
        RData::NS(ns) => name(&ns.0),
        RData::MX(mx) => format!("{} {}", mx.preference, name(&mx.exchange)),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|part| String::from_utf8_lossy(part))
            .collect(),
        other => other.to_string(),
    }
}

/// Whether an answer of type `kind` is the value a gate wrote: addresses
/// compared as addresses (`2001:db8::1` is `2001:0db8::1`), names without
/// case or a final dot (an MX answer by its host alone too), text exactly.
fn same_value(kind: RecordType, answer: &str, wanted: &str) -> bool {
    let same_name = |a: &str, b: &str| a.eq_ignore_ascii_case(b.trim_end_matches('.'));
    match kind {
        RecordType::A | RecordType::AAAA => {
            match (IpAddr::from_str(answer), IpAddr::from_str(wanted)) {
                (Ok(a), Ok(b)) => a == b,
                _ => answer == wanted,
            }
        }
        RecordType::MX => {
            same_name(answer, wanted)
                || answer
                    .split_once(' ')
                    .is_some_and(|(_, host)| same_name(host, wanted))
        }
        RecordType::CNAME | RecordType::NS => same_name(answer, wanted),
        _ => answer == wanted,
    }
}

/// The answers for a message: `198.51.100.1, 198.51.100.2`, or `none`.
fn listing(answers: &[String]) -> String {
    match answers.is_empty() {
        true => "none".to_owned(),
        false => answers.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_with_and_without_ports() {
        let server = |host: &str, port| Server {
            host: host.to_owned(),
            port,
        };
        assert_eq!(
            Server::parse("127.0.0.1:5353"),
            Ok(server("127.0.0.1", 5353))
        );
        assert_eq!(Server::parse("127.0.0.1"), Ok(server("127.0.0.1", 53)));
        assert_eq!(Server::parse("[::1]:5353"), Ok(server("::1", 5353)));
        assert_eq!(Server::parse("::1"), Ok(server("::1", 53)));
        assert_eq!(
            Server::parse("ns1.example.com:53"),
            Ok(server("ns1.example.com", 53))
        );
        for bad in [
            "",
            "a:b",
            "1.2.3.4:0",
            "1.2.3.4:99999",
            "dns://x:53",
            "::1:53:x",
        ] {
            assert!(Server::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn record_types_with_a_suggestion() {
        assert_eq!(Type::parse("aaaa"), Ok(Type(RecordType::AAAA)));
        assert_eq!(
            Type::parse("MXX").unwrap_err(),
            "unknown record type `MXX`, did you mean `MX`?"
        );
        assert_eq!(
            Type::parse("SRV").unwrap_err(),
            "unknown record type `SRV` (expected one of `A`, `AAAA`, `CNAME`, `MX`, `TXT`, `NS`)"
        );
    }

    #[test]
    fn names_are_asked_fully_qualified() {
        let name = DnsName::parse("api.example.com").unwrap();
        assert!(name.name.is_fqdn());
        assert_eq!(name.text, "api.example.com");
        assert!(DnsName::parse("https://api.example.com").is_err());
        assert!(DnsName::parse("").is_err());
        assert!(DnsName::parse(".").is_err());
    }

    #[test]
    fn values_compare_as_written() {
        assert!(same_value(
            RecordType::AAAA,
            "2001:db8::1",
            "2001:0db8:0::1"
        ));
        assert!(!same_value(RecordType::A, "198.51.100.1", "203.0.113.10"));
        assert!(same_value(
            RecordType::CNAME,
            "LB.example.net",
            "lb.example.net."
        ));
        assert!(same_value(
            RecordType::MX,
            "10 mail.example.com",
            "mail.example.com"
        ));
        assert!(same_value(
            RecordType::MX,
            "10 mail.example.com",
            "10 mail.example.com"
        ));
        assert!(!same_value(
            RecordType::MX,
            "10 mail.example.com",
            "20 mail.example.com"
        ));
        assert!(!same_value(RecordType::TXT, "token=AbC", "token=abc"));
    }
}
