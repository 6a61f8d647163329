//! `after`: a gate starts only once its `after` gates have ended, whatever
//! their status, when they are selected; it never brings them in and is
//! never skipped because of them.

use serde_json::json;

use crate::Test;
use crate::harness::{assert_ended, check_fails};

/// `logs` comes first in the file, so with `-j 1` it would start first
/// without `after`; it passes only when `probe` ran before it.
const LOG_CHECK: &str = "\
[gates.logs]\nname = \"No errors in the application log\"\n\
run = \"test -f probe-ran && touch logs-ran\"\nafter = [\"probe\"]\n\
[gates.probe]\nrun = \"touch probe-ran; exit 1\"\n";

#[test]
fn a_gate_runs_after_its_after_gate_failed() {
    let run = Test::new()
        .config(LOG_CHECK)
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("probe")["status"], "failed");
    let logs = run.gate("logs");
    assert_eq!(logs["status"], "passed", "{logs:#}");
    assert_eq!(logs["attempts"], 1);
    assert!(run.exists("logs-ran"));
}

#[test]
fn a_gate_never_overlaps_its_after_gate() {
    // `probe` waits for `logs` to start, which `after` forbids: `probe`
    // times out, and only then does `logs` start, and find `probe` started.
    // Were they to overlap, `probe` would pass, or `logs` would fail.
    let config = "\
[settings]\nkill_grace = \"0s\"\n\
[gates.logs]\nrun = \"touch logs-started; test -f probe-started\"\nafter = [\"probe\"]\n\
[gates.probe]\n\
run = \"touch probe-started; while [ ! -e logs-started ]; do sleep 0.01; done\"\n\
timeout = \"300ms\"\n";
    for jobs in ["1", "8"] {
        let run = Test::new()
            .config(config)
            .args(&["run", "-j", jobs, "--format", "json"])
            .run()
            .code(1);
        assert_eq!(run.gate("probe")["status"], "timed_out", "-j {jobs}");
        assert_eq!(run.gate("logs")["status"], "passed", "-j {jobs}");
    }
}

#[test]
fn a_gate_runs_after_its_after_gate_was_skipped() {
    let run = Test::new()
        .config(
            "[gates.logs]\nrun = \"test -f build-ran\"\nafter = [\"probe\"]\n\
             [gates.probe]\nrun = \"true\"\nneeds = [\"build\"]\n\
             [gates.build]\nrun = \"touch build-ran; exit 1\"\n",
        )
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("probe")["status"], "skipped");
    assert_eq!(run.gate("logs")["status"], "passed");
}

#[test]
fn a_gate_waits_for_every_after_gate() {
    let run = Test::new()
        .config(
            "[gates.logs]\nrun = \"test -f a && test -f b\"\nafter = [\"a\", \"b\"]\n\
             [gates.a]\nrun = \"touch a\"\n\
             [gates.b]\nrun = \"touch b; exit 1\"\n",
        )
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("logs")["status"], "passed");
}

#[test]
fn needs_still_skips_when_a_gate_is_in_both() {
    let run = Test::new()
        .config(
            "[gates.deploy]\nrun = \"touch deployed\"\nneeds = [\"build\"]\nafter = [\"build\"]\n\
             [gates.build]\nrun = \"exit 1\"\n",
        )
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("deploy")["status"], "skipped");
    assert!(!run.exists("deployed"));
}

#[test]
fn after_does_not_bring_its_gate_into_the_selection() {
    let run = Test::new()
        .config(&LOG_CHECK.replace("test -f probe-ran && ", ""))
        .args(&["run", "logs", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["logs"]);
    assert_eq!(run.gate("logs")["status"], "passed");
    assert!(!run.exists("probe-ran"), "the unselected gate ran");
}

#[test]
fn shards_split_a_gate_from_its_after_gate() {
    // Two gates joined only by `after` are two groups: one per shard, each
    // run without the other.
    let config = LOG_CHECK.replace("test -f probe-ran && ", "");
    for (shard, id, code) in [("1/2", "logs", 0), ("2/2", "probe", 1)] {
        let run = Test::new()
            .config(&config)
            .args(&["run", "--partition", shard, "--format", "json"])
            .run()
            .code(code);
        assert_eq!(run.ids(), [id], "shard {shard}");
    }
}

#[test]
fn fail_fast_cancels_a_gate_still_waiting_for_its_after_gate() {
    let run = Test::new()
        .config(LOG_CHECK)
        .args(&["run", "-j", "1", "--fail-fast", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("probe")["status"], "failed");
    let logs = run.gate("logs");
    assert_ended(
        &logs,
        "cancelled",
        "cancelled by fail-fast after `probe` failed",
    );
    assert_eq!(logs["attempts"], 0);
    assert!(!run.exists("logs-ran"));
}

// --- gate list and --dry-run -------------------------------------------------------

/// `logs` waits for `migrations` (needs) and `probe` (after), which comes
/// last: by needs alone, `logs` would start before it.
const ORDERED: &str = "\
[gates.logs]\nrun = \"true\"\nneeds = [\"migrations\"]\nafter = [\"probe\"]\n\
[gates.migrations]\nrun = \"true\"\n\
[gates.probe]\nrun = \"true\"\n";

#[test]
fn dry_run_starts_a_gate_after_its_after_gates() {
    Test::new()
        .config(ORDERED)
        .args(&["run", "--dry-run", "-j", "4"])
        .run()
        .code(0)
        .stdout_is(
            "gate: would run 3 gates, 4 at once (dry run; nothing was run)\n\
             \x20  1. migrations  $ true\n\
             \x20  2. probe  $ true\n\
             \x20  3. logs (after migrations, probe)  $ true\n",
        );
}

#[test]
fn dry_run_leaves_out_an_after_gate_that_is_not_selected() {
    Test::new()
        .config(ORDERED)
        .args(&["run", "--dry-run", "-j", "4", "logs"])
        .run()
        .code(0)
        .stdout_is(
            "gate: would run 2 gates, 4 at once (dry run; nothing was run)\n\
             \x20  1. migrations  $ true\n\
             \x20  2. logs (after migrations)  $ true\n",
        );
}

#[test]
fn list_shows_after_beside_needs() {
    Test::new()
        .config(ORDERED)
        .args(&["list"])
        .run()
        .code(0)
        .stdout_is(
            "logs        command  logs  needs migrations  after probe\n\
             migrations  command  migrations\n\
             probe       command  probe\n",
        );
}

#[test]
fn list_json_has_after_beside_needs() {
    let run = Test::new()
        .config(ORDERED)
        .args(&["list", "--format", "json", "logs"])
        .run()
        .code(0);
    let list = run.stdout_json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["logs", "migrations"],
        "after brings nothing into the list"
    );
    let logs = &list[0];
    assert_eq!(logs["needs"], json!(["migrations"]));
    assert_eq!(logs["after"], json!(["probe"]));
}

// --- config errors -----------------------------------------------------------------

#[test]
fn after_naming_an_unknown_gate_suggests_the_closest() {
    check_fails(
        "[gates.probe]\nrun = \"true\"\n\n[gates.logs]\nrun = \"true\"\nafter = [\"prboe\"]\n",
        r#"error: gate `logs` runs after `prboe`, which is not a gate; did you mean `probe`?
 --> gates.toml:6:10
  |
6 | after = ["prboe"]
  |          ^^^^^^^"#,
    );
}

#[test]
fn a_gate_after_itself_is_a_cycle() {
    check_fails(
        "[gates.logs]\nrun = \"true\"\nafter = [\"logs\"]\n",
        r#"error: after cycle: logs -> logs
 --> gates.toml:1:8
  |
1 | [gates.logs]
  |        ^^^^
  = help: remove one of these `after` so the gates can run in some order"#,
    );
}

#[test]
fn a_cycle_through_needs_and_after_is_an_error() {
    check_fails(
        "[gates.logs]\nrun = \"true\"\nafter = [\"probe\"]\n\n\
         [gates.probe]\nrun = \"true\"\nneeds = [\"logs\"]\n",
        r#"error: needs and after cycle: logs -> probe -> logs
 --> gates.toml:1:8
  |
1 | [gates.logs]
  |        ^^^^
  = help: remove one of these `needs` or `after` so the gates can run in some order"#,
    );
}
