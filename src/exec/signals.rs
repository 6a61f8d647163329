//! SIGINT, SIGTERM and SIGHUP, as a stream the dispatcher selects on. A
//! hangup (the terminal closed) stops the run as an interrupt does: the
//! gates and services run in their own process groups, which the terminal's
//! hangup does not reach.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The termination signals gate handles itself.
pub struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    hangup: Option<Signal>,
}

impl Signals {
    /// Installs the handlers (from now on, SIGINT no longer kills gate at once).
    pub fn new() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Resolves on the next SIGINT, SIGTERM or SIGHUP.
    pub async fn next(&mut self) {
        tokio::select! {
            Some(()) = recv(&mut self.interrupt) => {}
            Some(()) = recv(&mut self.terminate) => {}
            Some(()) = recv(&mut self.hangup) => {}
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
