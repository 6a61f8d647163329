//! TCP peers for the tests: a Redis-like server that answers each command
//! line, servers that hang up, stream or say nothing, and a port that drops
//! connection attempts as a firewall does.
//!
//! Every server listens on 127.0.0.1, port 0, and serves from background
//! threads until it is dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Handler, Listener};

/// A server that reads command lines and answers each with a reply, keeping
/// the connection open as Redis does; it keeps what it was sent.
pub struct LineServer {
    listener: Listener,
    received: Arc<Mutex<Vec<u8>>>,
}

impl LineServer {
    /// Answers every line with `reply(line)`.
    pub fn start(reply: impl Fn(&str) -> String + Send + Sync + 'static) -> LineServer {
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new({
            let received = Arc::clone(&received);
            move |stream: TcpStream| serve_lines(stream, &reply, &received)
        });
        LineServer {
            listener: Listener::start(handler),
            received,
        }
    }

    /// A Redis server with `requirepass` set: `-NOAUTH` to everything.
    pub fn redis_with_password() -> LineServer {
        LineServer::start(|_| "-NOAUTH Authentication required.\r\n".to_owned())
    }

    /// A Redis server open to anyone: `PING` gets `+PONG`.
    pub fn redis_without_password() -> LineServer {
        LineServer::start(|line| match line.trim_end() {
            "PING" => "+PONG\r\n".to_owned(),
            other => format!("-ERR unknown command '{other}'\r\n"),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.port
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.listener.accepted.load(Ordering::SeqCst)
    }

    /// Every byte the clients sent, in order.
    pub fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

fn serve_lines(stream: TcpStream, reply: &dyn Fn(&str) -> String, received: &Mutex<Vec<u8>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while matches!(reader.read_line(&mut line), Ok(1..)) {
        received.lock().unwrap().extend_from_slice(line.as_bytes());
        if writer.write_all(reply(&line).as_bytes()).is_err() {
            return;
        }
        line.clear();
    }
}

/// A server that writes `bytes` on every connection, then closes it (or,
/// with [`Talker::holding`], keeps it open, saying nothing more).
pub struct Talker {
    listener: Listener,
}

impl Talker {
    /// Sends `bytes` and closes the connection.
    pub fn start(bytes: Vec<u8>) -> Talker {
        Talker::serve(bytes, false)
    }

    /// Sends `bytes`, then holds the connection open until the client goes.
    pub fn holding(bytes: Vec<u8>) -> Talker {
        Talker::serve(bytes, true)
    }

    /// Sends `bytes`, then resets the connection (a crash, a proxy giving up).
    pub fn resetting(bytes: Vec<u8>) -> Talker {
        let handler: Handler = Arc::new(move |mut stream: TcpStream| {
            let _ = stream.write_all(&bytes);
            // Wait for the client to have read it, so the reset cannot
            // overtake the data.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
            reset(stream);
        });
        Talker {
            listener: Listener::start(handler),
        }
    }

    /// Sends each of `parts` in turn, `gap` apart, as a slow peer does,
    /// then holds the connection open.
    pub fn in_parts(parts: Vec<Vec<u8>>, gap: Duration) -> Talker {
        Talker::serve_parts(parts, gap, true)
    }

    fn serve(bytes: Vec<u8>, hold: bool) -> Talker {
        Talker::serve_parts(vec![bytes], Duration::ZERO, hold)
    }

    fn serve_parts(parts: Vec<Vec<u8>>, gap: Duration, hold: bool) -> Talker {
        let handler: Handler = Arc::new(move |mut stream: TcpStream| {
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    std::thread::sleep(gap);
                }
                let _ = stream.write_all(part);
            }
            if hold {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = std::io::copy(&mut stream, &mut std::io::sink());
            }
            let _ = stream.shutdown(Shutdown::Both);
        });
        Talker {
            listener: Listener::start(handler),
        }
    }

    pub fn port(&self) -> u16 {
        self.listener.port
    }
}

/// Closes `stream` with a reset instead of a normal end (SO_LINGER of 0).
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `linger`, which lives across the call, on a
    // descriptor `stream` owns.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

/// A port on 127.0.0.1 that never answers a connection attempt, as one
/// behind a firewall that drops packets: a listener whose queue (of one)
/// is full and which never accepts, so the kernel drops every new SYN.
pub struct FilteredPort {
    port: u16,
    _listener: OwnedFd,
    _filler: TcpStream,
}

impl FilteredPort {
    pub fn start() -> FilteredPort {
        // SAFETY: plain socket calls on a descriptor this function owns;
        // `address` outlives the calls that read or write it.
        let (listener, port) = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket");
            let listener = OwnedFd::from_raw_fd(fd);
            let mut address: libc::sockaddr_in = std::mem::zeroed();
            address.sin_family = libc::AF_INET as libc::sa_family_t;
            address.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let pointer = &mut address as *mut libc::sockaddr_in as *mut libc::sockaddr;
            assert_eq!(libc::bind(fd, pointer, size), 0, "bind");
            assert_eq!(libc::listen(fd, 0), 0, "listen");
            let mut length = size;
            assert_eq!(
                libc::getsockname(fd, pointer, &mut length),
                0,
                "getsockname"
            );
            (listener, u16::from_be(address.sin_port))
        };
        let filler = TcpStream::connect(("127.0.0.1", port)).expect("the one queued connection");
        FilteredPort {
            port,
            _listener: listener,
            _filler: filler,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}
