//! `tcp` gates: a connection to `host:port`; optionally bytes sent and the
//! peer's answer checked (`contains`, `matches`); or, with `closed = true`,
//! that nothing at `host:port` accepts a connection.
//!
//! `timeout` bounds the connection and the answer together. An answer is
//! read until it holds the expectation, the peer closes the connection,
//! 64 KiB have come, the peer has said something and then nothing for a
//! second (a server such as Redis keeps the connection open after it
//! answers), or the timeout passes, whichever is first.

use std::io;
use std::sync::Arc;
use std::time::Duration;

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

/// The kind's name in reports.
pub const KIND: &str = "tcp";

/// Most of an answer read.
const ANSWER_LIMIT: usize = 64 * 1024;
/// Silence after some of an answer that ends it.
const ANSWER_PAUSE: Duration = Duration::from_secs(1);

/// `tcp = { ... }` of a gate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    host: SpannedString,
    port: Spanned<RawPort>,
    timeout: Option<SpannedString>,
    closed: Option<Spanned<bool>>,
    send: Option<SpannedString>,
    /// What the peer's answer must show.
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
        let connect = TcpStream::connect((self.host.as_str(), self.port));
        let mut stream = match limit.run(connect).await {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => return self.not_connected(&error),
            None => return self.no_answer(limit),
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
                    return Attempt::error(format!("cannot send to {}: {error}", self.address))
                        .with_output(output);
                }
                None => return self.no_answer(limit).with_output(output),
            }
        }
        match &self.expect {
            Some(expect) => self.answer(stream, expect, limit, output, redactor).await,
            None => Attempt::passed().with_output(output),
        }
    }

    /// Reads the answer and checks it.
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
        let attempt = match (failures.is_empty(), answer.is_empty(), ended) {
            (true, _, _) => Attempt::passed(),
            (false, true, Ended::TimedOut) => return self.no_answer(limit).with_output(output),
            (false, true, Ended::Closed) => Attempt::new(
                Status::Failed,
                format!("{} closed the connection without answering", self.address),
            ),
            (false, true, Ended::Failed(error)) => Attempt::error(format!(
                "the connection to {} failed: {error}",
                self.address
            )),
            (false, _, _) => Attempt::new(Status::Failed, failures.join("; ")),
        };
        attempt.with_output(output)
    }

    /// The connection could not be made: what `closed = true` asks for
    /// when it was refused or no route leads there, else an error.
    fn not_connected(&self, error: &io::Error) -> Attempt {
        let reason = net::connect_reason(error, &self.host, &self.address);
        let nothing_there =
            error.kind() == io::ErrorKind::ConnectionRefused || net::is_unreachable(error);
        match self.closed && nothing_there {
            true => Attempt::passed().with_output(reason),
            false => Attempt::error(reason),
        }
    }

    /// Nothing answered within the timeout: closed enough for `closed =
    /// true`, a timeout otherwise.
    fn no_answer(&self, limit: Limit) -> Attempt {
        let reason = format!("no answer from {} {}", self.address, limit.within());
        match self.closed {
            true => Attempt::passed().with_output(reason),
            false => Attempt::new(Status::TimedOut, reason),
        }
    }
}

/// What the peer sends, until it holds `expect` or the reading ends.
async fn read_answer(
    stream: &mut TcpStream,
    expect: &TextExpectations,
    deadline: Instant,
) -> (Vec<u8>, Ended) {
    let mut answer = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let received = Received {
            noun: "answer",
            bytes: &answer,
            complete: true,
        };
        if !answer.is_empty() && expect.failures(received).is_empty() {
            return (answer, Ended::Held);
        }
        let room = buffer.len().min(ANSWER_LIMIT - answer.len());
        if room == 0 {
            return (answer, Ended::Full);
        }
        let pause = (!answer.is_empty()).then(|| Instant::now() + ANSWER_PAUSE);
        let until = pause.map_or(deadline, |pause| pause.min(deadline));
        match tokio::time::timeout_at(until, stream.read(&mut buffer[..room])).await {
            Ok(Ok(0)) => return (answer, Ended::Closed),
            Ok(Ok(read)) => answer.extend_from_slice(&buffer[..read]),
            Ok(Err(error)) => return (answer, Ended::Failed(error)),
            Err(_) if until < deadline => return (answer, Ended::Paused),
            Err(_) => return (answer, Ended::TimedOut),
        }
    }
}
