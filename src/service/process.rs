//! One service, from start to stop: reused when it already answers, else
//! started as its own process group, probed until ready (or until it exits
//! or its time is up), kept until it is released, then stopped with its
//! `stop_signal`, `kill_grace`, then SIGKILL.

use std::io;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::PlannedService;
use super::ready::ReadyProbe;
use crate::check::Resources;
use crate::event::{Event, ServiceResult, ServiceStatus, millis};
use crate::exec::leftovers::{self, Tag};
use crate::exec::output::{LineSplitter, Tail};
use crate::exec::process_group;
use crate::exec::stop::{Stop, StopReceiver, reached};
use crate::redact::Redactor;
use crate::words;

/// Pause between two probes of `ready.http` or `ready.tcp`.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// What running a service reads, shared with the run.
pub struct ServiceContext {
    pub shell: Vec<String>,
    pub resources: Arc<Resources>,
    pub kill_grace: Duration,
    pub output_lines: usize,
    pub redactor: Arc<Redactor>,
    /// The run's stop level: fail-fast and interrupts stop services too.
    pub stop: StopReceiver,
    /// What its processes carry, so that what it leaves behind is found.
    pub tag: Tag,
}

/// Runs service `index` until `release` fires (its last user ended) or the
/// run stops; sends `ServiceReady` once it can be used and `ServiceEnded`
/// when it is gone.
pub async fn run(
    (index, service): (usize, Arc<PlannedService>),
    mut context: ServiceContext,
    mut release: oneshot::Receiver<()>,
    events: mpsc::Sender<Event>,
) {
    let announce = Announce {
        service: index,
        events,
        started: Instant::now(),
    };
    let result = match before_start(&service, &context).await {
        Before::Reuse => {
            announce.ready(true).await;
            held(&mut release, &mut context.stop).await;
            ServiceResult {
                status: ServiceStatus::Reused,
                ready_ms: Some(0),
                reason: None,
                output: String::new(),
            }
        }
        Before::Taken(reason) => ServiceResult {
            status: ServiceStatus::Failed,
            ready_ms: None,
            reason: Some(context.redactor.redact(&reason)),
            output: String::new(),
        },
        Before::Start => {
            let mut running = Running::start(&service, &context);
            running
                .supervise(&service, &mut context, &mut release, &announce)
                .await
        }
    };
    let ended = Event::ServiceEnded {
        service: index,
        result,
    };
    let _ = announce.events.send(ended).await;
}

/// Tells the run how a service is doing.
struct Announce {
    service: usize,
    events: mpsc::Sender<Event>,
    started: Instant,
}

impl Announce {
    /// Sends `ServiceReady`; returns how long it took.
    async fn ready(&self, reused: bool) -> u64 {
        let ready_ms = millis(self.started.elapsed());
        let event = Event::ServiceReady {
            service: self.service,
            ready_ms,
            reused,
        };
        let _ = self.events.send(event).await;
        ready_ms
    }
}

/// What to do before starting a service.
enum Before {
    Start,
    /// `reuse = true`, and its `ready` check holds already.
    Reuse,
    /// Its `ready` check holds already, without `reuse`: something else
    /// answers there, and would be probed in the service's place.
    Taken(String),
}

/// Asks `ready` (http or tcp) once before anything is started.
async fn before_start(service: &PlannedService, context: &ServiceContext) -> Before {
    let Some(ready) = service.ready.as_ref().filter(|ready| ready.can_probe()) else {
        return Before::Start;
    };
    match (ready.holds(&context.resources).await, service.reuse) {
        (false, _) => Before::Start,
        (true, true) => Before::Reuse,
        (true, false) => Before::Taken(format!(
            "service {}: {} already answers before gate started it; stop what runs \
             there, or set reuse = true to use it",
            service.id,
            ready.describe()
        )),
    }
}

/// Resolves once the service is released or the run stops.
async fn held(release: &mut oneshot::Receiver<()>, stop: &mut StopReceiver) {
    tokio::select! {
        _ = release => {}
        () = reached(stop, Stop::Terminate) => {}
    }
}

/// A started service (or why it could not start), and its output so far.
struct Running {
    child: Result<Child, String>,
    output: Arc<Mutex<Tail>>,
    /// Becomes true when a line matches `ready.log`.
    logged: watch::Receiver<bool>,
}

impl Running {
    /// Starts the service through the shell; its output is read as it comes.
    fn start(service: &PlannedService, context: &ServiceContext) -> Running {
        let output = Arc::new(Mutex::new(Tail::new(context.output_lines)));
        let (matched, logged) = watch::channel(false);
        let child = spawn(service, context).map(|(child, reader)| {
            let pattern = match &service.ready {
                Some(ReadyProbe::Log(pattern)) => Some(pattern.clone()),
                _ => None,
            };
            tokio::spawn(read_output(reader, Arc::clone(&output), pattern, matched));
            child
        });
        Running {
            child: child
                .map_err(|error| format!("cannot start `{}`: {}", service.run, words::io(&error))),
            output,
            logged,
        }
    }

    /// Waits until it is ready (and announces it), then until it is
    /// released; stops it and says how it went.
    async fn supervise(
        &mut self,
        service: &PlannedService,
        context: &mut ServiceContext,
        release: &mut oneshot::Receiver<()>,
        announce: &Announce,
    ) -> ServiceResult {
        let id = &service.id;
        let child = match &mut self.child {
            Ok(child) => child,
            Err(reason) => {
                let reason = format!("service {id} {reason}");
                return ended((&self.output, None), context, Err(reason));
            }
        };
        let pgid = child.id().map_or(0, |pid| pid as i32);
        let deadline = Instant::now() + service.ready_timeout.duration;
        let ready = ready(service.ready.as_ref(), &context.resources, &mut self.logged);
        let before_ready = tokio::select! {
            () = ready => None,
            status = child.wait() => Some(format!(
                "service {id} {} before it was ready",
                exited(status)
            )),
            () = tokio::time::sleep_until(deadline) => Some(format!(
                "service {id} not ready after {}",
                service.ready_timeout.text
            )),
            () = held(release, &mut context.stop) => Some(format!(
                "service {id} was stopped before it was ready"
            )),
        };
        if let Some(reason) = before_ready {
            let left = stop(child, pgid, service, context).await;
            return ended((&self.output, left), context, Err(reason));
        }
        let ready_ms = announce.ready(false).await;
        let in_use = tokio::select! {
            () = held(release, &mut context.stop) => None,
            status = child.wait() => Some(format!("service {id} {} while in use", exited(status))),
        };
        let left = stop(child, pgid, service, context).await;
        ServiceResult {
            ready_ms: Some(ready_ms),
            ..ended((&self.output, left), context, Ok(in_use))
        }
    }
}

/// The result, with the tail of `output` and the line naming what was left
/// behind: `Ok` with what happened in use when it was ready, else `Err`
/// with why it failed.
fn ended(
    (output, left): (&Mutex<Tail>, Option<String>),
    context: &ServiceContext,
    how: Result<Option<String>, String>,
) -> ServiceResult {
    let tail = std::mem::replace(&mut *output.lock().expect("tail"), Tail::new(1));
    let mut output = tail.into_string(&context.redactor);
    if let Some(left) = left {
        if !output.is_empty() {
            output.push('\n');
        }
        output.push_str(&context.redactor.redact(&left));
    }
    let (status, reason) = match how {
        Ok(in_use) => (ServiceStatus::Ready, in_use),
        Err(reason) => (ServiceStatus::Failed, Some(reason)),
    };
    ServiceResult {
        status,
        ready_ms: None,
        reason: reason.map(|reason| context.redactor.redact(&reason)),
        output,
    }
}

/// Resolves once `ready` holds: at once without one, on a matching line for
/// `log`, else when a probe answers.
async fn ready(
    ready: Option<&ReadyProbe>,
    resources: &Resources,
    logged: &mut watch::Receiver<bool>,
) {
    match ready {
        None => {}
        // The reader has gone without a match: the line will never come.
        Some(ReadyProbe::Log(_)) if logged.wait_for(|matched| *matched).await.is_err() => {
            std::future::pending::<()>().await;
        }
        Some(ReadyProbe::Log(_)) => {}
        Some(probe) => {
            while !probe.holds(resources).await {
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
        }
    }
}

/// Ends the service's process group (its `stop_signal`, `kill_grace`, then
/// SIGKILL), then what it left outside the group: the line that names
/// those, if any.
async fn stop(
    child: &mut Child,
    pgid: i32,
    service: &PlannedService,
    context: &mut ServiceContext,
) -> Option<String> {
    let (signal, grace) = (service.stop_signal, context.kill_grace);
    process_group::terminate_with(signal, child, pgid, grace, &mut context.stop).await;
    let left = leftovers::end_leftovers(&context.tag, grace, &mut context.stop).await;
    leftovers::describe(&left)
}

/// `exited with status 1`, `was killed by signal 9`.
fn exited(status: io::Result<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            (None, None) => "exited".to_owned(),
        },
        Err(error) => format!("could not be waited for ({})", words::io(&error)),
    }
}

/// Starts `service.run` through the shell, stdout and stderr on one pipe,
/// as the leader of its own process group, tagged.
fn spawn(
    service: &PlannedService,
    context: &ServiceContext,
) -> io::Result<(Child, pipe::Receiver)> {
    let shell = &context.shell;
    let mut command = Command::new(&shell[0]);
    command
        .args(&shell[1..])
        .arg(&service.run)
        .envs(service.env.iter().map(|(k, v)| (k, v)));
    process_group::start(command, &service.cwd, &context.tag)
}

/// Keeps the tail of the service's output and watches for `pattern`.
async fn read_output(
    mut reader: pipe::Receiver,
    output: Arc<Mutex<Tail>>,
    pattern: Option<regex::Regex>,
    matched: watch::Sender<bool>,
) {
    let mut splitter = LineSplitter::default();
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(read @ 1..) = reader.read(&mut buffer).await {
        let chunk = &buffer[..read];
        output.lock().expect("tail").push(chunk);
        if let Some(pattern) = &pattern {
            let mut found = false;
            splitter.push(chunk, |line| found |= pattern.is_match(&line));
            if found {
                matched.send_replace(true);
            }
        }
    }
    let last = splitter.finish();
    if let (Some(pattern), Some(last)) = (&pattern, last)
        && pattern.is_match(&last)
    {
        matched.send_replace(true);
    }
}
