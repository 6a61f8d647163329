//! The commands: from a parsed command line to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::check::Resources;
use crate::cli::{
    AckArgs, Cli, ColorChoice, Command, Format, ListArgs, MergeArgs, OutputArgs, RunArgs,
    SelectArgs,
};
use crate::config::{self, Config};
use crate::error::{EXIT_PASS, Error};
use crate::event::Event;
use crate::exec;
use crate::plan::{self, Environment, Options, Selection};
use crate::report::{self, Report, github, human, junit, markdown, origin};
use crate::signoff::{self, Ledger, Record, Signature};
use crate::{init, notify};

/// Runs the command `cli` asks for; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    colored::control::set_override(use_color(cli.color, std::io::stdout().is_terminal()));
    match &cli.command {
        Command::Init(args) => return init::write(args),
        Command::Merge(args) => return merge(args, cli.config.as_deref()),
        Command::Completions { shell } => return completions(*shell),
        Command::Run(_) | Command::List(_) | Command::Check | Command::Ack(_) => {}
    }
    // Not freed: the process exits right after the command, and freeing a
    // config of thousands of gates piece by piece is work nobody waits for.
    let config = std::mem::ManuallyDrop::new(load(cli.config.as_deref())?);
    match &cli.command {
        Command::Run(args) => run_gates(&config, args),
        Command::List(args) => list(&config, args),
        Command::Ack(args) => ack(&config, args),
        _ => check(&config),
    }
}

/// `--color`, then `NO_COLOR` and `CLICOLOR_FORCE`, then whether stdout is a terminal.
fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    // NO_COLOR: any non-empty value; CLICOLOR_FORCE: any but "0".
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let force = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if no_color => false,
        ColorChoice::Auto if force => true,
        ColorChoice::Auto => is_terminal,
    }
}

/// Finds and reads the config: `-c`, else `$GATE_CONFIG`, else the nearest `gates.toml`.
fn load(explicit: Option<&Path>) -> Result<Config, Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let from_env = std::env::var_os("GATE_CONFIG");
    let path = config::discover(explicit, from_env.as_deref(), &cwd)?;
    Ok(config::load(&path)?)
}

fn selection(args: &SelectArgs) -> Selection {
    Selection {
        ids: args.gates.clone(),
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        sections: args.sections.clone(),
        // An empty $GATE_PROFILE (a blank CI input) means no profile.
        profile: args.profile.clone().filter(|name| !name.is_empty()),
    }
}

/// `gate run`.
fn run_gates(config: &Config, args: &RunArgs) -> Result<i32, Error> {
    let options = Options {
        selection: selection(&args.select),
        acks: args.acks.clone(),
        jobs: args.jobs.map(|j| j as usize),
        fail_fast: args.fail_fast(),
        partition: args.partition.map(|p| (p.index, p.count)),
        // Only manual gates are signed off: without one, no store to read.
        signoffs: match config.gates.iter().any(|gate| gate.is_manual()) {
            true => Some(ledger(config)?),
            false => None,
        },
    };
    let environment: Environment = std::env::vars().collect();
    let plan = plan::build(config, &options, &environment)
        .map_err(|error| error.masked(&plan::error_redactor(config, &environment)))?;
    let plan = Arc::new(plan);
    if args.dry_run {
        report::print(&plan.redactor.redact(&report::list::dry_run(&plan)));
        return Ok(EXIT_PASS);
    }
    let human_options = human::Options {
        verbose: args.verbose,
        quiet: args.quiet,
        // Spinners on stderr only when stdout is a terminal too: with
        // `gate run | tee log`, the log gets a line per gate instead.
        live: std::io::stderr().is_terminal() && std::io::stdout().is_terminal(),
    };
    // A report file that cannot be written fails now, not after the run.
    let files = ReportFiles::create(&args.output)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let mut reporter =
        (args.output.format == Format::Human).then(|| human::Human::new(&plan, human_options));
    let stream = args.verbose && reporter.is_some();
    let resources = Arc::new(Resources::default());
    let mut on_event = |event: &Event| {
        if let Some(reporter) = &mut reporter {
            reporter.on_event(event);
        }
    };
    let execute = exec::execute(
        Arc::clone(&plan),
        Arc::clone(&resources),
        stream,
        &mut on_event,
    );
    let run = runtime.block_on(execute);
    if let Some(line) = exec::leftovers::describe(&run.leftovers) {
        // Not one gate's: the run's, ended after the last gate.
        eprintln!("{}", plan.redactor.redact(&line));
    }
    let partition = args.partition.map(|p| p.to_string());
    let report = Report::of_run(&plan, &run, &config.source.path, partition);
    match &mut reporter {
        Some(reporter) => reporter.finish(&report, run.interrupted),
        None => report::print(&report.to_json()),
    }
    github::report(&report, args.output.format == Format::Json);
    if let Some(notify) = &config.settings.notify {
        // The webhook URL sees [env] too, as every interpolated string does.
        let mut variables = environment;
        variables.extend(plan.env.iter().cloned());
        let send = notify::send(notify, &report, &plan.redactor, &variables, &resources.http);
        runtime.block_on(send);
    }
    files.write(&report)?;
    Ok(report::exit_code(&report, run.interrupted))
}

/// `gate merge`: the shards' reports as one.
/// The gates come in config order when the config can be found (the shards
/// ran from it), else in the order of the files given.
fn merge(args: &MergeArgs, config: Option<&Path>) -> Result<i32, Error> {
    // Inputs first: an output may overwrite one of them.
    let mut report = report::merge::read_and_merge(&args.files)?;
    let files = ReportFiles::create(&args.output)?;
    if let Ok(config) = load(config) {
        let ids: Vec<&str> = config.gates.iter().map(|g| g.id.as_str()).collect();
        report::merge::order_as(&mut report, &ids);
    }
    match args.output.format {
        Format::Human => human::print_report(&report, args.quiet, false),
        Format::Json => report::print(&report.to_json()),
    }
    github::report(&report, args.output.format == Format::Json);
    files.write(&report)?;
    Ok(report::exit_code(&report, false))
}

/// The sign-offs on record beside `config`, for its commit, now.
fn ledger(config: &Config) -> Result<Ledger, Error> {
    Ok(Ledger {
        store: signoff::read(&signoff::path(config.source.dir()))?,
        commit: origin::head(&config.source.path),
        now: SystemTime::now(),
    })
}

/// `gate ack`: records a sign-off of each gate in the store beside the
/// config and, with `--report`, marks them passed in that report (and the
/// reports rendered from it) without running anything.
fn ack(config: &Config, args: &AckArgs) -> Result<i32, Error> {
    plan::check_acks(config, &args.gates, "gate ack")?;
    let environment: Environment = std::env::vars().collect();
    let redactor = plan::error_redactor(config, &environment);
    let by = match &args.by {
        Some(by) => by.clone(),
        None => git_user_name(config.source.dir())?,
    };
    let commit = origin::head(&config.source.path)
        .map_err(|why| Error::usage(format!("cannot sign off: {why}"), None))?;
    let signature = Signature::new(
        by,
        args.note.clone(),
        commit,
        SystemTime::now(),
        args.expires,
    );
    // The report first: it must be one, and hold the gates, before anything is written.
    let masked = signature.masked(&redactor);
    let signed = args
        .report
        .as_deref()
        .map(|path| signed_report(path, &args.gates, &masked))
        .transpose()?;
    let path = signoff::path(config.source.dir());
    let mut store = signoff::read(&path)?;
    store.records.extend(args.gates.iter().map(|id| Record {
        gate: id.clone(),
        signature: signature.clone(),
    }));
    signoff::write(&path, &store)?;
    report::print(&redactor.redact(&signed_off(&args.gates, &signature)));
    if let Some(report) = signed {
        ReportFiles::create(&args.outputs())?.write(&report)?;
        report::print(&format!("report: {}\n", report.counts_summary()));
    }
    Ok(EXIT_PASS)
}

/// The JSON report at `path` with the gates `ids` passed by `signature`.
fn signed_report(path: &Path, ids: &[String], signature: &Signature) -> Result<Report, Error> {
    let mut report = Report::read(path, "sign off in")?;
    for id in ids {
        report
            .sign_off(id, signature.clone())
            .map_err(|message| Error::usage(format!("{}: {message}", path.display()), None))?;
    }
    Ok(report)
}

/// `git config user.name` in `dir`: who signs off when `--by` is not given.
fn git_user_name(dir: &Path) -> Result<String, Error> {
    origin::git(dir, &["config", "user.name"]).map_err(|_| {
        Error::usage(
            "no name to sign off with: `git config user.name` is not set",
            Some("say who confirms with --by NAME".to_owned()),
        )
    })
}

/// `signed off team-notified by Ana for commit 1a2b3c4, until ...`, a line a gate.
fn signed_off(ids: &[String], signature: &Signature) -> String {
    let commit = signoff::place(signature.commit.as_deref());
    let until = match &signature.expires {
        Some(expires) => format!(", until {expires}"),
        None => String::new(),
    };
    ids.iter()
        .map(|id| format!("signed off {id} by {} {commit}{until}\n", signature.by))
        .collect()
}

/// `gate completions SHELL`.
fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut completions = Vec::new();
    clap_complete::generate(shell, &mut command, "gate", &mut completions);
    report::print(&String::from_utf8_lossy(&completions));
    Ok(EXIT_PASS)
}

/// The report files asked for, created before anything runs so that a
/// path that cannot be written fails at once (a usage error).
struct ReportFiles {
    json: Option<ReportFile>,
    junit: Option<ReportFile>,
    markdown: Option<ReportFile>,
}

/// Turns a report into one file format.
type Render = fn(&Report) -> String;

/// A created report file and its path, for messages.
struct ReportFile {
    path: PathBuf,
    file: std::fs::File,
}

impl ReportFiles {
    fn create(args: &OutputArgs) -> Result<ReportFiles, Error> {
        let paths: Vec<&PathBuf> = [&args.json, &args.junit, &args.markdown]
            .into_iter()
            .flatten()
            .collect();
        if let Some(twice) = paths
            .iter()
            .enumerate()
            .find_map(|(i, p)| paths[..i].contains(p).then_some(p))
        {
            let message = format!(
                "{} is given for two reports; give each its own file",
                twice.display()
            );
            return Err(Error::usage(message, None));
        }
        let create = |path: &Option<PathBuf>| path.as_deref().map(ReportFile::create).transpose();
        Ok(ReportFiles {
            json: create(&args.json)?,
            junit: create(&args.junit)?,
            markdown: create(&args.markdown)?,
        })
    }

    /// Writes `report` into each file, in its format.
    fn write(self, report: &Report) -> Result<(), Error> {
        let formats: [(Option<ReportFile>, Render); 3] = [
            (self.json, Report::to_json),
            (self.junit, junit::render),
            (self.markdown, markdown::render),
        ];
        for (file, render) in formats {
            if let Some(file) = file {
                file.write(&render(report))?;
            }
        }
        Ok(())
    }
}

impl ReportFile {
    fn create(path: &Path) -> Result<ReportFile, Error> {
        match std::fs::File::create(path) {
            Ok(file) => Ok(ReportFile {
                path: path.to_path_buf(),
                file,
            }),
            Err(e) => Err(Error::usage(
                format!("cannot write {}: {e}", path.display()),
                None,
            )),
        }
    }

    fn write(mut self, text: &str) -> Result<(), Error> {
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| Error::WriteReport {
                path: self.path,
                source,
            })
    }
}

/// `gate list`.
fn list(config: &Config, args: &ListArgs) -> Result<i32, Error> {
    let selected = selection(&args.select).resolve(config)?;
    let gates: Vec<&config::Gate> = selected.iter().map(|&i| &config.gates[i]).collect();
    match args.format {
        Format::Human => report::print(&report::list::human(&gates, &config.services)),
        Format::Json => report::print(&report::list::json(&gates)),
    }
    Ok(EXIT_PASS)
}

/// `gate check`: the config loaded, so it is valid.
fn check(config: &Config) -> Result<i32, Error> {
    let count = config.gates.len();
    let noun = if count == 1 { "gate" } else { "gates" };
    report::print(&format!(
        "{}: ok ({count} {noun})\n",
        config.source.path.display()
    ));
    Ok(EXIT_PASS)
}
