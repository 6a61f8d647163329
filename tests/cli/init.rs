//! `gate init`: the templates it writes are valid and runnable, and it never
//! overwrites a file unless told to.

use serde_json::Value;

use crate::Test;

/// Writes `template` with `gate init` and returns the listing of the result
/// (`gate list --format json`), after `gate check` passed on it.
fn init_and_list(template: &str) -> Vec<Value> {
    let written = Test::new()
        .args(&["init", "--template", template])
        .run()
        .code(0)
        .stdout_has(&format!("wrote gates.toml ({template} template, "))
        .stdout_has("try: gate check && gate run --dry-run")
        .read("gates.toml");
    // No variables set: gate check only checks the syntax of ${...}.
    Test::new()
        .config(&written)
        .args(&["check"])
        .run()
        .code(0)
        .stdout_has("gates.toml: ok");
    let listed = Test::new()
        .config(&written)
        .args(&["list", "--format", "json"])
        .run()
        .code(0);
    listed.stdout_json().as_array().expect("an array").clone()
}

/// The kinds of `gates`, each once, sorted.
fn kinds(gates: &[Value]) -> Vec<String> {
    let mut kinds: Vec<String> = gates
        .iter()
        .map(|g| g["kind"].as_str().expect("a kind").to_owned())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

fn gate<'a>(gates: &'a [Value], id: &str) -> &'a Value {
    gates
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no gate {id} in {gates:?}"))
}

fn ids(gates: &[Value]) -> Vec<&str> {
    gates.iter().map(|g| g["id"].as_str().unwrap()).collect()
}

#[test]
fn the_default_template_is_generic_and_checks() {
    let gates = init_and_list("generic");
    assert_eq!(kinds(&gates), ["command", "http", "manual", "tls"]);
    assert_eq!(
        ids(&gates),
        ["tests", "lint", "health", "tls-cert", "sign-off"]
    );
    let run = Test::new().args(&["init"]).run().code(0);
    assert_eq!(
        run.stdout(),
        "wrote gates.toml (generic template, 5 gates); try: gate check && gate run --dry-run\n\
         note: set PUBLIC_HOST first: gate `tls-cert` reads it\n"
    );
    assert_eq!(run.stderr(), "");
}

#[test]
fn the_python_template_checks_and_has_its_gates() {
    let gates = init_and_list("python");
    assert_eq!(
        kinds(&gates),
        ["command", "dns", "http", "manual", "tls", "ws"]
    );
    for id in [
        "coverage",
        "flake8",
        "black",
        "isort",
        "bandit",
        "pip-audit",
        "migrations",
        "health",
        "admin-health",
        "security-headers",
        "https-redirect",
        "tls-cert",
        "rate-limit",
        "response-time",
        "cors",
        "websocket",
        "dns-records",
        "backups",
        "rollback-plan",
        "team-notified",
    ] {
        gate(&gates, id);
    }
    assert_eq!(
        gate(&gates, "coverage")["needs"],
        serde_json::json!(["migrations"])
    );
    assert_eq!(gate(&gates, "tls-cert")["kind"], "tls");
    assert_eq!(gate(&gates, "team-notified")["kind"], "manual");
    assert_eq!(gate(&gates, "team-notified")["section"], "Sign-off");
}

#[test]
fn the_node_template_checks_and_has_its_gates() {
    let gates = init_and_list("node");
    assert_eq!(
        kinds(&gates),
        ["command", "http", "manual", "tcp", "tls", "ws"]
    );
    for id in [
        "coverage",
        "npm-audit",
        "eslint",
        "build",
        "health",
        "security-headers",
        "https-redirect",
        "tls-cert",
        "rate-limit",
        "mongo-ping",
        "mongo-not-public",
        "redis-requires-auth",
        "redis-not-public",
        "realtime",
        "backups",
        "rollback-plan",
    ] {
        gate(&gates, id);
    }
    assert_eq!(gate(&gates, "redis-requires-auth")["kind"], "tcp");
    assert_eq!(gate(&gates, "realtime")["kind"], "ws");
}

#[test]
fn the_python_template_names_the_variables_it_needs() {
    Test::new()
        .args(&["init", "--template", "python"])
        .run()
        .code(0)
        .stdout_has(
            "note: set ADMIN_TOKEN first: gate `admin-health` reads it
",
        )
        .stdout_has(
            "note: set PUBLIC_IP first: gate `dns-records` reads it
",
        );
}

/// A placeholder host would be probed instead of failing: PUBLIC_HOST has
/// no default, and every template says so.
#[test]
fn every_template_names_public_host_as_a_variable_to_set() {
    for (template, id) in [
        ("generic", "tls-cert"),
        ("python", "security-headers"),
        ("node", "security-headers"),
    ] {
        Test::new()
            .args(&["init", "--template", template])
            .run()
            .code(0)
            .stdout_has(&format!(
                "note: set PUBLIC_HOST first: gate `{id}` reads it\n"
            ));
        dry_run(template, &[])
            .code(2)
            .stderr_has("error: variable `PUBLIC_HOST` is not set");
    }
}

/// `gate run --dry-run` on a freshly written template, with `env` set.
fn dry_run(template: &str, env: &[(&str, &str)]) -> crate::harness::Run {
    let written = Test::new()
        .args(&["init", "--template", template])
        .run()
        .code(0);
    let mut test = Test::new()
        .config(&written.read("gates.toml"))
        .args(&["run", "--dry-run"]);
    for (name, value) in env {
        test = test.env(name, value);
    }
    test.run()
}

#[test]
fn every_template_dry_runs_with_its_variables_set() {
    dry_run("generic", &[("PUBLIC_HOST", "shop.test")])
        .code(0)
        .stdout_has("would run 5 gates")
        .stdout_has("GET http://127.0.0.1:8080/health");
    dry_run(
        "python",
        &[
            ("ADMIN_TOKEN", "s3cr3t-token"),
            ("API_URL", "https://api.shop.test"),
            ("PUBLIC_HOST", "shop.test"),
            ("PUBLIC_IP", "203.0.113.10"),
            ("SMOKE_EMAIL", "smoke@shop.test"),
            ("SMOKE_PASSWORD", "sm0ke-passw0rd"),
            ("PROMETHEUS_URL", "http://prometheus.shop.test:9090"),
        ],
    )
    .code(0)
    .stdout_has("GET https://api.shop.test/api/admin/system/health")
    .stdout_has("GET http://shop.test/")
    .stdout_has("tls shop.test:443")
    .stdout_has("ws ws://127.0.0.1:8000/ws")
    .stdout_has("dns A shop.test\n")
    .stdout_has("coverage (after migrations)")
    .stdout_has("smoke-login (after health)  POST https://api.shop.test/api/auth/login")
    .stdout_has("uptime  GET http://prometheus.shop.test:9090/api/v1/query?query=")
    .stdout_lacks("s3cr3t-token")
    .stdout_lacks("sm0ke-passw0rd");
    dry_run("node", &[("PUBLIC_HOST", "shop.test")])
        .code(0)
        .stdout_has("tls shop.test:443")
        .stdout_has("npm audit --json")
        .stdout_has("tcp shop.test:27017, expected closed")
        .stdout_has("tcp 127.0.0.1:6379\n")
        .stdout_has("ws ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket");
}

#[test]
fn the_python_template_without_its_token_names_it() {
    let set = [
        ("PUBLIC_HOST", "shop.test"),
        ("SMOKE_EMAIL", "smoke@shop.test"),
        ("SMOKE_PASSWORD", "sm0ke-passw0rd"),
    ];
    dry_run("python", &set)
        .code(2)
        .stderr_has("ADMIN_TOKEN")
        .stderr_has("admin-health");
}

#[test]
fn the_ci_profile_selects_code_checks() {
    let written = Test::new()
        .args(&["init", "--template", "python"])
        .run()
        .code(0);
    // No token needed: the ci profile selects no probe.
    Test::new()
        .config(&written.read("gates.toml"))
        .args(&["run", "--dry-run", "--profile", "ci"])
        .run()
        .code(0)
        .stdout_has("flake8")
        .stdout_has("migrations")
        .stdout_lacks("admin-health");
}

#[test]
fn an_existing_file_is_not_overwritten() {
    let run = Test::new()
        .config("# mine\n")
        .args(&["init", "--template", "python"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is("error: gates.toml already exists\n  (hint: pass --force to overwrite it)\n");
    assert_eq!(run.read("gates.toml"), "# mine\n");
}

#[test]
fn force_overwrites_it() {
    let run = Test::new()
        .config("# mine\n")
        .args(&["init", "--force"])
        .run()
        .code(0)
        .stdout_has("wrote gates.toml (generic template");
    assert!(run.read("gates.toml").contains("[gates.health]"));
}

#[test]
fn a_path_argument_says_where() {
    let run = Test::new()
        .config("# another config, left alone\n")
        .args(&["init", "--template", "node", "deploy/gates.toml"])
        .run()
        .code(0)
        .stdout_has("wrote deploy/gates.toml (node template, ")
        .stdout_has(
            "try: gate -c deploy/gates.toml check && gate -c deploy/gates.toml run --dry-run",
        );
    assert_eq!(run.read("gates.toml"), "# another config, left alone\n");
    assert!(run.read("deploy/gates.toml").contains("[gates.mongo-ping]"));
    Test::new()
        .file("deploy/gates.toml", &run.read("deploy/gates.toml"))
        .args(&["-c", "deploy/gates.toml", "check"])
        .run()
        .code(0);
}

#[test]
fn the_config_flag_does_not_choose_the_path() {
    let run = Test::new()
        .args(&["-c", "other.toml", "init"])
        .run()
        .code(0);
    assert!(run.exists("gates.toml"));
    assert!(!run.exists("other.toml"));
}

#[test]
fn an_unknown_template_is_a_usage_error() {
    let run = Test::new()
        .args(&["init", "--template", "rust"])
        .run()
        .code(2)
        .stderr_has("invalid value 'rust'")
        .stderr_has("generic, python, node");
    assert!(!run.exists("gates.toml"));
}
