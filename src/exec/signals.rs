//! SIGINT and SIGTERM, as a stream the dispatcher selects on.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The termination signals gate handles itself.
pub struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    /// Installs the handlers (from now on, SIGINT no longer kills gate at once).
    pub fn new() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Resolves on the next SIGINT or SIGTERM.
    pub async fn next(&mut self) {
        tokio::select! {
            Some(()) = recv(&mut self.interrupt) => {}
            Some(()) = recv(&mut self.terminate) => {}
            else => std::future::pending().await,
        }
    }
}

async fn recv(signal: &mut Option<Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
