//! A command with no shell syntax at all (`cargo fmt --check`, `true`) is
//! started directly instead of through `sh -c`, as make does: a POSIX shell
//! would only split it on spaces and exec the program, so the result is the
//! same, one process start cheaper.
//!
//! The program is looked up on PATH by the child, after it has changed to
//! the gate's directory, as the shell would; a program that cannot be
//! started is left to the shell, which says why in its own words.

use std::ffi::OsString;

use crate::plan::Step;

/// Bytes that mean nothing to a POSIX shell outside quotes.
const PLAIN: &[u8] = b" _-./=:,+@%";

/// Words a shell runs itself (builtins that act on the shell, keywords):
/// these always go through the shell.
const SHELL_WORDS: &[&str] = &[
    ".", ":", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done", "elif",
    "else", "esac", "eval", "exec", "exit", "export", "fc", "fg", "fi", "for", "function",
    "getopts", "hash", "if", "in", "jobs", "local", "pwd", "read", "readonly", "return", "select",
    "set", "shift", "then", "time", "times", "trap", "type", "ulimit", "umask", "unalias", "unset",
    "until", "wait", "while",
];

/// The program and arguments to run `run` with, when `shell` is a POSIX
/// shell and `run` is a plain call of a program.
pub fn program_call<'r>(
    run: &'r str,
    shell: &[String],
    step: &Step,
) -> Option<(OsString, Vec<&'r str>)> {
    if !is_posix_shell(shell) {
        return None;
    }
    let words = plain_words(run)?;
    let program = program(words[0], step)?;
    Some((program, words[1..].to_vec()))
}

/// What to start for `word`: a path, made absolute from the gate's
/// directory (where a relative program is looked for after a change of
/// directory differs between systems); else the word itself, for the
/// child to look up on PATH; but where it is on the gate's own PATH when
/// the gate sets PATH, because the standard library cannot search a
/// changed PATH without copying all of gate's memory (fork) to do it.
fn program(word: &str, step: &Step) -> Option<OsString> {
    if word.contains('/') {
        let path = step.cwd.join(word);
        return Some(std::path::absolute(&path).unwrap_or(path).into());
    }
    match step.own_path() {
        None => Some(word.into()),
        Some(_) => step.find_program(word).map(OsString::from),
    }
}

/// `sh -c`, `bash -c` or `dash -c`, by name or path.
fn is_posix_shell(shell: &[String]) -> bool {
    let name = shell[0].rsplit('/').next().unwrap_or_default();
    shell.len() == 2 && shell[1] == "-c" && matches!(name, "sh" | "bash" | "dash")
}

/// The words of `run` when it holds no shell syntax and does not start with
/// a shell word or a variable assignment.
fn plain_words(run: &str) -> Option<Vec<&str>> {
    if !run
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || PLAIN.contains(&b))
    {
        return None;
    }
    let words: Vec<&str> = run.split(' ').filter(|word| !word.is_empty()).collect();
    let first = *words.first()?;
    (!first.contains('=') && !SHELL_WORDS.contains(&first)).then_some(words)
}

#[cfg(test)]
mod tests {
    use super::{is_posix_shell, plain_words};

    #[test]
    fn plain_commands_are_split_on_spaces() {
        assert_eq!(plain_words("true"), Some(vec!["true"]));
        assert_eq!(
            plain_words("cargo  clippy --all-targets -- -D warnings"),
            Some(vec![
                "cargo",
                "clippy",
                "--all-targets",
                "--",
                "-D",
                "warnings"
            ])
        );
        assert_eq!(
            plain_words("./ci/check.sh --out=a,b:c@d%e+f"),
            Some(vec!["./ci/check.sh", "--out=a,b:c@d%e+f"])
        );
    }

    #[test]
    fn anything_the_shell_would_interpret_goes_to_the_shell() {
        for run in [
            "echo $HOME",
            "a | b",
            "a && b",
            "a; b",
            "a > f",
            "a < f",
            "echo 'x'",
            "echo \"x\"",
            "echo \\x",
            "ls *.rs",
            "echo ~",
            "a & b",
            "(a)",
            "{ a; }",
            "echo `x`",
            "a\nb",
            "a\tb",
            "# comment",
            "! false",
            "ls [ab]",
            "ls a?",
            "",
        ] {
            assert_eq!(plain_words(run), None, "{run:?}");
        }
    }

    #[test]
    fn shell_words_and_assignments_go_to_the_shell() {
        for run in [
            "cd sub",
            "exit 3",
            "export A=1",
            "A=1 env",
            "wait",
            "pwd",
            ". ./env.sh",
        ] {
            assert_eq!(plain_words(run), None, "{run:?}");
        }
    }

    #[test]
    fn only_posix_shells_with_dash_c() {
        let shell = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert!(is_posix_shell(&shell(&["sh", "-c"])));
        assert!(is_posix_shell(&shell(&["/usr/bin/bash", "-c"])));
        assert!(!is_posix_shell(&shell(&["bash", "-eu", "-c"])));
        assert!(!is_posix_shell(&shell(&["python3", "-c"])));
        assert!(!is_posix_shell(&shell(&["fish", "-c"])));
    }
}
