//! The commands: from a parsed command line to an exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
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
    let plan = plan::build(config, &options, &environment)?;
    if args.dry_run {
        report::print(&plan.redactor.redact(&report::list::dry_run(&plan)));
        return Ok(EXIT_PASS);
    }
    let human_options = human::Options {
        verbose: args.verbose,
        quiet: args.quiet,
        live: std::io::stderr().is_terminal(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let mut reporter =
        (args.format == Format::Human).then(|| human::Human::new(&plan, human_options));
    let stream = args.verbose && reporter.is_some();
    let run = runtime.block_on(exec::execute(plan.clone(), stream, &mut |event| {
        if let Some(reporter) = &mut reporter {
            reporter.on_event(event);
        }
    }));
    let json = report::json::render(&plan, &run, &config.source.path);
    if let Some(path) = &args.json {
        std::fs::write(path, &json).map_err(|source| Error::WriteReport {
            path: path.clone(),
            source,
        })?;
    }
    match &mut reporter {
        Some(reporter) => reporter.finish(&run),
        None => report::print(&json),
    }
    Ok(report::exit_code(&plan, &run))
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
