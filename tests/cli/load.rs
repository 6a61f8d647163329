//! `http.load`: N requests, at most C at once, against a server that counts
//! how many it holds at once; the statistics in the report and the output,
//! errors and `error_rate`, and a percentile over its bound.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{check_fails, place, record, run_json};
use crate::servers::http::{ClosedPort, HttpServer, InFlight, Response};

/// Gate `api`: a load of `load` on `url`, with `expect = { expect }` when
/// `expect` is not empty.
fn load_gate(url: &str, load: &str, expect: &str) -> String {
    let mut config = format!("[gates.api.http]\nurl = \"{url}\"\nload = {{ {load} }}\n");
    if !expect.is_empty() {
        config.push_str(&format!("expect = {{ {expect} }}\n"));
    }
    config
}

/// A server that holds each request until a load of `requests` at most
/// `concurrency` at once has as many in flight as it can, and counts them.
fn counting(requests: usize, concurrency: usize) -> (HttpServer, Arc<InFlight>) {
    let in_flight = InFlight::new(requests, concurrency);
    let server = HttpServer::start({
        let in_flight = Arc::clone(&in_flight);
        move |_| {
            in_flight.hold();
            Response::json(r#"{"ok":true}"#)
        }
    });
    (server, in_flight)
}

/// A server that answers every `nth` request 503, the others 200.
fn every_nth_fails(nth: usize) -> HttpServer {
    HttpServer::start(move |request| match request.number % nth {
        0 => Response::status(503).body("overloaded"),
        _ => Response::ok("ok"),
    })
}

/// A gate's output with every figure in milliseconds written `<ms>`.
fn summary(gate: &Value) -> String {
    let output = gate["output"].as_str().expect("output");
    let figure = regex::Regex::new(r"\b\d+(\.\d)?ms\b").unwrap();
    figure.replace_all(output, "<ms>").into_owned()
}

// --- how many at once --------------------------------------------------------------

#[test]
fn a_load_keeps_exactly_its_concurrency_in_flight_and_never_more() {
    let (server, in_flight) = counting(12, 4);
    let run = run_json(
        &load_gate(&server.url("/api"), "requests = 12, concurrency = 4", ""),
        0,
    );
    assert_eq!(run.gate("api")["status"], "passed", "{}", run.transcript());
    assert!(
        !in_flight.gave_up(),
        "a request waited in vain for 3 others"
    );
    assert_eq!(in_flight.max(), 4, "most requests in flight at once");
    assert_eq!(server.hits("/api"), 12);
}

#[test]
fn a_load_that_does_not_divide_into_its_concurrency_keeps_it_until_the_end() {
    let (server, in_flight) = counting(10, 3);
    let run = run_json(
        &load_gate(&server.url("/api"), "requests = 10, concurrency = 3", ""),
        0,
    );
    assert_eq!(run.gate("api")["status"], "passed", "{}", run.transcript());
    assert!(
        !in_flight.gave_up(),
        "a request waited in vain for the others"
    );
    assert_eq!(in_flight.max(), 3);
    assert_eq!(server.hits("/api"), 10);
}

#[test]
fn a_concurrency_of_one_sends_one_request_after_the_other() {
    let (server, in_flight) = counting(5, 1);
    run_json(
        &load_gate(&server.url("/api"), "requests = 5, concurrency = 1", ""),
        0,
    );
    assert_eq!(in_flight.max(), 1);
    assert_eq!(server.hits("/api"), 5);
}

#[test]
fn a_concurrency_above_the_requests_sends_them_all_at_once() {
    let (server, in_flight) = counting(3, 3);
    let run = run_json(
        &load_gate(&server.url("/api"), "requests = 3, concurrency = 50", ""),
        0,
    );
    assert!(
        !in_flight.gave_up(),
        "a request waited in vain for the others"
    );
    assert_eq!(in_flight.max(), 3);
    assert_eq!(
        summary(&run.gate("api")),
        "3 requests, 3 at once: p50 <ms>, p90 <ms>, p95 <ms>, p99 <ms>, max <ms>, mean <ms>; \
         0 errors (0.0%)"
    );
}

// --- what the report says ------------------------------------------------------------

#[test]
fn the_report_has_the_statistics_and_the_output_summarises_them() {
    let (server, _in_flight) = counting(8, 2);
    let config = load_gate(&server.url("/api"), "requests = 8, concurrency = 2", "");
    let run = run_json(&config, 0);
    let gate = run.gate("api");
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(gate["failures"], json!([]), "{gate:#}");
    let stats = &gate["stats"];
    let mut keys: Vec<&str> = stats
        .as_object()
        .unwrap_or_else(|| panic!("stats: {gate:#}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "errors", "max_ms", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "requests"
        ]
    );
    assert_eq!(stats["requests"], 8);
    assert_eq!(stats["errors"], 0);
    let figure = |key: &str| {
        stats[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} is a whole number of ms: {stats}"))
    };
    let order = ["p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"].map(figure);
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{stats}");
    assert!(figure("mean_ms") <= figure("max_ms"), "{stats}");
    assert_eq!(
        summary(&gate),
        "8 requests, 2 at once: p50 <ms>, p90 <ms>, p95 <ms>, p99 <ms>, max <ms>, mean <ms>; \
         0 errors (0.0%)"
    );
}

#[test]
fn a_gate_without_load_has_no_stats() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let run = run_json(
        &format!(
            "[gates.health]\nhttp = {{ url = \"{}\" }}\n",
            server.url("/health")
        ),
        0,
    );
    assert_eq!(run.gate("health")["stats"], Value::Null);
}

// --- errors and error_rate --------------------------------------------------------

#[test]
fn responses_that_fail_status_are_errors_and_fail_the_default_error_rate() {
    let server = every_nth_fails(4);
    let config = load_gate(&server.url("/api"), "requests = 20, concurrency = 4", "");
    let run = run_json(&config, 1);
    let gate = run.gate("api");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    // The default error rate, 0, is written where the load is.
    let failure = record(
        "error rate",
        "<= 0.0%",
        "25.0% (5 of 20)",
        &format!("gates.toml:{}", place(&config, "{ requests")),
    );
    assert_eq!(gate["failures"], json!([failure]), "{gate:#}");
    assert_eq!(
        gate["reason"],
        "expected error rate <= 0.0%, got 25.0% (5 of 20)"
    );
    assert_eq!(gate["stats"]["requests"], 20);
    assert_eq!(gate["stats"]["errors"], 5);
    let first_error = regex::Regex::new(
        r"; 5 errors \(25\.0%\)\nfirst error: request ([1-9]|1\d|20): expected status 2xx, got 503$",
    )
    .unwrap();
    assert!(first_error.is_match(&summary(&gate)), "{gate:#}");
    assert_eq!(server.hits("/api"), 20);
}

#[test]
fn an_error_rate_of_one_half_tolerates_a_quarter_of_errors() {
    let server = every_nth_fails(4);
    let run = run_json(
        &load_gate(
            &server.url("/api"),
            "requests = 20, concurrency = 4",
            "error_rate = 0.5",
        ),
        0,
    );
    let gate = run.gate("api");
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(gate["failures"], json!([]), "{gate:#}");
    assert_eq!(gate["stats"]["errors"], 5, "{gate:#}");
    assert!(
        summary(&gate).contains("; 5 errors (25.0%)\nfirst error: request "),
        "{gate:#}"
    );
}

#[test]
fn an_error_rate_below_the_errors_fails_naming_where_it_is_written() {
    let server = every_nth_fails(2);
    let config = load_gate(
        &server.url("/api"),
        "requests = 10, concurrency = 2",
        "status = 200, error_rate = 0.1",
    );
    let run = run_json(&config, 1);
    let failure = record(
        "error rate",
        "<= 10.0%",
        "50.0% (5 of 10)",
        &format!("gates.toml:{}", place(&config, "0.1 }")),
    );
    assert_eq!(run.gate("api")["failures"], json!([failure]));
}

#[test]
fn requests_without_a_response_are_errors() {
    let closed = ClosedPort::new();
    let url = format!("http://127.0.0.1:{}/api", closed.port());
    let run = run_json(&load_gate(&url, "requests = 4, concurrency = 2", ""), 1);
    let gate = run.gate("api");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["failures"][0]["actual"], "100.0% (4 of 4)", "{gate:#}");
    assert_eq!(gate["stats"]["errors"], 4, "{gate:#}");
    assert!(
        summary(&gate).contains("; 4 errors (100.0%)\nfirst error: request "),
        "{gate:#}"
    );
}

// --- bounds of the response times ---------------------------------------------------

#[test]
fn a_p95_over_its_bound_fails_with_a_record() {
    // The test is about time: each response waits 20ms, so every
    // percentile is at least that, however fast the machine is.
    let server = HttpServer::start(|_| {
        std::thread::sleep(Duration::from_millis(20));
        Response::ok("slow")
    });
    let config = load_gate(
        &server.url("/api"),
        "requests = 6, concurrency = 3",
        "p95 = \"1ms\"",
    );
    let run = run_json(&config, 1);
    let gate = run.gate("api");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let failures = gate["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{gate:#}");
    let failure = &failures[0];
    assert_eq!(failure["expect"], "p95");
    assert_eq!(failure["expected"], "<= 1.0ms");
    assert_eq!(
        failure["at"],
        format!("gates.toml:{}", place(&config, "\"1ms\""))
    );
    let actual = failure["actual"].as_str().unwrap();
    let millis: f64 = actual
        .strip_suffix("ms")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("actual: {actual}"));
    assert!(millis >= 20.0, "actual: {actual}");
    assert_eq!(
        gate["reason"],
        format!("expected p95 <= 1.0ms, got {actual}")
    );
    assert!(gate["stats"]["p95_ms"].as_u64().unwrap() >= 20, "{gate:#}");
}

// --- config errors --------------------------------------------------------------------

#[test]
fn load_with_capture_is_a_config_error() {
    check_fails(
        "[gates.api.http]\nurl = \"http://127.0.0.1/\"\nload = { requests = 10, concurrency = 2 }\ncapture = { ID = { header = \"x-request-id\" } }\n",
        "error: `load` and `capture`: a capture takes a value from one response; keep one
 --> gates.toml:3:8
  |
3 | load = { requests = 10, concurrency = 2 }
  |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    );
}

#[test]
fn an_error_rate_above_one_is_a_config_error() {
    check_fails(
        "[gates.api.http]\nurl = \"http://127.0.0.1/\"\nload = { requests = 10, concurrency = 2 }\nexpect = { error_rate = 5 }\n",
        "error: invalid error_rate 5: it is a fraction from 0 to 1 (0.001 is 0.1%)
 --> gates.toml:4:25
  |
4 | expect = { error_rate = 5 }
  |                         ^",
    );
}
