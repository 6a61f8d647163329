//! TLS gates against a real TLS server on 127.0.0.1: the expiry of the
//! certificate against `min_days`, verification (or `insecure`), servers
//! that refuse, are not TLS or never answer, interpolation of `host` and
//! `port`, and the config errors of a `tls` table.

use serde_json::Value;

use crate::Test;
use crate::harness::{Run, json_gate, reason, wait_until};
use crate::servers::tls::{Ca, Cert, PlainServer, SilentServer, TlsServer, closed_port};

/// A config with one gate `cert` whose `tls` table is `{ fields }`.
fn tls_gate(fields: &str) -> String {
    format!("[gates.cert]\ntls = {{ {fields} }}\n")
}

/// Runs the config with `--format json` and returns the run and gate `cert`.
#[track_caller]
fn run_json(test: Test, code: i32) -> (Run, Value) {
    json_gate(test, "cert", code)
}

// --- expiry -----------------------------------------------------------------

#[test]
fn a_certificate_valid_long_enough_passes_and_says_when_it_expires() {
    let cert = Cert::self_signed(90);
    let server = TlsServer::start(&cert);
    let port = server.port();
    let (run, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {port}, min_days = 30, insecure = true"
        ))),
        0,
    );
    assert_eq!(gate["kind"], "tls");
    assert_eq!(gate["status"], "passed");
    assert_eq!(gate["attempts"], 1);
    assert_eq!(gate["reason"], Value::Null);
    assert_eq!(gate["exit_code"], Value::Null);
    assert_eq!(
        gate["output"],
        format!(
            "certificate of 127.0.0.1:{port} expires on {} (90 days left)",
            cert.expiry_date()
        )
    );
    assert_eq!(run.stdout_json()["outcome"], "pass");
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_certificate_expiring_too_soon_fails_with_days_left_and_date() {
    let cert = Cert::self_signed(10);
    let server = TlsServer::start(&cert);
    let port = server.port();
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {port}, min_days = 30, insecure = true"
        ))),
        1,
    );
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        gate["reason"],
        format!(
            "certificate expires in 10 days, on {} (min 30)",
            cert.expiry_date()
        )
    );
    assert_eq!(
        gate["output"],
        format!(
            "certificate of 127.0.0.1:{port} expires on {} (10 days left)",
            cert.expiry_date()
        )
    );
}

#[test]
fn the_human_report_shows_why_a_certificate_failed() {
    let cert = Cert::self_signed(10);
    let server = TlsServer::start(&cert);
    Test::new()
        .config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}, insecure = true",
            server.port()
        )))
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has(&format!(
            "failed: certificate expires in 10 days, on {} (min 30)",
            cert.expiry_date()
        ));
}

#[test]
fn an_expired_certificate_fails_saying_it_expired() {
    // Expired 10 days less 3 hours ago: 9 whole days, rounded down.
    let cert = Cert::self_signed(-10);
    let server = TlsServer::start(&cert);
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}, insecure = true",
            server.port()
        ))),
        1,
    );
    assert_eq!(gate["status"], "failed");
    let reason = reason(&gate);
    assert!(
        reason.starts_with(&format!(
            "certificate expired 9 days ago, on {}",
            cert.expiry_date()
        )),
        "reason: {reason}"
    );
}

#[test]
fn min_days_defaults_to_30() {
    let cert = Cert::self_signed(20);
    let server = TlsServer::start(&cert);
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}, insecure = true",
            server.port()
        ))),
        1,
    );
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        gate["reason"],
        format!(
            "certificate expires in 20 days, on {} (min 30)",
            cert.expiry_date()
        )
    );
}

#[test]
fn exactly_min_days_left_passes_and_one_fewer_fails() {
    let thirty = TlsServer::start(&Cert::self_signed(30));
    let twenty_nine = TlsServer::start(&Cert::self_signed(29));
    let run = Test::new()
        .config(&format!(
            "[gates.thirty]\ntls = {{ host = \"127.0.0.1\", port = {}, insecure = true }}\n\
             [gates.twenty-nine]\ntls = {{ host = \"127.0.0.1\", port = {}, insecure = true }}\n",
            thirty.port(),
            twenty_nine.port()
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_eq!(run.gate("thirty")["status"], "passed");
    assert_eq!(run.gate("twenty-nine")["status"], "failed");
}

#[test]
fn min_days_zero_accepts_a_certificate_expiring_today() {
    let server = TlsServer::start(&Cert::self_signed(0));
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}, min_days = 0, insecure = true",
            server.port()
        ))),
        0,
    );
    assert_eq!(gate["status"], "passed");
}

#[test]
fn a_warn_tls_gate_that_fails_does_not_fail_the_run() {
    let server = TlsServer::start(&Cert::self_signed(5));
    let run = Test::new()
        .config(&format!(
            "[gates.cert]\nseverity = \"warn\"\n\
             tls = {{ host = \"127.0.0.1\", port = {}, insecure = true }}\n",
            server.port()
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("cert")["status"], "failed");
    assert_eq!(run.stdout_json()["outcome"], "pass");
}

// --- verification -------------------------------------------------------------

#[test]
fn a_self_signed_certificate_without_insecure_is_a_handshake_error() {
    let server = TlsServer::start(&Cert::self_signed(90));
    let port = server.port();
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!("host = \"127.0.0.1\", port = {port}"))),
        1,
    );
    assert_eq!(gate["status"], "error");
    let reason = reason(&gate);
    assert!(
        reason.starts_with(&format!("TLS handshake with 127.0.0.1:{port} failed")),
        "reason: {reason}"
    );
    assert_eq!(
        reason,
        format!(
            "TLS handshake with 127.0.0.1:{port} failed: the server's certificate was not issued by a trusted certificate authority"
        )
    );
}

#[test]
fn insecure_false_is_the_default() {
    let server = TlsServer::start(&Cert::self_signed(90));
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}, insecure = false",
            server.port()
        ))),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert!(
        reason(&gate).ends_with(
            "the server's certificate was not issued by a trusted certificate authority"
        ),
        "{gate}"
    );
}

/// A test directory whose trust store (`SSL_CERT_FILE`) is `ca`'s certificate.
fn trusting(ca: &Ca) -> Test {
    Test::new().trusting(ca.pem())
}

/// The reason of a handshake with `localhost:port` that met a CA
/// certificate where the server's own belongs.
pub fn ca_as_server_certificate(port: u16) -> String {
    format!(
        "TLS handshake with localhost:{port} failed: \
         the server's certificate is a CA certificate, not a server certificate"
    )
}

#[test]
fn a_ca_certificate_in_place_of_the_servers_is_an_error_in_words() {
    let cert = Cert::ca_for(&["localhost"]);
    let server = TlsServer::start(&cert);
    let port = server.port();
    let (_, gate) = run_json(
        Test::new()
            .trusting(&cert.pem)
            .config(&tls_gate(&format!("host = \"localhost\", port = {port}"))),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["reason"], ca_as_server_certificate(port));
}

#[test]
fn a_certificate_from_a_trusted_authority_verifies_without_insecure() {
    let ca = Ca::new();
    let cert = ca.issue(&["127.0.0.1"], 90);
    let server = TlsServer::start(&cert);
    let port = server.port();
    let (_, gate) = run_json(
        trusting(&ca).config(&tls_gate(&format!("host = \"127.0.0.1\", port = {port}"))),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate}");
    assert_eq!(
        gate["output"],
        format!(
            "certificate of 127.0.0.1:{port} expires on {} (90 days left)",
            cert.expiry_date()
        )
    );
}

#[test]
fn a_verified_certificate_expiring_too_soon_fails() {
    let ca = Ca::new();
    let cert = ca.issue(&["127.0.0.1"], 10);
    let server = TlsServer::start(&cert);
    let (_, gate) = run_json(
        trusting(&ca).config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}",
            server.port()
        ))),
        1,
    );
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        gate["reason"],
        format!(
            "certificate expires in 10 days, on {} (min 30)",
            cert.expiry_date()
        )
    );
}

#[test]
fn a_certificate_for_another_name_is_a_verification_error() {
    let ca = Ca::new();
    let server = TlsServer::start(&ca.issue(&["localhost"], 90));
    let (_, gate) = run_json(
        trusting(&ca).config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}",
            server.port()
        ))),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert!(
        reason(&gate).ends_with(
            "failed: the server's certificate is not valid for 127.0.0.1: it names localhost"
        ),
        "{gate}"
    );
}

#[test]
fn an_expired_trusted_certificate_fails_saying_when_it_expired() {
    let ca = Ca::new();
    let server = TlsServer::start(&ca.issue(&["127.0.0.1"], -3));
    let (_, gate) = run_json(
        trusting(&ca).config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}",
            server.port()
        ))),
        1,
    );
    // Expiry is what the check is about: failed, not error.
    assert_eq!(gate["status"], "failed");
    let reason = reason(&gate);
    assert!(
        reason.starts_with("certificate expired 2 days ago, on "),
        "reason: {reason}"
    );
}

// --- servers that do not complete a handshake ---------------------------------------

#[test]
fn a_refused_connection_is_an_error() {
    let port = closed_port();
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {port}, insecure = true"
        ))),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert_eq!(
        gate["reason"],
        format!("connection refused by 127.0.0.1:{port}")
    );
    assert_eq!(gate["attempts"], 1);
}

#[test]
fn a_refused_connection_is_retried() {
    let port = closed_port();
    let (_, gate) = run_json(
        Test::new().config(&format!(
            "[gates.cert]\nretries = 2\n\
             tls = {{ host = \"127.0.0.1\", port = {port}, insecure = true }}\n"
        )),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert_eq!(gate["attempts"], 3);
}

#[test]
fn a_server_that_does_not_speak_tls_is_an_error() {
    let server = PlainServer::start();
    let port = server.port();
    let (_, gate) = run_json(
        Test::new().config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {port}, insecure = true"
        ))),
        1,
    );
    assert_eq!(gate["status"], "error");
    assert_eq!(
        gate["reason"],
        format!(
            "TLS handshake with 127.0.0.1:{port} failed: \
             the server does not speak TLS (is the port a plain-text one?)"
        )
    );
}

#[test]
fn a_server_that_never_answers_times_out_without_hanging() {
    let server = SilentServer::start();
    let run = Test::new()
        .config(&format!(
            "[gates.cert]\ntimeout = \"300ms\"\n\
             tls = {{ host = \"127.0.0.1\", port = {}, insecure = true }}\n",
            server.port()
        ))
        .args(&["run", "--format", "json"])
        .spawn()
        .wait()
        .code(1);
    let gate = run.gate("cert");
    assert_eq!(gate["status"], "timed_out");
    assert_eq!(gate["reason"], "timed out after 300ms");
    wait_until("the server to accept the connection", || {
        server.connections() == 1
    });
}

#[test]
fn settings_timeout_bounds_a_tls_gate() {
    let server = SilentServer::start();
    let run = Test::new()
        .config(&format!(
            "[settings]\ntimeout = \"300ms\"\n\
             [gates.cert]\ntls = {{ host = \"127.0.0.1\", port = {}, insecure = true }}\n",
            server.port()
        ))
        .args(&["run", "--format", "json"])
        .spawn()
        .wait()
        .code(1);
    assert_eq!(run.gate("cert")["status"], "timed_out");
}

// --- interpolation ---------------------------------------------------------------

#[test]
fn host_and_port_are_interpolated() {
    let cert = Cert::self_signed(90);
    let server = TlsServer::start(&cert);
    let port = server.port();
    let (_, gate) = run_json(
        Test::new()
            .config(&tls_gate(
                "host = \"${TLS_HOST}\", port = \"${TLS_PORT}\", insecure = true",
            ))
            .env("TLS_HOST", "127.0.0.1")
            .env("TLS_PORT", &port.to_string()),
        0,
    );
    assert_eq!(gate["status"], "passed");
    assert_eq!(
        gate["output"],
        format!(
            "certificate of 127.0.0.1:{port} expires on {} (90 days left)",
            cert.expiry_date()
        )
    );
}

#[test]
fn a_port_from_env_section_and_a_default() {
    let server = TlsServer::start(&Cert::self_signed(90));
    let (_, gate) = run_json(
        Test::new().config(&format!(
            "[env]\nTLS_PORT = \"${{TLS_PORT:-{}}}\"\n\
             [gates.cert]\ntls = {{ host = \"${{TLS_HOST:-127.0.0.1}}\", port = \"${{TLS_PORT}}\", insecure = true }}\n",
            server.port()
        )),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate}");
}

#[test]
fn a_missing_port_variable_exits_two_naming_variable_and_gate() {
    Test::new()
        .config(&tls_gate(
            "host = \"127.0.0.1\", port = \"${TLS_PORT}\", insecure = true",
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: variable `TLS_PORT` is not set (needed by gate `cert`)");
}

#[test]
fn a_missing_host_variable_exits_two_naming_variable_and_gate() {
    Test::new()
        .config(&tls_gate("host = \"${TLS_HOST}\", port = 443"))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("error: variable `TLS_HOST` is not set (needed by gate `cert`)");
}

#[test]
fn a_missing_variable_of_a_tls_gate_not_selected_is_no_error() {
    Test::new()
        .config(&format!(
            "[gates.ok]\nrun = \"true\"\n{}",
            tls_gate("host = \"127.0.0.1\", port = \"${TLS_PORT}\"")
        ))
        .args(&["run", "ok"])
        .run()
        .code(0);
}

#[test]
fn check_accepts_a_port_variable_that_is_not_set() {
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = \"${TLS_PORT}\""))
        .args(&["check"])
        .run()
        .code(0);
}

// --- config errors -----------------------------------------------------------------

#[test]
fn a_port_out_of_range_is_a_config_error() {
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = 70000"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("invalid port `70000`: expected 1 to 65535")
        .stderr_has("gates.toml:2:36");
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = 0"))
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("invalid port `0`");
}

#[test]
fn a_port_of_the_wrong_type_says_what_a_port_is() {
    let run = Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = true"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("gates.toml:2:36");
    let stderr = run.stderr();
    let message = stderr.lines().next().unwrap_or_default();
    assert!(!message.contains("RawPort"), "{stderr}");
    assert!(message.contains("port"), "{stderr}");
}

#[test]
fn a_negative_min_days_is_a_config_error() {
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", min_days = -1"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("invalid min_days -1: expected 0 to 4294967295");
}

#[test]
fn an_unknown_key_in_tls_suggests_the_closest() {
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", min_day = 10"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("unknown key `min_day`, did you mean `min_days`?");
}

#[test]
fn a_tls_table_without_host_is_a_config_error() {
    Test::new()
        .config(&tls_gate("port = 443"))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("missing field `host`");
}

#[test]
fn a_port_that_is_not_a_number_fails_at_run_time_before_anything_runs() {
    Test::new()
        .config(&format!(
            "[gates.first]\nrun = \"touch ran\"\n{}",
            tls_gate("host = \"127.0.0.1\", port = \"abc\"")
        ))
        .args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("invalid port `abc`: expected 1 to 65535")
        .stderr_has("gates.toml:");
    let run = Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = \"${TLS_PORT}\""))
        .env("TLS_PORT", "99999")
        .args(&["run"])
        .run()
        .code(2)
        .stderr_has("invalid port `99999`");
    assert!(!run.exists("ran"));
}

#[test]
fn a_gate_with_tls_and_run_is_a_config_error() {
    Test::new()
        .config("[gates.cert]\nrun = \"true\"\ntls = { host = \"127.0.0.1\" }\n")
        .args(&["check"])
        .run()
        .code(2);
}

// --- list --------------------------------------------------------------------

#[test]
fn list_shows_kind_tls() {
    let run = Test::new()
        .config(
            "[gates.cert]\nname = \"SSL certificate validity > 30 days\"\nsection = \"Security\"\n\
             tls = { host = \"127.0.0.1\", port = 8443 }\n",
        )
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    let list = run.stdout_json();
    assert_eq!(list[0]["id"], "cert");
    assert_eq!(list[0]["kind"], "tls");
    assert_eq!(list[0]["name"], "SSL certificate validity > 30 days");
    assert_eq!(list[0]["section"], "Security");
}

#[test]
fn dry_run_names_the_endpoint_and_connects_to_nothing() {
    let server = SilentServer::start();
    Test::new()
        .config(&tls_gate(&format!(
            "host = \"127.0.0.1\", port = {}",
            server.port()
        )))
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has(&format!("cert  tls 127.0.0.1:{}", server.port()));
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_port_that_is_not_a_number_is_a_config_error_at_check() {
    Test::new()
        .config(&tls_gate("host = \"127.0.0.1\", port = \"abc\""))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("invalid port `abc`: expected 1 to 65535");
}
