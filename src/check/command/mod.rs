//! `run` gates: one attempt of a shell command in its own process group,
//! its combined output read in bounded memory, ended by a timeout or a stop.
//!
//! `run` is never interpolated: the shell expands `$VAR` itself from the
//! environment it is given, so no value is ever spliced into shell code.
//! Beside `run`, `expect` judges the exit code and the output, and
//! `outputs` names the values it writes to `$GATE_OUTPUT`.

mod direct;
mod expect;
mod outputs;

use std::ffi::OsStr;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Action, BoxFuture, Check, Probe, RawCheck, capture};
use crate::config::{Diagnostic, Source, SpannedString};
use crate::error::Error;
use crate::exec::leftovers::{self, Leftover, Tag};
use crate::exec::output::{LineSplitter, Tail};
use crate::exec::process_group;
use crate::exec::{Attempt, AttemptContext, LineSink};
use crate::plan::{Resolver, Step};
use crate::redact::Redactor;
use crate::words;
pub use expect::RawExpect;
use expect::{Expect, Expectations, Watch};
use outputs::{OutputFile, Outputs};
use toml::Spanned;

/// The kind's name in reports.
pub const KIND: &str = "command";

/// Added to the output when the pipe was still open after the command ended.
const HELD_OPEN: &str = "(gate stopped reading: a process outside the gate's process group still holds its output open)";
/// How long to wait for the output pipe to close once the group is gone.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// `run = "..."`: a shell command.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(rename = "Command")]
pub struct Raw(pub String);

/// The keys of a `run` gate: `run`, and beside it `expect`, `error_codes`
/// and `outputs`.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub run: &'a Raw,
    pub expect: Option<&'a Spanned<RawExpect>>,
    pub error_codes: Option<&'a Spanned<Vec<i64>>>,
    pub outputs: Option<&'a Spanned<Vec<SpannedString>>>,
}

impl RawCheck for Keys<'_> {
    fn load(&self, source: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        Ok(Arc::new(Run {
            run: self.run.0.clone(),
            expect: Expect::load(source, self.expect, self.error_codes)?,
            outputs: Outputs::load(source, self.outputs)?,
        }))
    }
}

/// The message for `key`, one of the keys beside `run`, given to a gate of
/// another `kind`: where what it meant goes, if anywhere.
pub fn beside_other_kind(key: &str, kind: &str) -> String {
    let head = format!("`{key}` beside the check is for `run` gates");
    let probe = !matches!(kind, "manual");
    let captures = matches!(kind, "http" | "ws");
    match key {
        "expect" if probe => format!(
            "{head}; a `{kind}` gate's expectations go inside it: \
             `{kind} = {{ ..., expect = {{ ... }} }}`"
        ),
        "outputs" if captures => format!(
            "{head}; a `{kind}` gate captures values inside it: \
             `{kind} = {{ ..., capture = {{ NAME = {{ json = \"/pointer\" }} }} }}`"
        ),
        _ => format!("{head}; a `{kind}` gate has none"),
    }
}

/// A command gate, validated.
#[derive(Debug)]
pub struct Run {
    run: String,
    expect: Expect,
    outputs: Outputs,
}

/// The command of a `run` gate, ready to start.
#[derive(Debug)]
pub struct RunProbe {
    /// As written; run with `settings.shell`.
    pub run: String,
    expect: Expectations,
    outputs: Outputs,
}

impl Check for Run {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn captures(&self) -> Vec<String> {
        self.outputs.names.clone()
    }

    fn plan(&self, resolver: &Resolver) -> Result<Action, Error> {
        Ok(Action::Probe(Arc::new(RunProbe {
            run: self.run.clone(),
            expect: self.expect.plan(resolver)?,
            outputs: self.outputs.clone(),
        })))
    }
}

impl Probe for RunProbe {
    fn describe(&self) -> String {
        format!("$ {}", self.run)
    }

    fn attempt<'a>(&'a self, context: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        Box::pin(attempt(self, context))
    }
}

/// Runs the command once with the shell, as the context says.
async fn attempt(probe: &RunProbe, ctx: &mut AttemptContext<'_>) -> Attempt {
    let (shell, step) = (ctx.shell, ctx.step);
    let file = match probe.outputs.names.is_empty() {
        true => None,
        false => match OutputFile::create() {
            Ok(file) => Some(file),
            Err(error) => {
                return Attempt::error(format!(
                    "cannot create the ${} file: {}",
                    outputs::VARIABLE,
                    words::io(&error)
                ));
            }
        },
    };
    let extra = file
        .as_ref()
        .map(|f| (outputs::VARIABLE, f.path.as_os_str()));
    // A secret the command writes to `$GATE_OUTPUT` is known only once it
    // ended: until then its lines are held back, then streamed masked.
    let secret = probe
        .outputs
        .names
        .iter()
        .any(|n| ctx.redactor.is_secret_name(n));
    let held = secret.then(|| ctx.stream.take()).flatten();
    let (attempt, ended) = match spawn(&probe.run, shell, step, (ctx.tag, extra)) {
        Ok((child, reader)) => supervise(child, reader, &probe.expect, ctx).await,
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
            return Attempt::error(error.to_string());
        }
        Err(error) => {
            let why = words::io(&error);
            return Attempt::error(format!("cannot start `{}`: {why}", shell.join(" ")));
        }
    };
    let attempt = match file {
        Some(file) if attempt.exit_code.is_some() => captured(attempt, &file, &probe.outputs, ctx),
        _ => attempt,
    };
    let attempt = with_leftovers(attempt, &ended, ctx).await;
    if let Some(sink) = held {
        for line in ctx.redactor.redact(&attempt.output).lines() {
            sink.send(line.to_owned()).await;
        }
        ctx.stream = Some(sink);
    }
    attempt
}

/// The attempt with the line naming the processes its command left behind
/// (and gate ended) as the last line of its output, streamed too.
async fn with_leftovers(attempt: Attempt, ended: &[Leftover], ctx: &AttemptContext<'_>) -> Attempt {
    let Some(line) = leftovers::describe(ended) else {
        return attempt;
    };
    if let Some(sink) = &ctx.stream {
        sink.send(line.clone()).await;
    }
    let output = match attempt.output.is_empty() {
        true => line,
        false => format!("{}\n{line}", attempt.output),
    };
    attempt.with_output(output)
}

/// The attempt with the values the command wrote to `$GATE_OUTPUT`, each
/// made known to the redactor; a declared one not written fails it.
fn captured(
    attempt: Attempt,
    file: &OutputFile,
    outputs: &Outputs,
    ctx: &AttemptContext,
) -> Attempt {
    let (values, notes) = file.read(outputs);
    let mut output = attempt.output.clone();
    for note in notes {
        output.push_str(&format!("\n{note}"));
    }
    let output = output.trim_start_matches('\n').to_owned();
    let taken = match values {
        Ok(values) => {
            for (name, value) in &values {
                ctx.redactor.learn(name, value);
            }
            (values, None)
        }
        Err(missed) => (Vec::new(), Some(missed)),
    };
    capture::apply(attempt, taken).with_output(output)
}

/// Starts the command with stdout and stderr on one pipe, as its own
/// process group: directly when it is a plain program call, else (or when
/// that fails, say a script without a `#!` line) through the shell.
fn spawn(
    run: &str,
    shell: &[String],
    step: &Step,
    env: (&Tag, Extra),
) -> io::Result<(Child, pipe::Receiver)> {
    if let Some((program, args)) = direct::program_call(run, shell, step) {
        let mut command = Command::new(program);
        command.args(args);
        if let Ok(started) = start(command, step, env) {
            return Ok(started);
        }
    }
    let mut command = Command::new(&shell[0]);
    command.args(&shell[1..]).arg(run);
    start(command, step, env)
}

/// A variable for the command beside the gate's environment: `$GATE_OUTPUT`.
type Extra<'a> = Option<(&'a str, &'a OsStr)>;

/// Spawns `command` in the gate's directory and environment (and `extra`),
/// tagged, output to a new pipe.
fn start(
    mut command: Command,
    step: &Step,
    (tag, extra): (&Tag, Extra),
) -> io::Result<(Child, pipe::Receiver)> {
    if let Some((name, value)) = extra {
        command.env(name, value);
    }
    command.envs(step.env.iter().map(|(k, v)| (k, v)));
    process_group::start(command, &step.cwd, tag)
}

/// Waits for the command, a timeout or a stop, ends the process group and
/// then what left it, and collects the output. Returns the attempt and
/// the processes ended outside the group.
async fn supervise(
    mut child: Child,
    reader: pipe::Receiver,
    expect: &Expectations,
    ctx: &mut AttemptContext<'_>,
) -> (Attempt, Vec<Leftover>) {
    let pgid = child.id().map_or(0, |id| id as i32);
    let (stop_reading, stop_signal) = oneshot::channel();
    let output = tokio::spawn(read_output(
        reader,
        Reading {
            lines: ctx.output_lines,
            stream: ctx.stream.clone(),
            redactor: Arc::clone(&ctx.redactor),
            expect: expect.clone(),
        },
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
    // After the group: a process still in it was the group's to end. And
    // before the output: a leftover may hold the pipe open.
    let left = leftovers::end_leftovers(ctx.tag, grace, &mut ctx.stop).await;
    let (output, watch) = collect(output, stop_reading)
        .await
        .unwrap_or_else(|| (String::new(), expect.watch()));
    let attempt = match ended {
        Ok(Ok(status)) => expect.judge(status, watch).with_output(output),
        Ok(Err(error)) => {
            let why = words::io(&error);
            Attempt::error(format!("cannot wait for the command: {why}")).with_output(output)
        }
        Err(interruption) => Attempt::interrupted(interruption, ctx.timeout).with_output(output),
    };
    (attempt, left)
}

/// What reading a command's output is given.
struct Reading {
    /// Lines of the tail kept for the report.
    lines: usize,
    stream: Option<LineSink>,
    redactor: Arc<Redactor>,
    /// What the output must show, watched as it streams.
    expect: Expectations,
}

/// Reads the pipe to its end, or until told to stop: the tail for the
/// report, lines for `stream`.
async fn read_output(
    mut reader: pipe::Receiver,
    reading: Reading,
    mut stop: oneshot::Receiver<()>,
) -> (String, Watch) {
    let Reading {
        lines,
        stream,
        redactor,
        expect,
    } = reading;
    let mut watch = expect.watch();
    let mut tail = Tail::new(lines);
    let mut splitter = LineSplitter::default();
    // Read into spare capacity: no 64 KiB to zero for a gate that prints a line.
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut stopped = false;
    loop {
        buffer.clear();
        let read = tokio::select! {
            biased;
            _ = &mut stop => {
                stopped = true;
                break;
            }
            result = reader.read_buf(&mut buffer) => result,
        };
        let Ok(1..) = read else { break };
        let chunk = buffer.as_slice();
        tail.push(chunk);
        watch.push(chunk, &expect);
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
    let text = match (stopped, text.is_empty()) {
        (false, _) => text,
        (true, true) => HELD_OPEN.to_owned(),
        (true, false) => format!("{text}\n{HELD_OPEN}"),
    };
    (text, watch)
}

/// The output, once the pipe closes; a process that escaped the group and
/// holds the pipe open does not keep the gate waiting: after a while the
/// reader stops and returns what it has. `None` if the reader failed.
async fn collect(
    mut output: JoinHandle<(String, Watch)>,
    stop_reading: oneshot::Sender<()>,
) -> Option<(String, Watch)> {
    if let Ok(joined) = tokio::time::timeout(DRAIN_LIMIT, &mut output).await {
        return joined.ok();
    }
    let _ = stop_reading.send(());
    output.await.ok()
}
