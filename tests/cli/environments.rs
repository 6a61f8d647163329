//! Environments: `.env` files (`settings.env_file`, `--env-file`), the
//! variables of `[profiles.NAME.env]`, nested defaults, `settings.cwd`, the
//! passwords of URLs masked, and `gate check --strict`.

use serde_json::Value;

use crate::Test;
use crate::harness::{Run, assert_hidden_beside};
use crate::servers::http::{HttpServer, Response};

/// A gate that prints the variables it is given, and a `.env` beside it.
fn printing(run: &str, dotenv: &str) -> Test {
    Test::new()
        .config(&format!(
            "[settings]\nenv_file = [\".env\"]\n\n[gates.show]\nrun = '{run}'\n"
        ))
        .file(".env", dotenv)
}

/// `gate run --format json ARGS` of `test`, expecting exit `code`: the run
/// and the report's gate `id`.
#[track_caller]
fn run_json(test: Test, args: &[&str], id: &str, code: i32) -> (Run, Value) {
    let run = test
        .args(&["run", "--format", "json"])
        .args(args)
        .run()
        .code(code);
    let gate = run.gate(id);
    (run, gate)
}

/// The `output` of gate `show` when `test` runs with `args` and passes.
#[track_caller]
fn shown(test: Test, args: &[&str]) -> String {
    let (_, gate) = run_json(test, args, "show", 0);
    gate["output"].as_str().unwrap_or_default().to_owned()
}

// --- .env files -------------------------------------------------------------

#[test]
fn a_dotenv_file_is_read_in_dotenv_syntax() {
    let dotenv = "# the team's variables\n\
                  export GREETING=\"hello world\"   # a comment\n\
                  SINGLE='$HOME stays'\n\
                  MULTI=\"line one\nline two\"\n";
    let test = printing(
        r#"printf "%s|%s|%s" "$GREETING" "$SINGLE" "$MULTI""#,
        dotenv,
    );
    assert_eq!(
        shown(test, &[]),
        "hello world|$HOME stays|line one\nline two"
    );
}

#[test]
fn the_process_environment_wins_over_a_file_and_env_sees_both() {
    let config = "[settings]\nenv_file = [\".env\"]\n\
                  [env]\nJOINED = \"${FROM_FILE}+${BOTH}\"\n\
                  [gates.show]\nrun = 'echo \"$FROM_FILE $BOTH $JOINED\"'\n";
    let test = Test::new()
        .config(config)
        .file(".env", "FROM_FILE=file\nBOTH=file\n")
        .env("BOTH", "process");
    assert_eq!(shown(test, &[]), "file process file+process");
}

#[test]
fn env_beats_a_file_and_a_later_file_beats_an_earlier_one() {
    let config = "[settings]\nenv_file = [\".env\", \"local.env\"]\n\
                  [env]\nSET_BY_ENV = \"env\"\n\
                  [gates.show]\nrun = 'echo \"$A $B $C $SET_BY_ENV\"'\n";
    let test = Test::new()
        .config(config)
        .file(".env", "A=1\nB=1\nC=1\nSET_BY_ENV=file\n")
        .file("local.env", "B=2\nC=2\n")
        .file("ci.env", "C=3\n");
    assert_eq!(shown(test, &["--env-file", "ci.env"]), "1 2 3 env");
}

#[test]
fn a_settings_file_is_found_beside_the_config_from_another_directory() {
    let test = printing(r#"echo "$WHERE""#, "WHERE=\"beside the config\"\n").current_dir("sub/dir");
    assert_eq!(shown(test, &[]), "beside the config");
}

#[test]
fn a_missing_settings_file_is_skipped() {
    let config = "[settings]\nenv_file = [\"absent.env\"]\n[gates.ok]\nrun = \"true\"\n";
    let test = || Test::new().config(config);
    test().args(&["run"]).run().code(0);
    test()
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (1 gate)\n");
}

#[test]
fn a_missing_env_file_on_the_command_line_is_a_usage_error() {
    let config = "[gates.ran]\nrun = \"touch ran\"\n";
    let message =
        "error: cannot read env file absent.env: No such file or directory (os error 2)\n";
    for command in ["run", "check"] {
        let run = Test::new()
            .config(config)
            .args(&[command, "--env-file", "absent.env"])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_is(message);
        assert!(!run.exists("ran"), "a gate ran");
    }
}

#[test]
fn a_malformed_line_names_the_file_and_line_but_shows_no_value() {
    let dotenv = "A=1\n# fine\nADMIN_TOKEN=tok en-secret-value\n";
    for command in ["run", "check"] {
        printing("true", dotenv)
            .args(&[command])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_has("error: cannot read .env: line 3 is not `NAME=value` in dotenv syntax\n")
            .stderr_has(" --> .env:3:17\n")
            .stderr_lacks("en-secret-value");
    }
}

#[test]
fn a_file_that_is_not_utf8_names_the_line_and_column() {
    let test = printing("true", "");
    std::fs::write(test.path().join(".env"), b"A=1\nNAME=caf\xe9\n").unwrap();
    test.args(&["check"]).run().code(2).stdout_is("").stderr_is(
        "error: cannot read .env: line 2 is not UTF-8\n --> .env:2:9\n  \
             (hint: save the file as UTF-8)\n",
    );
}

#[test]
fn a_reference_dotenv_would_misread_is_an_error_at_its_place() {
    let refused = |dotenv: &str, expected: &str| {
        printing("touch ran", dotenv)
            .args(&["run"])
            .run()
            .code(2)
            .stdout_is("")
            .stderr_is(expected)
            .stderr_lacks("hunter22");
    };
    refused(
        "A=1\nDB_PASSWORD=\"${DB_PASSWORD:-hunter22}\"\n",
        "error: cannot read .env: `${DB_PASSWORD:-...}` has a default, which dotenv syntax \
         has not (the value would be empty)\n --> .env:2:14\n  (hint: give the default in \
         [env]: DB_PASSWORD = \"${DB_PASSWORD:-...}\")\n",
    );
    refused(
        "DB=x\nURL=postgresql://$DB_USER:hunter22@db\n",
        "error: cannot read .env: a `$NAME` with `_` in it is read up to the `_` in dotenv \
         syntax\n --> .env:2:18\n  (hint: write `${NAME}`; a literal `$` goes in single \
         quotes)\n",
    );
    let literal = "Q='${A:-x} $DB_USER'\nR=\"\\${A:-x}\"\n# ${A:-x} $DB_USER\nS=${DB_USER}\n";
    let test = printing(r#"printf "%s|%s|%s" "$Q" "$R" "$S""#, literal).env("DB_USER", "app");
    assert_eq!(shown(test, &[]), "${A:-x} $DB_USER|${A:-x}|app");
}

#[test]
fn a_secret_name_from_a_file_is_masked() {
    let secret = "tok-5f1e9a7c3b2d";
    let run = printing(
        r#"echo "token=$ADMIN_TOKEN"; exit 1"#,
        &format!("ADMIN_TOKEN={secret}\n"),
    )
    .args(&["run", "-v", "--json", "report.json"])
    .run()
    .code(1)
    .stdout_has("show | token=***\n");
    assert_eq!(
        run.read_json("report.json")["gates"][0]["output"],
        "token=***"
    );
    assert_hidden_beside(&run, secret, &[".env"]);
}

#[test]
fn a_secret_of_a_file_is_masked_even_when_the_environment_sets_its_name() {
    let run = printing(
        r#"cat .env; echo "$ADMIN_TOKEN"; exit 1"#,
        "ADMIN_TOKEN=tok-from-the-file\n",
    )
    .env("ADMIN_TOKEN", "tok-from-the-ci")
    .args(&["run", "-v", "--json", "report.json"])
    .run()
    .code(1)
    .stdout_has("show | ADMIN_TOKEN=***\nshow | ***\n");
    for secret in ["tok-from-the-file", "tok-from-the-ci"] {
        assert_hidden_beside(&run, secret, &[".env"]);
    }
}

// --- profiles ---------------------------------------------------------------

/// `[env]` and two profiles pointing `API_URL` at `staging` and `production`.
fn two_environments(staging: &HttpServer, production: &HttpServer) -> String {
    format!(
        "[settings]\nenv_file = [\".env\"]\n\
         [env]\nAPI_URL = \"${{API_URL:-http://127.0.0.1:1}}\"\n\
         [profiles.staging.env]\nAPI_URL = \"{}\"\n\
         [profiles.production.env]\nAPI_URL = \"{}\"\n\
         [gates.health]\nhttp = {{ url = \"${{API_URL}}/health\", headers = {{ Authorization = \"Bearer ${{ADMIN_TOKEN}}\" }} }}\n",
        staging.url(""),
        production.url("")
    )
}

#[test]
fn one_file_checks_staging_and_production() {
    let staging = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let production = HttpServer::new()
        .route("/health", Response::status(503))
        .start();
    let config = two_environments(&staging, &production);
    let test = || {
        Test::new()
            .config(&config)
            .file(".env", "ADMIN_TOKEN=tok-5f1e9a7c3b2d\n")
    };
    let (_, gate) = run_json(test(), &["-p", "staging"], "health", 0);
    assert_eq!(gate["status"], "passed");
    assert_eq!(
        (staging.hits("/health"), production.hits("/health")),
        (1, 0)
    );
    let (_, gate) = run_json(test(), &["-p", "production"], "health", 1);
    assert_eq!(gate["status"], "failed");
    assert_eq!(
        (staging.hits("/health"), production.hits("/health")),
        (1, 1)
    );
    let bearer = production.last_request("/health");
    assert_eq!(
        bearer.header("authorization"),
        Some("Bearer tok-5f1e9a7c3b2d")
    );
}

#[test]
fn the_dry_run_shows_the_effective_values_masked() {
    let staging = HttpServer::start(|_| Response::ok("ok"));
    let production = HttpServer::start(|_| Response::ok("ok"));
    let config = two_environments(&staging, &production);
    let run = Test::new()
        .config(&config)
        .file(".env", "ADMIN_TOKEN=tok-5f1e9a7c3b2d\n")
        .args(&["run", "-p", "staging", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("Environment\n  ADMIN_TOKEN=***  (.env)\n")
        .stdout_has(&format!(
            "  API_URL={}  ([profiles.staging.env] at gates.toml:6:11)\n",
            staging.url("")
        ))
        .stdout_lacks(&production.url(""));
    assert_hidden_beside(&run, "tok-5f1e9a7c3b2d", &[".env"]);
}

#[test]
fn a_profile_value_may_use_a_variable_of_env() {
    let config = "[env]\nDOMAIN = \"example.com\"\nHEALTH = \"${API_URL:-none}/health\"\n\
                  [profiles.staging.env]\nAPI_URL = \"https://staging.${DOMAIN}\"\n\
                  [gates.show]\nrun = 'echo \"$API_URL $HEALTH\"'\n";
    let test = Test::new().config(config);
    assert_eq!(
        shown(test, &["-p", "staging"]),
        "https://staging.example.com https://staging.example.com/health"
    );
}

// --- nested defaults ----------------------------------------------------------

#[test]
fn a_nested_default_is_resolved() {
    let server = HttpServer::new()
        .route("/health", Response::ok("ok"))
        .start();
    let port = server.url("").rsplit(':').next().unwrap().to_owned();
    let config = "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:${API_PORT:-1}}\"\n\
                  [gates.health]\nhttp = { url = \"${API_URL}/health\" }\n";
    let test = Test::new().config(config).env("API_PORT", &port);
    let (_, gate) = run_json(test, &[], "health", 0);
    assert_eq!(gate["status"], "passed");
    assert_eq!(server.hits("/health"), 1);
}

#[test]
fn an_unset_variable_in_a_default_is_reported_where_it_is_written() {
    let config = "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:${API_PORT}}\"\n\
                  [gates.health]\nhttp = { url = \"${API_URL}/health\" }\n";
    let expected = "error: variable `API_PORT` is not set (needed by [env]); set it, or give a \
                    default: ${API_PORT:-value}\n --> gates.toml:2:11\n  |\n\
                    2 | API_URL = \"${API_URL:-http://127.0.0.1:${API_PORT}}\"\n  \
                    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n";
    for run in refused_before_running(config) {
        run.stdout_is("").stderr_is(expected);
    }
}

/// `gate run` and `gate check --strict` of `config`, both refusing it
/// (exit 2) before anything runs.
#[track_caller]
fn refused_before_running(config: &str) -> [Run; 2] {
    [&["run"][..], &["check", "--strict"]]
        .map(|command| Test::new().config(config).args(command).run().code(2))
}

#[test]
fn a_bad_value_made_of_a_variable_says_where_the_variable_is_set() {
    let config = "[env]\nAPI_PORT = \"${API_PORT:-80a}\"\n\
                  [gates.api]\ntcp = { host = \"127.0.0.1\", port = \"${API_PORT}\" }\n";
    for run in refused_before_running(config) {
        run.stderr_has("error: invalid port `80a`: expected 1 to 65535\n --> gates.toml:4:36\n")
            .stderr_has("  = help: `API_PORT` is set in [env] at gates.toml:2:12\n");
    }
}

// --- settings.cwd -------------------------------------------------------------

#[test]
fn settings_cwd_is_where_gates_and_services_without_cwd_run() {
    let config = "[settings]\ncwd = \"${APP_DIR:-backend}\"\n\
                  [services.api]\nrun = \"echo \\\"service in $(pwd)\\\"; echo up; exec sleep 30\"\n\
                  ready = { log = \"^up$\" }\n\
                  [gates.default]\nservices = [\"api\"]\nrun = \"pwd\"\n\
                  [gates.own]\ncwd = \"other\"\nrun = \"pwd\"\n";
    let run = Test::new()
        .config(config)
        .file("backend/.keep", "")
        .file("other/.keep", "")
        .current_dir("elsewhere")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    let root = run.test.path().canonicalize().unwrap();
    let dir_of = |output: &str| {
        let path = output.trim().rsplit(' ').next().unwrap().to_owned();
        std::path::PathBuf::from(path).canonicalize().unwrap()
    };
    let output = |id: &str| run.gate(id)["output"].as_str().unwrap().to_owned();
    assert_eq!(dir_of(&output("default")), root.join("backend"));
    assert_eq!(dir_of(&output("own")), root.join("other"));
    let service = run.stdout_json()["services"][0]["output"].clone();
    let first_line = service.as_str().unwrap().lines().next().unwrap().to_owned();
    assert_eq!(dir_of(&first_line), root.join("backend"));
}

// --- passwords in URLs ----------------------------------------------------------

const DB_PASSWORD: &str = "Sup3rS3cretPw";
const PROBE_PASSWORD: &str = "L1teralProbePw";

/// A gate that prints `DATABASE_URL` (from `.env`, a name that says nothing
/// of a secret) and the bare password it holds, and a probe whose URL
/// carries credentials in gates.toml itself; both fail.
fn credentials(server: &HttpServer) -> Test {
    let address = server.url("").trim_start_matches("http://").to_owned();
    let config = format!(
        "[settings]\nenv_file = [\".env\"]\n\
         [gates.database]\nname = \"Database reachable\"\n\
         run = 'echo \"connecting to $DATABASE_URL\"; echo \"$DATABASE_URL\" | sed \"s|.*:\\(.*\\)@.*|\\1|\"; exit 1'\n\
         [gates.probe]\nhttp = {{ url = \"http://probe:{PROBE_PASSWORD}@{address}/health\" }}\n"
    );
    Test::new().config(&config).file(
        ".env",
        &format!("DATABASE_URL=postgresql://app:{DB_PASSWORD}@127.0.0.1:5432/app\n"),
    )
}

#[test]
fn a_url_password_is_in_no_output_and_no_report() {
    let server = HttpServer::start(|_| Response::status(503));
    let test = credentials(&server).env("GITHUB_ACTIONS", "true");
    let summary = test.path().join("summary.md").display().to_string();
    let run = test
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(&["run", "-v", "--json", "report.json", "--junit", "junit.xml"])
        .args(&["--markdown", "checklist.md"])
        .run()
        .code(1)
        .stdout_has("database | connecting to postgresql://app:***@127.0.0.1:5432/app\n")
        .stdout_has("database | ***\n")
        .stdout_has("http://probe:***@127.0.0.1:");
    let report = run.read_json("report.json");
    let probe = &report["gates"][1];
    assert_eq!(probe["status"], "failed", "{probe:#}");
    assert!(probe["output"].as_str().unwrap().contains("probe:***@"));
    assert!(
        run.read("junit.xml")
            .contains("connecting to postgresql://app:***@")
    );
    assert!(run.read("summary.md").contains("Database reachable"));
    for password in [DB_PASSWORD, PROBE_PASSWORD] {
        assert_hidden_beside(&run, password, &[".env"]);
    }
}

#[test]
fn a_url_password_is_masked_in_the_dry_run_and_in_errors() {
    let server = HttpServer::start(|_| Response::ok("ok"));
    let run = credentials(&server)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("DATABASE_URL=postgresql://app:***@127.0.0.1:5432/app  (.env)\n")
        .stdout_has("http://probe:***@");
    for password in [DB_PASSWORD, PROBE_PASSWORD] {
        assert_hidden_beside(&run, password, &[".env"]);
    }
    let config = format!(
        "[gates.probe]\nhttp = {{ url = \"http://probe:{PROBE_PASSWORD}@h/\", method = 5 }}\n"
    );
    Test::new()
        .config(&config)
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("http://probe:***@h/")
        .stderr_lacks(PROBE_PASSWORD);
}

#[test]
fn a_url_password_with_quotes_or_angle_brackets_is_masked() {
    let password = "Pw<x>'q\"9";
    let dotenv = "DATABASE_URL=\"postgresql://app:Pw<x>'q\\\"9@db:5432/app\"\n";
    let test = printing(r#"echo "$DATABASE_URL"; exit 1"#, dotenv);
    let run = test
        .args(&["run", "-v", "--junit", "junit.xml"])
        .run()
        .code(1)
        .stdout_has("show | postgresql://app:***@db:5432/app\n");
    assert_hidden_beside(&run, password, &[".env"]);
    let dry_run = printing("true", dotenv)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("DATABASE_URL=postgresql://app:***@db:5432/app  (.env)\n");
    assert_hidden_beside(&dry_run, password, &[".env"]);
}

#[test]
fn a_url_password_that_is_its_user_name_is_masked_in_the_url_only() {
    let dotenv = "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/app\n";
    let run = printing(r#"echo "$DATABASE_URL as postgres""#, dotenv);
    assert_eq!(
        shown(run, &[]),
        "postgresql://postgres:***@localhost:5432/app as postgres"
    );
    printing("true", dotenv)
        .args(&["run", "--dry-run"])
        .run()
        .code(0)
        .stdout_has("DATABASE_URL=postgresql://postgres:***@localhost:5432/app  (.env)\n");
}

// --- gate check --strict ------------------------------------------------------

/// A probe that needs `ADMIN_TOKEN`, and a gate that needs nothing.
const NEEDS_A_TOKEN: &str = "[gates.admin]\n\
    http = { url = \"http://127.0.0.1:1/admin\", headers = { Authorization = \"Bearer ${ADMIN_TOKEN}\" } }\n\
    [gates.lint]\nrun = \"touch ran\"\n";

#[test]
fn check_passes_but_check_strict_names_an_unset_variable() {
    let test = || Test::new().config(NEEDS_A_TOKEN);
    test()
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (2 gates)\n");
    let strict = test()
        .args(&["check", "--strict"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: variable `ADMIN_TOKEN` is not set (needed by gate `admin`)");
    assert!(!strict.exists("ran"), "check ran a gate");
    let run = test().args(&["run"]).run().code(2);
    assert_eq!(
        strict.stderr(),
        run.stderr(),
        "the same message as gate run"
    );
}

#[test]
fn check_strict_resolves_the_selected_gates_and_prints_no_value() {
    Test::new()
        .config(NEEDS_A_TOKEN)
        .args(&["check", "--strict", "lint"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (2 gates, strict: 1 gate resolved)\n");
    let run = Test::new()
        .config(NEEDS_A_TOKEN)
        .file("admin.env", "ADMIN_TOKEN=tok-5f1e9a7c3b2d\n")
        .args(&["check", "--strict", "--env-file", "admin.env"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (2 gates, strict: 2 gates resolved)\n")
        .stderr_is("");
    assert!(!run.exists("ran"), "check ran a gate");
    assert_hidden_beside(&run, "tok-5f1e9a7c3b2d", &["admin.env"]);
}

#[test]
fn check_strict_uses_the_profile_variables() {
    let config =
        format!("[profiles.ci.env]\nADMIN_TOKEN = \"${{CI_TOKEN:-none}}\"\n{NEEDS_A_TOKEN}");
    let test = || Test::new().config(&config);
    test().args(&["check", "--strict"]).run().code(2);
    test()
        .args(&["check", "--strict", "-p", "ci"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (2 gates, strict: 2 gates resolved)\n");
}
