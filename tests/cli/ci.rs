//! What CI pipelines rely on: the JUnit and Markdown reports, GitHub Actions
//! annotations and step summary, `--partition`, `gate merge` and shell
//! completions.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::Test;
use crate::harness::{Run, is_rfc3339};

/// One gate of each status (acked with `--ack approved`), in three
/// sections plus gates with no section.
const EVERY_STATUS: &str = r#"
[settings]
kill_grace = "100ms"

[gates.unit]
name = "Unit tests"
section = "Testing"
run = "echo all good"

[gates.lint]
name = "Lint"
section = "Testing"
run = "echo 'E501 line too long'; echo 'W291 <trailing> & \"space\"'; exit 1"

[gates.slow]
name = "Slow check"
section = "Testing"
run = "echo started; sleep 30"
timeout = "300ms"

[gates.tool]
name = "Tool present"
run = "true"
requires = ["nope-xyz"]

[gates.after-lint]
name = "After lint"
run = "true"
needs = ["lint"]

[gates.style]
name = "Style"
section = "Testing"
severity = "warn"
run = "exit 1"

[gates.notified]
name = "Team notified"
section = "Release"
manual = true

[gates.approved]
name = "Release approved"
section = "Release"
manual = true
"#;

/// [`EVERY_STATUS`] run with `args` added, exit code 1.
fn every_status(args: &[&str]) -> Run {
    Test::new()
        .config(EVERY_STATUS)
        .args(&["run", "--ack", "approved"])
        .args(args)
        .run()
        .code(1)
}

/// A gate's statuses that are a JUnit `<failure>`, and a `<skipped>`.
const FAILURE: [&str; 3] = ["failed", "timed_out", "error"];
const SKIPPED: [&str; 3] = ["skipped", "cancelled", "pending"];

// ---------------------------------------------------------------- JUnit

/// The value of attribute `name` of `node` as a number.
#[track_caller]
fn count_attribute(node: roxmltree::Node, name: &str) -> Option<usize> {
    node.attribute(name).map(|value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} on <{}>", node.tag_name().name()))
    })
}

/// The element children of `node` named `tag`.
fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == tag)
        .collect()
}

/// How many test cases under `node` have a child element `tag`.
fn cases_with(node: roxmltree::Node, tag: &str) -> usize {
    node.descendants()
        .filter(|n| n.tag_name().name() == "testcase")
        .filter(|case| !children(*case, tag).is_empty())
        .count()
}

/// Asserts that the count attributes of a `<testsuites>` or `<testsuite>`
/// element agree with the test cases under it. The skipped count is
/// `skipped` or, as quick-junit writes it, `disabled`.
#[track_caller]
fn assert_counts(node: roxmltree::Node) {
    let what = format!(
        "<{} name={:?}>",
        node.tag_name().name(),
        node.attribute("name")
    );
    let cases = node
        .descendants()
        .filter(|n| n.tag_name().name() == "testcase")
        .count();
    assert_eq!(
        count_attribute(node, "tests"),
        Some(cases),
        "tests of {what}"
    );
    for (attribute, tag) in [("failures", "failure"), ("errors", "error")] {
        if let Some(count) = count_attribute(node, attribute) {
            assert_eq!(count, cases_with(node, tag), "{attribute} of {what}");
        }
    }
    if node.tag_name().name() == "testsuite" {
        assert!(
            node.has_attribute("failures"),
            "{what} has no failures count"
        );
        let skipped = count_attribute(node, "skipped").or(count_attribute(node, "disabled"));
        assert_eq!(
            skipped,
            Some(cases_with(node, "skipped")),
            "skipped of {what}"
        );
    }
}

/// Asserts that the JUnit XML `xml` holds exactly the gates of the JSON
/// report `report`: a `<testsuites>` root, one `<testsuite>` per section
/// (`gates` for gates with none), one `<testcase>` per gate in config
/// order, `<failure>` or `<skipped>` with the reason and the output.
#[track_caller]
fn assert_junit_matches(xml: &str, report: &Value) {
    let document = roxmltree::Document::parse(xml)
        .unwrap_or_else(|e| panic!("the JUnit report is not XML: {e}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "{xml}");
    assert_counts(root);

    let gates = report["gates"].as_array().expect("gates array");
    let suites = children(root, "testsuite");
    assert_eq!(
        children(root, "testsuite").len(),
        root.children().filter(|n| n.is_element()).count(),
        "only test suites under the root\n{xml}"
    );
    let suite_names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").expect("a suite has a name"))
        .collect();
    let mut sections: Vec<&str> = gates
        .iter()
        .map(|g| g["section"].as_str().unwrap_or("gates"))
        .collect();
    sections.sort_unstable();
    sections.dedup();
    let mut sorted = suite_names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, sections, "one suite per section\n{xml}");

    for suite in &suites {
        assert_counts(*suite);
        let suite_name = suite.attribute("name").unwrap();
        let ids: Vec<&str> = children(*suite, "testcase")
            .iter()
            .map(|c| {
                c.attribute("classname")
                    .expect("a test case has a classname")
            })
            .collect();
        let expected: Vec<&str> = gates
            .iter()
            .filter(|g| g["section"].as_str().unwrap_or("gates") == suite_name)
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "test cases of suite {suite_name}\n{xml}");
    }

    for gate in gates {
        let id = gate["id"].as_str().unwrap();
        let case = root
            .descendants()
            .find(|n| n.tag_name().name() == "testcase" && n.attribute("classname") == Some(id))
            .unwrap_or_else(|| panic!("no test case for {id}\n{xml}"));
        assert_eq!(
            case.attribute("name"),
            gate["name"].as_str(),
            "name of {id}"
        );
        let status = gate["status"].as_str().unwrap();
        let (failures, skipped) = (children(case, "failure"), children(case, "skipped"));
        assert!(
            children(case, "error").is_empty(),
            "{id} has <error>\n{xml}"
        );
        let outcome = match status {
            "passed" => {
                assert!(
                    failures.is_empty() && skipped.is_empty(),
                    "{id} passed\n{xml}"
                );
                continue;
            }
            s if FAILURE.contains(&s) => {
                assert!(skipped.is_empty(), "{id} is {s}\n{xml}");
                assert_eq!(failures.len(), 1, "{id} is {s}: one <failure>\n{xml}");
                failures[0]
            }
            s if SKIPPED.contains(&s) => {
                assert!(failures.is_empty(), "{id} is {s}\n{xml}");
                assert_eq!(skipped.len(), 1, "{id} is {s}: one <skipped>\n{xml}");
                skipped[0]
            }
            other => panic!("status {other} of {id}"),
        };
        assert_eq!(
            outcome.attribute("message"),
            gate["reason"].as_str(),
            "message of {id}\n{xml}"
        );
        assert_eq!(
            outcome.text().unwrap_or_default(),
            gate["output"].as_str().unwrap(),
            "text of {id}\n{xml}"
        );
    }
}

#[test]
fn junit_has_a_suite_per_section_and_a_case_per_gate() {
    let run = every_status(&["--format", "json", "--junit", "gate-junit.xml"]);
    let report = run.stdout_json();
    let xml = run.read("gate-junit.xml");
    assert_junit_matches(&xml, &report);

    let document = roxmltree::Document::parse(&xml).unwrap();
    let root = document.root_element();
    let suite = |name: &str| {
        children(root, "testsuite")
            .into_iter()
            .find(|s| s.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no suite {name}\n{xml}"))
    };
    let case_ids = |name: &str| -> Vec<String> {
        children(suite(name), "testcase")
            .iter()
            .map(|c| c.attribute("classname").unwrap().to_owned())
            .collect()
    };
    assert_eq!(case_ids("Testing"), ["unit", "lint", "slow", "style"]);
    assert_eq!(case_ids("gates"), ["tool", "after-lint"]);
    assert_eq!(case_ids("Release"), ["notified", "approved"]);
    assert_eq!(count_attribute(root, "tests"), Some(8));
    assert_eq!(count_attribute(root, "failures"), Some(4));
}

#[test]
fn junit_failure_carries_the_reason_and_the_output() {
    let run = every_status(&["--junit", "gate-junit.xml"]);
    let xml = run.read("gate-junit.xml");
    let document = roxmltree::Document::parse(&xml).unwrap();
    let case = |id: &str| {
        document
            .descendants()
            .find(|n| n.attribute("classname") == Some(id))
            .unwrap_or_else(|| panic!("no test case {id}\n{xml}"))
    };
    let lint = children(case("lint"), "failure")[0];
    assert_eq!(lint.attribute("message"), Some("exit status 1"));
    // Markup in the output is escaped, and comes back whole.
    assert_eq!(
        lint.text(),
        Some("E501 line too long\nW291 <trailing> & \"space\"")
    );
    let slow = children(case("slow"), "failure")[0];
    assert_eq!(slow.attribute("message"), Some("timed out after 300ms"));
    assert_eq!(slow.text(), Some("started"));
    let tool = children(case("tool"), "failure")[0];
    assert_eq!(
        tool.attribute("message"),
        Some("program \"nope-xyz\" not found on PATH")
    );
    // A failed warn gate is a failure too: JUnit has no "warning".
    assert_eq!(children(case("style"), "failure").len(), 1);
    let skipped = children(case("after-lint"), "skipped")[0];
    assert!(
        skipped.attribute("message").unwrap().contains("lint"),
        "{xml}"
    );
    let pending = children(case("notified"), "skipped")[0];
    assert!(
        pending
            .attribute("message")
            .unwrap()
            .contains("--ack notified"),
        "{xml}"
    );
    assert!(case("unit").children().all(|c| !c.is_element()), "{xml}");
    assert!(
        case("approved").children().all(|c| !c.is_element()),
        "{xml}"
    );
}

#[test]
fn junit_cancelled_gates_are_skipped() {
    let run = Test::new()
        .config(
            "[settings]\nconcurrency = 1\nfail_fast = true\n\
             [gates.first]\nrun = \"echo broke; exit 1\"\n\
             [gates.second]\nrun = \"true\"\n\
             [gates.third]\nrun = \"true\"\nneeds = [\"second\"]\n",
        )
        .args(&["run", "--format", "json", "--junit", "gate-junit.xml"])
        .run()
        .code(1);
    let report = run.stdout_json();
    assert_eq!(run.gate("second")["status"], "cancelled");
    assert_eq!(run.gate("third")["status"], "cancelled");
    assert_junit_matches(&run.read("gate-junit.xml"), &report);
}

#[test]
fn junit_of_a_passing_run_has_no_failures() {
    let run = Test::new()
        .config(
            "[gates.a]\nrun = \"true\"\nsection = \"One\"\n\
             [gates.b]\nname = \"Bee & <co>\"\nrun = \"true\"\n",
        )
        .args(&["run", "--format", "json", "--junit", "gate-junit.xml"])
        .run()
        .code(0);
    let xml = run.read("gate-junit.xml");
    assert_junit_matches(&xml, &run.stdout_json());
    let document = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        count_attribute(document.root_element(), "failures"),
        Some(0)
    );
    assert!(
        document
            .descendants()
            .any(|n| n.attribute("name") == Some("Bee & <co>"))
    );
}

// ------------------------------------------------------------- Markdown

/// `| Key | value |` of the Markdown header.
#[track_caller]
fn header_row(markdown: &str, key: &str) -> String {
    let prefix = format!("| {key} | ");
    markdown
        .lines()
        .find_map(|line| line.strip_prefix(&prefix)?.strip_suffix(" |"))
        .unwrap_or_else(|| panic!("no {key} row\n{markdown}"))
        .to_owned()
}

/// The lines under each `## ` heading, by heading (a repeated heading's
/// lines are joined).
fn sections(markdown: &str) -> BTreeMap<String, Vec<String>> {
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            current = Some(heading.to_owned());
            sections.entry(heading.to_owned()).or_default();
        } else if let Some(heading) = &current {
            if !line.trim().is_empty() {
                sections.get_mut(heading).unwrap().push(line.to_owned());
            }
        }
    }
    sections
}

/// This machine's host name.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("/proc/sys/kernel/hostname")
        .trim()
        .to_owned()
}

/// Makes `dir` a git repository with one commit; returns its hash.
fn git_commit(dir: &Path) -> String {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(["-c", "user.name=x", "-c", "user.email=y@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "gates.toml"]);
    git(&["commit", "-q", "-m", "gates"]);
    git(&["rev-parse", "HEAD"])
}

#[test]
fn markdown_header_has_date_commit_host_config_and_outcome() {
    let test = Test::new().config(EVERY_STATUS);
    let commit = git_commit(test.path());
    let run = test
        .args(&["run", "--ack", "approved"])
        .args(&["--json", "gate.json", "--markdown", "gate.md"])
        .run()
        .code(1);
    let markdown = run.read("gate.md");
    let report = run.read_json("gate.json");
    assert!(markdown.starts_with("# "), "a title first\n{markdown}");

    let date = header_row(&markdown, "Date");
    assert!(is_rfc3339(&date), "date {date:?}");
    assert_eq!(date, report["started_at"].as_str().unwrap());
    assert_eq!(commit.len(), 40, "{commit}");
    assert!(
        header_row(&markdown, "Commit").contains(&commit),
        "{markdown}"
    );
    assert!(
        header_row(&markdown, "Host").contains(&host_name()),
        "{markdown}"
    );
    assert!(
        header_row(&markdown, "Config").contains("gates.toml"),
        "{markdown}"
    );
    let outcome = header_row(&markdown, "Outcome");
    assert!(outcome.contains("FAIL"), "{outcome}");
    assert!(!outcome.contains("PASS"), "{outcome}");
}

/// Asserts the Markdown header shows `commit` and this machine.
#[track_caller]
fn assert_origin(markdown: &str, commit: &str) {
    assert!(
        header_row(markdown, "Commit").contains(commit),
        "{markdown}"
    );
    assert!(
        header_row(markdown, "Host").contains(&host_name()),
        "{markdown}"
    );
}

/// `test` as a GitHub Actions step whose summary is `summary.md` in its directory.
fn in_actions_with_summary(test: Test) -> Test {
    let summary = test.path().join("summary.md");
    test.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
}

#[test]
fn the_step_summary_shows_the_commit_and_host_without_a_markdown_file() {
    let test = Test::new().config("[gates.ok]\nrun = \"true\"\n");
    let commit = git_commit(test.path());
    let run = in_actions_with_summary(test).args(&["run"]).run().code(0);
    assert_origin(&run.read("summary.md"), &commit);
}

#[test]
fn merged_and_signed_reports_show_the_commit_and_host() {
    let reports = shard_reports(MIXED, 2);
    let test = with_shards(&reports).config(MIXED);
    let commit = git_commit(test.path());
    let run = test
        .args(&[
            "merge",
            "shard-1.json",
            "shard-2.json",
            "--markdown",
            "merged.md",
        ])
        .run();
    assert_origin(&run.read("merged.md"), &commit);

    let test = Test::new().config("[gates.notified]\nmanual = true\n");
    let commit = git_commit(test.path());
    let ran = test
        .command()
        .args(["run", "--json", "report.json"])
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0), "{ran:?}");
    let acked = test
        .command()
        .args(["ack", "notified", "--by", "Ana", "--report", "report.json"])
        .args(["--markdown", "signed.md"])
        .output()
        .unwrap();
    assert_eq!(acked.status.code(), Some(0), "{acked:?}");
    let signed = std::fs::read_to_string(test.path().join("signed.md")).unwrap();
    assert_origin(&signed, &commit);
}

#[test]
fn markdown_without_a_git_repository_says_so() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "--markdown", "gate.md"])
        .run()
        .code(0);
    let markdown = run.read("gate.md");
    let commit = header_row(&markdown, "Commit");
    assert!(commit.contains("not a git repository"), "{commit}");
    assert!(header_row(&markdown, "Outcome").contains("PASS"));
}

#[test]
fn markdown_commit_is_of_the_config_directory() {
    // gate runs from a subdirectory; the config is found above it.
    let test = Test::new().config("[gates.ok]\nrun = \"true\"\n");
    let commit = git_commit(test.path());
    let run = test
        .current_dir("deep/down")
        .args(&["run", "--markdown", "gate.md"])
        .run()
        .code(0);
    let markdown = run.read("deep/down/gate.md");
    assert!(
        header_row(&markdown, "Commit").contains(&commit),
        "{markdown}"
    );
}

/// The checklist item of `gate` in `lines`: `- [x] Name (`id`)...`.
#[track_caller]
fn item<'a>(lines: &'a [String], gate: &Value) -> &'a str {
    let id = format!("(`{}`)", gate["id"].as_str().unwrap());
    let name = gate["name"].as_str().unwrap();
    lines
        .iter()
        .find(|line| line.contains(&id) && line.contains(name))
        .unwrap_or_else(|| panic!("no item for {id} in {lines:#?}"))
}

/// Whether `text` reads like a duration: `0ms`, `312ms`, `1.20s`, `1m02s`.
fn is_duration(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.ends_with('s')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

#[test]
fn markdown_lists_each_gate_checked_or_not_with_status_duration_and_reason() {
    let run = every_status(&["--format", "json", "--markdown", "gate.md"]);
    let markdown = run.read("gate.md");
    let report = run.stdout_json();
    let sections = sections(&markdown);
    for gate in report["gates"].as_array().unwrap() {
        if gate["kind"] == "manual" {
            continue; // sign-off items, checked below
        }
        let heading = gate["section"].as_str().unwrap_or("Gates");
        let lines = sections
            .get(heading)
            .unwrap_or_else(|| panic!("no section {heading}\n{markdown}"));
        let line = item(lines, gate);
        let status = gate["status"].as_str().unwrap();
        let (checkbox, rest) = line.split_at(6);
        if status == "passed" {
            assert_eq!(checkbox, "- [x] ", "{line}");
        } else {
            assert_eq!(checkbox, "- [ ] ", "{line}");
        }
        assert!(rest.contains(status), "status in {line:?}");
        let after = line
            .split_once(&format!("{status}** in "))
            .or_else(|| line.split_once(&format!("{status} in ")))
            .unwrap_or_else(|| panic!("no `{status} in` in {line:?}"))
            .1;
        let duration = after.split(':').next().unwrap();
        assert!(is_duration(duration), "duration {duration:?} in {line:?}");
        if let Some(reason) = gate["reason"].as_str() {
            assert!(line.contains(reason), "reason {reason:?} in {line:?}");
        }
    }
    let lint = item(&sections["Testing"], &run.gate("lint"));
    assert!(lint.ends_with(": `exit status 1`"), "{lint}");
    let style = item(&sections["Testing"], &run.gate("style"));
    assert!(style.contains("warn"), "a warn gate says so: {style}");
}

#[test]
fn markdown_manual_gates_say_how_to_sign_off_or_how_they_were() {
    let run = every_status(&["--markdown", "gate.md"]);
    let markdown = run.read("gate.md");
    let release = &sections(&markdown)["Release"];
    assert!(
        release.contains(
            &"- [ ] Team notified (`notified`): **pending**: confirm, then `gate ack notified`"
                .to_string()
        ),
        "{markdown}"
    );
    assert!(
        release.contains(
            &"- [x] Release approved (`approved`): confirmed with `--ack approved`".to_string()
        ),
        "{markdown}"
    );
}

#[test]
fn markdown_of_command_gates_only() {
    let run = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "--markdown", "gate.md"])
        .run()
        .code(0);
    let markdown = run.read("gate.md");
    assert!(!markdown.contains("--ack"), "{markdown}");
    assert!(markdown.contains("- [x] `ok`: passed in "), "{markdown}");
}

#[test]
fn markdown_has_one_sign_off_heading_when_manual_gates_are_in_a_sign_off_section() {
    let run = Test::new()
        .config(
            "[gates.ok]\nrun = \"true\"\n\
             [gates.team-notified]\nname = \"Team notified\"\nsection = \"Sign-off\"\nmanual = true\n",
        )
        .args(&["run", "--markdown", "gate.md"])
        .run()
        .code(0);
    let markdown = run.read("gate.md");
    assert_eq!(
        markdown.matches("## Sign-off").count(),
        1,
        "one Sign-off heading\n{markdown}"
    );
    assert_eq!(
        markdown.matches("Team notified").count(),
        1,
        "the manual gate listed once\n{markdown}"
    );
}

#[test]
fn markdown_of_a_shard_names_the_partition() {
    let run = Test::new()
        .config("[gates.a]\nrun = \"true\"\n[gates.b]\nrun = \"true\"\n")
        .args(&["run", "--partition", "2/2", "--markdown", "gate.md"])
        .run()
        .code(0);
    assert_eq!(header_row(&run.read("gate.md"), "Partition"), "2/2");
}

// -------------------------------------------------------- GitHub Actions

/// The workflow command lines (`::...`) of stdout.
fn workflow_commands(run: &Run) -> Vec<String> {
    run.stdout()
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(str::to_owned)
        .collect()
}

const EARLIER_SUMMARY: &str = "# An earlier step\n\nIts summary.\n";

/// [`EVERY_STATUS`] run as in GitHub Actions, with a step summary file that
/// an earlier step already wrote to.
fn in_github_actions(value: Option<&str>) -> Run {
    let mut test = Test::new()
        .config(EVERY_STATUS)
        .file("summary.md", EARLIER_SUMMARY);
    let summary = test.path().join("summary.md");
    test = test.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    if let Some(value) = value {
        test = test.env("GITHUB_ACTIONS", value);
    }
    test.args(&["run", "--ack", "approved", "--markdown", "gate.md"])
        .run()
        .code(1)
}

#[test]
fn github_actions_annotates_gates_that_did_not_pass() {
    let run = in_github_actions(Some("true"));
    let commands = workflow_commands(&run);
    assert!(
        commands.contains(&"::error title=Lint (failed)::lint: exit status 1".to_owned()),
        "{commands:#?}"
    );
    let find = |id: &str| -> Vec<&String> {
        commands
            .iter()
            .filter(|c| c.contains(&format!("::{id}: ")))
            .collect()
    };
    for id in ["lint", "slow", "tool", "after-lint"] {
        let lines = find(id);
        assert_eq!(lines.len(), 1, "one annotation for {id}: {commands:#?}");
        assert!(lines[0].starts_with("::error title="), "{}", lines[0]);
    }
    let style = find("style");
    assert_eq!(style.len(), 1, "{commands:#?}");
    assert!(
        style[0].starts_with("::warning title=Style"),
        "a warn gate is a warning: {}",
        style[0]
    );
    let notified = find("notified");
    assert_eq!(notified.len(), 1, "{commands:#?}");
    assert!(
        notified[0].starts_with("::warning title=Team notified (pending)"),
        "a pending sign-off is a warning: {}",
        notified[0]
    );
    for id in ["unit", "approved"] {
        assert!(find(id).is_empty(), "no annotation for {id}: {commands:#?}");
    }
    assert_eq!(commands.len(), 6, "{commands:#?}");
}

#[test]
fn github_actions_annotation_carries_the_reason() {
    let run = in_github_actions(Some("true"));
    let commands = workflow_commands(&run);
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::error title=Slow check")
                && c.ends_with("::slow: timed out after 300ms")),
        "{commands:#?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::error title=Tool present")
                && c.ends_with("::tool: program \"nope-xyz\" not found on PATH")),
        "{commands:#?}"
    );
}

#[test]
fn github_actions_appends_the_markdown_to_the_step_summary() {
    let run = in_github_actions(Some("true"));
    let summary = run.read("summary.md");
    assert_eq!(
        summary,
        format!("{EARLIER_SUMMARY}{}", run.read("gate.md")),
        "the checklist appended after what was there"
    );
}

#[test]
fn outside_github_actions_no_annotations_and_no_summary() {
    for value in [None, Some("false"), Some("")] {
        let run = in_github_actions(value);
        assert_eq!(
            workflow_commands(&run),
            Vec::<String>::new(),
            "GITHUB_ACTIONS={value:?}"
        );
        assert_eq!(
            run.read("summary.md"),
            EARLIER_SUMMARY,
            "GITHUB_ACTIONS={value:?}"
        );
    }
}

#[test]
fn github_actions_without_a_step_summary_file_still_annotates() {
    let test = Test::new()
        .config("[gates.bad]\nrun = \"exit 1\"\n")
        .env("GITHUB_ACTIONS", "true")
        .args(&["run"]);
    let output = test
        .command()
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("gate runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("::error title=bad (failed)::bad: exit status 1"),
        "{stdout}"
    );
}

#[test]
fn github_actions_with_json_on_stdout_annotates_on_stderr() {
    let run = Test::new()
        .config("[gates.bad]\nrun = \"exit 1\"\n[gates.ok]\nrun = \"true\"\n")
        .env("GITHUB_ACTIONS", "true")
        .args(&["run", "--format", "json"])
        .run()
        .code(1)
        .stderr_has("::error title=bad (failed)::bad: exit status 1\n");
    assert_eq!(run.stdout_json()["outcome"], "fail", "stdout is only JSON");
    assert_eq!(workflow_commands(&run), Vec::<String>::new());
}

#[test]
fn github_actions_annotation_escapes_its_title() {
    let run = Test::new()
        .config("[gates.deploy]\nname = \"Deploy: api, web 100%\"\nrun = \"exit 1\"\n")
        .env("GITHUB_ACTIONS", "true")
        .args(&["run"])
        .run()
        .code(1);
    assert_eq!(
        workflow_commands(&run),
        ["::error title=Deploy%3A api%2C web 100%25 (failed)::deploy: exit status 1"]
    );
}

#[test]
fn github_actions_passing_run_has_no_annotations_but_a_summary() {
    let test = Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .file("summary.md", EARLIER_SUMMARY);
    let run = in_actions_with_summary(test).args(&["run"]).run().code(0);
    assert_eq!(workflow_commands(&run), Vec::<String>::new());
    let summary = run.read("summary.md");
    assert!(summary.starts_with(EARLIER_SUMMARY), "{summary}");
    assert!(summary.contains("- [x] `ok`: passed"), "{summary}");
}

// ------------------------------------------------------------- Partition

/// Twelve gates; `needs` joins build-unit-integ and migrate-seed-smoke-health.
const TWELVE: &str = r#"
[gates.build]
run = "true"
[gates.unit]
run = "true"
needs = ["build"]
[gates.lint]
run = "true"
tags = ["fast"]
[gates.integ]
run = "true"
needs = ["unit"]
[gates.migrate]
run = "true"
[gates.fmt]
run = "true"
tags = ["fast"]
[gates.seed]
run = "true"
needs = ["migrate"]
[gates.docs]
run = "true"
tags = ["slow"]
[gates.health]
run = "true"
[gates.smoke]
run = "true"
needs = ["health", "seed"]
[gates.audit]
run = "true"
tags = ["slow"]
[gates.tls]
run = "true"
tags = ["fast"]
"#;

const TWELVE_IDS: [&str; 12] = [
    "build", "unit", "lint", "integ", "migrate", "fmt", "seed", "docs", "health", "smoke", "audit",
    "tls",
];

/// The groups of [`TWELVE`] that `needs` joins.
const GROUPS: [&[&str]; 2] = [
    &["build", "unit", "integ"],
    &["migrate", "seed", "smoke", "health"],
];

/// The ids of shard `k` of `n` of `config` (`--format json`), checking the
/// report's `partition`.
#[track_caller]
fn shard(config: &str, k: usize, n: usize, args: &[&str]) -> Vec<String> {
    let partition = format!("{k}/{n}");
    let run = Test::new()
        .config(config)
        .args(&["run", "--partition", &partition, "--format", "json"])
        .args(args)
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["partition"], partition.as_str());
    run.ids()
}

/// Asserts that `shards` hold each of `expected` exactly once, and the
/// groups joined by `needs` each in one shard.
#[track_caller]
fn assert_cover(shards: &[Vec<String>], expected: &[&str]) {
    let mut all: Vec<&str> = shards.iter().flatten().map(String::as_str).collect();
    all.sort_unstable();
    let mut wanted = expected.to_vec();
    wanted.sort_unstable();
    assert_eq!(all, wanted, "each gate in exactly one shard: {shards:?}");
    for group in GROUPS {
        let holding: Vec<usize> = (0..shards.len())
            .filter(|&s| group.iter().any(|id| shards[s].iter().any(|g| g == id)))
            .collect();
        assert!(
            holding.len() <= 1,
            "{group:?} split over shards {holding:?}: {shards:?}"
        );
    }
}

#[test]
fn shards_cover_every_gate_exactly_once() {
    for n in [1, 2, 3, 5] {
        let shards: Vec<Vec<String>> = (1..=n).map(|k| shard(TWELVE, k, n, &[])).collect();
        assert_cover(&shards, &TWELVE_IDS);
        if n == 1 {
            assert_eq!(shards[0], TWELVE_IDS, "one shard is the whole run");
        }
        if n <= 3 {
            assert!(
                shards.iter().all(|s| !s.is_empty()),
                "no empty shard with 7 groups in {n}: {shards:?}"
            );
        }
    }
}

#[test]
fn shards_are_the_same_on_every_run() {
    for n in [2, 3, 5] {
        for k in 1..=n {
            let first = shard(TWELVE, k, n, &[]);
            assert_eq!(shard(TWELVE, k, n, &[]), first, "shard {k}/{n}");
        }
    }
}

#[test]
fn shards_keep_gates_in_config_order() {
    for k in 1..=3 {
        let ids = shard(TWELVE, k, 3, &[]);
        let positions: Vec<usize> = ids
            .iter()
            .map(|id| TWELVE_IDS.iter().position(|g| g == id).unwrap())
            .collect();
        assert!(positions.is_sorted(), "shard {k}/3: {ids:?}");
    }
}

#[test]
fn shards_split_only_the_selected_gates() {
    let selected = [
        "build", "unit", "lint", "integ", "migrate", "fmt", "seed", "health", "smoke", "tls",
    ];
    for n in [2, 3] {
        let shards: Vec<Vec<String>> = (1..=n)
            .map(|k| shard(TWELVE, k, n, &["--skip-tag", "slow"]))
            .collect();
        assert_cover(&shards, &selected);
    }
    // A named gate brings its needs along, and they stay together.
    let shards: Vec<Vec<String>> = (1..=2).map(|k| shard(TWELVE, k, 2, &["integ"])).collect();
    assert_cover(&shards, &["build", "unit", "integ"]);
}

/// A service's needs hold its users on their shard: the gate that uses the
/// service runs where the migration it needs first does, and only there.
#[test]
fn shards_keep_a_gate_with_the_needs_of_its_services() {
    let config = "[services.api]\nrun = \"true\"\nneeds = [\"migrate\"]\n\n\
                  [gates.migrate]\nrun = \"touch migrated\"\n\n\
                  [gates.health]\nservices = [\"api\"]\nrun = \"test -f migrated\"\n";
    let shards: Vec<Vec<String>> = (1..=2).map(|k| shard(config, k, 2, &[])).collect();
    let holding: Vec<&Vec<String>> = shards
        .iter()
        .filter(|s| s.iter().any(|id| id == "health"))
        .collect();
    assert_eq!(holding.len(), 1, "{shards:?}");
    assert!(holding[0].iter().any(|id| id == "migrate"), "{shards:?}");
}

#[test]
fn a_shard_with_nothing_to_run_passes() {
    let run = Test::new()
        .config("[gates.only]\nrun = \"true\"\n")
        .args(&["run", "--partition", "3/3", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), Vec::<String>::new());
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

#[test]
fn a_bad_partition_is_a_usage_error() {
    for bad in ["0/3", "4/3", "abc", "3", "1/0", "", "-1/3", "1/3/5", "1/ 3"] {
        let run = Test::new()
            .config("[gates.a]\nrun = \"touch ran\"\n")
            .args(&["run", &format!("--partition={bad}")])
            .run()
            .code(2)
            .stderr_has("--partition");
        assert!(!run.exists("ran"), "a gate ran with --partition {bad:?}");
    }
}

// ----------------------------------------------------------------- Merge

/// A run with a failing blocking gate and a failing warn gate.
const MIXED: &str = r#"
[gates.build]
run = "true"
[gates.unit]
run = "true"
needs = ["build"]
[gates.lint]
run = "echo E501; exit 1"
[gates.docs]
run = "true"
section = "Docs"
[gates.style]
run = "exit 1"
severity = "warn"
[gates.signed]
manual = true
section = "Release"
"#;

/// The JSON report (`--json`) of each shard of `config` split in `n`.
fn shard_reports(config: &str, n: usize) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let run = Test::new()
                .config(config)
                .args(&["run", "--partition", &format!("{k}/{n}")])
                .args(&["--json", "shard.json"])
                .run();
            assert!(
                matches!(run.output.status.code(), Some(0 | 1)),
                "shard {k}/{n}\n{}",
                run.transcript()
            );
            run.read("shard.json")
        })
        .collect()
}

/// A directory holding `shard-1.json` ... `shard-N.json`.
fn with_shards(reports: &[String]) -> Test {
    reports
        .iter()
        .enumerate()
        .fold(Test::new(), |test, (i, report)| {
            test.file(&format!("shard-{}.json", i + 1), report)
        })
}

/// `["shard-1.json", ..., "shard-N.json"]`.
fn shard_files(n: usize) -> Vec<String> {
    (1..=n).map(|k| format!("shard-{k}.json")).collect()
}

fn parse(report: &str) -> Value {
    serde_json::from_str(report).expect("a JSON report")
}

const STATUSES: [&str; 7] = [
    "passed",
    "failed",
    "timed_out",
    "error",
    "skipped",
    "cancelled",
    "pending",
];

/// The `counts` object of `gates`, counted again.
fn recount(gates: &[Value]) -> Value {
    let mut counts = serde_json::Map::new();
    for status in STATUSES {
        let n = gates.iter().filter(|g| g["status"] == status).count();
        counts.insert(status.to_owned(), json!(n));
    }
    Value::Object(counts)
}

#[test]
fn merge_joins_the_shards_into_one_report() {
    let reports = shard_reports(MIXED, 3);
    let files = shard_files(3);
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--format", "json"]);
    let run = with_shards(&reports).args(&args).run().code(1);
    let merged = run.stdout_json();

    let shards: Vec<Value> = reports.iter().map(|r| parse(r)).collect();
    let shard_ids: Vec<String> = shards
        .iter()
        .flat_map(|s| s["gates"].as_array().unwrap().iter())
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    // No gates.toml here: the gates come shard after shard.
    assert_eq!(run.ids(), shard_ids, "every gate, shard after shard");
    let mut sorted = shard_ids.clone();
    sorted.sort_unstable();
    let mut all = vec!["build", "unit", "lint", "docs", "style", "signed"];
    all.sort_unstable();
    assert_eq!(sorted, all);

    for status in STATUSES {
        let sum: u64 = shards
            .iter()
            .map(|s| s["counts"][status].as_u64().unwrap())
            .sum();
        assert_eq!(merged["counts"][status], sum, "counts.{status}");
    }
    assert_eq!(merged["outcome"], "fail");
    assert_eq!(merged["partition"], Value::Null);
    assert_eq!(merged["version"], 1);
    let longest = shards
        .iter()
        .map(|s| s["duration_ms"].as_u64().unwrap())
        .max();
    assert_eq!(merged["duration_ms"].as_u64(), longest);
    let earliest = shards
        .iter()
        .map(|s| s["started_at"].as_str().unwrap())
        .min();
    assert_eq!(merged["started_at"].as_str(), earliest);
    // The gates are the shards' gates, unchanged.
    for shard in &shards {
        for gate in shard["gates"].as_array().unwrap() {
            assert_eq!(&run.gate(gate["id"].as_str().unwrap()), gate);
        }
    }
}

#[test]
fn merge_next_to_the_config_lists_the_gates_in_config_order() {
    let reports = shard_reports(TWELVE, 3);
    let run = with_shards(&reports)
        .config(TWELVE)
        .args(&["merge", "shard-3.json", "shard-1.json", "shard-2.json"])
        .args(&["--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), TWELVE_IDS);
}

#[test]
fn merge_of_passing_shards_passes() {
    let reports = shard_reports(TWELVE, 3);
    let run = with_shards(&reports)
        .args(&["merge", "shard-1.json", "shard-2.json", "shard-3.json"])
        .args(&["--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["outcome"], "pass");
    assert_eq!(run.stdout_json()["counts"]["passed"], 12);
    let mut ids = run.ids();
    ids.sort_unstable();
    let mut all = TWELVE_IDS.to_vec();
    all.sort_unstable();
    assert_eq!(ids, all);
}

#[test]
fn merge_exit_code_follows_blocking_gates_not_warn_gates() {
    let config = "[gates.a]\nrun = \"true\"\n\
                  [gates.b]\nrun = \"exit 1\"\nseverity = \"warn\"\n\
                  [gates.c]\nmanual = true\n";
    let reports = shard_reports(config, 2);
    with_shards(&reports)
        .args(&["merge", "shard-1.json", "shard-2.json"])
        .run()
        .code(0);
}

#[test]
fn merge_recomputes_counts_and_outcome_from_the_gates() {
    // A shard report whose summary disagrees with its gates.
    let mut tampered = parse(&shard_reports(TWELVE, 2)[0]);
    tampered["gates"][0]["status"] = json!("failed");
    tampered["gates"][0]["reason"] = json!("exit status 1");
    tampered["counts"]["passed"] = json!(99);
    assert_eq!(tampered["outcome"], "pass");
    let other = shard_reports(TWELVE, 2).remove(1);
    let run = with_shards(&[tampered.to_string(), other])
        .args(&["merge", "shard-1.json", "shard-2.json", "--format", "json"])
        .run()
        .code(1);
    let merged = run.stdout_json();
    assert_eq!(merged["outcome"], "fail");
    assert_eq!(
        merged["counts"],
        recount(merged["gates"].as_array().unwrap())
    );
    assert_eq!(merged["counts"]["failed"], 1);
    assert_eq!(merged["counts"]["passed"], 11);
}

#[test]
fn merge_writes_the_report_files() {
    let reports = shard_reports(MIXED, 2);
    let run = with_shards(&reports)
        .args(&["merge", "shard-1.json", "shard-2.json", "--format", "json"])
        .args(&["--json", "gate.json", "--junit", "gate-junit.xml"])
        .args(&["--markdown", "gate.md", "-q"])
        .run()
        .code(1);
    let merged = run.stdout_json();
    assert_eq!(run.read_json("gate.json"), merged);
    assert_eq!(merged["gates"].as_array().unwrap().len(), 6);
    assert_junit_matches(&run.read("gate-junit.xml"), &merged);
    let markdown = run.read("gate.md");
    assert!(
        header_row(&markdown, "Outcome").contains("FAIL"),
        "{markdown}"
    );
    for gate in merged["gates"].as_array().unwrap() {
        let id = format!("`{}`", gate["id"].as_str().unwrap());
        assert!(markdown.contains(&id), "{id} in\n{markdown}");
    }
    assert!(
        !markdown.contains("| Partition |"),
        "a merged report is no longer a shard\n{markdown}"
    );
}

#[test]
fn merge_in_github_actions_annotates_and_writes_the_summary() {
    let reports = shard_reports(MIXED, 2);
    let test = with_shards(&reports).file("summary.md", EARLIER_SUMMARY);
    let summary = test.path().join("summary.md");
    let run = test
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .args(&[
            "merge",
            "shard-1.json",
            "shard-2.json",
            "--markdown",
            "gate.md",
        ])
        .run()
        .code(1);
    let mut commands = workflow_commands(&run);
    commands.sort_unstable();
    assert_eq!(
        commands,
        [
            "::error title=lint (failed)::lint: exit status 1",
            "::warning title=signed (pending)::signed: awaiting sign-off (confirm with gate ack signed, or --ack signed for one run)",
            "::warning title=style (failed)::style: exit status 1"
        ]
    );
    assert_eq!(
        run.read("summary.md"),
        format!("{EARLIER_SUMMARY}{}", run.read("gate.md"))
    );
}

#[test]
fn merge_of_a_missing_file_names_it() {
    let reports = shard_reports(TWELVE, 2);
    with_shards(&reports[..1])
        .args(&["merge", "shard-1.json", "shard-2.json"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("shard-2.json");
}

#[test]
fn merge_of_something_else_than_a_report_names_it() {
    let reports = shard_reports(TWELVE, 1);
    for (name, contents) in [
        ("notes.txt", "all good\n"),
        ("empty.json", ""),
        ("object.json", "{\"gates\": []}"),
        ("junit.xml", "<testsuites/>"),
    ] {
        with_shards(&reports)
            .file(name, contents)
            .args(&["merge", "shard-1.json", name])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_has(name);
    }
}

#[test]
fn merge_of_a_report_of_another_version_is_refused() {
    let mut report = parse(&shard_reports(TWELVE, 1)[0]);
    report["version"] = json!(2);
    with_shards(&[report.to_string()])
        .args(&["merge", "shard-1.json"])
        .run()
        .code(2)
        .stderr_has("shard-1.json");
}

#[test]
fn merge_refuses_a_gate_in_two_reports() {
    let reports = shard_reports(MIXED, 2);
    let first_id = parse(&reports[0])["gates"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    with_shards(&reports)
        .args(&["merge", "shard-1.json", "shard-2.json", "shard-1.json"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has(&format!("`{first_id}`"));
    // Shards of two different selections overlap too.
    let whole = shard_reports(MIXED, 1).remove(0);
    with_shards(&[whole, reports[1].clone()])
        .args(&["merge", "shard-1.json", "shard-2.json"])
        .run()
        .code(2);
}

/// `g1`, `g2`, ... for the numbers of `range`.
fn numbered(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("g{i}")).collect()
}

/// Shard reports `1/2` and `2/2` of a run whose shards had the gates
/// `ids[0]` and `ids[1]`: each a real shard report of one passed gate,
/// that gate repeated under every id of its list, counted again.
fn large_shards(ids: [&[String]; 2]) -> Vec<String> {
    let config = "[gates.a]\nrun = \"true\"\n[gates.b]\nrun = \"true\"\n";
    let reports = shard_reports(config, 2);
    reports
        .iter()
        .zip(ids)
        .map(|(report, ids)| {
            let mut report = parse(report);
            let gate = report["gates"][0].clone();
            assert!(gate.is_object(), "a shard with one gate\n{report}");
            let gates: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let mut gate = gate.clone();
                    gate["id"] = json!(id);
                    gate["name"] = json!(id);
                    gate
                })
                .collect();
            report["counts"] = recount(&gates);
            report["gates"] = Value::Array(gates);
            report.to_string()
        })
        .collect()
}

/// The ids of the gates of `report`, in its order.
fn report_ids(report: &Value) -> Vec<&str> {
    let gates = report["gates"].as_array().expect("gates array");
    gates.iter().map(|g| g["id"].as_str().unwrap()).collect()
}

#[test]
fn merge_of_two_shards_of_20000_gates_keeps_all_40000() {
    let (first, second) = (numbered(1..20_001), numbered(20_001..40_001));
    let run = with_shards(&large_shards([&first, &second]))
        .args(&["merge", "shard-1.json", "shard-2.json", "--format", "json"])
        .run()
        .code(0);
    let merged = run.stdout_json();
    assert_eq!(report_ids(&merged), [first, second].concat());
    assert_eq!(merged["counts"]["passed"], 40_000);
    assert_eq!(merged["outcome"], "pass");
}

#[test]
fn merge_of_40000_gates_next_to_their_config_lists_them_in_its_order() {
    // g1 ... g40000 scrambled: 7919 is prime to 40000, so i * 7919 mod
    // 40000 takes every value once.
    let config_order: Vec<String> = (0..40_000)
        .map(|i| format!("g{}", i * 7919 % 40_000 + 1))
        .collect();
    let config: String = config_order
        .iter()
        .map(|id| format!("[gates.{id}]\nrun = \"true\"\n"))
        .collect();
    let (first, second) = (numbered(1..20_001), numbered(20_001..40_001));
    let run = with_shards(&large_shards([&first, &second]))
        .config(&config)
        .args(&["merge", "shard-2.json", "shard-1.json", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(report_ids(&run.stdout_json()), config_order);
}

#[test]
fn merge_names_the_first_repeat_met_among_many_gates() {
    let first = numbered(1..20_001);
    let mut second = numbered(20_001..40_001);
    // Three repeats in shard 2, met in this order: g19999 (near the end
    // of shard 1), g5 (near its start), g20001 (shard 2's own first gate).
    second[100] = "g19999".to_owned();
    second[200] = "g5".to_owned();
    second[300] = "g20001".to_owned();
    let refused = |first: &[String], expected: &str| {
        with_shards(&large_shards([first, &second]))
            .args(&["merge", "shard-1.json", "shard-2.json"])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_is(&format!(
                "error: gate `{expected}` is in more than one report\n"
            ));
    };
    refused(&first, "g19999");
    // A repeat within shard 1 is met before any of shard 2.
    let mut first = first;
    first[15_000] = "g3".to_owned();
    refused(&first, "g3");
}

#[test]
fn merge_needs_a_file() {
    Test::new().args(&["merge"]).run().code(2);
}

#[test]
fn merge_reads_its_inputs_before_writing_its_outputs() {
    let reports = shard_reports(MIXED, 2);
    let run = with_shards(&reports)
        .args(&[
            "merge",
            "shard-1.json",
            "shard-2.json",
            "--json",
            "shard-1.json",
        ])
        .run();
    assert_ne!(run.read("shard-1.json"), "", "an input emptied");
    let run = run.code(1);
    assert_eq!(
        run.read_json("shard-1.json")["gates"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

// ----------------------------------------------------------- Completions

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = Test::new().args(&["completions", shell]).run().code(0);
        let script = run.stdout();
        assert!(!script.trim().is_empty(), "{shell}: empty");
        for word in ["gate", "merge", "partition"] {
            assert!(script.contains(word), "{shell}: no {word:?}\n{script}");
        }
        assert_eq!(run.stderr(), "", "{shell}");
    }
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    Test::new()
        .args(&["completions", "tcsh"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("tcsh");
    Test::new().args(&["completions"]).run().code(2);
}

/// `gate merge FILES` of `reports` (as `shard-K.json`) is refused, saying `message`.
#[track_caller]
fn assert_merge_refused(reports: &[String], files: &[&str], message: &str) {
    with_shards(reports)
        .args(&["merge"])
        .args(files)
        .run()
        .code(2)
        .stderr_has(message);
}

#[test]
fn merge_refuses_an_incomplete_set_of_shards() {
    let reports = shard_reports(MIXED, 3);
    let given = ["shard-1.json", "shard-3.json"];
    assert_merge_refused(&reports, &given, "shard 2/3 is missing");
}

#[test]
fn merge_names_a_few_missing_shards_and_counts_the_rest() {
    let reports = shard_reports(MIXED, 12);
    assert_merge_refused(
        &reports,
        &["shard-3.json", "shard-4.json"],
        "shards 1/12, 2/12, 5/12, 6/12, 7/12, 8/12, 9/12, 10/12 and 2 more are missing",
    );
    let first_ten = shard_files(10);
    let first_ten: Vec<&str> = first_ten.iter().map(String::as_str).collect();
    assert_merge_refused(&reports, &first_ten, "shards 11/12, 12/12 are missing");
    assert_merge_refused(
        &reports[..4],
        &["shard-1.json", "shard-2.json", "shard-4.json"],
        "shards 3/12, 5/12, 6/12, 7/12, 8/12, 9/12, 10/12, 11/12 and 1 more are missing",
    );
}

#[test]
fn merge_refuses_a_report_whose_partition_is_not_a_shard() {
    // Read as unsharded, shard 1 alone would merge without shard 2.
    let reports = shard_reports(MIXED, 2);
    for bad in ["0/2", "3/2", "1 of 2"] {
        let edited = reports[0].replace(
            "\"partition\": \"1/2\"",
            &format!("\"partition\": \"{bad}\""),
        );
        assert_ne!(edited, reports[0], "the report names its partition");
        let message = format!("a report's partition `{bad}` is not a shard K/N");
        assert_merge_refused(&[edited], &["shard-1.json"], &message);
    }
}

#[test]
fn merge_of_one_shard_of_a_huge_partition_answers_at_once() {
    // Walking every shard of 2^64 - 1 to find the missing ones never ends:
    // waited for with the harness's patience, a hang fails the test.
    let count = u64::MAX;
    let run = Test::new()
        .config(MIXED)
        .args(&[
            "run",
            "--partition",
            &format!("1/{count}"),
            "--json",
            "shard.json",
        ])
        .run();
    let report = run.read("shard.json");
    with_shards(&[report])
        .args(&["merge", "shard-1.json"])
        .spawn()
        .wait()
        .code(2)
        .stderr_has(&format!("shards 2/{count}, 3/{count},"))
        .stderr_has(&format!("and {} more are missing", count - 9));
}

#[test]
fn one_file_for_two_reports_is_a_usage_error() {
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .args(&["run", "--json", "same.out", "--markdown", "same.out"])
        .run()
        .code(2)
        .stderr_has("same.out is given for two reports");
}

#[test]
fn a_step_summary_that_cannot_be_written_is_a_warning_not_a_failure() {
    Test::new()
        .config("[gates.ok]\nrun = \"true\"\n")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", "/nonexistent/dir/summary.md")
        .args(&["run"])
        .run()
        .code(0)
        .stderr_has("gate: warning: GITHUB_STEP_SUMMARY");
}

#[test]
fn a_huge_shard_count_runs_the_few_gates_there_are() {
    let run = Test::new()
        .config("[gates.a]\nrun = \"true\"\n[gates.b]\nrun = \"true\"\n")
        .args(&[
            "run",
            "--partition",
            "1/18446744073709551615",
            "--format",
            "json",
        ])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["gates"].as_array().unwrap().len(), 1);
}
