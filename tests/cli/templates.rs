//! The gates of the templates `gate init` writes, run as written against
//! local stand-ins: the python template's smoke chain against an API,
//! its monitoring gates against a fake Prometheus, `rate-limit` and
//! `response-time` against servers that limit and fail, health, admin
//! health, CORS and the security headers against servers that get them
//! right and wrong, `no-debug-code` against trees and a grep that cannot
//! search, and `pip-audit`, `flake8`, `bandit` (python) and `npm-audit`
//! (node) against fake tools first on PATH. Each gate passes where its
//! checklist item is met and fails where it is not.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::Test;
use crate::harness::{
    Run, assert_ended, assert_failed_with, assert_hidden, assert_passed, at_in, reason, record,
};
use crate::servers::http::{HttpServer, Request, Response};
use crate::servers::tls::closed_port;

/// A test directory whose gates.toml is the `template` `gate init` wrote.
fn project(template: &str) -> Test {
    let test = Test::new();
    let file = test.path().join("gates.toml");
    Test::new()
        .args(&["init", "--template", template, file.to_str().unwrap()])
        .run()
        .code(0);
    test
}

/// `gate run ID --format json` in `test`, expecting exit `code`.
#[track_caller]
fn run(test: Test, id: &str, code: i32) -> Run {
    test.args(&["run", id, "--format", "json"]).run().code(code)
}

// --- Smoke tests -------------------------------------------------------------

const EMAIL: &str = "smoke@example.com";
/// The smoke account's password (SMOKE_PASSWORD).
const PASSWORD: &str = "pw-9c41e7b2d0";
/// The token the login hands out.
const TOKEN: &str = "tok-5e0a17d3c8f6";
const ARTWORK_ID: u64 = 7;
const BID_ID: u64 = 42;
const BIDS: &str = "/api/artworks/7/bids";

fn authorized(request: &Request) -> bool {
    request.header("authorization") == Some(format!("Bearer {TOKEN}").as_str())
}

fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

fn created(body: &str) -> Response {
    Response::status(201)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
}

/// What the stand-in API gets wrong, if anything.
#[derive(Clone, Copy, PartialEq)]
enum Api {
    Behaves,
    /// The login answers 200 without an access token.
    LoginWithoutToken,
    /// POST /api/bids answers 201 with an id, but the bid is not kept.
    BidsNotRecorded,
}

/// The python template's smoke path: `/health`; the login hands out
/// [`TOKEN`] for [`EMAIL`] and [`PASSWORD`]; with that token, an artwork
/// (id 7) is created, a bid of 10 on artwork 7 is placed (id 42), and the
/// artwork's bids list it once placed. A request without the token gets
/// 401; a bid on another artwork, 422.
fn api(api: Api) -> HttpServer {
    let recorded = Arc::new(AtomicUsize::new(0));
    let kept = Arc::clone(&recorded);
    HttpServer::new()
        .route("/health", Response::json(r#"{"status": "ok"}"#))
        .handle("/api/auth/login", move |request| {
            let body = body_json(request);
            if request.method != "POST" || body != json!({"email": EMAIL, "password": PASSWORD}) {
                return Response::status(401);
            }
            match api {
                Api::LoginWithoutToken => Response::json(r#"{"token_type": "bearer"}"#),
                _ => Response::json(&format!(
                    r#"{{"access_token": "{TOKEN}", "token_type": "bearer"}}"#
                )),
            }
        })
        .handle("/api/artworks", |request| {
            match request.method == "POST" && authorized(request) {
                true => created(&format!(
                    r#"{{"id": {ARTWORK_ID}, "title": "gate smoke test"}}"#
                )),
                false => Response::status(401),
            }
        })
        .handle("/api/bids", move |request| {
            if request.method != "POST" || !authorized(request) {
                return Response::status(401);
            }
            if body_json(request) != json!({"artwork_id": ARTWORK_ID, "amount": 10}) {
                return Response::status(422);
            }
            if api != Api::BidsNotRecorded {
                kept.fetch_add(1, Ordering::SeqCst);
            }
            created(&format!(r#"{{"id": {BID_ID}, "amount": 10}}"#))
        })
        .handle(BIDS, move |request| {
            if !authorized(request) {
                return Response::status(401);
            }
            match recorded.load(Ordering::SeqCst) {
                0 => Response::json("[]"),
                _ => Response::json(&format!(r#"[{{"id": {BID_ID}, "amount": 10}}]"#)),
            }
        })
        .start()
}

/// `gate run smoke-bid-recorded` (and what it needs) against `server`,
/// with the JSON report on stdout and in report.json.
#[track_caller]
fn smoke(server: &HttpServer, code: i32) -> Run {
    project("python")
        .env("API_URL", &server.url(""))
        .env("SMOKE_EMAIL", EMAIL)
        .env("SMOKE_PASSWORD", PASSWORD)
        .args(&[
            "run",
            "smoke-bid-recorded",
            "--format",
            "json",
            "--json",
            "report.json",
        ])
        .run()
        .code(code)
}

const CHAIN: [&str; 5] = [
    "health",
    "smoke-login",
    "smoke-artwork",
    "smoke-bid",
    "smoke-bid-recorded",
];

#[test]
fn the_smoke_chain_passes_against_an_api_that_behaves() {
    let server = api(Api::Behaves);
    let run = smoke(&server, 0);
    assert_eq!(run.ids(), CHAIN);
    for id in CHAIN {
        assert_passed(&run.gate(id));
    }
    for path in ["/api/auth/login", "/api/artworks", "/api/bids", BIDS] {
        assert_eq!(server.hits(path), 1, "{path}");
    }
}

#[test]
fn the_smoke_chain_sends_the_login_token_as_the_bearer_of_every_later_step() {
    let server = api(Api::Behaves);
    smoke(&server, 0);
    let login = server.last_request("/api/auth/login");
    assert_eq!(login.header("content-type"), Some("application/json"));
    assert_eq!(login.header("authorization"), None);
    assert_eq!(
        body_json(&login),
        json!({"email": EMAIL, "password": PASSWORD})
    );
    let bearer = format!("Bearer {TOKEN}");
    for path in ["/api/artworks", "/api/bids", BIDS] {
        let request = server.last_request(path);
        assert_eq!(
            request.header("authorization"),
            Some(bearer.as_str()),
            "{path}"
        );
    }
    assert_eq!(server.last_request(BIDS).method, "GET");
    assert_eq!(
        body_json(&server.last_request("/api/bids")),
        json!({"artwork_id": ARTWORK_ID, "amount": 10})
    );
}

#[test]
fn the_smoke_token_and_password_appear_in_no_output() {
    let server = api(Api::Behaves);
    let run = smoke(&server, 0);
    assert!(run.exists("report.json"));
    assert_hidden(&run, TOKEN);
    assert_hidden(&run, PASSWORD);
    let login = run.gate("smoke-login");
    assert!(
        login["output"]
            .as_str()
            .unwrap()
            .contains(r#""access_token": "***""#),
        "the login's body is shown, its token masked: {login:#}"
    );
}

#[test]
fn a_bid_answered_201_but_not_recorded_fails_smoke_bid_recorded() {
    let server = api(Api::BidsNotRecorded);
    let run = smoke(&server, 1);
    for id in &CHAIN[..4] {
        assert_passed(&run.gate(id));
    }
    let gate = run.gate("smoke-bid-recorded");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let failures = gate["failures"].as_array().unwrap();
    let checked: Vec<&str> = failures
        .iter()
        .map(|f| f["expect"].as_str().unwrap())
        .collect();
    assert_eq!(checked, ["json /0/id", "json /0/amount"], "{gate:#}");
    assert!(
        failures.iter().all(|f| f["actual"] == "not found"),
        "{gate:#}"
    );
    assert_eq!(server.hits(BIDS), 1);
    assert_hidden(&run, TOKEN);
}

#[test]
fn a_login_without_a_token_fails_smoke_login_and_skips_the_rest() {
    let server = api(Api::LoginWithoutToken);
    let run = smoke(&server, 1);
    assert_passed(&run.gate("health"));
    let login = run.gate("smoke-login");
    assert_ended(
        &login,
        "failed",
        "capture SMOKE_TOKEN: /access_token not found",
    );
    for id in &CHAIN[2..] {
        assert_eq!(run.gate(id)["status"], "skipped", "{id}");
    }
    for path in ["/api/artworks", "/api/bids", BIDS] {
        assert_eq!(server.hits(path), 0, "{path}");
    }
    assert_hidden(&run, PASSWORD);
}

// --- Monitoring --------------------------------------------------------------

/// A Prometheus instant-query answer whose `result` is `result`.
fn prometheus(result: &str) -> HttpServer {
    let body =
        format!(r#"{{"status":"success","data":{{"resultType":"vector","result":{result}}}}}"#);
    HttpServer::new()
        .route("/api/v1/query", Response::json(&body))
        .start()
}

/// A vector of one sample, `value`.
fn sample(value: &str) -> String {
    format!(r#"[{{"metric":{{}},"value":[1700000000,"{value}"]}}]"#)
}

/// Runs the monitoring gate `id` against a Prometheus answering `result`,
/// expecting exit `code`: the report's entry and the gates.toml it ran.
#[track_caller]
fn monitor(id: &str, result: &str, code: i32) -> (Value, String) {
    let server = prometheus(result);
    let run = run(
        project("python").env("PROMETHEUS_URL", &server.url("")),
        id,
        code,
    );
    assert_eq!(run.ids(), [id]);
    assert_eq!(server.hits("/api/v1/query"), 1);
    (run.gate(id), run.read("gates.toml"))
}

#[test]
fn uptime_passes_at_99_95_percent() {
    let (gate, _) = monitor("uptime", &sample("0.9995"), 0);
    assert_passed(&gate);
}

#[test]
fn uptime_fails_at_98_12_percent_with_its_record() {
    let (gate, config) = monitor("uptime", &sample("0.9812"), 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            ">= 0.999",
            "0.9812",
            &at_in(&config, "uptime", "{ gte = 0.999 }"),
        ),
    );
}

#[test]
fn uptime_fails_on_an_empty_result() {
    let (gate, config) = monitor("uptime", "[]", 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            ">= 0.999",
            "not found",
            &at_in(&config, "uptime", "{ gte = 0.999 }"),
        ),
    );
}

#[test]
fn error_rate_passes_at_0_04_percent() {
    let (gate, _) = monitor("error-rate", &sample("0.0004"), 0);
    assert_passed(&gate);
}

#[test]
fn error_rate_fails_at_1_2_percent_with_its_record() {
    let (gate, config) = monitor("error-rate", &sample("0.012"), 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            "< 0.001",
            "0.012",
            &at_in(&config, "error-rate", "{ lt = 0.001 }"),
        ),
    );
}

#[test]
fn error_rate_fails_on_an_empty_result() {
    let (gate, config) = monitor("error-rate", "[]", 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            "< 0.001",
            "not found",
            &at_in(&config, "error-rate", "{ lt = 0.001 }"),
        ),
    );
}

#[test]
fn error_rate_fails_on_nan_the_ratio_of_no_traffic() {
    let (gate, _) = monitor("error-rate", &sample("NaN"), 1);
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["failures"][0]["actual"], "NaN", "{gate:#}");
}

/// A raw vector holds a sample per instance and a pointer reads the first,
/// so one healthy instance would speak for a failing one: every Monitoring
/// query aggregates to a single series.
#[test]
fn every_monitoring_query_aggregates_to_one_series() {
    let server = prometheus(&sample("0.5"));
    let aggregates = [
        ("uptime", 1, "min("),
        ("error-rate", 1, "(sum("),
        ("disk-free", 0, "min("),
    ];
    for (id, code, aggregate) in aggregates {
        run(
            project("python").env("PROMETHEUS_URL", &server.url("")),
            id,
            code,
        );
        let query = server.last_request("/api/v1/query").query;
        assert!(
            query.starts_with(&format!("query={aggregate}")),
            "{id}: {query}"
        );
    }
}

#[test]
fn disk_free_passes_at_35_percent() {
    let (gate, _) = monitor("disk-free", &sample("0.35"), 0);
    assert_passed(&gate);
}

#[test]
fn disk_free_fails_at_12_percent_with_its_record() {
    let (gate, config) = monitor("disk-free", &sample("0.12"), 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            "> 0.2",
            "0.12",
            &at_in(&config, "disk-free", "{ gt = 0.2 }"),
        ),
    );
}

#[test]
fn disk_free_fails_on_an_empty_result() {
    let (gate, config) = monitor("disk-free", "[]", 1);
    assert_failed_with(
        &gate,
        record(
            "json /data/result/0/value/1",
            "> 0.2",
            "not found",
            &at_in(&config, "disk-free", "{ gt = 0.2 }"),
        ),
    );
}

// --- rate-limit --------------------------------------------------------------

/// Answers the first `served` requests with `answer`, the rest with 429:
/// a limiter in front of one route.
fn limiter(
    served: usize,
    answer: impl Fn(&Request) -> Response + Send + Sync + 'static,
) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    let count = AtomicUsize::new(0);
    move |request| match count.fetch_add(1, Ordering::SeqCst) < served {
        true => answer(request),
        false => Response::status(429),
    }
}

/// The smoke account's login, as the stand-in API answers it.
fn login(request: &Request) -> Response {
    match request.method == "POST"
        && body_json(request) == json!({"email": EMAIL, "password": PASSWORD})
    {
        true => Response::json(&format!(r#"{{"access_token": "{TOKEN}"}}"#)),
        false => Response::status(401),
    }
}

/// A `/health` that is never limited, and a login limited after `served`
/// requests.
fn limited_after(served: usize) -> HttpServer {
    HttpServer::new()
        .route("/health", Response::json(r#"{"status": "ok"}"#))
        .handle("/api/auth/login", limiter(served, login))
        .start()
}

/// `test` (the python template) with the smoke account set, against `server`.
fn smoke_account(test: Test, server: &HttpServer) -> Test {
    test.env("API_URL", &server.url(""))
        .env("SMOKE_EMAIL", EMAIL)
        .env("SMOKE_PASSWORD", PASSWORD)
}

/// `gate run rate-limit` against `server`, expecting exit `code`.
#[track_caller]
fn rate_limit(server: &HttpServer, code: i32) -> (Value, String) {
    let run = run(smoke_account(project("python"), server), "rate-limit", code);
    assert_eq!(run.ids(), ["rate-limit"]);
    assert_hidden(&run, PASSWORD);
    let config = run.read("gates.toml");
    (run.gate("rate-limit"), config)
}

#[test]
fn rate_limit_fails_an_endpoint_that_answers_429_from_the_first_request() {
    let server = limited_after(0);
    let (gate, config) = rate_limit(&server, 1);
    assert_failed_with(
        &gate,
        record(
            "first_status",
            "2xx",
            "429",
            &at_in(&config, "rate-limit", r#""2xx""#),
        ),
    );
}

/// Health checks are rarely rate-limited: the gate probes the login, the
/// route a limiter guards against password guessing.
#[test]
fn rate_limit_passes_a_login_that_starts_answering_429_after_100_requests() {
    let server = limited_after(100);
    let (gate, _) = rate_limit(&server, 0);
    assert_passed(&gate);
    assert_eq!(server.hits("/api/auth/login"), 150);
    assert_eq!(server.hits("/health"), 0);
    assert_eq!(
        body_json(&server.last_request("/api/auth/login")),
        json!({"email": EMAIL, "password": PASSWORD})
    );
}

#[test]
fn rate_limit_fails_an_endpoint_that_never_answers_429() {
    let server = limited_after(usize::MAX);
    let (gate, config) = rate_limit(&server, 1);
    assert_failed_with(
        &gate,
        record(
            "status",
            "429",
            "200",
            &at_in(&config, "rate-limit", "429 }"),
        ),
    );
    assert_eq!(server.hits("/api/auth/login"), 150);
}

/// One limit of 100 requests for the whole API, as a limiter keyed by the
/// client's address alone sets it: the probes that share the API with
/// `rate-limit` run before it trips the limit, even one at a time and
/// listed after it.
#[test]
fn rate_limit_runs_after_the_probes_whose_requests_its_limit_would_refuse() {
    let limit = Arc::new(limiter(100, |request| match request.path.as_str() {
        "/health" => Response::json(r#"{"status": "ok"}"#)
            .header("Access-Control-Allow-Origin", "https://app.example.com"),
        _ => login(request),
    }));
    let shared = Arc::clone(&limit);
    let server = HttpServer::new()
        .handle("/health", move |request| shared(request))
        .handle("/api/auth/login", move |request| limit(request))
        .start();
    let run = smoke_account(project("python"), &server)
        .args(&[
            "run",
            "-j",
            "1",
            "rate-limit",
            "cors",
            "health",
            "smoke-login",
            "--format",
            "json",
        ])
        .run()
        .code(0);
    for id in ["cors", "health", "smoke-login", "rate-limit"] {
        assert_passed(&run.gate(id));
    }
}

/// The node template's stand-in login: a wrong password gets 401 from the
/// first `served` requests, 429 after.
fn node_login(served: usize) -> HttpServer {
    HttpServer::new()
        .route("/health", Response::json(r#"{"status": "ok"}"#))
        .handle(
            "/api/auth/login",
            limiter(served, |request| match request.method.as_str() {
                "POST" => Response::status(401),
                _ => Response::status(405),
            }),
        )
        .start()
}

#[test]
fn node_rate_limit_passes_a_login_that_refuses_wrong_passwords_with_429_after_100() {
    let server = node_login(100);
    let run = run(
        project("node").env("API_URL", &server.url("")),
        "rate-limit",
        0,
    );
    assert_passed(&run.gate("rate-limit"));
    assert_eq!(server.hits("/api/auth/login"), 150);
    assert_eq!(server.hits("/health"), 0);
}

#[test]
fn node_rate_limit_fails_a_login_that_is_not_limited() {
    let server = node_login(usize::MAX);
    let run = run(
        project("node").env("API_URL", &server.url("")),
        "rate-limit",
        1,
    );
    let gate = run.gate("rate-limit");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["failures"][0]["actual"], "401", "{gate:#}");
}

// --- response-time (load) ----------------------------------------------------

/// `/health`, and `/api/artworks` answering 503 to every `nth` request
/// (never for 0), 200 to the others.
fn artworks(nth: usize) -> HttpServer {
    let count = AtomicUsize::new(0);
    HttpServer::new()
        .route("/health", Response::json(r#"{"status": "ok"}"#))
        .handle("/api/artworks", move |_| {
            let number = count.fetch_add(1, Ordering::SeqCst) + 1;
            match nth != 0 && number % nth == 0 {
                true => Response::status(503),
                false => Response::json("[]"),
            }
        })
        .start()
}

/// `gate run response-time` (after `health`) against `server`.
#[track_caller]
fn response_time(server: &HttpServer, code: i32) -> Value {
    let run = run(
        project("python").env("API_URL", &server.url("")),
        "response-time",
        code,
    );
    assert_eq!(run.ids(), ["health", "response-time"]);
    assert_eq!(server.hits("/api/artworks"), 200);
    run.gate("response-time")
}

#[test]
fn response_time_passes_a_fast_server_answering_200() {
    let server = artworks(0);
    let gate = response_time(&server, 0);
    assert_passed(&gate);
    assert_eq!(gate["stats"]["requests"], 200, "{gate:#}");
    assert_eq!(gate["stats"]["errors"], 0, "{gate:#}");
}

#[test]
fn response_time_fails_on_error_rate_when_1_request_in_10_gets_503() {
    let server = artworks(10);
    let gate = response_time(&server, 1);
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["stats"]["errors"], 20, "{gate:#}");
    let failures = gate["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{gate:#}");
    assert_eq!(failures[0]["expect"], "error rate", "{gate:#}");
    assert_eq!(failures[0]["expected"], "<= 0.1%", "{gate:#}");
    assert_eq!(failures[0]["actual"], "10.0% (20 of 200)", "{gate:#}");
}

// --- pip-audit and npm-audit -------------------------------------------------

/// `test` with an executable `bin/TOOL` running `script` (sh), and `bin`
/// first on gate's PATH.
fn with_tool(test: Test, tool: &str, script: &str) -> Test {
    let test = test.file(&format!("bin/{tool}"), &format!("#!/bin/sh\n{script}"));
    let bin = test.path().join("bin");
    std::fs::set_permissions(bin.join(tool), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    test.env("PATH", &path)
}

/// A fake `pip-audit` that exits 64 unless called as the template calls
/// it, else prints `stderr` on stderr and `json` on stdout and exits
/// `exit`; gate is expected to exit `code`.
#[track_caller]
fn pip_audit(stderr: &str, json: &str, exit: i32, code: i32) -> Run {
    let script = format!(
        "[ \"$*\" = '-r requirements.txt -f json' ] || exit 64\n\
         printf '%s\\n' '{stderr}' >&2\n\
         printf '%s\\n' '{json}'\n\
         exit {exit}\n"
    );
    let test = with_tool(project("python"), "pip-audit", &script);
    run(
        test.file("requirements.txt", "flask==3.0.3\n"),
        "pip-audit",
        code,
    )
}

const AUDITED: &str = r#"{"dependencies": [{"name": "flask", "version": "3.0.3", "vulns": []}, {"name": "werkzeug", "version": "3.0.6", "vulns": []}], "fixes": []}"#;

#[test]
fn pip_audit_passes_dependencies_audited_without_vulnerabilities() {
    let run = pip_audit("No known vulnerabilities found", AUDITED, 0, 0);
    assert_passed(&run.gate("pip-audit"));
}

#[test]
fn pip_audit_fails_a_report_that_audited_no_dependency() {
    let run = pip_audit(
        "No known vulnerabilities found",
        r#"{"dependencies": [], "fixes": []}"#,
        0,
        1,
    );
    let config = run.read("gates.toml");
    assert_failed_with(
        &run.gate("pip-audit"),
        record(
            "json /dependencies",
            "of length >= 1",
            "length 0",
            &at_in(&config, "pip-audit", "{ len = { gte = 1 } }"),
        ),
    );
}

#[test]
fn pip_audit_fails_when_a_dependency_could_not_be_audited() {
    let run = pip_audit(
        "WARNING:pip_audit._cli:Dependency not found on PyPI and could not be audited: internal-lib (1.0)",
        AUDITED,
        0,
        1,
    );
    let config = run.read("gates.toml");
    let gate = run.gate("pip-audit");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let failures = gate["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{gate:#}");
    assert_eq!(failures[0]["expect"], "output");
    assert_eq!(failures[0]["expected"], r#"without "could not be audited""#);
    assert_eq!(
        failures[0]["at"],
        at_in(&config, "pip-audit", r#""could not be audited""#)
    );
    let actual = failures[0]["actual"].as_str().unwrap();
    assert!(actual.contains("internal-lib (1.0)"), "{gate:#}");
}

#[test]
fn pip_audit_fails_a_vulnerable_dependency_by_its_exit_status() {
    let vulnerable = r#"{"dependencies": [{"name": "flask", "version": "2.2.4", "vulns": [{"id": "PYSEC-2023-62", "fix_versions": ["2.2.5"]}]}], "fixes": []}"#;
    let run = pip_audit("Found 1 known vulnerability in 1 package", vulnerable, 1, 1);
    let gate = run.gate("pip-audit");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["exit_code"], 1, "{gate:#}");
}

/// npm audit's JSON report (v2) with these counts of findings.
fn npm_report(moderate: u32, high: u32, critical: u32) -> String {
    let total = moderate + high + critical;
    format!(
        r#"{{"auditReportVersion": 2, "vulnerabilities": {{}}, "metadata": {{"vulnerabilities": {{"info": 0, "low": 0, "moderate": {moderate}, "high": {high}, "critical": {critical}, "total": {total}}}, "dependencies": {{"prod": 12, "dev": 3, "optional": 0, "peer": 0, "peerOptional": 0, "total": 15}}}}}}"#
    )
}

/// `gate run npm-audit` of the node template with a fake `npm` that exits
/// 64 unless called as `npm audit --json`, else prints `json` and exits
/// `exit`; gate is expected to exit `code`.
#[track_caller]
fn npm_audit(json: &str, exit: i32, code: i32) -> Value {
    let script = format!(
        "[ \"$*\" = 'audit --json' ] || exit 64\n\
         printf '%s\\n' '{json}'\n\
         exit {exit}\n"
    );
    let run = run(
        with_tool(project("node"), "npm", &script),
        "npm-audit",
        code,
    );
    run.gate("npm-audit")
}

#[test]
fn npm_audit_fails_a_high_vulnerability() {
    let gate = npm_audit(&npm_report(0, 1, 0), 1, 1);
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["exit_code"], 1, "{gate:#}");
    let failures = gate["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{gate:#}");
    assert_eq!(failures[0]["expect"], "json /metadata/vulnerabilities/high");
    assert_eq!(failures[0]["actual"], "1", "{gate:#}");
}

#[test]
fn npm_audit_passes_no_high_or_critical_vulnerability() {
    let gate = npm_audit(&npm_report(0, 0, 0), 0, 0);
    assert_passed(&gate);
}

#[test]
fn npm_audit_passes_moderate_findings_though_npm_exits_1() {
    let gate = npm_audit(&npm_report(2, 0, 0), 1, 0);
    assert_passed(&gate);
}

#[test]
fn npm_audit_is_an_error_when_npm_exits_2() {
    let gate = npm_audit("npm ERR! could not audit", 2, 1);
    assert_ended(
        &gate,
        "error",
        "exit status 2, which `error_codes` says means the check could not run",
    );
}

#[test]
fn npm_audit_fails_an_audit_endpoint_error_that_exits_1() {
    // What npm audit --json prints, and exits 1 with, when the registry's
    // audit endpoint answers an error: no counts, so no pass.
    let error = r#"{"message": "503 Service Unavailable - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", "method": "POST", "uri": "https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", "statusCode": 503, "body": ""}"#;
    let gate = npm_audit(error, 1, 1);
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let checked: Vec<&str> = gate["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["actual"].as_str().unwrap())
        .collect();
    assert_eq!(checked, ["not found", "not found"], "{gate:#}");
}

// --- security-headers --------------------------------------------------------

/// The `headers` expectation of `security-headers` in `template`, as written.
fn security_headers_expectation(template: &str) -> String {
    let config = project(template).args(&["check"]).run().code(0);
    let text = config.read("gates.toml");
    let section = &text[text
        .find("[gates.security-headers.http.expect]")
        .expect("security-headers expectations")..];
    section
        .lines()
        .find(|line| line.starts_with("headers = "))
        .expect("a headers line")
        .to_owned()
}

/// The expectation of `security-headers` in `template`, checked against a
/// local server (plain HTTP: the template's https:// URL needs a public
/// host) answering with the headers `headers`.
#[track_caller]
fn security_headers(template: &str, headers: &[(&str, &str)], code: i32) -> Value {
    let mut response = Response::json(r#"{"status": "ok"}"#);
    for (name, value) in headers {
        response = response.header(name, value);
    }
    let server = HttpServer::new().route("/health", response).start();
    let config = format!(
        "version = 1\n[gates.security-headers.http]\nurl = \"{}\"\n\
         [gates.security-headers.http.expect]\nstatus = \"2xx\"\n{}\n",
        server.url("/health"),
        security_headers_expectation(template)
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .run()
        .code(code);
    run.gate("security-headers")
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Every header the gate asks for, with values that meet it, but
/// `name: value` instead of the one of that name.
fn secure_headers_but<'a>(name: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    [
        ("Content-Security-Policy", CSP),
        ("X-Frame-Options", "DENY"),
        ("Strict-Transport-Security", HSTS),
        ("X-Content-Type-Options", "nosniff"),
    ]
    .into_iter()
    .map(|(n, v)| match n.eq_ignore_ascii_case(name) {
        true => (n, value),
        false => (n, v),
    })
    .collect()
}

#[test]
fn security_headers_pass_a_csp_without_wildcards_and_hsts_of_a_year_or_a_day() {
    for template in ["python", "node"] {
        for hsts in [
            HSTS,
            "max-age=86400",
            "max-age=63072000; includeSubDomains; preload",
        ] {
            let gate = security_headers(
                template,
                &secure_headers_but("strict-transport-security", hsts),
                0,
            );
            assert_passed(&gate);
        }
        for csp in [
            "default-src 'none'",
            "script-src 'self'; default-src 'self' https://cdn.shop.test",
            "default-src 'self' https://cdn.shop.test:443/assets/ api.shop.test",
        ] {
            let gate = security_headers(
                template,
                &secure_headers_but("content-security-policy", csp),
                0,
            );
            assert_passed(&gate);
        }
    }
}

/// Asserts that security-headers of the python and node templates fail
/// with exactly one failure, on `header`, for each of `values`, the other
/// headers secure.
#[track_caller]
fn assert_header_refused(header: &str, values: &[&str]) {
    for template in ["python", "node"] {
        for value in values {
            let gate = security_headers(template, &secure_headers_but(header, value), 1);
            let failures = gate["failures"].as_array().unwrap();
            assert_eq!(failures.len(), 1, "{template} {value}: {gate:#}");
            assert_eq!(failures[0]["expect"], format!("header {header}"));
        }
    }
}

/// max-age=0 tells the browser to forget HSTS; an hour lapses between visits.
#[test]
fn security_headers_fail_hsts_switched_off_by_max_age_0_or_shorter_than_a_day() {
    assert_header_refused(
        "strict-transport-security",
        &[
            "max-age=0",
            "max-age=3600; includeSubDomains",
            "max-age=86399",
        ],
    );
}

#[test]
fn security_headers_fail_a_csp_whose_default_src_allows_any_source_or_scheme_or_is_missing() {
    assert_header_refused(
        "content-security-policy",
        &[
            "default-src *",
            "default-src 'self' *; img-src 'self'",
            "default-src *.shop.test",
            "default-src https:",
            "default-src 'self' data:",
            "script-src 'self'",
        ],
    );
}

// --- Gates that come in pairs ------------------------------------------------

/// The ids of `template`'s gates that start with `prefix`: a check and the
/// gates that complete it (`cors`, `cors-foreign-origin`).
fn gates_named(template: &str, prefix: &str) -> Vec<String> {
    let listed = project(template)
        .args(&["list", "--format", "json"])
        .run()
        .code(0)
        .stdout_json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .filter(|id| id.starts_with(prefix))
        .collect()
}

/// `gate run` of `ids` in `test`, expecting exit `code`.
#[track_caller]
fn run_all(test: Test, ids: &[String], code: i32) -> Run {
    let mut args: Vec<&str> = vec!["run", "--format", "json"];
    args.extend(ids.iter().map(String::as_str));
    test.args(&args).run().code(code)
}

// --- cors --------------------------------------------------------------------

const APP_ORIGIN: &str = "https://app.shop.test";

/// `/health` answering `access-control-allow-origin` with what `allow`
/// returns for the request's Origin (nothing for None).
fn cors_server(allow: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> HttpServer {
    HttpServer::new()
        .handle("/health", move |request| {
            let response = Response::json(r#"{"status": "ok"}"#);
            match request.header("origin").and_then(&allow) {
                Some(origin) => response.header("Access-Control-Allow-Origin", &origin),
                None => response,
            }
        })
        .start()
}

#[track_caller]
fn cors(template: &str, server: &HttpServer, code: i32) -> Run {
    let ids = gates_named(template, "cors");
    let test = project(template)
        .env("API_URL", &server.url(""))
        .env("APP_ORIGIN", APP_ORIGIN);
    run_all(test, &ids, code)
}

#[test]
fn cors_passes_a_server_that_allows_the_app_origin_alone() {
    for template in ["python", "node"] {
        let server = cors_server(|origin| (origin == APP_ORIGIN).then(|| origin.to_owned()));
        let run = cors(template, &server, 0);
        assert_eq!(run.ids(), ["cors", "cors-foreign-origin"], "{template}");
        for id in run.ids() {
            assert_passed(&run.gate(&id));
        }
    }
}

/// What `cors({ origin: true })` or a reflecting proxy does: every origin
/// is allowed, so every site may read the API with its users' cookies.
#[test]
fn cors_fails_a_server_that_echoes_any_origin() {
    for template in ["python", "node"] {
        let server = cors_server(|origin| Some(origin.to_owned()));
        let run = cors(template, &server, 1);
        assert_passed(&run.gate("cors"));
        let gate = run.gate("cors-foreign-origin");
        assert_eq!(gate["status"], "failed", "{template}: {gate:#}");
        let output = gate["output"].as_str().unwrap();
        assert!(
            output.contains("Access-Control-Allow-Origin for https://not-allowed.gate.invalid: [https://not-allowed.gate.invalid]"),
            "{gate:#}"
        );
    }
}

/// What `cors({ origin: APP_ORIGIN })` does: the one allowed origin, sent
/// whatever the request's Origin; browsers refuse every other site.
#[test]
fn cors_passes_a_server_that_names_the_app_origin_to_every_request() {
    for template in ["python", "node"] {
        let server = cors_server(|_| Some(APP_ORIGIN.to_owned()));
        let run = cors(template, &server, 0);
        for id in ["cors", "cors-foreign-origin"] {
            assert_passed(&run.gate(id));
        }
    }
}

#[test]
fn cors_foreign_origin_is_an_error_when_the_api_does_not_answer() {
    for template in ["python", "node"] {
        let test = project(template)
            .env("API_URL", &format!("http://127.0.0.1:{}", closed_port()))
            .env("APP_ORIGIN", APP_ORIGIN);
        let run = run(test, "cors-foreign-origin", 1);
        assert_eq!(
            run.gate("cors-foreign-origin")["status"],
            "error",
            "{template}"
        );
    }
}

#[test]
fn cors_fails_a_server_that_allows_every_origin_with_a_star() {
    for template in ["python", "node"] {
        let server = cors_server(|_| Some("*".to_owned()));
        let run = cors(template, &server, 1);
        for id in ["cors", "cors-foreign-origin"] {
            assert_eq!(run.gate(id)["status"], "failed", "{template} {id}");
        }
    }
}

// --- health and admin-health -------------------------------------------------

/// A front end's server: its index page, 200, for every path.
fn spa() -> HttpServer {
    HttpServer::start(|_| {
        Response::ok("<!doctype html><div id=\"root\"></div>").header("Content-Type", "text/html")
    })
}

/// `gate run health` of `template` with its URL variable at `server`.
#[track_caller]
fn health(template: &str, server: &HttpServer, code: i32) -> Value {
    let variable = match template {
        "generic" => "APP_URL",
        _ => "API_URL",
    };
    let test = project(template).env(variable, &server.url(""));
    run(test, "health", code).gate("health")
}

#[test]
fn health_passes_the_api_answering_its_status() {
    for template in ["generic", "python", "node"] {
        for body in [
            r#"{"status": "ok"}"#,
            r#"{"status": "healthy", "db": "up"}"#,
        ] {
            let server = HttpServer::new()
                .route("/health", Response::json(body))
                .start();
            assert_passed(&health(template, &server, 0));
        }
    }
}

/// The deployed URL answered by the front end (a proxy route missing, the
/// API down): its index page is a 200, but not a health check. (The gate
/// is retried, 3 times, 5s apart, as written.)
#[track_caller]
fn health_fails_an_index_page(template: &str) {
    let server = spa();
    let gate = health(template, &server, 1);
    assert_eq!(gate["status"], "failed", "{template}: {gate:#}");
    assert_eq!(gate["failures"][0]["expect"], "body", "{gate:#}");
    assert_eq!(gate["failures"][0]["expected"], "JSON", "{gate:#}");
}

#[test]
fn health_fails_an_index_page_served_for_every_path() {
    health_fails_an_index_page("python");
}

#[test]
fn node_health_fails_an_index_page_served_for_every_path() {
    health_fails_an_index_page("node");
}

#[test]
fn generic_health_fails_an_index_page_served_for_every_path() {
    health_fails_an_index_page("generic");
}

const ADMIN_TOKEN: &str = "adm-3f9c2e71b4";

/// `/health`, and the admin health endpoint: 200 with the admin token, and
/// with none when `checks_token` is false; 401 otherwise.
fn admin_api(checks_token: bool) -> HttpServer {
    HttpServer::new()
        .route("/health", Response::json(r#"{"status": "ok"}"#))
        .handle("/api/admin/system/health", move |request| {
            let bearer = format!("Bearer {ADMIN_TOKEN}");
            match !checks_token || request.header("authorization") == Some(bearer.as_str()) {
                true => Response::json(r#"{"status": "ok"}"#),
                false => Response::status(401),
            }
        })
        .start()
}

#[track_caller]
fn admin_health(server: &HttpServer, code: i32) -> Run {
    let ids = gates_named("python", "admin-health");
    let test = project("python")
        .env("API_URL", &server.url(""))
        .env("ADMIN_TOKEN", ADMIN_TOKEN);
    run_all(test, &ids, code)
}

#[test]
fn admin_health_passes_an_endpoint_that_refuses_a_request_without_the_token() {
    let server = admin_api(true);
    let run = admin_health(&server, 0);
    assert_eq!(
        run.ids(),
        ["health", "admin-health", "admin-health-requires-token"]
    );
    for id in run.ids() {
        assert_passed(&run.gate(&id));
    }
    assert_hidden(&run, ADMIN_TOKEN);
}

#[test]
fn admin_health_fails_an_endpoint_that_ignores_the_token() {
    let server = admin_api(false);
    let run = admin_health(&server, 1);
    assert_passed(&run.gate("admin-health"));
    let gate = run.gate("admin-health-requires-token");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert_eq!(gate["failures"][0]["actual"], "200", "{gate:#}");
    let unauthenticated = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/admin/system/health")
        .filter(|r| r.header("authorization").is_none())
        .count();
    assert_eq!(unauthenticated, 1);
}

// --- no-debug-code -----------------------------------------------------------

#[test]
fn no_debug_code_passes_a_tree_without_breakpoints() {
    let test = project("python").file("app/main.py", "def main():\n    return 1\n");
    assert_passed(&run(test, "no-debug-code", 0).gate("no-debug-code"));
}

#[test]
fn no_debug_code_fails_a_breakpoint_and_names_its_line() {
    let test = project("python")
        .file("app/main.py", "def main():\n    breakpoint()\n")
        .file(".venv/lib/pdb_user.py", "import pdb; pdb.set_trace()\n");
    let gate = run(test, "no-debug-code", 1).gate("no-debug-code");
    assert_eq!(gate["status"], "failed", "{gate:#}");
    let output = gate["output"].as_str().unwrap();
    assert!(output.contains("app/main.py:2:"), "{gate:#}");
    assert!(!output.contains(".venv"), "{gate:#}");
}

/// grep exits 2 when it could not search (an unreadable file, a bad
/// option): that is no proof of a clean tree.
#[test]
fn no_debug_code_is_an_error_when_grep_cannot_search() {
    let test = with_tool(
        project("python"),
        "grep",
        "echo 'grep: ./app/main.py: Permission denied' >&2\nexit 2\n",
    );
    let gate = run(test, "no-debug-code", 1).gate("no-debug-code");
    assert_eq!(gate["status"], "error", "{gate:#}");
    assert!(reason(&gate).contains("exit status 2"), "{gate:#}");
}

// --- flake8 and bandit -------------------------------------------------------

/// A fake flake8: reports every .py file under its path that contains
/// "lint-error", but in the directories it excludes (.git by default, and
/// those of --extend-exclude, matched by name as flake8 does).
const FLAKE8: &str = r#"excludes=.git
target=
while [ $# -gt 0 ]; do
  case "$1" in
    --extend-exclude) excludes="$excludes,$2"; shift 2 ;;
    --extend-exclude=*) excludes="$excludes,${1#*=}"; shift ;;
    -*) exit 64 ;;
    *) target="$1"; shift ;;
  esac
done
status=0
for file in $(find "$target" -name '*.py'); do
  skip=
  for dir in $(echo "$excludes" | tr , ' '); do
    case "$file/" in */"$dir"/*) skip=1 ;; esac
  done
  [ -n "$skip" ] && continue
  if grep -q lint-error "$file"; then echo "$file:1:1: E999 lint-error"; status=1; fi
done
exit $status
"#;

/// A fake bandit: reports every .py file under its path that contains
/// "insecure-call", but those whose path contains one of the -x paths (as
/// bandit matches them).
const BANDIT: &str = r#"excludes=
target=
while [ $# -gt 0 ]; do
  case "$1" in
    -r|-ll) shift ;;
    -x) excludes="$2"; shift 2 ;;
    -*) exit 64 ;;
    *) target="$1"; shift ;;
  esac
done
status=0
for file in $(find "$target" -name '*.py'); do
  skip=
  for path in $(echo "$excludes" | tr , ' '); do
    case "$file" in *"$path"*) skip=1 ;; esac
  done
  [ -n "$skip" ] && continue
  if grep -q insecure-call "$file"; then echo ">> Issue: [B602] in $file"; status=1; fi
done
exit $status
"#;

/// The python template with a clean app/main.py, `app` added to it, and
/// the installed packages of a virtualenv and node_modules in the tree,
/// full of what the tools report.
fn project_with_virtualenvs(app: &str) -> Test {
    let mut test = project("python").file("app/main.py", &format!("x = 1\n{app}"));
    for dir in [".venv", "venv", "node_modules"] {
        test = test.file(
            &format!("{dir}/lib/site-packages/dep.py"),
            "lint-error\ninsecure-call\n",
        );
    }
    test
}

#[test]
fn flake8_and_bandit_leave_out_virtualenvs_and_node_modules() {
    for (tool, script) in [("flake8", FLAKE8), ("bandit", BANDIT)] {
        let test = with_tool(project_with_virtualenvs(""), tool, script);
        let run = run(test, tool, 0);
        assert_passed(&run.gate(tool));
    }
}

#[test]
fn flake8_and_bandit_still_report_the_project_s_own_code() {
    for (tool, script, finding) in [
        ("flake8", FLAKE8, "lint-error"),
        ("bandit", BANDIT, "insecure-call"),
    ] {
        let test = with_tool(project_with_virtualenvs(finding), tool, script);
        let gate = run(test, tool, 1).gate(tool);
        assert_eq!(gate["status"], "failed", "{gate:#}");
        let output = gate["output"].as_str().unwrap();
        assert!(output.contains("./app/main.py"), "{gate:#}");
        assert!(!output.contains("site-packages"), "{gate:#}");
    }
}

// --- PUBLIC_HOST -------------------------------------------------------------

/// Unset, PUBLIC_HOST is a config error naming it, not a placeholder host
/// whose certificate and headers would be checked instead.
#[test]
fn an_unset_public_host_is_a_config_error_naming_it() {
    for (template, id) in [
        ("generic", "tls-cert"),
        ("python", "security-headers"),
        ("python", "tls-cert"),
        ("node", "https-redirect"),
        ("node", "mongo-not-public"),
    ] {
        project(template)
            .args(&["run", id])
            .run()
            .code(2)
            .stderr_has("PUBLIC_HOST");
    }
}

// --- The CI workflows --------------------------------------------------------

/// The text of `ci/NAME` in gate's repository.
fn ci_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ci")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The templates' secrets scan reads the git history: every job of the
/// workflows that runs gates checks out all of it, not a shallow clone.
#[test]
fn the_ci_workflows_check_out_the_whole_history_where_gates_run() {
    let github = ci_file("github-actions.yml");
    let jobs = &github[github.find("\njobs:\n").expect("jobs")..];
    // A job: its name at an indent of two spaces, then its deeper lines.
    let mut blocks: Vec<String> = Vec::new();
    for line in jobs.lines().skip(2) {
        let job_name = line.starts_with("  ") && !line[2..].starts_with([' ', '#']);
        match blocks.last_mut() {
            Some(block) if !job_name => block.push_str(&format!("{line}\n")),
            _ => blocks.push(format!("{line}\n")),
        }
    }
    let mut running = 0;
    for job in blocks.iter().filter(|job| job.contains("gate run")) {
        running += 1;
        assert!(job.contains("fetch-depth: 0"), "{job}");
    }
    assert_eq!(running, 3, "{github}");
    let gitlab = ci_file("gitlab-ci.yml");
    let shared = &gitlab[gitlab.find("\n.gate:\n").expect(".gate")..];
    let shared = &shared[..shared[1..].find("\n\n").unwrap_or(shared.len())];
    assert!(shared.contains("GIT_DEPTH: 0"), "{shared}");
    let jobs: Vec<&str> = gitlab
        .split("\n\n")
        .filter(|job| job.contains("gate run"))
        .collect();
    assert!(!jobs.is_empty());
    for job in jobs {
        assert!(job.contains("extends: .gate"), "{job}");
    }
}
