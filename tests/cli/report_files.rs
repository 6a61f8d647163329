//! Report files are written whole: a run that dies while writing one
//! leaves the previous report, never half of a new one, and a report path
//! that cannot be written is refused before anything runs or is read.

use std::os::unix::process::{CommandExt, ExitStatusExt};

use crate::Test;
use crate::harness::Run;

/// A gate whose report is some 8 KiB: 40 lines of output, each 200 bytes.
const LONG_OUTPUT: &str =
    "[gates.noisy]\nrun = 'for i in $(seq 40); do printf \"%0200d\\n\" $i; done; exit 1'\n";

/// Runs gate unable to write a file past `limit` bytes (RLIMIT_FSIZE): a
/// write past it raises SIGXFSZ, which kills gate where it stands, unless
/// `ignore_signal`, and then the write fails (EFBIG).
fn run_with_file_size_limit(test: Test, limit: u64, ignore_signal: bool) -> Run {
    let mut command = test.command();
    let hook = move || {
        let limit = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit,
        };
        // SAFETY: setrlimit and signal are async-signal-safe, and touch
        // only the memory given to them.
        unsafe {
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if ignore_signal {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            }
        }
        Ok(())
    };
    // SAFETY: the hook only calls async-signal-safe functions.
    unsafe { command.pre_exec(hook) };
    let output = command.output().expect("gate runs");
    Run { test, output }
}

/// The names in the test's directory, sorted.
fn names(run: &Run) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(run.test.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_run_killed_while_writing_its_report_leaves_the_previous_one() {
    let test = Test::new()
        .config(LONG_OUTPUT)
        .file("report.json", "the previous report\n")
        .args(&["run", "--json", "report.json"]);
    let run = run_with_file_size_limit(test, 4096, false);
    assert_eq!(
        run.output.status.signal(),
        Some(libc::SIGXFSZ),
        "{}",
        run.transcript()
    );
    assert_eq!(run.read("report.json"), "the previous report\n");
}

#[test]
fn a_report_that_cannot_be_written_whole_leaves_the_previous_one_and_no_other_file() {
    let test = Test::new()
        .config(LONG_OUTPUT)
        .file("report.xml", "the previous report\n")
        .args(&["run", "--junit", "report.xml"]);
    let run = run_with_file_size_limit(test, 4096, true)
        .code(1)
        .stderr_has("error: cannot write report.xml: ");
    assert_eq!(run.read("report.xml"), "the previous report\n");
    assert_eq!(names(&run), ["gates.toml", "report.xml"]);
}

#[test]
fn a_report_path_that_cannot_be_written_stops_the_run_before_any_gate() {
    for path in ["no-such-dir/report.json", "."] {
        let run = Test::new()
            .config("[gates.a]\nrun = \"touch ran\"\n")
            .args(&["run", "--junit", path])
            .run()
            .code(2)
            .stderr_has(&format!("error: cannot write {path}: "));
        assert!(!run.test.path().join("ran").exists(), "{path}");
    }
}

#[test]
fn merge_refuses_an_output_it_cannot_write_before_reading_its_inputs() {
    // The input does not exist: that the output is named proves it was
    // checked first.
    let run = Test::new()
        .args(&[
            "merge",
            "missing-shard.json",
            "--json",
            "no-such-dir/merged.json",
        ])
        .run()
        .code(2);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: cannot write no-such-dir/merged.json: "),
        "{stderr}"
    );
    assert!(!stderr.contains("missing-shard"), "{stderr}");
}

#[test]
fn a_report_file_is_replaced_whole_and_nothing_is_left_beside_it() {
    let run = Test::new()
        .config("[gates.a]\nrun = \"true\"\n")
        .file("report.json", "the previous report\n")
        .args(&["run", "--json", "report.json"])
        .run()
        .code(0);
    assert_eq!(run.read_json("report.json")["outcome"], "pass");
    assert_eq!(names(&run), ["gates.toml", "report.json"]);
}
