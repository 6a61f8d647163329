//! The services of a run as the dispatcher keeps them: started when their
//! first user may start, released once their last user has ended, and what
//! became of each.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::event::{ServiceResult, Status};
use crate::service::PlannedService;

/// How far a service has got.
#[derive(Debug)]
enum State {
    /// Not started: no user has been ready to start yet.
    Idle,
    /// Started, not ready yet.
    Starting,
    Ready,
    /// Told to stop; its end is on its way.
    Released,
    /// Gone (or never ready); its result is kept.
    Ended,
}

/// What a gate that uses a service can do now.
pub enum Use {
    /// Start it (it is idle and its needs passed) and wait.
    Start,
    /// Wait: its needs are unfinished.
    NeedsPending,
    /// Wait: it is starting.
    Starting,
    Ready,
    /// The gate cannot run: it ends with this status and reason.
    Refused(Status, String),
}

/// Every service of the plan, by index.
pub struct Services {
    planned: Vec<Arc<PlannedService>>,
    states: Vec<State>,
    releases: Vec<Option<oneshot::Sender<()>>>,
    results: Vec<Option<ServiceResult>>,
}

impl Services {
    pub fn new(planned: &[Arc<PlannedService>]) -> Services {
        let count = planned.len();
        Services {
            planned: planned.to_vec(),
            states: (0..count).map(|_| State::Idle).collect(),
            releases: (0..count).map(|_| None).collect(),
            results: vec![None; count],
        }
    }

    /// Service `index` as the plan has it.
    pub fn planned(&self, index: usize) -> &Arc<PlannedService> {
        &self.planned[index]
    }

    /// What a user of service `index` can do; `needs` is whether the
    /// service's own needs passed (`None` while one is unfinished).
    pub fn usable(&self, index: usize, needs: Option<Result<(), String>>) -> Use {
        let id = &self.planned[index].id;
        match &self.states[index] {
            State::Idle => match needs {
                None => Use::NeedsPending,
                Some(Ok(())) => Use::Start,
                Some(Err(reason)) => {
                    Use::Refused(Status::Skipped, format!("service `{id}` {reason}"))
                }
            },
            State::Starting => Use::Starting,
            State::Ready => Use::Ready,
            State::Released | State::Ended => Use::Refused(Status::Error, self.gone(index)),
        }
    }

    /// Why a service that has ended cannot be used.
    fn gone(&self, index: usize) -> String {
        let reason = self.results[index].as_ref().and_then(|r| r.reason.clone());
        reason.unwrap_or_else(|| format!("service {} has stopped", self.planned[index].id))
    }

    /// Service `index` was started; `release` stops it.
    pub fn started(&mut self, index: usize, release: oneshot::Sender<()>) {
        self.states[index] = State::Starting;
        self.releases[index] = Some(release);
    }

    pub fn ready(&mut self, index: usize) {
        if matches!(self.states[index], State::Starting) {
            self.states[index] = State::Ready;
        }
    }

    pub fn ended(&mut self, index: usize, result: ServiceResult) {
        self.states[index] = State::Ended;
        self.releases[index] = None;
        self.results[index] = Some(result);
    }

    /// Stops service `index` when it runs.
    pub fn release(&mut self, index: usize) {
        if let Some(release) = self.releases[index].take() {
            let _ = release.send(());
            self.states[index] = State::Released;
        }
    }

    /// True when no service is starting, running or stopping.
    pub fn settled(&self) -> bool {
        self.states
            .iter()
            .all(|state| matches!(state, State::Idle | State::Ended))
    }

    /// What became of each service: `None` for those that never started.
    pub fn into_results(self) -> Vec<Option<ServiceResult>> {
        self.results
    }
}
