//! A small builder that reads like the terminal session it checks:
//! `Test::new().config(..).args(..).run().code(1).stdout_has(..)`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// One invocation of the real `gate` binary in a temporary directory.
pub struct Test {
    dir: TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
}

impl Default for Test {
    fn default() -> Test {
        Test::new()
    }
}

impl Test {
    /// An empty temporary directory, no arguments.
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().expect("temporary directory"),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
        }
    }

    /// Writes `gates.toml` in the directory.
    pub fn config(self, toml: &str) -> Test {
        self.file("gates.toml", toml)
    }

    /// Writes a file (creating its parent directories) relative to the directory.
    pub fn file(self, path: &str, contents: &str) -> Test {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Adds command-line arguments.
    pub fn args(mut self, args: &[&str]) -> Test {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Sets an environment variable for gate.
    pub fn env(mut self, name: &str, value: &str) -> Test {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Runs gate from this subdirectory instead of the directory itself.
    pub fn current_dir(mut self, relative: &str) -> Test {
        let dir = self.dir.path().join(relative);
        std::fs::create_dir_all(&dir).unwrap();
        self.cwd = Some(dir);
        self
    }

    /// The temporary directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The command that `run` executes.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gate"));
        command
            .args(&self.args)
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_remove("GATE_CONFIG")
            .env_remove("GATE_PROFILE")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("GITHUB_ACTIONS")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs gate and waits for it.
    pub fn run(self) -> Run {
        let output = self.command().output().expect("gate runs");
        Run { test: self, output }
    }
}

/// What a finished gate left: exit code, stdout, stderr and files.
pub struct Run {
    pub test: Test,
    pub output: Output,
}

impl Run {
    /// Asserts the exit code.
    #[track_caller]
    pub fn code(self, expected: i32) -> Run {
        assert_eq!(
            self.output.status.code(),
            Some(expected),
            "exit code\n{}",
            self.transcript()
        );
        self
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts that stdout contains `text`.
    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Run {
        assert!(
            self.stdout().contains(text),
            "stdout lacks {text:?}\n{}",
            self.transcript()
        );
        self
    }

    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Run {
        assert!(
            self.stderr().contains(text),
            "stderr lacks {text:?}\n{}",
            self.transcript()
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn stdout_json(&self) -> Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.transcript()))
    }

    /// The gate entry with `id` of the JSON report on stdout (`--format json`).
    #[track_caller]
    pub fn gate(&self, id: &str) -> Value {
        let report = self.stdout_json();
        report["gates"]
            .as_array()
            .expect("gates array")
            .iter()
            .find(|g| g["id"] == id)
            .unwrap_or_else(|| panic!("no gate {id} in the report\n{}", self.transcript()))
            .clone()
    }

    /// Reads a file of the test directory.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.test.path().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Everything gate printed, for assertion messages.
    pub fn transcript(&self) -> String {
        format!(
            "--- stdout\n{}--- stderr\n{}---",
            self.stdout(),
            self.stderr()
        )
    }
}
