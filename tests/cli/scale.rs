//! Large configs: planning is linear in the number of gates, and the plans,
//! partitions and lists of a config stay what they were (CI shards rely on
//! the partitions). Deep chains of `needs` are checked and planned.

use crate::Test;

/// Gates whose needs and `after` point forward and backward, two services
/// (one with a need), sections: every choice the planner makes.
const MIXED: &str = "\
[services.api]\n\
run = \"sleep 1\"\n\
needs = [\"g17\"]\n\
\n\
[services.db]\n\
run = \"sleep 1\"\n\
\n\
[gates]\n\
g1 = { run = \"true\", section = \"S1\" }\n\
g2 = { run = \"true\", section = \"S2\" }\n\
g3 = { run = \"true\", section = \"S3\", needs = [\"g7\"] }\n\
g4 = { run = \"true\" }\n\
g5 = { run = \"true\", section = \"S1\", after = [\"g6\"] }\n\
g6 = { run = \"true\", section = \"S2\", needs = [\"g10\"] }\n\
g7 = { run = \"true\", section = \"S3\", services = [\"api\"] }\n\
g8 = { run = \"true\", needs = [\"g3\"] }\n\
g9 = { run = \"true\", section = \"S1\", needs = [\"g13\"] }\n\
g10 = { run = \"true\", section = \"S2\", after = [\"g11\"] }\n\
g11 = { run = \"true\", section = \"S3\", services = [\"db\"] }\n\
g12 = { run = \"true\", needs = [\"g16\"] }\n\
g13 = { run = \"true\", section = \"S1\" }\n\
g14 = { run = \"true\", section = \"S2\", services = [\"api\"] }\n\
g15 = { run = \"true\", section = \"S3\", needs = [\"g19\"], after = [\"g16\"] }\n\
g16 = { run = \"true\", needs = [\"g11\"] }\n\
g17 = { run = \"true\", section = \"S1\" }\n\
g18 = { run = \"true\", section = \"S2\", needs = [\"g22\"] }\n\
g19 = { run = \"true\", section = \"S3\" }\n\
g20 = { run = \"true\", after = [\"g21\"] }\n\
g21 = { run = \"true\", section = \"S1\", services = [\"api\"] }\n\
g22 = { run = \"true\", section = \"S2\", services = [\"db\"] }\n\
g23 = { run = \"true\", section = \"S3\" }\n\
g24 = { run = \"true\", needs = [\"g19\"] }\n\
";

#[test]
fn a_dry_run_starts_gates_in_the_same_order() {
    Test::new()
        .config(MIXED)
        .args(&["run", "--dry-run", "-j", "3"])
        .run()
        .code(0)
        .stdout_is(
            "gate: would run 24 gates, 3 at once (dry run; nothing was run)\n\
             \x20  1. g1  $ true\n\
             \x20  2. g2  $ true\n\
             \x20  3. g4  $ true\n\
             \x20  4. g11  $ true\n\
             \x20  5. g10 (after g11)  $ true\n\
             \x20  6. g6 (after g10)  $ true\n\
             \x20  7. g5 (after g6)  $ true\n\
             \x20  8. g13  $ true\n\
             \x20  9. g9 (after g13)  $ true\n\
             \x20 10. g16 (after g11)  $ true\n\
             \x20 11. g12 (after g16)  $ true\n\
             \x20 12. g17  $ true\n\
             \x20 13. g7 (after g17)  $ true\n\
             \x20 14. g3 (after g7)  $ true\n\
             \x20 15. g8 (after g3)  $ true\n\
             \x20 16. g14 (after g17)  $ true\n\
             \x20 17. g19  $ true\n\
             \x20 18. g15 (after g19, g16)  $ true\n\
             \x20 19. g21 (after g17)  $ true\n\
             \x20 20. g20 (after g21)  $ true\n\
             \x20 21. g22  $ true\n\
             \x20 22. g18 (after g22)  $ true\n\
             \x20 23. g23  $ true\n\
             \x20 24. g24 (after g19)  $ true\n\
             Services\n\
             \x20 api  `sleep 1`  used by g7, g14, g21\n\
             \x20 db   `sleep 1`  used by g11, g22\n",
        );
}

#[test]
fn partitions_deal_the_same_gates_to_each_shard() {
    let shards = [
        "g1 g4 g11 g10 g6 g16 g12 g20",
        "g2 g5 g13 g9 g19 g15 g23 g24",
        "g17 g7 g3 g8 g14 g21 g22 g18",
    ];
    for (k, expected) in shards.iter().enumerate() {
        let partition = format!("{}/3", k + 1);
        let run = Test::new()
            .config(MIXED)
            .args(&["run", "--dry-run", "--partition", &partition])
            .run()
            .code(0);
        assert_eq!(planned_ids(&run.stdout()), *expected, "shard {partition}");
    }
}

/// The ids a dry run would start, in its order.
fn planned_ids(stdout: &str) -> String {
    let steps = stdout
        .lines()
        .skip(1)
        .take_while(|line| line != &"Services");
    let ids: Vec<&str> = steps
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    ids.join(" ")
}

#[test]
fn list_groups_gates_by_section_and_services_by_user() {
    Test::new()
        .config(MIXED)
        .args(&["list"])
        .run()
        .code(0)
        .stdout_is(
            "g4   command  g4\n\
             g8   command  g8  needs g3\n\
             g12  command  g12  needs g16\n\
             g16  command  g16  needs g11\n\
             g20  command  g20  after g21\n\
             g24  command  g24  needs g19\n\
             S1\n\
             \x20 g1   command  g1\n\
             \x20 g5   command  g5  after g6\n\
             \x20 g9   command  g9  needs g13\n\
             \x20 g13  command  g13\n\
             \x20 g17  command  g17\n\
             \x20 g21  command  g21  uses api\n\
             S2\n\
             \x20 g2   command  g2\n\
             \x20 g6   command  g6  needs g10\n\
             \x20 g10  command  g10  after g11\n\
             \x20 g14  command  g14  uses api\n\
             \x20 g18  command  g18  needs g22\n\
             \x20 g22  command  g22  uses db\n\
             S3\n\
             \x20 g3   command  g3  needs g7\n\
             \x20 g7   command  g7  uses api\n\
             \x20 g11  command  g11  uses db\n\
             \x20 g15  command  g15  needs g19  after g16\n\
             \x20 g19  command  g19\n\
             \x20 g23  command  g23\n\
             Services\n\
             \x20 api  `sleep 1`  used by g7, g14, g21\n\
             \x20 db   `sleep 1`  used by g11, g22\n",
        );
}

/// `count` gates, each needing the one before it; the first needs `first_needs`.
fn chain(count: usize, first_needs: &str) -> String {
    let mut text = format!("[gates.g1]\nrun = \"true\"\nneeds = [{first_needs}]\n");
    for i in 2..=count {
        text.push_str(&format!(
            "[gates.g{i}]\nrun = \"true\"\nneeds = [\"g{}\"]\n",
            i - 1
        ));
    }
    text
}

#[test]
fn a_long_chain_of_needs_is_checked_and_planned_in_its_order() {
    let test = Test::new().config(&chain(3000, ""));
    let dry = test.args(&["run", "--dry-run"]).run().code(0);
    let last = dry.stdout().lines().last().unwrap_or_default().to_owned();
    assert_eq!(last, "3000. g3000 (after g2999)  $ true");
    Test::new()
        .config(&chain(3000, ""))
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (3000 gates)\n");
}

#[test]
fn a_cycle_at_the_end_of_a_long_chain_is_named() {
    Test::new()
        .config(&chain(3000, "\"g3000\""))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("needs cycle: g1 -> g3000 -> g2999 -> ")
        .stderr_has(" -> g2 -> g1\n");
}
