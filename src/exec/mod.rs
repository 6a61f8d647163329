//! The executor: runs a plan's gates, at most `concurrency` slots' worth at
//! once (a gate takes its `slots`), each as soon as its needs have passed
//! and its `after` gates have ended, and emits events.
//!
//! One dispatcher owns the run's state and decides everything: which gate
//! starts, which is skipped, fail-fast and interrupts. Gates run as tasks and
//! talk back only through the event channel.

mod attempt;
mod gate;
pub mod leftovers;
pub mod output;
pub mod process_group;
mod procfs;
mod queue;
mod services;
mod signals;
pub mod stop;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::check::{Action, Resources, manual};
use crate::event::{Event, GateResult, ServiceResult, Status};
use crate::plan::{Plan, Step};
use crate::service::process::{self as service_process, ServiceContext};
pub use attempt::{Attempt, AttemptContext, Limit, LineSink};
use leftovers::{Leftover, Tag};
use queue::Queue;
use services::{Services, Use};
use signals::Signals;
use stop::Stop;

/// Room for events in flight; a full channel slows output-streaming gates down.
const EVENT_BUFFER: usize = 1024;

/// What a run produced: one result per step of the plan.
#[derive(Debug, Clone)]
pub struct Run {
    pub started_at: SystemTime,
    pub duration: Duration,
    /// In plan order.
    pub results: Vec<GateResult>,
    /// Per service of the plan: how it fared, `None` if it never started.
    pub services: Vec<Option<ServiceResult>>,
    /// SIGINT or SIGTERM stopped the run.
    pub interrupted: bool,
    /// What was still running when the run ended, and was ended then.
    pub leftovers: Vec<Leftover>,
}

/// How far a gate has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done(Status),
}

/// Executes `plan` with the shared `resources`, calling `on_event` for
/// every event; `stream` sends every output line as an event. gate is the
/// child subreaper of the run, and what is left of it when it ends is ended.
pub async fn execute(
    plan: Arc<Plan>,
    resources: Arc<Resources>,
    stream: bool,
    on_event: &mut dyn FnMut(&Event),
) -> Run {
    let started_at = SystemTime::now();
    let started = Instant::now();
    leftovers::become_subreaper();
    let mut dispatcher = Dispatcher::new(plan, resources, stream);
    let leftovers = dispatcher.run(on_event).await;
    Run {
        started_at,
        duration: started.elapsed(),
        interrupted: dispatcher.interrupted,
        leftovers,
        results: dispatcher
            .results
            .into_iter()
            .map(|r| r.expect("every gate ends"))
            .collect(),
        services: dispatcher.services.into_results(),
    }
}

/// What every gate task reads: the plan and what the checks share.
#[derive(Debug)]
struct Shared {
    plan: Arc<Plan>,
    resources: Arc<Resources>,
    /// The run id every process gate starts is tagged with.
    run: Arc<str>,
}

struct Dispatcher {
    shared: Arc<Shared>,
    stream: bool,
    states: Vec<State>,
    /// The waiting gates there is something to decide about.
    queue: Queue,
    results: Vec<Option<GateResult>>,
    services: Services,
    /// Per service, how many of the gates that use it have not ended.
    users_left: Vec<usize>,
    /// The slots the running gates take, together: none exactly when no
    /// gate runs, as each takes one at least.
    slots_taken: usize,
    /// The gate waiting for more slots than are free, which starts before
    /// any other: light gates cannot keep taking the slots it waits for.
    next: Option<usize>,
    stop: watch::Sender<Stop>,
    /// Why gates are being cancelled, once they are.
    cancel_reason: Option<String>,
    interrupted: bool,
    events: mpsc::Sender<Event>,
    inbox: mpsc::Receiver<Event>,
}

impl Dispatcher {
    fn new(plan: Arc<Plan>, resources: Arc<Resources>, stream: bool) -> Dispatcher {
        let (events, inbox) = mpsc::channel(EVENT_BUFFER);
        let count = plan.steps.len();
        Dispatcher {
            services: Services::new(&plan.services),
            users_left: plan.services.iter().map(|s| s.users.len()).collect(),
            queue: Queue::new(&plan),
            shared: Arc::new(Shared {
                plan,
                resources,
                run: leftovers::run_id(),
            }),
            stream,
            states: vec![State::Waiting; count],
            results: vec![None; count],
            slots_taken: 0,
            next: None,
            stop: watch::channel(Stop::Run).0,
            cancel_reason: None,
            interrupted: false,
            events,
            inbox,
        }
    }

    /// Runs every gate to its end, then ends what is left of the run and
    /// returns it.
    async fn run(&mut self, on_event: &mut dyn FnMut(&Event)) -> Vec<Leftover> {
        let mut signals = Signals::new();
        loop {
            self.start_ready(on_event);
            if self.slots_taken == 0 && self.queue.all_ended() && self.services.settled() {
                return self.end_run(&mut signals, on_event).await;
            }
            tokio::select! {
                Some(event) = self.inbox.recv() => self.receive(event, on_event),
                () = signals.next() => self.interrupt(on_event),
            }
        }
    }

    /// Ends what the run left (every gate has ended, so every process it
    /// started has been waited for), still heeding interrupts.
    async fn end_run(
        &mut self,
        signals: &mut Signals,
        on_event: &mut dyn FnMut(&Event),
    ) -> Vec<Leftover> {
        let grace = self.shared.plan.settings.kill_grace;
        let mut stop = self.stop.subscribe();
        let run = Arc::clone(&self.shared.run);
        let sweep = leftovers::end_run(&run, grace, &mut stop);
        tokio::pin!(sweep);
        loop {
            tokio::select! {
                ended = &mut sweep => return ended,
                () = signals.next() => self.interrupt(on_event),
            }
        }
    }

    /// Handles an event from a running gate.
    fn receive(&mut self, event: Event, on_event: &mut dyn FnMut(&Event)) {
        match event {
            Event::GateFinished { index, result } => {
                self.slots_taken -= self.slots_of(index);
                self.finish(index, result, on_event);
            }
            Event::GateOutput { index, line } => {
                let line = self.shared.plan.redactor.redact(&line);
                on_event(&Event::GateOutput { index, line });
            }
            Event::ServiceReady { service, .. } => {
                self.services.ready(service);
                on_event(&event);
            }
            Event::ServiceEnded { service, result } => {
                let event = Event::ServiceEnded {
                    service,
                    result: result.clone(),
                };
                self.services.ended(service, result);
                on_event(&event);
            }
            other => on_event(&other),
        }
    }

    /// Starts every waiting gate whose needs passed and whose `after` gates
    /// ended, while slots are free; settles those that cannot run (a need
    /// did not pass, manual, cancelled).
    /// Settling one gate can make another ready, so it goes on until a pass
    /// settles nothing.
    fn start_ready(&mut self, on_event: &mut dyn FnMut(&Event)) {
        while self.start_ready_pass(on_event) {}
    }

    /// One pass over the waiting gates, in config order; true if a gate was
    /// settled. Those that can only wait are passed over without a look.
    fn start_ready_pass(&mut self, on_event: &mut dyn FnMut(&Event)) -> bool {
        let mut settled = false;
        let mut from = 0;
        while let Some(index) = self.next_waiting(from) {
            from = index + 1;
            let result = if let Some(reason) = &self.cancel_reason {
                GateResult::not_run(Status::Cancelled, Some(reason.clone()))
            } else {
                let step = &self.shared.plan.steps[index];
                match (self.needs_outcome(index), &step.action) {
                    (Err(reason), _) => GateResult::not_run(Status::Skipped, Some(reason)),
                    (Ok(()), Action::Manual) => manual::confirm(step),
                    (Ok(()), Action::Probe(_)) => match self.try_start(index) {
                        Some(result) => result,
                        None => continue,
                    },
                }
            };
            self.finish(index, result, on_event);
            settled = true;
        }
        settled
    }

    /// The first waiting gate from `from` on that a pass has to look at:
    /// once the run is cancelled, every one.
    fn next_waiting(&self, from: usize) -> Option<usize> {
        match self.cancel_reason {
            Some(_) => (from..self.states.len()).find(|&i| self.states[i] == State::Waiting),
            None => self.queue.next(from, self.slot_free()),
        }
    }

    /// True while the running gates leave room for a gate queued for
    /// slots: for the next gate's slots when one is next (no other may
    /// start before it), else for one slot.
    fn slot_free(&self) -> bool {
        let wanted = self.next.map_or(1, |next| self.slots_of(next));
        self.fits(wanted)
    }

    /// True when `slots` more slots are free.
    fn fits(&self, slots: usize) -> bool {
        self.slots_taken + slots <= self.shared.plan.concurrency
    }

    /// Starts probe gate `index` once its services are ready and its slots
    /// are free: `None` when it started or must wait, else how it ends
    /// without running (a service failed, a captured value is wrong).
    fn try_start(&mut self, index: usize) -> Option<GateResult> {
        if let Err(result) = self.services_outcome(index)? {
            return Some(*result);
        }
        if !self.has_slots(index) {
            if self.shared.plan.steps[index].services.is_empty() {
                // With no service to wait for, only slots are missing.
                self.queue.queue(index);
            }
            return None;
        }
        match self.planned(index) {
            Ok(step) => {
                self.spawn(index, step);
                None
            }
            Err(result) => Some(*result),
        }
    }

    /// The slots gate `index` takes: its `slots`, all of them at most (a
    /// gate with more than `-j` runs alone).
    fn slots_of(&self, index: usize) -> usize {
        let plan = &self.shared.plan;
        plan.steps[index].gate.slots.min(plan.concurrency)
    }

    /// True when gate `index` may take its slots now: they are free, and no
    /// other gate is waiting for slots. The first gate that finds too few
    /// free is the next to start, so the slots a heavy gate waits for are
    /// not taken, one by one, by light gates that came after it.
    fn has_slots(&mut self, index: usize) -> bool {
        if self.next.is_some_and(|next| next != index) {
            return false;
        }
        let fits = self.fits(self.slots_of(index));
        if !fits {
            // A pass skips the gates queued for slots while there is no
            // room: the first of them in config order is next, if before
            // this one.
            let first_queued = self.queue.first_queued().filter(|&queued| queued < index);
            self.next = Some(first_queued.unwrap_or(index));
        }
        fits
    }

    /// Whether every need of waiting gate `index` passed. The queue gives
    /// a gate only once its needs have ended, and its `after` gates too
    /// unless a need did not pass: there is nothing left to wait for.
    fn needs_outcome(&self, index: usize) -> Result<(), String> {
        self.outcome_of(&self.shared.plan.steps[index].needs)
            .expect("the queue gives a gate only once its needs have ended")
    }

    /// `None` while one of the gates `needs` is unfinished; else whether
    /// all of them passed.
    fn outcome_of(&self, needs: &[usize]) -> Option<Result<(), String>> {
        let mut outcome = Ok(());
        for &need in needs {
            match self.states[need] {
                State::Done(Status::Passed) => {}
                State::Done(status) => {
                    let id = &self.shared.plan.steps[need].gate.id;
                    outcome = outcome.and(Err(format!(
                        "needs `{id}`, which did not pass ({})",
                        status.as_str()
                    )));
                }
                _ => return None,
            }
        }
        Some(outcome)
    }

    /// Step `index` as it runs: planned again with the values the gates it
    /// needs captured, when it has to be; a value that is wrong then makes
    /// it `error`.
    fn planned(&self, index: usize) -> Result<Arc<Step>, Box<GateResult>> {
        let plan = &self.shared.plan;
        let step = &plan.steps[index];
        if !step.replan {
            return Ok(Arc::clone(step));
        }
        plan.replan(index, &self.captured_for(index))
            .map(Arc::new)
            .map_err(|error| Box::new(GateResult::not_run(Status::Error, Some(error.one_line()))))
    }

    /// The values captured by the gates step `index` needs, transitively:
    /// those of farther gates first, so the nearest capture of a name wins.
    fn captured_for(&self, index: usize) -> Vec<(String, String)> {
        let steps = &self.shared.plan.steps;
        let mut seen = vec![false; steps.len()];
        let mut order = Vec::new();
        // Depth first, each gate after its own needs; an explicit stack.
        let mut stack: Vec<(usize, bool)> = steps[index]
            .needs
            .iter()
            .rev()
            .map(|&n| (n, false))
            .collect();
        while let Some((current, expanded)) = stack.pop() {
            if expanded {
                order.push(current);
            } else if !seen[current] {
                seen[current] = true;
                stack.push((current, true));
                stack.extend(steps[current].needs.iter().rev().map(|&n| (n, false)));
            }
        }
        order
            .into_iter()
            .filter_map(|need| self.results[need].as_ref())
            .flat_map(|result| result.captures.iter().cloned())
            .collect()
    }

    /// `None` while a service gate `index` uses is not ready; else whether
    /// the gate can run, or how it ends when one of them failed or cannot
    /// start. None is started until the needs of all of them have passed,
    /// so that none starts for a gate that will not run.
    fn services_outcome(&mut self, index: usize) -> Option<Result<(), Box<GateResult>>> {
        let step = Arc::clone(&self.shared.plan.steps[index]);
        let uses: Vec<(usize, Use)> = step
            .services
            .iter()
            .map(|&service| {
                let needs = self.outcome_of(&self.services.planned(service).needs);
                (service, self.services.usable(service, needs))
            })
            .collect();
        for (_, used) in &uses {
            if let Use::Refused(status, reason) = used {
                let result = GateResult::not_run(*status, Some(reason.clone()));
                return Some(Err(Box::new(result)));
            }
        }
        if uses
            .iter()
            .any(|(_, used)| matches!(used, Use::NeedsPending))
        {
            return None;
        }
        let mut ready = true;
        for (service, used) in uses {
            match used {
                Use::Ready => {}
                Use::Start => {
                    self.start_service(service);
                    ready = false;
                }
                _ => ready = false,
            }
        }
        ready.then_some(Ok(()))
    }

    /// Starts service `index` as a task that reports through the inbox.
    fn start_service(&mut self, index: usize) {
        let (release, released) = tokio::sync::oneshot::channel();
        self.services.started(index, release);
        let plan = &self.shared.plan;
        let context = ServiceContext {
            shell: plan.settings.shell.clone(),
            resources: Arc::clone(&self.shared.resources),
            kill_grace: plan.settings.kill_grace,
            output_lines: plan.settings.output_lines,
            redactor: Arc::clone(&plan.redactor),
            stop: self.stop.subscribe(),
            tag: Tag::new(
                Arc::clone(&self.shared.run),
                format!("service:{}", self.services.planned(index).id),
            ),
        };
        let service = (index, Arc::clone(self.services.planned(index)));
        let task = service_process::run(service, context, released, self.events.clone());
        tokio::spawn(task);
    }

    /// Releases the services of gate `index`, which has ended, that no
    /// unfinished gate uses.
    fn release_services(&mut self, index: usize) {
        let steps = &self.shared.plan.steps;
        for &service in &steps[index].services {
            self.users_left[service] -= 1;
            if self.users_left[service] == 0 {
                self.services.release(service);
            }
        }
    }

    fn spawn(&mut self, index: usize, step: Arc<Step>) {
        self.states[index] = State::Running;
        self.queue.started(index);
        self.slots_taken += self.slots_of(index);
        if self.next == Some(index) {
            self.next = None;
        }
        let Action::Probe(probe) = &step.action else {
            unreachable!("only gates with a probe are spawned");
        };
        let probe = Arc::clone(probe);
        let task = gate::run(
            Arc::clone(&self.shared),
            index,
            (step, probe),
            self.stop.subscribe(),
            self.events.clone(),
            self.stream,
        );
        tokio::spawn(task);
    }

    /// Records a gate's end, reports it, and starts fail-fast if it is due.
    fn finish(&mut self, index: usize, mut result: GateResult, on_event: &mut dyn FnMut(&Event)) {
        if result.status == Status::Cancelled {
            result.reason = self.cancel_reason.clone().or(result.reason);
        }
        let redactor = &self.shared.plan.redactor;
        result.reason = result.reason.map(|reason| redactor.redact(&reason));
        result.output = redactor.redact(&result.output);
        result.failures = std::mem::take(&mut result.failures)
            .into_iter()
            .map(|failure| failure.map_text(|text| redactor.redact(text)))
            .collect();
        let step = &self.shared.plan.steps[index];
        let blocking_failure =
            result.status.is_failure() && step.gate.severity == crate::config::Severity::Block;
        if blocking_failure && self.shared.plan.settings.fail_fast && self.cancel_reason.is_none() {
            self.cancel(format!(
                "cancelled by fail-fast after `{}` {}",
                step.gate.id,
                result.status.as_str()
            ));
        }
        self.states[index] = State::Done(result.status);
        if self.next == Some(index) {
            self.next = None;
        }
        self.queue.ended(index, result.status == Status::Passed);
        self.release_services(index);
        on_event(&Event::GateFinished {
            index,
            result: result.clone(),
        });
        self.results[index] = Some(result);
    }

    /// Asks every running gate to end and cancels those not started.
    fn cancel(&mut self, reason: String) {
        self.cancel_reason = Some(reason);
        self.stop.send_replace(Stop::Terminate);
    }

    /// SIGINT/SIGTERM: the first terminates gracefully, the next kills at once.
    fn interrupt(&mut self, on_event: &mut dyn FnMut(&Event)) {
        if self.interrupted {
            self.stop.send_replace(Stop::Kill);
            return;
        }
        self.interrupted = true;
        on_event(&Event::Interrupted);
        self.cancel("interrupted".to_string());
    }
}
