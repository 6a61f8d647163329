//! `tcp` gates: a connection to `host:port`; optionally bytes sent and the
//! peer's answer checked (`contains`, `matches`); or, with `closed = true`,
//! that nothing at `host:port` accepts a connection.
//!
//! `timeout` bounds the connection and the answer together. An answer is
//! read until the peer closes the connection, 64 KiB have come, the peer
//! has said something and then nothing for a second (a server such as
//! Redis keeps the connection open after it answers), or the timeout
//! passes, whichever is first; an `expect` of `contains` alone ends it as
//! soon as the text has come. An answer of nothing never passes.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use toml::Spanned;

use super::expect::{RawMatch, Received, TextExpect, TextExpectations, excerpt};
use super::net::{self, Host, RawPort};
use super::{Action, BoxFuture, Check, Probe, RawCheck};
use crate::config::{Diagnostic, Port, Source, SpannedString, Template, Timeout, format_duration};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext, Limit};
use crate::plan::Resolver;
use crate::redact::Redactor;
use crate::words;

/// The kind's name in reports.
pub const KIND: &str = "tcp";

/// Most of an answer read.
const ANSWER_LIMIT: usize = 64 * 1024;
/// Silence after some of an answer that ends it.
const ANSWER_PAUSE: Duration = Duration::from_secs(1);

/// `tcp = { ... }` of a gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TcpCheck")]
pub struct Raw {
    /// A name or an address, without scheme or port.
    #[schemars(with = "String")]
    host: SpannedString,
    /// A number, or a string such as `"${REDIS_PORT}"`.
    #[schemars(with = "RawPort")]
    port: Spanned<RawPort>,
    /// The connection and the answer together, like `"5s"` (default the gate's).
    #[schemars(with = "Option<String>")]
    timeout: Option<SpannedString>,
    /// Pass only when no address of the host accepts a connection (default false).
    #[schemars(with = "Option<bool>")]
    closed: Option<Spanned<bool>>,
    /// Bytes written once connected (`\r\n` writes CR LF).
    #[schemars(with = "Option<String>")]
    send: Option<SpannedString>,
    /// What the peer's answer must show.
    #[schemars(with = "Option<RawMatch>")]
    expect: Option<Spanned<RawMatch>>,
}

impl RawCheck for Raw {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        let closed = self.closed.as_ref().filter(|closed| *closed.get_ref());
        if let Some(closed) = closed.filter(|_| self.send.is_some() || self.expect.is_some()) {
            return Err(source.diagnostic(
                closed.span(),
                "`closed = true` checks that nothing answers: it takes no `send` or `expect`",
            ));
        }
        let expect = self
            .expect
            .as_ref()
            .map(|e| RawMatch::load(source, e))
            .transpose()?;
        Ok(Arc::new(Tcp {
            host: Template::load(source, &self.host)?,
            port: net::port(source, &self.port)?,
            timeout: Template::optional(source, self.timeout.as_ref())?,
            closed: closed.is_some(),
            send: Template::optional(source, self.send.as_ref())?,
            expect,
        }))
    }
}

/// `tcp = { ... }`, validated; strings are resolved when the gate is planned.
#[derive(Debug)]
pub struct Tcp {
    host: Template<Host>,
    port: Template<Port>,
    timeout: Option<Template<Timeout>>,
    closed: bool,
    send: Option<Template<String>>,
    expect: Option<TextExpect>,
}

impl Check for Tcp {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        let host = resolver.value(&self.host)?.0;
        let port = resolver.value(&self.port)?.0;
        let probe = TcpProbe {
            address: net::address(&host, port),
            host,
            port,
            timeout: resolver.timeout(self.timeout.as_ref())?,
            closed: self.closed,
            send: resolver.optional(self.send.as_ref())?,
            expect: self.expect.as_ref().map(|e| e.plan(resolver)).transpose()?,
        };
        Ok(Action::Probe(Arc::new(probe)))
    }
}

/// A TCP endpoint and what it must do, ready to connect.
#[derive(Debug)]
pub struct TcpProbe {
    host: String,
    port: u16,
    /// `host:port`, for messages.
    address: String,
    /// `None`: the gate's timeout.
    timeout: Option<Duration>,
    closed: bool,
    send: Option<String>,
    expect: Option<TextExpectations>,
}

impl Probe for TcpProbe {
    fn describe(&self) -> String {
        match self.closed {
            true => format!("tcp {}, expected closed", self.address),
            false => format!("tcp {}", self.address),
        }
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        let limit = context.limit(self.timeout);
        let redactor = Arc::clone(&context.redactor);
        Box::pin(async move { context.bounded(self.exchange(limit, &redactor)).await })
    }
}

/// How reading an answer ended.
enum Ended {
    /// What came holds the expectation.
    Held,
    /// The peer closed the connection.
    Closed,
    /// [`ANSWER_LIMIT`] bytes came.
    Full,
    /// Nothing more came for [`ANSWER_PAUSE`].
    Paused,
    TimedOut,
    Failed(io::Error),
}

impl TcpProbe {
    /// Connects, then sends and reads as the probe says.
    async fn exchange(&self, limit: Limit, redactor: &Redactor) -> Attempt {
        let started = Instant::now();
        let addresses = match self.resolve(limit).await {
            Ok(addresses) => addresses,
            Err(reason) => return Attempt::error(reason),
        };
        let mut stream = match connect(&addresses, limit).await {
            Connection::Open(stream) => stream,
            Connection::Refused(error) => return self.nothing_there(&error),
            Connection::Silent => return self.no_answer(limit),
            Connection::Failed(error) => {
                return Attempt::error(net::connect_reason(&error, &self.host, &self.address));
            }
        };
        let mut output = format!(
            "connected to {} in {}",
            self.address,
            format_duration(started.elapsed())
        );
        if self.closed {
            let reason = format!(
                "port {} on {} is open (expected closed)",
                self.port, self.host
            );
            return Attempt::new(Status::Failed, reason).with_output(output);
        }
        if let Some(send) = &self.send {
            match limit.run(stream.write_all(send.as_bytes())).await {
                Some(Ok(())) => output.push_str(&format!("\nsent {} bytes", send.len())),
                Some(Err(error)) => {
                    let why = words::io(&error);
                    return Attempt::error(format!("cannot send to {}: {why}", self.address))
                        .with_output(output);
                }
                None => {
                    let reason = format!("cannot send to {} {}", self.address, limit.within());
                    return Attempt::new(Status::TimedOut, reason).with_output(output);
                }
            }
        }
        match &self.expect {
            Some(expect) => self.answer(stream, expect, limit, output, redactor).await,
            None => Attempt::passed().with_output(output),
        }
    }

    /// Every address of the host. A host that does not resolve, or not in
    /// time, is an error whatever the check: it proves nothing closed.
    async fn resolve(&self, limit: Limit) -> Result<Vec<SocketAddr>, String> {
        let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
        match limit.run(lookup).await {
            Some(Ok(addresses)) => {
                let addresses: Vec<SocketAddr> = addresses.collect();
                match addresses.is_empty() {
                    true => Err(format!("cannot resolve host {}: no address", self.host)),
                    false => Ok(addresses),
                }
            }
            Some(Err(error)) => Err(net::connect_reason(&error, &self.host, &self.address)),
            None => Err(format!(
                "cannot resolve host {} {}",
                self.host,
                limit.within()
            )),
        }
    }

    /// Reads the answer and checks it. Nothing received never passes.
    async fn answer(
        &self,
        mut stream: TcpStream,
        expect: &TextExpectations,
        limit: Limit,
        mut output: String,
        redactor: &Redactor,
    ) -> Attempt {
        let (answer, ended) = read_answer(&mut stream, expect, limit.deadline).await;
        let received = Received {
            noun: "answer",
            bytes: &answer,
            complete: !matches!(ended, Ended::Full),
        };
        let failures = expect.failures(received);
        let then = match ended {
            Ended::Paused => format!(" (then nothing for {})", format_duration(ANSWER_PAUSE)),
            _ => String::new(),
        };
        output.push_str(&match answer.len() {
            0 => "\nreceived nothing".to_owned(),
            n => format!(
                "\nreceived {n} bytes{then}{}",
                excerpt(&answer, true, redactor)
            ),
        });
        let attempt = match (answer.is_empty(), ended) {
            // A reset cuts the answer short: what came cannot be trusted whole.
            (_, Ended::Failed(error)) => Attempt::error(format!(
                "the connection to {} failed: {}",
                self.address,
                words::io(&error)
            )),
            (true, Ended::Closed) => Attempt::new(
                Status::Failed,
                format!("{} closed the connection without answering", self.address),
            ),
            (true, _) => return self.no_answer(limit).with_output(output),
            (false, _) => Attempt::passed().with_failures(failures),
        };
        attempt.with_output(output)
    }

    /// Refused, or no route to the host: what `closed = true` asks for,
    /// else an error.
    fn nothing_there(&self, error: &io::Error) -> Attempt {
        let reason = net::connect_reason(error, &self.host, &self.address);
        match self.closed {
            true => Attempt::passed().with_output(reason),
            false => Attempt::error(reason),
        }
    }

    /// Nothing answered within the timeout: closed enough for `closed =
    /// true`, a timeout otherwise.
    fn no_answer(&self, limit: Limit) -> Attempt {
        let reason = net::no_answer(&self.address, limit);
        match self.closed {
            true => Attempt::passed().with_output(reason),
            false => Attempt::new(Status::TimedOut, reason),
        }
    }
}

/// How connecting to every address of a host ended.
enum Connection {
    /// One address accepted.
    Open(TcpStream),
    /// Every address refused or had no route to it (the first such error).
    Refused(io::Error),
    /// None accepted or failed otherwise, and one at least gave no answer
    /// within the limit.
    Silent,
    /// None accepted, and one failed in another way (the first such error):
    /// nothing can be said of the port.
    Failed(io::Error),
}

/// Connects to every address at once: the first that accepts wins, so a
/// port open on one address of a host is found open even when another
/// address drops packets or cannot be reached from here.
async fn connect(addresses: &[SocketAddr], limit: Limit) -> Connection {
    let mut attempts = tokio::task::JoinSet::new();
    for &address in addresses {
        attempts.spawn(TcpStream::connect(address));
    }
    let (mut refused, mut failed) = (None, None);
    let finished = loop {
        let error = match limit.run(attempts.join_next()).await {
            Some(Some(Ok(Ok(stream)))) => return Connection::Open(stream),
            Some(Some(Ok(Err(error)))) => error,
            Some(Some(Err(join))) => io::Error::other(join),
            Some(None) => break true,
            None => break false,
        };
        match is_nothing_there(&error) {
            true => refused.get_or_insert(error),
            false => failed.get_or_insert(error),
        };
    };
    match (failed, refused) {
        (Some(error), _) => Connection::Failed(error),
        (None, _) if !finished => Connection::Silent,
        (None, Some(error)) => Connection::Refused(error),
        (None, None) => Connection::Failed(io::Error::other("no address to connect to")),
    }
}

/// Refused, or no route to the host (a firewall's reject, an address where
/// no host is): nothing there accepts connections. An unreachable network
/// says nothing of the port, only of the machine gate runs on.
fn is_nothing_there(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::HostUnreachable
    )
}

/// What the peer sends, until the reading ends; when all that is expected
/// is a text the answer contains, as soon as it does (more of an answer
/// cannot take a text away; it can stop a regex from matching).
async fn read_answer(
    stream: &mut TcpStream,
    expect: &TextExpectations,
    deadline: Instant,
) -> (Vec<u8>, Ended) {
    let early = match expect {
        TextExpectations {
            contains: Some(needle),
            not_contains: None,
            matches: None,
            json,
        } if json.is_empty() && !needle.value.is_empty() => Some(needle.value.as_bytes()),
        _ => None,
    };
    let mut answer = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let room = buffer.len().min(ANSWER_LIMIT - answer.len());
        if room == 0 {
            return (answer, Ended::Full);
        }
        let pause = (!answer.is_empty()).then(|| Instant::now() + ANSWER_PAUSE);
        let until = pause.map_or(deadline, |pause| pause.min(deadline));
        let read = match tokio::time::timeout_at(until, stream.read(&mut buffer[..room])).await {
            Ok(Ok(0)) => return (answer, Ended::Closed),
            Ok(Ok(read)) => read,
            Ok(Err(error)) => return (answer, Ended::Failed(error)),
            Err(_) if until < deadline => return (answer, Ended::Paused),
            Err(_) => return (answer, Ended::TimedOut),
        };
        // Only the new bytes, and the needle's length less one before them,
        // can hold a first occurrence.
        let from = answer
            .len()
            .saturating_sub(early.map_or(0, |n| n.len().saturating_sub(1)));
        answer.extend_from_slice(&buffer[..read]);
        if early.is_some_and(|needle| answer[from..].windows(needle.len()).any(|w| w == needle)) {
            return (answer, Ended::Held);
        }
    }
}
