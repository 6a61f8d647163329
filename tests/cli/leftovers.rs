//! Leftovers: a process a gate started that left its process group
//! (`setsid`, a double fork, `nohup`) is ended when the gate ends, and the
//! gate's output says so; one that cannot be told apart (`env -i`) is
//! ended when the run ends. No process outlives gate.

use std::path::PathBuf;
use std::time::Instant;

use tempfile::TempDir;

use crate::Test;
use crate::harness::{Run, process_gone, run_json};

/// Where a gate writes the pid of the `sleep 300` it leaves behind; kills
/// that process when dropped, should a failing test have left it running.
struct Pid {
    dir: TempDir,
}

impl Pid {
    fn new() -> Pid {
        Pid {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("pid")
    }

    /// The pid the gate wrote.
    #[track_caller]
    fn read(&self) -> i32 {
        let text = std::fs::read_to_string(self.file()).expect("the gate wrote a pid");
        text.trim().parse().expect("a pid")
    }

    /// Asserts that the process is gone now that gate has exited.
    #[track_caller]
    fn assert_gone(&self) -> i32 {
        let pid = self.read();
        assert!(process_gone(pid), "sleep 300 (pid {pid}) outlived gate");
        pid
    }

    /// A `run` that starts `sleep 300` with `start` (which writes its pid to
    /// `$P`), waits until that process runs as `sleep`, then runs `then`.
    fn leave(&self, start: &str, then: &str) -> String {
        format!(
            "P={}; {start}; until [ -s $P ] && [ \"$(cat /proc/$(cat $P)/comm)\" = sleep ]; do sleep 0.01; done; {then}",
            self.file().display()
        )
    }
}

impl Drop for Pid {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(self.file()) else {
            return;
        };
        let Ok(pid) = text.trim().parse::<i32>() else {
            return;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline == b"sleep\x00300\x00" {
            // SAFETY: kill(2) touches no memory.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Leaves the process group with `setsid`; `$!` is setsid's pid, which
/// becomes sleep's.
const SETSID: &str = "setsid sleep 300 & echo $! > $P";
/// A double fork: the subshell exits (waited for), its child has left the group.
const DOUBLE_FORK: &str = "(setsid sleep 300 & echo $! > $P) & wait";
/// `nohup` and `setsid`, its output away from the gate's pipe.
const NOHUP: &str = "nohup setsid sleep 300 > /dev/null 2>&1 & echo $! > $P";
/// A cleared environment: no tag to find it by.
const CLEARED: &str = "setsid env -i sleep 300 > /dev/null 2>&1 & echo $! > $P";

/// The config of one gate `id` running `run`, a short kill_grace.
fn one_gate(id: &str, run: &str, timeout: &str) -> String {
    format!(
        "[settings]\nkill_grace = \"200ms\"\n[gates.{id}]\nrun = '{run}'\ntimeout = \"{timeout}\"\n"
    )
}

/// The line the gate's output ends with after gate ended `sleep 300` (pid `pid`).
fn ended_line(pid: i32) -> String {
    format!("gate ended 1 leftover process: sleep 300 (pid {pid})")
}

/// Asserts that the JSON report's gate `id` has `status` and its output
/// ends with the line naming the leftover `pid` gate ended.
#[track_caller]
fn assert_reported(run: &Run, id: &str, status: &str, pid: i32) {
    let gate = run.gate(id);
    assert_eq!(gate["status"], status, "{gate:#}");
    let output = gate["output"].as_str().expect("an output");
    assert_eq!(
        output.lines().last(),
        Some(ended_line(pid).as_str()),
        "{gate:#}"
    );
}

/// A gate leaves `sleep 300` behind with `start` and passes: it is ended,
/// and the output says so after what the gate printed.
fn passing_gate_leaves(start: &str) {
    let pid = Pid::new();
    let run = run_json(&one_gate("leaky", &pid.leave(start, "echo done"), "10s"), 0);
    let ended = pid.assert_gone();
    let gate = run.gate("leaky");
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(gate["output"], format!("done\n{}", ended_line(ended)));
}

fn setsid_child_of_a_passing_gate() {
    passing_gate_leaves(SETSID);
}

fn double_forked_child_of_a_passing_gate() {
    passing_gate_leaves(DOUBLE_FORK);
}

fn nohup_child_of_a_passing_gate() {
    passing_gate_leaves(NOHUP);
}

fn setsid_child_of_a_gate_that_times_out() {
    let pid = Pid::new();
    let run = run_json(&one_gate("slow", &pid.leave(SETSID, "sleep 300"), "1s"), 1);
    let ended = pid.assert_gone();
    assert_reported(&run, "slow", "timed_out", ended);
}

fn setsid_child_of_a_gate_cancelled_by_fail_fast() {
    let pid = Pid::new();
    let slow = pid.leave(SETSID, "touch started; sleep 300");
    let config = format!(
        "{}[gates.bad]\nrun = \"while [ ! -e started ]; do sleep 0.01; done; exit 1\"\n",
        one_gate("slow", &slow, "10s")
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "-j", "2", "--fail-fast", "--format", "json"])
        .run()
        .code(1);
    let ended = pid.assert_gone();
    assert_reported(&run, "slow", "cancelled", ended);
}

fn setsid_child_of_a_gate_interrupted_by_sigint() {
    let pid = Pid::new();
    let running = pid.leave(SETSID, "touch started; sleep 300");
    let gate = Test::new()
        .config(&one_gate("running", &running, "10s"))
        .args(&["run", "--format", "json"])
        .spawn();
    gate.wait_for_file("started").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    let ended = pid.assert_gone();
    assert_reported(&run, "running", "cancelled", ended);
}

fn child_with_a_cleared_environment() {
    let pid = Pid::new();
    let run = run_json(&one_gate("cleared", &pid.leave(CLEARED, "true"), "10s"), 0);
    // Not the gate's to tell: the run ends it, and says so on stderr.
    let ended = pid.assert_gone();
    run.stderr_has(&ended_line(ended));
}

#[test]
fn a_setsid_child_of_a_passing_gate_is_ended_and_reported() {
    setsid_child_of_a_passing_gate();
}

#[test]
fn a_double_forked_child_of_a_passing_gate_is_ended_and_reported() {
    double_forked_child_of_a_passing_gate();
}

#[test]
fn a_nohup_setsid_child_of_a_passing_gate_is_ended_and_reported() {
    nohup_child_of_a_passing_gate();
}

#[test]
fn a_setsid_child_of_a_gate_that_times_out_is_ended() {
    setsid_child_of_a_gate_that_times_out();
}

#[test]
fn a_setsid_child_of_a_gate_cancelled_by_fail_fast_is_ended() {
    setsid_child_of_a_gate_cancelled_by_fail_fast();
}

#[test]
fn a_setsid_child_of_an_interrupted_gate_is_ended() {
    setsid_child_of_a_gate_interrupted_by_sigint();
}

#[test]
fn a_child_with_a_cleared_environment_is_ended_when_the_run_ends() {
    child_with_a_cleared_environment();
}

#[test]
fn commands_see_the_run_and_their_gate_and_reports_do_not() {
    let run = run_json(
        "[gates.tagged]\nrun = 'test -n \"$GATE_RUN\" && test \"$GATE_OWNER\" = tagged && echo \"$GATE_RUN\" > run-id'\n",
        0,
    );
    let run_id = run.read("run-id").trim().to_owned();
    assert!(!run_id.is_empty());
    run.stdout_lacks(&run_id).stderr_lacks(&run_id);
}

#[test]
fn a_process_still_in_the_group_is_not_reported_as_a_leftover() {
    let run = run_json(
        &one_gate("grouped", "sleep 300 > /dev/null 2>&1 & echo done", "10s"),
        0,
    );
    assert_eq!(run.gate("grouped")["output"], "done");
}

/// Each leftover case 100 times in a row; any survivor fails it.
/// `cargo test -- --ignored leftovers_stress`
#[test]
#[ignore]
fn leftovers_stress() {
    const RUNS: usize = 100;
    let cases: [(&str, fn()); 7] = [
        ("setsid", setsid_child_of_a_passing_gate),
        ("double fork", double_forked_child_of_a_passing_gate),
        ("nohup setsid", nohup_child_of_a_passing_gate),
        ("timeout", setsid_child_of_a_gate_that_times_out),
        ("fail-fast", setsid_child_of_a_gate_cancelled_by_fail_fast),
        ("SIGINT", setsid_child_of_a_gate_interrupted_by_sigint),
        ("env -i", child_with_a_cleared_environment),
    ];
    for (name, case) in cases {
        let started = Instant::now();
        for _ in 0..RUNS {
            case();
        }
        eprintln!(
            "leftovers_stress: {name}: {RUNS} runs, 0 survivors, {:.1?}",
            started.elapsed()
        );
    }
}
