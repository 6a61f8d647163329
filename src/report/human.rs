//! The human report: a live view while gates run, then the checklist
//! grouped by section and one summary line.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use colored::Colorize;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::model::Tally;
use super::{GateRecord, Outcome, Report, by_section, print, style};
use crate::config::Severity;
use crate::event::{Event, GateResult, ServiceResult, ServiceStatus, Status};
use crate::plan::Plan;
use crate::signoff::Signature;

/// How much the human report shows while gates run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Stream every output line, prefixed with its gate's id.
    pub verbose: bool,
    /// Only what did not pass, and the summary.
    pub quiet: bool,
    /// Draw the live view (stderr is a terminal).
    pub live: bool,
}

/// The human reporter of one run.
pub struct Human<'p> {
    plan: &'p Plan,
    options: Options,
    live: Option<Live>,
    finished: usize,
}

/// Spinners for the running gates, under a progress header.
struct Live {
    multi: MultiProgress,
    header: ProgressBar,
    running: HashMap<usize, ProgressBar>,
}

impl<'p> Human<'p> {
    /// A reporter for `plan`.
    pub fn new(plan: &'p Plan, options: Options) -> Human<'p> {
        let live = (options.live && !options.verbose).then(|| Live::new(plan.steps.len()));
        Human {
            plan,
            options,
            live,
            finished: 0,
        }
    }

    /// Shows what `event` changes.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::GateStarted { index, attempt } => self.started(*index, *attempt),
            Event::GateOutput { index, line } => {
                let id = &self.plan.steps[*index].gate.id;
                print(&format!("{} {line}\n", format!("{id} |").dimmed()));
            }
            Event::GateFinished { index, result } => self.finished(*index, result),
            Event::Interrupted => self.notice(|| {
                eprintln!(
                    "gate: interrupted; terminating running gates (interrupt again to kill them at once)"
                );
            }),
            Event::ServiceReady {
                service,
                ready_ms,
                reused,
            } if !self.options.quiet => {
                let line = service_ready(&self.plan.services[*service].id, *ready_ms, *reused);
                self.notice(|| print(&line));
            }
            Event::ServiceEnded { service, result } if result.reason.is_some() => {
                let lines = service_trouble(&self.plan.services[*service].id, result);
                self.notice(|| print(&lines));
            }
            Event::ServiceReady { .. } | Event::ServiceEnded { .. } => {}
        }
    }

    /// Prints with `show`, above the live view when there is one.
    fn notice(&self, show: impl FnOnce()) {
        match &self.live {
            Some(live) => live.multi.suspend(show),
            None => show(),
        }
    }

    fn started(&mut self, index: usize, attempt: u32) {
        let gate = &self.plan.steps[index].gate;
        if let Some(live) = &mut self.live {
            live.start(index, &gate.id, attempt);
        } else if self.options.verbose && attempt > 1 {
            let prefix = format!("{} |", gate.id);
            print(&format!(
                "{} retrying (attempt {attempt})\n",
                prefix.dimmed()
            ));
        }
    }

    fn finished(&mut self, index: usize, result: &GateResult) {
        self.finished += 1;
        if let Some(live) = &mut self.live {
            live.finish(index);
            return;
        }
        if self.options.quiet {
            return;
        }
        let total = self.plan.steps.len();
        let width = total.to_string().len();
        print(&format!(
            "[{:>width$}/{total}] {} {:<9} {} {}\n",
            self.finished,
            style::symbol(result.status),
            style::paint(result.status, result.status.as_str()),
            self.plan.steps[index].gate.id,
            style::duration(result.duration).dimmed(),
        ));
    }

    /// Clears the live view, then prints the checklist and the summary line.
    pub fn finish(&mut self, report: &Report, interrupted: bool) {
        if let Some(live) = self.live.take() {
            live.clear();
        }
        print_report(report, self.options.quiet, interrupted);
    }
}

/// Prints `report` as the checklist, grouped by section, and the summary
/// line; `quiet` leaves out the gates that passed.
pub fn print_report(report: &Report, quiet: bool, interrupted: bool) {
    let mut out = io::stdout().lock();
    let _ = write_checklist(&mut out, report, quiet);
    let _ = writeln!(out, "{}", summary(report, interrupted));
}

fn write_checklist(out: &mut impl Write, report: &Report, quiet: bool) -> io::Result<()> {
    let shown: Vec<&GateRecord> = report
        .gates
        .iter()
        .filter(|gate| !quiet || gate.status != Status::Passed)
        .collect();
    let width = shown
        .iter()
        .map(|g| g.gate.label().chars().count())
        .max()
        .unwrap_or(0);
    for (section, gates) in by_section(shown, |g| g.gate.section.as_deref()) {
        writeln!(out)?;
        if let Some(section) = section {
            writeln!(out, "{}", section.bold())?;
        }
        for gate in gates {
            write_gate(out, gate, width)?;
        }
    }
    writeln!(out)
}

fn write_gate(out: &mut impl Write, gate: &GateRecord, width: usize) -> io::Result<()> {
    let label = gate.gate.label();
    let pad = width.saturating_sub(label.chars().count());
    let warn = match gate.gate.severity == Severity::Warn && gate.status != Status::Passed {
        true => " (warn)".yellow().to_string(),
        false => String::new(),
    };
    let duration = style::duration(Duration::from_millis(gate.duration_ms));
    let timing = match gate.attempts {
        0 | 1 => duration,
        n => format!("{duration}, {n} attempts"),
    };
    let symbol = style::symbol(gate.status);
    writeln!(
        out,
        "  {symbol} {label}{:pad$}  {}{warn}",
        "",
        timing.dimmed()
    )?;
    if let Some(reason) = &gate.reason {
        write_reason(out, gate, reason)?;
    }
    if let Some(signature) = &gate.signoff {
        writeln!(out, "      {}", signed_off(signature).dimmed())?;
    }
    if gate.status != Status::Passed {
        for line in gate.output.lines() {
            writeln!(out, "      {} {line}", "│".dimmed())?;
        }
    }
    Ok(())
}

/// `signed off by Ana at 2026-12-02T16:50:00Z (posted in #deploys)`.
fn signed_off(signature: &Signature) -> String {
    let note = signature.note.as_deref().map(|note| format!(" ({note})"));
    let (by, at) = (&signature.by, &signature.at);
    format!("signed off by {by} at {at}{}", note.unwrap_or_default())
}

/// The reason of a gate that did not pass: each failed expectation on a
/// line of its own with where it is written (`--> gates.toml:12:44`), after
/// what the reason says besides them (`exit status 1`), or under the
/// reason when the kind said it in its own words.
fn write_reason(out: &mut impl Write, gate: &GateRecord, reason: &str) -> io::Result<()> {
    let status = style::paint(gate.status, gate.status.as_str());
    let failures = &gate.failures;
    let joined: Vec<String> = failures.iter().map(ToString::to_string).collect();
    let joined = joined.join("; ");
    let besides = match reason.strip_suffix(joined.as_str()) {
        Some(rest) if !failures.is_empty() => Some(rest.trim_end_matches("; ")),
        _ => None,
    };
    let at = |failure: &crate::event::Failure| format!("        {} {}", "-->".dimmed(), failure.at);
    match besides {
        Some(besides) => {
            if !besides.is_empty() {
                writeln!(out, "      {status}: {besides}")?;
            }
            for failure in failures {
                writeln!(out, "      {status}: {failure}")?;
                writeln!(out, "{}", at(failure))?;
            }
        }
        None => {
            writeln!(out, "      {status}: {reason}")?;
            for failure in failures {
                writeln!(out, "{}", at(failure))?;
            }
        }
    }
    Ok(())
}

/// `service api ready in 1.84s`, or `service api reused: it was already up`.
fn service_ready(id: &str, ready_ms: u64, reused: bool) -> String {
    let what = match reused {
        true => "reused: it was already up".to_owned(),
        false => format!(
            "ready in {}",
            style::duration(Duration::from_millis(ready_ms))
        ),
    };
    format!("{} service {id} {what}\n", style::symbol(Status::Passed))
}

/// Why a service failed (or what became of it while in use), then the
/// tail of its output.
fn service_trouble(id: &str, result: &ServiceResult) -> String {
    let reason = result.reason.as_deref().unwrap_or_default();
    let what = match result.status {
        ServiceStatus::Failed => "failed",
        ServiceStatus::Ready | ServiceStatus::Reused => "ended",
    };
    let mut text = format!(
        "{} service {id} {}: {reason}\n",
        style::symbol(Status::Error),
        style::paint(Status::Error, what)
    );
    for line in result.output.lines() {
        text.push_str(&format!("      {} {line}\n", "│".dimmed()));
    }
    text
}

/// `FAIL: 16 gates in 4.21s: 12 passed, 1 warned, 1 failed, 2 skipped, 1 pending`
fn summary(report: &Report, interrupted: bool) -> String {
    let parts: Vec<String> = report
        .tallies()
        .into_iter()
        .map(|tally| {
            let text = tally.to_string();
            match tally {
                Tally::Ended(status, _) => style::paint(status, &text).to_string(),
                Tally::Warned(_) => text.yellow().to_string(),
            }
        })
        .collect();
    let verdict = match report.outcome {
        Outcome::Pass => "PASS".green().bold(),
        Outcome::Fail => "FAIL".red().bold(),
    };
    let gates = match report.gates.len() {
        1 => "1 gate".to_string(),
        n => format!("{n} gates"),
    };
    let interrupted = if interrupted { " (interrupted)" } else { "" };
    let parts = match parts.is_empty() {
        true => "nothing to run".to_string(),
        false => parts.join(", "),
    };
    let duration = style::duration(Duration::from_millis(report.duration_ms));
    format!("{verdict}: {gates} in {duration}{interrupted}: {parts}")
}

impl Live {
    fn new(total: usize) -> Live {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let header = multi.add(ProgressBar::new(total as u64));
        header.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{pos}/{len}] {wide_msg}")
                .expect("valid template"),
        );
        header.set_prefix("gate");
        header.enable_steady_tick(Duration::from_millis(100));
        Live {
            multi,
            header,
            running: HashMap::new(),
        }
    }

    fn start(&mut self, index: usize, id: &str, attempt: u32) {
        let bar = self.running.entry(index).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {prefix} {elapsed:.dim} {msg:.dim}")
                    .expect("valid template"),
            );
            bar.set_prefix(id.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if attempt > 1 {
            bar.set_message(format!("attempt {attempt}"));
        }
    }

    fn finish(&mut self, index: usize) {
        if let Some(bar) = self.running.remove(&index) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.header.inc(1);
    }

    fn clear(self) {
        for bar in self.running.values() {
            bar.finish_and_clear();
        }
        self.header.finish_and_clear();
        let _ = self.multi.clear();
    }
}
