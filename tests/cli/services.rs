//! Services: `[services.NAME]` processes gate starts for the gates that use
//! them, waits for until ready, and stops (the whole process group) once
//! their last user has ended, at the latest when the run ends.

use serde_json::Value;

use crate::Test;
use crate::harness::{Run, assert_ended, assert_gone, assert_hidden, at, without_times};
use crate::servers::http::{HttpServer, Response};
use crate::servers::service::{command, free_port};

/// `text` as a TOML basic string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `[services.api]` running the service in `mode`, its pid in `service-pid`,
/// the signal that stopped it in `service-signal`, on `port`; `keys` are
/// added to the table (`ready = ...` among them).
fn api(mode: &str, port: u16, keys: &str) -> String {
    api_running(mode, port, &command(), keys)
}

/// As [`api`], with `run` as its command.
fn api_running(mode: &str, port: u16, run: &str, keys: &str) -> String {
    format!(
        "[services.api]\nrun = {run}\n\
         env = {{ GATE_TEST_SERVICE = \"{mode}\", SERVICE_PORT = \"{port}\", \
         SERVICE_PID_FILE = \"service-pid\", SERVICE_SIGNAL_FILE = \"service-signal\" }}\n\
         {keys}\n",
        run = quoted(run),
    )
}

/// `ready = { http = ... }` for a service on `port`.
fn ready_http(port: u16) -> String {
    format!("ready = {{ http = \"http://127.0.0.1:{port}/health\" }}")
}

/// `[gates.health]`: an http gate using `api` on `port`.
fn health(port: u16) -> String {
    format!(
        "[gates.health]\nservices = [\"api\"]\nhttp = {{ url = \"http://127.0.0.1:{port}/health\" }}\n"
    )
}

/// An http service on a free port and a gate probing it, plus `more`.
fn api_and_health(keys: &str, more: &str) -> (u16, String) {
    let port = free_port();
    let keys = format!("{}\n{keys}", ready_http(port));
    let config = format!("{}{}{more}", api("http", port, &keys), health(port));
    (port, config)
}

/// `gate run --format json ARGS` on `config`, expecting exit `code`.
#[track_caller]
fn run_json(config: &str, args: &[&str], code: i32) -> Run {
    Test::new()
        .config(config)
        .args(&["run", "--format", "json"])
        .args(args)
        .run()
        .code(code)
}

/// The report's `services` array.
#[track_caller]
fn services(run: &Run) -> Vec<Value> {
    let report = run.stdout_json();
    report["services"]
        .as_array()
        .unwrap_or_else(|| panic!("no services array\n{}", run.transcript()))
        .clone()
}

/// The report's one service entry, `api`.
#[track_caller]
fn the_service(run: &Run) -> Value {
    let services = services(run);
    assert_eq!(services.len(), 1, "{services:#?}");
    assert_eq!(services[0]["id"], "api", "{services:#?}");
    services[0].clone()
}

/// The pid the service wrote.
fn service_pid(run: &Run) -> i32 {
    run.read("service-pid").trim().parse().expect("a pid")
}

// --- starting, using and stopping ----------------------------------------------

#[test]
fn a_gate_passes_against_a_service_gate_started() {
    let (_, config) = api_and_health("", "");
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    let service = the_service(&run);
    assert_eq!(service["status"], "ready", "{service:#}");
    assert!(service["ready_ms"].is_u64(), "{service:#}");
    assert_eq!(service["reason"], Value::Null, "{service:#}");
    let output = service["output"].as_str().expect("output");
    assert!(output.contains("listening on"), "{service:#}");
}

#[test]
fn the_service_process_is_gone_after_gate_exits() {
    let (_, config) = api_and_health("", "");
    let run = run_json(&config, &[], 0);
    assert_gone(service_pid(&run));
}

#[test]
fn a_service_is_stopped_with_sigterm_by_default() {
    let (_, config) = api_and_health("", "");
    let run = run_json(&config, &[], 0);
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(&run));
}

#[test]
fn stop_signal_names_the_signal_that_stops_it() {
    let (_, config) = api_and_health("stop_signal = \"SIGINT\"", "");
    let run = run_json(&config, &[], 0);
    assert_eq!(run.read("service-signal"), "SIGINT");
    assert_gone(service_pid(&run));
}

/// A process the service started outside its process group is ended when
/// the service stops, and its output says so.
#[test]
fn what_a_service_left_outside_its_group_is_ended_and_named() {
    let port = free_port();
    let run = format!("setsid sleep 300 & echo $! > leftover-pid; {}", command());
    let config = format!(
        "{}{}",
        api_running("http", port, &run, &ready_http(port)),
        health(port)
    );
    let run = run_json(&config, &[], 0);
    let leftover: i32 = run.read("leftover-pid").trim().parse().expect("a pid");
    assert_gone(leftover);
    let service = the_service(&run);
    let output = service["output"].as_str().expect("output");
    let line = format!("gate ended 1 leftover process: sleep 300 (pid {leftover})");
    assert_eq!(output.lines().last(), Some(line.as_str()), "{service:#}");
}

#[test]
fn a_service_ignoring_sigterm_is_killed_after_kill_grace() {
    let port = free_port();
    let config = format!(
        "[settings]\nkill_grace = \"1s\"\n{}{}",
        api("stubborn", port, &ready_http(port)),
        health(port)
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
    assert_gone(service_pid(&run));
    // It never exits on its own: only SIGKILL ended it.
    assert!(!run.exists("service-signal"));
}

#[test]
fn a_service_used_by_two_gates_starts_once() {
    let port = free_port();
    let run = format!("echo started >> starts; {}", command());
    let config = format!(
        "{}{}[gates.again]\nservices = [\"api\"]\nhttp = {{ url = \"http://127.0.0.1:{port}/again\" }}\n",
        api_running("http", port, &run, &ready_http(port)),
        health(port)
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(run.gate("again")["status"], "passed");
    assert_eq!(run.read("starts"), "started\n");
}

#[test]
fn a_service_runs_in_its_cwd_relative_to_the_config() {
    // Ready once it has written where it runs.
    let config = "[services.api]\ncwd = \"backend\"\n\
                  run = \"pwd > ../service-cwd; echo up; exec sleep 30\"\nready = { log = \"^up$\" }\n\
                  [gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n";
    let run = Test::new()
        .config(config)
        .file("backend/.keep", "")
        .current_dir("elsewhere")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let expected = run.test.path().join("backend").canonicalize().unwrap();
    let seen = std::path::PathBuf::from(run.read("service-cwd").trim());
    assert_eq!(seen.canonicalize().unwrap(), expected);
}

#[test]
fn a_service_whose_cwd_does_not_exist_makes_its_users_error() {
    let config = "[services.api]\ncwd = \"missing\"\nrun = \"sleep 30\"\n\
                  [gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n";
    let run = run_json(config, &[], 1);
    let gate = run.gate("uses");
    assert_eq!(gate["status"], "error", "{gate:#}");
    let reason = gate["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("service api cannot start `sleep 30`: working directory \""),
        "{reason}"
    );
    assert!(reason.ends_with("missing\" does not exist"), "{reason}");
}

#[test]
fn ready_interpolates_variables() {
    let port = free_port();
    let keys = "ready = { tcp = \"127.0.0.1:${SERVICE_PORT}\" }\nready_timeout = \"5s\"";
    let config = format!("{}{}", api("http", port, keys), health(port));
    let run = Test::new()
        .config(&config)
        .env("SERVICE_PORT", &port.to_string())
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
}

// --- failures ------------------------------------------------------------------

/// A service that prints `boom` and exits 3 before it is ready, used by
/// `health` and `again`.
fn exits_early() -> String {
    let port = free_port();
    format!(
        "{}{}[gates.again]\nservices = [\"api\"]\nrun = \"touch again-ran\"\n",
        api("exit", port, &ready_http(port)),
        health(port)
    )
}

#[test]
fn a_service_that_exits_before_ready_makes_its_users_error() {
    let run = run_json(&exits_early(), &[], 1);
    let reason = "service api exited with status 3 before it was ready";
    assert_ended(&run.gate("health"), "error", reason);
    assert_ended(&run.gate("again"), "error", reason);
    assert!(!run.exists("again-ran"));
    let service = the_service(&run);
    assert_eq!(service["status"], "failed", "{service:#}");
    assert_eq!(service["reason"], reason, "{service:#}");
    assert_eq!(service["output"], "boom", "{service:#}");
}

#[test]
fn the_human_report_shows_why_a_service_failed_and_its_output() {
    Test::new()
        .config(&exits_early())
        .args(&["run"])
        .run()
        .code(1)
        .stdout_has("! service api failed: service api exited with status 3 before it was ready\n      │ boom\n");
}

#[test]
fn a_service_never_ready_in_time_makes_its_users_error_and_is_stopped() {
    let port = free_port();
    let keys = format!("{}\nready_timeout = \"1s\"", ready_http(port));
    let config = format!("{}{}", api("silent", port, &keys), health(port));
    let run = run_json(&config, &[], 1);
    assert_ended(
        &run.gate("health"),
        "error",
        "service api not ready after 1s",
    );
    let service = the_service(&run);
    assert_eq!(service["status"], "failed", "{service:#}");
    assert_eq!(service["reason"], "service api not ready after 1s");
    assert_eq!(service["output"], "starting", "{service:#}");
    assert_gone(service_pid(&run));
}

// --- ready checks --------------------------------------------------------------

/// An answer of 500 or more (a server still starting, or failing) is not
/// ready: its users must not run against it.
#[test]
fn ready_http_does_not_hold_on_a_5xx_answer() {
    let server = HttpServer::new()
        .route("/health", Response::status(503))
        .start();
    let config = format!(
        "[services.api]\nrun = \"sleep 30\"\nready_timeout = \"1s\"\nready = {{ http = \"{url}\" }}\n\
         [gates.health]\nservices = [\"api\"]\nrun = \"true\"\n",
        url = server.url("/health")
    );
    let run = run_json(&config, &[], 1);
    assert_ended(
        &run.gate("health"),
        "error",
        "service api not ready after 1s",
    );
    assert!(server.hits("/health") >= 2, "probed until the time was up");
}

/// A port that never opens is not ready.
#[test]
fn ready_tcp_does_not_hold_while_nothing_listens() {
    let port = free_port();
    let config = format!(
        "[services.api]\nrun = \"sleep 30\"\nready_timeout = \"1s\"\n\
         ready = {{ tcp = \"127.0.0.1:{port}\" }}\n\
         [gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n"
    );
    let run = run_json(&config, &[], 1);
    assert_ended(&run.gate("uses"), "error", "service api not ready after 1s");
}

#[test]
fn a_manual_gate_cannot_use_a_service() {
    let config = "[services.api]\nrun = \"serve\"\n\
                  [gates.signoff]\nmanual = true\nservices = [\"api\"]\n";
    let run = Test::new().config(config).args(&["check"]).run().code(2);
    assert!(
        run.stderr()
            .contains("gate `signoff` is manual: a person confirms it, so it uses no service"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr().contains("gates.toml:5:13"),
        "{}",
        run.transcript()
    );
}

#[test]
fn ready_log_holds_once_a_line_matches() {
    let config = format!(
        "{}[gates.uses]\nservices = [\"api\"]\nrun = \"kill -0 $(cat service-pid)\"\n",
        api("log", 0, "ready = { log = \"startup complete\" }")
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("uses")["status"], "passed");
    let service = the_service(&run);
    assert_eq!(service["status"], "ready", "{service:#}");
    assert_eq!(service["output"], "Application startup complete");
    assert_gone(service_pid(&run));
}

#[test]
fn ready_log_that_never_matches_fails_after_ready_timeout() {
    let config = format!(
        "{}[gates.uses]\nservices = [\"api\"]\nrun = \"touch uses-ran\"\n",
        api(
            "log",
            0,
            "ready = { log = \"^listening\" }\nready_timeout = \"1s\""
        )
    );
    let run = run_json(&config, &[], 1);
    assert_ended(&run.gate("uses"), "error", "service api not ready after 1s");
    assert!(!run.exists("uses-ran"));
    assert_eq!(the_service(&run)["status"], "failed");
    assert_gone(service_pid(&run));
}

#[test]
fn ready_tcp_holds_once_the_port_opens() {
    let port = free_port();
    let keys = format!("ready = {{ tcp = \"127.0.0.1:{port}\" }}");
    let config = format!("{}{}", api("http", port, &keys), health(port));
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
    assert_gone(service_pid(&run));
}

#[test]
fn without_ready_a_service_is_ready_once_started() {
    let config = format!(
        "{}[gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n",
        api("log", 0, "")
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("uses")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
}

// --- reuse -----------------------------------------------------------------------

#[test]
fn reuse_takes_a_server_already_up_and_starts_nothing() {
    let server = HttpServer::new()
        .route("/health", Response::ok("up"))
        .start();
    let config = format!(
        "[services.api]\nrun = \"touch started; exit 1\"\nready = {{ http = \"{url}\" }}\nreuse = true\n\
         [gates.health]\nservices = [\"api\"]\nhttp = {{ url = \"{url}\" }}\n",
        url = server.url("/health")
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    let service = the_service(&run);
    assert_eq!(service["status"], "reused", "{service:#}");
    assert!(!run.exists("started"), "the service's run ran");
    // One probe to find it up, one by the gate.
    assert!(server.hits("/health") >= 2);
}

/// Without `reuse`, a server already answering where the service should
/// is not the service: probing it would pass gates against the wrong one.
#[test]
fn without_reuse_a_port_someone_else_answers_fails_the_service() {
    let server = HttpServer::new()
        .route("/health", Response::ok("stale"))
        .start();
    let config = format!(
        "[services.api]\nrun = \"touch started; sleep 30\"\nready = {{ http = \"{url}\" }}\n\
         [gates.health]\nservices = [\"api\"]\nhttp = {{ url = \"{url}\" }}\n",
        url = server.url("/health")
    );
    let run = run_json(&config, &[], 1);
    let reason = format!(
        "service api: {} already answers before gate started it; stop what runs there, \
         or set reuse = true to use it",
        server.url("/health")
    );
    assert_ended(&run.gate("health"), "error", &reason);
    assert_eq!(the_service(&run)["status"], "failed");
    assert!(!run.exists("started"), "the service's run ran");
    assert_eq!(server.hits("/health"), 1, "only the check before starting");
}

/// Readiness is asked of the service itself, never of a proxy.
#[test]
fn readiness_never_goes_through_a_proxy() {
    let proxy = HttpServer::new().route("/", Response::status(403)).start();
    let port = free_port();
    let config = format!(
        "[services.api]\nrun = \"touch started; sleep 30\"\nready_timeout = \"1s\"\n\
         ready = {{ http = \"http://127.0.0.1:{port}/\" }}\n\
         [gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n"
    );
    let run = Test::new()
        .config(&config)
        .env("HTTP_PROXY", &proxy.url(""))
        .env("http_proxy", &proxy.url(""))
        .args(&["run", "--format", "json"])
        .run()
        .code(1);
    assert_ended(&run.gate("uses"), "error", "service api not ready after 1s");
    assert_eq!(proxy.requests().len(), 0, "the proxy was asked");
}

#[test]
fn reuse_takes_a_port_already_open() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = format!(
        "[services.api]\nrun = \"touch started; exit 1\"\nready = {{ tcp = \"127.0.0.1:{port}\" }}\nreuse = true\n\
         [gates.uses]\nservices = [\"api\"]\nrun = \"true\"\n"
    );
    let run = run_json(&config, &[], 0);
    assert_eq!(the_service(&run)["status"], "reused");
    assert!(!run.exists("started"), "the service's run ran");
}

#[test]
fn the_human_report_says_a_service_was_reused() {
    let server = HttpServer::new()
        .route("/health", Response::ok("up"))
        .start();
    let config = format!(
        "[services.api]\nrun = \"exit 1\"\nready = {{ http = \"{url}\" }}\nreuse = true\n\
         [gates.health]\nservices = [\"api\"]\nhttp = {{ url = \"{url}\" }}\n",
        url = server.url("/health")
    );
    Test::new()
        .config(&config)
        .args(&["run"])
        .run()
        .code(0)
        .stdout_has("✓ service api reused: it was already up\n");
}

#[test]
fn reuse_starts_the_service_when_nothing_is_up() {
    let (_, config) = api_and_health("reuse = true", "");
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(&run));
}

// --- needs and selection ---------------------------------------------------------

/// `api` needs `migrate` (which creates `migrated`) and starts only if it exists.
fn after_migrate(migrate: &str) -> String {
    let port = free_port();
    let run = format!("touch service-ran; test -f migrated && {}", command());
    format!(
        "[gates.migrate]\nrun = {}\n{}{}[gates.other]\nrun = \"true\"\n",
        quoted(migrate),
        api_running(
            "http",
            port,
            &run,
            &format!("needs = [\"migrate\"]\n{}", ready_http(port))
        ),
        health(port)
    )
}

#[test]
fn a_service_starts_after_its_needs_passed() {
    let run = run_json(&after_migrate("touch migrated"), &[], 0);
    assert_eq!(run.gate("migrate")["status"], "passed");
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(the_service(&run)["status"], "ready");
}

#[test]
fn the_needs_of_a_service_are_brought_into_the_selection() {
    let run = run_json(&after_migrate("touch migrated"), &["health"], 0);
    let mut ids = run.ids();
    ids.sort();
    assert_eq!(ids, ["health", "migrate"]);
    assert_eq!(run.gate("health")["status"], "passed");
}

#[test]
fn a_need_that_fails_skips_the_users_and_the_service_never_starts() {
    let run = run_json(&after_migrate("exit 1"), &[], 1);
    assert_eq!(run.gate("migrate")["status"], "failed");
    assert_ended(
        &run.gate("health"),
        "skipped",
        "service `api` needs `migrate`, which did not pass (failed)",
    );
    assert!(!run.exists("service-ran"), "the service started");
    assert_eq!(services(&run), Vec::<Value>::new());
}

#[test]
fn a_service_waits_for_the_needs_of_the_gate_using_it() {
    let port = free_port();
    let config = format!(
        "[gates.migrate]\nrun = \"exit 1\"\n{}\
         [gates.health]\nneeds = [\"migrate\"]\nservices = [\"api\"]\nhttp = {{ url = \"http://127.0.0.1:{port}/\" }}\n",
        api_running("http", port, "touch service-ran", &ready_http(port))
    );
    let run = run_json(&config, &[], 1);
    assert_ended(
        &run.gate("health"),
        "skipped",
        "needs `migrate`, which did not pass (failed)",
    );
    assert!(!run.exists("service-ran"), "the service started");
    assert_eq!(services(&run), Vec::<Value>::new());
}

#[test]
fn unused_services_never_start() {
    let run = run_json(&after_migrate("touch migrated"), &["other"], 0);
    assert_eq!(run.ids(), ["other"]);
    assert!(!run.exists("service-ran"), "the service started");
    assert_eq!(services(&run), Vec::<Value>::new());
}

#[test]
fn a_service_stops_once_its_last_user_ended_while_the_run_goes_on() {
    let later = "[gates.later]\nneeds = [\"health\"]\n\
         run = 'for i in $(seq 200); do kill -0 \"$(cat service-pid)\" 2>/dev/null || exit 0; sleep 0.05; done; exit 1'\n";
    let (_, config) = api_and_health("", later);
    let run = run_json(&config, &[], 0);
    assert_eq!(run.gate("health")["status"], "passed");
    assert_eq!(run.gate("later")["status"], "passed");
    assert_eq!(run.read("service-signal"), "SIGTERM");
}

// --- the run ending early --------------------------------------------------------

/// `health` uses the service and runs until stopped; `bad` fails once
/// `health` has started.
fn with_a_failure(settings: &str) -> String {
    let port = free_port();
    format!(
        "[settings]\nkill_grace = \"1s\"\n{settings}\n{}\
         [gates.health]\nservices = [\"api\"]\nrun = \"touch using; sleep 30\"\n\
         [gates.bad]\nrun = \"while [ ! -e using ]; do sleep 0.01; done; exit 1\"\n",
        api("http", port, &ready_http(port))
    )
}

#[track_caller]
fn assert_stopped_by_fail_fast(run: &Run) {
    assert_eq!(run.gate("bad")["status"], "failed");
    assert_eq!(run.gate("health")["status"], "cancelled");
    assert_eq!(the_service(run)["status"], "ready");
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(run));
}

#[test]
fn fail_fast_stops_the_service() {
    let run = run_json(&with_a_failure(""), &["-j", "2", "--fail-fast"], 1);
    assert_stopped_by_fail_fast(&run);
}

#[test]
fn fail_fast_in_settings_stops_the_service() {
    let run = run_json(&with_a_failure("fail_fast = true"), &["-j", "2"], 1);
    assert_stopped_by_fail_fast(&run);
}

/// Sends `signal` to gate while a gate uses the service; the run.
fn signalled_while_in_use(signal: libc::c_int) -> Run {
    let port = free_port();
    let config = format!(
        "[settings]\nkill_grace = \"1s\"\n{}\
         [gates.health]\nservices = [\"api\"]\nrun = \"touch using; sleep 30\"\n",
        api("http", port, &ready_http(port))
    );
    let gate = Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .spawn();
    gate.wait_for_file("using").signal(signal);
    gate.wait().code(130)
}

#[test]
fn an_interrupt_stops_the_service() {
    let run = signalled_while_in_use(libc::SIGINT);
    assert_eq!(run.gate("health")["status"], "cancelled");
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(&run));
}

#[test]
fn an_interrupt_while_a_service_is_starting_stops_it() {
    let port = free_port();
    let config = format!(
        "[settings]\nkill_grace = \"1s\"\n{}{}",
        api("silent", port, &ready_http(port)),
        health(port)
    );
    let gate = Test::new()
        .config(&config)
        .args(&["run", "--format", "json"])
        .spawn();
    gate.wait_for_file("service-pid").signal(libc::SIGINT);
    let run = gate.wait().code(130);
    assert_eq!(run.gate("health")["status"], "cancelled");
    assert_eq!(the_service(&run)["status"], "failed");
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(&run));
}

#[test]
fn sigterm_to_gate_stops_the_service() {
    let run = signalled_while_in_use(libc::SIGTERM);
    assert_eq!(run.read("service-signal"), "SIGTERM");
    assert_gone(service_pid(&run));
}

// --- secrets ---------------------------------------------------------------------

const TOKEN: &str = "tok-93c1e0a7f25b";

/// A service that prints `$API_TOKEN` and then serves.
fn printing_the_token(env: &str) -> String {
    let port = free_port();
    let run = format!("echo \"token is $API_TOKEN\"; {}", command());
    format!(
        "{env}{}{}",
        api_running("http", port, &run, &ready_http(port)),
        health(port)
    )
}

#[track_caller]
fn assert_token_masked(run: Run) {
    let run = run.code(0);
    let output = the_service(&run)["output"].as_str().unwrap().to_owned();
    assert!(output.contains("token is ***"), "{output}");
    assert_hidden(&run, TOKEN);
}

#[test]
fn a_secret_of_env_printed_by_a_service_is_masked() {
    let config = printing_the_token(&format!("[env]\nAPI_TOKEN = \"{TOKEN}\"\n"));
    assert_token_masked(
        Test::new()
            .config(&config)
            .args(&["run", "--format", "json"])
            .run(),
    );
}

#[test]
fn a_secret_of_the_environment_printed_by_a_service_is_masked() {
    assert_token_masked(
        Test::new()
            .config(&printing_the_token(""))
            .env("API_TOKEN", TOKEN)
            .args(&["run", "--format", "json"])
            .run(),
    );
}

// --- config errors -----------------------------------------------------------------

/// Asserts that `gate check` and `gate run` on `config` exit 2 with `error:
/// MESSAGE` at `place` first on stderr, running nothing.
#[track_caller]
fn config_fails(config: &str, message: &str, place: &str) {
    let head = format!("error: {message}\n --> {place}\n");
    for command in ["check", "run"] {
        let run = Test::new()
            .config(config)
            .args(&[command])
            .run()
            .code(2)
            .stdout_is("");
        assert!(
            run.stderr().starts_with(&head),
            "`gate {command}`: stderr does not start with\n{head}\n{}",
            run.transcript()
        );
        assert!(!run.exists("service-ran"));
    }
}

const A_SERVICE: &str = "[services.api]\nrun = \"touch service-ran\"\n";

#[test]
fn an_unknown_service_suggests_the_closest() {
    let config = format!("{A_SERVICE}[gates.health]\nservices = [\"apii\"]\nrun = \"true\"\n");
    config_fails(
        &config,
        "gate `health` uses `apii`, which is not a service; did you mean `api`?",
        &at(&config, "\"apii\""),
    );
}

#[test]
fn an_unknown_need_of_a_service_suggests_the_closest() {
    let config = "[services.api]\nrun = \"touch service-ran\"\nneeds = [\"migrat\"]\n\
                  [gates.migrate]\nrun = \"true\"\n\
                  [gates.health]\nservices = [\"api\"]\nrun = \"true\"\n";
    config_fails(
        config,
        "service `api` needs `migrat`, which is not a gate; did you mean `migrate`?",
        &at(config, "\"migrat\""),
    );
}

#[test]
fn reuse_needs_ready_http_or_tcp() {
    for ready in ["", "ready = { log = \"up\" }\n"] {
        let config = format!(
            "{A_SERVICE}{ready}reuse = true\n[gates.health]\nservices = [\"api\"]\nrun = \"true\"\n"
        );
        config_fails(
            &config,
            "`reuse = true` needs `ready.http` or `ready.tcp`: gate probes them to find a \
             service that already runs",
            &at(&config, "true\n[gates"),
        );
    }
}

#[test]
fn ready_needs_one_check() {
    let config =
        format!("{A_SERVICE}ready = {{}}\n[gates.health]\nservices = [\"api\"]\nrun = \"true\"\n");
    config_fails(
        &config,
        "`ready` needs one of `http`, `tcp` or `log`",
        &at(&config, "{}"),
    );
}

#[test]
fn ready_with_two_checks_is_an_error() {
    let config = format!(
        "{A_SERVICE}ready = {{ http = \"http://127.0.0.1:1/\", log = \"up\" }}\n\
         [gates.health]\nservices = [\"api\"]\nrun = \"true\"\n"
    );
    config_fails(
        &config,
        "`ready` has two checks (`http` and `log`): keep one",
        &at(&config, "{ http"),
    );
}

#[test]
fn an_unknown_stop_signal_suggests_the_closest() {
    let config = format!(
        "{A_SERVICE}stop_signal = \"SIGTERN\"\n[gates.health]\nservices = [\"api\"]\nrun = \"true\"\n"
    );
    config_fails(
        &config,
        "unknown stop_signal `SIGTERN`, did you mean `SIGTERM`?",
        &at(&config, "\"SIGTERN\""),
    );
}

#[test]
fn a_needs_cycle_through_a_service_is_an_error() {
    // Gate `a` waits for `api`, which waits for `a`.
    let config = "[services.api]\nrun = \"touch service-ran\"\nneeds = [\"a\"]\n\
                  [gates.a]\nservices = [\"api\"]\nrun = \"true\"\n";
    for command in ["check", "run"] {
        let run = Test::new()
            .config(config)
            .args(&[command])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_has("error: needs cycle: a -> ")
            .stderr_has(&format!(" --> {}\n", at(config, "a]")));
        assert!(!run.exists("service-ran"));
    }
}

// --- list and dry run ----------------------------------------------------------------

/// `api` used by `health` and `again`; `other` does not use it.
fn listed() -> String {
    let port = free_port();
    format!(
        "{}{}[gates.again]\nservices = [\"api\"]\nrun = \"true\"\n[gates.other]\nrun = \"true\"\n",
        api_running("http", port, "touch service-ran", &ready_http(port)),
        health(port)
    )
}

#[test]
fn gate_list_shows_services_and_the_gates_that_use_them() {
    let test = Test::new().config(&listed());
    let run = Test::new()
        .config(&listed())
        .args(&["list"])
        .run()
        .code(0)
        .stdout_is(
            "health  http     health  uses api\n\
             again   command  again  uses api\n\
             other   command  other\n\
             Services\n\
             \x20 api  `touch service-ran`  used by health, again\n",
        );
    assert!(!run.exists("service-ran"));
    let run = test.args(&["list", "--format", "json"]).run().code(0);
    let uses: Vec<(String, Value)> = run
        .stdout_json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|g| (g["id"].as_str().unwrap().to_owned(), g["services"].clone()))
        .collect();
    assert_eq!(
        uses,
        [
            ("health".to_owned(), serde_json::json!(["api"])),
            ("again".to_owned(), serde_json::json!(["api"])),
            ("other".to_owned(), serde_json::json!([])),
        ]
    );
}

#[test]
fn a_dry_run_shows_the_services_the_selection_starts() {
    let config = listed();
    let run = Test::new()
        .config(&config)
        .args(&["run", "--dry-run", "health"])
        .run()
        .code(0);
    let stdout = run.stdout();
    let url = config
        .split_once("url = \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .expect("the health url")
        .0;
    let (_, services) = stdout
        .split_once("\nServices\n")
        .unwrap_or_else(|| panic!("no Services block:\n{stdout}"));
    assert_eq!(
        services,
        format!("  api  `touch service-ran`, ready on {url}  used by health\n"),
        "{stdout}"
    );
    assert!(!run.exists("service-ran"));
    // A selection that uses no service starts none.
    let run = Test::new()
        .config(&config)
        .args(&["run", "--dry-run", "other"])
        .run()
        .code(0);
    assert!(!run.stdout().contains("Services"), "{}", run.stdout());
}

// --- a whole screen --------------------------------------------------------------------

#[test]
fn a_run_with_a_service_on_screen() {
    let port = free_port();
    let config = format!(
        "{}\
         [gates.migrate]\nname = \"Migrations applied\"\nsection = \"Database\"\nrun = \"true\"\n\
         [gates.health]\nname = \"API healthy\"\nsection = \"API\"\nneeds = [\"migrate\"]\nservices = [\"api\"]\n\
         http = {{ url = \"http://127.0.0.1:{port}/health\" }}\n",
        api(
            "http",
            port,
            &format!("needs = [\"migrate\"]\n{}", ready_http(port))
        ),
    );
    let run = Test::new()
        .config(&config)
        .args(&["--color", "never", "run", "-j", "1"])
        .run()
        .code(0);
    let screen = without_times(&run.stdout()).replace(&port.to_string(), "PORT");
    assert_eq!(
        screen,
        "[1/2] ✓ passed    migrate <time>\n\
         ✓ service api ready in <time>\n\
         [2/2] ✓ passed    health <time>\n\
         \n\
         Database\n\
         \x20 ✓ Migrations applied (migrate)  <time>\n\
         \n\
         API\n\
         \x20 ✓ API healthy (health)          <time>\n\
         \n\
         PASS: 2 gates in <time>: 2 passed\n",
        "{}",
        run.transcript()
    );
}
