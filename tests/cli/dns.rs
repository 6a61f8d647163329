//! DNS gates against a real DNS server on 127.0.0.1 (UDP): each record
//! type, `contains` and `matches`, NXDOMAIN, an empty answer, a wrong
//! address, a server that fails, refuses or never answers, interpolation,
//! config errors, `gate list` and `--dry-run`.

use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use serde_json::Value;

use crate::Test;
use crate::harness::{Run, assert_ended, check_fails, json_gate};
use crate::servers::dns::{DnsServer, SilentUdp};

/// A config with one gate `dns-updated` whose `dns` table is `{ fields }`.
fn dns_gate(fields: &str) -> String {
    format!("[gates.dns-updated]\ndns = {{ {fields} }}\n")
}

/// Runs `test` with `--format json`, expecting exit `code`; returns the
/// run and gate `dns-updated`.
#[track_caller]
fn run_json(test: Test, code: i32) -> (Run, Value) {
    json_gate(test, "dns-updated", code)
}

/// Runs `fields` as gate `dns-updated`, expecting exit `code`.
#[track_caller]
fn run_gate(fields: &str, code: i32) -> Value {
    run_json(Test::new().config(&dns_gate(fields)), code).1
}

/// The output without its time.
fn output(gate: &Value) -> String {
    let output = gate["output"].as_str().unwrap_or_default();
    output
        .rsplit_once(" in ")
        .map_or(output, |(head, _)| head)
        .to_owned()
}

/// The example zone: the API moved to 203.0.113.10.
fn zone() -> DnsServer {
    DnsServer::new()
        .a("api.example.com", "203.0.113.10")
        .a("api.example.com", "203.0.113.11")
        .aaaa("api.example.com", "2001:db8::10")
        .cname("www.example.com", "lb.example.net")
        .mx("example.com", 10, "mail.example.com")
        .txt("example.com", "v=spf1 include:_spf.example.com -all")
        .ns("example.com", "ns1.example.com")
}

// --- answers --------------------------------------------------------------------

#[test]
fn an_a_record_that_holds_the_address_passes() {
    let server = zone().start();
    let address = server.address();
    let gate = run_gate(
        &format!(
            "name = \"api.example.com\", type = \"A\", server = \"{address}\", expect = {{ contains = \"203.0.113.10\" }}"
        ),
        0,
    );
    assert_eq!(gate["kind"], "dns");
    assert_eq!(gate["status"], "passed", "{gate:#}");
    assert_eq!(
        output(&gate),
        format!("A api.example.com @{address} -> 203.0.113.10, 203.0.113.11")
    );
    assert_eq!(
        server.questions(),
        [("api.example.com".to_owned(), RecordType::A)]
    );
}

#[test]
fn a_wrong_address_fails_with_the_answers() {
    let server = DnsServer::new()
        .a("api.example.com", "198.51.100.1")
        .start();
    let gate = run_gate(
        &format!(
            "name = \"api.example.com\", server = \"{}\", expect = {{ contains = \"203.0.113.10\" }}",
            server.address()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "A records 198.51.100.1 do not contain 203.0.113.10",
    );
}

#[test]
fn a_name_that_does_not_exist_fails_with_nxdomain() {
    let server = zone().start();
    let gate = run_gate(
        &format!(
            "name = \"api.example.org\", server = \"{}\"",
            server.address()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "api.example.org has no A record (NXDOMAIN)",
    );
}

#[test]
fn a_name_without_records_of_the_type_fails() {
    let server = zone().start();
    let address = server.address();
    let gate = run_gate(
        &format!("name = \"example.com\", type = \"AAAA\", server = \"{address}\""),
        1,
    );
    assert_ended(&gate, "failed", "example.com has no AAAA record");
    // www is a CNAME to a name this server does not know.
    let gate = run_gate(
        &format!("name = \"www.example.com\", type = \"AAAA\", server = \"{address}\""),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "www.example.com has no AAAA record (NXDOMAIN for lb.example.net)",
    );
}

#[test]
fn without_expect_one_answer_is_enough() {
    let server = zone().start();
    let gate = run_gate(
        &format!(
            "name = \"api.example.com\", server = \"{}\"",
            server.address()
        ),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

#[test]
fn every_record_type_is_read_as_written() {
    let server = zone().start();
    let address = server.address();
    for (name, record_type, wanted) in [
        ("api.example.com", "AAAA", "2001:0db8::10"),
        ("www.example.com", "CNAME", "lb.example.net"),
        ("example.com", "MX", "10 mail.example.com"),
        ("example.com", "MX", "mail.example.com"),
        ("example.com", "TXT", "v=spf1 include:_spf.example.com -all"),
        ("example.com", "NS", "ns1.example.com"),
    ] {
        let gate = run_gate(
            &format!(
                "name = \"{name}\", type = \"{record_type}\", server = \"{address}\", expect = {{ contains = \"{wanted}\" }}"
            ),
            0,
        );
        assert_eq!(gate["status"], "passed", "{record_type} {wanted}: {gate:#}");
    }
}

#[test]
fn a_cname_chain_leads_to_the_address() {
    let server = zone().a("lb.example.net", "203.0.113.10").start();
    let gate = run_gate(
        &format!(
            "name = \"www.example.com\", server = \"{}\", expect = {{ contains = \"203.0.113.10\" }}",
            server.address()
        ),
        0,
    );
    assert_eq!(gate["status"], "passed", "{gate:#}");
}

#[test]
fn a_record_of_another_name_in_the_answer_is_no_answer() {
    let server = DnsServer::new()
        .a("api.example.com", "198.51.100.1")
        .stray("cache.example.com", "203.0.113.10")
        .start();
    let gate = run_gate(
        &format!(
            "name = \"api.example.com\", server = \"{}\", expect = {{ contains = \"203.0.113.10\" }}",
            server.address()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "A records 198.51.100.1 do not contain 203.0.113.10",
    );
}

#[test]
fn a_record_given_only_as_a_hint_is_no_answer() {
    // www is a CNAME to lb.example.net, which has no A record here: the A
    // record in the additional section is not an answer.
    let server = zone().additional("lb.example.net", "203.0.113.10").start();
    let gate = run_gate(
        &format!(
            "name = \"www.example.com\", server = \"{}\", expect = {{ contains = \"203.0.113.10\" }}",
            server.address()
        ),
        1,
    );
    assert_eq!(gate["status"], "failed", "{gate:#}");
}

#[test]
fn records_in_an_nxdomain_response_are_no_answer() {
    let server = DnsServer::new()
        .a("api.example.com", "203.0.113.10")
        .always_nxdomain()
        .start();
    let gate = run_gate(
        &format!(
            "name = \"api.example.com\", server = \"{}\", expect = {{ contains = \"203.0.113.10\" }}",
            server.address()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "api.example.com has no A record (NXDOMAIN)",
    );
}

#[test]
fn a_cname_loop_has_no_answer() {
    let server = DnsServer::new()
        .cname("a.example.com", "b.example.com")
        .cname("b.example.com", "a.example.com")
        .start();
    let gate = run_gate(
        &format!(
            "name = \"a.example.com\", server = \"{}\"",
            server.address()
        ),
        1,
    );
    assert_ended(&gate, "failed", "a.example.com has no A record");
}

#[test]
fn a_txt_record_must_match_exactly() {
    let server = zone().start();
    let gate = run_gate(
        &format!(
            "name = \"example.com\", type = \"TXT\", server = \"{}\", expect = {{ contains = \"v=spf1 -all\" }}",
            server.address()
        ),
        1,
    );
    assert_ended(
        &gate,
        "failed",
        "TXT records v=spf1 include:_spf.example.com -all do not contain v=spf1 -all",
    );
}

#[test]
fn matches_needs_one_answer_to_match() {
    let server = zone().start();
    let fields = |pattern: &str| {
        format!(
            "name = \"api.example.com\", server = \"{}\", expect = {{ matches = '{pattern}' }}",
            server.address()
        )
    };
    assert_eq!(
        run_gate(&fields(r"^203\.0\.113\.11$"), 0)["status"],
        "passed"
    );
    assert_ended(
        &run_gate(&fields(r"^198\.51\."), 1),
        "failed",
        r"A records 203.0.113.10, 203.0.113.11 do not match /^198\.51\./",
    );
}

// --- servers that cannot answer ------------------------------------------------------

#[test]
fn a_server_that_fails_is_an_error() {
    let server = DnsServer::failing(ResponseCode::ServFail).start();
    let address = server.address();
    let gate = run_gate(
        &format!("name = \"api.example.com\", server = \"{address}\""),
        1,
    );
    assert_ended(
        &gate,
        "error",
        &format!("DNS server {address} answered SERVFAIL for api.example.com A"),
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let silent = SilentUdp::start();
    let address = silent.address();
    let gate = run_gate(
        &format!("name = \"api.example.com\", server = \"{address}\", timeout = \"300ms\""),
        1,
    );
    assert_ended(
        &gate,
        "timed_out",
        &format!("no answer from DNS server {address} within 300ms"),
    );
}

// --- interpolation, config errors, list and dry run -------------------------------------

#[test]
fn name_type_server_and_expectation_are_interpolated() {
    let server = zone().start();
    let test = Test::new()
        .config(&dns_gate(
            "name = \"${PUBLIC_HOST}\", type = \"${RECORD}\", server = \"${DNS_SERVER}\", expect = { contains = \"${PUBLIC_IP}\" }",
        ))
        .env("PUBLIC_HOST", "api.example.com")
        .env("RECORD", "A")
        .env("DNS_SERVER", &server.address())
        .env("PUBLIC_IP", "203.0.113.11");
    assert_eq!(run_json(test, 0).1["status"], "passed");
}

#[test]
fn an_unknown_record_type_suggests_the_closest() {
    check_fails(
        &dns_gate("name = \"example.com\", type = \"MXX\""),
        r#"error: unknown record type `MXX`, did you mean `MX`?
 --> gates.toml:2:38
  |
2 | dns = { name = "example.com", type = "MXX" }
  |                                      ^^^^^"#,
    );
}

#[test]
fn a_bad_server_or_name_is_a_config_error() {
    Test::new()
        .config(&dns_gate(
            "name = \"example.com\", server = \"dns://1.1.1.1\"",
        ))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: invalid DNS server `dns://1.1.1.1`: expected `host:port` or `host`");
    Test::new()
        .config(&dns_gate("name = \"https://example.com\""))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: invalid DNS name `https://example.com`: expected a name like `api.example.com`\n --> gates.toml:2:16\n");
}

#[test]
fn an_unknown_key_suggests_the_closest() {
    Test::new()
        .config(&dns_gate("name = \"example.com\", sever = \"127.0.0.1\""))
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: unknown key `sever`, did you mean `server`?\n");
}

#[test]
fn list_and_dry_run_describe_dns_gates() {
    let config =
        dns_gate("name = \"api.example.com\", type = \"AAAA\", server = \"127.0.0.1:5353\"");
    let run = Test::new()
        .config(&config)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()[0]["kind"], "dns");
    Test::new()
        .config(&config)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("   1. dns-updated  dns AAAA api.example.com @127.0.0.1:5353\n");
}
