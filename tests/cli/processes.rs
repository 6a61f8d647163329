//! Processes: a command's whole process group is terminated on timeout,
//! cancel and interrupt; SIGTERM is followed by SIGKILL; output is read in
//! bounded memory.

use crate::Test;
use crate::harness::{Run, assert_gone, process_gone, wait_until};

/// Starts `sleep 300` in the background, writes its pid to `pid` (atomically),
/// touches `started`, and waits.
const GRANDCHILD: &str = "sleep 300 & echo $! > pid.tmp && mv pid.tmp pid && touch started; wait";

/// The pid a gate wrote to `file`.
fn pid_in(run: &Run, file: &str) -> i32 {
    run.read(file).trim().parse().expect("a pid")
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let run = Test::new()
        .config(&format!(
            "[settings]\nkill_grace = \"200ms\"\n[gates.slow]\nrun = \"{GRANDCHILD}\"\ntimeout = \"1s\"\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("slow")["status"], "timed_out");
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn a_command_ignoring_sigterm_is_killed_after_kill_grace() {
    // The ignored SIGTERM is inherited by the shell's children.
    let run = Test::new()
        .config(
            "[settings]\nkill_grace = \"200ms\"\n\
             [gates.stubborn]\nrun = \"trap '' TERM; echo $$ > shell-pid; sleep 300 & echo $! > pid; wait; wait\"\ntimeout = \"1s\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("stubborn");
    assert_eq!(gate["status"], "timed_out");
    assert_eq!(gate["reason"], "timed out after 1s");
    assert_eq!(gate["exit_code"], serde_json::Value::Null);
    assert_gone(pid_in(&run, "shell-pid"));
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn background_processes_of_a_passing_gate_are_ended() {
    // The background sleep keeps neither the output pipe nor the shell busy.
    let run = Test::new()
        .config(
            "[settings]\nkill_grace = \"200ms\"\n\
             [gates.leaky]\nrun = \"sleep 300 > /dev/null 2>&1 & echo $! > pid; echo done\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("leaky")["status"], "passed");
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn background_processes_holding_the_output_are_ended() {
    let run = Test::new()
        .config(
            "[settings]\nkill_grace = \"200ms\"\n\
             [gates.leaky]\nrun = \"sleep 300 & echo $! > pid; echo done\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("leaky");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["output"], "done");
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn fail_fast_kills_the_cancelled_gates_group() {
    let run = Test::new()
        .config(&format!(
            "[settings]\nkill_grace = \"200ms\"\n\
             [gates.slow]\nrun = \"{GRANDCHILD}\"\ntimeout = \"10s\"\n\
             [gates.bad]\nrun = \"while [ ! -e started ]; do sleep 0.01; done; exit 1\"\ntimeout = \"10s\"\n"
        ))
        .args(&["run", "-j", "2", "--fail-fast", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("slow")["status"], "cancelled");
    assert_gone(pid_in(&run, "pid"));
}

/// `running` starts a grandchild and waits; with `-j 1`, `queued` and
/// `after` (which needs `running`) have not started.
fn interruptible() -> Test {
    Test::new().config(&format!(
        "[settings]\nkill_grace = \"200ms\"\n\
         [gates.running]\nrun = \"{GRANDCHILD}\"\ntimeout = \"10s\"\n\
         [gates.queued]\nrun = \"touch queued-ran\"\n\
         [gates.after]\nrun = \"touch after-ran\"\nneeds = [\"running\"]\n"
    ))
}

#[track_caller]
fn assert_interrupted(run: &Run) {
    let report = run.read_json("report.json");
    assert_eq!(report["outcome"], "fail");
    for gate in report["gates"].as_array().unwrap() {
        assert_eq!(gate["status"], "cancelled", "{gate}");
        assert!(gate["reason"].is_string(), "{gate}");
    }
    assert_eq!(report["counts"]["cancelled"], 3);
    assert!(!run.test.path().join("queued-ran").exists());
    assert!(!run.test.path().join("after-ran").exists());
    assert_gone(pid_in(run, "pid"));
}

#[test]
fn sigint_cancels_the_run_writes_the_report_and_exits_130() {
    let gate = interruptible()
        .args(&["run", "-j", "1", "--json", "report.json"])
        .spawn();
    gate.wait_for_file("started").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    assert_interrupted(&run);
    // The human report is still printed, and says the run failed.
    let run = run.stdout_has("FAIL").stdout_has("cancelled");
    assert_eq!(run.read_json("report.json")["gates"][0]["attempts"], 1);
}

#[test]
fn sigterm_cancels_the_run_writes_the_report_and_exits_130() {
    let gate = interruptible()
        .args(&["run", "-j", "1", "--json", "report.json"])
        .spawn();
    gate.wait_for_file("started").signal(libc::SIGTERM);
    let run = gate.wait().code(130);
    assert_interrupted(&run);
}

#[test]
fn an_interrupted_json_run_prints_the_report() {
    let gate = interruptible()
        .args(&["run", "-j", "1", "--format", "json"])
        .spawn();
    gate.wait_for_file("started").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    let report = run.stdout_json();
    assert_eq!(report["outcome"], "fail");
    assert_eq!(run.gate("running")["status"], "cancelled");
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn a_second_interrupt_kills_at_once() {
    // The command ignores SIGTERM and the grace period is far longer than
    // the harness waits, so only the second SIGINT can end it in time.
    let gate = Test::new()
        .config(
            "[settings]\nkill_grace = \"1h\"\n\
             [gates.stubborn]\nrun = \"trap '' TERM; sleep 300 & echo $! > pid; touch started; wait; wait\"\ntimeout = \"1h\"\n",
        )
        .args(&["run", "--json", "report.json"])
        .spawn();
    gate.wait_for_file("started").signal(libc::SIGINT);
    gate.wait_for_stderr("interrupted").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    assert_eq!(
        run.read_json("report.json")["gates"][0]["status"],
        "cancelled"
    );
    assert_gone(pid_in(&run, "pid"));
}

#[test]
fn huge_output_keeps_only_the_tail() {
    // ~300 MB through the pipe; the report keeps the last `output_lines`.
    let run = Test::new()
        .config(
            "[settings]\noutput_lines = 5\n\
             [gates.noisy]\nrun = \"yes 0123456789abcdef | head -c 300000000; echo; echo LAST-LINE; exit 1\"\ntimeout = \"2m\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let output = run.gate("noisy")["output"].as_str().unwrap().to_string();
    assert!(output.ends_with("\nLAST-LINE"), "{output}");
    assert!(output.lines().count() <= 5, "{output}");
    assert!(
        output.lines().rev().nth(2) == Some("0123456789abcdef"),
        "{output}"
    );
}

#[test]
fn huge_output_in_bounded_memory() {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("skipped: no /usr/bin/time to measure gate's memory");
        return;
    }
    let test = Test::new().config(
        "[gates.noisy]\nrun = \"yes 0123456789abcdef | head -c 300000000; echo; echo LAST-LINE; exit 1\"\ntimeout = \"2m\"\n",
    );
    let output = std::process::Command::new(time)
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_gate"))
        .args(["run", "--format", "json"])
        .current_dir(test.path())
        .env_remove("GATE_CONFIG")
        .output()
        .expect("/usr/bin/time runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some(kbytes) = stderr.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes): ")
    }) else {
        eprintln!("skipped: /usr/bin/time -v printed no maximum resident set size");
        return;
    };
    let kbytes: u64 = kbytes.trim().parse().unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        kbytes < 100 * 1024,
        "gate used {kbytes} KiB for 300 MB of output"
    );
}

#[test]
fn a_very_long_line_without_newline() {
    let run = Test::new()
        .config(
            "[gates.oneline]\nrun = \"head -c 50000000 /dev/zero | tr '\\\\0' x; exit 1\"\ntimeout = \"1m\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let output = run.gate("oneline")["output"].as_str().unwrap().to_string();
    assert!(!output.is_empty());
    // The kept piece of the line is cut to 1 KiB, the cut marked with `…`.
    let kept = output.strip_suffix('…').expect("the cut is marked");
    assert!(kept.bytes().all(|b| b == b'x'), "not only x");
    assert!(
        output.len() < 1_000_000,
        "the report keeps {} bytes of one line",
        output.len()
    );
}

#[test]
fn a_very_long_line_streams_in_pieces_with_verbose() {
    let run = Test::new()
        .config(
            "[gates.oneline]\nrun = \"head -c 5000000 /dev/zero | tr '\\\\0' x; echo; echo END\"\ntimeout = \"1m\"\n",
        )
        .args(&["run", "-v"])
        .run()
        .code(0);
    let stdout = run.stdout();
    let streamed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("oneline"))
        .collect();
    assert!(
        streamed.iter().any(|l| l.ends_with("END")),
        "{}",
        &stdout[stdout.len().saturating_sub(500)..]
    );
    let xs: usize = streamed
        .iter()
        .map(|l| l.bytes().filter(|&b| b == b'x').count())
        .sum();
    assert_eq!(xs, 5_000_000, "every byte of the long line is streamed");
}

#[test]
fn output_of_a_gate_with_a_grandchild_holding_the_pipe_after_timeout() {
    // The grandchild inherits the output pipe; killing the group closes it.
    let run = Test::new()
        .config(&format!(
            "[settings]\nkill_grace = \"200ms\"\n\
             [gates.slow]\nrun = \"echo before; {GRANDCHILD}\"\ntimeout = \"1s\"\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("slow")["output"], "before");
    wait_until("the grandchild to be gone", || {
        process_gone(pid_in(&run, "pid"))
    });
}

#[test]
fn an_interrupt_during_a_retry_delay_cancels_the_gate() {
    let gate = Test::new()
        .config(
            "[gates.flaky]\nrun = \"touch failed-once; exit 1\"\nretries = 3\nretry_delay = \"1h\"\n",
        )
        .args(&["run", "--format", "json"])
        .spawn();
    gate.wait_for_file("failed-once").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    let flaky = run.gate("flaky");
    assert_eq!(flaky["status"], "cancelled");
    assert_eq!(flaky["attempts"], 1);
}
