//! How the dispatcher tells running gates to stop, in two steps: terminate
//! (SIGTERM, then SIGKILL after the grace period), then kill now.

use tokio::sync::watch;

/// The stop level, broadcast to every running gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    /// Keep going.
    Run,
    /// Fail-fast or a first interrupt: end gracefully.
    Terminate,
    /// A second interrupt: kill at once.
    Kill,
}

/// A gate's view of the stop level.
pub type StopReceiver = watch::Receiver<Stop>;

/// Resolves once the stop level reaches `level`; never, if the dispatcher is gone.
pub async fn reached(stop: &mut StopReceiver, level: Stop) {
    if stop.wait_for(|current| *current >= level).await.is_err() {
        std::future::pending::<()>().await;
    }
}
