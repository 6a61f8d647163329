//! `tls` gates: a TLS handshake with the server, then the expiry of the
//! leaf certificate it presented.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::attempt::{Attempt, AttemptContext};
use crate::event::Status;
use crate::plan::TlsProbe;

const SECONDS_PER_DAY: i64 = 86_400;

/// Connects to `probe`'s server and checks its certificate's expiry.
pub async fn attempt(probe: &TlsProbe, ctx: &mut AttemptContext) -> Attempt {
    tokio::select! {
        attempt = check(probe) => attempt,
        interruption = ctx.interrupted() => Attempt::interrupted(interruption, ctx.timeout),
    }
}

async fn check(probe: &TlsProbe) -> Attempt {
    let address = format!("{}:{}", probe.host, probe.port);
    let stream = match TcpStream::connect((probe.host.as_str(), probe.port)).await {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Attempt::error(format!("connection refused by {address}"));
        }
        Err(e) => return Attempt::error(format!("cannot connect to {address}: {e}")),
    };
    let Ok(name) = ServerName::try_from(probe.host.clone()) else {
        return Attempt::error(format!("invalid host name `{}`", probe.host));
    };
    let connector = TlsConnector::from(client_config(probe.insecure));
    let tls = match connector.connect(name, stream).await {
        Ok(tls) => tls,
        Err(e) => return Attempt::error(format!("TLS handshake with {address} failed: {e}")),
    };
    match tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
    {
        Some(leaf) => expiry(leaf, probe),
        None => Attempt::error(format!("{address} presented no certificate")),
    }
}

/// Passed when the certificate expires in at least `min_days` whole days.
fn expiry(leaf: &CertificateDer, probe: &TlsProbe) -> Attempt {
    let not_after = match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, cert)) => cert.validity().not_after,
        Err(e) => return Attempt::error(format!("cannot read the certificate: {e}")),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days_left = (not_after.timestamp() - now).div_euclid(SECONDS_PER_DAY);
    let date = not_after.to_datetime().date();
    let output = format!(
        "certificate of {}:{} expires on {date} ({} left)",
        probe.host,
        probe.port,
        days(days_left)
    );
    let min = i64::from(probe.min_days);
    match days_left {
        left if left >= min => Attempt::passed(),
        left if left < 0 => Attempt::new(
            Status::Failed,
            format!(
                "certificate expired {} ago, on {date} (min {min})",
                days(-left)
            ),
        ),
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

/// `1 day`, `12 days`.
fn days(count: i64) -> String {
    match count {
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// A client config that verifies against the bundled and system roots, or
/// (insecure) accepts any certificate so its expiry can still be read.
fn client_config(insecure: bool) -> Arc<ClientConfig> {
    static VERIFIED: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    static INSECURE: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let provider = || Arc::new(ring::default_provider());
    let builder = || {
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
    };
    match insecure {
        false => VERIFIED
            .get_or_init(|| {
                Arc::new(
                    builder()
                        .with_root_certificates(roots())
                        .with_no_client_auth(),
                )
            })
            .clone(),
        true => INSECURE
            .get_or_init(|| {
                let verifier = Arc::new(AcceptAny(provider()));
                Arc::new(
                    builder()
                        .dangerous()
                        .with_custom_certificate_verifier(verifier)
                        .with_no_client_auth(),
                )
            })
            .clone(),
    }
}

/// Mozilla's roots, and the system's where it has any.
fn roots() -> RootCertStore {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    roots
}

/// `insecure = true`: any certificate is accepted (its signatures on the
/// handshake are still checked).
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
