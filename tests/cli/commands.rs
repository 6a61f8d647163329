//! Commands judged by more than their exit status (contract 1.1): `expect`
//! beside `run` (`exit_code`, `output_contains`, `output_not_contains`,
//! `output_matches`, `output_json`), `error_codes`, exit 127, the config
//! errors of these keys, and `outputs` written to `$GATE_OUTPUT` flowing to
//! the gates that need the writer.

use serde_json::json;

use crate::Test;
use crate::harness::{
    assert_ended, assert_failed_with, assert_hidden, assert_passed, at, at_in, check_fails, record,
    run_json,
};

// --- exit_code -----------------------------------------------------------------

#[test]
fn every_code_of_an_exit_code_list_passes() {
    let config = r#"
[gates.clean]
run = "exit 0"
expect = { exit_code = [0, 1] }

[gates.findings]
run = "exit 1"
expect = { exit_code = [0, 1] }
"#;
    let run = run_json(config, 0);
    assert_passed(&run.gate("clean"));
    assert_passed(&run.gate("findings"));
    assert_eq!(run.gate("findings")["exit_code"], 1);
}

#[test]
fn a_code_outside_the_exit_code_list_fails_with_its_record() {
    let config = r#"
[gates.audit]
run = "exit 2"
expect = { exit_code = [0, 1] }
"#;
    let gate = run_json(config, 1).gate("audit");
    assert_failed_with(
        &gate,
        record("exit_code", "0 or 1", "2", &at(config, "[0, 1]")),
    );
    assert_eq!(gate["exit_code"], 2);
}

#[test]
fn a_single_exit_code_passes_that_code_and_fails_even_zero() {
    let config = r#"
[gates.three]
run = "exit 3"
expect = { exit_code = 3 }

[gates.zero]
run = "exit 0"
expect = { exit_code = 3 }
"#;
    let run = run_json(config, 1);
    assert_passed(&run.gate("three"));
    assert_failed_with(
        &run.gate("zero"),
        record("exit_code", "3", "0", &at_in(config, "zero", "3 }")),
    );
}

// --- error_codes -------------------------------------------------------------------

#[test]
fn an_error_code_makes_the_gate_error_not_failed() {
    let config = r#"
[gates.cannot-run]
run = "echo 'npm ERR! network'; exit 2"
expect = { exit_code = [0, 1] }
error_codes = [2, 126]

[gates.not-executable]
run = "exit 126"
error_codes = [2, 126]
"#;
    let run = run_json(config, 1);
    for (id, code) in [("cannot-run", 2), ("not-executable", 126)] {
        let gate = run.gate(id);
        assert_ended(
            &gate,
            "error",
            &format!("exit status {code}, which `error_codes` says means the check could not run"),
        );
        assert_eq!(gate["failures"], json!([]), "{gate:#}");
        assert_eq!(gate["exit_code"], code);
    }
    assert_eq!(run.stdout_json()["counts"]["error"], 2);
    assert_eq!(run.stdout_json()["counts"]["failed"], 0);
}

#[test]
fn an_exit_code_not_in_error_codes_still_fails() {
    let gate = run_json(
        "[gates.audit]\nrun = \"exit 1\"\nerror_codes = [2, 126]\n",
        1,
    )
    .gate("audit");
    assert_ended(&gate, "failed", "exit status 1");
    assert_eq!(gate["failures"], json!([]), "{gate:#}");
}

#[test]
fn exit_127_is_an_error_unless_exit_code_lists_it() {
    let config = r#"
[gates.plain]
run = "nope-xyz-command"

[gates.with-expect]
run = "nope-xyz-command"
expect = { exit_code = [0, 1] }

[gates.listed]
run = "nope-xyz-command"
expect = { exit_code = [0, 127] }
"#;
    let run = run_json(config, 1);
    for id in ["plain", "with-expect"] {
        assert_ended(
            &run.gate(id),
            "error",
            "command not found (exit status 127)",
        );
    }
    assert_passed(&run.gate("listed"));
    assert_eq!(run.gate("listed")["exit_code"], 127);
}

// --- output_contains -----------------------------------------------------------------

#[test]
fn output_contains_passes_when_the_text_is_there_on_stdout_or_stderr() {
    let config = r#"
[gates.stdout]
run = "echo 'audited 12 packages'"
expect = { output_contains = "audited" }

[gates.stderr]
run = "echo 'audited 12 packages' >&2"
expect = { output_contains = "audited" }
"#;
    let run = run_json(config, 0);
    assert_passed(&run.gate("stdout"));
    assert_passed(&run.gate("stderr"));
}

#[test]
fn output_contains_fails_with_the_size_of_the_output_without_it() {
    let printed = "found 0 vulnerabilities in 12 packages";
    let config = format!(
        "[gates.audit]\nrun = \"echo '{printed}'\"\nexpect = {{ output_contains = \"audited\" }}\n"
    );
    let gate = run_json(&config, 1).gate("audit");
    assert_failed_with(
        &gate,
        record(
            "output",
            "containing \"audited\"",
            &format!("{} bytes of output without it", printed.len() + 1),
            &at(&config, "\"audited\""),
        ),
    );
}

#[test]
fn output_contains_finds_text_split_across_two_writes() {
    let config = r#"
[gates.split]
run = "printf 'aud'; sleep 0.1; printf 'ited'"
expect = { output_contains = "audited" }
"#;
    assert_passed(&run_json(config, 0).gate("split"));
}

#[test]
fn output_contains_finds_text_at_the_end_of_megabytes_of_output() {
    let config = r#"
[gates.found]
run = "yes | head -c 5000000; echo 'all packages audited'"
expect = { output_contains = "audited" }

[gates.absent]
run = "yes | head -c 5000000"
expect = { output_contains = "audited" }
"#;
    let run = run_json(config, 1);
    assert_passed(&run.gate("found"));
    assert_failed_with(
        &run.gate("absent"),
        record(
            "output",
            "containing \"audited\"",
            "5000000 bytes of output without it",
            &at_in(config, "absent", "\"audited\""),
        ),
    );
}

// --- output_not_contains -------------------------------------------------------------

#[test]
fn output_not_contains_passes_when_the_text_is_absent() {
    let config = r#"
[gates.audit]
run = "echo 'No known vulnerabilities found'"
expect = { output_not_contains = "could not be audited" }
"#;
    assert_passed(&run_json(config, 0).gate("audit"));
}

#[test]
fn output_not_contains_fails_showing_the_text_in_its_output() {
    let config = r#"
[gates.audit]
run = "echo 'flask: could not be audited (local package)' >&2"
expect = { output_not_contains = "could not be audited" }
"#;
    let gate = run_json(config, 1).gate("audit");
    assert_failed_with(
        &gate,
        record(
            "output",
            "without \"could not be audited\"",
            r#""flask: could not be audited (local package)\n""#,
            &at(config, "\"could not be audited\""),
        ),
    );
}

#[test]
fn output_not_contains_catches_text_split_across_two_writes() {
    let config = r#"
[gates.split]
run = "printf 'could not '; sleep 0.1; printf 'be audited'"
expect = { output_not_contains = "could not be audited" }
"#;
    let gate = run_json(config, 1).gate("split");
    assert_failed_with(
        &gate,
        record(
            "output",
            "without \"could not be audited\"",
            r#""could not be audited""#,
            &at(config, "\"could not be audited\""),
        ),
    );
}

#[test]
fn output_not_contains_catches_text_after_megabytes_of_output() {
    let config = r#"
[gates.audit]
run = "yes | head -c 5000000; echo 'flask could not be audited'"
expect = { output_not_contains = "could not be audited" }
"#;
    let gate = run_json(config, 1).gate("audit");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let actual = gate["failures"][0]["actual"].as_str().unwrap();
    assert!(
        actual.starts_with("…\"y\\ny\\n") && actual.ends_with("\\nflask could not be audited\\n\""),
        "the context before the text, cut: {actual}"
    );
    assert!(actual.len() < 1000, "a context, not the output: {actual}");
}

// --- output_matches ------------------------------------------------------------------

#[test]
fn output_matches_tries_every_line() {
    let config = r#"
[gates.audit]
run = "printf 'auditing\nfound 0 vulnerabilities\ndone\n'"
expect = { output_matches = '^found 0 vulnerabilities$' }
"#;
    assert_passed(&run_json(config, 0).gate("audit"));
}

#[test]
fn output_matches_fails_when_no_line_matches() {
    let printed = "auditing\nfound 2 vulnerabilities\ndone\n";
    let config = format!(
        "[gates.audit]\nrun = \"printf '{}'\"\nexpect = {{ output_matches = '^found 0 vulnerabilities$' }}\n",
        printed.replace('\n', "\\n")
    );
    let gate = run_json(&config, 1).gate("audit");
    assert_failed_with(
        &gate,
        record(
            "output",
            "a line matching /^found 0 vulnerabilities$/",
            &format!("{} bytes of output, no line matching", printed.len()),
            &at(&config, "'^found"),
        ),
    );
}

#[test]
fn output_matches_a_line_written_in_two_parts() {
    let config = r#"
[gates.split]
run = "printf 'found 0 vul'; sleep 0.1; printf 'nerabilities\n'"
expect = { output_matches = '^found 0 vulnerabilities$' }
"#;
    assert_passed(&run_json(config, 0).gate("split"));
}

#[test]
fn output_matches_a_line_at_the_end_of_megabytes_of_output() {
    let config = r#"
[gates.audit]
run = "yes | head -c 5000000; echo 'found 0 vulnerabilities'"
expect = { output_matches = '^found 0 vulnerabilities$' }
"#;
    assert_passed(&run_json(config, 0).gate("audit"));
}

// --- output_json -----------------------------------------------------------------------

/// What `npm audit --json` prints, with `high` high vulnerabilities.
fn npm_audit(high: u32) -> String {
    format!(
        r#"{{
  "auditReportVersion": 2,
  "vulnerabilities": {{}},
  "metadata": {{
    "vulnerabilities": {{ "info": 0, "low": 0, "moderate": 0, "high": {high}, "critical": 0, "total": {high} }},
    "dependencies": {{ "prod": 12, "dev": 3, "total": 15 }}
  }}
}}
"#
    )
}

/// The npm-audit gate of the contract, on `audit.json` (exit 1 when it found anything).
const NPM_AUDIT: &str = r#"
[gates.npm-audit]
run = "cat audit.json; grep -q '\"total\": 0' audit.json || exit 1"
expect = { exit_code = [0, 1], output_json = { "/metadata/vulnerabilities/high" = 0, "/metadata/vulnerabilities/critical" = 0 } }
error_codes = [2, 126]
"#;

#[test]
fn output_json_passes_an_npm_audit_without_high_vulnerabilities() {
    let run = Test::new()
        .config(NPM_AUDIT)
        .file("audit.json", &npm_audit(0))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("npm-audit"));
}

#[test]
fn output_json_fails_an_npm_audit_with_two_high_vulnerabilities() {
    let run = Test::new()
        .config(NPM_AUDIT)
        .file("audit.json", &npm_audit(2))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("npm-audit");
    assert_eq!(gate["exit_code"], 1, "the exit code itself is expected");
    assert_failed_with(
        &gate,
        record(
            "json /metadata/vulnerabilities/high",
            "= 0",
            "2",
            &at(NPM_AUDIT, "0, \"/metadata/vulnerabilities/critical\""),
        ),
    );
}

#[test]
fn output_json_skips_a_warning_before_the_document() {
    let config = r#"
[gates.npm-audit]
run = "echo 'npm WARN config production Use `--omit=dev` instead.' >&2; cat audit.json"
expect = { output_json = { "/metadata/vulnerabilities/high" = 0 } }

[gates.npm-audit-high]
run = "echo 'npm WARN config production Use `--omit=dev` instead.' >&2; cat high.json"
expect = { output_json = { "/metadata/vulnerabilities/high" = 0 } }
"#;
    let run = Test::new()
        .config(config)
        .file("audit.json", &npm_audit(0))
        .file("high.json", &npm_audit(2))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_passed(&run.gate("npm-audit"));
    assert_eq!(
        run.gate("npm-audit-high")["failures"][0]["actual"],
        "2",
        "the document after the warning is the one judged"
    );
}

#[test]
fn output_that_is_not_json_fails_output_json_with_its_start() {
    let config = r#"
[gates.npm-audit]
run = "echo 'npm ERR! code ENOLOCK'"
expect = { output_json = { "/metadata/vulnerabilities/high" = 0 } }
"#;
    let gate = run_json(config, 1).gate("npm-audit");
    assert_failed_with(
        &gate,
        record(
            "output",
            "JSON",
            r#""npm ERR! code ENOLOCK\n" (not JSON: expected ident at line 1 column 2)"#,
            &at(config, "0 }"),
        ),
    );
}

#[test]
fn output_json_len_fails_a_pip_audit_that_audited_nothing() {
    let config = r#"
[gates.audited-nothing]
run = "echo '{\"dependencies\": [], \"fixes\": []}'"
expect = { output_json = { "/dependencies" = { len = { gte = 1 } } } }

[gates.audited-flask]
run = "echo '{\"dependencies\": [{\"name\": \"flask\", \"version\": \"3.0.0\", \"vulns\": []}], \"fixes\": []}'"
expect = { output_json = { "/dependencies" = { len = { gte = 1 } } } }
"#;
    let run = run_json(config, 1);
    assert_passed(&run.gate("audited-flask"));
    assert_failed_with(
        &run.gate("audited-nothing"),
        record(
            "json /dependencies",
            "of length >= 1",
            "length 0",
            &at_in(config, "audited-nothing", "{ len"),
        ),
    );
}

// --- config errors ---------------------------------------------------------------------

#[test]
fn a_code_both_expected_and_an_error_is_a_config_error() {
    check_fails(
        "[gates.audit]\nrun = \"npm audit\"\nexpect = { exit_code = [0, 2] }\nerror_codes = [2, 126]\n",
        "error: exit code 2 is both expected (`exit_code`) and an error (`error_codes`): keep it in one
 --> gates.toml:3:24
  |
3 | expect = { exit_code = [0, 2] }
  |                        ^^^^^^",
    );
}

#[test]
fn an_empty_expect_is_a_config_error() {
    check_fails(
        "[gates.audit]\nrun = \"npm audit\"\nexpect = {}\n",
        "error: `expect` has nothing to check: give it `exit_code`, `output_contains`, `output_not_contains`, `output_matches` or `output_json`
 --> gates.toml:3:10
  |
3 | expect = {}
  |          ^^",
    );
}

#[test]
fn command_keys_beside_an_http_check_are_config_errors_naming_the_key() {
    for (line, key) in [
        ("expect = { exit_code = 0 }", "expect"),
        ("error_codes = [2]", "error_codes"),
        ("outputs = [\"BUILD_SHA\"]", "outputs"),
    ] {
        let config =
            format!("[gates.health]\nhttp = {{ url = \"http://127.0.0.1:9/\" }}\n{line}\n");
        let column = line.find(" = ").unwrap() + " = ".len() + 1;
        Test::new()
            .config(&config)
            .args(&["check"])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_has(&format!(
                "error: `{key}` beside the check is for `run` gates"
            ))
            .stderr_has(&format!(" --> gates.toml:3:{column}\n"));
    }
}

#[test]
fn an_invalid_output_matches_regex_is_a_config_error() {
    check_fails(
        "[gates.audit]\nrun = \"true\"\nexpect = { output_matches = \"(\" }\n",
        "error: invalid regex: unclosed group
 --> gates.toml:3:29
  |
3 | expect = { output_matches = \"(\" }
  |                             ^^^",
    );
}

#[test]
fn a_config_error_in_expect_stops_gate_run_before_any_command() {
    let run = Test::new()
        .config(
            "[gates.first]\nrun = \"touch ran\"\n\
             [gates.audit]\nrun = \"true\"\nexpect = { exit_code = [0, 2] }\nerror_codes = [2]\n",
        )
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("exit code 2 is both expected (`exit_code`) and an error (`error_codes`)")
        .stderr_has(" --> gates.toml:5:24\n");
    assert!(!run.exists("ran"), "a command ran despite the config error");
}

// --- outputs -----------------------------------------------------------------------------

#[test]
fn an_output_reaches_the_environment_of_a_gate_that_needs_it() {
    let config = r#"
[gates.build-info]
run = 'echo "BUILD_SHA=3f9c2e1" >> "$GATE_OUTPUT"'
outputs = ["BUILD_SHA"]

[gates.deployed-sha]
needs = ["build-info"]
run = 'echo "sha $BUILD_SHA"; test "$BUILD_SHA" = 3f9c2e1'
"#;
    let run = run_json(config, 0);
    assert_passed(&run.gate("build-info"));
    assert_passed(&run.gate("deployed-sha"));
    assert_eq!(run.gate("deployed-sha")["output"], "sha 3f9c2e1");
}

#[test]
fn an_output_does_not_reach_a_gate_that_does_not_need_it() {
    let config = r#"
[gates.build-info]
run = 'echo "BUILD_SHA=3f9c2e1" >> "$GATE_OUTPUT"'
outputs = ["BUILD_SHA"]

[gates.unrelated]
run = 'echo "sha ${BUILD_SHA:-unset}"'
"#;
    assert_eq!(run_json(config, 0).gate("unrelated")["output"], "sha unset");
}

#[test]
fn an_output_flows_transitively_across_three_gates() {
    let config = r#"
[gates.build-info]
run = 'echo "BUILD_SHA=3f9c2e1" >> "$GATE_OUTPUT"'
outputs = ["BUILD_SHA"]

[gates.migrations]
needs = ["build-info"]
run = "true"

[gates.smoke]
needs = ["migrations"]
run = 'echo "sha $BUILD_SHA"; test "$BUILD_SHA" = 3f9c2e1'
"#;
    let run = run_json(config, 0);
    assert_passed(&run.gate("smoke"));
    assert_eq!(run.gate("smoke")["output"], "sha 3f9c2e1");
}

#[test]
fn a_multiline_output_is_written_as_a_heredoc_block() {
    let config = r#"
[gates.notes]
run = 'printf "NOTES<<EOF\nfirst line\nsecond line\nEOF\n" >> "$GATE_OUTPUT"'
outputs = ["NOTES"]

[gates.show]
needs = ["notes"]
run = 'printf "[%s]" "$NOTES"'
"#;
    assert_eq!(
        run_json(config, 0).gate("show")["output"],
        "[first line\nsecond line]"
    );
}

#[test]
fn an_undeclared_output_is_ignored_and_noted_in_the_output() {
    let config = r#"
[gates.build-info]
run = 'echo "BUILD_SHA=3f9c2e1" >> "$GATE_OUTPUT"; echo "OTHER=x" >> "$GATE_OUTPUT"'
outputs = ["BUILD_SHA"]

[gates.after]
needs = ["build-info"]
run = 'echo "other ${OTHER:-unset}"'
"#;
    let run = run_json(config, 0);
    let gate = run.gate("build-info");
    assert_passed(&gate);
    assert_eq!(
        gate["output"],
        "(gate: `OTHER` in $GATE_OUTPUT ignored: it is not in `outputs`)"
    );
    assert_eq!(run.gate("after")["output"], "other unset");
}

#[test]
fn a_declared_output_not_written_fails_the_gate_and_skips_its_dependents() {
    let config = r#"
[gates.build-info]
run = 'echo "sha is 3f9c2e1"'
outputs = ["BUILD_SHA"]

[gates.deployed-sha]
needs = ["build-info"]
run = "touch ran"
"#;
    let run = run_json(config, 1);
    let gate = run.gate("build-info");
    assert_ended(
        &gate,
        "failed",
        "output BUILD_SHA was not written to $GATE_OUTPUT",
    );
    assert_eq!(run.gate("deployed-sha")["status"], "skipped");
    assert!(!run.exists("ran"), "the dependent ran");
}

/// A token minted by one gate (which also prints it) and used by the next.
const MINTED_TOKEN: &str = "tok-9b41d7e2a0c3";

#[test]
fn a_secret_output_is_masked_in_every_output_with_verbose() {
    let config = format!(
        r#"
[gates.mint]
run = 'echo "API_TOKEN={MINTED_TOKEN}" | tee -a "$GATE_OUTPUT"'
outputs = ["API_TOKEN"]

[gates.use]
needs = ["mint"]
run = 'echo "using $API_TOKEN"; echo "again $API_TOKEN" >&2; test "$API_TOKEN" = {MINTED_TOKEN}'
"#
    );
    let human = Test::new()
        .config(&config)
        .args(&[
            "run",
            "-v",
            "--json",
            "report.json",
            "--junit",
            "report.xml",
            "--markdown",
            "report.md",
        ])
        .run()
        .code(0);
    let live = format!("{}{}", human.stdout(), human.stderr());
    assert!(live.contains("using ***"), "{}", human.transcript());
    assert_eq!(human.read_json("report.json")["gates"][1]["id"], "use");
    assert_eq!(
        human.read_json("report.json")["gates"][1]["output"],
        "using ***\nagain ***"
    );
    assert_hidden(&human, MINTED_TOKEN);

    let json = Test::new()
        .config(&config)
        .args(&["run", "-v", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(json.gate("mint")["output"], "API_TOKEN=***");
    assert_hidden(&json, MINTED_TOKEN);
}

// --- the exit code as an expectation ---------------------------------------------------

#[test]
fn with_an_expect_a_non_zero_exit_is_a_record_too() {
    let config = "[gates.audit]\nrun = \"echo audited; exit 1\"\nexpect = { output_contains = \"audited\" }\n";
    let gate = run_json(config, 1).gate("audit");
    assert_failed_with(
        &gate,
        record("exit_code", "0", "1", &at(config, "{ output_contains")),
    );
    assert_eq!(gate["exit_code"], 1);
}

#[test]
fn zero_cannot_be_an_error_code_while_it_is_what_passes() {
    check_fails(
        "[gates.a]\nrun = \"true\"\nerror_codes = [0, 2]\n",
        "error: exit code 0 is both what passes (the default `exit_code`) and an error \
         (`error_codes`): keep it in one\n --> gates.toml:3:15\n  |\n3 | error_codes = [0, 2]\n  |               ^^^^^^",
    );
}

#[test]
fn an_empty_list_of_exit_codes_says_so() {
    check_fails(
        "[gates.a]\nrun = \"true\"\nexpect = { exit_code = [] }\n",
        "error: an empty list of exit codes: give at least one, like `[0, 1]`\n --> gates.toml:3:24\n  |\n3 | expect = { exit_code = [] }\n  |                        ^^",
    );
    Test::new()
        .config("[gates.a]\nrun = \"true\"\nexpect = { exit_code = \"zero\" }\n")
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("an exit code or a list of exit codes");
}

#[test]
fn an_output_not_written_keeps_the_exit_code_and_points_at_its_name() {
    let config = "[gates.sha]\nrun = \"true\"\noutputs = [\"BUILD_SHA\"]\n";
    let gate = run_json(config, 1).gate("sha");
    assert_ended(
        &gate,
        "failed",
        "output BUILD_SHA was not written to $GATE_OUTPUT",
    );
    assert_eq!(gate["exit_code"], 0);
    assert_eq!(gate["failures"][0]["at"], at(config, "\"BUILD_SHA\""));
}

#[test]
fn keys_beside_other_kinds_say_where_they_go() {
    for (gate, message) in [
        (
            "http = { url = \"http://127.0.0.1:9/\" }\noutputs = [\"X\"]",
            "`outputs` beside the check is for `run` gates; a `http` gate captures values inside it",
        ),
        (
            "manual = true\nexpect = { exit_code = 0 }",
            "`expect` beside the check is for `run` gates; a `manual` gate has none",
        ),
        (
            "tls = { host = \"localhost\" }\nerror_codes = [2]",
            "`error_codes` beside the check is for `run` gates; a `tls` gate has none",
        ),
    ] {
        Test::new()
            .config(&format!("[gates.a]\n{gate}\n"))
            .args(&["check"])
            .run()
            .code(2)
            .stderr_has(message);
    }
}
