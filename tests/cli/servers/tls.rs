//! A TLS server for the tests, certificates to serve, and TCP servers that
//! are not TLS servers.
//!
//! Every server listens on 127.0.0.1, port 0, and serves from a background
//! thread until it is dropped.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Handler, Listener};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const DAY: u64 = 86_400;
/// Added to whole days so that "days left", rounded down, cannot change
/// while a test runs.
const MARGIN: u64 = 3 * 3_600;

/// A certificate chain (leaf first) and the leaf's private key.
pub struct Cert {
    pub chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
    /// The leaf's `notAfter`, in seconds since the Unix epoch.
    pub not_after: u64,
    /// The leaf in PEM, for a trust store file.
    pub pem: String,
}

impl Cert {
    /// A self-signed certificate for `localhost` and 127.0.0.1 that
    /// expires in `days` days and a few hours (`days` < 0: expired that
    /// many days and a few hours ago).
    pub fn self_signed(days: i64) -> Cert {
        Cert::self_signed_for(&["localhost", "127.0.0.1"], days)
    }

    /// A self-signed certificate for `names` that expires in `days` days
    /// and a few hours.
    pub fn self_signed_for(names: &[&str], days: i64) -> Cert {
        let (params, not_after) = leaf_params(names, days);
        Cert::self_signed_with(params, not_after)
    }

    /// A CA certificate for `names`, self-signed, served as a server's
    /// own: what a server set up with its CA's files by mistake presents.
    /// Trust its PEM ([`Cert::pem`]) and it is still no server certificate.
    pub fn ca_for(names: &[&str]) -> Cert {
        let (mut params, not_after) = leaf_params(names, 90);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Cert::self_signed_with(params, not_after)
    }

    fn self_signed_with(params: CertificateParams, not_after: u64) -> Cert {
        let key = KeyPair::generate().expect("key pair");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Cert {
            chain: vec![cert.der().clone()],
            key: key.serialize_der(),
            not_after,
            pem: cert.pem(),
        }
    }

    /// The leaf's expiry date as gate prints it: `YYYY-MM-DD` (UTC).
    pub fn expiry_date(&self) -> String {
        civil_date(self.not_after)
    }

    /// A rustls server config that presents this certificate.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("certificate and key match");
        Arc::new(config)
    }
}

/// A certificate authority of the tests' own, to issue leaf certificates
/// that verify when its certificate is trusted (`SSL_CERT_FILE`).
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

impl Ca {
    pub fn new() -> Ca {
        let key = KeyPair::generate().expect("key pair");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "gate test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        set_validity(&mut params, 3_650);
        let cert = params.self_signed(&key).expect("CA certificate");
        Ca {
            issuer: Issuer::new(params, key),
            der: cert.der().clone(),
            pem: cert.pem(),
        }
    }

    /// The CA certificate in PEM, for a trust store file.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A leaf certificate for `names` issued by this CA, expiring in `days`
    /// days and a few hours; the chain includes the CA certificate.
    pub fn issue(&self, names: &[&str], days: i64) -> Cert {
        let key = KeyPair::generate().expect("key pair");
        let (params, not_after) = leaf_params(names, days);
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Cert {
            chain: vec![cert.der().clone(), self.der.clone()],
            key: key.serialize_der(),
            not_after,
            pem: cert.pem(),
        }
    }
}

fn leaf_params(names: &[&str], days: i64) -> (CertificateParams, u64) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("certificate parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, "gate test server");
    let not_after = set_validity(&mut params, days);
    (params, not_after)
}

/// Sets `notBefore` to a year ago and `notAfter` to `days` days and
/// [`MARGIN`] from now; returns `notAfter` in seconds since the Unix epoch.
fn set_validity(params: &mut CertificateParams, days: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let not_after = now.saturating_add_signed(days * DAY as i64) + MARGIN;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + Duration::from_secs(now - 365 * DAY);
    params.not_after = epoch + Duration::from_secs(not_after);
    not_after
}

/// `YYYY-MM-DD` of a Unix time, UTC (Howard Hinnant's civil_from_days).
fn civil_date(seconds: u64) -> String {
    let z = (seconds / DAY) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A TLS server that completes the handshake of every connection with its
/// certificate, then closes it.
pub struct TlsServer {
    listener: Listener,
}

impl TlsServer {
    pub fn start(cert: &Cert) -> TlsServer {
        TlsServer::serving(cert, handshake)
    }

    /// An HTTPS server: on every connection, after the handshake with its
    /// certificate, it answers one request with `200 ok` and closes it.
    pub fn https(cert: &Cert) -> TlsServer {
        TlsServer::serving(cert, answer_ok)
    }

    /// A server that serves each connection with `cert` as `serve` does.
    fn serving(cert: &Cert, serve: fn(&Arc<ServerConfig>, TcpStream)) -> TlsServer {
        let config = cert.server_config();
        let handler: Handler = Arc::new(move |stream| serve(&config, stream));
        TlsServer {
            listener: Listener::start(handler),
        }
    }

    /// `https://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port())
    }

    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.accepted.load(Ordering::SeqCst)
    }
}

fn handshake(config: &Arc<ServerConfig>, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut connection) = rustls::ServerConnection::new(Arc::clone(config)) else {
        return;
    };
    while connection.is_handshaking() {
        if connection.complete_io(&mut stream).is_err() {
            return;
        }
    }
    connection.send_close_notify();
    let _ = connection.complete_io(&mut stream);
    let _ = stream.shutdown(Shutdown::Both);
}

fn answer_ok(config: &Arc<ServerConfig>, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(connection) = rustls::ServerConnection::new(Arc::clone(config)) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(read @ 1..) => request.extend_from_slice(&buffer[..read]),
            _ => return,
        }
    }
    let response = "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n";
    let _ = tls.write_all(response.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let _ = tls.sock.shutdown(Shutdown::Both);
}

/// A TCP server that is not a TLS server: it answers every connection with
/// a line of plain text and closes it.
pub struct PlainServer {
    listener: Listener,
}

impl PlainServer {
    pub fn start() -> PlainServer {
        let handler: Handler = Arc::new(|mut stream: TcpStream| {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6 not a TLS server\r\n");
            let _ = stream.shutdown(Shutdown::Write);
            // Drain what the client sent, so that closing sends no reset.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.read(&mut [0u8; 4096]);
        });
        PlainServer {
            listener: Listener::start(handler),
        }
    }

    pub fn port(&self) -> u16 {
        self.listener.port
    }
}

/// A TCP server that accepts connections and never answers; it holds them
/// open until it is dropped.
pub struct SilentServer {
    listener: Listener,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let held = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new({
            let held = Arc::clone(&held);
            move |stream| held.lock().unwrap().push(stream)
        });
        SilentServer {
            listener: Listener::start(handler),
            held,
        }
    }

    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        for stream in self.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// A port on 127.0.0.1 where nothing listens: connecting is refused.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}
