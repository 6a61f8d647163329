//! The commands: from a parsed command line to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{Cli, ColorChoice, Command, Format, ListArgs, RunArgs, SelectArgs};
use crate::config::{self, Config};
use crate::error::{EXIT_PASS, Error};
use crate::exec;
use crate::plan::{self, Environment, Options, Selection};
use crate::report::{self, human};

/// Runs the command `cli` asks for; returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    colored::control::set_override(use_color(cli.color, std::io::stdout().is_terminal()));
    let config = load(cli.config.as_deref())?;
    match cli.command {
        Command::Run(args) => run_gates(&config, &args),
        Command::List(args) => list(&config, &args),
        Command::Check => check(&config),
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
    let json_file = args.json.as_deref().map(create_report).transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let mut reporter =
        (args.format == Format::Human).then(|| human::Human::new(&plan, human_options));
    let stream = args.verbose && reporter.is_some();
    let run = runtime.block_on(exec::execute(Arc::clone(&plan), stream, &mut |event| {
        if let Some(reporter) = &mut reporter {
            reporter.on_event(event);
        }
    }));
    let json = report::json::render(&plan, &run, &config.source.path);
    match &mut reporter {
        Some(reporter) => reporter.finish(&run),
        None => report::print(&json),
    }
    if let Some((path, mut file)) = json_file {
        file.write_all(json.as_bytes())
            .map_err(|source| Error::WriteReport { path, source })?;
    }
    Ok(report::exit_code(&plan, &run))
}

/// Creates (truncates) a report file; failing to is a usage error.
fn create_report(path: &Path) -> Result<(PathBuf, std::fs::File), Error> {
    std::fs::File::create(path)
        .map(|file| (path.to_path_buf(), file))
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display()), None))
}

/// `gate list`.
fn list(config: &Config, args: &ListArgs) -> Result<i32, Error> {
    let selected = selection(&args.select).resolve(config)?;
    let gates: Vec<&config::Gate> = selected.iter().map(|&i| &config.gates[i]).collect();
    match args.format {
        Format::Human => report::print(&report::list::human(&gates)),
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
