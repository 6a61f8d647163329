//! A small builder that reads like the terminal session it checks:
//! `Test::new().config(..).args(..).run().code(1).stdout_has(..)`.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

    /// Makes the certificates of `pem` gate's trust store: written to
    /// `ca.pem`, named by `SSL_CERT_FILE`.
    pub fn trusting(self, pem: &str) -> Test {
        let test = self.file("ca.pem", pem);
        let store = test.path().join("ca.pem").display().to_string();
        test.env("SSL_CERT_FILE", &store)
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

    /// Runs gate with its stdout on a pseudo-terminal (stderr stays a pipe)
    /// and waits for it; the terminal's output becomes `stdout`.
    pub fn run_on_terminal(self) -> Run {
        let (mut controller, terminal) = open_pty();
        let mut command = self.command();
        command.stdout(Stdio::from(terminal)).stderr(Stdio::piped());
        let child = command.spawn().expect("gate starts");
        // The command holds the only other copy of the terminal side, so
        // reading ends (EIO) once gate and its children have closed it.
        drop(command);
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = controller.read(&mut buffer) {
                bytes.extend_from_slice(&buffer[..read]);
            }
            bytes
        });
        let mut output = child.wait_with_output().expect("gate runs");
        output.stdout = reader.join().expect("terminal reader");
        Run { test: self, output }
    }

    /// Starts gate without waiting for it; its stdout and stderr are read
    /// in the background.
    pub fn spawn(self) -> Running {
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gate starts");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), Arc::clone(&stdout)),
            collect(child.stderr.take().unwrap(), Arc::clone(&stderr)),
        ];
        Running {
            test: self,
            child,
            stdout,
            stderr,
            readers,
        }
    }
}

/// How long the helpers wait for something that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `condition` until it holds; panics with `what` after [`PATIENCE`].
#[track_caller]
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `path` exists; panics after [`PATIENCE`].
#[track_caller]
pub fn wait_for_file(path: &Path) {
    wait_until(&format!("{} to appear", path.display()), || path.exists());
}

/// Creates a named pipe at `path`.
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path.
    let result = unsafe { libc::mkfifo(name.as_ptr(), 0o600) };
    assert_eq!(result, 0, "mkfifo {}", path.display());
}

/// True when no live process has id `pid`: /proc/PID is missing, or the
/// process is a zombie (dead, but its parent has not reaped it yet).
pub fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, fields)| fields.split_whitespace().next())
            .is_some_and(|state| state == "Z"),
    }
}

/// Asserts that `pid` is gone (allowing for the kernel to finish a
/// SIGKILL); kills it if not, so that a failing test leaves nothing behind.
#[track_caller]
pub fn assert_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !process_gone(pid) {
        if Instant::now() > deadline {
            // SAFETY: kill(2) touches no memory.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("process {pid} is still running after gate exited");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A pseudo-terminal: the controlling side (to read) and the terminal side.
fn open_pty() -> (std::fs::File, OwnedFd) {
    let (mut controller, mut terminal) = (0, 0);
    // SAFETY: openpty writes two new descriptors; the other arguments may be null.
    let result = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(result, 0, "openpty");
    // SAFETY: both descriptors are fresh and owned by nobody else.
    unsafe {
        (
            std::fs::File::from_raw_fd(controller),
            OwnedFd::from_raw_fd(terminal),
        )
    }
}

/// Reads `stream` to its end into `into`, on a thread.
fn collect(mut stream: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read @ 1..) = stream.read(&mut buffer) {
            into.lock().unwrap().extend_from_slice(&buffer[..read]);
        }
    })
}

/// A gate started with [`Test::spawn`], still running.
pub struct Running {
    test: Test,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Running {
    /// The temporary directory.
    pub fn path(&self) -> &Path {
        self.test.path()
    }

    /// Waits until the file `relative` to the directory exists (a running
    /// gate wrote it); panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for_file(&self, relative: &str) -> &Running {
        wait_for_file(&self.path().join(relative));
        self
    }

    /// Waits until gate has printed `text` on stdout; panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for_stdout(&self, text: &str) -> &Running {
        wait_until(&format!("{text:?} on stdout"), || {
            String::from_utf8_lossy(&self.stdout.lock().unwrap()).contains(text)
        });
        self
    }

    /// Waits until gate has printed `text` on stderr; panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for_stderr(&self, text: &str) -> &Running {
        wait_until(&format!("{text:?} on stderr"), || {
            String::from_utf8_lossy(&self.stderr.lock().unwrap()).contains(text)
        });
        self
    }

    /// Sends `signal` (e.g. `libc::SIGINT`) to gate.
    pub fn signal(&self, signal: libc::c_int) -> &Running {
        // SAFETY: kill(2) touches no memory.
        let result = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(result, 0, "kill({}, {signal})", self.child.id());
        self
    }

    /// Waits for gate to exit; kills it and panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait(mut self) -> Run {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("gate is waited for") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "gate did not exit within {PATIENCE:?}\n--- stdout\n{}--- stderr\n{}",
                    String::from_utf8_lossy(&self.stdout.lock().unwrap()),
                    String::from_utf8_lossy(&self.stderr.lock().unwrap())
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers {
            reader.join().expect("output reader");
        }
        let take = |buffer: &Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *buffer.lock().unwrap());
        let output = Output {
            status,
            stdout: take(&self.stdout),
            stderr: take(&self.stderr),
        };
        Run {
            test: self.test,
            output,
        }
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

    /// Asserts that stdout is exactly `expected`.
    #[track_caller]
    pub fn stdout_is(self, expected: &str) -> Run {
        assert_eq!(self.stdout(), expected, "stdout\n{}", self.transcript());
        self
    }

    /// Asserts that stderr is exactly `expected`.
    #[track_caller]
    pub fn stderr_is(self, expected: &str) -> Run {
        assert_eq!(self.stderr(), expected, "stderr\n{}", self.transcript());
        self
    }

    /// The ids of the gates in the JSON report on stdout (`--format json`), in report order.
    #[track_caller]
    pub fn ids(&self) -> Vec<String> {
        let report = self.stdout_json();
        report["gates"]
            .as_array()
            .unwrap_or_else(|| panic!("no gates array\n{}", self.transcript()))
            .iter()
            .map(|g| g["id"].as_str().expect("string id").to_owned())
            .collect()
    }

    /// Whether `path` exists in the test directory.
    pub fn exists(&self, path: &str) -> bool {
        self.test.path().join(path).exists()
    }

    /// A JSON file of the test directory (a `--json FILE` report), parsed.
    #[track_caller]
    pub fn read_json(&self, path: &str) -> Value {
        serde_json::from_str(&self.read(path))
            .unwrap_or_else(|e| panic!("{path} is not JSON: {e}\n{}", self.transcript()))
    }

    /// Asserts that stdout does not contain `text`.
    #[track_caller]
    pub fn stdout_lacks(self, text: &str) -> Run {
        assert!(
            !self.stdout().contains(text),
            "stdout has {text:?}\n{}",
            self.transcript()
        );
        self
    }

    /// Asserts that stderr does not contain `text`.
    #[track_caller]
    pub fn stderr_lacks(self, text: &str) -> Run {
        assert!(
            !self.stderr().contains(text),
            "stderr has {text:?}\n{}",
            self.transcript()
        );
        self
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

/// Asserts that `gate check` on `toml` exits 2, printing exactly `expected`
/// (and a newline) on stderr and nothing on stdout.
#[track_caller]
pub fn check_fails(toml: &str, expected: &str) {
    Test::new()
        .config(toml)
        .args(&["check"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(&format!("{expected}\n"));
}

/// Every file in `dir` and below, except those named `inputs` (the files
/// the test wrote: the config...).
fn files(dir: &Path, inputs: &[&str]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path, inputs));
        } else if path
            .file_name()
            .is_some_and(|name| !inputs.iter().any(|input| name == *input))
        {
            found.push(path);
        }
    }
    found
}

/// Asserts that `secret` (as is, JSON-escaped or XML-escaped) is nowhere:
/// not on stdout, not on stderr, not in any file of the test directory.
#[track_caller]
pub fn assert_hidden(run: &Run, secret: &str) {
    assert_hidden_beside(run, secret, &[]);
}

/// As [`assert_hidden`], but for the config and the files named `inputs`,
/// which the test wrote with the secret in them (a `.env` file).
#[track_caller]
pub fn assert_hidden_beside(run: &Run, secret: &str, inputs: &[&str]) {
    let json = serde_json::to_string(secret).unwrap();
    let forms = [
        secret.to_string(),
        json[1..json.len() - 1].to_string(),
        secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;"),
    ];
    let mut outputs = vec![
        ("stdout".to_string(), run.stdout()),
        ("stderr".to_string(), run.stderr()),
    ];
    let inputs = [&["gates.toml"], inputs].concat();
    for file in files(run.test.path(), &inputs) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        outputs.push((file.display().to_string(), text));
    }
    for (name, text) in outputs {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "the secret {form:?} is in {name}:\n{text}"
            );
        }
    }
}

/// `gate run --format json` of `test`, expecting exit `code`: the run and
/// the report's gate `id`.
#[track_caller]
pub fn json_gate(test: Test, id: &str, code: i32) -> (Run, Value) {
    let run = test.args(&["run", "--format", "json"]).run().code(code);
    let gate = run.gate(id);
    (run, gate)
}

/// `gate run --format json` on `config` (as `gates.toml`), expecting exit `code`.
#[track_caller]
pub fn run_json(config: &str, code: i32) -> Run {
    Test::new()
        .config(config)
        .args(&["run", "--format", "json"])
        .run()
        .code(code)
}

/// A failure record as the JSON report writes it.
pub fn record(expect: &str, expected: &str, actual: &str, at: &str) -> Value {
    serde_json::json!({"expect": expect, "expected": expected, "actual": actual, "at": at})
}

/// Asserts that `gate` passed with no reason and no failure record.
#[track_caller]
pub fn assert_passed(gate: &Value) {
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(gate["reason"], Value::Null, "{gate:#}");
    assert_eq!(gate["failures"], serde_json::json!([]), "{gate:#}");
}

/// Asserts that `gate` failed with exactly `failures`, and that its reason
/// is their one-line forms joined with `; `.
#[track_caller]
pub fn assert_failed(gate: &Value, failures: &[Value]) {
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["failures"], Value::from(failures), "{gate:#}");
    let lines: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "expected {} {}, got {}",
                f["expect"].as_str().unwrap(),
                f["expected"].as_str().unwrap(),
                f["actual"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(gate["reason"], lines.join("; "), "{gate:#}");
}

/// Asserts that `gate` failed with exactly the one failure `record`.
#[track_caller]
pub fn assert_failed_with(gate: &Value, record: Value) {
    assert_failed(gate, &[record]);
}

/// Asserts that the JSON report's `gate` ended with `status` and exactly `reason`.
#[track_caller]
pub fn assert_ended(gate: &Value, status: &str, reason: &str) {
    assert_eq!(gate["status"], status, "gate: {gate:#}");
    assert_eq!(gate["reason"], reason, "gate: {gate:#}");
}

/// A gate entry's `reason` in a JSON report, `""` when it is null.
pub fn reason(gate: &Value) -> &str {
    gate["reason"].as_str().unwrap_or_default()
}

/// An RFC 3339 (ISO 8601) timestamp: `2026-11-22T14:00:00Z`,
/// `2026-11-22T14:00:00.123+01:00`.
pub fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && (at(10, b'T') || at(10, b't'))
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

#[test]
fn the_rfc3339_checker_can_fail() {
    assert!(is_rfc3339("2026-11-22T14:00:00Z"));
    assert!(is_rfc3339("2026-11-22T14:00:00.123+01:00"));
    assert!(!is_rfc3339("2026-11-22 14:00:00"));
    assert!(!is_rfc3339("2026-11-22T14:00:00"));
}

/// Where `needle` first starts in `config`, as `line:col` (both from 1, the
/// column in characters): what a failure's `at` names after the file.
#[track_caller]
pub fn place(config: &str, needle: &str) -> String {
    let start = config
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the config:\n{config}"));
    line_col(&config[..start])
}

/// `line:col` of the place just after `before`.
fn line_col(before: &str) -> String {
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{line}:{column}")
}

/// `gates.toml:LINE:COL` of where `needle` first starts in `config`.
#[track_caller]
pub fn at(config: &str, needle: &str) -> String {
    format!("gates.toml:{}", place(config, needle))
}

/// `gates.toml:LINE:COL` of the first `needle` after the first table of gate
/// `id` (`[gates.ID]` or `[gates.ID.KIND]`).
#[track_caller]
pub fn at_in(config: &str, id: &str, needle: &str) -> String {
    let start = [format!("[gates.{id}]"), format!("[gates.{id}.")]
        .iter()
        .filter_map(|header| config.find(header.as_str()))
        .min()
        .unwrap_or_else(|| panic!("no gate {id} in the config:\n{config}"));
    let offset = config[start..]
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} after the table of gate {id}"));
    format!("gates.toml:{}", line_col(&config[..start + offset]))
}

#[test]
fn places_count_lines_and_columns_from_one() {
    assert_eq!(place("a = 1\nb = \"x\"\n", "\"x\""), "2:5");
    assert_eq!(place("a = 1", "a"), "1:1");
}

/// `text` with every duration gate prints (`0ms`, `42ms`, `1.00s`, `0s`,
/// `1m02s`) written as `<time>`, so a whole screen can be compared.
pub fn without_times(text: &str) -> String {
    let duration = regex::Regex::new(r"\b\d+(\.\d+)?(ms|s)\b|\b\d+m\d+s\b").unwrap();
    duration.replace_all(text, "<time>").into_owned()
}

#[test]
fn times_are_redacted_and_nothing_else() {
    assert_eq!(
        without_times("ok 0ms, 42ms, 1.00s, 0s, 1m02s; port 8080, 3 gates"),
        "ok <time>, <time>, <time>, <time>, <time>; port 8080, 3 gates"
    );
}
