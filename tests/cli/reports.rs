//! Reports: the JSON report field for field, the human checklist, `-q`,
//! `-v`, and colours.

use serde_json::Value;

use crate::Test;
use crate::harness::{is_rfc3339, mkfifo};

/// One gate of every status a command or manual gate can end with. Run with
/// `-j 1`: the warn gates end before `bad` fails fast and cancels `cancelled`.
const EVERY_STATUS: &str = r#"
[settings]
kill_grace = "100ms"
fail_fast = true

[gates.build]
name = "Build succeeds"
section = "Build"
tags = ["ci", "fast"]
run = "true"

[gates.unit]
name = "Unit tests"
section = "Testing"
run = "echo 'test a ... ok'; echo 'test b ... FAILED' >&2; exit 101"
severity = "warn"

[gates.slow]
section = "Testing"
run = "sleep 30"
timeout = "300ms"
severity = "warn"

[gates.tool]
run = "true"
requires = ["nope-xyz"]
severity = "warn"

[gates.smoke]
run = "true"
needs = ["unit"]

[gates.signoff]
section = "Sign-off"
manual = true

[gates.bad]
run = "exit 1"
needs = ["build"]

[gates.cancelled]
run = "true"
"#;

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn the_json_report_has_every_top_level_field() {
    let run = Test::new()
        .config(EVERY_STATUS)
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    let report = run.stdout_json();
    assert_eq!(
        keys(&report),
        [
            "config",
            "counts",
            "duration_ms",
            "gates",
            "outcome",
            "partition",
            "services",
            "signoff_fields",
            "started_at",
            "tool",
            "version"
        ]
    );
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"], "gate 0.1.0");
    assert_eq!(report["config"], "gates.toml");
    let started_at = report["started_at"].as_str().unwrap();
    assert!(is_rfc3339(started_at), "started_at: {started_at}");
    assert!(report["duration_ms"].is_u64(), "{}", report["duration_ms"]);
    assert_eq!(report["outcome"], "fail");
    assert_eq!(report["partition"], Value::Null);
    assert_eq!(report["services"], serde_json::json!([]));
    assert_eq!(
        report["counts"],
        serde_json::json!({
            "passed": 1, "failed": 2, "timed_out": 1, "error": 1,
            "skipped": 1, "cancelled": 1, "pending": 1
        })
    );
}

#[test]
fn the_json_report_has_every_gate_field() {
    let run = Test::new()
        .config(EVERY_STATUS)
        .args(&["run", "-j", "1", "--format", "json"])
        .run()
        .code(1);
    let report = run.stdout_json();
    for gate in report["gates"].as_array().unwrap() {
        assert_eq!(
            keys(gate),
            [
                "attempts",
                "duration_ms",
                "exit_code",
                "failures",
                "id",
                "kind",
                "name",
                "output",
                "reason",
                "section",
                "severity",
                "signoff",
                "stats",
                "status",
                "tags"
            ],
            "{gate}"
        );
        assert!(gate["duration_ms"].is_u64(), "{gate}");
        assert!(gate["attempts"].is_u64(), "{gate}");
        assert!(gate["tags"].is_array(), "{gate}");
        assert!(gate["output"].is_string(), "{gate}");
        assert!(gate["failures"].is_array(), "{gate}");
        assert_eq!(gate["stats"], Value::Null, "no load gate: {gate}");
        assert!(gate["section"].is_string() || gate["section"].is_null());
        match gate["status"].as_str().unwrap() {
            "passed" => assert_eq!(gate["reason"], Value::Null, "{gate}"),
            _ => assert!(gate["reason"].is_string(), "{gate}"),
        }
    }

    let build = run.gate("build");
    assert_eq!(build["name"], "Build succeeds");
    assert_eq!(build["section"], "Build");
    assert_eq!(build["tags"], serde_json::json!(["ci", "fast"]));
    assert_eq!(build["kind"], "command");
    assert_eq!(build["severity"], "block");
    assert_eq!(build["status"], "passed");
    assert_eq!(build["reason"], Value::Null);
    assert_eq!(build["output"], "");
    assert_eq!(build["failures"], serde_json::json!([]));

    let unit = run.gate("unit");
    assert_eq!(unit["severity"], "warn");
    assert_eq!(unit["status"], "failed");
    assert_eq!(unit["exit_code"], 101);
    assert_eq!(unit["reason"], "exit status 101");
    assert_eq!(unit["output"], "test a ... ok\ntest b ... FAILED");

    let slow = run.gate("slow");
    assert_eq!(slow["name"], "slow", "the name defaults to the id");
    assert_eq!(slow["status"], "timed_out");
    assert_eq!(slow["exit_code"], Value::Null);
    assert_eq!(slow["reason"], "timed out after 300ms");

    let tool = run.gate("tool");
    assert_eq!(tool["section"], Value::Null);
    assert_eq!(tool["tags"], serde_json::json!([]));
    assert_eq!(tool["status"], "error");
    assert_eq!(tool["attempts"], 0);
    assert_eq!(tool["exit_code"], Value::Null);

    assert_eq!(run.gate("smoke")["status"], "skipped");
    assert_eq!(run.gate("smoke")["attempts"], 0);
    assert_eq!(run.gate("smoke")["output"], "");

    let signoff = run.gate("signoff");
    assert_eq!(signoff["kind"], "manual");
    assert_eq!(signoff["status"], "pending");
    assert_eq!(signoff["exit_code"], Value::Null);

    assert_eq!(run.gate("cancelled")["status"], "cancelled");
    assert_eq!(run.gate("bad")["status"], "failed");
}

#[test]
fn gates_are_in_config_order_not_finish_order() {
    // `first` cannot finish before `second` has written to the FIFO.
    let test = Test::new().config(
        "[gates.first]\nrun = \"read line < fifo\"\ntimeout = \"10s\"\n\
         [gates.second]\nrun = \"echo go > fifo\"\ntimeout = \"10s\"\n\
         [gates.third]\nrun = \"true\"\nneeds = [\"first\"]\n",
    );
    mkfifo(&test.path().join("fifo"));
    let run = test
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(0);
    let ids: Vec<Value> = run.stdout_json()["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].clone())
        .collect();
    assert_eq!(ids, ["first", "second", "third"]);
}

#[test]
fn config_is_the_path_as_found() {
    let run = Test::new()
        .file("ci/gates.toml", "[gates.ok]\nrun = \"true\"\n")
        .args(&["-c", "ci/gates.toml", "run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["config"], "ci/gates.toml");
    let run = Test::new()
        .file("ci/gates.toml", "[gates.ok]\nrun = \"true\"\n")
        .env("GATE_CONFIG", "ci/gates.toml")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["config"], "ci/gates.toml");
}

#[test]
fn a_passing_run_has_outcome_pass() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"echo fine\"\n[gates.later]\nmanual = true\n")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let report = run.stdout_json();
    assert_eq!(report["outcome"], "pass");
    assert_eq!(report["counts"]["passed"], 1);
    assert_eq!(report["counts"]["pending"], 1);
}

#[test]
fn json_file_is_written_alongside_the_human_report() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n[gates.bad]\nrun = \"echo nope; exit 2\"\n")
        .args(&["run", "--json", "out/report.json"])
        .file("out/.keep", "")
        .run()
        .code(1)
        .stdout_has("FAIL")
        .stdout_has("exit status 2");
    assert!(
        !run.stdout().trim_start().starts_with('{'),
        "{}",
        run.stdout()
    );
    let report = run.read_json("out/report.json");
    assert_eq!(report["outcome"], "fail");
    assert_eq!(report["version"], 1);
    assert_eq!(report["gates"][1]["output"], "nope");
}

#[test]
fn json_file_and_json_stdout_agree() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n[gates.bad]\nrun = \"exit 2\"\n")
        .args(&["run", "--format", "json", "--json", "report.json"])
        .run()
        .code(1);
    let file = run.read_json("report.json");
    let stdout = run.stdout_json();
    assert_eq!(file["gates"], stdout["gates"]);
    assert_eq!(file["started_at"], stdout["started_at"]);
}

#[test]
fn json_stdout_stays_json_with_verbose_and_colour() {
    let run = Test::new()
        .config("[gates.chatty]\nrun = \"echo hello; echo world >&2; exit 1\"\n")
        .args(&["run", "--format", "json", "-v", "--color", "always"])
        .run()
        .code(1);
    assert_eq!(run.gate("chatty")["output"], "hello\nworld");
    assert!(!run.stdout().contains('\x1b'), "{}", run.stdout());
}

// The human report.

/// Asserts that `stdout` contains each of `texts`, in this order.
#[track_caller]
fn assert_in_order(stdout: &str, texts: &[&str]) {
    let mut from = 0;
    for text in texts {
        match stdout[from..].find(text) {
            Some(at) => from += at + text.len(),
            None => panic!("{text:?} missing or out of order in\n{stdout}"),
        }
    }
}

#[test]
fn human_report_is_a_checklist_grouped_by_section() {
    let run = Test::new()
        .config(
            r#"
[gates.lint]
name = "Lint clean"
section = "Build"
run = "echo noise-from-lint"

[gates.unit]
name = "Unit tests"
section = "Testing"
run = "echo 'test a ... ok'; echo 'test b ... FAILED' >&2; exit 101"

[gates.docs]
name = "Docs build"
section = "Build"
run = "true"
"#,
        )
        .args(&["run"])
        .run()
        .code(1)
        .stdout_lacks("noise-from-lint");
    let stdout = run.stdout();
    assert_in_order(
        &stdout,
        &[
            "\nBuild\n",
            "Lint clean",
            "Docs build",
            "\nTesting\n",
            "Unit tests",
            "exit status 101",
            "test a ... ok",
            "test b ... FAILED",
        ],
    );
    let summary = stdout.lines().last().unwrap();
    assert!(summary.starts_with("FAIL"), "summary: {summary}");
    assert!(summary.contains("3 gates"), "summary: {summary}");
    assert!(summary.contains("2 passed"), "summary: {summary}");
    assert!(summary.contains("1 failed"), "summary: {summary}");
}

#[test]
fn human_report_shows_every_status_and_reason() {
    let run = Test::new()
        .config(EVERY_STATUS)
        .args(&["run", "-j", "1"])
        .run()
        .code(1)
        .stdout_has("timed out after 300ms")
        .stdout_has("program \"nope-xyz\" not found on PATH")
        .stdout_has("--ack signoff")
        .stdout_has("test b ... FAILED");
    // The warn gates that failed, timed out and errored are the 3 warned.
    let summary = run.stdout().lines().last().unwrap().to_string();
    assert!(
        summary.ends_with(": 1 passed, 3 warned, 1 failed, 1 skipped, 1 cancelled, 1 pending"),
        "{summary}"
    );
}

#[test]
fn a_failed_warn_gate_counts_as_warned_in_every_summary() {
    let run = Test::new()
        .config(
            "[gates.ok]\nrun = \"true\"\n\
             [gates.advisory]\nrun = \"exit 1\"\nseverity = \"warn\"\n",
        )
        .args(&["run", "--markdown", "report.md", "--json", "report.json"])
        .run()
        .code(0);
    let stdout = run.stdout();
    let summary = without_duration(stdout.lines().last().unwrap());
    assert_eq!(summary, "PASS: 2 gates: 1 passed, 1 warned");
    let markdown = run.read("report.md");
    assert!(
        markdown.contains("| Outcome | **PASS**: 1 passed, 1 warned |"),
        "{markdown}"
    );
    // The JSON report keeps the contract's counts: one gate failed.
    assert_eq!(run.read_json("report.json")["counts"]["failed"], 1);
}

/// A summary line without its ` in 12ms` (`PASS: 2 gates: ...`).
fn without_duration(summary: &str) -> String {
    let (head, rest) = summary.split_once(" in ").expect("a duration");
    let (_, tail) = rest.split_once(':').expect("counts after the duration");
    format!("{head}:{tail}")
}

#[test]
fn a_name_that_ends_with_its_id_is_not_labelled_twice() {
    let run = Test::new()
        .config(
            "[gates.flake8]\nname = \"No linting errors (flake8)\"\nrun = \"exit 1\"\n\
             [gates.mypy]\nname = \"Types check (strict)\"\nrun = \"exit 1\"\n",
        )
        .args(&["run", "--markdown", "report.md"])
        .run()
        .code(1)
        .stdout_has("✗ No linting errors (flake8)  ")
        .stdout_has("✗ Types check (strict) (mypy)  ")
        .stdout_lacks("(flake8) (flake8)");
    let markdown = run.read("report.md");
    assert!(
        markdown.contains("- [ ] No linting errors (`flake8`): **failed**"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- [ ] Types check (strict) (`mypy`): **failed**"),
        "{markdown}"
    );
}

#[test]
fn a_passing_human_report_says_pass() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run"])
        .run()
        .code(0);
    let summary = run.stdout().lines().last().unwrap().to_string();
    assert!(summary.starts_with("PASS"), "summary: {summary}");
    assert!(summary.contains("1 passed"), "summary: {summary}");
}

#[test]
fn human_report_shows_only_the_tail_of_the_output() {
    Test::new()
        .config(
            "[settings]\noutput_lines = 3\n\
             [gates.bad]\nrun = \"for i in 1 2 3 4 5 6 7 8 9 10; do echo line-$i; done; exit 1\"\n",
        )
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("line-8")
        .stdout_has("line-10")
        .stdout_lacks("line-7");
}

#[test]
fn quiet_shows_only_what_did_not_pass_and_the_summary() {
    let run = Test::new()
        .config(
            r#"
[gates.fine]
name = "Everything fine"
run = "echo fine-output"

[gates.bad]
name = "Broken check"
run = "echo broken-output; exit 1"

[gates.advisory]
name = "Advisory check"
run = "exit 1"
severity = "warn"

[gates.signoff]
name = "Team notified"
manual = true
"#,
        )
        .args(&["run", "-q"])
        .run()
        .code(1)
        .stdout_lacks("Everything fine")
        .stdout_lacks("fine-output")
        .stdout_has("Broken check")
        .stdout_has("broken-output")
        .stdout_has("Advisory check")
        .stdout_has("Team notified");
    let summary = run.stdout().lines().last().unwrap().to_string();
    assert!(summary.starts_with("FAIL"), "summary: {summary}");
    assert!(summary.contains("1 passed"), "summary: {summary}");
}

#[test]
fn quiet_on_a_passing_run_prints_just_the_summary() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n[gates.also]\nrun = \"true\"\n")
        .args(&["run", "-q"])
        .run()
        .code(0)
        .stdout_lacks("ok")
        .stdout_lacks("also");
    let stdout = run.stdout();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}", run.transcript());
    assert!(lines[0].starts_with("PASS"), "{}", run.transcript());
}

#[test]
fn verbose_streams_every_line_prefixed_with_the_gate_id() {
    let run = Test::new()
        .config(
            "[gates.talker]\nrun = \"echo alpha; echo beta >&2\"\n\
             [gates.other]\nrun = \"echo gamma; exit 1\"\n",
        )
        .args(&["run", "-v"])
        .run()
        .code(1);
    let stdout = run.stdout();
    for (id, text) in [("talker", "alpha"), ("talker", "beta"), ("other", "gamma")] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(id) && l.ends_with(text) && l.len() > id.len() + text.len()),
            "no line {id} ... {text}\n{stdout}"
        );
    }
}

#[test]
fn verbose_streams_while_the_gate_runs() {
    // The gate prints, then blocks on the FIFO until the test has seen the line.
    let test = Test::new().config(
        "[gates.live]\nrun = \"echo waiting-for-fifo; read line < fifo; echo got-$line\"\ntimeout = \"10s\"\n",
    );
    mkfifo(&test.path().join("fifo"));
    let fifo = test.path().join("fifo");
    let gate = test.args(&["run", "-v"]).spawn();
    gate.wait_for_stdout("waiting-for-fifo");
    std::fs::write(&fifo, "go\n").unwrap();
    let run = gate.wait().code(0);
    assert!(
        run.stdout()
            .lines()
            .any(|l| l.starts_with("live") && l.ends_with("got-go")),
        "{}",
        run.transcript()
    );
}

// Colour.

fn has_escapes(run: &crate::harness::Run) -> bool {
    run.stdout().contains('\x1b')
}

fn colourful() -> Test {
    Test::new()
        .config("[gates.ok]\nsection = \"Build\"\nrun = \"true\"\n[gates.bad]\nrun = \"exit 1\"\n")
}

#[test]
fn no_colour_when_stdout_is_not_a_terminal() {
    let run = colourful().args(&["run"]).run().code(1);
    assert!(!has_escapes(&run), "{}", run.transcript());
}

#[test]
fn colour_on_a_terminal() {
    let run = colourful().args(&["run"]).run_on_terminal().code(1);
    assert!(has_escapes(&run), "{}", run.transcript());
    assert!(run.stdout().contains("FAIL"), "{}", run.transcript());
}

#[test]
fn no_colour_on_a_terminal_with_no_color() {
    let run = colourful()
        .env("NO_COLOR", "1")
        .args(&["run"])
        .run_on_terminal()
        .code(1);
    assert!(!has_escapes(&run), "{}", run.transcript());
    assert!(run.stdout().contains("FAIL"), "{}", run.transcript());
}

#[test]
fn no_colour_on_a_terminal_with_color_never() {
    let run = colourful()
        .args(&["run", "--color", "never"])
        .run_on_terminal()
        .code(1);
    assert!(!has_escapes(&run), "{}", run.transcript());
}

#[test]
fn colour_always() {
    let run = colourful()
        .args(&["run", "--color", "always"])
        .run()
        .code(1);
    assert!(has_escapes(&run), "{}", run.transcript());
}

#[test]
fn colour_always_beats_no_color() {
    let run = colourful()
        .env("NO_COLOR", "1")
        .args(&["run", "--color", "always"])
        .run()
        .code(1);
    assert!(has_escapes(&run), "{}", run.transcript());
}

#[test]
fn clicolor_force_colours_a_pipe() {
    let run = colourful()
        .env("CLICOLOR_FORCE", "1")
        .args(&["run"])
        .run()
        .code(1);
    assert!(has_escapes(&run), "{}", run.transcript());
}

#[test]
fn color_never_beats_clicolor_force() {
    let run = colourful()
        .env("CLICOLOR_FORCE", "1")
        .args(&["run", "--color", "never"])
        .run()
        .code(1);
    assert!(!has_escapes(&run), "{}", run.transcript());
}

#[test]
fn no_colour_with_color_never() {
    let run = colourful().args(&["run", "--color", "never"]).run().code(1);
    assert!(!has_escapes(&run), "{}", run.transcript());
}
