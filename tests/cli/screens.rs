//! Whole human screens, as a user sees them, times and ports redacted.

use tokio_tungstenite::tungstenite::Message;

use crate::Test;
use crate::harness::{place, without_times};
use crate::servers::dns::DnsServer;
use crate::servers::tcp::LineServer;
use crate::servers::tls::closed_port;
use crate::servers::ws::WsServer;

/// Redis open to anyone, MongoDB reachable, a WebSocket endpoint that
/// refuses a token it does not know, DNS still on the old address: the
/// network items of a deployment checklist that are not met.
#[test]
fn network_checks_that_fail() {
    let redis = LineServer::redis_without_password();
    let mongo = LineServer::redis_with_password();
    let realtime = WsServer::new()
        .on_open(Message::text(r#"0{"sid":"x"}"#))
        .token("right-t0ken")
        .start();
    let dns = DnsServer::new()
        .a("api.example.com", "198.51.100.1")
        .start();
    let config = format!(
        r#"
[gates.redis-requires-auth]
name = "Redis password set"
section = "Redis"
tcp = {{ host = "127.0.0.1", port = {redis}, send = "PING\r\n", expect = {{ contains = "NOAUTH" }} }}

[gates.redis-not-public]
name = "Redis network access restricted"
section = "Redis"
tcp = {{ host = "127.0.0.1", port = {closed}, closed = true }}

[gates.mongo-not-public]
name = "MongoDB network access restricted"
section = "Database"
tcp = {{ host = "127.0.0.1", port = {mongo}, closed = true }}

[gates.realtime]
name = "WebSocket connections working"
section = "Verification"
ws = {{ url = "{ws}", headers = {{ Authorization = "Bearer ${{WS_TOKEN}}" }}, expect = {{ matches = '^0\{{"sid"' }} }}

[gates.dns-updated]
name = "DNS records updated"
section = "Verification"
dns = {{ name = "api.example.com", server = "{dns}", expect = {{ contains = "203.0.113.10" }} }}
"#,
        redis = redis.port(),
        closed = closed_port(),
        mongo = mongo.port(),
        ws = realtime.url("/socket.io/?EIO=4&transport=websocket"),
        dns = dns.address(),
    );
    let ports = [
        (redis.port(), "REDIS"),
        (mongo.port(), "MONGO"),
        (realtime.port(), "WS"),
        (dns.port(), "DNS"),
    ];
    let screen = |args: &[&str]| {
        let run = Test::new()
            .config(&config)
            .env("WS_TOKEN", "stale-t0ken")
            .args(args)
            .run()
            .code(1);
        let mut text = without_times(&run.stdout());
        for (port, name) in ports {
            text = text.replace(&port.to_string(), name);
        }
        text
    };
    let checklist = format!(
        r#"
Redis
  ✗ Redis password set (redis-requires-auth)              <time>
      failed: expected answer containing "NOAUTH", got "+PONG\r\n"
        --> gates.toml:{noauth}
      │ connected to 127.0.0.1:REDIS in <time>
      │ sent 6 bytes
      │ received 7 bytes (then nothing for <time>)
      │ +PONG
  ✓ Redis network access restricted (redis-not-public)    <time>

Database
  ✗ MongoDB network access restricted (mongo-not-public)  <time>
      failed: port MONGO on 127.0.0.1 is open (expected closed)
      │ connected to 127.0.0.1:MONGO in <time>

Verification
  ✗ WebSocket connections working (realtime)              <time>
      failed: WebSocket handshake with ws://127.0.0.1:WS/socket.io/?EIO=4&transport=websocket failed: expected status 101, got 401
      │ GET ws://127.0.0.1:WS/socket.io/?EIO=4&transport=websocket -> 401 Unauthorized
      │ unauthorized
  ✗ DNS records updated (dns-updated)                     <time>
      failed: A records 198.51.100.1 do not contain 203.0.113.10
        --> gates.toml:{new_address}
      │ A api.example.com @127.0.0.1:DNS -> 198.51.100.1 in <time>

FAIL: 5 gates in <time>: 1 passed, 4 failed
"#,
        noauth = place(&config, "\"NOAUTH\""),
        new_address = place(&config, "\"203.0.113.10\""),
    );
    let full = screen(&["--color", "never", "run"]);
    let (progress, rest) = full
        .split_once("\n\n")
        .expect("progress, then the checklist");
    let mut lines: Vec<&str> = progress.lines().map(|line| &line[6..]).collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "✓ passed    redis-not-public <time>",
            "✗ failed    dns-updated <time>",
            "✗ failed    mongo-not-public <time>",
            "✗ failed    realtime <time>",
            "✗ failed    redis-requires-auth <time>",
        ],
        "{full}"
    );
    assert_eq!(format!("\n{rest}"), checklist, "{full}");
    let quiet = checklist.replace(
        "  ✓ Redis network access restricted (redis-not-public)    <time>\n",
        "",
    );
    assert_eq!(screen(&["--color", "never", "run", "-q"]), quiet);
}
