//! `.env` files: `KEY=value` lines in dotenv syntax (quotes, comments,
//! `export`, values over several lines), read by the dotenvy crate. Their
//! variables come before `[env]`; the process environment wins over them.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::{Match, Regex};

use super::error::Error;
use super::interpolate::is_name;
use super::model::Config;

/// `$` references that dotenvy reads otherwise than they are written, in
/// an unquoted or double-quoted value: `${NAME:-default}` (it has no
/// defaults: the value is empty) and `$NAME_REST` (its names without
/// braces end at `_`).
static MISREAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{[^}\n]*\}|\$[A-Za-z0-9]*_[A-Za-z0-9_]*").expect("the pattern is valid")
});

/// The variables that stand for the references [`MISREAD`] finds, to tell
/// which of them dotenvy replaces (the others are quoted or commented).
const PROBE: &str = "GATE_DOTENV_PROBE_";

/// A variable read from a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVar {
    pub name: String,
    pub value: String,
    /// The file it was read from, as gate names it.
    pub file: PathBuf,
}

/// The variables of the files `settings.env_file` names (beside the config
/// file; one that does not exist is skipped), then of `extra` (`--env-file`:
/// one that does not exist is an error), in that order.
pub fn load(config: &Config, extra: &[PathBuf]) -> Result<Vec<FileVar>, Error> {
    let dir = config.source.dir();
    let mut vars = Vec::new();
    for path in &config.settings.env_files {
        let path = match dir == Path::new(".") {
            true => path.clone(),
            false => dir.join(path),
        };
        match read(&path) {
            Err(Error::EnvFileRead { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            read => vars.extend(read?),
        }
    }
    for path in extra {
        vars.extend(read(path)?);
    }
    Ok(vars)
}

/// The variables of the file at `path`, in file order.
pub fn read(path: &Path) -> Result<Vec<FileVar>, Error> {
    let unreadable = |source| Error::EnvFileRead {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let (line, column) = line_and_column(std::str::from_utf8(valid).unwrap_or_default());
        Error::EnvFileEncoding {
            path: path.to_path_buf(),
            line,
            column,
        }
    })?;
    parse(path, &text)
}

/// The variables of `text`, the contents of the file at `path`.
fn parse(path: &Path, text: &str) -> Result<Vec<FileVar>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let vars = parse_lines(path, text)?;
    match misread(text) {
        Some(reference) => Err(misread_error(path, text, reference)),
        None => Ok(vars),
    }
}

/// The variables of `text` as dotenvy reads them.
fn parse_lines(path: &Path, text: &str) -> Result<Vec<FileVar>, Error> {
    dotenvy::from_read_iter(text.as_bytes())
        .map(|item| match item {
            Ok((name, value)) => Ok(FileVar {
                name,
                value,
                file: path.to_path_buf(),
            }),
            Err(dotenvy::Error::LineParse(line, index)) => {
                let (line, column) = position(text, &line, index);
                Err(Error::EnvFileLine {
                    path: path.to_path_buf(),
                    line,
                    column,
                })
            }
            Err(other) => Err(Error::EnvFileRead {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
            }),
        })
        .collect()
}

/// The first reference of `text` that dotenvy would replace otherwise
/// than it is written. Each one [`MISREAD`] finds is written as a variable
/// of its own, set ahead of the file to a mark: a value that holds a mark
/// was replaced there.
fn misread(text: &str) -> Option<Match<'_>> {
    let braced_name = |m: &Match| {
        m.as_str()
            .strip_prefix("${")
            .is_some_and(|r| is_name(&r[..r.len() - 1]))
    };
    let found: Vec<Match> = MISREAD
        .find_iter(text)
        .filter(|m| !braced_name(m))
        .collect();
    if found.is_empty() {
        return None;
    }
    let mark = |k: usize| format!("\u{e000}{k}\u{e000}");
    let mut probe: String = (0..found.len())
        .map(|k| format!("{PROBE}{k}='{}'\n", mark(k)))
        .collect();
    let mut last = 0;
    for (k, reference) in found.iter().enumerate() {
        probe.push_str(&text[last..reference.start()]);
        probe.push_str(&format!("${{{PROBE}{k}}}"));
        last = reference.end();
    }
    probe.push_str(&text[last..]);
    let values: Vec<String> = dotenvy::from_read_iter(probe.as_bytes())
        .filter_map(Result::ok)
        .filter(|(name, _)| !name.starts_with(PROBE))
        .map(|(_, value)| value)
        .collect();
    let replaced = |k: usize| values.iter().any(|value| value.contains(&mark(k)));
    found
        .into_iter()
        .enumerate()
        .find(|&(k, _)| replaced(k))
        .map(|(_, m)| m)
}

/// The error for `reference`, a misread reference of `text`: its place and
/// what dotenvy makes of it, without the value around it.
fn misread_error(path: &Path, text: &str, reference: Match) -> Error {
    let (line, column) = line_and_column(&text[..reference.start()]);
    let written = reference.as_str();
    let braced = written.strip_prefix("${").map(|r| &r[..r.len() - 1]);
    let default = braced
        .and_then(|inner| inner.split_once(":-"))
        .filter(|(name, _)| is_name(name));
    let (what, hint) = match (braced, default) {
        (_, Some((name, _))) => (
            format!("`${{{name}:-...}}` has a default, which dotenv syntax has not (the value would be empty)"),
            format!("give the default in [env]: {name} = \"${{{name}:-...}}\""),
        ),
        (Some(_), None) => (
            "`${...}` holds more than a variable name, which dotenv syntax does not read (the value would be empty)".to_owned(),
            "write `${NAME}`; a literal `$` goes in single quotes".to_owned(),
        ),
        (None, _) => (
            "a `$NAME` with `_` in it is read up to the `_` in dotenv syntax".to_owned(),
            "write `${NAME}`; a literal `$` goes in single quotes".to_owned(),
        ),
    };
    Error::EnvFileReference {
        path: path.to_path_buf(),
        line,
        column,
        what,
        hint,
    }
}

/// Line and column (1-based, the column in characters) of byte `index` of
/// `line`, a part of `text` as dotenvy reports one it cannot read: a line
/// (a value's lines joined, a comment cut off), or the value on it. A line
/// read to the end of the file without its closing quote is pointed at
/// where it starts.
fn position(text: &str, line: &str, index: usize) -> (usize, usize) {
    let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1));
    let anywhere = text.match_indices(line).map(|(at, _)| at);
    let start = line_starts
        .filter(|&start| text[start..].starts_with(line))
        .chain(anywhere)
        .find(|&start| {
            let after = &text[start + line.len()..];
            after.is_empty() || after.starts_with(['\n', '\r', '#'])
        })
        .unwrap_or(0);
    let mut at = match index < line.len() {
        true => start + index,
        false => start,
    };
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    line_and_column(&text[..at])
}

/// Line and column (1-based, the column in characters) of the end of
/// `before`, the text of a file up to some place in it.
fn line_and_column(before: &str) -> (usize, usize) {
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_number = before.matches('\n').count() + 1;
    (line_number, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(Path::new(".env"), text)
            .unwrap()
            .into_iter()
            .map(|var| (var.name, var.value))
            .collect()
    }

    fn error(text: &str) -> String {
        parse(Path::new("ci/.env"), text).unwrap_err().to_string()
    }

    #[test]
    fn dotenv_syntax() {
        let text = "# comment\n\nexport API_URL=http://127.0.0.1:8000 # trailing comment\n\
                    QUOTED=\"a value # not a comment\"\nSINGLE='$NOT_EXPANDED'\n\
                    KEY=\"first\nsecond\"\nEMPTY=\n\u{20}SPACED = x\n";
        assert_eq!(
            vars(text),
            [
                ("API_URL", "http://127.0.0.1:8000"),
                ("QUOTED", "a value # not a comment"),
                ("SINGLE", "$NOT_EXPANDED"),
                ("KEY", "first\nsecond"),
                ("EMPTY", ""),
                ("SPACED", "x"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert_eq!(vars("\u{feff}A=1\r\nB=2\r\n").len(), 2);
    }

    #[test]
    fn a_bad_line_is_named_by_file_line_and_column_without_its_text() {
        let message = error("A=1\nB=2\nnot a line\n");
        assert_eq!(
            message,
            "error: cannot read ci/.env: line 3 is not `NAME=value` in dotenv syntax\n \
             --> ci/.env:3:5\n  (hint: quote a value with spaces or `#`: NAME=\"a value\"; \
             the line is not shown, as it may hold a secret)"
        );
        assert!(error("A=1\nB=\"open\nC=3\n").contains(" --> ci/.env:2:1\n"));
        assert!(error("B=ok\nB #x\n").contains(" --> ci/.env:2:2\n"));
        let value = error("A=1\nSECRET=hunter2 x\n");
        assert!(value.contains(" --> ci/.env:2:16\n"), "{value}");
        assert!(!value.contains("hunter2"));
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = read(Path::new("/nonexistent/staging.env")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("error: cannot read env file /nonexistent/staging.env: "),
            "{error}"
        );
    }
}
