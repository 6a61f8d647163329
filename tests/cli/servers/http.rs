//! An HTTP/1.1 server for the tests, on 127.0.0.1 and a free port, with
//! keep-alive: one thread accepts, one thread serves each connection.
//!
//! ```ignore
//! let server = HttpServer::new()
//!     .route("/health", Response::ok(r#"{"status":"ok"}"#))
//!     .handle("/limited", |request| match request.number {
//!         ..=100 => Response::ok("ok"),
//!         _ => Response::status(429),
//!     })
//!     .start();
//! let url = server.url("/health");
//! ```
//!
//! Paths not routed answer 404. Every request is counted per path
//! ([`HttpServer::hits`]) and kept ([`HttpServer::requests`]). Dropping the
//! server closes its listener and every connection and joins its threads.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target without its query string.
    pub path: String,
    /// The query string as sent (still percent-encoded), "" without one.
    pub query: String,
    /// Names as sent; look them up with [`Request::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// 1 for the first request to this path, 2 for the second, ...
    pub number: usize,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    /// Held back until this latch opens (see [`Response::after`]).
    after: Option<Latch>,
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    /// `prefix`, then filler bytes up to `length` in all, written in
    /// chunks as the client reads them.
    Streamed {
        prefix: Vec<u8>,
        length: u64,
    },
    /// `prefix` of a body announced as `length` bytes, then nothing more:
    /// the connection is held open until the server stops.
    Stalled {
        prefix: Vec<u8>,
        length: u64,
    },
    /// No response at all: the connection is held open, unanswered.
    Never,
    /// No response at all: the connection is closed.
    Close,
}

impl Response {
    /// `status` with an empty body.
    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            after: None,
        }
    }

    /// 200 with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response::status(200).body(body)
    }

    /// 200 with `body` and `content-type: application/json`.
    pub fn json(body: &str) -> Response {
        Response::ok(body).header("Content-Type", "application/json")
    }

    /// A redirect (`301`, `302`, `307`, `308`) to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        Response::status(status).header("Location", location)
    }

    /// Accepts the request and never answers it: the connection stays open
    /// until the server is dropped.
    pub fn never() -> Response {
        Response {
            body: Body::Never,
            ..Response::status(200)
        }
    }

    /// Closes the connection without answering (a crashing backend).
    pub fn close() -> Response {
        Response {
            body: Body::Close,
            ..Response::status(200)
        }
    }

    /// 200 with a body of `length` bytes that starts with `prefix`, streamed
    /// without ever being held in memory.
    pub fn large(prefix: &str, length: u64) -> Response {
        Response {
            body: Body::Streamed {
                prefix: prefix.as_bytes().to_vec(),
                length,
            },
            ..Response::status(200)
        }
    }

    /// 200 announcing a body of `length` bytes, of which only `prefix` is
    /// ever sent: the rest never comes.
    pub fn stalled(prefix: &str, length: u64) -> Response {
        Response {
            body: Body::Stalled {
                prefix: prefix.as_bytes().to_vec(),
                length,
            },
            ..Response::status(200)
        }
    }

    /// The same response with header `name: value` added.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same response with `body`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = Body::Bytes(body.into());
        self
    }

    /// The same response, sent only once `latch` is opened (or the server
    /// is dropped, which closes the connection instead).
    pub fn after(mut self, latch: &Latch) -> Response {
        self.after = Some(latch.clone());
        self
    }
}

/// A latch a test opens to release responses held with [`Response::after`].
#[derive(Debug, Clone, Default)]
pub struct Latch(Arc<(Mutex<bool>, Condvar)>);

impl Latch {
    pub fn new() -> Latch {
        Latch::default()
    }

    /// Releases every response waiting on this latch, now and later.
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    /// Waits until the latch is open or `stopping` is set; true if open.
    fn wait(&self, stopping: &AtomicBool) -> bool {
        let mut open = self.0.0.lock().unwrap();
        while !*open && !stopping.load(Ordering::SeqCst) {
            open = self.0.1.wait(open).unwrap();
        }
        *open
    }
}

type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Routes of a server not started yet.
#[derive(Default)]
pub struct Routes {
    routes: HashMap<String, Handler>,
    fallback: Option<Handler>,
}

/// A running server; stops when dropped.
pub struct HttpServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the server's threads share.
struct Shared {
    routes: Routes,
    stopping: AtomicBool,
    /// Every latch a held response waits on, to wake them when stopping.
    latches: Mutex<Vec<Latch>>,
    hits: Mutex<HashMap<String, usize>>,
    requests: Mutex<Vec<Request>>,
    /// Body bytes written, all responses together.
    sent: AtomicU64,
    connections: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

impl HttpServer {
    /// A server with no routes yet: add them, then [`Routes::start`].
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> Routes {
        Routes::default()
    }

    /// A server answering every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> HttpServer {
        Routes {
            routes: HashMap::new(),
            fallback: Some(Arc::new(handler)),
        }
        .start()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// How many requests came for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The last request received for `path`.
    #[track_caller]
    pub fn last_request(&self, path: &str) -> Request {
        self.requests()
            .into_iter()
            .rfind(|r| r.path == path)
            .unwrap_or_else(|| panic!("no request for {path}"))
    }

    /// Body bytes the server has written, all responses together.
    pub fn body_bytes_sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }
}

impl Routes {
    /// Answers requests for `path` with `response`.
    pub fn route(self, path: &str, response: Response) -> Routes {
        self.handle(path, move |_| response.clone())
    }

    /// Answers requests for `path` with what `handler` returns.
    pub fn handle(
        mut self,
        path: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Routes {
        self.routes.insert(path.to_owned(), Arc::new(handler));
        self
    }

    /// Starts serving on 127.0.0.1 and a free port.
    pub fn start(self) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            routes: self,
            stopping: AtomicBool::new(false),
            latches: Mutex::new(Vec::new()),
            hits: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            sent: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || accept(listener, shared))
        };
        HttpServer {
            address,
            shared,
            acceptor: Some(acceptor),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor with a connection of our own.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for latch in self.shared.latches.lock().unwrap().iter() {
            // Under the latch's lock, so a thread about to wait either sees
            // `stopping` or is already waiting and is woken.
            let _open = latch.0.0.lock().unwrap();
            latch.0.1.notify_all();
        }
        let connections = std::mem::take(&mut *self.shared.connections.lock().unwrap());
        for (stream, thread) in connections {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(copy) = stream.try_clone() else {
            continue;
        };
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || serve(stream, &shared))
        };
        shared.connections.lock().unwrap().push((copy, thread));
    }
}

/// Serves the requests of one connection until either side closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the connection"));
    let mut writer = stream;
    while let Some(mut request) = read_request(&mut reader) {
        request.number = {
            let mut hits = shared.hits.lock().unwrap();
            let count = hits.entry(request.path.clone()).or_insert(0);
            *count += 1;
            *count
        };
        shared.requests.lock().unwrap().push(request.clone());
        let handler = shared
            .routes
            .routes
            .get(&request.path)
            .or(shared.routes.fallback.as_ref());
        let response = match handler {
            Some(handler) => handler(&request),
            None => Response::status(404).body(format!("no route for {}", request.path)),
        };
        if let Some(latch) = &response.after {
            shared.latches.lock().unwrap().push(latch.clone());
            if !latch.wait(&shared.stopping) {
                return;
            }
        }
        let close = request
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if write_response(&mut writer, &request, &response, close, shared).is_err() || close {
            return;
        }
    }
}

/// The next request on the connection; `None` at its end or on nonsense.
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: Vec::new(),
        number: 0,
    };
    let length: usize = request
        .header("Content-Length")
        .map_or(Some(0), |l| l.parse().ok())?;
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

fn write_response(
    writer: &mut TcpStream,
    request: &Request,
    response: &Response,
    close: bool,
    shared: &Shared,
) -> std::io::Result<()> {
    let length = match &response.body {
        Body::Bytes(bytes) => bytes.len() as u64,
        Body::Streamed { length, .. } | Body::Stalled { length, .. } => *length,
        Body::Never => return hold(shared),
        Body::Close => {
            writer.shutdown(Shutdown::Both)?;
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        }
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {length}\r\n"));
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut head = head.into_bytes();
    if request.method == "HEAD" {
        writer.write_all(&head)?;
        return writer.flush();
    }
    match &response.body {
        Body::Bytes(bytes) => {
            // One write, as servers send a small answer: a client that reads
            // the head finds the body with it.
            head.extend_from_slice(bytes);
            writer.write_all(&head)?;
            shared.sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        }
        Body::Streamed { prefix, length } => {
            writer.write_all(&head)?;
            writer.write_all(prefix)?;
            shared.sent.fetch_add(prefix.len() as u64, Ordering::SeqCst);
            let filler = [b'.'; 64 * 1024];
            let mut left = length - prefix.len() as u64;
            while left > 0 {
                let n = left.min(filler.len() as u64) as usize;
                writer.write_all(&filler[..n])?;
                shared.sent.fetch_add(n as u64, Ordering::SeqCst);
                left -= n as u64;
            }
        }
        Body::Stalled { prefix, .. } => {
            writer.write_all(&head)?;
            writer.write_all(prefix)?;
            writer.flush()?;
            shared.sent.fetch_add(prefix.len() as u64, Ordering::SeqCst);
            return hold(shared);
        }
        Body::Never | Body::Close => unreachable!(),
    }
    writer.flush()
}

/// Holds the connection, sending nothing more, until the server stops.
fn hold(shared: &Shared) -> std::io::Result<()> {
    let latch = Latch::new();
    shared.latches.lock().unwrap().push(latch.clone());
    latch.wait(&shared.stopping);
    Err(std::io::ErrorKind::ConnectionAborted.into())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Counts the requests a handler holds at once, for a `load` of `requests`
/// at most `concurrency` at once: each request is held until as many are in
/// flight as such a load keeps outstanding (`concurrency`, or at the end the
/// requests not yet answered), then that whole batch is held a moment more
/// (`GRACE`, for a request too many to be seen) and answered. A client that
/// keeps fewer in flight than it should is not waited for long: after
/// [`InFlight::GIVE_UP`] no request waits any more, and [`InFlight::max`]
/// tells.
///
/// ```ignore
/// let in_flight = InFlight::new(12, 4);
/// let server = HttpServer::start({
///     let in_flight = Arc::clone(&in_flight);
///     move |_| { in_flight.hold(); Response::ok("ok") }
/// });
/// ```
pub struct InFlight {
    requests: usize,
    concurrency: usize,
    /// Requests being held now.
    now: AtomicUsize,
    /// The most ever held at once.
    max: AtomicUsize,
    batches: Mutex<Batches>,
    changed: Condvar,
}

#[derive(Default)]
struct Batches {
    /// Requests that came in, numbered from 1 in order of arrival.
    arrived: usize,
    /// Requests let go after being held.
    answered: usize,
    /// Every request that arrived up to this number is let go.
    released: usize,
    /// True once a request waited [`InFlight::GIVE_UP`]: none waits any more.
    gave_up: bool,
}

impl InFlight {
    /// How long a request waits for the others of its batch.
    pub const GIVE_UP: Duration = Duration::from_secs(3);
    /// How long a complete batch is still held, for a request too many to
    /// come in while it is.
    const GRACE: Duration = Duration::from_millis(25);

    pub fn new(requests: usize, concurrency: usize) -> Arc<InFlight> {
        Arc::new(InFlight {
            requests,
            concurrency,
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
            batches: Mutex::new(Batches::default()),
            changed: Condvar::new(),
        })
    }

    /// Holds the calling request until its batch is complete.
    pub fn hold(&self) {
        let mut batches = self.batches.lock().unwrap();
        batches.arrived += 1;
        let ticket = batches.arrived;
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        let outstanding = self
            .concurrency
            .min(self.requests.saturating_sub(batches.answered));
        if now >= outstanding {
            batches.released = batches.arrived;
            self.changed.notify_all();
        }
        let deadline = std::time::Instant::now() + InFlight::GIVE_UP;
        while ticket > batches.released && !batches.gave_up {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                batches.gave_up = true;
                self.changed.notify_all();
                break;
            }
            batches = self.changed.wait_timeout(batches, left).unwrap().0;
        }
        drop(batches);
        // Still counted as in flight: a request the client should not have
        // sent yet comes in meanwhile, and `max` shows it.
        std::thread::sleep(InFlight::GRACE);
        let mut batches = self.batches.lock().unwrap();
        batches.answered += 1;
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most requests held at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Whether some request waited in vain for its batch.
    pub fn gave_up(&self) -> bool {
        self.batches.lock().unwrap().gave_up
    }
}

/// A port on 127.0.0.1 that refuses connections: a socket is bound to it
/// but does not listen, so no other test can take the port meanwhile.
pub struct ClosedPort {
    _socket: OwnedFd,
    port: u16,
}

impl ClosedPort {
    pub fn new() -> ClosedPort {
        // SAFETY: plain socket calls on a descriptor owned here, with
        // addresses of the sizes passed.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0, "socket");
            let socket = OwnedFd::from_raw_fd(fd);
            let mut address: libc::sockaddr_in = std::mem::zeroed();
            address.sin_family = libc::AF_INET as libc::sa_family_t;
            address.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let mut length = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let pointer = &mut address as *mut libc::sockaddr_in as *mut libc::sockaddr;
            assert_eq!(libc::bind(fd, pointer, length), 0, "bind 127.0.0.1:0");
            assert_eq!(
                libc::getsockname(fd, pointer, &mut length),
                0,
                "getsockname"
            );
            ClosedPort {
                _socket: socket,
                port: u16::from_be(address.sin_port),
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}
