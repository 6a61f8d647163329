//! `gate init`: a starter gates.toml from a template, or from the team's
//! own Markdown checklist (`--from`, see [`from_markdown`]).
//!
//! The templates live in `src/templates/` and are compiled into the binary.
//! Each file is parsed before it is written, so the message can count its
//! gates (and a file that does not validate is never written).

pub mod from_markdown;

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use crate::cli::{InitArgs, Template};
use crate::config::{self, Source};
use crate::error::{EXIT_PASS, Error};
use crate::report;

/// One starter gates.toml.
struct Starter {
    /// The `--template` value, for messages.
    name: &'static str,
    text: &'static str,
    /// Variables with no default that `gate run` needs, and the gate that reads each.
    variables: &'static [(&'static str, &'static str)],
}

fn starter(template: Template) -> Starter {
    match template {
        Template::Generic => Starter {
            name: "generic",
            text: include_str!("templates/generic.toml"),
            variables: &[("PUBLIC_HOST", "tls-cert")],
        },
        Template::Python => Starter {
            name: "python",
            text: include_str!("templates/python.toml"),
            variables: &[
                ("PUBLIC_HOST", "security-headers"),
                ("ADMIN_TOKEN", "admin-health"),
                ("PUBLIC_IP", "dns-records"),
                ("SMOKE_EMAIL", "smoke-login"),
                ("SMOKE_PASSWORD", "smoke-login"),
                ("PROMETHEUS_URL", "uptime"),
            ],
        },
        Template::Node => Starter {
            name: "node",
            text: include_str!("templates/node.toml"),
            variables: &[("PUBLIC_HOST", "security-headers")],
        },
    }
}

/// Writes the template, or the checklist's gates, that `args` asks for
/// (never over a file, unless forced).
pub fn write(args: &InitArgs) -> Result<i32, Error> {
    if let Some(checklist) = &args.from {
        return write_from(checklist, args);
    }
    let starter = starter(args.template);
    let gates = parsed_gates(&args.path, starter.text)?;
    save(&args.path, starter.text, args.force)?;
    let what = format!("{} template", starter.name);
    report::print(&message(
        &what,
        &args.path,
        gates,
        starter.variables,
        gate_config_set(),
    ));
    Ok(EXIT_PASS)
}

/// `gate init --from CHECKLIST.md`: the summary goes where the TOML does
/// not: to stdout after writing a file, to stderr when FILE is `-`.
fn write_from(checklist: &Path, args: &InitArgs) -> Result<i32, Error> {
    let markdown = fs::read_to_string(checklist)
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", checklist.display()), None))?;
    let items = from_markdown::items(&markdown);
    if items.is_empty() {
        return Err(Error::usage(
            format!(
                "{} has no task item (`- [ ] ...`); nothing written",
                checklist.display()
            ),
            None,
        ));
    }
    let gates = from_markdown::gates(&items);
    let source = checklist.file_name().map_or_else(
        || checklist.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let text = from_markdown::render(&gates, &source);
    parsed_gates(&args.path, &text)?;
    let summary = from_markdown::summary(&gates);
    if args.path == Path::new("-") {
        report::print(&text);
        eprint!("{summary}");
        return Ok(EXIT_PASS);
    }
    save(&args.path, &text, args.force)?;
    let what = format!("from {}", checklist.display());
    let variables = from_markdown::variables(&gates);
    report::print(&format!(
        "{}{summary}",
        message(
            &what,
            &args.path,
            gates.len(),
            &variables,
            gate_config_set()
        )
    ));
    Ok(EXIT_PASS)
}

/// Whether `$GATE_CONFIG` names a config, so a plain `gate` would not find the file.
fn gate_config_set() -> bool {
    std::env::var_os("GATE_CONFIG").is_some_and(|v| !v.is_empty())
}

/// How many gates `text` has, once it parsed as the config at `path`.
fn parsed_gates(path: &Path, text: &str) -> Result<usize, Error> {
    let config = config::parse(Source::new(path.to_owned(), text.to_owned()))?;
    Ok(config.gates.len())
}

/// Writes `text` to `path`, creating its directory; an existing file is an
/// error unless `force`.
fn save(path: &Path, text: &str, force: bool) -> Result<(), Error> {
    let cannot_write =
        |e: std::io::Error| Error::usage(format!("cannot write {}: {e}", path.display()), None);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(cannot_write)?;
    }
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // Atomic: no window between "does it exist?" and creating it.
        options.create_new(true);
    }
    match options.open(path) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(Error::usage(
            format!("{} already exists", path.display()),
            Some("pass --force to overwrite it".to_owned()),
        )),
        Err(e) => Err(cannot_write(e)),
        Ok(mut file) => file.write_all(text.as_bytes()).map_err(cannot_write),
    }
}

/// What was written (`what`: "python template") and what to do next, and
/// the variables to set first.
fn message(
    what: &str,
    path: &Path,
    gates: usize,
    variables: &[(&str, &str)],
    gate_config_set: bool,
) -> String {
    let mut text = next_step(what, path, gates, gate_config_set);
    for (variable, gate_id) in variables {
        text.push_str(&format!(
            "note: set {variable} first: gate `{gate_id}` reads it\n"
        ));
    }
    text
}

/// What was written and what to do next. The next step names the file with
/// `-c` unless a plain `gate` would find it: `gates.toml` in the current
/// directory, and no `$GATE_CONFIG` pointing elsewhere.
fn next_step(what: &str, path: &Path, gates: usize, gate_config_set: bool) -> String {
    let in_cwd = path
        .parent()
        .is_none_or(|p| p.as_os_str().is_empty() || p == Path::new("."));
    let found = in_cwd && path.file_name() == Some(config::FILE_NAME.as_ref()) && !gate_config_set;
    let gate = if found {
        "gate".to_owned()
    } else {
        format!("gate -c {}", shell_quote(&path.display().to_string()))
    };
    format!(
        "wrote {} ({what}, {gates} gate{}); try: {gate} check && {gate} run --dry-run\n",
        path.display(),
        if gates == 1 { "" } else { "s" },
    )
}

/// `text` as one word for sh: as is when that is safe, else single-quoted.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::plan::{self, Environment, Options};

    const ALL: [Template; 3] = [Template::Generic, Template::Python, Template::Node];

    fn parse(template: Template) -> config::Config {
        config::parse(Source::new(
            PathBuf::from("gates.toml"),
            starter(template).text.to_owned(),
        ))
        .unwrap_or_else(|e| panic!("{} template: {e}", starter(template).name))
    }

    fn environment(variables: &[&str]) -> Environment {
        variables
            .iter()
            .map(|name| {
                let value = match name.ends_with("_URL") {
                    true => "http://value-of-test",
                    false => "value-of-test",
                };
                (name.to_string(), value.to_owned())
            })
            .collect()
    }

    #[test]
    fn every_template_is_valid() {
        for template in ALL {
            assert!(!parse(template).gates.is_empty());
        }
    }

    #[test]
    fn the_listed_variables_are_exactly_those_a_run_needs() {
        for template in ALL {
            let config = parse(template);
            let starter = starter(template);
            let names: Vec<&str> = starter.variables.iter().map(|(name, _)| *name).collect();
            let all = plan::build(&config, &Options::default(), &environment(&names));
            assert!(all.is_ok(), "{} template: {:?}", starter.name, all.err());
            for missing in &names {
                let rest: Vec<&str> = names.iter().copied().filter(|n| n != missing).collect();
                let error = plan::build(&config, &Options::default(), &environment(&rest))
                    .err()
                    .unwrap_or_else(|| panic!("{} template runs without {missing}", starter.name))
                    .to_string();
                assert!(error.contains(missing), "{error}");
            }
        }
    }

    #[test]
    fn the_next_step_finds_the_file() {
        let generic =
            |path: &str, gates, set| next_step("generic template", Path::new(path), gates, set);
        let plain = "try: gate check && gate run --dry-run\n";
        assert!(generic("gates.toml", 5, false).ends_with(plain));
        assert!(generic("./gates.toml", 5, false).ends_with(plain));
        assert!(
            generic("gates.toml", 5, true)
                .ends_with("try: gate -c gates.toml check && gate -c gates.toml run --dry-run\n")
        );
        assert!(generic("ci/my gates.toml", 1, false).ends_with(
            "(generic template, 1 gate); try: gate -c 'ci/my gates.toml' check \
                 && gate -c 'ci/my gates.toml' run --dry-run\n"
        ));
    }

    #[test]
    fn needed_variables_are_named() {
        let text = message(
            "python template",
            Path::new("gates.toml"),
            26,
            starter(Template::Python).variables,
            false,
        );
        assert_eq!(
            text,
            "wrote gates.toml (python template, 26 gates); try: gate check && gate run --dry-run\n\
             note: set PUBLIC_HOST first: gate `security-headers` reads it\n\
             note: set ADMIN_TOKEN first: gate `admin-health` reads it\n\
             note: set PUBLIC_IP first: gate `dns-records` reads it\n\
             note: set SMOKE_EMAIL first: gate `smoke-login` reads it\n\
             note: set SMOKE_PASSWORD first: gate `smoke-login` reads it\n\
             note: set PROMETHEUS_URL first: gate `uptime` reads it\n"
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("ci/gates.toml"), "ci/gates.toml");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
