//! Every kind of check under the same machinery: retries, needs, tags,
//! partitions and reports treat a tcp, ws or dns gate as any other.

use crate::Test;
use crate::harness::assert_ended;
use crate::servers::dns::DnsServer;
use crate::servers::tls::closed_port;
use crate::servers::ws::WsServer;

#[test]
fn a_refused_tcp_gate_is_retried_and_what_needs_it_is_skipped() {
    let port = closed_port();
    let dns = DnsServer::new()
        .a("api.example.com", "203.0.113.10")
        .start();
    let run = Test::new()
        .config(&format!(
            "[gates.redis]\ntcp = {{ host = \"127.0.0.1\", port = {port} }}\nretries = 2\n\
             [gates.dns-updated]\nneeds = [\"redis\"]\n\
             dns = {{ name = \"api.example.com\", server = \"{}\" }}\n",
            dns.address()
        ))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    let redis = run.gate("redis");
    assert_ended(
        &redis,
        "error",
        &format!("connection refused by 127.0.0.1:{port}"),
    );
    assert_eq!(redis["attempts"], 3);
    assert_ended(
        &run.gate("dns-updated"),
        "skipped",
        "needs `redis`, which did not pass (error)",
    );
    assert!(dns.questions().is_empty());
}

#[test]
fn tags_and_partitions_select_network_gates_as_any_other() {
    let ws = WsServer::new().start();
    let config = format!(
        "[gates.realtime]\ntags = [\"smoke\"]\nws = {{ url = \"{}\" }}\n\
         [gates.mongo-not-public]\ntags = [\"security\"]\n\
         tcp = {{ host = \"127.0.0.1\", port = {}, closed = true }}\n",
        ws.url("/ws"),
        closed_port()
    );
    let run = Test::new()
        .config(&config)
        .args(&["run", "--tag", "smoke", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["realtime"]);
    let shards: Vec<Vec<String>> = ["1/2", "2/2"]
        .iter()
        .map(|shard| {
            Test::new()
                .config(&config)
                .args(&["run", "--partition", shard, "--format", "json"])
                .run()
                .code(0)
                .ids()
        })
        .collect();
    assert_eq!(shards, [["realtime"], ["mongo-not-public"]]);
}

#[test]
fn junit_and_markdown_reports_carry_network_failures() {
    let port = closed_port();
    let run = Test::new()
        .config(&format!(
            "[gates.redis]\nname = \"Redis reachable\"\ntcp = {{ host = \"127.0.0.1\", port = {port} }}\n"
        ))
        .args(&["run", "--junit", "junit.xml", "--markdown", "checklist.md"])
        .run()
        .code(1);
    let reason = format!("connection refused by 127.0.0.1:{port}");
    assert!(
        run.read("junit.xml")
            .contains(&format!("message=\"{reason}\"")),
        "{}",
        run.read("junit.xml")
    );
    assert!(
        run.read("checklist.md").contains(&reason),
        "{}",
        run.read("checklist.md")
    );
}
