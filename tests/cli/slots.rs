//! `slots = N`: a heavy gate counts as N of the `-j` running slots, one
//! with more than `-j` runs alone, and a heavy gate waiting for slots is
//! not overtaken by light gates.

use crate::Test;
use crate::harness::{check_fails, mkfifo};

/// `sh mark.sh in|out ID`: marks gate ID as running (`in`) or no longer
/// (`out`), and fails when a gate it may not run beside is running: for a
/// gate whose id starts with `heavy`, any other; for the others, a heavy
/// one. Every gate marks itself before it looks, so of two gates that
/// overlap, the later sees the earlier.
const MARK: &str = r#"
case "$2" in heavy*) forbidden='running-*' ;; *) forbidden='running-heavy*' ;; esac
[ "$1" = in ] && touch "running-$2"
for f in $forbidden; do
    if [ -e "$f" ] && [ "$f" != "running-$2" ]; then
        echo "$2 ran beside ${f#running-}"
        exit 1
    fi
done
[ "$1" = out ] && rm "running-$2"
exit 0
"#;

/// A gate that marks itself running around `body`.
fn marked(id: &str, body: &str, slots: Option<u32>) -> String {
    let slots = slots.map_or(String::new(), |n| format!("slots = {n}\n"));
    format!(
        "[gates.{id}]\nrun = 'sh mark.sh in {id} && {body} && sh mark.sh out {id}'\n\
         timeout = \"10s\"\n{slots}"
    )
}

/// Light gates `a` and `b` meet through the FIFO `ab`: each blocks until
/// the other has it open, so both pass only when they run side by side
/// (else one times out).
fn pair(a: &str, b: &str, marks: bool) -> String {
    let (write, read) = ("echo met > ab", "read line < ab");
    match marks {
        true => marked(a, write, None) + &marked(b, read, None),
        false => format!(
            "[gates.{a}]\nrun = '{write}'\ntimeout = \"10s\"\n\
             [gates.{b}]\nrun = '{read}'\ntimeout = \"10s\"\n"
        ),
    }
}

#[test]
fn a_heavy_gate_runs_alone_and_light_gates_side_by_side() {
    // At -j 2: `heavy` takes both slots; then the pair, which waited
    // first, meets; then `heavy-wide` (more slots than -j) runs alone;
    // then `last`.
    let config = marked("heavy", "true", Some(2))
        + &pair("a", "b", true)
        + &marked("heavy-wide", "true", Some(3))
        + &marked("last", "true", None);
    let test = Test::new().config(&config).file("mark.sh", MARK);
    mkfifo(&test.path().join("ab"));
    let run = test
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(0);
    for id in ["heavy", "a", "b", "heavy-wide", "last"] {
        assert_eq!(run.gate(id)["status"], "passed", "{}", run.transcript());
    }
}

#[test]
fn a_heavy_gate_leaves_the_slots_it_does_not_take() {
    // At -j 3, `heavy` (2 slots) and `light` (1) fit together: they meet.
    let config = "[gates.heavy]\nrun = 'echo met > ab'\nslots = 2\ntimeout = \"10s\"\n\
                  [gates.light]\nrun = 'read line < ab'\ntimeout = \"10s\"\n";
    let test = Test::new().config(config);
    mkfifo(&test.path().join("ab"));
    let run = test
        .args(&["run", "-j", "3", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(
        run.gate("light")["status"],
        "passed",
        "{}",
        run.transcript()
    );
}

#[test]
fn light_gates_run_side_by_side_without_slots() {
    let test = Test::new().config(&pair("a", "b", false));
    mkfifo(&test.path().join("ab"));
    let run = test
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("b")["status"], "passed", "{}", run.transcript());
}

#[test]
fn light_gates_do_not_overtake_a_heavy_gate_waiting_for_slots() {
    // `first` takes one of two slots, so `heavy` must wait. Neither
    // `later` (after it in the file) nor `early` (before it, ready once
    // `first` ends) may take the slot meanwhile: both start after `heavy`.
    let config = "\
[gates.first]\nrun = \"true\"\n\
[gates.early]\nrun = \"test -e heavy-done\"\nneeds = [\"first\"]\n\
[gates.heavy]\nrun = \"touch heavy-done\"\nslots = 2\n\
[gates.later]\nrun = \"test -e heavy-done\"\n";
    let run = Test::new()
        .config(config)
        .args(&["run", "-j", "2", "--format", "json"])
        .run()
        .code(0);
    for id in ["early", "heavy", "later"] {
        assert_eq!(run.gate(id)["status"], "passed", "{}", run.transcript());
    }
}

#[test]
fn a_heavy_gate_cancelled_while_it_waits_for_slots_holds_up_nothing() {
    // `heavy` waits for its slots, then is cancelled by fail-fast; the
    // gates after it are cancelled too, and the run ends.
    let config = "\
[gates.bad]\nrun = \"exit 1\"\n\
[gates.heavy]\nrun = \"true\"\nslots = 2\n\
[gates.later]\nrun = \"true\"\n";
    let run = Test::new()
        .config(config)
        .args(&["run", "-j", "2", "--fail-fast", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("heavy")["status"], "cancelled");
    assert_eq!(run.gate("later")["status"], "cancelled");
}

#[test]
fn slots_show_in_the_list_and_the_dry_run() {
    let config = "[gates.tests]\nrun = \"true\"\nslots = 2\n\
                  [gates.coverage]\nrun = \"true\"\nslots = 8\n\
                  [gates.lint]\nrun = \"true\"\n";
    Test::new()
        .config(config)
        .args(&["run", "--dry-run", "-j", "4"])
        .run()
        .code(0)
        .stdout_is(
            "gate: would run 3 gates, 4 at once (dry run; nothing was run)\n\
             \x20  1. tests (2 slots)  $ true\n\
             \x20  2. coverage (8 slots: runs alone)  $ true\n\
             \x20  3. lint  $ true\n",
        );
    Test::new()
        .config(config)
        .args(&["list"])
        .run()
        .code(0)
        .stdout_is(
            "tests     command  tests  2 slots\n\
             coverage  command  coverage  8 slots\n\
             lint      command  lint\n",
        );
    let run = Test::new()
        .config(config)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    let slots: Vec<u64> = run
        .stdout_json()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["slots"].as_u64().unwrap())
        .collect();
    assert_eq!(slots, [2, 8, 1]);
}

#[test]
fn slots_must_be_a_whole_number_of_at_least_one() {
    check_fails(
        "[gates.tests]\nrun = \"true\"\nslots = 0\n",
        r#"error: invalid slots 0: it must be at least 1
 --> gates.toml:3:9
  |
3 | slots = 0
  |         ^"#,
    );
    check_fails(
        "[gates.tests]\nrun = \"true\"\nslots = 1.5\n",
        r#"error: invalid type: floating point `1.5`, expected an integer
 --> gates.toml:3:9
  |
3 | slots = 1.5
  |         ^^^"#,
    );
}
