//! Expectations as data (contract 1.1): every `json` predicate passing and
//! failing with its exact failure record, a Prometheus query, headers that
//! must be absent or present, `body_not_contains`, `first_status` with
//! `repeat`, where a record points in the config (JSON and human reports),
//! and the config errors of the new keys.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::Test;
use crate::harness::{assert_failed, assert_passed, check_fails, place, record, run_json};
use crate::servers::http::{HttpServer, Response};
use crate::servers::ws::WsServer;

/// A document with a value of every kind, served at `/doc`.
const DOC: &str = r#"{"status":"ok","count":5,"ratio":"0.25","name":"api-v12","tags":["web","db"],"errors":[],"db":{"pool":4},"note":null}"#;

/// Two gates probing [`DOC`]: `pass` with `expect.json = { passing }`, and
/// `fail` with `expect.json = { failing }`, one `"/pointer" = value`.
/// Asserts that `pass` passed; returns gate `fail` and where its value is
/// written (`gates.toml:7:COL`).
#[track_caller]
fn judge(passing: &str, failing: &str) -> (Value, String) {
    let server = HttpServer::new().route("/doc", Response::json(DOC)).start();
    let url = server.url("/doc");
    let config = format!(
        "[gates.pass.http]\nurl = \"{url}\"\nexpect.json = {{ {passing} }}\n\n\
         [gates.fail.http]\nurl = \"{url}\"\nexpect.json = {{ {failing} }}\n"
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("pass"));
    let line = "expect.json = { ";
    let value = failing.find(" = ").expect("\"/pointer\" = value") + " = ".len();
    let at = format!("gates.toml:7:{}", line.len() + value + 1);
    let written = format!("{line}{failing} }}");
    assert_eq!(config.lines().nth(6), Some(written.as_str()), "line 7");
    (run.gate("fail"), at)
}

// --- every predicate, holding and not -------------------------------------------

#[test]
fn eq_compares_numbers_by_value() {
    let (gate, at) = judge(r#""/count" = { eq = 5.0 }"#, r#""/count" = { eq = 6 }"#);
    assert_eq!(at, "gates.toml:7:28", "the value after `\"/count\" = `");
    let failure = record("json /count", "= 6", "5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn ne_fails_on_the_value_it_excludes() {
    let (gate, at) = judge(
        r#""/status" = { ne = "down" }"#,
        r#""/status" = { ne = "ok" }"#,
    );
    let failure = record("json /status", r#"!= "ok""#, r#""ok""#, &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn lt_excludes_its_bound() {
    let (gate, at) = judge(r#""/count" = { lt = 6 }"#, r#""/count" = { lt = 5 }"#);
    let failure = record("json /count", "< 5", "5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn lte_includes_its_bound() {
    let (gate, at) = judge(r#""/count" = { lte = 5 }"#, r#""/count" = { lte = 4.5 }"#);
    let failure = record("json /count", "<= 4.5", "5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn gt_excludes_its_bound() {
    let (gate, at) = judge(r#""/count" = { gt = 4 }"#, r#""/count" = { gt = 5 }"#);
    let failure = record("json /count", "> 5", "5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn gte_includes_its_bound() {
    let (gate, at) = judge(r#""/count" = { gte = 5 }"#, r#""/count" = { gte = 6 }"#);
    let failure = record("json /count", ">= 6", "5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn contains_looks_for_a_substring_of_a_string() {
    let (gate, at) = judge(
        r#""/name" = { contains = "v12" }"#,
        r#""/name" = { contains = "v13" }"#,
    );
    let failure = record("json /name", r#"containing "v13""#, r#""api-v12""#, &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn contains_looks_for_an_element_of_an_array() {
    let (gate, at) = judge(
        r#""/tags" = { contains = "db" }"#,
        r#""/tags" = { contains = "cache" }"#,
    );
    let failure = record(
        "json /tags",
        r#"containing "cache""#,
        r#"["web","db"]"#,
        &at,
    );
    assert_failed(&gate, &[failure]);
}

#[test]
fn matches_is_a_regex_on_a_string() {
    let (gate, at) = judge(
        r#""/name" = { matches = '^api-v\d+$' }"#,
        r#""/name" = { matches = '^web-' }"#,
    );
    let failure = record("json /name", "matching /^web-/", r#""api-v12""#, &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn exists_true_requires_the_pointer_to_resolve() {
    let (gate, at) = judge(
        r#""/db/pool" = { exists = true }"#,
        r#""/db/replicas" = { exists = true }"#,
    );
    let failure = record("json /db/replicas", "present", "not found", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn exists_false_requires_the_pointer_not_to_resolve() {
    let (gate, at) = judge(
        r#""/db/replicas" = { exists = false }"#,
        r#""/db/pool" = { exists = false }"#,
    );
    let failure = record("json /db/pool", "absent", "4", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn a_null_value_exists() {
    let (gate, at) = judge(
        r#""/note" = { exists = true }"#,
        r#""/note" = { exists = false }"#,
    );
    let failure = record("json /note", "absent", "null", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn len_as_a_number_is_an_exact_length() {
    let (gate, at) = judge(r#""/errors" = { len = 0 }"#, r#""/tags" = { len = 0 }"#);
    let failure = record("json /tags", "of length 0", "length 2", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn len_as_a_table_compares_the_length() {
    let (gate, at) = judge(
        r#""/tags" = { len = { gte = 1 } }"#,
        r#""/errors" = { len = { gte = 1 } }"#,
    );
    let failure = record("json /errors", "of length >= 1", "length 0", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn len_counts_the_characters_of_a_string_and_the_keys_of_an_object() {
    let (gate, at) = judge(
        r#""/name" = { len = 7 }, "/db" = { len = 1 }"#,
        r#""/count" = { len = 1 }"#,
    );
    let failure = record("json /count", "of length 1", "5, which has no length", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn type_names_the_json_type() {
    let (gate, at) = judge(
        r#""/name" = { type = "string" }, "/note" = { type = "null" }, "/tags" = { type = "array" }"#,
        r#""/count" = { type = "string" }"#,
    );
    let failure = record("json /count", "of type string", "number 5", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn every_predicate_of_a_table_is_checked_and_reported() {
    let (gate, at) = judge(
        r#""/count" = { gt = 1, lt = 9 }"#,
        r#""/count" = { gt = 6, lt = 3 }"#,
    );
    assert_failed(
        &gate,
        &[
            record("json /count", "> 6", "5", &at),
            record("json /count", "< 3", "5", &at),
        ],
    );
}

#[test]
fn a_missing_value_fails_a_comparison() {
    let (gate, at) = judge(
        r#""/count" = { gte = 0 }"#,
        r#""/db/replicas" = { gte = 0 }"#,
    );
    let failure = record("json /db/replicas", ">= 0", "not found", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn a_text_that_is_not_a_number_fails_a_comparison() {
    let (gate, at) = judge(r#""/count" = { lt = 10 }"#, r#""/name" = { lt = 10 }"#);
    let failure = record("json /name", "< 10", r#""api-v12""#, &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn a_number_given_as_a_string_compares_as_a_number() {
    let (gate, at) = judge(
        r#""/ratio" = { gt = 0.2, lte = 0.25, eq = 0.25 }"#,
        r#""/ratio" = { gt = 0.3 }"#,
    );
    // Shown as the number it was compared as.
    let failure = record("json /ratio", "> 0.3", "0.25", &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn an_object_is_compared_through_eq() {
    let (gate, at) = judge(
        r#""/db" = { eq = { pool = 4 } }"#,
        r#""/db" = { eq = { pool = 5 } }"#,
    );
    let failure = record("json /db", r#"= {"pool":5}"#, r#"{"pool":4}"#, &at);
    assert_failed(&gate, &[failure]);
}

#[test]
fn an_interpolated_bound_is_read_as_a_number() {
    let server = HttpServer::new().route("/doc", Response::json(DOC)).start();
    let config = format!(
        "[gates.count.http]\nurl = \"{}\"\nexpect.json = {{ \"/count\" = {{ gte = \"${{MIN_COUNT}}\" }} }}\n",
        server.url("/doc")
    );
    let with = |min: &str| {
        Test::new()
            .config(&config)
            .env("MIN_COUNT", min)
            .args(&["run", "--format", "json"])
            .run()
    };
    assert_passed(&with("5").code(0).gate("count"));
    let failure = record("json /count", ">= 5.5", "5", "gates.toml:3:28");
    assert_failed(&with("5.5").code(1).gate("count"), &[failure]);
}

// --- a Prometheus query -----------------------------------------------------------

/// A Prometheus server whose `/api/v1/query` answers one sample, `value`.
fn prometheus(value: &str) -> HttpServer {
    HttpServer::new()
        .route(
            "/api/v1/query",
            Response::json(&format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1700000000,"{value}"]}}]}}}}"#
            )),
        )
        .start()
}

/// The uptime gate of the contract against `server`.
fn uptime(server: &HttpServer) -> String {
    format!(
        "[gates.uptime]\nname = \"Uptime >= 99.9% over a day\"\n[gates.uptime.http]\n\
         url = \"{}?query=avg_over_time(up[1d])\"\n\
         expect.json = {{ \"/status\" = \"success\", \"/data/result/0/value/1\" = {{ gte = 0.999 }} }}\n",
        server.url("/api/v1/query")
    )
}

#[test]
fn a_prometheus_sample_above_the_bound_passes() {
    let server = prometheus("0.9993");
    let run = run_json(&uptime(&server), 0);
    assert_passed(&run.gate("uptime"));
    assert_eq!(server.hits("/api/v1/query"), 1);
}

#[test]
fn a_prometheus_sample_below_the_bound_fails_with_its_value() {
    let server = prometheus("0.9812");
    let run = run_json(&uptime(&server), 1);
    let failure = record(
        "json /data/result/0/value/1",
        ">= 0.999",
        "0.9812",
        "gates.toml:5:67",
    );
    assert_failed(&run.gate("uptime"), &[failure]);
}

// --- where a record points, in both reports ---------------------------------------

#[test]
fn the_default_status_expectation_points_at_the_url() {
    let server = HttpServer::new()
        .route("/health", Response::status(503))
        .start();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"{}\" }}\n",
        server.url("/health")
    );
    let run = run_json(&config, 1);
    let failure = record("status", "2xx", "503", "gates.toml:2:16");
    assert_failed(&run.gate("health"), &[failure]);
}

#[test]
fn at_names_the_config_path_as_given() {
    let server = prometheus("0.9812");
    let run = Test::new()
        .file("checks/prod.toml", &uptime(&server))
        .args(&["-c", "checks/prod.toml", "run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(
        run.gate("uptime")["failures"][0]["at"],
        "checks/prod.toml:5:67"
    );
}

#[test]
fn the_human_report_points_under_a_failed_gate_at_each_expectation() {
    let server = HttpServer::new()
        .route(
            "/api/v1/query",
            Response::json(
                r#"{"status":"error","data":{"result":[{"value":[1700000000,"0.9812"]}]}}"#,
            ),
        )
        .start();
    Test::new()
        .file("checks/prod.toml", &uptime(&server))
        .args(&["-c", "checks/prod.toml", "--color", "never", "run"])
        .run()
        .code(1)
        .stdout_has("  ✗ Uptime >= 99.9% over a day (uptime)")
        .stdout_has(
            "\n      failed: expected json /status = \"success\", got \"error\"\
             \n        --> checks/prod.toml:5:29\
             \n      failed: expected json /data/result/0/value/1 >= 0.999, got 0.9812\
             \n        --> checks/prod.toml:5:67\
             \n      │ GET ",
        );
}

#[test]
fn a_passed_gate_has_no_failures_and_no_stats() {
    let server = HttpServer::new().route("/doc", Response::json(DOC)).start();
    let run = run_json(
        &format!(
            "[gates.doc.http]\nurl = \"{}\"\nexpect = {{ status = 200, json = {{ \"/count\" = {{ gte = 1 }} }} }}\n",
            server.url("/doc")
        ),
        0,
    );
    let gate = run.gate("doc");
    assert_passed(&gate);
    assert_eq!(gate["stats"], Value::Null, "{gate:#}");
}

// --- headers that must be absent, or present ------------------------------------

#[test]
fn a_header_set_to_false_must_be_absent() {
    let server = HttpServer::new()
        .route(
            "/express",
            Response::ok("hi").header("X-Powered-By", "Express"),
        )
        .route("/quiet", Response::ok("hi"))
        .start();
    let gate = |id: &str| {
        format!(
            "[gates.{id}.http]\nurl = \"{}\"\nexpect.headers = {{ X-Powered-By = false }}\n",
            server.url(&format!("/{id}"))
        )
    };
    let config = format!("{}{}", gate("quiet"), gate("express"));
    let run = run_json(&config, 1);
    assert_passed(&run.gate("quiet"));
    let failure = record(
        "header x-powered-by",
        "absent",
        r#""Express""#,
        "gates.toml:6:35",
    );
    assert_failed(&run.gate("express"), &[failure]);
}

#[test]
fn a_header_set_to_true_must_be_present_with_any_value() {
    let server = HttpServer::new()
        .route(
            "/framed",
            Response::ok("hi").header("X-Frame-Options", "SAMEORIGIN"),
        )
        .route("/empty", Response::ok("hi").header("X-Frame-Options", ""))
        .route("/bare", Response::ok("hi"))
        .start();
    let gate = |id: &str| {
        format!(
            "[gates.{id}.http]\nurl = \"{}\"\nexpect.headers = {{ x-frame-options = true }}\n",
            server.url(&format!("/{id}"))
        )
    };
    let config = format!("{}{}{}", gate("framed"), gate("empty"), gate("bare"));
    let run = run_json(&config, 1);
    assert_passed(&run.gate("framed"));
    assert_passed(&run.gate("empty"));
    let failure = record(
        "header x-frame-options",
        "present",
        "absent",
        "gates.toml:9:38",
    );
    assert_failed(&run.gate("bare"), &[failure]);
}

// --- body_not_contains ------------------------------------------------------------

#[test]
fn body_not_contains_fails_showing_where_the_text_is() {
    let crash = format!(
        "{}Traceback (most recent call last){}",
        "x".repeat(100),
        "y".repeat(100)
    );
    let server = HttpServer::new()
        .route("/fine", Response::ok("all good"))
        .route("/crash", Response::status(200).body(crash))
        .start();
    let gate = |id: &str| {
        format!(
            "[gates.{id}.http]\nurl = \"{}\"\nexpect = {{ body_not_contains = \"Traceback\" }}\n",
            server.url(&format!("/{id}"))
        )
    };
    let config = format!("{}{}", gate("fine"), gate("crash"));
    let run = run_json(&config, 1);
    assert_passed(&run.gate("fine"));
    // 40 characters either side of the text found.
    let context = format!(
        "…\"{}Traceback (most recent call last){}\"…",
        "x".repeat(40),
        "y".repeat(16)
    );
    let failure = record(
        "body",
        r#"without "Traceback""#,
        &context,
        "gates.toml:6:32",
    );
    assert_failed(&run.gate("crash"), &[failure]);
}

#[test]
fn body_not_contains_on_a_short_body_shows_it_whole() {
    let server = HttpServer::new()
        .route("/crash", Response::status(500).body("Traceback: boom"))
        .start();
    let config = format!(
        "[gates.crash.http]\nurl = \"{}\"\nexpect = {{ status = \"5xx\", body_not_contains = \"Traceback\" }}\n",
        server.url("/crash")
    );
    let run = run_json(&config, 1);
    let failure = record(
        "body",
        r#"without "Traceback""#,
        r#""Traceback: boom""#,
        "gates.toml:3:48",
    );
    assert_failed(&run.gate("crash"), &[failure]);
}

#[test]
fn body_not_contains_does_not_pass_a_body_it_did_not_read_whole() {
    let mut body = vec![b'.'; 2 * 1024 * 1024];
    body.extend_from_slice(b"Traceback (most recent call last)");
    let server = HttpServer::new()
        .route("/export", Response::ok(body))
        .start();
    let config = format!(
        "[gates.export.http]\nurl = \"{}\"\nexpect = {{ body_not_contains = \"Traceback\" }}\n",
        server.url("/export")
    );
    let run = run_json(&config, 1);
    let gate = run.gate("export");
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        gate["failures"][0]["actual"],
        "more than 1024 KiB, not read whole, so the text may be in the rest"
    );
}

// --- first_status with repeat ---------------------------------------------------

/// The rate limit gate of the contract, with `first_status`, against `server`.
fn rate_limit(server: &HttpServer) -> String {
    format!(
        "[gates.rate-limit.http]\nurl = \"{}\"\nrepeat = 5\nexpect = {{ first_status = 200, status = 429 }}\n",
        server.url("/api/login")
    )
}

#[test]
fn first_status_fails_an_endpoint_that_always_answers_429() {
    let server = HttpServer::new()
        .route("/api/login", Response::status(429))
        .start();
    let run = run_json(&rate_limit(&server), 1);
    let failure = record("first_status", "200", "429", "gates.toml:4:27");
    assert_failed(&run.gate("rate-limit"), &[failure]);
    assert_eq!(server.hits("/api/login"), 5);
}

#[test]
fn first_status_passes_a_limit_that_starts_after_the_first_request() {
    let server = HttpServer::new()
        .handle("/api/login", |request| match request.number {
            1 => Response::ok("welcome"),
            _ => Response::status(429),
        })
        .start();
    let run = run_json(&rate_limit(&server), 0);
    assert_passed(&run.gate("rate-limit"));
    assert_eq!(server.hits("/api/login"), 5);
}

#[test]
fn first_status_and_status_fail_separately() {
    // Never limited: the first response is right, the last is not.
    let server = HttpServer::new()
        .route("/api/login", Response::ok("welcome"))
        .start();
    let run = run_json(&rate_limit(&server), 1);
    let failure = record("status", "429", "200", "gates.toml:4:41");
    assert_failed(&run.gate("rate-limit"), &[failure]);
}

// --- config errors ----------------------------------------------------------------

#[test]
fn an_unknown_predicate_is_a_config_error_naming_the_closest() {
    check_fails(
        "[gates.uptime.http]\nurl = \"http://127.0.0.1/\"\nexpect.json = { \"/up\" = { gtee = 0.999 } }\n",
        r#"error: unknown predicate `gtee`, did you mean `gte`? (to compare with an object, write `{ eq = { ... } }`)
 --> gates.toml:3:25
  |
3 | expect.json = { "/up" = { gtee = 0.999 } }
  |                         ^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn an_unknown_predicate_stops_gate_run_before_any_request() {
    let server = HttpServer::new().route("/doc", Response::json(DOC)).start();
    Test::new()
        .config(&format!(
            "[gates.doc.http]\nurl = \"{}\"\nexpect.json = {{ \"/count\" = {{ lenn = 1 }} }}\n",
            server.url("/doc")
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("unknown predicate `lenn`, did you mean `len`?")
        .stderr_has(" --> gates.toml:3:28\n");
    assert_eq!(server.hits("/doc"), 0);
}

#[test]
fn load_with_repeat_is_a_config_error() {
    check_fails(
        "[gates.api.http]\nurl = \"http://127.0.0.1/\"\nrepeat = 3\nload = { requests = 10, concurrency = 2 }\n",
        "error: `load` and `repeat`: a load sends many requests, a repeat one after the other; keep one
 --> gates.toml:4:8
  |
4 | load = { requests = 10, concurrency = 2 }
  |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    );
}

#[test]
fn p95_without_load_is_a_config_error() {
    check_fails(
        "[gates.api.http]\nurl = \"http://127.0.0.1/\"\nexpect = { status = 200, p95 = \"500ms\" }\n",
        "error: `expect.p95` bounds a statistic of many requests: give the gate `load = { requests = 200, concurrency = 8 }`
 --> gates.toml:3:32
  |
3 | expect = { status = 200, p95 = \"500ms\" }
  |                                ^^^^^^^",
    );
}

#[test]
fn first_status_without_repeat_is_a_config_error() {
    check_fails(
        "[gates.rate-limit.http]\nurl = \"http://127.0.0.1/\"\nexpect = { first_status = 200, status = 429 }\n",
        "error: `first_status` checks the first of `repeat` requests: give the gate `repeat = N` (2 or more), or check one response with `status`
 --> gates.toml:3:27
  |
3 | expect = { first_status = 200, status = 429 }
  |                           ^^^",
    );
}

// --- a WebSocket message ------------------------------------------------------------

#[test]
fn a_websocket_message_is_checked_by_predicates_too() {
    let server = WsServer::new()
        .on_open(Message::text(r#"{"type":"welcome","online":0}"#))
        .start();
    let gate = |id: &str, predicate: &str| {
        format!(
            "[gates.{id}]\nws = {{ url = \"{}\", expect = {{ json = {{ \"/online\" = {predicate} }} }} }}\n",
            server.url("/ws")
        )
    };
    let config = format!(
        "{}{}",
        gate("open", "{ gte = 0 }"),
        gate("busy", "{ gte = 1 }")
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("open"));
    let failure = record(
        "json /online",
        ">= 1",
        "0",
        &format!("gates.toml:{}", place(&config, "{ gte = 1 }")),
    );
    let busy = run.gate("busy");
    assert_failed(&busy, &[failure]);
}

#[test]
fn values_json_cannot_hold_and_wrong_header_rules_are_config_errors() {
    for (expect, message) in [
        (
            "json = { \"/x\" = nan }",
            "`nan` and `inf` are no JSON values",
        ),
        (
            "json = { \"/x\" = { gte = inf } }",
            "`nan` and `inf` are no JSON values",
        ),
        (
            "headers = { server = 1 }",
            "a regex its value must match, `false` (absent) or `true` (present)",
        ),
        (
            "status = true",
            "a status code, a list of codes, or a class like \"2xx\"",
        ),
    ] {
        Test::new()
            .config(&format!(
                "[gates.a.http]\nurl = \"http://127.0.0.1:9/\"\nexpect = {{ {expect} }}\n"
            ))
            .args(&["check"])
            .run()
            .code(2)
            .stderr_has(message)
            .stderr_has("gates.toml:3:");
    }
}

#[test]
fn first_status_needs_two_requests_or_more() {
    Test::new()
        .config("[gates.a.http]\nurl = \"http://127.0.0.1:9/\"\nrepeat = 1\nexpect = { first_status = 200 }\n")
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("`first_status` checks the first of `repeat` requests");
}
