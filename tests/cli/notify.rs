//! `[settings.notify]`: a summary of the run POSTed to a webhook (a real
//! server on 127.0.0.1), on failure or always, its URL interpolated, its
//! secrets masked, and its trouble never changing the exit code.

use serde_json::Value;

use crate::Test;
use crate::harness::{Run, check_fails};
use crate::servers::http::{ClosedPort, HttpServer, Response};

const TOKEN: &str = "tk-93c1f0a7e4b2";

/// A config notifying `url` `on` ("failure" or "always"), with `gates`.
fn config(url: &str, on: &str, gates: &str) -> String {
    format!("[settings.notify]\nurl = \"{url}\"\non = \"{on}\"\n\n{gates}")
}

/// One gate that passes and one that fails.
const FAILING: &str = r#"
[gates.build]
run = "true"

[gates.lint]
name = "Lint the code"
run = "exit 1"
"#;

/// One gate that passes.
const PASSING: &str = r#"
[gates.build]
run = "true"
"#;

/// A webhook answering 200 on `/hook`.
fn webhook() -> HttpServer {
    HttpServer::new().route("/hook", Response::ok("ok")).start()
}

/// The JSON body of the last POST to `/hook`, checked as such.
#[track_caller]
fn posted(server: &HttpServer, run: &Run) -> Value {
    assert_eq!(server.hits("/hook"), 1, "one POST\n{}", run.transcript());
    let request = server.last_request("/hook");
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    serde_json::from_str(&request.body_text())
        .unwrap_or_else(|e| panic!("body is not JSON: {e}: {}", request.body_text()))
}

#[test]
fn a_failed_run_posts_its_summary() {
    let server = webhook();
    let run = Test::new()
        .config(&config(&server.url("/hook"), "failure", FAILING))
        .args(&["run"])
        .run()
        .code(1);
    assert!(!run.stderr().contains("warning"), "{}", run.transcript());
    let body = posted(&server, &run);
    let raw = server.last_request("/hook").body_text();
    assert!(raw.starts_with("{\"text\":"), "text comes first: {raw}");
    let text = body["text"].as_str().expect("text");
    assert!(
        text.starts_with(":x: gate FAIL: 1 passed, 1 failed (gates.toml"),
        "text: {text}"
    );
    assert!(
        text.ends_with("\nfailed: lint (exit status 1)"),
        "text: {text}"
    );
    assert_eq!(body["outcome"], "fail");
    let counts = body["counts"].as_object().expect("counts");
    let mut names: Vec<&str> = counts.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut statuses = [
        "passed",
        "failed",
        "timed_out",
        "error",
        "skipped",
        "cancelled",
        "pending",
    ];
    statuses.sort_unstable();
    assert_eq!(names, statuses);
    assert_eq!(
        (counts["passed"].as_u64(), counts["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        body["failed"],
        serde_json::json!([{
            "id": "lint",
            "name": "Lint the code",
            "status": "failed",
            "reason": "exit status 1",
        }])
    );
    assert_eq!(body["pending"], serde_json::json!([]));
    assert_eq!(body["config"], "gates.toml");
    assert_eq!(body["partition"], Value::Null);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(body["host"], host.trim(), "{body}");
    assert!(
        text.contains(&format!("host {}", host.trim())),
        "text: {text}"
    );
    assert_eq!(body["commit"], Value::Null, "outside a repository");
}

#[test]
fn failure_is_the_default() {
    let server = webhook();
    let toml = format!(
        "[settings.notify]\nurl = \"{}\"\n{FAILING}",
        server.url("/hook")
    );
    let run = Test::new().config(&toml).args(&["run"]).run().code(1);
    assert_eq!(posted(&server, &run)["outcome"], "fail");
}

#[test]
fn a_passing_run_notifies_nothing_on_failure() {
    let server = webhook();
    Test::new()
        .config(&config(&server.url("/hook"), "failure", PASSING))
        .args(&["run"])
        .run()
        .code(0)
        .stderr_is("");
    assert_eq!(server.hits("/hook"), 0);
}

#[test]
fn always_notifies_a_pass_too() {
    let server = webhook();
    let run = Test::new()
        .config(&config(&server.url("/hook"), "always", PASSING))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let body = posted(&server, &run);
    let text = body["text"].as_str().expect("text");
    assert!(
        text.starts_with(":white_check_mark: gate PASS: 1 passed (gates.toml"),
        "text: {text}"
    );
    assert!(!text.contains('\n'), "text: {text}");
    assert_eq!(body["outcome"], "pass");
    assert_eq!(body["failed"], serde_json::json!([]));
}

#[test]
fn a_shard_says_which() {
    let server = webhook();
    let run = Test::new()
        .config(&config(&server.url("/hook"), "always", PASSING))
        .args(&["run", "--partition", "1/1"])
        .run()
        .code(0);
    let body = posted(&server, &run);
    assert_eq!(body["partition"], "1/1");
    assert!(body["text"].as_str().unwrap().contains("shard 1/1"));
}

#[test]
fn the_url_is_interpolated_from_the_environment() {
    let server = webhook();
    let run = Test::new()
        .config(&config("${WEBHOOK_URL}", "failure", FAILING))
        .env("WEBHOOK_URL", &server.url("/hook"))
        .args(&["run"])
        .run()
        .code(1);
    assert_eq!(posted(&server, &run)["outcome"], "fail");
}

#[test]
fn an_unset_variable_warns_and_keeps_the_exit_code() {
    Test::new()
        .config(&config("${WEBHOOK_URL}", "failure", FAILING))
        .args(&["run"])
        .run()
        .code(1)
        .stderr_has(
            "gate: warning: notify: variable WEBHOOK_URL is not set; no notification sent\n",
        );
}

#[test]
fn an_empty_url_sends_nothing_quietly() {
    Test::new()
        .config(&config("${WEBHOOK_URL:-}", "always", PASSING))
        .args(&["run"])
        .run()
        .code(0)
        .stderr_is("");
}

#[test]
fn an_interpolated_url_that_is_not_http_warns() {
    Test::new()
        .config(&config("${WEBHOOK_URL}", "failure", FAILING))
        .env("WEBHOOK_URL", "ftp://example.com/hook")
        .args(&["run"])
        .run()
        .code(1)
        .stderr_has(
            "gate: warning: notify: url `${WEBHOOK_URL}`: the scheme is `ftp`, \
             expected `http` or `https`; no notification sent\n",
        );
}

#[test]
fn secrets_are_masked_in_the_payload() {
    // The failing gate's reason quotes the secret it looked for.
    let server = HttpServer::new()
        .route("/hook", Response::ok("ok"))
        .route("/health", Response::ok("all systems go"))
        .start();
    let gates = format!(
        "[gates.health.http]\nurl = \"{}\"\nexpect = {{ body_contains = \"${{DEPLOY_TOKEN}}\" }}\n",
        server.url("/health")
    );
    let run = Test::new()
        .config(&config(&server.url("/hook"), "failure", &gates))
        .env("DEPLOY_TOKEN", TOKEN)
        .args(&["run"])
        .run()
        .code(1);
    let body = posted(&server, &run);
    let raw = server.last_request("/hook").body_text();
    assert!(!raw.contains(TOKEN), "body: {raw}");
    let reason = r#"expected body containing "***", got "all systems go""#;
    assert_eq!(body["failed"][0]["reason"], reason);
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains(&format!("health ({reason})")),
        "text: {}",
        body["text"]
    );
}

#[test]
fn a_refused_webhook_warns_without_its_secrets_and_keeps_the_exit_code() {
    let closed = ClosedPort::new();
    let port = closed.port();
    let url = format!("http://127.0.0.1:{port}/services/T0/B0?token=${{DEPLOY_TOKEN}}");
    let run = Test::new()
        .config(&config(&url, "failure", FAILING))
        .env("DEPLOY_TOKEN", TOKEN)
        .args(&["run"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "gate: warning: notify: POST to http://127.0.0.1:{port}/*** failed: connection refused\n"
        ));
    assert!(!run.stderr().contains("services"), "{}", run.transcript());
    assert!(!run.stderr().contains(TOKEN), "{}", run.transcript());
}

#[test]
fn a_refused_webhook_leaves_a_pass_a_pass() {
    let closed = ClosedPort::new();
    let port = closed.port();
    Test::new()
        .config(&config(
            &format!("http://127.0.0.1:{port}/hook"),
            "always",
            PASSING,
        ))
        .args(&["run"])
        .run()
        .code(0)
        .stderr_has("gate: warning: notify: POST to ");
}

#[test]
fn a_webhook_answering_an_error_warns_with_its_answer() {
    let server = HttpServer::new()
        .route("/hook", Response::status(404).body("no_service"))
        .start();
    let run = Test::new()
        .config(&config(&server.url("/hook"), "failure", FAILING))
        .args(&["run"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "gate: warning: notify: POST to {}/*** failed: the webhook answered 404 Not Found: no_service\n",
            server.url("").trim_end_matches('/')
        ));
    assert_eq!(server.hits("/hook"), 1, "{}", run.transcript());
}

#[test]
fn an_unknown_on_is_a_config_error() {
    check_fails(
        &config("https://example.com/hook", "failur", PASSING),
        r#"error: unknown notify.on `failur`, did you mean `failure`?
 --> gates.toml:3:6
  |
3 | on = "failur"
  |      ^^^^^^^^"#,
    );
}

#[test]
fn a_literal_url_that_is_not_http_is_a_config_error() {
    check_fails(
        &config("ftp://example.com/hook", "failure", PASSING),
        r#"error: invalid URL `ftp://example.com/hook`: the scheme is `ftp`, expected `http` or `https`
 --> gates.toml:2:7
  |
2 | url = "ftp://example.com/hook"
  |       ^^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}
