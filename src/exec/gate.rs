//! One gate from start to end: its `requires`, its attempts and retries,
//! whatever the kind of check.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Shared;
use super::attempt::{Attempt, AttemptContext, LineSink};
use super::leftovers::Tag;
use super::stop::{Stop, StopReceiver, reached};
use crate::check::Probe;
use crate::event::{Event, GateResult, Status};
use crate::plan::Step;

/// Runs gate `index` of the plan, planned as `step`, whose check is
/// `probe`, to its end and sends `GateFinished`.
pub async fn run(
    shared: Arc<Shared>,
    index: usize,
    (step, probe): (Arc<Step>, Arc<dyn Probe>),
    stop: StopReceiver,
    events: mpsc::Sender<Event>,
    stream: bool,
) {
    let started = Instant::now();
    let step = &*step;
    let sink = stream.then(|| LineSink {
        index,
        events: events.clone(),
    });
    let result = match missing_program(step) {
        Some(reason) => GateResult::not_run(Status::Error, Some(reason)),
        None => attempts(&shared, (index, step), &*probe, stop, &events, sink).await,
    };
    let result = GateResult {
        duration: started.elapsed(),
        ..result
    };
    let _ = events.send(Event::GateFinished { index, result }).await;
}

/// The first `requires` program not found on the gate's PATH.
fn missing_program(step: &Step) -> Option<String> {
    step.gate
        .requires
        .iter()
        .find(|program| step.find_program(program).is_none())
        .map(|program| format!("program \"{program}\" not found on PATH"))
}

/// Attempts the check until it holds, the retries run out, or a stop comes.
async fn attempts(
    shared: &Shared,
    (index, step): (usize, &Step),
    probe: &dyn Probe,
    mut stop: StopReceiver,
    events: &mpsc::Sender<Event>,
    sink: Option<LineSink>,
) -> GateResult {
    let plan = &shared.plan;
    let tag = Tag::new(Arc::clone(&shared.run), step.gate.id.clone());
    let mut attempt_number = 0;
    loop {
        attempt_number += 1;
        let started = Event::GateStarted {
            index,
            attempt: attempt_number,
        };
        let _ = events.send(started).await;
        let mut context = AttemptContext {
            step,
            shell: &plan.settings.shell,
            resources: &shared.resources,
            deadline: Instant::now() + step.timeout,
            timeout: step.timeout,
            stop: stop.clone(),
            kill_grace: plan.settings.kill_grace,
            output_lines: plan.settings.output_lines,
            stream: sink.clone(),
            redactor: Arc::clone(&plan.redactor),
            tag: &tag,
        };
        let attempt = probe.attempt(&mut context).await;
        let retry = attempt.status.is_failure() && attempt_number <= step.gate.retries;
        if !retry {
            return result(attempt, attempt_number);
        }
        tokio::select! {
            biased;
            () = reached(&mut stop, Stop::Terminate) => {
                return result(Attempt::new(Status::Cancelled, "cancelled".into()), attempt_number);
            }
            () = tokio::time::sleep(step.gate.retry_delay) => {}
        }
    }
}

fn result(attempt: Attempt, attempts: u32) -> GateResult {
    GateResult {
        status: attempt.status,
        duration: std::time::Duration::ZERO,
        attempts,
        exit_code: attempt.exit_code,
        reason: attempt.reason,
        failures: attempt.failures,
        output: attempt.output,
        stats: attempt.stats.map(|stats| *stats),
        captures: attempt.captures,
    }
}
