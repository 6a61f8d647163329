//! Statuses and exit codes of command and manual gates; retries, needs,
//! fail-fast, environment, working directory and shell.

use std::os::unix::fs::PermissionsExt;

use crate::Test;
use crate::harness::mkfifo;

#[test]
fn passing_gates_exit_zero() {
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run"])
        .run()
        .code(0)
        .stdout_has("PASS");
}

#[test]
fn a_passed_gate_in_the_report() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("ok");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["attempts"], 1);
    assert_eq!(gate["exit_code"], 0);
    assert_eq!(gate["reason"], serde_json::Value::Null);
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

#[test]
fn a_failing_blocking_gate_exits_one_with_its_exit_status() {
    let run = Test::new()
        .config("[gates.bad]\nrun = \"echo boom; exit 3\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("bad");
    assert_eq!(gate["status"], "failed");
    assert_eq!(gate["exit_code"], 3);
    assert_eq!(gate["reason"], "exit status 3");
    assert_eq!(gate["output"], "boom");
    assert_eq!(run.stdout_json()["outcome"], "fail");
}

#[test]
fn failed_output_is_the_tail_of_stdout_and_stderr_combined() {
    let run = Test::new()
        .config(
            "[settings]\noutput_lines = 3\n\
             [gates.bad]\nrun = \"echo one; echo two >&2; echo three; echo four >&2; exit 1\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("bad")["output"], "two\nthree\nfour");
}

#[test]
fn a_gate_past_its_timeout_is_timed_out() {
    let run = Test::new()
        .config(
            "[settings]\nkill_grace = \"100ms\"\n\
             [gates.slow]\nrun = \"echo started; sleep 30\"\ntimeout = \"300ms\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("slow");
    assert_eq!(gate["status"], "timed_out");
    assert_eq!(gate["reason"], "timed out after 300ms");
    assert_eq!(gate["exit_code"], serde_json::Value::Null);
    assert_eq!(gate["output"], "started");
}

#[test]
fn settings_timeout_applies_to_every_gate() {
    let run = Test::new()
        .config(
            "[settings]\ntimeout = \"300ms\"\nkill_grace = \"100ms\"\n\
             [gates.slow]\nrun = \"sleep 30\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("slow")["status"], "timed_out");
    assert_eq!(run.gate("slow")["reason"], "timed out after 300ms");
}

#[test]
fn a_missing_required_program_is_an_error_and_nothing_runs() {
    let run = Test::new()
        .config("[gates.tool]\nrun = \"touch ran\"\nrequires = [\"sh\", \"nope-xyz\"]\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("tool");
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["reason"], "program \"nope-xyz\" not found on PATH");
    assert_eq!(gate["attempts"], 0);
    assert_eq!(gate["exit_code"], serde_json::Value::Null);
    assert!(!run.test.path().join("ran").exists(), "the command ran");
}

#[test]
fn present_required_programs_let_the_gate_run() {
    Test::new()
        .config("[gates.tool]\nrun = \"touch ran\"\nrequires = [\"sh\", \"true\"]\n")
        .args(&["run"])
        .run()
        .code(0)
        .read("ran");
}

#[test]
fn a_shell_that_cannot_find_the_command_is_an_error() {
    let run = Test::new()
        .config("[gates.typo]\nrun = \"nope-xyz-command --version\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("typo");
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["exit_code"], 127);
    let reason = gate["reason"].as_str().unwrap();
    assert!(reason.contains("command not found"), "reason: {reason}");
}

#[test]
fn a_missing_working_directory_is_an_error_naming_it() {
    let run = Test::new()
        .config("[gates.lost]\nrun = \"true\"\ncwd = \"no-such-dir\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("lost");
    assert_eq!(gate["status"], "error");
    let reason = gate["reason"].as_str().unwrap();
    assert!(reason.contains("no-such-dir"), "reason: {reason}");
}

#[test]
fn a_gate_whose_need_failed_is_skipped_naming_the_need() {
    let run = Test::new()
        .config(
            "[gates.migrations]\nrun = \"exit 1\"\n\
             [gates.smoke]\nrun = \"touch ran\"\nneeds = [\"migrations\"]\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("smoke");
    assert_eq!(gate["status"], "skipped");
    assert_eq!(gate["attempts"], 0);
    let reason = gate["reason"].as_str().unwrap();
    assert!(reason.contains("migrations"), "reason: {reason}");
    assert!(
        !run.test.path().join("ran").exists(),
        "the skipped gate ran"
    );
}

#[test]
fn skipping_is_transitive() {
    let run = Test::new()
        .config(
            "[gates.a]\nrun = \"exit 1\"\n\
             [gates.b]\nrun = \"true\"\nneeds = [\"a\"]\n\
             [gates.c]\nrun = \"true\"\nneeds = [\"b\"]\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("c")["status"], "skipped");
    let reason = run.gate("c")["reason"].as_str().unwrap().to_string();
    assert!(reason.contains('b'), "reason: {reason}");
}

#[test]
fn a_manual_gate_is_pending_and_does_not_fail_the_run() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n[gates.signoff]\nmanual = true\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("signoff");
    assert_eq!(gate["status"], "pending");
    assert_eq!(gate["kind"], "manual");
    assert_eq!(gate["attempts"], 0);
    assert!(gate["reason"].is_string());
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

#[test]
fn an_acked_manual_gate_passes() {
    let run = Test::new()
        .config("[settings]\nrequire_manual = true\n[gates.signoff]\nmanual = true\n")
        .args(&["run", "--ack", "signoff", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("signoff")["status"], "passed");
    assert_eq!(run.gate("signoff")["reason"], serde_json::Value::Null);
}

#[test]
fn require_manual_makes_a_pending_gate_fail_the_run() {
    let run = Test::new()
        .config("[settings]\nrequire_manual = true\n[gates.signoff]\nmanual = true\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("signoff")["status"], "pending");
    assert_eq!(run.stdout_json()["outcome"], "fail");
}

#[test]
fn a_failed_warn_gate_never_fails_the_run() {
    let run = Test::new()
        .config(
            "[gates.ok]\nrun = \"true\"\n\
             [gates.advisory]\nrun = \"exit 1\"\nseverity = \"warn\"\n\
             [gates.slowish]\nrun = \"sleep 30\"\nseverity = \"warn\"\ntimeout = \"200ms\"\n\
             [gates.tool]\nrun = \"true\"\nseverity = \"warn\"\nrequires = [\"nope-xyz\"]\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("advisory")["status"], "failed");
    assert_eq!(run.gate("advisory")["severity"], "warn");
    assert_eq!(run.gate("slowish")["status"], "timed_out");
    assert_eq!(run.gate("tool")["status"], "error");
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

#[test]
fn a_skipped_gate_fails_the_run_even_when_the_failed_need_is_a_warning() {
    let run = Test::new()
        .config(
            "[gates.advisory]\nrun = \"exit 1\"\nseverity = \"warn\"\n\
             [gates.after]\nrun = \"true\"\nneeds = [\"advisory\"]\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("after")["status"], "skipped");
}

#[test]
fn usage_and_config_errors_exit_two() {
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "nope"])
        .run()
        .code(2);
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\ntimeout = \"soon\"\n")
        .args(&["run"])
        .run()
        .code(2);
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "--no-such-flag"])
        .run()
        .code(2);
}

// Retries.

/// A command that fails until its third attempt, counting attempts in `count`.
const PASSES_ON_THIRD_ATTEMPT: &str = r#"n=$(cat count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > count; echo attempt $n; [ $n -ge 3 ]"#;

#[test]
fn retries_rerun_a_failing_gate_until_it_passes() {
    let run = Test::new()
        .config(&format!(
            "[gates.flaky]\nrun = '{PASSES_ON_THIRD_ATTEMPT}'\nretries = 2\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("flaky");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["attempts"], 3);
    assert_eq!(run.read("count").trim(), "3");
}

#[test]
fn retries_run_out_and_report_the_last_attempt() {
    let run = Test::new()
        .config(&format!(
            "[gates.flaky]\nrun = '{PASSES_ON_THIRD_ATTEMPT}'\nretries = 1\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("flaky");
    assert_eq!(gate["status"], "failed");
    assert_eq!(gate["attempts"], 2);
    assert_eq!(gate["output"], "attempt 2");
    assert_eq!(run.read("count").trim(), "2");
}

#[test]
fn without_retries_a_gate_runs_once() {
    let run = Test::new()
        .config(&format!(
            "[gates.flaky]\nrun = '{PASSES_ON_THIRD_ATTEMPT}'\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("flaky")["attempts"], 1);
    assert_eq!(run.read("count").trim(), "1");
}

#[test]
fn retries_with_a_retry_delay() {
    let run = Test::new()
        .config(&format!(
            "[gates.flaky]\nrun = '{PASSES_ON_THIRD_ATTEMPT}'\nretries = 2\nretry_delay = \"20ms\"\n"
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("flaky")["status"], "passed");
    assert_eq!(run.gate("flaky")["attempts"], 3);
}

#[test]
fn retries_rerun_a_timed_out_gate() {
    let run = Test::new()
        .config(
            "[settings]\nkill_grace = \"100ms\"\n\
             [gates.slow]\nrun = \"echo x >> count; sleep 30\"\ntimeout = \"200ms\"\nretries = 1\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("slow");
    assert_eq!(gate["status"], "timed_out");
    assert_eq!(gate["attempts"], 2);
    assert_eq!(run.read("count"), "x\nx\n");
}

#[test]
fn retries_do_not_rerun_a_missing_required_program() {
    let run = Test::new()
        .config("[gates.tool]\nrun = \"touch ran\"\nrequires = [\"nope-xyz\"]\nretries = 3\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("tool");
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["attempts"], 0);
    assert_eq!(gate["reason"], "program \"nope-xyz\" not found on PATH");
}

// Needs.

#[test]
fn a_gate_runs_after_its_needs() {
    // `deploy` comes first in the file; it may only start once `build` passed.
    let run = Test::new()
        .config(
            "[gates.deploy]\nrun = \"test -f built && echo deploy >> log\"\nneeds = [\"build\"]\n\
             [gates.build]\nrun = \"echo build >> log && touch built\"\n",
        )
        .args(&["run", "-j", "4", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("deploy")["status"], "passed");
    assert_eq!(run.read("log"), "build\ndeploy\n");
}

#[test]
fn a_gate_starts_as_soon_as_its_own_needs_passed() {
    // `slow` blocks until `after-fast` writes to the FIFO. Were gates run
    // level by level, `after-fast` would wait for `slow` and `slow` would
    // time out.
    let test = Test::new().config(
        "[gates.slow]\nrun = \"read line < fifo && echo got $line\"\ntimeout = \"10s\"\n\
         [gates.fast]\nrun = \"true\"\n\
         [gates.after-fast]\nrun = \"echo go > fifo\"\nneeds = [\"fast\"]\ntimeout = \"10s\"\n",
    );
    mkfifo(&test.path().join("fifo"));
    let run = test
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("slow")["output"], "got go");
    assert_eq!(run.gate("after-fast")["status"], "passed");
}

#[test]
fn a_gate_waits_for_all_of_its_needs() {
    let run = Test::new()
        .config(
            "[gates.last]\nrun = \"test -f a && test -f b\"\nneeds = [\"a\", \"b\"]\n\
             [gates.a]\nrun = \"touch a\"\n\
             [gates.b]\nrun = \"touch b\"\n",
        )
        .args(&["run", "-j", "3", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("last")["status"], "passed");
}

#[test]
fn a_gate_may_need_an_acked_manual_gate_defined_after_it() {
    let gate = Test::new()
        .config(
            "[gates.deploy]\nrun = \"true\"\nneeds = [\"signoff\"]\n\
             [gates.signoff]\nmanual = true\n",
        )
        .args(&["run", "--ack", "signoff", "--format", "json"])
        .spawn();
    let run = gate.wait().code(0);
    assert_eq!(run.gate("deploy")["status"], "passed");
}

#[test]
fn a_gate_needing_a_later_skipped_gate_is_skipped() {
    let gate = Test::new()
        .config(
            "[gates.smoke]\nrun = \"true\"\nneeds = [\"deploy\"]\n\
             [gates.build]\nrun = \"exit 1\"\n\
             [gates.deploy]\nrun = \"true\"\nneeds = [\"build\"]\n",
        )
        .args(&["run", "--format", "json"])
        .spawn();
    let run = gate.wait().code(1);
    assert_eq!(run.gate("deploy")["status"], "skipped");
    assert_eq!(run.gate("smoke")["status"], "skipped");
}

// Fail-fast.

/// `slow` runs until cancelled; `bad` fails once `slow` has started; with
/// `-j 2`, `queued` waits for a free slot.
const FAIL_FAST: &str = "\
[settings]\nkill_grace = \"100ms\"\n\
[gates.slow]\nrun = \"touch slow-started; sleep 30\"\ntimeout = \"10s\"\n\
[gates.bad]\nrun = \"while [ ! -e slow-started ]; do sleep 0.01; done; exit 1\"\ntimeout = \"10s\"\n\
[gates.queued]\nrun = \"touch queued-ran\"\n";

#[track_caller]
fn assert_cancelled_by_fail_fast(run: &crate::harness::Run) {
    assert_eq!(run.gate("bad")["status"], "failed");
    for id in ["slow", "queued"] {
        let gate = run.gate(id);
        assert_eq!(gate["status"], "cancelled", "{id}\n{}", run.transcript());
        let reason = gate["reason"].as_str().unwrap();
        assert!(reason.contains("bad"), "{id}'s reason: {reason}");
    }
    assert_eq!(run.gate("slow")["attempts"], 1);
    assert_eq!(run.gate("queued")["attempts"], 0);
    assert!(!run.test.path().join("queued-ran").exists());
}

#[test]
fn fail_fast_cancels_running_and_queued_gates() {
    let run = Test::new()
        .config(FAIL_FAST)
        .args(&["run", "-j", "2", "--fail-fast", "--format", "json"])
        .run()
        .code(1);
    assert_cancelled_by_fail_fast(&run);
}

#[test]
fn settings_fail_fast_cancels_running_and_queued_gates() {
    let run = Test::new()
        .config(&FAIL_FAST.replace("[settings]\n", "[settings]\nfail_fast = true\n"))
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(1);
    assert_cancelled_by_fail_fast(&run);
}

/// With `-j 1`, `after` starts once `bad` has ended.
const FAIL_THEN_PASS: &str = "\
[settings]\nfail_fast = true\n\
[gates.bad]\nrun = \"exit 1\"\n\
[gates.after]\nrun = \"touch after-ran\"\n";

#[test]
fn no_fail_fast_overrides_settings() {
    let run = Test::new()
        .config(FAIL_THEN_PASS)
        .args(&["run", "-j", "1", "--no-fail-fast", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("bad")["status"], "failed");
    assert_eq!(run.gate("after")["status"], "passed");
    run.read("after-ran");
}

#[test]
fn without_fail_fast_every_gate_runs() {
    let run = Test::new()
        .config(&FAIL_THEN_PASS.replace("fail_fast = true", "fail_fast = false"))
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("after")["status"], "passed");
}

#[test]
fn fail_fast_triggers_on_a_timeout_and_an_error() {
    for failing in [
        "run = \"sleep 30\"\ntimeout = \"200ms\"\n",
        "run = \"true\"\nrequires = [\"nope-xyz\"]\n",
    ] {
        let run = Test::new()
            .config(&format!(
                "[settings]\nkill_grace = \"100ms\"\n[gates.bad]\n{failing}[gates.after]\nrun = \"true\"\n"
            ))
            .args(&["run", "-j", "1", "--fail-fast", "--format", "json"])
            .run()
            .code(1);
        assert_eq!(run.gate("after")["status"], "cancelled", "{failing}");
    }
}

#[test]
fn a_failed_warn_gate_does_not_trigger_fail_fast() {
    let run = Test::new()
        .config(
            "[gates.advisory]\nrun = \"exit 1\"\nseverity = \"warn\"\n\
             [gates.after]\nrun = \"true\"\n",
        )
        .args(&["run", "-j", "1", "--fail-fast", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("after")["status"], "passed");
}

// Environment, working directory, shell.

#[test]
fn env_and_gate_env_reach_the_command_with_defaults() {
    let run = Test::new()
        .config(
            "[env]\nGREETING = \"${GREETING_IN:-hello}\"\nTARGET = \"${TARGET_IN:-staging}\"\n\
             [gates.show]\nrun = 'echo \"$GREETING $WHO $TARGET $FULL\"; exit 1'\n\
             env = { WHO = \"${WHO_IN:-world}\", FULL = \"${GREETING}-${TARGET}\" }\n",
        )
        .env("TARGET_IN", "production")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(
        run.gate("show")["output"],
        "hello world production hello-production"
    );
}

#[test]
fn gate_env_overrides_the_global_env_and_the_process_env() {
    let run = Test::new()
        .config(
            "[env]\nSTAGE = \"global\"\nOTHER = \"global\"\n\
             [gates.show]\nrun = 'echo \"$STAGE $OTHER $INHERITED\"; exit 1'\nenv = { STAGE = \"gate\" }\n",
        )
        .env("OTHER", "process")
        .env("INHERITED", "inherited")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("show")["output"], "gate global inherited");
}

#[test]
fn commands_run_in_the_config_directory() {
    let run = Test::new()
        .config("[gates.here]\nrun = \"touch marker\"\n")
        .current_dir("deep/inside")
        .args(&["run"])
        .run()
        .code(0);
    run.read("marker");
}

#[test]
fn cwd_is_relative_to_the_config_directory() {
    let run = Test::new()
        .file(
            "project/gates.toml",
            "[gates.backend]\nrun = \"touch marker\"\ncwd = \"backend\"\n",
        )
        .file("project/backend/.keep", "")
        .current_dir("elsewhere")
        .args(&["-c", "../project/gates.toml", "run"])
        .run()
        .code(0);
    run.read("project/backend/marker");
}

#[test]
fn plain_commands_find_their_programs_as_the_shell_would() {
    // Started without a shell, each of these still finds what `sh -c` would:
    // a path relative to the gate's `cwd` (not the decoy beside the config),
    // a program on a relative PATH entry of the gate's own PATH, and one that
    // a needed gate made during the run. The shell is one that fails every
    // command, so a direct start that went wrong is not rescued by it.
    let config = r#"
[settings]
shell = ["./no-shell/sh", "-c"]

[gates.relative]
run = "./tools/say relative"
cwd = "backend"

[gates.own-path]
run = "say own-path"
env = { PATH = "bin:/usr/bin:/bin" }

[gates.make-tool]
run = "./bin/install-later"

[gates.made-during-the-run]
run = "later made"
env = { PATH = "late:/usr/bin:/bin" }
needs = ["make-tool"]
"#;
    let say = "#!/bin/sh\necho \"said $1 in ${PWD##*/}\"\n";
    let test = Test::new()
        .config(config)
        .file("no-shell/sh", "#!/bin/sh\necho 'the shell ran'\nexit 99\n")
        .file("tools/say", "#!/bin/sh\necho wrong\n")
        .file("backend/tools/say", say)
        .file("bin/say", say)
        .file(
            "bin/install-later",
            "#!/bin/sh\nmkdir -p late && cp bin/say late/later\n",
        );
    for script in [
        "no-shell/sh",
        "tools/say",
        "backend/tools/say",
        "bin/say",
        "bin/install-later",
    ] {
        let path = test.path().join(script);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = test.args(&["run", "--format", "json"]).run().code(0);
    let name = run
        .test
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(run.gate("relative")["output"], "said relative in backend");
    assert_eq!(
        run.gate("own-path")["output"],
        format!("said own-path in {name}")
    );
    assert_eq!(
        run.gate("made-during-the-run")["output"],
        format!("said made in {name}")
    );
}

#[test]
fn a_plain_command_whose_program_is_missing_is_left_to_the_shell() {
    let run = Test::new()
        .config("[gates.missing]\nrun = \"no-such-program-anywhere --flag\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let missing = run.gate("missing");
    assert_eq!(missing["exit_code"], 127, "{missing}");
    let output = missing["output"].as_str().unwrap();
    assert!(output.contains("no-such-program-anywhere"), "{missing}");
}

#[test]
fn cwd_is_interpolated() {
    let run = Test::new()
        .file("backend/.keep", "")
        .config("[gates.backend]\nrun = \"touch marker\"\ncwd = \"${APP_DIR:-backend}\"\n")
        .args(&["run"])
        .run()
        .code(0);
    run.read("backend/marker");
}

#[test]
fn run_is_expanded_by_the_shell_not_by_gate() {
    // Were gate to interpolate `run`, the unset variable would be a config
    // error and `$$` or the single-quoted text would not survive.
    let run = Test::new()
        .config(
            r#"[gates.shell]
run = '''echo "${FROM_PROCESS} ${UNSET_XYZ_42:-shell-default} [${UNSET_XYZ_42}]"; echo '${NOT_EXPANDED}'; echo pid=$$ | grep -E '^pid=[0-9]+$'; exit 1'''
"#,
        )
        .env("FROM_PROCESS", "from-process")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let output = run.gate("shell")["output"].as_str().unwrap().to_string();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], "from-process shell-default []", "{output}");
    assert_eq!(lines[1], "${NOT_EXPANDED}", "{output}");
    assert!(lines[2].starts_with("pid="), "{output}");
    assert_eq!(run.gate("shell")["exit_code"], 1);
}

#[test]
fn run_sees_env_values_through_the_shell() {
    let run = Test::new()
        .config(
            "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:8000}\"\n\
             [gates.url]\nrun = 'echo \"$API_URL/health\"; exit 1'\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("url")["output"], "http://127.0.0.1:8000/health");
}

#[test]
fn settings_shell_runs_the_command() {
    // `[[ ]]` and `${x^^}` are bash; dash, the default `sh` here, rejects them.
    let run = Test::new()
        .config(
            "[settings]\nshell = [\"bash\", \"-c\"]\n\
             [gates.bashism]\nrun = 'x=ok; [[ $x == ok ]] && echo \"${x^^}\" && exit 1'\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("bashism")["output"], "OK");
    assert_eq!(run.gate("bashism")["exit_code"], 1);
}

#[test]
fn settings_shell_with_more_arguments() {
    let run = Test::new()
        .config(
            "[settings]\nshell = [\"bash\", \"-o\", \"pipefail\", \"-c\"]\n\
             [gates.pipe]\nrun = \"false | true\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("pipe")["status"], "failed");
}

#[test]
fn a_command_killed_by_a_signal_failed_without_an_exit_code() {
    let run = Test::new()
        .config("[gates.crash]\nrun = \"kill -KILL $$\"\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("crash");
    assert_eq!(gate["status"], "failed");
    assert_eq!(gate["exit_code"], serde_json::Value::Null);
    let reason = gate["reason"].as_str().unwrap();
    assert!(reason.contains("signal 9"), "reason: {reason}");
}

#[test]
fn a_plain_command_runs_without_the_shell_with_the_same_result() {
    // No shell syntax: gate starts `ls` itself, as `sh -c` would have.
    let run = Test::new()
        .config("[gates.listing]\nrun = \"ls  --  no-such-file present.txt\"\n")
        .file("present.txt", "")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("listing");
    assert_eq!(gate["status"], "failed");
    assert_eq!(gate["exit_code"], 2);
    let output = gate["output"].as_str().unwrap();
    assert!(output.contains("no-such-file"), "output: {output}");
    assert!(output.contains("present.txt"), "output: {output}");
}

#[test]
fn a_plain_command_naming_a_shell_builtin_still_runs_in_the_shell() {
    Test::new()
        .config("[gates.builtin]\nrun = \"cd sub\"\n")
        .file("sub/keep", "")
        .args(&["run"])
        .run()
        .code(0);
}
