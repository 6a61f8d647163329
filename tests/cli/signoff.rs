//! `gate ack`: sign-offs kept in `.gate/signoff.toml`, that later runs and
//! reports honour.

use std::path::Path;
use std::process::Command;

use crate::Test;

const CONFIG: &str = r#"
[signoff]
fields = { "Deployed by" = "${DEPLOYER}", "Version" = "${APP_VERSION:-unknown}" }

[gates.build]
run = "true"

[gates.notified]
name = "Team notified"
section = "Sign-off"
manual = true
"#;

/// Runs git in `dir` with a fixed identity and no user configuration.
fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=Ci", "-c", "user.email=ci@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// The test's directory as a git repository with one commit.
fn repository(test: Test) -> Test {
    git(test.path(), &["init", "-q"]);
    git(
        test.path(),
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    test
}

/// `test` with no git configuration of the user's.
fn no_git_config(test: Test) -> Test {
    let home = test.path().display().to_string();
    test.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &home)
        .env("DEPLOYER", "dana")
}

/// Runs gate with `args` in `test`'s directory; expects exit 0.
fn gate(test: &Test, args: &[&str]) {
    let output = test.command().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "gate {args:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `gate ack` with `args` in `test`'s directory; expects exit 0.
fn ack(test: &Test, args: &[&str]) {
    gate(test, &[&["ack"], args].concat());
}

#[test]
fn a_sign_off_passes_the_gate_and_the_reports_say_by_whom_and_when() {
    let test = no_git_config(Test::new().config(CONFIG));
    ack(
        &test,
        &["notified", "--by", "Ana", "--note", "posted in #deploys"],
    );
    let store = std::fs::read_to_string(test.path().join(".gate/signoff.toml")).unwrap();
    assert!(
        store.contains("[[signoff]]\ngate = \"notified\"\nby = \"Ana\""),
        "{store}"
    );
    let run = test
        .args(&["run", "--format", "json", "--markdown", "gate.md"])
        .run()
        .code(0);
    let gate = run.gate("notified");
    assert_eq!(gate["status"], "passed", "{gate}");
    assert_eq!(gate["signoff"]["by"], "Ana");
    assert_eq!(gate["signoff"]["note"], "posted in #deploys");
    assert_eq!(gate["signoff"]["commit"], serde_json::Value::Null);
    let at = gate["signoff"]["at"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.contains('T'), "{at}");
    assert_eq!(run.gate("build")["signoff"], serde_json::Value::Null);
    let markdown = run.read("gate.md");
    assert!(
        markdown.contains(&format!(
            "- [x] Team notified (`notified`): signed off by Ana at {at}: posted in #deploys"
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("**Verified by**: Ana (`notified`, {at})")),
        "{markdown}"
    );
}

#[test]
fn the_markdown_report_ends_with_the_sign_off_block() {
    let test = no_git_config(Test::new().config(CONFIG)).env("APP_VERSION", "1.4.2");
    let run = test.args(&["run", "--markdown", "gate.md"]).run().code(0);
    let markdown = run.read("gate.md");
    let block = markdown
        .rsplit_once("\n---\n\n")
        .expect("a sign-off block")
        .1;
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines[0], "**Deployed by**: dana  ", "{markdown}");
    assert_eq!(lines[1], "**Version**: 1.4.2  ", "{markdown}");
    assert_eq!(lines[2], "**Verified by**: _______________  ", "{markdown}");
    assert!(lines[3].starts_with("**Date**: 20"), "{markdown}");
    assert_eq!(lines[4], "**Commit**: _______________  ", "{markdown}");
}

#[test]
fn a_sign_off_for_another_commit_leaves_the_gate_pending() {
    let test = repository(no_git_config(Test::new().config(CONFIG)));
    ack(&test, &["notified", "--by", "Ana"]);
    let store = std::fs::read_to_string(test.path().join(".gate/signoff.toml")).unwrap();
    let signed: toml::Value = toml::from_str(&store).unwrap();
    let signed = signed["signoff"][0]["commit"].as_str().unwrap().to_owned();
    commit_file(&test, "app.py", "print('changed')\n");
    let run = test.args(&["run", "--format", "json"]).run().code(0);
    let gate = run.gate("notified");
    assert_eq!(gate["status"], "pending", "{gate}");
    let reason = gate["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "signed off by Ana for commit {}, not this one (",
            &signed[..7]
        )),
        "{reason}"
    );
    assert_eq!(gate["signoff"], serde_json::Value::Null);
}

/// Writes `name` in `test`'s directory and commits it.
fn commit_file(test: &Test, name: &str, text: &str) {
    let path = test.path().join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    git(test.path(), &["add", name]);
    git(test.path(), &["commit", "-q", "-m", name]);
}

#[test]
fn committing_the_sign_offs_keeps_them_holding_until_other_files_change() {
    let test = repository(no_git_config(Test::new().config(CONFIG)));
    ack(&test, &["notified", "--by", "Ana"]);
    let store = std::fs::read_to_string(test.path().join(".gate/signoff.toml")).unwrap();
    commit_file(&test, ".gate/signoff.toml", &store);
    assert_eq!(notified(&test)["status"], "passed");

    commit_file(&test, "src/app.py", "print('changed')\n");
    let gate = notified(&test);
    assert_eq!(gate["status"], "pending", "{gate}");
    assert!(
        gate["reason"].as_str().unwrap().contains("not this one"),
        "{gate}"
    );
}

/// The `notified` gate of a `gate run --format json` in `test`'s directory.
fn notified(test: &Test) -> serde_json::Value {
    let output = test
        .command()
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let gates = report["gates"].as_array().unwrap();
    gates
        .iter()
        .find(|g| g["id"] == "notified")
        .unwrap()
        .clone()
}

#[test]
fn a_sign_off_for_this_commit_holds_in_a_repository() {
    let test = repository(no_git_config(Test::new().config(CONFIG)));
    ack(&test, &["notified", "--by", "Ana"]);
    let run = test.args(&["run", "--format", "json"]).run().code(0);
    let gate = run.gate("notified");
    assert_eq!(gate["status"], "passed", "{gate}");
    assert_eq!(gate["signoff"]["commit"].as_str().unwrap().len(), 40);
}

#[test]
fn an_expired_sign_off_leaves_the_gate_pending() {
    let store = "[[signoff]]\ngate = \"notified\"\nby = \"Ana\"\n\
                 at = \"2020-11-23T10:00:00Z\"\nexpires = \"2020-11-30T10:00:00Z\"\n";
    let run = no_git_config(Test::new().config(CONFIG))
        .file(".gate/signoff.toml", store)
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("notified");
    assert_eq!(gate["status"], "pending", "{gate}");
    assert_eq!(gate["reason"], "sign-off by Ana expired 2020-11-30");
}

#[test]
fn an_expiry_is_recorded() {
    let test = no_git_config(Test::new().config(CONFIG));
    ack(&test, &["notified", "--by", "Ana", "--expires", "7d"]);
    let store = std::fs::read_to_string(test.path().join(".gate/signoff.toml")).unwrap();
    let store: toml::Value = toml::from_str(&store).unwrap();
    let record = &store["signoff"][0];
    let at = humantime::parse_rfc3339(record["at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(record["expires"].as_str().unwrap()).unwrap();
    assert_eq!(expires.duration_since(at).unwrap().as_secs(), 7 * 86_400);
}

#[test]
fn unknown_and_non_manual_ids_are_usage_errors() {
    let test = no_git_config(Test::new().config(CONFIG));
    test.args(&["ack", "notifed", "--by", "Ana"])
        .run()
        .code(2)
        .stderr_has("unknown manual gate `notifed`, did you mean `notified`?");
    let test = no_git_config(Test::new().config(CONFIG));
    let run = test
        .args(&["ack", "build", "--by", "Ana"])
        .run()
        .code(2)
        .stderr_has("gate ack `build`: gate `build` is not a manual gate");
    assert!(!run.test.path().join(".gate").exists());
}

#[test]
fn by_defaults_to_the_git_user_name() {
    let test = repository(no_git_config(Test::new().config(CONFIG)));
    git(test.path(), &["config", "user.name", "Bea"]);
    ack(&test, &["notified"]);
    let run = test.args(&["run", "--format", "json"]).run().code(0);
    assert_eq!(run.gate("notified")["signoff"]["by"], "Bea");
}

#[test]
fn without_by_or_a_git_user_name_ack_asks_for_by() {
    no_git_config(Test::new().config(CONFIG))
        .args(&["ack", "notified"])
        .run()
        .code(2)
        .stderr_has("git config user.name")
        .stderr_has("--by NAME");
}

#[test]
fn ack_with_a_report_rewrites_it_without_running_a_gate() {
    let config = format!("{CONFIG}\n[gates.marker]\nrun = \"touch ran.txt\"\n");
    let test = no_git_config(Test::new().config(&config));
    gate(
        &test,
        &["run", "build", "notified", "--json", "report.json"],
    );
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(test.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(before["counts"]["pending"], 1);
    ack(
        &test,
        &[
            "notified",
            "--by",
            "Ana",
            "--report",
            "report.json",
            "--markdown",
            "gate.md",
            "--junit",
            "gate.xml",
        ],
    );
    assert!(!test.path().join("ran.txt").exists(), "a gate ran");
    let read = |name: &str| std::fs::read_to_string(test.path().join(name)).unwrap();
    let after: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(after["counts"]["pending"], 0);
    assert_eq!(after["counts"]["passed"], 2);
    assert_eq!(after["outcome"], "pass");
    let gate = &after["gates"][1];
    assert_eq!(gate["status"], "passed", "{gate}");
    assert_eq!(gate["reason"], serde_json::Value::Null);
    assert_eq!(gate["signoff"]["by"], "Ana");
    assert!(read("gate.md").contains("- [x] Team notified (`notified`): signed off by Ana"));
    assert!(
        !read("gate.xml").contains("<skipped"),
        "{}",
        read("gate.xml")
    );
}

#[test]
fn ack_for_the_run_still_works() {
    let run = no_git_config(Test::new().config(CONFIG))
        .args(&["run", "--ack", "notified", "--format", "json"])
        .run()
        .code(0);
    let gate = run.gate("notified");
    assert_eq!(gate["status"], "passed", "{gate}");
    assert_eq!(gate["signoff"], serde_json::Value::Null);
    assert!(!run.test.path().join(".gate").exists());
}

#[test]
fn a_pending_gate_points_at_gate_ack() {
    no_git_config(Test::new().config(CONFIG))
        .args(&["run"])
        .run()
        .code(0)
        .stdout_has("confirm with gate ack notified, or --ack notified for one run");
}

#[test]
fn a_secret_in_a_note_is_masked() {
    let test = no_git_config(Test::new().config(CONFIG)).env("DEPLOY_TOKEN", "s3cr3t-value");
    ack(
        &test,
        &["notified", "--by", "Ana", "--note", "token s3cr3t-value"],
    );
    let run = test
        .args(&["run", "--format", "json", "--markdown", "gate.md"])
        .run()
        .code(0);
    assert_eq!(run.gate("notified")["signoff"]["note"], "token ***");
    assert!(!run.read("gate.md").contains("s3cr3t"));
}

/// The JSON report at `name` in `test`'s directory.
fn report(test: &Test, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(test.path().join(name)).unwrap()).unwrap()
}

/// A record written by hand: `gate` signed off by Mallory, with no commit.
fn hand_written_record(test: &Test, gate: &str) {
    let store = format!(
        "[[signoff]]\ngate = \"{gate}\"\nby = \"Mallory\"\nat = \"2026-01-01T00:00:00Z\"\n"
    );
    std::fs::create_dir_all(test.path().join(".gate")).unwrap();
    std::fs::write(test.path().join(".gate/signoff.toml"), store).unwrap();
}

/// A repository git cannot read is not "outside git": a sign-off with no
/// commit must not hold there, and none can be given.
#[test]
fn where_git_cannot_tell_the_commit_no_sign_off_holds() {
    let test = no_git_config(Test::new().config(CONFIG));
    std::fs::write(
        test.path().join(".git"),
        "gitdir: /nonexistent/repository\n",
    )
    .unwrap();
    hand_written_record(&test, "notified");
    let output = test
        .command()
        .args(["run", "--json", "report.json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "a pending gate does not fail the run"
    );
    let gate = &report(&test, "report.json")["gates"][1];
    assert_eq!(gate["status"], "pending", "{gate}");
    let reason = gate["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("no sign-off holds: git cannot tell the commit checked out"),
        "{reason}"
    );
    let output = test
        .command()
        .args(["ack", "notified", "--by", "Ana"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot sign off: git cannot tell"),
        "{stderr}"
    );
}

/// A record naming an automated gate says nothing about it.
#[test]
fn a_record_for_an_automated_gate_is_not_shown_as_its_sign_off() {
    let test = no_git_config(Test::new().config(CONFIG));
    hand_written_record(&test, "build");
    gate(&test, &["run", "--json", "report.json"]);
    let build = &report(&test, "report.json")["gates"][0];
    assert_eq!(build["id"], "build");
    assert_eq!(build["signoff"], serde_json::Value::Null, "{build}");
}

/// A report of a run that required sign-off of every manual gate stays
/// failed while one of them is still pending.
#[test]
fn signing_one_of_two_required_gates_in_a_report_leaves_it_failed() {
    let config = format!(
        "{CONFIG}\n[gates.backup]\nsection = \"Sign-off\"\nmanual = true\n\n\
         [profiles.release]\nrequire_manual = true\n"
    );
    let test = no_git_config(Test::new().config(&config));
    let output = test
        .command()
        .args(["run", "--profile", "release", "--json", "report.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    ack(
        &test,
        &["notified", "--by", "Ana", "--report", "report.json"],
    );
    let after = report(&test, "report.json");
    assert_eq!(after["gates"][1]["status"], "passed");
    assert_eq!(after["gates"][2]["status"], "pending");
    assert_eq!(after["outcome"], "fail");
}

/// Only a pending manual gate is signed off in a report.
#[test]
fn a_gate_that_is_not_pending_in_the_report_is_not_signed_off() {
    let test = no_git_config(Test::new().config(CONFIG));
    gate(
        &test,
        &["run", "--ack", "notified", "--json", "report.json"],
    );
    let output = test
        .command()
        .args(["ack", "notified", "--by", "Ana", "--report", "report.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "gate `notified` is passed in the report: only a pending manual gate is signed off"
        ),
        "{stderr}"
    );
    assert!(
        !test.path().join(".gate/signoff.toml").exists(),
        "a record was written"
    );
}

/// A report `gate ack --report` is to render that cannot be written stops
/// it before anything is recorded or rewritten.
#[test]
fn a_report_that_cannot_be_written_stops_ack_before_it_records_anything() {
    let test = no_git_config(Test::new().config(CONFIG));
    let output = test
        .command()
        .args(["run", "--json", "report.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let before = std::fs::read_to_string(test.path().join("report.json")).unwrap();
    let output = test
        .command()
        .args(["ack", "notified", "--by", "Ana", "--report", "report.json"])
        .args(["--markdown", "no-such-dir/gate.md"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot write no-such-dir/gate.md: "),
        "{stderr}"
    );
    assert!(!test.path().join(".gate/signoff.toml").exists());
    let after = std::fs::read_to_string(test.path().join("report.json")).unwrap();
    assert_eq!(after, before);
}

#[test]
fn a_blank_name_or_an_expiry_past_ten_years_is_refused() {
    let test = no_git_config(Test::new().config(CONFIG));
    for args in [
        &["ack", "notified", "--by", " "][..],
        &["ack", "notified", "--by", "Ana", "--expires", "4000000d"][..],
    ] {
        let output = test.command().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    assert!(!test.path().join(".gate/signoff.toml").exists());
}
