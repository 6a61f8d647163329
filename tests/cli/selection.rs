//! Selection and the plan: which gates a run covers, in which order, how
//! many at once, and what `gate list` and `--dry-run` show of it.

use serde_json::json;

use crate::Test;

/// A checklist with sections, tags, needs, a warn gate and a manual gate.
const CHECKLIST: &str = r#"
[settings]
concurrency = 4

[profiles.nightly]
tags = ["slow"]
skip_tags = ["flaky"]

[profiles.pr]
skip_tags = ["slow"]

[gates.build]
section = "Build"
tags = ["ci"]
run = "true"

[gates.migrations]
section = "Database"
tags = ["db"]
run = "true"
needs = ["build"]

[gates.e2e]
name = "End-to-end suite"
section = "Testing"
tags = ["slow", "ci"]
run = "true"
needs = ["migrations"]

[gates.fuzz]
section = "Testing"
tags = ["slow", "flaky"]
run = "true"
severity = "warn"

[gates.lint]
section = "Build"
tags = ["ci", "fast"]
run = "true"

[gates.signoff]
name = "Team notified"
section = "Sign-off"
manual = true
"#;

/// The ids in the JSON report of `gate run ARGS --format json` on the checklist.
#[track_caller]
fn selected(args: &[&str]) -> Vec<String> {
    selected_with(Test::new(), args)
}

/// Like [`selected`], with a prepared `Test` (environment variables).
#[track_caller]
fn selected_with(test: Test, args: &[&str]) -> Vec<String> {
    test.config(CHECKLIST)
        .args(&["run", "--format", "json"])
        .args(args)
        .run()
        .code(0)
        .ids()
}

/// `gate run ARGS` on the checklist exits 2, prints nothing on stdout and
/// exactly `expected` (plus a newline) on stderr.
#[track_caller]
fn usage_error(args: &[&str], expected: &str) {
    Test::new()
        .config(CHECKLIST)
        .args(args)
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(&format!("{expected}\n"));
}

// --- positional ids, tags, sections, profiles --------------------------------

#[test]
fn no_selection_runs_every_gate_in_config_order() {
    assert_eq!(
        selected(&[]),
        ["build", "migrations", "e2e", "fuzz", "lint", "signoff"]
    );
}

#[test]
fn a_named_gate_brings_in_its_transitive_needs() {
    assert_eq!(selected(&["e2e"]), ["build", "migrations", "e2e"]);
}

#[test]
fn several_named_gates_keep_config_order() {
    assert_eq!(
        selected(&["lint", "migrations"]),
        ["build", "migrations", "lint"]
    );
}

#[test]
fn a_gate_named_twice_runs_once() {
    assert_eq!(selected(&["build", "build"]), ["build"]);
}

#[test]
fn tags_select_any_of() {
    assert_eq!(
        selected(&["--tag", "fast", "-t", "db"]),
        ["build", "migrations", "lint"]
    );
}

#[test]
fn skip_tag_leaves_gates_out() {
    assert_eq!(
        selected(&["--skip-tag", "slow"]),
        ["build", "migrations", "lint", "signoff"]
    );
}

#[test]
fn needs_are_brought_in_whatever_their_tags() {
    // migrations carries the skipped tag `db`, but e2e needs it.
    assert_eq!(
        selected(&["--tag", "slow", "--skip-tag", "flaky", "--skip-tag", "db"]),
        ["build", "migrations", "e2e"]
    );
}

#[test]
fn sections_select_any_of() {
    assert_eq!(
        selected(&["--section", "Build", "--section", "Sign-off"]),
        ["build", "lint", "signoff"]
    );
}

#[test]
fn section_brings_in_needs_from_other_sections() {
    assert_eq!(
        selected(&["--section", "Testing"]),
        ["build", "migrations", "e2e", "fuzz"]
    );
}

#[test]
fn named_gates_are_filtered_by_tag() {
    assert_eq!(selected(&["build", "lint", "--tag", "fast"]), ["lint"]);
}

#[test]
fn profile_applies_its_tags_and_skip_tags() {
    assert_eq!(
        selected(&["--profile", "nightly"]),
        ["build", "migrations", "e2e"]
    );
    assert_eq!(
        selected(&["-p", "pr"]),
        ["build", "migrations", "lint", "signoff"]
    );
}

#[test]
fn profile_and_tag_both_filter() {
    assert_eq!(
        selected(&["--profile", "pr", "--tag", "ci"]),
        ["build", "lint"]
    );
}

#[test]
fn gate_profile_variable_selects_the_profile() {
    assert_eq!(
        selected_with(Test::new().env("GATE_PROFILE", "nightly"), &[]),
        ["build", "migrations", "e2e"]
    );
}

#[test]
fn profile_flag_beats_gate_profile() {
    assert_eq!(
        selected_with(
            Test::new().env("GATE_PROFILE", "pr"),
            &["--profile", "nightly"]
        ),
        ["build", "migrations", "e2e"]
    );
}

#[test]
fn profile_flag_beats_an_unknown_gate_profile() {
    assert_eq!(
        selected_with(
            Test::new().env("GATE_PROFILE", "no-such-profile"),
            &["--profile", "nightly"]
        ),
        ["build", "migrations", "e2e"]
    );
}

#[test]
fn empty_gate_profile_counts_as_unset() {
    // As for $GATE_CONFIG: CI systems set variables to "" when an input is blank.
    assert_eq!(
        selected_with(Test::new().env("GATE_PROFILE", ""), &[]),
        ["build", "migrations", "e2e", "fuzz", "lint", "signoff"]
    );
}

#[test]
fn gates_left_out_are_not_in_the_report() {
    let run = Test::new()
        .config(CHECKLIST)
        .args(&["run", "lint", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["lint"]);
    assert_eq!(run.stdout_json()["counts"]["passed"], 1);
}

// --- unknown names on the command line -------------------------------------------

#[test]
fn unknown_gate_id_suggests_the_closest() {
    usage_error(
        &["run", "e2f"],
        "error: unknown gate `e2f`, did you mean `e2e`?",
    );
}

#[test]
fn unknown_gate_id_with_nothing_close_lists_the_gates() {
    usage_error(
        &["run", "deploy-prod"],
        "error: unknown gate `deploy-prod` (expected one of `build`, `migrations`, `e2e`, \
         `fuzz`, `lint`, `signoff`)",
    );
}

#[test]
fn unknown_tag_suggests_the_closest() {
    usage_error(
        &["run", "--tag", "sloww"],
        "error: unknown tag `sloww`, did you mean `slow`?",
    );
}

#[test]
fn unknown_skip_tag_suggests_the_closest() {
    usage_error(
        &["run", "--skip-tag", "flakey"],
        "error: unknown tag `flakey`, did you mean `flaky`?",
    );
}

#[test]
fn unknown_section_suggests_the_closest() {
    usage_error(
        &["run", "--section", "Testin"],
        "error: unknown section `Testin`, did you mean `Testing`?",
    );
}

#[test]
fn unknown_profile_suggests_the_closest() {
    usage_error(
        &["run", "--profile", "nigthly"],
        "error: unknown profile `nigthly`, did you mean `nightly`?",
    );
}

#[test]
fn unknown_profile_from_gate_profile_exits_two() {
    Test::new()
        .config(CHECKLIST)
        .env("GATE_PROFILE", "nigthly")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_is("error: unknown profile `nigthly`, did you mean `nightly`?\n");
}

#[test]
fn unknown_ack_suggests_the_closest_manual_gate() {
    usage_error(
        &["run", "--ack", "signof"],
        "error: unknown manual gate `signof`, did you mean `signoff`?",
    );
}

#[test]
fn ack_of_a_gate_that_is_not_manual_exits_two() {
    usage_error(
        &["run", "--ack", "lint"],
        "error: --ack `lint`: gate `lint` is not a manual gate",
    );
}

#[test]
fn unknown_names_are_checked_by_gate_list_too() {
    Test::new()
        .config(CHECKLIST)
        .args(&["list", "--tag", "sloww"])
        .run()
        .code(2)
        .stderr_is("error: unknown tag `sloww`, did you mean `slow`?\n");
}

#[test]
fn an_unknown_name_runs_nothing() {
    let run = Test::new()
        .config("[gates.touch]\nrun = \"touch ran.txt\"\n")
        .args(&["run", "touch", "tuch"])
        .run()
        .code(2)
        .stderr_is("error: unknown gate `tuch`, did you mean `touch`?\n");
    assert!(!run.exists("ran.txt"));
}

#[test]
fn zero_jobs_is_a_usage_error() {
    Test::new()
        .config(CHECKLIST)
        .args(&["run", "-j", "0"])
        .run()
        .code(2)
        .stderr_has("'--jobs <N>'");
}

// --- --dry-run ---------------------------------------------------------------------

#[test]
fn dry_run_prints_the_plan_in_needs_order_and_runs_nothing() {
    let run = Test::new()
        .config(
            r#"
[settings]
concurrency = 2

[gates.deploy]
run = "touch deployed.txt"
needs = ["migrations", "build"]

[gates.migrations]
run = "touch migrated.txt"
needs = ["build"]

[gates.build]
run = "touch built.txt"

[gates.signoff]
manual = true
"#,
        )
        .args(&["run", "--dry-run", "--json", "r.json"])
        .run()
        .code(0)
        .stderr_is("")
        .stdout_is(
            "gate: would run 4 gates, 2 at once (dry run; nothing was run)\n\
             \x20  1. build  $ touch built.txt\n\
             \x20  2. migrations (after build)  $ touch migrated.txt\n\
             \x20  3. deploy (after migrations, build)  $ touch deployed.txt\n\
             \x20  4. signoff  manual, awaits gate ack or --ack\n",
        );
    for file in ["built.txt", "migrated.txt", "deployed.txt", "r.json"] {
        assert!(!run.exists(file), "--dry-run left {file}");
    }
}

#[test]
fn dry_run_shows_the_selection_and_acks() {
    Test::new()
        .config(CHECKLIST)
        .args(&["run", "--dry-run", "e2e", "signoff", "--ack", "signoff"])
        .run()
        .code(0)
        .stdout_is(
            "gate: would run 4 gates, 4 at once (dry run; nothing was run)\n\
             \x20  1. build  $ true\n\
             \x20  2. migrations (after build)  $ true\n\
             \x20  3. e2e (after migrations)  $ true\n\
             \x20  4. signoff  manual, acked\n",
        );
}

#[test]
fn dry_run_exits_zero_even_if_a_gate_would_fail() {
    Test::new()
        .config("[gates.broken]\nrun = \"exit 1\"\n")
        .args(&["run", "--dry-run", "--format", "json"])
        .run()
        .code(0)
        .stdout_has("1. broken");
}

#[test]
fn dry_run_still_checks_the_selection() {
    Test::new()
        .config(CHECKLIST)
        .args(&["run", "--dry-run", "--tag", "sloww"])
        .run()
        .code(2)
        .stdout_is("");
}

// --- concurrency: -j beats the profile, which beats [settings] -----------------------

/// A gate that waits until `n` gates have started: it only passes when at
/// least `n` gates run at once (else it times out, so the test fails rather
/// than hangs).
fn barrier_gate(id: &str, n: usize) -> String {
    format!(
        "[gates.{id}]\nrun = 'touch started/{id}; until set -- started/*; [ $# -ge {n} ]; do :; done'\n"
    )
}

/// `[settings]` with `concurrency` and a timeout that bounds the barrier.
fn barrier_config(settings_concurrency: usize, profile: &str, gates: &[&str], n: usize) -> String {
    let mut toml = format!(
        "[settings]\nconcurrency = {settings_concurrency}\ntimeout = \"20s\"\n\n{profile}\n"
    );
    for id in gates {
        toml.push_str(&barrier_gate(id, n));
    }
    toml
}

#[test]
fn settings_concurrency_runs_gates_at_once() {
    Test::new()
        .config(&barrier_config(3, "", &["a", "b", "c"], 3))
        .file("started/.keep", "")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
}

#[test]
fn profile_concurrency_beats_settings() {
    let profile = "[profiles.wide]\nconcurrency = 2\n";
    Test::new()
        .config(&barrier_config(1, profile, &["a", "b"], 2))
        .file("started/.keep", "")
        .args(&["run", "--profile", "wide", "--format", "json"])
        .run()
        .code(0);
}

#[test]
fn jobs_flag_beats_profile_and_settings() {
    let profile = "[profiles.narrow]\nconcurrency = 1\n";
    Test::new()
        .config(&barrier_config(1, profile, &["a", "b"], 2))
        .file("started/.keep", "")
        .args(&["run", "--profile", "narrow", "-j", "2", "--format", "json"])
        .run()
        .code(0);
}

#[test]
fn jobs_one_runs_gates_one_at_a_time() {
    // `first` waits for `second` to start; with one slot it never can, so
    // `first` times out, and only then does `second` run.
    let run = Test::new()
        .config(
            "[settings]\nconcurrency = 4\n\n[profiles.wide]\nconcurrency = 4\n\n\
             [gates.first]\nrun = 'touch started/first; until [ -e started/second ]; do :; done'\n\
             timeout = \"1s\"\n\n\
             [gates.second]\nrun = 'touch started/second'\n",
        )
        .file("started/.keep", "")
        .args(&["run", "-j", "1", "--profile", "wide", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("first")["status"], "timed_out");
    assert_eq!(run.gate("second")["status"], "passed");
}

#[test]
fn dry_run_header_states_the_concurrency_in_effect() {
    let config = "[settings]\nconcurrency = 1\n\n[profiles.ci]\nconcurrency = 2\n\n\
                  [gates.lint]\nrun = \"true\"\n\n[gates.test]\nrun = \"true\"\n";
    let header = |test: Test, args: &[&str]| {
        let run = test
            .config(config)
            .args(&["run", "--dry-run"])
            .args(args)
            .run()
            .code(0);
        run.stdout().lines().next().unwrap_or_default().to_owned()
    };
    let at_once =
        |n: usize| format!("gate: would run 2 gates, {n} at once (dry run; nothing was run)");
    assert_eq!(header(Test::new(), &[]), at_once(1));
    assert_eq!(header(Test::new(), &["--profile", "ci"]), at_once(2));
    assert_eq!(
        header(Test::new().env("GATE_PROFILE", "ci"), &[]),
        at_once(2)
    );
    assert_eq!(
        header(Test::new(), &["--profile", "ci", "-j", "3"]),
        at_once(3)
    );
    assert_eq!(header(Test::new(), &["--jobs", "5"]), at_once(5));
}

// --- other profile overrides ---------------------------------------------------------

#[test]
fn profile_timeout_overrides_settings() {
    let run = Test::new()
        .config(
            "[settings]\ntimeout = \"10m\"\n\n[profiles.quick]\ntimeout = \"200ms\"\n\n\
             [gates.hang]\nrun = \"sleep 30\"\n",
        )
        .args(&["run", "--profile", "quick", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("hang");
    assert_eq!(gate["status"], "timed_out");
    assert_eq!(gate["reason"], "timed out after 200ms");
}

/// One slot, so `bad` (first in config order) ends before `later` starts.
const FAIL_FAST: &str = "[settings]\nconcurrency = 1\nfail_fast = false\n\n\
                         [profiles.strict]\nfail_fast = true\n\n\
                         [gates.bad]\nrun = \"exit 1\"\n\n[gates.later]\nrun = \"touch later.txt\"\n";

#[test]
fn profile_fail_fast_overrides_settings() {
    let run = Test::new()
        .config(FAIL_FAST)
        .args(&["run", "--profile", "strict", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("bad")["status"], "failed");
    assert_eq!(run.gate("later")["status"], "cancelled");
    assert!(!run.exists("later.txt"));
}

#[test]
fn no_fail_fast_flag_beats_the_profile() {
    let run = Test::new()
        .config(FAIL_FAST)
        .args(&[
            "run",
            "--profile",
            "strict",
            "--no-fail-fast",
            "--format",
            "json",
        ])
        .run()
        .code(1);
    assert_eq!(run.gate("later")["status"], "passed");
    assert!(run.exists("later.txt"));
}

#[test]
fn without_the_profile_settings_apply() {
    let run = Test::new()
        .config(FAIL_FAST)
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("later")["status"], "passed");
}

// --- gate list -----------------------------------------------------------------------

#[test]
fn list_shows_sections_and_gates() {
    Test::new()
        .config(CHECKLIST)
        .args(&["list"])
        .run()
        .code(0)
        .stderr_is("")
        .stdout_is(
            "Build\n\
             \x20 build       command  build  [ci]\n\
             \x20 lint        command  lint  [ci, fast]\n\
             Database\n\
             \x20 migrations  command  migrations  [db]  needs build\n\
             Testing\n\
             \x20 e2e         command  End-to-end suite  [slow, ci]  needs migrations\n\
             \x20 fuzz        command  fuzz  [slow, flaky]  (warn)\n\
             Sign-off\n\
             \x20 signoff     manual   Team notified\n",
        );
}

#[test]
fn list_puts_gates_without_a_section_first() {
    Test::new()
        .config(
            "[gates.deploy]\nsection = \"Release\"\nrun = \"true\"\n\n\
             [gates.smoke]\nrun = \"true\"\n",
        )
        .args(&["list"])
        .run()
        .code(0)
        .stdout_is("smoke   command  smoke\nRelease\n  deploy  command  deploy\n");
}

#[test]
fn list_json_is_an_array_in_config_order() {
    let run = Test::new()
        .config(CHECKLIST)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(
        run.stdout_json(),
        json!([
            {"id": "build", "name": "build", "section": "Build", "tags": ["ci"],
             "kind": "command", "severity": "block", "needs": [], "after": [], "services": [], "slots": 1},
            {"id": "migrations", "name": "migrations", "section": "Database", "tags": ["db"],
             "kind": "command", "severity": "block", "needs": ["build"], "after": [], "services": [], "slots": 1},
            {"id": "e2e", "name": "End-to-end suite", "section": "Testing", "tags": ["slow", "ci"],
             "kind": "command", "severity": "block", "needs": ["migrations"], "after": [], "services": [], "slots": 1},
            {"id": "fuzz", "name": "fuzz", "section": "Testing", "tags": ["slow", "flaky"],
             "kind": "command", "severity": "warn", "needs": [], "after": [], "services": [], "slots": 1},
            {"id": "lint", "name": "lint", "section": "Build", "tags": ["ci", "fast"],
             "kind": "command", "severity": "block", "needs": [], "after": [], "services": [], "slots": 1},
            {"id": "signoff", "name": "Team notified", "section": "Sign-off", "tags": [],
             "kind": "manual", "severity": "block", "needs": [], "after": [], "services": [], "slots": 1},
        ])
    );
}

#[test]
fn list_json_section_is_null_when_absent() {
    let run = Test::new()
        .config("[gates.smoke]\nrun = \"true\"\n")
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(
        run.stdout_json(),
        json!([{"id": "smoke", "name": "smoke", "section": null, "tags": [],
                "kind": "command", "severity": "block", "needs": [], "after": [], "services": [], "slots": 1}])
    );
}

#[test]
fn list_tag_filters_and_brings_in_needs() {
    let run = Test::new()
        .config(CHECKLIST)
        .args(&["list", "--tag", "slow", "--format", "json"])
        .run()
        .code(0);
    let list = run.stdout_json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|g| g["id"].as_str().expect("string id"))
        .collect();
    assert_eq!(ids, ["build", "migrations", "e2e", "fuzz"]);
}

#[test]
fn list_human_with_a_tag() {
    Test::new()
        .config(CHECKLIST)
        .args(&["list", "--tag", "fast"])
        .run()
        .code(0)
        .stdout_is("Build\n  lint  command  lint  [ci, fast]\n");
}

// --- manual gates and --ack ------------------------------------------------------------

#[test]
fn a_manual_gate_is_pending_without_ack_and_the_run_passes() {
    let run = Test::new()
        .config(CHECKLIST)
        .args(&["run", "signoff", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("signoff");
    assert_eq!(gate["status"], "pending");
    assert_eq!(gate["attempts"], 0);
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

#[test]
fn ack_makes_a_manual_gate_passed() {
    let run = Test::new()
        .config(CHECKLIST)
        .args(&["run", "signoff", "--ack", "signoff", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("signoff");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["reason"], serde_json::Value::Null);
}

#[test]
fn require_manual_fails_the_run_on_a_pending_manual_gate() {
    let config = "[settings]\nrequire_manual = true\n\n[gates.lint]\nrun = \"true\"\n\n\
                  [gates.signoff]\nmanual = true\n";
    let run = Test::new()
        .config(config)
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("signoff")["status"], "pending");
    assert_eq!(run.stdout_json()["outcome"], "fail");

    Test::new()
        .config(config)
        .args(&["run", "--ack", "signoff"])
        .run()
        .code(0);
}

#[test]
fn profile_can_require_manual_sign_off() {
    let config = "[profiles.release]\nrequire_manual = true\n\n[gates.signoff]\nmanual = true\n";
    Test::new().config(config).args(&["run"]).run().code(0);
    Test::new()
        .config(config)
        .args(&["run", "--profile", "release"])
        .run()
        .code(1);
}

#[test]
fn ack_is_repeatable() {
    let run = Test::new()
        .config(
            "[settings]\nrequire_manual = true\n\n[gates.notified]\nmanual = true\n\n\
             [gates.approved]\nmanual = true\n",
        )
        .args(&[
            "run", "--ack", "notified", "--ack", "approved", "--format", "json",
        ])
        .run()
        .code(0);
    assert_eq!(run.gate("notified")["status"], "passed");
    assert_eq!(run.gate("approved")["status"], "passed");
}
