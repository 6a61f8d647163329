//! `http` gates: requests sent with a client shared per run (so connections
//! are pooled), the response read in bounded memory, expectations checked.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Response};
use tokio::time::Instant;

use super::attempt::{Attempt, AttemptContext};
use super::expect::{self, Received};
use crate::config::format_duration;
use crate::event::Status;
use crate::plan::HttpProbe;
use crate::redact::Redactor;

/// Most of a response body kept for the expectations; the rest is not read.
const BODY_LIMIT: usize = 1024 * 1024;

/// One client per combination of redirect and certificate settings.
#[derive(Debug, Default)]
pub struct Clients {
    clients: [std::sync::OnceLock<Result<Client, String>>; 4],
}

impl Clients {
    /// The shared client for `probe`'s settings.
    fn get(&self, probe: &HttpProbe) -> Result<&Client, String> {
        let slot = usize::from(probe.follow_redirects) * 2 + usize::from(probe.insecure);
        self.clients[slot]
            .get_or_init(|| build_client(probe.follow_redirects, probe.insecure))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn build_client(follow_redirects: bool, insecure: bool) -> Result<Client, String> {
    let redirects = match follow_redirects {
        true => reqwest::redirect::Policy::limited(10),
        false => reqwest::redirect::Policy::none(),
    };
    Client::builder()
        .redirect(redirects)
        .danger_accept_invalid_certs(insecure)
        .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// Sends `probe`'s requests (its `repeat`) and checks the last response.
pub async fn attempt(probe: &HttpProbe, clients: &Clients, ctx: &mut AttemptContext) -> Attempt {
    let client = match clients.get(probe) {
        Ok(client) => client,
        Err(reason) => return Attempt::error(reason),
    };
    let (gate_timeout, redactor) = (ctx.timeout, Arc::clone(&ctx.redactor));
    tokio::select! {
        attempt = requests(probe, client, gate_timeout, &redactor) => attempt,
        interruption = ctx.interrupted() => Attempt::interrupted(interruption, ctx.timeout),
    }
}

/// The requests, one after the other; the gate's deadline is watched by
/// the caller, `http.timeout` (when set) bounds each request here.
async fn requests(
    probe: &HttpProbe,
    client: &Client,
    gate_timeout: Duration,
    redactor: &Redactor,
) -> Attempt {
    let mut last = None;
    for number in 1..=probe.repeat {
        match request(probe, client).await {
            Ok(received) => last = Some(received),
            Err(error) => {
                let (status, reason) =
                    describe(&error, probe, probe.timeout.unwrap_or(gate_timeout));
                let reason = match probe.repeat {
                    1 => reason,
                    n => format!("request {number} of {n}: {reason}"),
                };
                return Attempt::new(status, reason);
            }
        }
    }
    let received = last.expect("repeat is at least 1");
    let output = expect::summary(probe, &received, redactor);
    let failures = expect::check(&probe.expect, &received);
    match failures.is_empty() {
        true => Attempt::passed().with_output(output),
        false => Attempt::new(Status::Failed, failures.join("; ")).with_output(output),
    }
}

/// One request, its response read up to the body limit.
async fn request(probe: &HttpProbe, client: &Client) -> Result<Received, reqwest::Error> {
    let mut request = client.request(probe.method.clone(), probe.url.clone());
    if let Some(timeout) = probe.timeout {
        request = request.timeout(timeout);
    }
    for (name, value) in &probe.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &probe.body {
        request = request.body(body.clone());
    }
    let started = Instant::now();
    let mut response = request.send().await?;
    let (body, complete) = read_body(&mut response).await?;
    Ok(Received {
        url: response.url().clone(),
        status: response.status(),
        headers: response.headers().clone(),
        body,
        complete,
        elapsed: started.elapsed(),
    })
}

/// At most `BODY_LIMIT` bytes of the body; true if that was all of it.
async fn read_body(response: &mut Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            return Ok((body, false));
        }
    }
    Ok((body, true))
}

/// The rustls error in `error`, also when an `io::Error` wraps it (its
/// `source()` skips the error it wraps).
fn find_rustls<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    error.downcast_ref::<rustls::Error>().or_else(|| {
        error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    })
}

/// The status and one-line reason for a request that got no response.
fn describe(error: &reqwest::Error, probe: &HttpProbe, timeout: Duration) -> (Status, String) {
    let address = match (probe.url.host_str(), probe.url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => probe.url.to_string(),
    };
    let causes: Vec<&(dyn std::error::Error + 'static)> =
        std::iter::successors(error.source(), |&e| e.source()).collect();
    let innermost = causes
        .last()
        .map_or_else(|| error.to_string(), |e| e.to_string());
    if error.is_timeout() {
        return (
            Status::TimedOut,
            format!("request timed out after {}", format_duration(timeout)),
        );
    }
    if let Some(tls) = causes.iter().find_map(|&e| find_rustls(e)) {
        return (
            Status::Error,
            format!("TLS handshake with {address} failed: {tls}"),
        );
    }
    let io_kind = causes
        .iter()
        .find_map(|e| e.downcast_ref::<std::io::Error>())
        .map(|e| e.kind());
    let dns = causes
        .iter()
        .any(|e| e.to_string().starts_with("dns error"));
    let reason = match io_kind {
        Some(std::io::ErrorKind::ConnectionRefused) => format!("connection refused by {address}"),
        _ if dns => format!(
            "cannot resolve host {}: {innermost}",
            probe.url.host_str().unwrap_or_default()
        ),
        _ if error.is_connect() => format!("cannot connect to {address}: {innermost}"),
        _ => format!("request to {address} failed: {innermost}"),
    };
    (Status::Error, reason)
}
