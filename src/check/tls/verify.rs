//! Certificate verification for the TLS clients of the checks (`tls`, and
//! `ws` with `wss://`): Mozilla's roots and the system's, or, with
//! `insecure = true`, any certificate.

use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A client config that verifies against the bundled and system roots, or
/// (insecure) accepts any certificate so its expiry can still be read.
/// The roots are read when the first certificate is verified: a run that
/// makes no TLS connection reads no certificate store.
pub fn client_config(insecure: bool) -> Arc<ClientConfig> {
    static VERIFIED: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    static INSECURE: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let config = match insecure {
        false => &VERIFIED,
        true => &INSECURE,
    };
    let made = config.get_or_init(|| {
        let provider = Arc::new(ring::default_provider());
        let verifier = Arc::new(Verifier::new(Arc::clone(&provider), insecure));
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Arc::new(config)
    });
    Arc::clone(made)
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

/// What a verifier made from the roots became.
type Verified = Result<Arc<WebPkiServerVerifier>, rustls::Error>;

/// Judges the server's certificate against the roots, made into webpki's
/// verifier on first use; or, `insecure`, accepts any certificate. The
/// signatures on the handshake are checked either way.
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// `None`: any certificate is accepted.
    roots: Option<OnceLock<Verified>>,
}

impl Verifier {
    fn new(provider: Arc<CryptoProvider>, insecure: bool) -> Verifier {
        Verifier {
            provider,
            roots: (!insecure).then(OnceLock::new),
        }
    }

    /// Webpki's verifier over the roots, made on first use; `None` when
    /// any certificate is accepted.
    fn webpki(&self) -> Option<Verified> {
        let roots = self.roots.as_ref()?;
        let made = roots.get_or_init(|| {
            let roots = Arc::new(self::roots());
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&self.provider))
                .build()
                .map_err(|error| rustls::Error::General(format!("no certificate roots: {error}")))
        });
        Some(made.clone())
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki() {
            None => Ok(ServerCertVerified::assertion()),
            Some(webpki) => webpki?.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
