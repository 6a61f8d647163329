//! WebSocket gates against a real WebSocket server on 127.0.0.1, plain and
//! TLS: the handshake alone, socket.io's open packet, an answer to a
//! message sent, a bearer token that never shows, and every way it fails:
//! refused, not a WebSocket endpoint, no token, no message, closed, wrong
//! message, a certificate that does not verify; config errors, `gate list`
//! and `--dry-run`.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::Test;
use crate::harness::{Run, assert_ended, assert_hidden, check_fails, json_gate, reason};
use crate::servers::http::HttpServer;
use crate::servers::tls::{Ca, Cert, SilentServer, closed_port};
use crate::servers::ws::WsServer;
use crate::tls::ca_as_server_certificate;

/// Engine.IO's open packet, the first message socket.io sends.
const OPEN_PACKET: &str = r#"0{"sid":"lv6nq1gWFRbNZ0mBAAAB","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// A config with one gate `realtime` whose `ws` table is `{ fields }`.
fn ws_gate(fields: &str) -> String {
    format!("[gates.realtime]\nws = {{ {fields} }}\n")
}

/// Runs `test` with `--format json`, expecting exit `code`; returns the
/// run and gate `realtime`.
#[track_caller]
fn run_json(test: Test, code: i32) -> (Run, Value) {
    json_gate(test, "realtime", code)
}

/// Runs `fields` as gate `realtime`, expecting exit `code`.
#[track_caller]
fn run_gate(fields: &str, code: i32) -> Value {
    run_json(Test::new().config(&ws_gate(fields)), code).1
}

/// The output's lines, the time of the first one left out.
fn output_lines(gate: &Value) -> Vec<String> {
    let output = gate["output"].as_str().unwrap_or_default();
    let mut lines: Vec<String> = output.lines().map(str::to_owned).collect();
    if let Some(first) = lines.first_mut() {
        if let Some((head, _)) = first.rsplit_once(" in ") {
            *first = head.to_owned();
        }
    }
    lines
}

/// A server that answers `{"type":"ping"}` with `{"type":"pong"}`, and
/// anything else with an error.
fn ping_pong() -> WsServer {
    WsServer::new().reply(|text| {
        Some(match text {
            r#"{"type":"ping"}"# => Message::text(r#"{"type":"pong"}"#),
            _ => Message::text(r#"{"type":"error","message":"unknown message"}"#),
        })
    })
}

// --- the handshake ----------------------------------------------------------------

#[test]
fn a_completed_handshake_passes() {
    let server = WsServer::new().start();
    let url = server.url("/ws");
    let gate = run_gate(&format!("url = \"{url}\""), 0);
    assert_eq!(gate["kind"], "ws");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["reason"], Value::Null);
    assert_eq!(
        output_lines(&gate),
        [format!("GET {url} -> 101 Switching Protocols")]
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn an_endpoint_that_is_not_a_websocket_fails_naming_the_status() {
    let server = HttpServer::new().start();
    let url = server.url("/socket.io/").replace("http://", "ws://");
    let gate = run_gate(&format!("url = \"{url}\""), 1);
    assert_ended(
        &gate,
        "failed",
        &format!("WebSocket handshake with {url} failed: expected status 101, got 404"),
    );
    assert_eq!(
        output_lines(&gate),
        [
            format!("GET {url} -> 404 Not Found"),
            "no route for /socket.io/".to_owned()
        ]
    );
}

#[test]
fn a_refused_connection_is_an_error() {
    let port = closed_port();
    let gate = run_gate(&format!("url = \"ws://127.0.0.1:{port}/ws\""), 1);
    assert_ended(
        &gate,
        "error",
        &format!("connection refused by 127.0.0.1:{port}"),
    );
}

#[test]
fn a_handshake_that_gets_no_answer_times_out() {
    let silent = SilentServer::start();
    let url = format!("ws://127.0.0.1:{}/ws", silent.port());
    let gate = run_gate(&format!("url = \"{url}\", timeout = \"300ms\""), 1);
    assert_ended(
        &gate,
        "timed_out",
        &format!("WebSocket handshake with {url} timed out after 300ms"),
    );
}

// --- socket.io: the first message --------------------------------------------------

#[test]
fn socket_io_sends_its_open_packet_first() {
    let server = WsServer::new().on_open(Message::text(OPEN_PACKET)).start();
    let url = server.url("/socket.io/?EIO=4&transport=websocket");
    let gate = run_gate(
        &format!("url = \"{url}\", expect = {{ matches = '^0\\{{\"sid\"' }}"),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(
        output_lines(&gate),
        [
            format!("GET {url} -> 101 Switching Protocols"),
            format!("received {} bytes", OPEN_PACKET.len()),
            OPEN_PACKET.to_owned(),
        ]
    );
}

#[test]
fn a_first_message_that_is_not_the_open_packet_fails() {
    let server = WsServer::new()
        .on_open(Message::text(r#"44{"message":"Authentication error"}"#))
        .start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", expect = {{ matches = '^0\\{{\"sid\"' }}",
            server.url("/socket.io/?EIO=4&transport=websocket")
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        r#"expected message matching /^0\{"sid"/, got "44{\"message\":\"Authentication error\"}""#,
    );
}

#[test]
fn no_message_within_the_timeout_times_out() {
    let server = WsServer::new().start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", timeout = \"300ms\", expect = {{ contains = \"sid\" }}",
            server.url("/ws")
        ),
        1,
    );
    assert_ended(&gate, "timed_out", "no message within 300ms");
}

#[test]
fn a_server_that_closes_before_a_message_fails() {
    let close = CloseFrame {
        code: CloseCode::Policy,
        reason: "not allowed".into(),
    };
    let server = WsServer::new().on_open(Message::Close(Some(close))).start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", expect = {{ contains = \"sid\" }}",
            server.url("/ws")
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "the server closed the connection before sending a message (code 1008: not allowed)",
    );
}

#[test]
fn pings_before_the_first_message_are_passed_over() {
    let server = WsServer::new()
        .on_open(Message::Ping(b"beat".to_vec().into()))
        .on_open(Message::text(OPEN_PACKET))
        .start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", expect = {{ contains = \"sid\" }}",
            server.url("/ws")
        ),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

#[test]
fn a_message_too_large_fails() {
    let server = WsServer::new()
        .on_open(Message::text("x".repeat(2 * 1024 * 1024)))
        .start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", expect = {{ contains = \"x\" }}",
            server.url("/ws")
        ),
        1,
    );
    assert_eq!(gate["status"], "failed", "{gate:#}");
    assert!(
        reason(&gate).starts_with("the first message is too large: "),
        "{gate:#}"
    );
}

// --- a message sent, its answer checked -------------------------------------------

#[test]
fn the_answer_to_a_ping_is_checked_as_json() {
    let server = ping_pong().start();
    let url = server.url("/ws");
    let gate = run_gate(
        &format!(
            "url = \"{url}\", send = '{{\"type\":\"ping\"}}', expect = {{ json = {{ \"/type\" = \"pong\" }} }}"
        ),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(
        output_lines(&gate),
        [
            format!("GET {url} -> 101 Switching Protocols"),
            "sent 15 bytes".to_owned(),
            "received 15 bytes".to_owned(),
            r#"{"type":"pong"}"#.to_owned(),
        ]
    );
}

#[test]
fn a_wrong_answer_fails_with_what_came() {
    let server = ping_pong().start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", send = '{{\"type\":\"hello\"}}', expect = {{ json = {{ \"/type\" = \"pong\" }} }}",
            server.url("/ws")
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        r#"expected json /type = "pong", got "error""#,
    );
}

#[test]
fn an_answer_that_is_not_json_fails() {
    let server = WsServer::new()
        .reply(|_| Some(Message::text("pong")))
        .start();
    let gate = run_gate(
        &format!(
            "url = \"{}\", send = \"ping\", expect = {{ json = {{ \"/type\" = \"pong\" }} }}",
            server.url("/ws")
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        r#"expected message JSON, got "pong" (not JSON: expected value at line 1 column 1)"#,
    );
}

#[test]
fn a_message_sent_with_no_expect_passes_once_sent() {
    let server = ping_pong().start();
    let gate = run_gate(
        &format!("url = \"{}\", send = \"hello\"", server.url("/ws")),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

// --- headers and secrets -------------------------------------------------------------

const TOKEN: &str = "ws-t0ken-4f2a9c";

#[test]
fn a_bearer_token_from_the_environment_is_sent_and_never_shown() {
    let server = ping_pong().token(TOKEN).start();
    let test = Test::new()
        .config(&ws_gate(&format!(
            "url = \"{}\", headers = {{ Authorization = \"Bearer ${{CHAT_TOKEN}}\" }}, send = '{{\"type\":\"ping\"}}', expect = {{ json = {{ \"/type\" = \"pong\" }} }}",
            server.url("/ws")
        )))
        .env("CHAT_TOKEN", TOKEN)
        .args(&["--color", "never", "run", "-v", "--json", "report.json", "--junit", "junit.xml", "--markdown", "checklist.md"]);
    let run = test.run().code(0);
    assert_eq!(server.authorizations(), [Some(format!("Bearer {TOKEN}"))]);
    assert_hidden(&run, TOKEN);
}

#[test]
fn without_its_token_the_handshake_fails_and_the_token_stays_hidden() {
    let server = ping_pong().token(TOKEN).start();
    let url = server.url("/ws");
    let test = Test::new()
        .config(&ws_gate(&format!(
            "url = \"{url}\", headers = {{ Authorization = \"Bearer ${{CHAT_TOKEN}}\" }}"
        )))
        .env("CHAT_TOKEN", "wrong-t0ken-value");
    let (run, gate) = run_json(test, 1);
    assert_ended(
        &gate,
        "failed",
        &format!("WebSocket handshake with {url} failed: expected status 101, got 401"),
    );
    assert_eq!(
        output_lines(&gate),
        [
            format!("GET {url} -> 401 Unauthorized"),
            "unauthorized".to_owned()
        ]
    );
    assert_hidden(&run, "wrong-t0ken-value");
}

#[test]
fn what_is_sent_is_never_shown() {
    // A key written into the message itself is no variable the masking knows.
    let server = ping_pong().start();
    let run = Test::new()
        .config(&ws_gate(&format!(
            "url = \"{}\", send = '{{\"auth\":\"literal-k3y-9f2\"}}', expect = {{ json = {{ \"/type\" = \"pong\" }} }}",
            server.url("/ws")
        )))
        .args(&["run", "--json", "report.json"])
        .run()
        .code(1);
    assert_hidden(&run, "literal-k3y-9f2");
}

#[test]
fn headers_of_the_handshake_itself_are_refused() {
    check_fails(
        &ws_gate("url = \"ws://127.0.0.1/ws\", headers = { Upgrade = \"h2c\" }"),
        r#"error: header `Upgrade` is part of the WebSocket handshake, which gate makes: leave it out
 --> gates.toml:2:57
  |
2 | ws = { url = "ws://127.0.0.1/ws", headers = { Upgrade = "h2c" } }
  |                                                         ^^^^^"#,
    );
}

#[test]
fn credentials_in_the_url_are_refused_without_being_repeated() {
    Test::new()
        .config(&ws_gate("url = \"${WS_URL}/ws\""))
        .env("WS_URL", "ws://user:hunter2-pw@127.0.0.1:8000")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: invalid URL: a ws:// or wss:// URL sends no user or password; give an `Authorization` header instead\n")
        .stderr_lacks("hunter2-pw");
}

#[test]
fn every_attempt_makes_a_new_handshake_key() {
    let server = ping_pong().token(TOKEN).start();
    let config = format!(
        "[gates.realtime]\nretries = 2\nws = {{ url = \"{}\" }}\n",
        server.url("/ws")
    );
    let (_, gate) = run_json(Test::new().config(&config), 1);
    assert_eq!(gate["attempts"], 3);
    let mut keys = server.keys();
    assert_eq!(keys.len(), 3);
    keys.dedup();
    assert_eq!(keys.len(), 3, "a key was sent twice: {keys:?}");
}

// --- wss:// ----------------------------------------------------------------------------

#[test]
fn wss_with_a_self_signed_certificate_passes_only_with_insecure() {
    let cert = Cert::self_signed(90);
    let server = WsServer::new()
        .on_open(Message::text(OPEN_PACKET))
        .start_tls(&cert);
    let url = server.url("/socket.io/?EIO=4&transport=websocket");
    let fields = |insecure: bool| {
        format!("url = \"{url}\", insecure = {insecure}, expect = {{ contains = \"sid\" }}")
    };
    assert_eq!(run_gate(&fields(true), 0)["status"], "passed");
    let gate = run_gate(&fields(false), 1);
    assert_ended(
        &gate,
        "error",
        &format!(
            "TLS handshake with 127.0.0.1:{} failed: \
             the server's certificate was not issued by a trusted certificate authority",
            server.port()
        ),
    );
}

#[test]
fn wss_verifies_against_a_trusted_authority() {
    let ca = Ca::new();
    let cert = ca.issue(&["localhost"], 90);
    let server = WsServer::new()
        .on_open(Message::text(OPEN_PACKET))
        .start_tls(&cert);
    let test = Test::new().trusting(ca.pem()).config(&ws_gate(&format!(
        "url = \"wss://localhost:{}/ws\", expect = {{ contains = \"sid\" }}",
        server.port()
    )));
    let (_, gate) = run_json(test, 0);
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

#[test]
fn wss_to_a_server_presenting_a_ca_certificate_is_an_error_in_words() {
    let cert = Cert::ca_for(&["localhost"]);
    let server = WsServer::new().start_tls(&cert);
    let test = Test::new().trusting(&cert.pem).config(&ws_gate(&format!(
        "url = \"wss://localhost:{}/ws\"",
        server.port()
    )));
    let (_, gate) = run_json(test, 1);
    assert_ended(&gate, "error", &ca_as_server_certificate(server.port()));
}

// --- interpolation, config errors, list and dry run -----------------------------------

#[test]
fn the_url_is_interpolated_and_checked_when_planned() {
    let server = WsServer::new().start();
    let test = Test::new()
        .config(&ws_gate("url = \"${WS_URL}/ws\""))
        .env("WS_URL", &format!("ws://127.0.0.1:{}", server.port()));
    assert_eq!(run_json(test, 0).1["status"], "passed");
    Test::new()
        .config(&ws_gate("url = \"${WS_URL}/ws\""))
        .env("WS_URL", "http://127.0.0.1:8000")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has(
            "error: invalid URL `http://127.0.0.1:8000/ws`: the scheme is `http`, expected `ws` or `wss`\n --> gates.toml:2:14\n",
        );
}

#[test]
fn a_url_that_is_not_ws_is_a_config_error() {
    check_fails(
        &ws_gate("url = \"https://example.com/ws\""),
        r#"error: invalid URL `https://example.com/ws`: the scheme is `https`, expected `ws` or `wss`
 --> gates.toml:2:14
  |
2 | ws = { url = "https://example.com/ws" }
  |              ^^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn an_expect_that_checks_nothing_is_a_config_error() {
    Test::new()
        .config(&ws_gate("url = \"ws://127.0.0.1/ws\", expect = {}"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has(
            "error: `expect` has nothing to check: give it `contains`, `matches` or `json`\n",
        );
}

#[test]
fn an_unknown_key_suggests_the_closest() {
    Test::new()
        .config(&ws_gate(
            "url = \"ws://127.0.0.1/ws\", header = { A = \"b\" }",
        ))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: unknown key `header`, did you mean `headers`?\n");
}

#[test]
fn list_and_dry_run_describe_ws_gates() {
    let config = ws_gate("url = \"ws://127.0.0.1:8000/socket.io/?EIO=4&transport=websocket\"");
    let run = Test::new()
        .config(&config)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()[0]["kind"], "ws");
    Test::new()
        .config(&config)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has(
            "   1. realtime  ws ws://127.0.0.1:8000/socket.io/?EIO=4&transport=websocket\n",
        );
}
