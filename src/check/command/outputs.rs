//! `outputs = ["NAME"]` and `$GATE_OUTPUT`: a command gate's captures. The
//! command writes `NAME=value` lines (or `NAME<<END`, lines, `END` for a
//! value of several lines, as GitHub Actions' `$GITHUB_OUTPUT` reads them)
//! to the file `$GATE_OUTPUT` names; gate reads it once the command ended.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use toml::Spanned;

use crate::check::capture::{Captured, Missed};
use crate::config::{Diagnostic, Source, SpannedString, interpolate};
use crate::event::Failure;

/// The environment variable that names the file.
pub const VARIABLE: &str = "GATE_OUTPUT";

/// Tells apart the files of one gate process.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// The names a gate declares, and where.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub names: Vec<String>,
    /// Where each name is written (`gates.toml:12:44`).
    places: Vec<String>,
}

impl Outputs {
    /// `outputs = [...]`: variable names, each once.
    pub fn load(
        source: &Source,
        raw: Option<&Spanned<Vec<SpannedString>>>,
    ) -> Result<Outputs, Diagnostic> {
        let Some(raw) = raw else {
            return Ok(Outputs::default());
        };
        let mut names: Vec<String> = Vec::new();
        let mut places = Vec::new();
        for name in raw.get_ref() {
            let text = name.get_ref();
            let error = |message: String| source.diagnostic(name.span(), message);
            if !interpolate::is_name(text) {
                return Err(error(format!(
                    "invalid output name `{text}`: names are letters, digits and `_`, not \
                     starting with a digit"
                )));
            }
            if names.contains(text) {
                return Err(error(format!("output `{text}` is listed twice")));
            }
            names.push(text.clone());
            places.push(source.place(&name.span()));
        }
        Ok(Outputs { names, places })
    }
}

/// The file of one attempt, removed when dropped.
#[derive(Debug)]
pub struct OutputFile {
    pub path: PathBuf,
}

impl OutputFile {
    /// A new empty file in the temporary directory, only the user may read.
    pub fn create() -> io::Result<OutputFile> {
        let number = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        let name = format!("gate-output-{}-{number}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = fs::remove_file(&path);
        create_private(&path)?;
        Ok(OutputFile { path })
    }

    /// The declared values the command wrote, or the failure of the first
    /// declared name it did not write; and a note for every line of an
    /// undeclared name, which is ignored.
    pub fn read(&self, outputs: &Outputs) -> (Result<Captured, Missed>, Vec<String>) {
        let text = fs::read(&self.path).unwrap_or_default();
        let written = parse(&String::from_utf8_lossy(&text));
        let notes = written
            .iter()
            .filter(|(name, _)| !outputs.names.contains(name))
            .map(|(name, _)| {
                format!("(gate: `{name}` in ${VARIABLE} ignored: it is not in `outputs`)")
            })
            .collect();
        let mut values = Vec::new();
        for (name, at) in outputs.names.iter().zip(&outputs.places) {
            match written.iter().rev().find(|(n, _)| n == name) {
                Some((_, value)) if !value.is_empty() => values.push((name.clone(), value.clone())),
                found => {
                    let actual = match found {
                        Some(_) => "an empty value",
                        None => "none",
                    };
                    let reason = format!("output {name} was not written to ${VARIABLE}");
                    let failure = Failure {
                        expect: format!("output {name}"),
                        expected: format!("a line {name}=value in ${VARIABLE}"),
                        actual: actual.to_owned(),
                        at: at.clone(),
                    };
                    return (Err((reason, failure)), notes);
                }
            }
        }
        (Ok(values), notes)
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// `NAME=value` lines and `NAME<<END` blocks, in order.
fn parse(text: &str) -> Vec<(String, String)> {
    let mut values = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, end)) = line
            .split_once("<<")
            .filter(|(n, _)| interpolate::is_name(n))
        {
            let block: Vec<&str> = lines.by_ref().take_while(|l| *l != end).collect();
            values.push((name.to_owned(), block.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            if interpolate::is_name(name) {
                values.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_blocks() {
        let text = "BUILD_SHA=abc123\nnoise\nNOTES<<EOF\nline 1\nline 2\nEOF\nURL=http://x/?a=b\n";
        assert_eq!(
            parse(text),
            [
                ("BUILD_SHA".to_owned(), "abc123".to_owned()),
                ("NOTES".to_owned(), "line 1\nline 2".to_owned()),
                ("URL".to_owned(), "http://x/?a=b".to_owned())
            ]
        );
    }
}
