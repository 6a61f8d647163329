//! `tls` gates: a TLS handshake with the server, then the expiry of the
//! leaf certificate it presented.

mod verify;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::pki_types::{CertificateDer, ServerName};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use toml::Spanned;

use super::net::{self, RawPort};
use super::{Action, BoxFuture, Check, Probe, RawCheck};
use crate::config::{Diagnostic, Parse, Port, Source, SpannedString, Template};
use crate::error::Error;
use crate::event::Status;
use crate::exec::{Attempt, AttemptContext};
use crate::plan::Resolver;
pub use verify::client_config;

/// The kind's name in reports.
pub const KIND: &str = "tls";

/// Days a certificate must still be valid when `min_days` is not given.
const DEFAULT_MIN_DAYS: u32 = 30;
const SECONDS_PER_DAY: i64 = 86_400;

/// `tls = { ... }` of a gate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TlsCheck")]
pub struct Raw {
    /// The host to connect to, and the name the certificate must be for.
    #[schemars(with = "String")]
    host: SpannedString,
    /// A number, or a string such as `"${TLS_PORT}"` (default 443).
    #[schemars(with = "Option<RawPort>")]
    port: Option<Spanned<RawPort>>,
    /// Days the certificate must still be valid (default 30).
    #[schemars(with = "Option<i64>")]
    min_days: Option<Spanned<i64>>,
    /// Read the expiry of a certificate that does not verify, such as a
    /// self-signed one (default false).
    insecure: Option<bool>,
}

impl RawCheck for Raw {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        let port = match &self.port {
            Some(port) => net::port(source, port)?,
            None => Template::fixed(Port(443), "443", self.host.span()),
        };
        let min_days = match &self.min_days {
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
        Ok(Arc::new(Tls {
            host: Template::load(source, &self.host)?,
            port,
            min_days,
            insecure: self.insecure.unwrap_or(false),
        }))
    }
}

/// `tls = { ... }`, validated; strings are resolved when the gate is planned.
#[derive(Debug)]
pub struct Tls {
    host: Template<TlsHost>,
    port: Template<Port>,
    /// Fewest days the certificate must still be valid.
    min_days: u32,
    /// Check the expiry of a certificate that does not verify.
    insecure: bool,
}

/// A host to connect to, and the name its certificate must be for.
#[derive(Debug, Clone)]
pub struct TlsHost {
    pub host: String,
    pub server_name: ServerName<'static>,
}

impl Parse for TlsHost {
    fn parse(text: &str) -> Result<TlsHost, String> {
        let server_name = ServerName::try_from(text.to_owned())
            .map_err(|_| format!("invalid host name `{text}`"))?;
        Ok(TlsHost {
            host: text.to_owned(),
            server_name,
        })
    }
}

impl Check for Tls {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        let host = resolver.value(&self.host)?;
        let port = resolver.value(&self.port)?.0;
        let probe = TlsProbe {
            address: net::address(&host.host, port),
            port,
            host,
            min_days: self.min_days,
            insecure: self.insecure,
        };
        Ok(Action::Probe(Arc::new(probe)))
    }
}

/// A TLS endpoint whose certificate's expiry is checked.
#[derive(Debug)]
pub struct TlsProbe {
    host: TlsHost,
    port: u16,
    /// `host:port`, for messages.
    address: String,
    min_days: u32,
    insecure: bool,
}

impl Probe for TlsProbe {
    fn describe(&self) -> String {
        format!("tls {}", self.address)
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move { context.bounded(check(self)).await })
    }
}

async fn check(probe: &TlsProbe) -> Attempt {
    match leaf_certificate(probe, probe.insecure).await {
        Ok(leaf) => expiry(&leaf, probe),
        // A trusted certificate that has expired fails the check (it is
        // what the check is for); its date is read without verification.
        Err(Failure::Expired) => match leaf_certificate(probe, true).await {
            Ok(leaf) => expiry(&leaf, probe),
            Err(failure) => Attempt::error(failure.reason(probe)),
        },
        Err(failure) => Attempt::error(failure.reason(probe)),
    }
}

/// Why no certificate could be read.
enum Failure {
    Connect(std::io::Error),
    Handshake(std::io::Error),
    Expired,
    NoCertificate,
}

impl Failure {
    fn reason(&self, probe: &TlsProbe) -> String {
        let address = &probe.address;
        match self {
            Failure::Connect(e) => net::connect_reason(e, &probe.host.host, address),
            Failure::Handshake(e) => net::handshake_reason(address, e),
            Failure::Expired => format!("the certificate of {address} has expired"),
            Failure::NoCertificate => format!("{address} presented no certificate"),
        }
    }
}

/// Connects, completes a handshake (verifying unless `insecure`), and
/// returns the server's leaf certificate.
async fn leaf_certificate(
    probe: &TlsProbe,
    insecure: bool,
) -> Result<CertificateDer<'static>, Failure> {
    let stream = TcpStream::connect((probe.host.host.as_str(), probe.port))
        .await
        .map_err(Failure::Connect)?;
    let connector = TlsConnector::from(client_config(insecure));
    let tls = connector
        .connect(probe.host.server_name.clone(), stream)
        .await
        .map_err(|e| match is_expired(&e) {
            true => Failure::Expired,
            false => Failure::Handshake(e),
        })?;
    let certificates = tls.get_ref().1.peer_certificates();
    let leaf = certificates
        .and_then(|certs| certs.first())
        .ok_or(Failure::NoCertificate)?;
    Ok(leaf.clone().into_owned())
}

/// True when a handshake failed only because the certificate has expired.
fn is_expired(error: &std::io::Error) -> bool {
    use rustls::CertificateError::{Expired, ExpiredContext};
    matches!(
        net::rustls_cause(error),
        Some(rustls::Error::InvalidCertificate(
            Expired | ExpiredContext { .. }
        ))
    )
}

/// Passed when the certificate expires in at least `min_days` whole days.
fn expiry(leaf: &CertificateDer, probe: &TlsProbe) -> Attempt {
    let not_after = match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, cert)) => cert.validity().not_after,
        Err(_) => {
            return Attempt::error(format!(
                "cannot read the certificate of {}: it is not a valid X.509 certificate",
                probe.address
            ));
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let seconds_left = not_after.timestamp() - now;
    let date = not_after.to_datetime().date();
    let address = &probe.address;
    let min = i64::from(probe.min_days);
    if seconds_left < 0 {
        // Whole days since it expired, rounded down like the days left.
        let ago = (-seconds_left).div_euclid(SECONDS_PER_DAY);
        let output = format!("certificate of {address} expired on {date}");
        let reason = format!(
            "certificate expired {} ago, on {date} (min {min})",
            days(ago)
        );
        return Attempt::new(Status::Failed, reason).with_output(output);
    }
    let days_left = seconds_left.div_euclid(SECONDS_PER_DAY);
    let output = format!(
        "certificate of {address} expires on {date} ({} left)",
        days(days_left)
    );
    match days_left {
        left if left >= min => Attempt::passed(),
        left => Attempt::new(
            Status::Failed,
            format!(
                "certificate expires in {}, on {date} (min {min})",
                days(left)
            ),
        ),
    }
    .with_output(output)
}

/// `1 day`, `12 days`, `less than a day`.
fn days(count: i64) -> String {
    match count {
        0 => "less than a day".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}
