//! The command line: the commands and flags of gate, parsed by clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Delay, Parse};

/// An automated pre-deploy gate: runs the machine-checkable items of a
/// deployment checklist declared in gates.toml.
#[derive(Debug, Parser)]
#[command(name = "gate", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file (default: $GATE_CONFIG, else the first gates.toml in this directory or above)
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to use colors: auto, always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// What `gate --version` prints: `gate 0.1.0`.
    pub fn version_line() -> String {
        format!("gate {}\n", env!("CARGO_PKG_VERSION"))
    }

    /// True when the arguments (after the program's name) are `--version`
    /// or `-V` alone. That answer needs no command line built first, which
    /// takes longer than printing it.
    pub fn asks_version_only(args: &[std::ffi::OsString]) -> bool {
        matches!(args, [flag] if flag == "--version" || flag == "-V")
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the selected gates (default: all); a named gate brings in its needs
    Run(RunArgs),
    /// Show the checklist: sections, gates, kinds, tags
    List(ListArgs),
    /// Validate the config; exit 0 or 2
    Check(CheckArgs),
    /// Write a starter gates.toml (refuses to overwrite without --force)
    Init(InitArgs),
    /// Combine the JSON reports of sharded runs into one report and exit code
    Merge(MergeArgs),
    /// Sign off manual gates: record who confirmed them, when, for which commit
    Ack(AckArgs),
    /// Print the JSON Schema of gates.toml, for editors and taplo
    /// (`gate schema > gates.schema.json`)
    Schema,
    /// Print shell completions
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Where reports go: stdout's format and report files.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What goes to stdout
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write the JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write the Markdown sign-off checklist to FILE
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `gate merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports of the shards (`gate run --partition K/N --json FILE`)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Show only what did not pass, and the summary
    #[arg(short, long)]
    pub quiet: bool,
}

/// `gate ack`.
#[derive(Debug, Args)]
pub struct AckArgs {
    /// The manual gates to sign off
    #[arg(value_name = "GATE_ID", required = true)]
    pub gates: Vec<String>,

    /// Who confirms them (default: git config user.name)
    #[arg(long, value_name = "NAME", value_parser = signer)]
    pub by: Option<String>,

    /// A note kept with the sign-off
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// How long the sign-off holds, like 7d or 12h (default: as long as the commit)
    #[arg(long, value_name = "DURATION", value_parser = expiry)]
    pub expires: Option<Duration>,

    /// Also mark the gates passed in this JSON report, without running anything
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// With --report: also write a JUnit XML report of it to FILE
    #[arg(long, value_name = "FILE", requires = "report")]
    pub junit: Option<PathBuf>,

    /// With --report: also write the Markdown sign-off checklist of it to FILE
    #[arg(long, value_name = "FILE", requires = "report")]
    pub markdown: Option<PathBuf>,
}

impl AckArgs {
    /// The reports to write: the JSON report rewritten in place, and the
    /// files rendered from it.
    pub fn outputs(&self) -> OutputArgs {
        OutputArgs {
            format: Format::Human,
            json: self.report.clone(),
            junit: self.junit.clone(),
            markdown: self.markdown.clone(),
        }
    }
}

/// Longest `--expires`: ten years (a time past year 9999 cannot be written).
const MAX_EXPIRY: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

/// `--expires`: a duration as the config writes them, greater than zero,
/// at most ten years.
fn expiry(text: &str) -> Result<Duration, String> {
    match Delay::parse(text)?.0 {
        Duration::ZERO => Err("a sign-off that expires at once never holds: \
                               give a duration greater than zero, like 7d"
            .to_owned()),
        duration if duration > MAX_EXPIRY => {
            Err("a sign-off holds for ten years at most: give a shorter duration".to_owned())
        }
        duration => Ok(duration),
    }
}

/// `--by`: a name, not blank.
fn signer(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("say who confirms: the name is empty".to_owned()),
        name => Ok(name.to_owned()),
    }
}

/// `gate init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Which starter checklist to write
    #[arg(long, value_enum, default_value_t = Template::Generic)]
    pub template: Template,

    /// Write it from this Markdown checklist instead: one gate per task item
    #[arg(long, value_name = "CHECKLIST.md", conflicts_with = "template")]
    pub from: Option<PathBuf>,

    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,

    /// Where to write it (`-` with --from: print it)
    #[arg(value_name = "FILE", default_value = "gates.toml")]
    pub path: PathBuf,
}

/// A starter gates.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// Any project: tests, lint, health, TLS, sign-off
    Generic,
    /// A Python web service: pytest coverage, flake8/black/isort, bandit, pip-audit, alembic
    Python,
    /// A Node.js service: npm test, npm audit, eslint
    Node,
}

/// `--partition K/N`: shard K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Partition, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)));
        match parsed {
            Some((index, count)) if 1 <= index && index <= count => Ok(Partition { index, count }),
            _ => Err(format!(
                "expected K/N with 1 <= K <= N, like 2/3, not `{text}`"
            )),
        }
    }
}

/// Which gates a command works on.
#[derive(Debug, Args, Default, Clone)]
pub struct SelectArgs {
    /// Gates to run (default: all); their needs come along
    #[arg(value_name = "GATE_ID")]
    pub gates: Vec<String>,

    /// Only gates with this tag (repeatable; any of)
    #[arg(short, long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,

    /// Leave out gates with this tag (repeatable)
    #[arg(long = "skip-tag", value_name = "TAG")]
    pub skip_tags: Vec<String>,

    /// Only gates of this section (repeatable)
    #[arg(long = "section", value_name = "NAME")]
    pub sections: Vec<String>,

    /// A [profiles.NAME] selection
    #[arg(short, long, env = "GATE_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
}

/// Variables read from files given on the command line.
#[derive(Debug, Args, Default, Clone)]
pub struct EnvArgs {
    /// Also read variables from this .env file, after settings.env_file (repeatable)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
}

/// `gate check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also resolve every value the selected gates use, as gate run would, running nothing
    #[arg(long)]
    pub strict: bool,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub env: EnvArgs,
}

/// `gate run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub env: EnvArgs,

    /// Gates running at once (overrides settings and profile)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,

    /// On the first blocking failure, cancel the rest
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,

    /// Run every gate even after a blocking failure
    #[arg(long, overrides_with = "fail_fast")]
    pub no_fail_fast: bool,

    /// Print the plan (what would run, in which order) and run nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Mark a manual gate as confirmed (repeatable)
    #[arg(long = "ack", value_name = "ID")]
    pub acks: Vec<String>,

    /// Run only shard K of N (1-based); gates joined by needs stay in one shard
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Stream every gate's output live, each line prefixed with its id
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show only what did not pass, and the summary
    #[arg(short, long)]
    pub quiet: bool,
}

impl RunArgs {
    /// `--fail-fast` / `--no-fail-fast`, if either was given.
    pub fn fail_fast(&self) -> Option<bool> {
        match (self.fail_fast, self.no_fail_fast) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// `gate list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: SelectArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// A report format for stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_version_line_is_what_clap_prints() {
        assert_eq!(Cli::version_line(), Cli::command().render_version());
    }

    #[test]
    fn only_a_lone_version_flag_asks_for_the_version_alone() {
        let args = |words: &[&str]| -> Vec<OsString> { words.iter().map(OsString::from).collect() };
        assert!(Cli::asks_version_only(&args(&["--version"])));
        assert!(Cli::asks_version_only(&args(&["-V"])));
        assert!(!Cli::asks_version_only(&args(&[])));
        assert!(!Cli::asks_version_only(&args(&["run", "--version"])));
        assert!(!Cli::asks_version_only(&args(&["--version", "--help"])));
        assert!(!Cli::asks_version_only(&args(&["-v"])));
    }
}
