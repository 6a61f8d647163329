//! `.env` files: `KEY=value` lines in dotenv syntax (quotes, comments,
//! `export`, values over several lines), read by the dotenvy crate. Their
//! variables come before `[env]`; the process environment wins over them.

use std::io;
use std::path::{Path, PathBuf};

use super::error::Error;
use super::model::Config;

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
