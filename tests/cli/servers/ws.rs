//! A WebSocket server for the tests, plain or over TLS, from the same crate
//! gate uses (tungstenite, here its blocking side).
//!
//! ```ignore
//! let server = WsServer::new()
//!     .on_open(Message::text(r#"0{"sid":"x"}"#))
//!     .reply(|text| (text == r#"{"type":"ping"}"#).then(|| Message::text(r#"{"type":"pong"}"#)))
//!     .token("s3cret")
//!     .start();
//! let url = server.url("/ws");
//! ```
//!
//! Each connection is served on a thread of its own: the opening handshake
//! (refused with 401 when a token is asked for and not sent as `Bearer`),
//! the `on_open` messages, then an answer to each text message that
//! `reply` gives one for, until the client closes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{Message, accept_hdr};

use super::tls::Cert;
use super::{Handler, Listener};

/// The answer to a text message, if any.
type Reply = Arc<dyn Fn(&str) -> Option<Message> + Send + Sync>;

/// What the server does on each connection.
#[derive(Clone, Default)]
pub struct WsServer {
    on_open: Vec<Message>,
    reply: Option<Reply>,
    token: Option<String>,
}

/// A started [`WsServer`].
pub struct Running {
    listener: Listener,
    scheme: &'static str,
    /// The `Authorization` header of every handshake, `None` when absent.
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    /// The `Sec-WebSocket-Key` of every handshake.
    keys: Arc<Mutex<Vec<String>>>,
}

impl WsServer {
    pub fn new() -> WsServer {
        WsServer::default()
    }

    /// Sends `message` as soon as a connection is open.
    pub fn on_open(mut self, message: Message) -> WsServer {
        self.on_open.push(message);
        self
    }

    /// Answers a text message with what `reply` returns, if anything.
    pub fn reply(
        mut self,
        reply: impl Fn(&str) -> Option<Message> + Send + Sync + 'static,
    ) -> WsServer {
        self.reply = Some(Arc::new(reply));
        self
    }

    /// Refuses the handshake (401) unless it carries `Authorization: Bearer TOKEN`.
    pub fn token(mut self, token: &str) -> WsServer {
        self.token = Some(token.to_owned());
        self
    }

    /// Serves `ws://` on 127.0.0.1.
    pub fn start(self) -> Running {
        self.listen("ws", None)
    }

    /// Serves `wss://` on 127.0.0.1 with `cert`.
    pub fn start_tls(self, cert: &Cert) -> Running {
        self.listen("wss", Some(cert.server_config()))
    }

    fn listen(self, scheme: &'static str, tls: Option<Arc<ServerConfig>>) -> Running {
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let keys = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new({
            let authorizations = Arc::clone(&authorizations);
            let keys = Arc::clone(&keys);
            move |stream: TcpStream| {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                match &tls {
                    Some(config) => {
                        let Ok(connection) = ServerConnection::new(Arc::clone(config)) else {
                            return;
                        };
                        let stream = StreamOwned::new(connection, stream);
                        self.serve(stream, &authorizations, &keys);
                    }
                    None => self.serve(stream, &authorizations, &keys),
                }
            }
        });
        Running {
            listener: Listener::start(handler),
            scheme,
            authorizations,
            keys,
        }
    }

    // The handshake callback's error type is tungstenite's, large as it is.
    #[allow(clippy::result_large_err)]
    fn serve(
        &self,
        stream: impl Read + Write,
        authorizations: &Mutex<Vec<Option<String>>>,
        keys: &Mutex<Vec<String>>,
    ) {
        let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
            let key = request.headers().get("sec-websocket-key");
            keys.lock().unwrap().push(
                key.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default(),
            );
            let authorization = request
                .headers()
                .get("authorization")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            authorizations.lock().unwrap().push(authorization.clone());
            match &self.token {
                Some(token) if authorization != Some(format!("Bearer {token}")) => {
                    let mut refusal = ErrorResponse::new(Some("unauthorized".to_owned()));
                    *refusal.status_mut() = StatusCode::UNAUTHORIZED;
                    Err(refusal)
                }
                _ => Ok(response),
            }
        };
        let Ok(mut socket) = accept_hdr(stream, check) else {
            return;
        };
        for message in &self.on_open {
            if socket.send(message.clone()).is_err() {
                return;
            }
        }
        while let Ok(message) = socket.read() {
            let answer = match (&message, &self.reply) {
                (Message::Text(text), Some(reply)) => reply(text.as_str()),
                (Message::Close(_), _) => break,
                _ => None,
            };
            if let Some(answer) = answer {
                if socket.send(answer).is_err() {
                    return;
                }
            }
        }
    }
}

impl Running {
    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// `ws://127.0.0.1:PORT{path}` (or `wss://`).
    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.accepted.load(Ordering::SeqCst)
    }

    /// The `Sec-WebSocket-Key` of each handshake, in order.
    pub fn keys(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }

    /// The `Authorization` header of each handshake, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }
}
