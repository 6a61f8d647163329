//! TCP gates against real peers on 127.0.0.1: a connection that opens or
//! is refused, what a Redis-like server answers to what is sent, ports that
//! must be closed (refused or filtered), answers that never come or never
//! end, interpolation, secrets, config errors, `gate list` and `--dry-run`.

use std::time::Duration;

use serde_json::Value;

use crate::Test;
use crate::harness::{Run, assert_ended, assert_hidden, check_fails, json_gate, reason};
use crate::servers::tcp::{FilteredPort, LineServer, Talker};
use crate::servers::tls::{SilentServer, closed_port};

/// A config with one gate `redis` whose `tcp` table is `{ fields }`.
fn tcp_gate(fields: &str) -> String {
    format!("[gates.redis]\ntcp = {{ {fields} }}\n")
}

/// Runs `test` with `--format json`, expecting exit `code`; returns the
/// run and gate `redis`.
#[track_caller]
fn run_json(test: Test, code: i32) -> (Run, Value) {
    json_gate(test, "redis", code)
}

/// Runs `fields` as gate `redis`, expecting exit `code`.
#[track_caller]
fn run_gate(fields: &str, code: i32) -> Value {
    run_json(Test::new().config(&tcp_gate(fields)), code).1
}

/// The output's first line without its time: `connected to ADDRESS`.
fn connected_line(gate: &Value) -> String {
    let output = gate["output"].as_str().unwrap_or_default();
    let first = output.lines().next().unwrap_or_default();
    first
        .rsplit_once(" in ")
        .map_or(first, |(head, _)| head)
        .to_owned()
}

// --- a connection ---------------------------------------------------------------

#[test]
fn a_port_that_accepts_a_connection_passes() {
    let server = LineServer::redis_with_password();
    let port = server.port();
    let gate = run_gate(&format!("host = \"127.0.0.1\", port = {port}"), 0);
    assert_eq!(gate["kind"], "tcp");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["reason"], Value::Null);
    assert_eq!(gate["attempts"], 1);
    assert_eq!(
        connected_line(&gate),
        format!("connected to 127.0.0.1:{port}")
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_refused_connection_is_an_error() {
    let port = closed_port();
    let gate = run_gate(&format!("host = \"127.0.0.1\", port = {port}"), 1);
    assert_ended(
        &gate,
        "error",
        &format!("connection refused by 127.0.0.1:{port}"),
    );
}

#[test]
fn a_host_that_does_not_resolve_is_an_error() {
    let gate = run_gate("host = \"no-such-host.invalid\", port = 6379", 1);
    assert_eq!(gate["status"], "error");
    assert!(
        reason(&gate).starts_with("cannot resolve host no-such-host.invalid: "),
        "{gate:#}"
    );
}

#[test]
fn a_connection_that_gets_no_answer_times_out() {
    let filtered = FilteredPort::start();
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, timeout = \"300ms\"",
            filtered.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "timed_out",
        &format!("no answer from 127.0.0.1:{} within 300ms", filtered.port()),
    );
}

// --- what the peer answers ------------------------------------------------------

#[test]
fn redis_requiring_a_password_answers_noauth_and_passes() {
    let server = LineServer::redis_with_password();
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, send = \"PING\\r\\n\", expect = {{ contains = \"NOAUTH\" }}",
            server.port()
        ),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(server.received(), b"PING\r\n");
    let output = gate["output"].as_str().unwrap();
    assert!(
        output.ends_with("sent 6 bytes\nreceived 34 bytes\n-NOAUTH Authentication required."),
        "{output}"
    );
}

#[test]
fn redis_without_a_password_fails_the_noauth_check() {
    // Redis keeps the connection open after it answers: the answer ends
    // when the server has said something and then nothing for a second,
    // not at the (much longer) timeout.
    let server = LineServer::redis_without_password();
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, send = \"PING\\r\\n\", expect = {{ contains = \"NOAUTH\" }}, timeout = \"1m\"",
            server.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        r#"expected answer containing "NOAUTH", got "+PONG\r\n""#,
    );
    assert!(
        gate["output"]
            .as_str()
            .unwrap()
            .ends_with("received 7 bytes (then nothing for 1s)\n+PONG"),
        "{gate:#}"
    );
}

#[test]
fn an_answer_is_matched_against_a_regex() {
    let banner = Talker::holding(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec());
    let fields = |pattern: &str| {
        format!(
            "host = \"127.0.0.1\", port = {}, timeout = \"1m\", expect = {{ matches = '{pattern}' }}",
            banner.port()
        )
    };
    assert_eq!(run_gate(&fields(r"^SSH-2\.0-"), 0)["status"], "passed");
    assert_ended(
        &run_gate(&fields(r"^SSH-1\."), 1),
        "failed",
        r#"expected answer matching /^SSH-1\./, got "SSH-2.0-OpenSSH_9.6\r\n""#,
    );
}

#[test]
fn an_answer_is_read_to_its_end_before_a_regex_is_checked() {
    // `+OK` alone would match; what follows it does not.
    let slow = Talker::in_parts(
        vec![b"+OK".to_vec(), b"\r\n-ERR boom\r\n".to_vec()],
        Duration::from_millis(300),
    );
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, expect = {{ matches = '^\\+OK$' }}",
            slow.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        r#"expected answer matching /^\+OK$/, got "+OK\r\n-ERR boom\r\n""#,
    );
    assert!(
        gate["output"]
            .as_str()
            .unwrap()
            .ends_with("received 16 bytes (then nothing for 1s)\n+OK\r\n-ERR boom"),
        "{gate:#}"
    );
}

#[test]
fn a_reset_after_the_answer_is_an_error_not_a_pass() {
    let crashing = Talker::resetting(b"+PONG\r\n".to_vec());
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, send = \"PING\\r\\n\", expect = {{ matches = '^\\+PONG' }}",
            crashing.port()
        ),
        1,
    );
    assert_eq!(gate["status"], "error", "{gate:#}");
    assert!(
        reason(&gate).starts_with(&format!(
            "the connection to 127.0.0.1:{} failed: ",
            crashing.port()
        )),
        "{gate:#}"
    );
}

#[test]
fn a_peer_that_says_nothing_never_passes_an_expectation() {
    // `^$` holds for an empty answer; nothing received is no answer.
    let silent = SilentServer::start();
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, timeout = \"200ms\", expect = {{ matches = '^$' }}",
            silent.port()
        ),
        1,
    );
    assert_eq!(gate["status"], "timed_out", "{gate:#}");
}

#[test]
fn expectations_that_any_answer_holds_are_refused() {
    check_fails(
        &tcp_gate("host = \"db\", port = 6379, expect = { matches = '(NOAUTH)?' }"),
        r#"error: the regex /(NOAUTH)?/ matches any text, so it checks nothing: make it match what must be there
 --> gates.toml:2:56
  |
2 | tcp = { host = "db", port = 6379, expect = { matches = '(NOAUTH)?' } }
  |                                                        ^^^^^^^^^^^"#,
    );
    Test::new()
        .config(&tcp_gate(
            "host = \"db\", port = 6379, expect = { contains = \"${BANNER:-}\" }",
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: the text to look for is empty, so anything would hold it: give the text that must be there\n --> gates.toml:2:57\n");
}

#[test]
fn an_answer_that_holds_early_does_not_wait_for_the_timeout() {
    // The peer keeps the connection open, as Redis does: the gate must end
    // as soon as the answer holds, long before the gate's own timeout.
    let server = LineServer::redis_with_password();
    let config = format!(
        "[gates.redis]\ntimeout = \"1h\"\ntcp = {{ host = \"127.0.0.1\", port = {}, send = \"PING\\r\\n\", expect = {{ contains = \"NOAUTH\" }} }}\n",
        server.port()
    );
    let (_, gate) = run_json(Test::new().config(&config), 0);
    assert_eq!(gate["status"], "passed");
}

#[test]
fn a_peer_that_hangs_up_without_answering_fails() {
    let hang_up = Talker::start(Vec::new());
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, expect = {{ contains = \"OK\" }}",
            hang_up.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        &format!(
            "127.0.0.1:{} closed the connection without answering",
            hang_up.port()
        ),
    );
}

#[test]
fn a_peer_that_says_nothing_times_out_with_the_tcp_timeout() {
    let silent = SilentServer::start();
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, timeout = \"200ms\", expect = {{ contains = \"OK\" }}",
            silent.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "timed_out",
        &format!("no answer from 127.0.0.1:{} within 200ms", silent.port()),
    );
}

#[test]
fn a_peer_that_says_nothing_times_out_with_the_gate_timeout() {
    let silent = SilentServer::start();
    let config = format!(
        "[gates.redis]\ntimeout = \"200ms\"\ntcp = {{ host = \"127.0.0.1\", port = {}, expect = {{ contains = \"OK\" }} }}\n",
        silent.port()
    );
    let (_, gate) = run_json(Test::new().config(&config), 1);
    assert_ended(
        &gate,
        "timed_out",
        &format!("no answer from 127.0.0.1:{} within 200ms", silent.port()),
    );
}

#[test]
fn the_reason_names_the_gate_timeout_when_it_ends_first() {
    let silent = SilentServer::start();
    let config = format!(
        "[gates.redis]\ntimeout = \"200ms\"\ntcp = {{ host = \"127.0.0.1\", port = {}, timeout = \"10s\", expect = {{ contains = \"OK\" }} }}\n",
        silent.port()
    );
    let (_, gate) = run_json(Test::new().config(&config), 1);
    assert_ended(
        &gate,
        "timed_out",
        &format!("no answer from 127.0.0.1:{} within 200ms", silent.port()),
    );
}

#[test]
fn at_most_64_kib_of_an_answer_is_read() {
    let flood = Talker::holding(vec![b'x'; 1024 * 1024]);
    let gate = run_gate(
        &format!(
            "host = \"127.0.0.1\", port = {}, timeout = \"5s\", expect = {{ contains = \"OK\" }}",
            flood.port()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        &format!(
            "expected answer containing \"OK\", got \"{}\"… (only its first 64 KiB read)",
            "x".repeat(80)
        ),
    );
    assert!(
        gate["output"]
            .as_str()
            .unwrap()
            .contains("received 65536 bytes"),
        "{gate:#}"
    );
}

// --- ports that must be closed --------------------------------------------------

#[test]
fn a_refused_port_is_closed() {
    let port = closed_port();
    let gate = run_gate(
        &format!("host = \"127.0.0.1\", port = {port}, closed = true"),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(
        gate["output"],
        format!("connection refused by 127.0.0.1:{port}")
    );
}

#[test]
fn a_port_that_drops_connections_is_closed() {
    let filtered = FilteredPort::start();
    let port = filtered.port();
    let gate = run_gate(
        &format!("host = \"127.0.0.1\", port = {port}, closed = true, timeout = \"300ms\""),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(
        gate["output"],
        format!("no answer from 127.0.0.1:{port} within 300ms")
    );
}

#[test]
fn a_filtered_port_is_closed_within_the_gate_timeout_too() {
    let filtered = FilteredPort::start();
    let config = format!(
        "[gates.redis]\ntimeout = \"300ms\"\ntcp = {{ host = \"127.0.0.1\", port = {}, closed = true }}\n",
        filtered.port()
    );
    let (_, gate) = run_json(Test::new().config(&config), 0);
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

#[test]
fn an_open_port_that_should_be_closed_fails() {
    let mongo = LineServer::redis_with_password();
    let port = mongo.port();
    let gate = run_gate(
        &format!("host = \"127.0.0.1\", port = {port}, closed = true"),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        &format!("port {port} on 127.0.0.1 is open (expected closed)"),
    );
    assert_eq!(
        connected_line(&gate),
        format!("connected to 127.0.0.1:{port}")
    );
}

#[test]
fn a_host_that_does_not_resolve_is_not_proof_of_a_closed_port() {
    let gate = run_gate(
        "host = \"no-such-host.invalid\", port = 27017, closed = true",
        1,
    );
    assert_eq!(gate["status"], "error", "{gate:#}");
}

// --- interpolation and secrets --------------------------------------------------

#[test]
fn host_port_and_send_are_interpolated() {
    let server = LineServer::redis_with_password();
    let test = Test::new()
        .config(&tcp_gate(
            "host = \"${REDIS_HOST}\", port = \"${REDIS_PORT}\", send = \"${COMMAND}\\r\\n\", expect = { contains = \"${WANTED}\" }",
        ))
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", &server.port().to_string())
        .env("COMMAND", "PING")
        .env("WANTED", "NOAUTH");
    let (_, gate) = run_json(test, 0);
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(server.received(), b"PING\r\n");
}

#[test]
fn a_password_sent_or_echoed_is_never_shown() {
    let password = "r3dis-s3cret-pw";
    let server = LineServer::start(|line| format!("-ERR invalid password: {}", line));
    let test = Test::new()
        .config(&tcp_gate(&format!(
            "host = \"127.0.0.1\", port = {}, send = \"AUTH ${{REDIS_PASSWORD}}\\r\\n\", expect = {{ contains = \"+OK\" }}",
            server.port()
        )))
        .env("REDIS_PASSWORD", password)
        .args(&["run", "--json", "report.json", "--junit", "junit.xml"]);
    let run = test.run().code(1);
    assert_eq!(server.received(), format!("AUTH {password}\r\n").as_bytes());
    assert!(
        run.stdout().contains("-ERR invalid password: AUTH ***"),
        "{}",
        run.transcript()
    );
    assert_hidden(&run, password);
}

#[test]
fn an_interpolated_port_is_checked_when_planned() {
    Test::new()
        .config(&tcp_gate("host = \"127.0.0.1\", port = \"${REDIS_PORT}\""))
        .env("REDIS_PORT", "redis")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: invalid port `redis`: expected 1 to 65535\n --> gates.toml:2:36\n");
}

// --- config errors --------------------------------------------------------------

#[test]
fn closed_takes_no_send_or_expect() {
    check_fails(
        &tcp_gate("host = \"db\", port = 27017, closed = true, send = \"x\""),
        r#"error: `closed = true` checks that nothing answers: it takes no `send` or `expect`
 --> gates.toml:2:45
  |
2 | tcp = { host = "db", port = 27017, closed = true, send = "x" }
  |                                             ^^^^"#,
    );
}

#[test]
fn an_expect_that_checks_nothing_is_a_config_error() {
    check_fails(
        &tcp_gate("host = \"db\", port = 6379, expect = {}"),
        r#"error: `expect` has nothing to check: give it `contains` or `matches`
 --> gates.toml:2:44
  |
2 | tcp = { host = "db", port = 6379, expect = {} }
  |                                            ^^"#,
    );
}

#[test]
fn a_host_with_a_scheme_or_port_is_a_config_error() {
    check_fails(
        &tcp_gate("host = \"redis://db:6379\", port = 6379"),
        r#"error: invalid host `redis://db:6379`: expected a host name or an IP address, without scheme or port (`db.example.com`, `10.0.0.5`)
 --> gates.toml:2:16
  |
2 | tcp = { host = "redis://db:6379", port = 6379 }
  |                ^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn an_unknown_key_suggests_the_closest() {
    Test::new()
        .config(&tcp_gate(
            "host = \"db\", port = 6379, expect = { contain = \"x\" }",
        ))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has(
            "error: unknown key `contain`, did you mean `contains`?\n --> gates.toml:2:46\n",
        );
}

#[test]
fn a_port_is_required_and_in_range() {
    Test::new()
        .config(&tcp_gate("host = \"db\""))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: missing field `port`");
    Test::new()
        .config(&tcp_gate("host = \"db\", port = 65536"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: invalid port `65536`: expected 1 to 65535\n --> gates.toml:2:29\n");
}

// --- list and dry run ------------------------------------------------------------

#[test]
fn list_and_dry_run_describe_tcp_gates() {
    let config = "[gates.redis]\ntcp = { host = \"127.0.0.1\", port = 6379 }\n\
                  [gates.mongo-not-public]\ntcp = { host = \"${PUBLIC_HOST:-203.0.113.5}\", port = 27017, closed = true }\n";
    let run = Test::new()
        .config(config)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()[1]["kind"], "tcp");
    Test::new()
        .config(config)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("   1. redis  tcp 127.0.0.1:6379\n")
        .stdout_has("   2. mongo-not-public  tcp 203.0.113.5:27017, expected closed\n");
}
