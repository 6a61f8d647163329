//! `ws` gates: a WebSocket handshake with `ws://` or `wss://` (certificates
//! verified as for `tls`, unless `insecure`), then optionally one text
//! message sent and the first message received checked (`contains`,
//! `matches`, `json`). With no `send` and no `expect`, a completed handshake
//! passes.
//!
//! `timeout` bounds the connection, the handshake and the wait for the
//! message together; closing the connection afterwards may take a second
//! more, within the gate's own timeout. The first message is the first to
//! arrive once the message is sent, one the server had sent before
//! included: a server that greets first is checked on its greeting.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use indexmap::IndexMap;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::TlsError;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use toml::Spanned;

use super::capture::{self, Capture, RawCaptures, RawCapturesSchema};
use super::expect::{RawMessage, Received, TextExpect, TextExpectations, excerpt};
use super::http::{Headers, client, load_headers, plan_headers};
use super::{Action, BoxFuture, Check, Probe, RawCheck, net, tls};
use crate::config::{
    Diagnostic, Parse, RawEnv, Source, SpannedString, Template, Timeout, format_duration,
};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext, Limit};
use crate::plan::Resolver;
use crate::redact::Redactor;
use crate::words;

/// The kind's name in reports.
pub const KIND: &str = "ws";

/// Largest message (and frame) read; a larger one fails the gate.
const MESSAGE_LIMIT: usize = 1024 * 1024;
/// How long a closing handshake may take once the check is done.
const CLOSE_LIMIT: Duration = Duration::from_secs(1);

/// `ws = { ... }` of a gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WsCheck")]
pub struct Raw {
    /// A `ws://` or `wss://` URL.
    #[schemars(with = "String")]
    url: SpannedString,
    /// Headers of the opening handshake: `name = "value"`; values may use `${VAR}`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    headers: RawEnv,
    /// Accept a `wss://` certificate that does not verify (default false).
    insecure: Option<bool>,
    /// Connection, handshake and message together, like `"10s"` (default the gate's).
    #[schemars(with = "Option<String>")]
    timeout: Option<SpannedString>,
    /// One text message sent after the handshake.
    #[schemars(with = "Option<String>")]
    send: Option<SpannedString>,
    /// What the first message must show.
    #[schemars(with = "Option<RawMessage>")]
    expect: Option<Spanned<RawMessage>>,
    /// Values taken from the first message or the handshake's headers.
    #[serde(default)]
    #[schemars(with = "RawCapturesSchema")]
    capture: RawCaptures,
}

/// Headers of the opening handshake that it sets itself.
const HANDSHAKE_HEADERS: [&str; 5] = [
    "host",
    "connection",
    "upgrade",
    "sec-websocket-version",
    "sec-websocket-key",
];

impl RawCheck for Raw {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        let handshake = self
            .headers
            .iter()
            .find(|(name, _)| HANDSHAKE_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
        if let Some((name, value)) = handshake {
            return Err(source.diagnostic(
                value.span(),
                format!(
                    "header `{name}` is part of the WebSocket handshake, which gate makes: \
                     leave it out"
                ),
            ));
        }
        let expect = self
            .expect
            .as_ref()
            .map(|e| RawMessage::load(source, e))
            .transpose()?;
        Ok(Arc::new(Ws {
            url: Template::load(source, &self.url)?,
            headers: load_headers(source, &self.headers)?,
            insecure: self.insecure.unwrap_or(false),
            timeout: Template::optional(source, self.timeout.as_ref())?,
            send: Template::optional(source, self.send.as_ref())?,
            expect,
            captures: capture::load(source, &self.capture)?,
        }))
    }
}

/// `ws = { ... }`, validated; strings are resolved when the gate is planned.
#[derive(Debug)]
pub struct Ws {
    url: Template<WsUrl>,
    headers: Headers,
    insecure: bool,
    timeout: Option<Template<Timeout>>,
    send: Option<Template<String>>,
    expect: Option<TextExpect>,
    captures: Vec<Capture>,
}

/// A `ws://` or `wss://` URL, its text as written (after interpolation),
/// the address to connect to, and the URI of the handshake request.
#[derive(Debug, Clone)]
pub struct WsUrl {
    url: Url,
    text: String,
    host: String,
    port: u16,
    uri: Uri,
}

impl Parse for WsUrl {
    fn parse(text: &str) -> Result<WsUrl, String> {
        let invalid = |reason: String| format!("invalid URL `{text}`: {reason}");
        let url = Url::parse(text).map_err(|e| invalid(e.to_string()))?;
        let port = match url.scheme() {
            "ws" | "wss" => url.port_or_known_default().unwrap_or_default(),
            other => {
                return Err(invalid(format!(
                    "the scheme is `{other}`, expected `ws` or `wss`"
                )));
            }
        };
        // Not repeated: the URL may hold them, and they would not be sent.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "invalid URL: a ws:// or wss:// URL sends no user or password; give an \
                 `Authorization` header instead"
                    .to_owned(),
            );
        }
        let uri = text.parse::<Uri>().map_err(|e| invalid(e.to_string()))?;
        let host = match url.host_str() {
            Some(host) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            None => return Err(invalid("it names no host".to_owned())),
        };
        Ok(WsUrl {
            text: text.to_owned(),
            host,
            port,
            url,
            uri,
        })
    }
}

impl Check for Ws {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn captures(&self) -> Vec<String> {
        self.captures.iter().map(|c| c.name.clone()).collect()
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        let url = resolver.value(&self.url)?;
        let probe = WsProbe {
            address: net::address(&url.host, url.port),
            shown: client::display(&url.url, &url.text),
            url,
            headers: plan_headers(resolver, &self.headers)?,
            insecure: self.insecure,
            timeout: resolver.timeout(self.timeout.as_ref())?,
            send: resolver.optional(self.send.as_ref())?,
            expect: self.expect.as_ref().map(|e| e.plan(resolver)).transpose()?,
            captures: self.captures.clone(),
        };
        Ok(Action::Probe(Arc::new(probe)))
    }
}

/// A WebSocket endpoint and what it must do, ready to connect.
#[derive(Debug)]
pub struct WsProbe {
    url: WsUrl,
    /// The URL for reports (its password masked).
    shown: String,
    /// `host:port`, for messages.
    address: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    insecure: bool,
    /// `None`: the gate's timeout.
    timeout: Option<Duration>,
    send: Option<String>,
    expect: Option<TextExpectations>,
    captures: Vec<Capture>,
}

impl Probe for WsProbe {
    fn describe(&self) -> String {
        format!("ws {}", self.shown)
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        let limit = context.limit(self.timeout);
        let redactor = Arc::clone(&context.redactor);
        Box::pin(async move { context.bounded(self.exchange(limit, &redactor)).await })
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl WsProbe {
    /// Connects, completes the handshake, then sends and receives as the
    /// probe says.
    async fn exchange(&self, limit: Limit, redactor: &Redactor) -> Attempt {
        let started = Instant::now();
        let connect = TcpStream::connect((self.url.host.as_str(), self.url.port));
        let stream = match limit.run(connect).await {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => {
                return Attempt::error(net::connect_reason(&error, &self.url.host, &self.address));
            }
            None => return self.no_answer(limit),
        };
        let (mut socket, mut output, headers) =
            match self.handshake(stream, limit, started, redactor).await {
                Ok(done) => done,
                Err(attempt) => return attempt,
            };
        let attempt = self
            .converse(&mut socket, limit, (&mut output, &headers), redactor)
            .await;
        let _ = tokio::time::timeout(CLOSE_LIMIT, socket.close(None)).await;
        attempt.with_output(redactor.redact(&output))
    }

    /// The opening handshake on `stream`; the socket and the first line of
    /// the output, or how it failed.
    async fn handshake(
        &self,
        stream: TcpStream,
        limit: Limit,
        started: Instant,
        redactor: &Redactor,
    ) -> Result<(Socket, String, HeaderMap), Attempt> {
        // A new request, and with it a new Sec-WebSocket-Key, every time.
        let mut request = match self.url.uri.clone().into_client_request() {
            Ok(request) => request,
            Err(error) => {
                return Err(Attempt::error(format!(
                    "invalid URL {}: {error}",
                    self.shown
                )));
            }
        };
        for (name, value) in &self.headers {
            request.headers_mut().append(name.clone(), value.clone());
        }
        let connector = match self.url.url.scheme() {
            "wss" => Connector::Rustls(tls::client_config(self.insecure)),
            _ => Connector::Plain,
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MESSAGE_LIMIT))
            .max_frame_size(Some(MESSAGE_LIMIT));
        let handshake = tokio_tungstenite::client_async_tls_with_config(
            request,
            stream,
            Some(config),
            Some(connector),
        );
        match limit.run(handshake).await {
            Some(Ok((socket, response))) => {
                let line = format!(
                    "GET {} -> {} in {}",
                    self.shown,
                    response.status(),
                    format_duration(started.elapsed())
                );
                Ok((socket, line, response.headers().clone()))
            }
            Some(Err(error)) => Err(self.handshake_failed(error, redactor)),
            None => Err(Attempt::new(
                Status::TimedOut,
                format!(
                    "WebSocket handshake with {} timed out after {}",
                    self.shown,
                    format_duration(limit.timeout)
                ),
            )),
        }
    }

    /// A handshake that did not complete: an answer other than 101 (or one
    /// that breaks the protocol) fails the gate; no answer is an error.
    fn handshake_failed(&self, error: tungstenite::Error, redactor: &Redactor) -> Attempt {
        let failed =
            |what: String| format!("WebSocket handshake with {} failed: {what}", self.shown);
        match error {
            tungstenite::Error::Http(response) => {
                let body = response.body().as_deref().unwrap_or_default();
                let chunked = response
                    .headers()
                    .get("transfer-encoding")
                    .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"chunked"));
                let body = match chunked {
                    true => dechunk(body),
                    false => body.to_vec(),
                };
                let output = format!(
                    "GET {} -> {}{}",
                    self.shown,
                    response.status(),
                    excerpt(&body, true, redactor)
                );
                let reason = failed(format!(
                    "expected status 101, got {}",
                    response.status().as_u16()
                ));
                Attempt::new(Status::Failed, reason).with_output(output)
            }
            tungstenite::Error::Io(error) => match net::rustls_cause(&error) {
                Some(_) => Attempt::error(net::handshake_reason(&self.address, &error)),
                None => Attempt::error(failed(words::io(&error))),
            },
            tungstenite::Error::Tls(TlsError::Rustls(tls)) => {
                Attempt::error(net::handshake_failed(&self.address, &words::tls(&tls)))
            }
            other => Attempt::new(Status::Failed, failed(in_words(&other))),
        }
    }

    /// After the handshake (whose response had `headers`): the message
    /// sent, the first one received, checked and captured from.
    async fn converse(
        &self,
        socket: &mut Socket,
        limit: Limit,
        (output, headers): (&mut String, &HeaderMap),
        redactor: &Redactor,
    ) -> Attempt {
        if let Some(send) = &self.send {
            match limit.run(socket.send(Message::text(send.as_str()))).await {
                // Not what was sent: it may carry a credential of its own.
                Some(Ok(())) => output.push_str(&format!("\nsent {} bytes", send.len())),
                Some(Err(error)) => {
                    let why = in_words(&error);
                    return Attempt::error(format!("cannot send to {}: {why}", self.shown));
                }
                None => {
                    let reason = format!("cannot send to {} {}", self.shown, limit.within());
                    return Attempt::new(Status::TimedOut, reason);
                }
            }
        }
        if self.expect.is_none() && self.captures.is_empty() {
            return Attempt::passed();
        }
        let message = match self.first_message(socket, limit).await {
            Ok(message) => message,
            Err(attempt) => return attempt,
        };
        let received = Received {
            noun: "message",
            bytes: &message,
            complete: true,
        };
        let answer = capture::Answer {
            body: received,
            headers,
        };
        let taken = capture::take_all(&self.captures, answer, redactor);
        output.push_str(&format!(
            "\nreceived {} bytes{}",
            message.len(),
            excerpt(&message, true, redactor)
        ));
        let failures = self.expect.as_ref().map(|e| e.failures(received));
        capture::apply(
            Attempt::passed().with_failures(failures.unwrap_or_default()),
            taken,
        )
    }

    /// The first text or binary message, pings and pongs passed over.
    async fn first_message(&self, socket: &mut Socket, limit: Limit) -> Result<Vec<u8>, Attempt> {
        loop {
            let failed = |reason: String| Err(Attempt::new(Status::Failed, reason));
            match limit.run(socket.next()).await {
                None => return Err(self.no_message(limit)),
                Some(None) => {
                    return failed("the connection closed before a message came".to_owned());
                }
                Some(Some(Ok(Message::Text(text)))) => return Ok(text.as_bytes().to_vec()),
                Some(Some(Ok(Message::Binary(bytes)))) => return Ok(bytes.to_vec()),
                Some(Some(Ok(Message::Close(frame)))) => {
                    return failed(format!(
                        "the server closed the connection before sending a message{}",
                        close_reason(frame.as_ref())
                    ));
                }
                Some(Some(Ok(_))) => continue,
                Some(Some(Err(error @ tungstenite::Error::Capacity(_)))) => {
                    return failed(format!(
                        "the first message is too large: {}",
                        in_words(&error)
                    ));
                }
                Some(Some(Err(error))) => {
                    return Err(Attempt::error(format!(
                        "the connection to {} failed: {}",
                        self.shown,
                        in_words(&error)
                    )));
                }
            }
        }
    }

    fn no_answer(&self, limit: Limit) -> Attempt {
        Attempt::new(Status::TimedOut, net::no_answer(&self.address, limit))
    }

    fn no_message(&self, limit: Limit) -> Attempt {
        Attempt::new(Status::TimedOut, format!("no message {}", limit.within()))
    }
}

/// A WebSocket error in words: `the server broke the WebSocket protocol:
/// reserved bits are non-zero`, `a message of 2000000 bytes, more than the
/// 1048576 read`.
fn in_words(error: &tungstenite::Error) -> String {
    use tungstenite::Error as E;
    use tungstenite::error::{CapacityError, ProtocolError};
    match error {
        E::Io(error) => words::io(error),
        E::Tls(TlsError::Rustls(error)) => words::tls(error),
        E::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            format!("a message of {size} bytes, more than the {max_size} read")
        }
        E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            "the server dropped the connection without closing it".to_owned()
        }
        E::Protocol(error) => format!(
            "the server broke the WebSocket protocol: {}",
            words::fragment(&error.to_string())
        ),
        E::ConnectionClosed | E::AlreadyClosed => "the connection is closed".to_owned(),
        E::Utf8(_) => "a text message is not valid UTF-8".to_owned(),
        E::AttackAttempt => "the server's answer looks like an attack on the client".to_owned(),
        E::Http(response) => format!("an HTTP answer {}", response.status()),
        E::HttpFormat(error) => format!("invalid HTTP: {}", words::fragment(&error.to_string())),
        E::Url(error) => format!("invalid URL: {}", words::fragment(&error.to_string())),
        other => words::fragment(&other.to_string()),
    }
}

/// ` (1008 policy violation: "not allowed")`, or nothing without a frame.
fn close_reason(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!(" (code {})", u16::from(frame.code)),
        Some(frame) => format!(" (code {}: {})", u16::from(frame.code), frame.reason),
        None => String::new(),
    }
}

/// The data of a chunked body (as much of it as is well formed): the
/// handshake reads a refusal's body as it came.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Ok(httparse::Status::Complete((start, size))) = httparse::parse_chunk_size(body) {
        let end = usize::try_from(size).map_or(body.len(), |size| start.saturating_add(size));
        if size == 0 || end > body.len() {
            break;
        }
        data.extend_from_slice(&body[start..end]);
        body = body[end..].strip_prefix(b"\r\n").unwrap_or(&body[end..]);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk(b"4\r\nRust\r\n3\r\n ok\r\n0\r\n\r\n"), b"Rust ok");
        assert_eq!(dechunk(b"ff\r\ncut short"), b"");
        assert_eq!(dechunk(b"not chunked"), b"");
    }
}
