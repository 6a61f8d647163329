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
