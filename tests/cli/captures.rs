//! Captures: values taken from a response, a WebSocket message or a
//! command's `$GATE_OUTPUT`, flowing to the gates that need the capturing
//! gate, directly or transitively, and masked when they are secrets.

use crate::Test;
use crate::harness::{assert_ended, assert_hidden, json_gate};
use crate::servers::http::{HttpServer, Response};
use crate::servers::ws::WsServer;

/// The token the login route hands out.
const TOKEN: &str = "tok-7f3a9c1e5b";

/// A smoke-test API: `/login` hands out [`TOKEN`], `/bids` takes a bid
/// from a caller with that token (201, `location` and an id), and
/// `/bids/42` shows it to that caller; any other caller gets 401.
fn api() -> HttpServer {
    let authorized = |request: &crate::servers::http::Request| {
        request.header("authorization") == Some(&format!("Bearer {TOKEN}"))
    };
    HttpServer::new()
        .route(
            "/login",
            Response::json(&format!(
                r#"{{"access_token": "{TOKEN}", "token_type": "bearer"}}"#
            ))
            .header("x-request-id", "req-81"),
        )
        .handle("/bids", move |request| match authorized(request) {
            true => Response::status(201)
                .body(r#"{"id": 42, "amount": 10}"#)
                .header("location", "/bids/42"),
            false => Response::status(401),
        })
        .handle("/bids/42", move |request| match authorized(request) {
            true => Response::json(r#"{"id": 42, "amount": 10}"#),
            false => Response::status(401),
        })
        .start()
}

/// login -> place-bid -> bid-recorded -> a command that sees the token.
fn smoke_chain(server: &HttpServer) -> String {
    format!(
        r#"
[gates.login.http]
url = "{login}"
method = "POST"
body = '{{"email": "smoke@example.com"}}'
capture = {{ SMOKE_TOKEN = {{ json = "/access_token" }} }}

[gates.place-bid]
needs = ["login"]
http = {{ url = "{bids}", method = "POST", headers = {{ Authorization = "Bearer ${{SMOKE_TOKEN}}" }}, expect = {{ status = 201 }}, capture = {{ BID_PATH = {{ header = "location" }}, BID_ID = {{ json = "/id" }} }} }}

[gates.bid-recorded]
needs = ["place-bid"]
http = {{ url = "{base}${{BID_PATH}}", headers = {{ Authorization = "Bearer ${{SMOKE_TOKEN}}" }}, expect = {{ json = {{ "/id" = "${{BID_ID}}" }} }} }}

[gates.token-seen]
needs = ["bid-recorded"]
run = 'test "$SMOKE_TOKEN" = "{TOKEN}" && test "$BID_ID" = 42 && echo "token $SMOKE_TOKEN bid $BID_ID"'
"#,
        login = server.url("/login"),
        bids = server.url("/bids"),
        base = server.url(""),
    )
}

#[test]
fn a_token_flows_along_a_chain_of_three_gates_and_into_a_command() {
    let server = api();
    let run = Test::new()
        .config(&smoke_chain(&server))
        .args(&["run", "--format", "json", "-v", "--json", "report.json"])
        .run()
        .code(0);
    for id in ["login", "place-bid", "bid-recorded", "token-seen"] {
        assert_eq!(run.gate(id)["status"], "passed", "{}", run.transcript());
    }
    assert_eq!(
        server.last_request("/bids/42").header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(run.gate("token-seen")["output"], "token *** bid 42");
    assert_hidden(&run, TOKEN);
}

#[test]
fn the_human_report_never_shows_a_captured_token_and_a_dry_run_captures_nothing() {
    let server = api();
    let test = Test::new().config(&smoke_chain(&server));
    let run = test.args(&["run", "-v"]).run().code(0);
    assert_hidden(&run, TOKEN);
    Test::new()
        .config(&smoke_chain(&server))
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("bid-recorded (after place-bid)  (planned once the gates it needs have captured their values)");
    assert_eq!(server.hits("/login"), 1, "a dry run sends nothing");
}

#[test]
fn a_capture_that_finds_nothing_fails_its_gate_and_skips_the_dependents() {
    let server = api();
    let config = smoke_chain(&server).replace("/access_token", "/token");
    let run = Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let login = run.gate("login");
    assert_ended(&login, "failed", "capture SMOKE_TOKEN: /token not found");
    assert_eq!(login["failures"][0]["expect"], "capture SMOKE_TOKEN");
    assert_eq!(login["failures"][0]["expected"], "json /token");
    assert_eq!(login["failures"][0]["actual"], "not found");
    for id in ["place-bid", "bid-recorded", "token-seen"] {
        assert_eq!(run.gate(id)["status"], "skipped", "{id}");
    }
    assert_eq!(server.hits("/bids"), 0);
}

#[test]
fn a_header_and_a_body_regex_capture() {
    let server = api();
    let config = format!(
        r#"
[gates.login]
http = {{ url = "{login}", capture = {{ REQUEST_ID = {{ header = "X-Request-Id" }}, KIND = {{ body_regex = '"token_type": "(\w+)"' }} }} }}

[gates.use]
needs = ["login"]
run = 'echo "$REQUEST_ID $KIND"'
"#,
        login = server.url("/login"),
    );
    let (_, gate) = json_gate(Test::new().config(&config), "use", 0);
    assert_eq!(gate["output"], "req-81 bearer");
}

#[test]
fn a_variable_that_nothing_sets_or_captures_is_still_a_config_error() {
    let server = api();
    let config = format!(
        "{}\n[gates.stray]\nhttp = {{ url = \"{}\", headers = {{ Authorization = \"Bearer ${{SMOKE_TOKEN}}\" }} }}\n",
        smoke_chain(&server),
        server.url("/bids/42")
    );
    Test::new().config(&config).args(&["check"]).run().code(0);
    Test::new()
        .config(&config)
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("variable `SMOKE_TOKEN` is not set (needed by gate `stray`)");
    assert_eq!(server.hits("/login"), 0, "nothing runs");
}

#[test]
fn a_captured_value_that_makes_a_bad_url_is_an_error_of_that_gate() {
    let server = HttpServer::new()
        .route("/next", Response::json(r#"{"next": "not a url"}"#))
        .start();
    let config = format!(
        "[gates.first]\nhttp = {{ url = \"{}\", capture = {{ NEXT = {{ json = \"/next\" }} }} }}\n\
         [gates.second]\nneeds = [\"first\"]\nhttp = {{ url = \"${{NEXT}}\" }}\n",
        server.url("/next")
    );
    let (_, gate) = json_gate(Test::new().config(&config), "second", 1);
    assert_eq!(gate["status"], "error");
    let reason = gate["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("invalid URL `not a url`") && reason.ends_with("gates.toml:5:16)"),
        "{reason}"
    );
}

#[test]
fn outputs_written_by_a_command_reach_a_probe() {
    let server = api();
    let config = format!(
        "[gates.token]\nrun = 'echo \"API_TOKEN={TOKEN}\" >> \"$GATE_OUTPUT\"'\noutputs = [\"API_TOKEN\"]\n\
         [gates.bid]\nneeds = [\"token\"]\nhttp = {{ url = \"{}\", method = \"POST\", headers = {{ Authorization = \"Bearer ${{API_TOKEN}}\" }}, expect = {{ status = 201 }} }}\n",
        server.url("/bids")
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "--format", "json", "-v"])
        .run()
        .code(0);
    assert_eq!(run.gate("bid")["status"], "passed");
    assert_hidden(&run, TOKEN);
}

#[test]
fn a_websocket_message_is_captured() {
    let server = WsServer::new()
        .on_open(tokio_tungstenite::tungstenite::Message::text(format!(
            r#"{{"session": "{TOKEN}"}}"#
        )))
        .start();
    let config = format!(
        "[gates.socket]\nws = {{ url = \"{}\", capture = {{ SESSION_TOKEN = {{ json = \"/session\" }} }} }}\n\
         [gates.use]\nneeds = [\"socket\"]\nrun = 'test \"$SESSION_TOKEN\" = \"{TOKEN}\" && echo \"got $SESSION_TOKEN\"'\n",
        server.url("/")
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("use")["output"], "got ***");
    assert_hidden(&run, TOKEN);
}

#[test]
fn capture_mistakes_are_config_errors() {
    for (capture, message) in [
        ("{ X = { json = \"id\" } }", "invalid JSON pointer `id`"),
        (
            "{ X = { body_regex = 'id=\\d+' } }",
            "`body_regex` captures its first group",
        ),
        (
            "{ X = {} }",
            "a capture takes its value from one of `json`, `header` or `body_regex`: give it one",
        ),
        (
            "{ X = { json = \"/a\", header = \"b\" } }",
            "a capture takes its value from one of `json`, `header` or `body_regex`: keep one",
        ),
        ("{ 1X = { json = \"/a\" } }", "invalid capture name `1X`"),
    ] {
        let config =
            format!("[gates.a]\nhttp = {{ url = \"http://127.0.0.1:9/\", capture = {capture} }}\n");
        Test::new()
            .config(&config)
            .args(&["check"])
            .run()
            .code(2)
            .stderr_has(message)
            .stderr_has("gates.toml:2:");
    }
}
