//! Statuses and exit codes of command and manual gates.

use crate::Test;

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
