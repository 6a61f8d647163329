//! HTTP gates against a real server on 127.0.0.1: expectations, the
//! checklist items they express, failure modes, interpolation, needs and
//! selection, config errors and `gate list`.

use serde_json::Value;

use crate::Test;
use crate::harness::{assert_ended, assert_passed, check_fails, reason, run_json};
use crate::servers::http::{ClosedPort, HttpServer, Latch, Response};
use crate::servers::tls::{Ca, Cert, TlsServer};
use crate::tls::ca_as_server_certificate;

/// A config with one gate `id` probing `url`, plus `extra` lines in its
/// `http` table (e.g. `follow_redirects = false`) and an `expect` table
/// made of `expect` lines.
fn probe(id: &str, url: &str, extra: &str, expect: &str) -> String {
    format!("[gates.{id}.http]\nurl = \"{url}\"\n{extra}\n[gates.{id}.http.expect]\n{expect}\n")
}

// --- health and the default expectation ------------------------------------

#[test]
fn a_2xx_response_passes_by_default_and_the_output_summarises_it() {
    let server = HttpServer::new()
        .route("/health", Response::json(r#"{"status":"ok"}"#))
        .start();
    let run = run_json(
        &format!(
            "[gates.health]\nname = \"Health check endpoint responding\"\nhttp = {{ url = \"{}\" }}\n",
            server.url("/health")
        ),
        0,
    );
    let gate = run.gate("health");
    assert_passed(&gate);
    assert_eq!(gate["kind"], "http");
    assert_eq!(gate["attempts"], 1);
    assert_eq!(gate["exit_code"], Value::Null);
    let output = gate["output"].as_str().unwrap();
    assert!(
        output.starts_with(&format!("GET {} -> 200 OK in ", server.url("/health"))),
        "output: {output}"
    );
    assert!(
        output.ends_with("\n{\"status\":\"ok\"}"),
        "output: {output}"
    );
    assert_eq!(server.hits("/health"), 1);
    assert_eq!(server.last_request("/health").method, "GET");
}

#[test]
fn a_204_passes_by_default() {
    let server = HttpServer::new()
        .route("/ready", Response::status(204))
        .start();
    let run = run_json(&probe("ready", &server.url("/ready"), "", ""), 0);
    assert_passed(&run.gate("ready"));
}

#[test]
fn a_503_fails_the_default_expectation() {
    let server = HttpServer::new()
        .route("/health", Response::status(503).body("starting"))
        .start();
    let run = run_json(
        &format!(
            "[gates.health]\nhttp = {{ url = \"{}\" }}\n",
            server.url("/health")
        ),
        1,
    );
    let gate = run.gate("health");
    assert_ended(&gate, "failed", "expected status 2xx, got 503");
    assert_eq!(gate["exit_code"], Value::Null);
    let output = gate["output"].as_str().unwrap();
    assert!(
        output.contains("-> 503 Service Unavailable"),
        "output: {output}"
    );
    assert!(output.ends_with("\nstarting"), "output: {output}");
    assert_eq!(run.stdout_json()["outcome"], "fail");
}

#[test]
fn a_404_fails_the_default_expectation() {
    let server = HttpServer::new().start();
    let run = run_json(&probe("health", &server.url("/nowhere"), "", ""), 1);
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected status 2xx, got 404",
    );
}

// --- expect.status ----------------------------------------------------------

#[test]
fn status_as_a_number_must_match_exactly() {
    let server = HttpServer::new()
        .route("/created", Response::status(201))
        .route("/ok", Response::ok("ok"))
        .start();
    let config = format!(
        "{}{}",
        probe("created", &server.url("/created"), "", "status = 201"),
        probe("ok", &server.url("/ok"), "", "status = 201"),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("created"));
    assert_ended(&run.gate("ok"), "failed", "expected status 201, got 200");
}

#[test]
fn status_as_a_list_accepts_any_of_its_codes() {
    let server = HttpServer::new()
        .route("/a", Response::redirect(301, "https://127.0.0.1/a"))
        .route("/b", Response::redirect(308, "https://127.0.0.1/b"))
        .route("/c", Response::redirect(302, "https://127.0.0.1/c"))
        .start();
    let mut config = String::new();
    for id in ["a", "b", "c"] {
        config += &probe(
            id,
            &server.url(&format!("/{id}")),
            "follow_redirects = false",
            "status = [301, 308]",
        );
    }
    let run = run_json(&config, 1);
    assert_passed(&run.gate("a"));
    assert_passed(&run.gate("b"));
    assert_ended(
        &run.gate("c"),
        "failed",
        "expected status 301 or 308, got 302",
    );
}

#[test]
fn status_as_a_class_accepts_the_whole_class() {
    let server = HttpServer::new()
        .route("/gone", Response::status(410))
        .route("/teapot", Response::status(418))
        .route("/ok", Response::ok("ok"))
        .start();
    let config = format!(
        "{}{}{}",
        probe("gone", &server.url("/gone"), "", "status = \"4xx\""),
        probe("teapot", &server.url("/teapot"), "", "status = \"4xx\""),
        probe("ok", &server.url("/ok"), "", "status = \"4xx\""),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("gone"));
    assert_passed(&run.gate("teapot"));
    assert_ended(&run.gate("ok"), "failed", "expected status 4xx, got 200");
}

// --- expect: body -------------------------------------------------------------

#[test]
fn body_contains_passes_and_fails_naming_the_text() {
    let server = HttpServer::new()
        .route("/health", Response::ok("all systems ok"))
        .start();
    let config = format!(
        "{}{}",
        probe(
            "ok",
            &server.url("/health"),
            "",
            "body_contains = \"systems ok\""
        ),
        probe(
            "down",
            &server.url("/health"),
            "",
            "body_contains = \"down\""
        ),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("ok"));
    assert_ended(
        &run.gate("down"),
        "failed",
        "expected body containing \"down\", got \"all systems ok\"",
    );
}

#[test]
fn body_matches_is_a_regex() {
    let server = HttpServer::new()
        .route("/health", Response::json(r#"{"status" :  "ok"}"#))
        .start();
    let config = format!(
        "{}{}",
        probe(
            "ok",
            &server.url("/health"),
            "",
            r#"body_matches = '"status"\s*:\s*"ok"'"#
        ),
        probe(
            "degraded",
            &server.url("/health"),
            "",
            r#"body_matches = '"status"\s*:\s*"degraded"'"#
        ),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("ok"));
    assert_ended(
        &run.gate("degraded"),
        "failed",
        r#"expected body matching /"status"\s*:\s*"degraded"/, got "{\"status\" :  \"ok\"}""#,
    );
}

#[test]
fn every_failed_expectation_is_in_the_reason() {
    let server = HttpServer::new()
        .route("/health", Response::status(500).body("down"))
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            "status = 200\nbody_contains = \"ok\"",
        ),
        1,
    );
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected status 200, got 500; expected body containing \"ok\", got \"down\"",
    );
}

// --- expect: json -------------------------------------------------------------

#[test]
fn json_pointers_compare_strings_booleans_and_numbers_by_value() {
    let server = HttpServer::new()
        .route(
            "/health",
            Response::json(
                r#"{"status":"ok","db":{"up":true,"replicas":1.0},"checks":[{"name":"cache"}]}"#,
            ),
        )
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            r#"json = { "/status" = "ok", "/db/up" = true, "/db/replicas" = 1, "/checks/0/name" = "cache" }"#,
        ),
        0,
    );
    assert_passed(&run.gate("health"));
}

#[test]
fn a_json_value_that_differs_fails_with_both_values() {
    let server = HttpServer::new()
        .route(
            "/health",
            Response::json(r#"{"status":"ok","db":{"up":false}}"#),
        )
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            r#"json = { "/status" = "ok", "/db/up" = true }"#,
        ),
        1,
    );
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected json /db/up = true, got false",
    );
}

#[test]
fn a_json_number_of_another_value_fails() {
    let server = HttpServer::new()
        .route("/health", Response::json(r#"{"replicas": 2}"#))
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            r#"json = { "/replicas" = 3.0 }"#,
        ),
        1,
    );
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected json /replicas = 3.0, got 2",
    );
}

#[test]
fn a_missing_json_pointer_fails_naming_it() {
    let server = HttpServer::new()
        .route("/health", Response::json(r#"{"status":"ok"}"#))
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            r#"json = { "/db/up" = true }"#,
        ),
        1,
    );
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected json /db/up = true, got not found",
    );
}

#[test]
fn a_body_that_is_not_json_fails_json_expectations() {
    let server = HttpServer::new()
        .route("/health", Response::ok("<html>maintenance</html>"))
        .start();
    let run = run_json(
        &probe(
            "health",
            &server.url("/health"),
            "",
            r#"json = { "/status" = "ok" }"#,
        ),
        1,
    );
    let gate = run.gate("health");
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        reason(&gate),
        "expected body JSON, got \"<html>maintenance</html>\" (not JSON: expected value at line 1 column 1)"
    );
}

// --- expect: headers and max_time ------------------------------------------

#[test]
fn expected_headers_match_names_case_insensitively_and_values_by_regex() {
    let server = HttpServer::new()
        .route(
            "/",
            Response::ok("home")
                .header(
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                )
                .header("X-Content-Type-Options", "nosniff"),
        )
        .start();
    let run = run_json(
        &probe(
            "headers",
            &server.url("/"),
            "",
            r#"headers = { "strict-transport-security" = 'max-age=\d+', "X-CONTENT-TYPE-OPTIONS" = "^nosniff$" }"#,
        ),
        0,
    );
    assert_passed(&run.gate("headers"));
}

#[test]
fn a_header_value_that_does_not_match_fails_with_value_and_regex() {
    let server = HttpServer::new()
        .route(
            "/",
            Response::ok("home").header("X-Frame-Options", "SAMEORIGIN"),
        )
        .start();
    let run = run_json(
        &probe(
            "frames",
            &server.url("/"),
            "",
            r#"headers = { "x-frame-options" = "^DENY$" }"#,
        ),
        1,
    );
    assert_ended(
        &run.gate("frames"),
        "failed",
        "expected header x-frame-options matching /^DENY$/, got \"SAMEORIGIN\"",
    );
}

#[test]
fn a_missing_header_fails_naming_it() {
    let server = HttpServer::new().route("/", Response::ok("home")).start();
    let run = run_json(
        &probe(
            "csp",
            &server.url("/"),
            "",
            r#"headers = { "Content-Security-Policy" = "default-src" }"#,
        ),
        1,
    );
    assert_ended(
        &run.gate("csp"),
        "failed",
        "expected header content-security-policy matching /default-src/, got absent",
    );
}

#[test]
fn a_fast_response_is_within_max_time() {
    let server = HttpServer::new()
        .route("/api/users", Response::json("[]"))
        .start();
    let run = run_json(
        &probe(
            "latency",
            &server.url("/api/users"),
            "",
            "max_time = \"10s\"",
        ),
        0,
    );
    assert_passed(&run.gate("latency"));
}

#[test]
fn a_response_slower_than_max_time_fails_with_both_times() {
    // The only sleep of these tests, and the test is about time: the server
    // waits 50ms before answering, so the measured time is at least that,
    // however fast or slow the machine is.
    let server = HttpServer::new()
        .handle("/api/users", |_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            Response::json("[]")
        })
        .start();
    let run = run_json(
        &probe(
            "latency",
            &server.url("/api/users"),
            "",
            "max_time = \"20ms\"",
        ),
        1,
    );
    let gate = run.gate("latency");
    assert_eq!(gate["status"], "failed");
    let reason = reason(&gate);
    // `51ms`, or `1s20ms` on a very slow machine.
    let took = regex::Regex::new(r"^expected response time <= 20ms, got (?:(\d+)s)?(?:(\d+)ms)?$")
        .unwrap()
        .captures(reason)
        .map(|parts| {
            let part = |i| {
                parts
                    .get(i)
                    .map_or(0, |m| m.as_str().parse::<u64>().unwrap())
            };
            part(1) * 1000 + part(2)
        });
    assert!(took.is_some_and(|ms| ms >= 50), "reason: {reason}");
}

// --- the checklist items of the contract -------------------------------------

#[test]
fn admin_health_sends_the_bearer_token() {
    let server = HttpServer::new()
        .handle("/api/admin/system/health", |request| {
            match request.header("authorization") {
                Some("Bearer s3cr3t-admin") => {
                    Response::json(r#"{"status":"ok","db":{"up":true}}"#)
                }
                _ => Response::status(401),
            }
        })
        .start();
    let config = format!(
        r#"[gates.admin-health]
name = "Admin health with a token"
[gates.admin-health.http]
url = "{}"
headers = {{ Authorization = "Bearer ${{ADMIN_TOKEN}}" }}
[gates.admin-health.http.expect]
status = 200
json = {{ "/status" = "ok", "/db/up" = true }}
"#,
        server.url("/api/admin/system/health")
    );
    let run = Test::new()
        .config(&config)
        .env("ADMIN_TOKEN", "s3cr3t-admin")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("admin-health"));
    assert_eq!(
        server
            .last_request("/api/admin/system/health")
            .header("Authorization"),
        Some("Bearer s3cr3t-admin")
    );
}

#[test]
fn admin_health_with_a_wrong_token_fails_with_401() {
    let server = HttpServer::start(|request| match request.header("authorization") {
        Some("Bearer right") => Response::ok("ok"),
        _ => Response::status(401),
    });
    let run = Test::new()
        .config(&probe(
            "admin-health",
            &server.url("/admin"),
            "headers = { Authorization = \"Bearer ${ADMIN_TOKEN}\" }",
            "status = 200",
        ))
        .env("ADMIN_TOKEN", "wrong")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_ended(
        &run.gate("admin-health"),
        "failed",
        "expected status 200, got 401",
    );
}

#[test]
fn security_headers_present() {
    let server = HttpServer::new()
        .route(
            "/",
            Response::ok("<html></html>")
                .header("Content-Security-Policy", "default-src 'self'")
                .header("X-Frame-Options", "DENY")
                .header("Strict-Transport-Security", "max-age=63072000; preload"),
        )
        .route("/bare", Response::ok("<html></html>"))
        .start();
    let expect = r#"headers = { "content-security-policy" = "default-src", "x-frame-options" = "^(DENY|SAMEORIGIN)$", "strict-transport-security" = 'max-age=\d+' }"#;
    let config = format!(
        "{}{}",
        probe("secure", &server.url("/"), "", expect),
        probe("bare", &server.url("/bare"), "", expect),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("secure"));
    assert_ended(
        &run.gate("bare"),
        "failed",
        "expected header content-security-policy matching /default-src/, got absent; \
         expected header x-frame-options matching /^(DENY|SAMEORIGIN)$/, got absent; \
         expected header strict-transport-security matching /max-age=\\d+/, got absent",
    );
}

#[test]
fn https_enforced_by_a_redirect_that_is_not_followed() {
    let server = HttpServer::new()
        .route("/", Response::redirect(301, "https://127.0.0.1/"))
        .start();
    let run = run_json(
        &probe(
            "https-enforced",
            &server.url("/"),
            "follow_redirects = false",
            "status = [301, 308]\nheaders = { location = \"^https://\" }",
        ),
        0,
    );
    let gate = run.gate("https-enforced");
    assert_passed(&gate);
    let output = gate["output"].as_str().unwrap();
    assert!(
        output.contains("-> 301 Moved Permanently in ")
            && output.contains("\nlocation: https://127.0.0.1/"),
        "output: {output}"
    );
    assert_eq!(server.hits("/"), 1);
}

#[test]
fn https_not_enforced_fails() {
    let server = HttpServer::new()
        .route("/", Response::redirect(308, "http://127.0.0.1/insecure"))
        .route("/plain", Response::ok("served over http"))
        .start();
    let expect = "status = [301, 308]\nheaders = { location = \"^https://\" }";
    let config = format!(
        "{}{}",
        probe(
            "to-http",
            &server.url("/"),
            "follow_redirects = false",
            expect
        ),
        probe(
            "no-redirect",
            &server.url("/plain"),
            "follow_redirects = false",
            expect
        ),
    );
    let run = run_json(&config, 1);
    assert_ended(
        &run.gate("to-http"),
        "failed",
        "expected header location matching /^https:///, got \"http://127.0.0.1/insecure\"",
    );
    assert_ended(
        &run.gate("no-redirect"),
        "failed",
        "expected status 301 or 308, got 200; expected header location matching /^https:///, got absent",
    );
}

#[test]
fn redirects_are_followed_by_default() {
    let server = HttpServer::new()
        .route("/old", Response::redirect(301, "/moved"))
        .route("/moved", Response::redirect(308, "/new"))
        .route("/new", Response::ok("new home"))
        .start();
    let run = run_json(
        &probe(
            "moved",
            &server.url("/old"),
            "",
            "status = 200\nbody_contains = \"new home\"",
        ),
        0,
    );
    assert_passed(&run.gate("moved"));
    assert_eq!(
        (
            server.hits("/old"),
            server.hits("/moved"),
            server.hits("/new")
        ),
        (1, 1, 1)
    );
}

#[test]
fn a_redirect_loop_is_given_up_after_ten_redirects() {
    let server = HttpServer::new()
        .handle("/loop", |_| Response::redirect(302, "/loop"))
        .start();
    let run = run_json(&probe("loop", &server.url("/loop"), "", ""), 1);
    let gate = run.gate("loop");
    assert_eq!(gate["status"], "error", "gate: {gate:#}");
    assert!(
        reason(&gate).ends_with(" failed: too many redirects"),
        "reason: {}",
        reason(&gate)
    );
    assert_eq!(
        server.hits("/loop"),
        11,
        "the first request and 10 redirects"
    );
}

#[test]
fn cors_sends_the_origin_and_checks_the_allowed_origin() {
    let server = HttpServer::new()
        .handle("/api/users", |request| match request.header("origin") {
            Some(origin @ "https://app.example.com") => {
                Response::json("[]").header("Access-Control-Allow-Origin", origin)
            }
            _ => Response::json("[]"),
        })
        .start();
    let expect = r#"headers = { "access-control-allow-origin" = '^https://app\.example\.com$' }"#;
    let config = format!(
        "{}{}",
        probe(
            "cors",
            &server.url("/api/users"),
            "headers = { Origin = \"https://app.example.com\" }",
            expect,
        ),
        probe(
            "cors-evil",
            &server.url("/api/users"),
            "headers = { Origin = \"https://evil.example.com\" }",
            expect,
        ),
    );
    let run = run_json(&config, 1);
    assert_passed(&run.gate("cors"));
    assert_ended(
        &run.gate("cors-evil"),
        "failed",
        "expected header access-control-allow-origin matching /^https://app\\.example\\.com$/, got absent",
    );
    let origins: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("Origin").map(str::to_owned))
        .collect();
    assert_eq!(origins.len(), 2);
    assert!(origins.contains(&"https://app.example.com".to_owned()));
    assert!(origins.contains(&"https://evil.example.com".to_owned()));
}

#[test]
fn rate_limiting_active_after_a_hundred_requests() {
    let server = HttpServer::new()
        .handle("/api/login", |request| match request.number {
            ..=100 => Response::ok("ok"),
            _ => Response::status(429),
        })
        .start();
    let run = run_json(
        &probe(
            "rate-limit",
            &server.url("/api/login"),
            "method = \"POST\"\nbody = '{\"user\": \"probe\"}'\nrepeat = 150",
            "status = 429",
        ),
        0,
    );
    let gate = run.gate("rate-limit");
    assert_passed(&gate);
    assert_eq!(gate["attempts"], 1);
    assert_eq!(server.hits("/api/login"), 150);
    let request = server.last_request("/api/login");
    assert_eq!(request.method, "POST");
    assert_eq!(request.body_text(), "{\"user\": \"probe\"}");
}

#[test]
fn no_rate_limiting_fails_on_the_last_response() {
    let server = HttpServer::new()
        .route("/api/login", Response::ok("ok"))
        .start();
    let run = run_json(
        &probe(
            "rate-limit",
            &server.url("/api/login"),
            "repeat = 150",
            "status = 429",
        ),
        1,
    );
    assert_ended(
        &run.gate("rate-limit"),
        "failed",
        "expected status 429, got 200",
    );
    assert_eq!(server.hits("/api/login"), 150);
}

#[test]
fn repeat_stops_at_the_first_request_without_a_response() {
    let server = HttpServer::new()
        .handle("/api", |request| match request.number {
            ..=2 => Response::ok("ok"),
            _ => Response::never(),
        })
        .start();
    let run = run_json(
        &probe(
            "rate-limit",
            &server.url("/api"),
            "repeat = 10\ntimeout = \"300ms\"",
            "",
        ),
        1,
    );
    assert_ended(
        &run.gate("rate-limit"),
        "timed_out",
        "request 3 of 10: request timed out after 300ms",
    );
    assert_eq!(server.hits("/api"), 3);
}

#[test]
fn a_service_still_starting_passes_on_a_retry() {
    let server = HttpServer::new()
        .handle("/health", |request| match request.number {
            ..=2 => Response::status(503).body("starting"),
            _ => Response::json(r#"{"status":"ok"}"#),
        })
        .start();
    let config = format!(
        "[gates.health]\nretries = 3\nretry_delay = \"10ms\"\nhttp = {{ url = \"{}\" }}\n",
        server.url("/health")
    );
    let run = run_json(&config, 0);
    let gate = run.gate("health");
    assert_passed(&gate);
    assert_eq!(gate["attempts"], 3);
    assert_eq!(server.hits("/health"), 3);
}

#[test]
fn a_service_that_never_starts_fails_after_its_retries() {
    let server = HttpServer::new()
        .route("/health", Response::status(503))
        .start();
    let config = format!(
        "[gates.health]\nretries = 2\nretry_delay = \"10ms\"\nhttp = {{ url = \"{}\" }}\n",
        server.url("/health")
    );
    let run = run_json(&config, 1);
    let gate = run.gate("health");
    assert_ended(&gate, "failed", "expected status 2xx, got 503");
    assert_eq!(gate["attempts"], 3);
    assert_eq!(server.hits("/health"), 3);
}

// --- failure modes --------------------------------------------------------------

#[test]
fn connection_refused_is_an_error() {
    let closed = ClosedPort::new();
    let port = closed.port();
    let run = run_json(
        &format!("[gates.health]\nhttp = {{ url = \"http://127.0.0.1:{port}/health\" }}\n"),
        1,
    );
    let gate = run.gate("health");
    assert_ended(
        &gate,
        "error",
        &format!("connection refused by 127.0.0.1:{port}"),
    );
    assert_eq!(gate["attempts"], 1);
}

#[test]
fn connection_refused_is_retried() {
    let closed = ClosedPort::new();
    let port = closed.port();
    let run = run_json(
        &format!(
            "[gates.health]\nretries = 2\nretry_delay = \"10ms\"\n\
             http = {{ url = \"http://127.0.0.1:{port}/health\" }}\n"
        ),
        1,
    );
    let gate = run.gate("health");
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["attempts"], 3);
}

#[test]
fn a_host_that_does_not_resolve_is_an_error_naming_it() {
    let run = run_json(
        "[gates.health]\ntimeout = \"5s\"\nhttp = { url = \"http://no-such-host.invalid/health\" }\n",
        1,
    );
    let gate = run.gate("health");
    assert_eq!(gate["status"], "error", "gate: {gate:#}");
    let reason = reason(&gate);
    assert!(
        reason.starts_with("cannot resolve host no-such-host.invalid"),
        "reason: {reason}"
    );
    assert!(!reason.contains('\n'), "reason: {reason}");
}

#[test]
fn a_server_that_never_answers_times_out_the_request() {
    let server = HttpServer::new()
        .route("/health", Response::never())
        .start();
    let run = run_json(
        &probe("health", &server.url("/health"), "timeout = \"300ms\"", ""),
        1,
    );
    let gate = run.gate("health");
    assert_ended(&gate, "timed_out", "request timed out after 300ms");
    assert_eq!(gate["exit_code"], Value::Null);
    assert_eq!(server.hits("/health"), 1);
}

#[test]
fn a_body_that_stops_coming_times_out_the_request() {
    let server = HttpServer::new()
        .route("/export", Response::stalled("EXPORT-BEGIN ", 1024 * 1024))
        .start();
    let run = run_json(
        &probe(
            "export",
            &server.url("/export"),
            "timeout = \"300ms\"",
            "body_contains = \"EXPORT-BEGIN\"",
        ),
        1,
    );
    assert_ended(
        &run.gate("export"),
        "timed_out",
        "request timed out after 300ms",
    );
}

#[test]
fn a_server_that_never_answers_times_out_the_gate() {
    let server = HttpServer::new()
        .route("/health", Response::never())
        .start();
    let run = run_json(
        &format!(
            "[gates.health]\ntimeout = \"300ms\"\nhttp = {{ url = \"{}\" }}\n",
            server.url("/health")
        ),
        1,
    );
    assert_ended(&run.gate("health"), "timed_out", "timed out after 300ms");
}

#[test]
fn the_gate_timeout_bounds_a_longer_request_timeout() {
    let server = HttpServer::new()
        .route("/health", Response::never())
        .start();
    let running = Test::new()
        .config(&format!(
            "[gates.health]\ntimeout = \"300ms\"\n\
             http = {{ url = \"{}\", timeout = \"1h\" }}\n",
            server.url("/health")
        ))
        .args(&["run", "--format", "json"])
        .spawn();
    // `wait` gives up (and fails the test) if gate hangs.
    let run = running.wait().code(1);
    assert_ended(&run.gate("health"), "timed_out", "timed out after 300ms");
}

#[test]
fn the_gate_timeout_ends_a_repeat_whose_request_gets_no_answer() {
    let server = HttpServer::new()
        .handle("/api", |request| match request.number {
            ..=2 => Response::ok("ok"),
            _ => Response::never(),
        })
        .start();
    let running = Test::new()
        .config(&format!(
            "[gates.burst]\ntimeout = \"300ms\"\n\
             http = {{ url = \"{}\", repeat = 150, timeout = \"1h\" }}\n",
            server.url("/api")
        ))
        .args(&["run", "--format", "json"])
        .spawn();
    let run = running.wait().code(1);
    assert_ended(&run.gate("burst"), "timed_out", "timed out after 300ms");
    assert!(server.hits("/api") <= 3, "{} requests", server.hits("/api"));
}

#[test]
fn a_huge_body_is_read_only_as_far_as_needed() {
    const LENGTH: u64 = 50 * 1024 * 1024;
    let server = HttpServer::new()
        .route("/export", Response::large("EXPORT-BEGIN ", LENGTH))
        .start();
    let run = run_json(
        &probe(
            "export",
            &server.url("/export"),
            "",
            "body_contains = \"EXPORT-BEGIN\"",
        ),
        0,
    );
    let gate = run.gate("export");
    assert_passed(&gate);
    let output = gate["output"].as_str().unwrap();
    assert!(output.len() < 1000, "output of {} bytes", output.len());
    assert!(output.ends_with(" ..."), "output: {output}");
    assert!(
        server.body_bytes_sent() < LENGTH,
        "gate read the whole body ({} bytes)",
        server.body_bytes_sent()
    );
}

#[test]
fn text_past_the_body_limit_is_not_found_and_the_reason_says_so() {
    let server = HttpServer::new()
        .route(
            "/export",
            Response::large("EXPORT-BEGIN ", 50 * 1024 * 1024),
        )
        .start();
    let run = run_json(
        &probe(
            "export",
            &server.url("/export"),
            "",
            "body_contains = \"EXPORT-END\"",
        ),
        1,
    );
    assert_ended(
        &run.gate("export"),
        "failed",
        &format!(
            "expected body containing \"EXPORT-END\", got \"EXPORT-BEGIN {}\"… (only its first 1024 KiB read)",
            ".".repeat(67)
        ),
    );
}

#[test]
fn json_expectations_on_a_huge_body_fail_saying_it_is_too_large() {
    let server = HttpServer::new()
        .route("/export", Response::large("[", 50 * 1024 * 1024))
        .start();
    let run = run_json(
        &probe(
            "export",
            &server.url("/export"),
            "",
            "json = { \"/0\" = 1 }",
        ),
        1,
    );
    assert_ended(
        &run.gate("export"),
        "failed",
        "expected body JSON, got more than 1024 KiB, too large to check as JSON",
    );
}

#[test]
fn a_body_that_is_not_utf8_cannot_match_a_regex() {
    let server = HttpServer::new()
        .route(
            "/logo.png",
            Response::ok(vec![0x89, b'P', b'N', b'G', 0xff, 0xfe, 0x00, b'o', b'k'])
                .header("Content-Type", "image/png"),
        )
        .start();
    let run = run_json(
        &probe(
            "logo",
            &server.url("/logo.png"),
            "",
            "body_matches = \"ok\"",
        ),
        1,
    );
    let gate = run.gate("logo");
    assert_eq!(gate["status"], "failed");
    assert!(
        reason(&gate).contains("not UTF-8"),
        "reason: {}",
        reason(&gate)
    );
    assert!(!reason(&gate).contains('\n'));
}

#[test]
fn a_body_that_is_not_utf8_can_still_contain_bytes() {
    let server = HttpServer::new()
        .route(
            "/logo.png",
            Response::ok(vec![0x89, b'P', b'N', b'G', 0xff, 0xfe]),
        )
        .start();
    let run = run_json(
        &probe(
            "logo",
            &server.url("/logo.png"),
            "",
            "body_contains = \"PNG\"",
        ),
        0,
    );
    assert_passed(&run.gate("logo"));
}

#[test]
fn a_server_that_closes_the_connection_without_answering_is_an_error() {
    let server = HttpServer::new()
        .route("/health", Response::close())
        .start();
    let run = run_json(&probe("health", &server.url("/health"), "", ""), 1);
    let gate = run.gate("health");
    assert_eq!(gate["status"], "error", "gate: {gate:#}");
    let reason = reason(&gate);
    assert!(
        reason.starts_with(&format!("request to {} failed: ", &server.url("")[7..])),
        "reason: {reason}"
    );
    assert!(!reason.contains('\n'), "reason: {reason}");
}

// --- https ------------------------------------------------------------------------

#[test]
fn https_with_a_self_signed_certificate_is_an_error_unless_insecure() {
    let server = TlsServer::https(&Cert::self_signed(90));
    let gate = |extra: &str| {
        format!(
            "[gates.api]\nhttp = {{ url = \"{}\"{extra} }}\n",
            server.url()
        )
    };
    let run = run_json(&gate(""), 1);
    let api = run.gate("api");
    assert_eq!(api["status"], "error", "{api}");
    assert!(reason(&api).contains("certificate"), "{api}");
    assert_passed(&run_json(&gate(", insecure = true"), 0).gate("api"));
}

#[test]
fn https_verifies_against_a_trusted_authority() {
    let ca = Ca::new();
    let server = TlsServer::https(&ca.issue(&["127.0.0.1"], 90));
    let test = Test::new().file("ca.pem", ca.pem());
    let store = test.path().join("ca.pem").display().to_string();
    let run = test
        .env("SSL_CERT_FILE", &store)
        .config(&format!(
            "[gates.api]\nhttp = {{ url = \"{}\" }}\n",
            server.url()
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("api"));
}

// --- interpolation ----------------------------------------------------------------

#[test]
fn variables_are_interpolated_in_url_headers_body_and_expectations() {
    let server = HttpServer::new()
        .handle("/api/deploy", |request| {
            Response::json(&format!(
                r#"{{"env":{:?},"version":"1.4.2"}}"#,
                request.header("x-env").unwrap_or("none")
            ))
            .header("X-Served-By", "web-7")
        })
        .start();
    let config = r#"[gates.deploy.http]
url = "${API_URL}/api/deploy"
method = "${METHOD:-PUT}"
headers = { X-Env = "${DEPLOY_ENV}", X-Probe = "${PROBE:-yes}" }
body = '{"env": "${DEPLOY_ENV}"}'
[gates.deploy.http.expect]
status = 200
body_contains = "${DEPLOY_ENV}"
body_matches = '"version":"${VERSION}"'
json = { "/env" = "${DEPLOY_ENV}", "/version" = "${VERSION:-0.0.0}" }
headers = { x-served-by = "^${HOST_PREFIX:-web}-\\d+$" }
max_time = "${MAX_TIME:-10s}"
"#;
    let run = Test::new()
        .config(config)
        .env("API_URL", &server.url(""))
        .env("DEPLOY_ENV", "staging")
        .env("VERSION", "1.4.2")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("deploy"));
    let request = server.last_request("/api/deploy");
    assert_eq!(request.method, "PUT");
    assert_eq!(request.header("X-Env"), Some("staging"));
    assert_eq!(request.header("X-Probe"), Some("yes"));
    assert_eq!(request.body_text(), r#"{"env": "staging"}"#);
}

#[test]
fn an_interpolated_expectation_that_does_not_hold_fails() {
    let server = HttpServer::new()
        .route("/version", Response::json(r#"{"version":"1.4.1"}"#))
        .start();
    let run = Test::new()
        .config(&probe(
            "version",
            "${API_URL}/version",
            "",
            "json = { \"/version\" = \"${VERSION}\" }",
        ))
        .env("API_URL", &server.url(""))
        .env("VERSION", "1.4.2")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_ended(
        &run.gate("version"),
        "failed",
        r#"expected json /version = "1.4.2", got "1.4.1""#,
    );
}

#[test]
fn a_default_is_used_when_the_variable_is_unset() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let run = Test::new()
        .config(&format!(
            "[gates.health]\nhttp = {{ url = \"${{API_URL:-{}}}/health\" }}\n",
            server.url("")
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("health"));
    assert_eq!(server.hits("/health"), 1);
}

#[test]
fn env_table_values_reach_http_gates() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let run = Test::new()
        .config(
            "[env]\nHEALTH_URL = \"${API_URL}/health\"\n\
             [gates.health]\nhttp = { url = \"${HEALTH_URL}\" }\n",
        )
        .env("API_URL", &server.url(""))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("health"));
    assert_eq!(server.hits("/health"), 1);
}

#[test]
fn a_missing_variable_of_a_selected_http_gate_exits_two_naming_it_and_the_gate() {
    let server = HttpServer::new()
        .route("/admin", Response::ok("ok"))
        .start();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"{}\" }}\n\n\
         [gates.admin-health.http]\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer ${{ADMIN_TOKEN}}\" }}\n",
        server.url("/admin"),
        server.url("/admin"),
    );
    Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(
            r#"error: variable `ADMIN_TOKEN` is not set (needed by gate `admin-health`); set it, or give a default: ${ADMIN_TOKEN:-value}
 --> gates.toml:6:29
  |
6 | headers = { Authorization = "Bearer ${ADMIN_TOKEN}" }
  |                             ^^^^^^^^^^^^^^^^^^^^^^^
"#,
        );
    assert_eq!(
        server.hits("/admin"),
        0,
        "a gate ran despite the missing variable"
    );
}

#[test]
fn a_missing_variable_in_an_expectation_names_it_and_the_gate() {
    let server = HttpServer::new().route("/v", Response::ok("1.0")).start();
    Test::new()
        .config(&probe(
            "version",
            &server.url("/v"),
            "",
            "body_contains = \"${VERSION}\"",
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: variable `VERSION` is not set (needed by gate `version`)");
    assert_eq!(server.hits("/v"), 0);
}

#[test]
fn a_missing_variable_in_a_json_expectation_points_at_it() {
    Test::new()
        .config(
            "[gates.version.http]\nurl = \"http://127.0.0.1:1/version\"\n\
             [gates.version.http.expect]\njson = { \"/version\" = \"${VERSION}\" }\n",
        )
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: variable `VERSION` is not set (needed by gate `version`)")
        .stderr_has(" --> gates.toml:4:")
        .stderr_has("4 | json = { \"/version\" = \"${VERSION}\" }\n");
}

#[test]
fn the_request_timeout_is_interpolated_too() {
    let server = HttpServer::new()
        .route("/health", Response::never())
        .start();
    let run = Test::new()
        .config(&probe(
            "health",
            &server.url("/health"),
            "timeout = \"${PROBE_TIMEOUT:-5s}\"",
            "",
        ))
        .env("PROBE_TIMEOUT", "300ms")
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_ended(
        &run.gate("health"),
        "timed_out",
        "request timed out after 300ms",
    );
}

#[test]
fn a_body_contains_left_empty_is_refused_not_held() {
    // An empty text is in every body: the gate would pass whatever came.
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    Test::new()
        .config(&probe(
            "health",
            &server.url("/health"),
            "",
            "body_contains = \"${EXPECTED_TEXT:-}\"",
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: the text to look for is empty, so anything would hold it: give the text that must be there\n --> gates.toml:5:17\n");
    assert_eq!(server.hits("/health"), 0);
}

#[test]
fn a_missing_variable_of_an_unselected_http_gate_does_not_matter() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"{}\" }}\n\n\
         [gates.admin-health.http]\nurl = \"${{API_URL}}/admin\"\nheaders = {{ Authorization = \"Bearer ${{ADMIN_TOKEN}}\" }}\n",
        server.url("/health"),
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "health", "--format", "json"])
        .run()
        .code(0);
    assert_passed(&run.gate("health"));
    assert_eq!(run.ids(), ["health"]);
}

#[test]
fn check_accepts_http_gates_with_unset_variables() {
    Test::new()
        .config(
            "[gates.admin-health.http]\nurl = \"${API_URL}/admin\"\n\
             headers = { Authorization = \"Bearer ${ADMIN_TOKEN}\" }\n",
        )
        .args(&["check"])
        .run()
        .code(0);
}

#[test]
fn a_token_sent_in_a_header_is_redacted_from_the_report() {
    let server = HttpServer::new()
        .handle("/admin", |request| {
            Response::status(401).body(format!(
                "rejected {}",
                request.header("authorization").unwrap_or_default()
            ))
        })
        .start();
    let run = Test::new()
        .config(&probe(
            "admin-health",
            &server.url("/admin"),
            "headers = { Authorization = \"Bearer ${ADMIN_TOKEN}\" }",
            "status = 200",
        ))
        .env("ADMIN_TOKEN", "s3cr3t-admin")
        .args(&["run", "--format", "json"])
        .run()
        .code(1)
        .stdout_lacks("s3cr3t-admin");
    let output = run.gate("admin-health")["output"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(output.ends_with("rejected Bearer ***"), "output: {output}");
}

// --- with other gates: needs, tags, jobs ------------------------------------------------

#[test]
fn an_http_gate_runs_after_the_command_gate_it_needs() {
    // The service answers only once the command gate has "migrated".
    let test = Test::new();
    let marker = test.path().join("migrated");
    let server = HttpServer::new()
        .handle("/health", move |_| match marker.exists() {
            true => Response::ok("ok"),
            false => Response::status(503),
        })
        .start();
    let config = format!(
        "[gates.migrations]\nrun = \"touch migrated\"\n\n\
         [gates.smoke]\nneeds = [\"migrations\"]\nhttp = {{ url = \"{}\" }}\n",
        server.url("/health")
    );
    let run = test
        .config(&config)
        .args(&["run", "smoke", "-j", "4", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["migrations", "smoke"]);
    assert_passed(&run.gate("migrations"));
    assert_passed(&run.gate("smoke"));
}

#[test]
fn a_command_gate_needing_a_failed_http_gate_is_skipped() {
    let server = HttpServer::new()
        .route("/health", Response::status(503))
        .start();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"{}\" }}\n\n\
         [gates.smoke]\nrun = \"touch ran\"\nneeds = [\"health\"]\n",
        server.url("/health")
    );
    let run = run_json(&config, 1);
    assert_ended(
        &run.gate("health"),
        "failed",
        "expected status 2xx, got 503",
    );
    let smoke = run.gate("smoke");
    assert_eq!(smoke["status"], "skipped");
    assert!(
        reason(&smoke).contains("health"),
        "reason: {}",
        reason(&smoke)
    );
    assert!(!run.exists("ran"), "the skipped gate ran");
}

#[test]
fn tags_select_http_gates_like_command_gates() {
    let server = HttpServer::new()
        .route("/a", Response::ok("ok"))
        .route("/b", Response::ok("ok"))
        .start();
    let config = format!(
        "[gates.lint]\nrun = \"true\"\ntags = [\"ci\"]\n\n\
         [gates.health]\ntags = [\"smoke\"]\nhttp = {{ url = \"{}\" }}\n\n\
         [gates.cors]\ntags = [\"security\"]\nhttp = {{ url = \"{}\" }}\n",
        server.url("/a"),
        server.url("/b"),
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "--tag", "smoke", "-j", "1", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["health"]);
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 0));
}

#[test]
fn http_gates_run_in_parallel() {
    // Each response is held until both requests have arrived: with one job
    // at a time this would never finish (and `wait` would give up).
    let release = Latch::new();
    let server = HttpServer::new()
        .route("/a", Response::ok("ok").after(&release))
        .route("/b", Response::ok("ok").after(&release))
        .start();
    let config = format!(
        "[gates.a]\nhttp = {{ url = \"{}\" }}\n[gates.b]\nhttp = {{ url = \"{}\" }}\n",
        server.url("/a"),
        server.url("/b"),
    );
    let running = Test::new()
        .config(&config)
        .args(&["run", "-j", "2", "--format", "json"])
        .spawn();
    crate::harness::wait_until("both requests to arrive", || {
        server.hits("/a") == 1 && server.hits("/b") == 1
    });
    release.open();
    let run = running.wait().code(0);
    assert_passed(&run.gate("a"));
    assert_passed(&run.gate("b"));
}

#[test]
fn fail_fast_cancels_a_pending_http_probe() {
    let server = HttpServer::new().route("/slow", Response::never()).start();
    let config = format!(
        "[gates.broken]\nrun = \"exit 1\"\n\n\
         [gates.slow]\nhttp = {{ url = \"{}\" }}\n",
        server.url("/slow")
    );
    let running = Test::new()
        .config(&config)
        .args(&["run", "--fail-fast", "-j", "2", "--format", "json"])
        .spawn();
    let run = running.wait().code(1);
    assert_ended(&run.gate("broken"), "failed", "exit status 1");
    assert_eq!(run.gate("slow")["status"], "cancelled");
}

// --- config errors ----------------------------------------------------------------------

#[test]
fn a_status_out_of_range_is_a_config_error() {
    check_fails(
        "[gates.health.http]\nurl = \"http://127.0.0.1/\"\nexpect = { status = 999 }\n",
        r#"error: invalid status 999: expected a code from 100 to 599, a list of codes, or a class like "2xx"
 --> gates.toml:3:21
  |
3 | expect = { status = 999 }
  |                     ^^^"#,
    );
}

#[test]
fn a_status_class_out_of_range_is_a_config_error() {
    check_fails(
        "[gates.health.http]\nurl = \"http://127.0.0.1/\"\nexpect = { status = \"6xx\" }\n",
        r#"error: invalid status "6xx": expected a code from 100 to 599, a list of codes, or a class like "2xx"
 --> gates.toml:3:21
  |
3 | expect = { status = "6xx" }
  |                     ^^^^^"#,
    );
}

#[test]
fn a_bad_code_in_a_status_list_is_a_config_error() {
    Test::new()
        .config(
            "[gates.health.http]\nurl = \"http://127.0.0.1/\"\nexpect = { status = [301, 42] }\n",
        )
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: invalid status 42: ")
        .stderr_has(" --> gates.toml:3:");
}

#[test]
fn a_bad_regex_is_a_config_error() {
    check_fails(
        "[gates.health.http]\nurl = \"http://127.0.0.1/\"\n\
         [gates.health.http.expect]\nbody_matches = \"status: (ok\"\n",
        r#"error: invalid regex: unclosed group
 --> gates.toml:4:16
  |
4 | body_matches = "status: (ok"
  |                ^^^^^^^^^^^^^"#,
    );
}

#[test]
fn a_bad_header_regex_is_a_config_error() {
    Test::new()
        .config(
            "[gates.health.http]\nurl = \"http://127.0.0.1/\"\n\
             [gates.health.http.expect]\nheaders = { location = \"^https://[\" }\n",
        )
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: invalid regex: ")
        .stderr_has(" --> gates.toml:4:24\n");
}

#[test]
fn a_json_pointer_without_a_leading_slash_is_a_config_error() {
    check_fails(
        "[gates.health.http]\nurl = \"http://127.0.0.1/\"\n\
         [gates.health.http.expect]\njson = { \"status\" = \"ok\" }\n",
        r#"error: invalid JSON pointer `status`: it starts with `/`, like `/status`
 --> gates.toml:4:10
  |
4 | json = { "status" = "ok" }
  |          ^^^^^^^^"#,
    );
}

#[test]
fn repeat_zero_is_a_config_error() {
    check_fails(
        "[gates.rate-limit.http]\nurl = \"http://127.0.0.1/\"\nrepeat = 0\n",
        r#"error: invalid repeat 0: it must be at least 1
 --> gates.toml:3:10
  |
3 | repeat = 0
  |          ^"#,
    );
}

#[test]
fn an_unknown_key_in_http_suggests_the_closest() {
    check_fails(
        "[gates.health.http]\nurll = \"http://127.0.0.1/\"\n",
        r#"error: unknown key `urll`, did you mean `url`?
 --> gates.toml:2:1
  |
2 | urll = "http://127.0.0.1/"
  | ^^^^"#,
    );
}

#[test]
fn an_unknown_key_in_expect_suggests_the_closest() {
    Test::new()
        .config(
            "[gates.health.http]\nurl = \"http://127.0.0.1/\"\n\
             [gates.health.http.expect]\nbody_contain = \"ok\"\n",
        )
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: unknown key `body_contain`, did you mean `body_contains`?\n --> gates.toml:4:1\n");
}

#[test]
fn a_gate_with_both_run_and_http_is_a_config_error() {
    Test::new()
        .config(
            "[gates.health]\nrun = \"curl -f http://127.0.0.1/\"\nhttp = { url = \"http://127.0.0.1/\" }\n",
        )
        .args(&["check"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: gate `health` ")
        .stderr_has("`run`")
        .stderr_has("`http`")
        .stderr_has(" --> gates.toml:");
}

#[test]
fn an_invalid_url_after_interpolation_is_a_config_error() {
    Test::new()
        .config("[gates.health]\nhttp = { url = \"${API_URL}/health\" }\n")
        .env("API_URL", "not a url")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: invalid URL `not a url/health`: ")
        .stderr_has(" --> gates.toml:2:16\n");
}

#[test]
fn config_errors_in_http_gates_stop_the_run_before_any_request() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let config = format!(
        "[gates.health]\nhttp = {{ url = \"{}\" }}\n\n\
         [gates.bad.http]\nurl = \"{}\"\nexpect = {{ status = \"6xx\" }}\n",
        server.url("/health"),
        server.url("/health"),
    );
    Test::new()
        .config(&config)
        .args(&["run", "health"])
        .run()
        .code(2)
        .stderr_has("error: invalid status \"6xx\"");
    assert_eq!(server.hits("/health"), 0);
}

// --- gate list ------------------------------------------------------------------

#[test]
fn list_shows_http_gates_with_kind_http() {
    let run = Test::new()
        .config(
            "[gates.lint]\nrun = \"cargo clippy\"\n\n\
             [gates.health]\nname = \"Health check endpoint responding\"\nsection = \"Verification\"\n\
             tags = [\"smoke\"]\nneeds = [\"lint\"]\nhttp = { url = \"${API_URL}/health\" }\n",
        )
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    let list = run.stdout_json();
    assert_eq!(
        list[1],
        serde_json::json!({
            "id": "health",
            "name": "Health check endpoint responding",
            "section": "Verification",
            "tags": ["smoke"],
            "kind": "http",
            "severity": "block",
            "needs": ["lint"],
            "after": [],
            "services": [],
            "slots": 1,
        })
    );
    assert_eq!(list[0]["kind"], "command");
}

#[test]
fn a_url_without_an_http_scheme_is_a_config_error() {
    check_fails(
        "[gates.health]\nhttp = { url = \"localhost:8000/health\" }\n",
        r#"error: invalid URL `localhost:8000/health`: the scheme is `localhost`, expected `http` or `https`
 --> gates.toml:2:16
  |
2 | http = { url = "localhost:8000/health" }
  |                ^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn an_interpolated_url_is_checked_when_the_gate_is_planned() {
    Test::new()
        .config("[gates.health]\nhttp = { url = \"${API_URL}/health\" }\n")
        .env("API_URL", "ftp://127.0.0.1")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("invalid URL `ftp://127.0.0.1/health`: the scheme is `ftp`");
}

#[test]
fn a_header_value_with_a_control_character_is_a_config_error() {
    Test::new()
        .config("[gates.health.http]\nurl = \"http://127.0.0.1/\"\nheaders = { X-A = \"a\\nb\" }\n")
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("invalid header value: it holds a control character")
        .stderr_has("--> gates.toml:3:19");
}

#[test]
fn a_server_presenting_a_ca_certificate_is_an_error_in_words() {
    let cert = Cert::ca_for(&["localhost"]);
    let server = TlsServer::start(&cert);
    let url = format!("https://localhost:{}/health", server.port());
    let run = Test::new()
        .trusting(&cert.pem)
        .config(&probe("health", &url, "", ""))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let gate = run.gate("health");
    assert_ended(&gate, "error", &ca_as_server_certificate(server.port()));
}
