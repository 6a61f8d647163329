//! Secrets never appear in any output: the values of the variables listed in
//! `settings.redact`, and of variables whose names say they are secret,
//! print as `***` on the terminal, in `-v` streamed lines, `-q`, the JSON,
//! JUnit and Markdown reports, GitHub annotations and summaries, the
//! `--dry-run` plan and error messages.

use crate::Test;
use crate::harness::{Run, assert_hidden};
use crate::servers::tls::closed_port;

const DEPLOY_KEY: &str = "dk-5f1e9a7c3b2d";

/// A gate that prints the listed secret `DEPLOY_KEY` on stdout and stderr,
/// then fails.
const LEAKY: &str = r#"
[settings]
redact = ["DEPLOY_KEY"]

[gates.leak]
name = "Deploy key works"
run = "echo \"key=$DEPLOY_KEY\"; echo \"$DEPLOY_KEY\" >&2; exit 1"
"#;

fn leaky() -> Test {
    Test::new().config(LEAKY).env("DEPLOY_KEY", DEPLOY_KEY)
}

/// Asserts that no `window` consecutive characters of `secret` appear on
/// stdout or stderr.
#[track_caller]
fn assert_no_fragment(run: &Run, secret: &str, window: usize) {
    let chars: Vec<char> = secret.chars().collect();
    for piece in chars.windows(window) {
        let piece: String = piece.iter().collect();
        assert!(
            !run.stdout().contains(&piece) && !run.stderr().contains(&piece),
            "{piece:?}, part of the secret, was printed\n{}",
            run.transcript()
        );
    }
}

// --- a listed secret, in every output -------------------------------------------

#[test]
fn the_human_report_masks_a_listed_secret() {
    let run = leaky()
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("│ key=***\n")
        .stdout_has("│ ***\n");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn streamed_lines_mask_a_listed_secret() {
    let run = leaky()
        .args(&["run", "-v"])
        .run()
        .code(1)
        .stdout_has("leak | key=***\n")
        .stdout_has("leak | ***\n");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn quiet_output_masks_a_listed_secret() {
    let run = leaky()
        .args(&["run", "-q"])
        .run()
        .code(1)
        .stdout_has("key=***");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn the_json_report_on_stdout_masks_a_listed_secret() {
    let run = leaky().args(&["run", "--format", "json"]).run().code(1);
    assert_eq!(run.gate("leak")["output"], "key=***\n***");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn the_json_report_file_masks_a_listed_secret() {
    let run = leaky()
        .args(&["run", "--json", "report.json"])
        .run()
        .code(1);
    assert_eq!(
        run.read_json("report.json")["gates"][0]["output"],
        "key=***\n***"
    );
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn junit_and_markdown_reports_mask_a_listed_secret() {
    let run = leaky()
        .args(&["run", "--junit", "junit.xml", "--markdown", "checklist.md"])
        .run()
        .code(1);
    assert!(run.read("junit.xml").contains("key=***"), "junit.xml");
    assert!(run.read("checklist.md").contains("Deploy key works"));
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn a_terminal_shows_a_listed_secret_masked() {
    let run = leaky()
        .args(&["run", "-v"])
        .run_on_terminal()
        .code(1)
        .stdout_has("key=***");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn github_annotations_and_summary_mask_a_listed_secret() {
    let test = leaky().env("GITHUB_ACTIONS", "true");
    let summary = test.path().join("summary.md").display().to_string();
    let run = test
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("::error");
    assert!(run.read("summary.md").contains("Deploy key works"));
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn a_merged_report_stays_masked() {
    let run = leaky().args(&["run", "--json", "shard.json"]).run().code(1);
    let merged = Test::new()
        .file("shard.json", &run.read("shard.json"))
        .args(&["merge", "shard.json", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(merged.gate("leak")["output"], "key=***\n***");
    assert_hidden(&merged, DEPLOY_KEY);
}

#[test]
fn the_output_of_a_timed_out_gate_is_masked() {
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"DEPLOY_KEY\"]\nkill_grace = \"100ms\"\n\
             [gates.slow]\nrun = \"echo \\\"key=$DEPLOY_KEY\\\"; sleep 30\"\ntimeout = \"300ms\"\n",
        )
        .env("DEPLOY_KEY", DEPLOY_KEY)
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("slow")["status"], "timed_out");
    assert_eq!(run.gate("slow")["output"], "key=***");
    assert_hidden(&run, DEPLOY_KEY);
}

// --- which values are secrets -------------------------------------------------------

#[test]
fn variables_named_like_secrets_are_masked_without_being_listed() {
    let run = Test::new()
        .config(
            "[gates.leak]\n\
             run = \"echo $MY_API_TOKEN $db_password $Client_Secret $STRIPE_API_KEY $PLAIN; exit 1\"\n",
        )
        .env("MY_API_TOKEN", "t0k3")
        .env("db_password", "hunter22")
        .env("Client_Secret", "cs-9z8y7x")
        .env("STRIPE_API_KEY", "sk_live_4242")
        .env("PLAIN", "visible-value")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("leak")["output"], "*** *** *** *** visible-value");
    for secret in ["t0k3", "hunter22", "cs-9z8y7x", "sk_live_4242"] {
        assert_hidden(&run, secret);
    }
}

#[test]
fn a_value_shorter_than_four_characters_of_an_unlisted_variable_is_not_masked() {
    Test::new()
        .config("[gates.leak]\nrun = \"echo token=$SHORT_TOKEN; exit 1\"\n")
        .env("SHORT_TOKEN", "abc")
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("token=abc");
}

#[test]
fn a_listed_variable_is_masked_whatever_its_length() {
    let run = Test::new()
        .config("[settings]\nredact = [\"PIN\"]\n[gates.leak]\nrun = \"echo pin=$PIN; exit 1\"\n")
        .env("PIN", "42")
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("pin=***");
    assert_hidden(&run, "pin=42");
}

#[test]
fn a_listed_variable_with_an_empty_value_masks_nothing() {
    Test::new()
        .config(
            "[settings]\nredact = [\"EMPTY_KEY\", \"UNSET_KEY\"]\n\
             [gates.leak]\nrun = \"echo \\\"a[${EMPTY_KEY}]b\\\"; exit 1\"\n",
        )
        .env("EMPTY_KEY", "")
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("│ a[]b\n")
        .stdout_lacks("***");
}

#[test]
fn a_secret_is_masked_literally_whatever_characters_it_holds() {
    let secret = r#"p4$$.w*rd("x")\n&<1>"#;
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"DEPLOY_KEY\"]\n\
             [gates.leak]\nrun = \"printf '%s|pXXXw-rd\\\\n' \\\"$DEPLOY_KEY\\\"; exit 1\"\n",
        )
        .env("DEPLOY_KEY", secret)
        .args(&["run", "--format", "json", "--json", "report.json"])
        .run()
        .code(1);
    assert_eq!(run.gate("leak")["output"], "***|pXXXw-rd");
    assert_hidden(&run, secret);
}

#[test]
fn a_secret_containing_another_is_masked_whole() {
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"SHORT_KEY\", \"LONG_KEY\"]\n\
             [gates.leak]\nrun = \"echo $LONG_KEY $SHORT_KEY; exit 1\"\n",
        )
        .env("SHORT_KEY", "abcd-1234")
        .env("LONG_KEY", "abcd-1234-wxyz")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("leak")["output"], "*** ***");
    assert_hidden(&run, "wxyz");
}

// --- secrets defined in the config ------------------------------------------------

#[test]
fn a_secret_from_the_env_section_is_masked() {
    let run = Test::new()
        .config(
            "[env]\nADMIN_TOKEN = \"${ADMIN_TOKEN:-s3cr3t-default}\"\n\
             [gates.leak]\nrun = \"echo \\\"token=$ADMIN_TOKEN\\\"; exit 1\"\n",
        )
        .args(&["run", "-v", "--json", "report.json"])
        .run()
        .code(1)
        .stdout_has("leak | token=***\n");
    assert_eq!(
        run.read_json("report.json")["gates"][0]["output"],
        "token=***"
    );
    assert_hidden(&run, "s3cr3t-default");
}

#[test]
fn a_listed_variable_defined_in_the_env_section_is_masked() {
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"DEPLOY_KEY\"]\n\
             [env]\nDEPLOY_KEY = \"from-config-0042\"\n\
             [gates.leak]\nrun = \"echo \\\"key=$DEPLOY_KEY\\\"; exit 1\"\n",
        )
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("key=***");
    assert_hidden(&run, "from-config-0042");
}

#[test]
fn a_secret_in_a_gate_env_is_masked() {
    let run = Test::new()
        .config(
            "[gates.leak]\nenv = { DB_PASSWORD = \"pa55-literal\" }\n\
             run = \"echo \\\"password=$DB_PASSWORD\\\"; exit 1\"\n",
        )
        .args(&["run", "-v"])
        .run()
        .code(1)
        .stdout_has("leak | password=***\n")
        .stdout_has("│ password=***\n");
    assert_hidden(&run, "pa55-literal");
}

// --- secrets in probes, reasons and the plan -------------------------------------------

#[test]
fn a_secret_in_a_probe_url_is_masked_in_the_plan_and_the_report() {
    let port = closed_port();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"http://deploy:${{DEPLOY_PASSWORD}}@127.0.0.1:{port}/health?token=${{API_TOKEN}}\" }}\n"
    );
    let dry = Test::new()
        .config(&config)
        .env("API_TOKEN", "tok-77aa88bb")
        .env("DEPLOY_PASSWORD", "pw-31337x")
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has(&format!(
            "http://deploy:***@127.0.0.1:{port}/health?token=***"
        ));
    assert_hidden(&dry, "tok-77aa88bb");
    assert_hidden(&dry, "pw-31337x");

    let run = Test::new()
        .config(&config)
        .env("API_TOKEN", "tok-77aa88bb")
        .env("DEPLOY_PASSWORD", "pw-31337x")
        .args(&["run", "-v", "--json", "report.json"])
        .run()
        .code(1);
    let reason = run.read_json("report.json")["gates"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
    assert_hidden(&run, "tok-77aa88bb");
    assert_hidden(&run, "pw-31337x");
}

#[test]
fn a_reason_that_holds_a_secret_is_masked() {
    let run = Test::new()
        .config("[gates.build]\nrun = \"true\"\ncwd = \"builds/${BUILD_TOKEN}\"\n")
        .env("BUILD_TOKEN", "bt-99887766")
        .args(&["run", "--format", "json", "--json", "report.json"])
        .run()
        .code(1);
    assert_eq!(
        run.gate("build")["reason"],
        "working directory \"./builds/***\" does not exist"
    );
    assert_hidden(&run, "bt-99887766");
}

#[test]
fn a_command_not_found_that_names_a_secret_is_masked() {
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"DEPLOY_KEY\"]\n\
             [gates.leak]\nrun = \"\\\"$DEPLOY_KEY\\\" --version\"\n",
        )
        .env("DEPLOY_KEY", DEPLOY_KEY)
        .args(&["run", "-v"])
        .run()
        .code(1)
        .stdout_has("***: not found");
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn the_dry_run_plan_masks_secrets() {
    let run = Test::new()
        .config(&format!(
            "[gates.cert]\ntls = {{ host = \"${{TLS_HOST_TOKEN}}\", port = {} }}\n",
            closed_port()
        ))
        .env("TLS_HOST_TOKEN", "127.0.0.1")
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("cert  tls ***:");
    assert_hidden(&run, "127.0.0.1");
}

// --- where masking falls short ------------------------------------------------------

#[test]
fn a_config_error_does_not_print_a_secret() {
    let run = Test::new()
        .config("[gates.health]\nhttp = { url = \"127.0.0.1:8000/health?token=${API_TOKEN}\" }\n")
        .env("API_TOKEN", "tok-77aa88bb")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("invalid URL");
    assert_hidden(&run, "tok-77aa88bb");
}

#[test]
fn every_line_of_a_multi_line_secret_is_masked_when_streamed() {
    let key = "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEAx1\nq9Zt0mKRb7wNfY2\n-----END KEY-----";
    let run = Test::new()
        .config(
            "[settings]\nredact = [\"DEPLOY_KEY\"]\n\
             [gates.leak]\nrun = \"printf '%s\\\\n' \\\"$DEPLOY_KEY\\\"; exit 1\"\n",
        )
        .env("DEPLOY_KEY", key)
        .args(&["run", "-v"])
        .run()
        .code(1);
    assert_hidden(&run, "MIIEpAIBAAKCAQEAx1");
    assert_hidden(&run, "q9Zt0mKRb7wNfY2");
}

#[test]
fn a_secret_with_a_trailing_newline_is_masked() {
    let run = Test::new()
        .config(LEAKY)
        .env("DEPLOY_KEY", &format!("{DEPLOY_KEY}\n"))
        .args(&["run", "-v"])
        .run()
        .code(1);
    assert_hidden(&run, DEPLOY_KEY);
}

#[test]
fn a_long_line_cut_in_a_secret_leaks_no_part_of_it() {
    let secret = "ghp_0123456789abcdefghijklmnopqrstuv";
    let run = Test::new()
        .config("[gates.leak]\nrun = \"printf '%01010d%s\\\\n' 0 \\\"$GITHUB_TOKEN\\\"; exit 1\"\n")
        .env("GITHUB_TOKEN", secret)
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("0***");
    assert_no_fragment(&run, secret, 8);
}

#[test]
fn an_output_tail_starting_in_a_secret_leaks_no_part_of_it() {
    let secret = "ghp_0123456789abcdefghijklmnopqrstuv";
    let run = Test::new()
        .config(
            "[settings]\noutput_lines = 1\n\
             [gates.leak]\nrun = \"printf '%s%01000d\\\\n' \\\"$GITHUB_TOKEN\\\" 0; exit 1\"\n",
        )
        .env("GITHUB_TOKEN", secret)
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("***0000000000");
    assert_no_fragment(&run, secret, 8);
}

#[test]
fn a_secret_percent_encoded_in_a_url_is_masked() {
    let run = Test::new()
        .config(
            "[gates.health]\nhttp = { url = \"http://127.0.0.1:1/health?token=${API_TOKEN}\" }\n",
        )
        .env("API_TOKEN", "tok en<4242>")
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("token=***");
    assert_no_fragment(&run, "en%3C4242%3E", 8);
}

#[test]
fn a_password_in_a_url_is_masked_however_the_url_encodes_it() {
    let server = crate::servers::http::HttpServer::new()
        .route("/health", crate::servers::http::Response::ok("ok"))
        .start();
    let url = server
        .url("/health")
        .replace("http://", "http://admin:${DB_PASSWORD}@");
    let run = Test::new()
        .config(&format!(
            "[gates.health]\nhttp = {{ url = \"{url}\", expect = {{ status = 500 }} }}\n"
        ))
        .env("DB_PASSWORD", "hunter2!@x")
        .args(&["run", "--json", "report.json"])
        .run()
        .code(1)
        .stdout_has("admin:***@");
    assert_hidden(&run, "hunter2!@x");
    assert_hidden(&run, "hunter2!%40x");
}

#[test]
fn a_secret_with_quotes_is_masked_in_a_json_expectation() {
    let server = crate::servers::http::HttpServer::new()
        .route(
            "/health",
            crate::servers::http::Response::json(r#"{"s": "x"}"#),
        )
        .start();
    let run = Test::new()
        .config(&format!(
            "[gates.health]\nhttp = {{ url = \"{}\", expect = {{ json = {{ \"/s\" = \"${{QUOTE_TOKEN}}\" }} }} }}\n",
            server.url("/health")
        ))
        .env("QUOTE_TOKEN", "ab\"cd")
        .args(&["run", "--json", "report.json"])
        .run()
        .code(1)
        .stdout_has("expected json /s = \"***\", got \"x\"");
    assert_hidden(&run, "ab\"cd");
}
