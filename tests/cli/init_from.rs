//! `gate init --from CHECKLIST.md`: a gates.toml from a team's Markdown
//! checklist, on the two real seed checklists and fixtures of other shapes.

use serde_json::Value;

use crate::Test;

/// A fixture checklist's text.
fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/cli/fixtures/checklists/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Writes gates.toml from fixture `name`; what it printed and `gate list`
/// of the result (which `gate check` accepts).
fn imported(name: &str) -> (String, Vec<Value>) {
    let run = Test::new()
        .file("CHECKLIST.md", &fixture(name))
        .args(&["init", "--from", "CHECKLIST.md"])
        .run()
        .code(0);
    let config = run.test.path().join("gates.toml");
    let config = config.to_str().expect("a UTF-8 path");
    let check = Test::new().args(&["-c", config, "check"]).run().code(0);
    assert!(check.stdout().contains("ok"), "{}", check.transcript());
    let list = Test::new()
        .args(&["-c", config, "list", "--format", "json"])
        .run()
        .code(0);
    let gates = list.stdout_json().as_array().expect("a list").clone();
    (run.stdout(), gates)
}

/// How many gates of each kind: (command, http, manual).
fn kinds(gates: &[Value]) -> (usize, usize, usize) {
    let count = |kind: &str| gates.iter().filter(|g| g["kind"] == kind).count();
    (count("command"), count("http"), count("manual"))
}

#[test]
fn the_python_seed_becomes_commands_probes_and_manual_gates() {
    let (summary, gates) = imported("checklist-python-spa.md");
    assert!(
        summary.contains("102 items: 13 commands, 3 probes, 86 manual (6 held back)"),
        "{summary}"
    );
    assert_eq!(gates.len(), 102);
    assert_eq!(kinds(&gates), (13, 3, 86));
    let rollback = gates
        .iter()
        .find(|g| g["id"] == "rollback-database")
        .expect("the rollback item");
    assert_eq!(rollback["kind"], "manual", "an action is held back");
    assert!(
        summary.contains("held back `rollback-database` (under the heading `Rollback Plan`): alembic downgrade -1"),
        "{summary}"
    );
}

#[test]
fn the_node_seed_without_code_blocks_is_all_manual() {
    let (summary, gates) = imported("checklist-node-mongo.md");
    assert!(
        summary.contains("242 items: 0 commands, 0 probes, 242 manual (0 held back)"),
        "{summary}"
    );
    assert_eq!(kinds(&gates), (0, 0, 242));
}

#[test]
fn nested_items_keep_document_order_and_held_back_pushes() {
    let (summary, gates) = imported("release-nested.md");
    assert!(
        summary.contains("17 items: 3 commands, 2 probes, 12 manual (4 held back)"),
        "{summary}"
    );
    for held in [
        "image-pushed",
        "release-tag-created",
        "previous-image-redeployed",
    ] {
        let gate = gates.iter().find(|g| g["id"] == held).expect(held);
        assert_eq!(gate["kind"], "manual", "{held}");
    }
}

#[test]
fn a_checklist_without_task_items_writes_nothing() {
    let run = Test::new()
        .file("CHECKLIST.md", &fixture("no-items.md"))
        .args(&["init", "--from", "CHECKLIST.md"])
        .run()
        .code(2);
    assert!(
        run.stderr().contains("has no task item"),
        "{}",
        run.transcript()
    );
    assert!(!run.exists("gates.toml"));
}

#[test]
fn dash_prints_the_config() {
    let run = Test::new()
        .file("CHECKLIST.md", "# Release\n\n- [ ] Team notified\n")
        .args(&["init", "--from", "CHECKLIST.md", "-"])
        .run()
        .code(0);
    assert!(
        run.stdout().contains("[gates.team-notified]"),
        "{}",
        run.transcript()
    );
    assert!(!run.exists("gates.toml"));
}

#[test]
fn a_checklist_of_another_shape_keeps_its_items_sections_and_actions() {
    let (summary, gates) = imported("launch-saas.md");
    assert!(
        summary.contains("21 items: 4 commands, 2 probes, 15 manual (3 held back)"),
        "{summary}"
    );
    let gate = |id: &str| {
        let found = gates.iter().find(|g| g["id"] == id);
        found.unwrap_or_else(|| panic!("no gate {id}: {gates:?}"))
    };
    // A `$ ` prompt in a bash block is not part of the command.
    assert_eq!(gate("backend-tests-green")["kind"], "command");
    // Python, YAML and PowerShell blocks are not shell commands.
    for id in [
        "debug-is-false-in-production-settings",
        "worker-queues-configured",
        "windows-agents-restarted",
    ] {
        assert_eq!(gate(id)["kind"], "manual", "{id}");
    }
    // A numbered item nested in a numbered item, with its `cd` as cwd.
    assert_eq!(gate("npm-run-build-succeeds")["section"], "Quality gates");
    // Approvals are people's, even with a command shown.
    assert_eq!(gate("approved-by-engineering-lead")["kind"], "manual");
    assert_eq!(
        gate("legacy-nagios-checks-removed")["name"],
        "Legacy Nagios checks removed"
    );
    for held in [
        "held back `infrastructure-changes-applied` (`terraform apply` changes things)",
        "held back `package-published-to-the-registry` (`npm publish` changes things)",
        "held back `restore-drill-performed-on-staging` (under the heading `Disaster recovery`)",
    ] {
        assert!(summary.contains(held), "{summary}");
    }
    let sections: Vec<&str> = gates.iter().filter_map(|g| g["section"].as_str()).collect();
    let mut distinct = sections.clone();
    distinct.dedup();
    assert_eq!(
        distinct,
        [
            "Infrastructure",
            "Configuration",
            "Quality gates",
            "Observability",
            "Disaster recovery",
            "Approvals"
        ]
    );
}

/// `gate init --from` of fixture `name`, then `gate run --markdown` of the
/// result with nothing on PATH (no command of the checklist runs), its
/// placeholders set and every probe sent to a closed proxy port: the
/// report's Markdown, and `gate list` of the config.
fn round_trip(name: &str) -> (String, Vec<Value>) {
    let test = Test::new().file("CHECKLIST.md", &fixture(name));
    let init = test
        .command()
        .args(["init", "--from", "CHECKLIST.md"])
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let config = std::fs::read_to_string(test.path().join("gates.toml")).unwrap();
    let mut run = test.command();
    run.args(["run", "--markdown", "report.md"])
        .env("PATH", "/nonexistent")
        .env("HTTPS_PROXY", "http://127.0.0.1:1")
        .env("HTTP_PROXY", "http://127.0.0.1:1");
    for variable in placeholders(&config) {
        run.env(variable, "placeholder");
    }
    let output = run.output().unwrap();
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "{output:?}"
    );
    let markdown = std::fs::read_to_string(test.path().join("report.md")).unwrap();
    let list = test
        .command()
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let gates: Value = serde_json::from_slice(&list.stdout).unwrap();
    (markdown, gates.as_array().unwrap().clone())
}

/// The variables the header of an imported config asks to set.
fn placeholders(config: &str) -> Vec<&str> {
    config
        .lines()
        .find_map(|line| line.strip_prefix("# Set these variables first: "))
        .map(|names| names.split(", ").collect())
        .unwrap_or_default()
}

/// The items of a Markdown report, in order: (section as written, id).
fn report_items(markdown: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut items = Vec::new();
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            // Markdown's punctuation is escaped in the heading: `A \& B`.
            section = heading.replace('\\', "");
        } else if line.starts_with("- [ ] ") || line.starts_with("- [x] ") {
            let id = line.split_once("(`").map_or(line, |(_, rest)| rest);
            let id = id.split_once("`)").map_or(id, |(id, _)| id);
            items.push((section.clone(), id.to_owned()));
        }
    }
    items
}

/// `text` as a comparable run of letters and digits: link targets, HTML
/// tags and everything but letters and digits left out, lower case.
fn letters(text: &str) -> String {
    let links = regex::Regex::new(r"\]\([^)]*\)|<[A-Za-z/!][^>\n]*>").unwrap();
    links
        .replace_all(text, "")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How many task items the checklist has, counted line by line.
fn task_lines(markdown: &str) -> usize {
    let task = regex::Regex::new(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s").unwrap();
    markdown.lines().filter(|line| task.is_match(line)).count()
}

#[test]
fn the_markdown_report_of_an_imported_checklist_gives_back_its_items() {
    for name in [
        "checklist-python-spa.md",
        "checklist-node-mongo.md",
        "release-nested.md",
        "launch-saas.md",
    ] {
        let checklist = fixture(name);
        let (markdown, gates) = round_trip(name);
        let listed: Vec<(String, String)> = gates
            .iter()
            .map(|g| {
                let section = g["section"].as_str().unwrap_or_default().to_owned();
                (section, g["id"].as_str().unwrap().to_owned())
            })
            .collect();
        let reported = report_items(&markdown);
        assert_eq!(reported, listed, "{name}: the report's sections and order");
        assert_eq!(reported.len(), task_lines(&checklist), "{name}: every item");
        // Each name is the checklist's text of its item, in the checklist's order.
        let text = letters(&checklist);
        let mut from = 0;
        for gate in &gates {
            let item = letters(gate["name"].as_str().unwrap());
            let at = text[from..].find(&item).map(|at| from + at);
            let at = at.unwrap_or_else(|| panic!("{name}: {item} after {from}"));
            from = at + item.len();
        }
    }
}
