//! The commands: from a parsed command line to an exit code.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::check::Resources;
use crate::cli::{
    AckArgs, CheckArgs, Cli, ColorChoice, Command, Format, ListArgs, MergeArgs, OutputArgs,
    RunArgs, SelectArgs,
};
use crate::config::{self, Config};
use crate::error::{EXIT_PASS, Error};
use crate::event::Event;
use crate::exec;
use crate::plan::{self, Environment, Options, Selection};
use crate::report::{self, Origin, Report, github, human, junit, markdown, origin};
use crate::signoff::{self, Ledger, Record, Signature};
use crate::{init, notify, whole_file};

/// Runs the command `cli` asks for; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    colored::control::set_override(use_color(cli.color, std::io::stdout().is_terminal()));
    // Not freed: the process exits right after the command, and freeing a
    // config of thousands of gates piece by piece is work nobody waits for.
    let config = || load(cli.config.as_deref()).map(std::mem::ManuallyDrop::new);
    match &cli.command {
        Command::Init(args) => init::write(args),
        Command::Merge(args) => merge(args, cli.config.as_deref()),
        Command::Completions { shell } => completions(*shell),
        Command::Schema => schema(),
        Command::Run(args) => run_gates(&*config()?, args),
        Command::List(args) => list(&*config()?, args),
        Command::Ack(args) => ack(&*config()?, args),
        Command::Check(args) => check(&*config()?, args),
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

/// The sign-offs on record, when the config has a manual gate (only
/// manual gates are signed off: without one, no store to read).
fn signoffs(config: &Config) -> Result<Option<Ledger>, Error> {
    match config.gates.iter().any(|gate| gate.is_manual()) {
        true => Ok(Some(ledger(config)?)),
        false => Ok(None),
    }
}

/// The plan `gate run` would make, its errors masked.
fn make_plan(
    config: &Config,
    options: &Options,
    environment: &Environment,
) -> Result<plan::Plan, Error> {
    plan::build(config, options, environment)
        .map_err(|error| error.masked(&plan::error_redactor(config, options, environment)))
}

/// `gate run`.
fn run_gates(config: &Config, args: &RunArgs) -> Result<i32, Error> {
    let options = Options {
        dotenv: config::dotenv::load(config, &args.env.env_files)?,
        selection: selection(&args.select),
        acks: args.acks.clone(),
        jobs: args.jobs.map(|j| j as usize),
        fail_fast: args.fail_fast(),
        partition: args.partition.map(|p| (p.index, p.count)),
        signoffs: signoffs(config)?,
    };
    let environment: Environment = std::env::vars().collect();
    let plan = Arc::new(make_plan(config, &options, &environment)?);
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
    let shown = files.show_origin() || config.settings.notify.is_some();
    let origin = origin_if(shown, &config.source.path);
    let report = Report::of_run(&plan, &run, &config.source.path, partition, origin);
    match &mut reporter {
        Some(reporter) => reporter.finish(&report, run.interrupted),
        None => report::print(&report.to_json()),
    }
    github::report(&report, args.output.format == Format::Json);
    if let Some(notify) = &config.settings.notify {
        // The webhook URL sees [env] too, as every interpolated string does.
        let mut variables = environment;
        variables.extend(plan.env.vars.iter().cloned());
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
    // Outputs are checked first, and written whole at the end: one may
    // replace an input.
    let files = ReportFiles::create(&args.output)?;
    let mut report = report::merge::read_and_merge(&args.files)?;
    report.origin = origin_if(files.show_origin(), Path::new(&report.config));
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
    let store = signoff::read(&signoff::path(config.source.dir()))?;
    let commit = origin::head(&config.source.path);
    let alike = match &commit {
        Ok(Some(head)) => store
            .other_commits(head)
            .into_iter()
            .filter(|other| origin::alike_but(&config.source.path, other, signoff::DIR))
            .collect(),
        _ => BTreeSet::new(),
    };
    Ok(Ledger {
        store,
        commit,
        alike,
        now: SystemTime::now(),
    })
}

/// `gate ack`: records a sign-off of each gate in the store beside the
/// config and, with `--report`, marks them passed in that report (and the
/// reports rendered from it) without running anything.
fn ack(config: &Config, args: &AckArgs) -> Result<i32, Error> {
    plan::check_acks(config, &args.gates, "gate ack")?;
    let environment: Environment = std::env::vars().collect();
    let redactor = plan::error_redactor(config, &Options::default(), &environment);
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
    // The report first: it must be one, hold the gates, and be writable
    // (with the files rendered from it) before anything is written.
    let masked = signature.masked(&redactor);
    let signed = args
        .report
        .as_deref()
        .map(|path| signed_report(path, &args.gates, &masked))
        .transpose()?;
    let files = signed
        .is_some()
        .then(|| ReportFiles::create(&args.outputs()))
        .transpose()?;
    let path = signoff::path(config.source.dir());
    let mut store = signoff::read(&path)?;
    store.records.extend(args.gates.iter().map(|id| Record {
        gate: id.clone(),
        signature: signature.clone(),
    }));
    signoff::write(&path, &store)?;
    report::print(&redactor.redact(&signed_off(&args.gates, &signature)));
    if let (Some(mut report), Some(files)) = (signed, files) {
        report.origin = origin_if(files.show_origin(), Path::new(&report.config));
        files.write(&report)?;
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

/// Where a run of `config` happened, when a report will show it: the
/// commit beside it and this machine, as of now (a JSON report read back
/// does not record them). Asking git costs a process, so a run whose
/// reports show neither does not ask.
fn origin_if(shown: bool, config: &Path) -> Origin {
    match shown {
        true => origin::here(config),
        false => Origin::default(),
    }
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

/// `gate schema`.
fn schema() -> Result<i32, Error> {
    report::print(&config::schema::to_json());
    Ok(EXIT_PASS)
}

/// The report files asked for, checked before anything runs so that a
/// path that cannot be written fails at once (a usage error), and written
/// whole at the end.
struct ReportFiles {
    json: Option<PathBuf>,
    junit: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

/// Turns a report into one file format.
type Render = fn(&Report) -> String;

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
        for path in paths {
            whole_file::check_writable(path)
                .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display()), None))?;
        }
        Ok(ReportFiles {
            json: args.json.clone(),
            junit: args.junit.clone(),
            markdown: args.markdown.clone(),
        })
    }

    /// Whether a format that shows the report's origin (commit and host)
    /// will be written: the Markdown file, or the GitHub step summary.
    fn show_origin(&self) -> bool {
        self.markdown.is_some() || github::shows_markdown()
    }

    /// Writes `report` into each file, in its format.
    fn write(self, report: &Report) -> Result<(), Error> {
        let formats: [(Option<PathBuf>, Render); 3] = [
            (self.json, Report::to_json),
            (self.junit, junit::render),
            (self.markdown, markdown::render),
        ];
        for (path, render) in formats {
            if let Some(path) = path {
                whole_file::write(&path, &render(report))
                    .map_err(|source| Error::WriteReport { path, source })?;
            }
        }
        Ok(())
    }
}

/// `gate list`.
fn list(config: &Config, args: &ListArgs) -> Result<i32, Error> {
    let selected = selection(&args.select).resolve(config)?;
    let gates: Vec<&config::Gate> = selected.iter().map(|&i| &*config.gates[i]).collect();
    match args.format {
        Format::Human => report::print(&report::list::human(&gates, &config.services)),
        Format::Json => report::print(&report::list::json(&gates)),
    }
    Ok(EXIT_PASS)
}

/// `gate check`: the config loaded, so it is valid, and so are the `.env`
/// files and the selection. With `--strict`, the selected gates are also
/// planned as `gate run` plans them (every variable they use set, every
/// interpolated value valid), and nothing runs.
fn check(config: &Config, args: &CheckArgs) -> Result<i32, Error> {
    let mut options = Options {
        dotenv: config::dotenv::load(config, &args.env.env_files)?,
        selection: selection(&args.select),
        ..Options::default()
    };
    options.selection.resolve(config)?;
    let strict = match args.strict {
        true => {
            options.signoffs = signoffs(config)?;
            let environment: Environment = std::env::vars().collect();
            let plan = make_plan(config, &options, &environment)?;
            format!(", strict: {} resolved", gates(plan.steps.len()))
        }
        false => String::new(),
    };
    report::print(&format!(
        "{}: ok ({}{strict})\n",
        config.source.path.display(),
        gates(config.gates.len())
    ));
    Ok(EXIT_PASS)
}

/// `1 gate`, `3 gates`.
fn gates(count: usize) -> String {
    let noun = if count == 1 { "gate" } else { "gates" };
    format!("{count} {noun}")
}
