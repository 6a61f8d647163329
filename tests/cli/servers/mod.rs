//! Real servers for the tests, on 127.0.0.1 port 0.

pub mod dns;
pub mod http;
pub mod service;
pub mod tcp;
pub mod tls;
pub mod ws;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// What a [`Listener`] does with each connection it accepts.
pub type Handler = Arc<dyn Fn(TcpStream) + Send + Sync>;

/// A listener on 127.0.0.1 that hands each connection to a handler on a
/// thread of its own, until it is dropped.
pub struct Listener {
    pub port: u16,
    stopping: Arc<AtomicBool>,
    pub accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listens on 127.0.0.1, port 0, until dropped.
    pub fn start(handler: Handler) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stopping = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::spawn({
            let stopping = Arc::clone(&stopping);
            let accepted = Arc::clone(&accepted);
            move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || handler(stream));
                }
            }
        });
        Listener {
            port,
            stopping,
            accepted,
            thread: Some(thread),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees `stopping`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
