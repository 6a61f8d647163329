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
    Refused,
    Unresolved(std::io::Error),
    Connect(std::io::Error),
    Handshake(std::io::Error),
    Expired,
    NoCertificate,
}

impl Failure {
    fn reason(&self, probe: &TlsProbe) -> String {
        let address = format!("{}:{}", probe.host, probe.port);
        match self {
            Failure::Refused => format!("connection refused by {address}"),
            Failure::Unresolved(e) => format!("cannot resolve host {}: {e}", probe.host),
            Failure::Connect(e) => format!("cannot connect to {address}: {e}"),
            Failure::Handshake(e) => format!("TLS handshake with {address} failed: {e}"),
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
    let stream = TcpStream::connect((probe.host.as_str(), probe.port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => Failure::Refused,
            _ if e.to_string().starts_with("failed to lookup address") => Failure::Unresolved(e),
            _ => Failure::Connect(e),
        })?;
    let connector = TlsConnector::from(client_config(insecure));
    let tls = connector
        .connect(probe.server_name.clone(), stream)
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
    let cause = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    matches!(
        cause,
        Some(rustls::Error::InvalidCertificate(
            Expired | ExpiredContext { .. }
        ))
    )
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
    let seconds_left = not_after.timestamp() - now;
    let date = not_after.to_datetime().date();
    let address = format!("{}:{}", probe.host, probe.port);
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
