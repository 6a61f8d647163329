//! `run` gates: one attempt of a shell command in its own process group,
//! its combined output read in bounded memory, ended by a timeout or a stop.
//!
//! `run` is never interpolated: the shell expands `$VAR` itself from the
//! environment it is given, so no value is ever spliced into shell code.

mod direct;

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Action, BoxFuture, Check, Probe, RawCheck};
use crate::config::{Diagnostic, Source};
use crate::error::Error;
use crate::event::Status;
use crate::exec::output::{LineSplitter, Tail};
use crate::exec::process_group;
use crate::exec::{Attempt, AttemptContext, LineSink};
use crate::plan::{Resolver, Step};
use crate::redact::Redactor;

/// The kind's name in reports.
pub const KIND: &str = "command";

/// Exit status of a shell that could not find the command.
const COMMAND_NOT_FOUND: i32 = 127;
/// Added to the output when the pipe was still open after the command ended.
const HELD_OPEN: &str = "(gate stopped reading: a process outside the gate's process group still holds its output open)";
/// How long to wait for the output pipe to close once the group is gone.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// `run = "..."`: a shell command.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Raw(pub String);

impl RawCheck for Raw {
    fn load(&self, _: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        Ok(Arc::new(Run(Arc::new(RunProbe {
            run: self.0.clone(),
        }))))
    }
}

/// A command gate: the command needs no planning, so its check and its
/// probe are the same.
#[derive(Debug)]
pub struct Run(Arc<RunProbe>);

/// The command of a `run` gate.
#[derive(Debug)]
pub struct RunProbe {
    /// As written; run with `settings.shell`.
    pub run: String,
}

impl Check for Run {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn plan(&self, _: &Resolver) -> Result<Action, Error> {
        Ok(Action::Probe(Arc::clone(&self.0) as Arc<dyn Probe>))
    }
}

impl Probe for RunProbe {
    fn describe(&self) -> String {
        format!("$ {}", self.run)
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        Box::pin(attempt(&self.run, context))
    }
}

/// Runs `run` once with the shell, as the context says.
async fn attempt(run: &str, ctx: &mut AttemptContext<'_>) -> Attempt {
    let (shell, step) = (ctx.shell, ctx.step);
    match spawn(run, shell, step) {
        Ok((child, reader)) => supervise(child, reader, ctx).await,
        Err(_) if !step.cwd.is_dir() => Attempt::error(format!(
            "working directory \"{}\" does not exist",
            step.cwd.display()
        )),
        Err(error) => Attempt::error(format!("cannot start `{}`: {error}", shell.join(" "))),
    }
}

/// Starts the command with stdout and stderr on one pipe, as its own
/// process group: directly when it is a plain program call, else (or when
/// that fails, say a script without a `#!` line) through the shell.
fn spawn(run: &str, shell: &[String], step: &Step) -> io::Result<(Child, pipe::Receiver)> {
    if let Some((program, args)) = direct::program_call(run, shell, step) {
        let mut command = Command::new(program);
        command.args(args);
        if let Ok(started) = start(command, step) {
            return Ok(started);
        }
    }
    let mut command = Command::new(&shell[0]);
    command.args(&shell[1..]).arg(run);
    start(command, step)
}

/// Spawns `command` in the gate's directory and environment, output to a new pipe.
fn start(mut command: Command, step: &Step) -> io::Result<(Child, pipe::Receiver)> {
    let (writer, reader) = pipe::pipe()?;
    let writer = writer.into_blocking_fd()?;
    command
        .current_dir(&step.cwd)
        .envs(step.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0)
        .kill_on_drop(true);
    let child = command.spawn()?;
    Ok((child, reader))
}

/// Waits for the command, a timeout or a stop, ends the process group, and
/// collects the output.
async fn supervise(
    mut child: Child,
    reader: pipe::Receiver,
    ctx: &mut AttemptContext<'_>,
) -> Attempt {
    let pgid = child.id().map_or(0, |id| id as i32);
    let (stop_reading, stop_signal) = oneshot::channel();
    let output = tokio::spawn(read_output(
        reader,
        ctx.output_lines,
        ctx.stream.clone(),
        Arc::clone(&ctx.redactor),
        stop_signal,
    ));
    let grace = ctx.kill_grace;
    let ended = tokio::select! {
        status = child.wait() => Ok(status),
        interruption = ctx.interrupted() => Err(interruption),
    };
    match &ended {
        Ok(_) => process_group::clean_up(&mut child, pgid, grace, &mut ctx.stop).await,
        Err(_) => process_group::terminate(&mut child, pgid, grace, &mut ctx.stop).await,
    }
    let output = collect(output, stop_reading).await;
    match ended {
        Ok(Ok(status)) => from_exit(status, output),
        Ok(Err(error)) => {
            Attempt::error(format!("cannot wait for the command: {error}")).with_output(output)
        }
        Err(interruption) => Attempt::interrupted(interruption, ctx.timeout).with_output(output),
    }
}

/// The attempt's status and reason from how the command exited.
fn from_exit(status: ExitStatus, output: String) -> Attempt {
    let attempt = match (status.code(), status.signal()) {
        (Some(0), _) => Attempt::passed(),
        (Some(COMMAND_NOT_FOUND), _) => Attempt::new(
            Status::Error,
            "command not found (exit status 127)".to_string(),
        ),
        (Some(code), _) => Attempt::new(Status::Failed, format!("exit status {code}")),
        (None, Some(signal)) => Attempt::new(Status::Failed, format!("killed by signal {signal}")),
        (None, None) => Attempt::new(Status::Failed, "ended without an exit status".to_string()),
    };
    Attempt {
        exit_code: status.code(),
        ..attempt.with_output(output)
    }
}

/// Reads the pipe to its end, or until told to stop: the tail for the
/// report, lines for `stream`.
async fn read_output(
    mut reader: pipe::Receiver,
    lines: usize,
    stream: Option<LineSink>,
    redactor: Arc<Redactor>,
    mut stop: oneshot::Receiver<()>,
) -> String {
    let mut tail = Tail::new(lines);
    let mut splitter = LineSplitter::default();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut stopped = false;
    loop {
        let read = tokio::select! {
            biased;
            _ = &mut stop => {
                stopped = true;
                break;
            }
            result = reader.read(&mut buffer) => result,
        };
        let Ok(read @ 1..) = read else { break };
        let chunk = &buffer[..read];
        tail.push(chunk);
        if let Some(stream) = &stream {
            let mut complete = Vec::new();
            splitter.push(chunk, |line| complete.push(line));
            for line in complete {
                stream.send(line).await;
            }
        }
    }
    if let (Some(stream), Some(last)) = (&stream, splitter.finish()) {
        stream.send(last).await;
    }
    let text = tail.into_string(&redactor);
    match (stopped, text.is_empty()) {
        (false, _) => text,
        (true, true) => HELD_OPEN.to_owned(),
        (true, false) => format!("{text}\n{HELD_OPEN}"),
    }
}

/// The output, once the pipe closes; a process that escaped the group and
/// holds the pipe open does not keep the gate waiting: after a while the
/// reader stops and returns what it has.
async fn collect(mut output: JoinHandle<String>, stop_reading: oneshot::Sender<()>) -> String {
    if let Ok(joined) = tokio::time::timeout(DRAIN_LIMIT, &mut output).await {
        return joined.unwrap_or_default();
    }
    let _ = stop_reading.send(());
    output.await.unwrap_or_default()
}
