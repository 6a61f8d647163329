//! Config errors and finding the config: every error exits 2 before anything
//! runs, and its message names file:line:column, what is wrong and the
//! closest valid word.

use crate::Test;
use crate::harness::check_fails;

// --- what is wrong, and where -------------------------------------------
#[test]
fn bad_toml_names_line_and_column() {
    check_fails(
        "[gates.lint]\nrun = \"cargo clippy\"\n[gates.test\nrun = \"cargo test\"\n",
        r#"error: unclosed table, expected `]`
 --> gates.toml:3:12
  |
3 | [gates.test
  |            ^"#,
    );
}

#[test]
fn a_wrong_type_names_the_value() {
    check_fails(
        "[gates.lint]\nrun = 5\n",
        r#"error: invalid type: integer `5`, expected a string
 --> gates.toml:2:7
  |
2 | run = 5
  |       ^"#,
    );
}

#[test]
fn unknown_key_in_a_gate_suggests_the_closest() {
    check_fails(
        "[gates.lint]\nrun = \"cargo clippy\"\ntimout = \"5s\"\n",
        r#"error: unknown key `timout`, did you mean `timeout`?
 --> gates.toml:3:1
  |
3 | timout = "5s"
  | ^^^^^^"#,
    );
}

#[test]
fn unknown_key_in_settings_suggests_the_closest() {
    check_fails(
        "[settings]\nconcurency = 4\n",
        r#"error: unknown key `concurency`, did you mean `concurrency`?
 --> gates.toml:2:1
  |
2 | concurency = 4
  | ^^^^^^^^^^"#,
    );
}

#[test]
fn unknown_key_with_nothing_close_lists_the_valid_keys() {
    check_fails(
        "[settings]\nfoo = 1\n",
        r#"error: unknown key `foo` (expected one of `concurrency`, `timeout`, `shell`, `fail_fast`, `output_lines`, `kill_grace`, `redact`, `require_manual`, `notify`, `env_file`, `cwd`)
 --> gates.toml:2:1
  |
2 | foo = 1
  | ^^^"#,
    );
}

#[test]
fn unknown_top_level_table_suggests_the_closest() {
    check_fails(
        "[gate.lint]\nrun = \"cargo clippy\"\n",
        r#"error: unknown key `gate`, did you mean `gates`?
 --> gates.toml:1:2
  |
1 | [gate.lint]
  |  ^^^^"#,
    );
}

#[test]
fn unknown_key_in_a_profile_suggests_the_closest() {
    check_fails(
        "[profiles.ci]\nskiptags = [\"slow\"]\n",
        r#"error: unknown key `skiptags`, did you mean `skip_tags`?
 --> gates.toml:2:1
  |
2 | skiptags = ["slow"]
  | ^^^^^^^^"#,
    );
}

#[test]
fn bad_severity_suggests_block() {
    check_fails(
        "[gates.lint]\nrun = \"cargo clippy\"\nseverity = \"blok\"\n",
        r#"error: unknown severity `blok`, did you mean `block`?
 --> gates.toml:3:12
  |
3 | severity = "blok"
  |            ^^^^^^"#,
    );
}

#[test]
fn bad_duration_shows_the_accepted_forms() {
    check_fails(
        "[gates.lint]\nrun = \"cargo clippy\"\ntimeout = \"5 mins\"\n",
        r#"error: invalid duration `5 mins`: expected an integer and a unit, like `500ms`, `30s`, `5m` or `1h30m`
 --> gates.toml:3:11
  |
3 | timeout = "5 mins"
  |           ^^^^^^^^"#,
    );
}

#[test]
fn zero_timeout_is_rejected() {
    check_fails(
        "[gates.lint]\nrun = \"cargo clippy\"\ntimeout = \"0s\"\n",
        r#"error: invalid timeout `0s`: it must be greater than zero
 --> gates.toml:3:11
  |
3 | timeout = "0s"
  |           ^^^^"#,
    );
}

#[test]
fn uppercase_gate_id_is_rejected() {
    check_fails(
        "[gates.Foo]\nrun = \"true\"\n",
        r#"error: invalid gate id `Foo`: ids are lowercase letters, digits, `-` and `_`, starting with a letter or digit
 --> gates.toml:1:8
  |
1 | [gates.Foo]
  |        ^^^"#,
    );
}

#[test]
fn gate_id_starting_with_a_dash_is_rejected() {
    check_fails(
        "[gates.-lint]\nrun = \"true\"\n",
        r#"error: invalid gate id `-lint`: ids are lowercase letters, digits, `-` and `_`, starting with a letter or digit
 --> gates.toml:1:8
  |
1 | [gates.-lint]
  |        ^^^^^"#,
    );
}

#[test]
fn a_gate_with_no_check() {
    check_fails(
        "[gates.lint]\nname = \"Linted\"\n",
        r#"error: gate `lint` has no check: give it one of `run`, `http`, `tls`, `tcp`, `ws`, `dns` or `manual = true`
 --> gates.toml:1:8
  |
1 | [gates.lint]
  |        ^^^^"#,
    );
}

#[test]
fn manual_false_is_no_check() {
    check_fails(
        "[gates.signoff]\nmanual = false\n",
        r#"error: gate `signoff` has no check: give it one of `run`, `http`, `tls`, `tcp`, `ws`, `dns` or `manual = true`
 --> gates.toml:1:8
  |
1 | [gates.signoff]
  |        ^^^^^^^"#,
    );
}

#[test]
fn a_gate_with_two_checks() {
    check_fails(
        "[gates.signoff]\nrun = \"true\"\nmanual = true\n",
        r#"error: gate `signoff` has two checks (`run` and `manual`): keep one
 --> gates.toml:1:8
  |
1 | [gates.signoff]
  |        ^^^^^^^"#,
    );
}

#[test]
fn needs_naming_an_unknown_gate_suggests_the_closest() {
    check_fails(
        "[gates.migrations]\nrun = \"true\"\n\n[gates.deploy]\nrun = \"true\"\nneeds = [\"migratoins\"]\n",
        r#"error: gate `deploy` needs `migratoins`, which is not a gate; did you mean `migrations`?
 --> gates.toml:6:10
  |
6 | needs = ["migratoins"]
  |          ^^^^^^^^^^^^"#,
    );
}

#[test]
fn needs_naming_nothing_close() {
    check_fails(
        "[gates.deploy]\nrun = \"true\"\nneeds = [\"lint\"]\n",
        r#"error: gate `deploy` needs `lint`, which is not a gate
 --> gates.toml:3:10
  |
3 | needs = ["lint"]
  |          ^^^^^^"#,
    );
}

#[test]
fn a_gate_listed_twice_in_needs() {
    check_fails(
        "[gates.build]\nrun = \"true\"\n\n[gates.deploy]\nrun = \"true\"\nneeds = [\"build\", \"build\"]\n",
        r#"error: `build` is listed twice in `needs`
 --> gates.toml:6:19
  |
6 | needs = ["build", "build"]
  |                   ^^^^^^^"#,
    );
}

#[test]
fn a_gate_listed_twice_in_after() {
    check_fails(
        "[gates.probe]\nrun = \"true\"\n\n[gates.logs]\nrun = \"true\"\nafter = [\"probe\", \"probe\"]\n",
        r#"error: `probe` is listed twice in `after`
 --> gates.toml:6:19
  |
6 | after = ["probe", "probe"]
  |                   ^^^^^^^"#,
    );
}

#[test]
fn a_service_listed_twice_in_services() {
    check_fails(
        "[services.db]\nrun = \"serve\"\n\n[gates.migrate]\nrun = \"true\"\nservices = [\"db\", \"db\"]\n",
        r#"error: `db` is listed twice in `services`
 --> gates.toml:6:19
  |
6 | services = ["db", "db"]
  |                   ^^^^"#,
    );
}

#[test]
fn a_tag_listed_twice_in_tags() {
    check_fails(
        "[gates.lint]\nrun = \"true\"\ntags = [\"ci\", \"fast\", \"ci\"]\n",
        r#"error: `ci` is listed twice in `tags`
 --> gates.toml:3:23
  |
3 | tags = ["ci", "fast", "ci"]
  |                       ^^^^"#,
    );
}

#[test]
fn a_program_listed_twice_in_requires() {
    check_fails(
        "[gates.test]\nrun = \"pytest\"\nrequires = [\"pytest\", \"pytest\", \"pytest\"]\n",
        r#"error: `pytest` is listed twice in `requires`
 --> gates.toml:3:23
  |
3 | requires = ["pytest", "pytest", "pytest"]
  |                       ^^^^^^^^"#,
    );
}

#[test]
fn a_name_listed_twice_stops_gate_run_before_anything_runs() {
    let run = Test::new()
        .config(
            "[gates.touch]\nrun = \"touch ran.txt\"\n\n\
             [gates.lint]\nrun = \"true\"\nneeds = [\"touch\", \"touch\"]\n",
        )
        .args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: `touch` is listed twice in `needs`\n --> gates.toml:6:19\n");
    assert!(
        !run.exists("ran.txt"),
        "a gate ran despite the config error"
    );
}

#[test]
fn a_needs_cycle_is_printed_as_a_path() {
    check_fails(
        "[gates.a]\nrun = \"true\"\nneeds = [\"b\"]\n\n[gates.b]\nrun = \"true\"\nneeds = [\"a\"]\n",
        r#"error: needs cycle: a -> b -> a
 --> gates.toml:1:8
  |
1 | [gates.a]
  |        ^
  = help: remove one of these `needs` so the gates can run in some order"#,
    );
}

#[test]
fn a_longer_cycle_reached_through_another_gate() {
    check_fails(
        "[gates.deploy]\nrun = \"true\"\nneeds = [\"build\"]\n\
         [gates.build]\nrun = \"true\"\nneeds = [\"test\"]\n\
         [gates.test]\nrun = \"true\"\nneeds = [\"build\"]\n",
        r#"error: needs cycle: build -> test -> build
 --> gates.toml:4:8
  |
4 | [gates.build]
  |        ^^^^^
  = help: remove one of these `needs` so the gates can run in some order"#,
    );
}

#[test]
fn a_gate_needing_itself_is_a_cycle() {
    check_fails(
        "[gates.lint]\nrun = \"true\"\nneeds = [\"lint\"]\n",
        r#"error: needs cycle: lint -> lint
 --> gates.toml:1:8
  |
1 | [gates.lint]
  |        ^^^^
  = help: remove one of these `needs` so the gates can run in some order"#,
    );
}

#[test]
fn unsupported_version() {
    check_fails(
        "version = 2\n\n[gates.lint]\nrun = \"true\"\n",
        r#"error: unsupported config version 2 (this gate reads version 1)
 --> gates.toml:1:11
  |
1 | version = 2
  |           ^"#,
    );
}

#[test]
fn version_one_is_accepted() {
    Test::new()
        .config("version = 1\n\n[gates.lint]\nrun = \"true\"\n")
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (1 gate)\n");
}

#[test]
fn unterminated_interpolation_in_env() {
    check_fails(
        "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:8000\"\n",
        r#"error: unterminated `${`: add a closing `}`
 --> gates.toml:2:11
  |
2 | API_URL = "${API_URL:-http://127.0.0.1:8000"
  |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn unterminated_interpolation_in_a_gate_cwd() {
    check_fails(
        "[gates.lint]\nrun = \"true\"\ncwd = \"${DIR\"\n",
        r#"error: unterminated `${`: add a closing `}`
 --> gates.toml:3:7
  |
3 | cwd = "${DIR"
  |       ^^^^^^^"#,
    );
}

#[test]
fn zero_concurrency_is_rejected() {
    check_fails(
        "[settings]\nconcurrency = 0\n",
        r#"error: invalid concurrency 0: it must be at least 1
 --> gates.toml:2:15
  |
2 | concurrency = 0
  |               ^"#,
    );
}

#[test]
fn zero_concurrency_in_a_profile_is_rejected() {
    check_fails(
        "[profiles.ci]\nconcurrency = 0\n",
        r#"error: invalid concurrency 0: it must be at least 1
 --> gates.toml:2:15
  |
2 | concurrency = 0
  |               ^"#,
    );
}

#[test]
fn the_gutter_widens_for_two_digit_lines() {
    let mut toml = String::from("[gates.lint]\nrun = \"true\"\n");
    toml.push_str(&"# padding\n".repeat(8));
    toml.push_str("retires = 2\n");
    check_fails(
        &toml,
        r#"error: unknown key `retires`, did you mean `retries`?
  --> gates.toml:11:1
   |
11 | retires = 2
   | ^^^^^^^"#,
    );
}

#[test]
fn a_gate_defined_twice() {
    check_fails(
        "[gates.lint]\nrun = \"true\"\n\n[gates.lint]\nrun = \"false\"\n",
        r#"error: duplicate key
 --> gates.toml:4:8
  |
4 | [gates.lint]
  |        ^^^^"#,
    );
}

#[test]
fn a_config_error_stops_gate_run_before_anything_runs() {
    let run = Test::new()
        .config("[gates.touch]\nrun = \"touch ran.txt\"\n\n[gates.lint]\nrun = \"true\"\ntimout = \"5s\"\n")
        .args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: unknown key `timout`, did you mean `timeout`?\n --> gates.toml:6:1\n");
    assert!(
        !run.exists("ran.txt"),
        "a gate ran despite the config error"
    );
}

#[test]
fn a_config_error_is_reported_by_gate_list_too() {
    Test::new()
        .config("[gates.lint]\nrun = \"true\"\nseverity = \"fatal\"\n")
        .args(&["list"])
        .run()
        .code(2)
        .stderr_has(
            "error: unknown severity `fatal` (expected one of `block`, `warn`)\n --> gates.toml:3:12\n",
        );
}

// --- missing variables ----------------------------------------------------

#[test]
fn unset_variable_in_env_fails_even_for_an_unrelated_gate() {
    let run = Test::new()
        .config(
            "[env]\nURL = \"${API_URL}\"\n\n[gates.touch]\nrun = \"touch ran.txt\"\n\n[gates.other]\nrun = \"true\"\n",
        )
        .args(&["run", "touch"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(
            r#"error: variable `API_URL` is not set (needed by [env]); set it, or give a default: ${API_URL:-value}
 --> gates.toml:2:7
  |
2 | URL = "${API_URL}"
  |       ^^^^^^^^^^^^
"#,
        );
    assert!(
        !run.exists("ran.txt"),
        "a gate ran despite the missing variable"
    );
}

#[test]
fn unset_variable_in_a_selected_gate_env_names_variable_and_gate() {
    let run = Test::new()
        .config(
            "[gates.touch]\nrun = \"touch ran.txt\"\n\n[gates.smoke]\nrun = \"true\"\nenv = { TOKEN = \"${SMOKE_TOKEN}\" }\n",
        )
        .args(&["run"])
        .run()
        .code(2)
        .stderr_is(
            r#"error: variable `SMOKE_TOKEN` is not set (needed by gate `smoke`); set it, or give a default: ${SMOKE_TOKEN:-value}
 --> gates.toml:6:17
  |
6 | env = { TOKEN = "${SMOKE_TOKEN}" }
  |                 ^^^^^^^^^^^^^^^^
"#,
        );
    assert!(
        !run.exists("ran.txt"),
        "a gate ran despite the missing variable"
    );
}

#[test]
fn unset_variable_in_a_selected_gate_cwd_names_variable_and_gate() {
    Test::new()
        .config("[gates.build]\nrun = \"true\"\ncwd = \"${APP_DIR}/backend\"\n")
        .args(&["run", "build"])
        .run()
        .code(2)
        .stderr_is(
            r#"error: variable `APP_DIR` is not set (needed by gate `build`); set it, or give a default: ${APP_DIR:-value}
 --> gates.toml:3:7
  |
3 | cwd = "${APP_DIR}/backend"
  |       ^^^^^^^^^^^^^^^^^^^^
"#,
        );
}

#[test]
fn unset_variable_of_a_gate_brought_in_by_needs_is_an_error() {
    Test::new()
        .config(
            "[gates.migrations]\nrun = \"true\"\nenv = { DB = \"${DATABASE_URL}\" }\n\n\
             [gates.deploy]\nrun = \"true\"\nneeds = [\"migrations\"]\n",
        )
        .args(&["run", "deploy"])
        .run()
        .code(2)
        .stderr_has("error: variable `DATABASE_URL` is not set (needed by gate `migrations`)");
}

#[test]
fn unset_variable_of_a_gate_not_selected_is_no_error() {
    let run = Test::new()
        .config(
            "[gates.smoke]\nrun = \"true\"\nenv = { TOKEN = \"${SMOKE_TOKEN}\" }\n\n\
             [gates.local]\ntags = [\"local\"]\nrun = \"touch ran.txt\"\ncwd = \"${NOT_SET_EITHER:-.}\"\n",
        )
        .args(&["run", "--tag", "local"])
        .run()
        .code(0);
    assert!(run.exists("ran.txt"));
}

#[test]
fn unset_variable_of_a_gate_left_out_by_skip_tag_is_no_error() {
    Test::new()
        .config(
            "[gates.smoke]\ntags = [\"remote\"]\nrun = \"true\"\ncwd = \"${REMOTE_DIR}\"\n\n\
             [gates.lint]\nrun = \"true\"\n",
        )
        .args(&["run", "--skip-tag", "remote", "--format", "json"])
        .run()
        .code(0);
}

#[test]
fn default_is_used_when_the_variable_is_unset() {
    let run = Test::new()
        .config(
            "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:8000}\"\n\n\
             [gates.probe]\nrun = 'echo \"$API_URL $HEALTH\" > seen.txt'\n\
             env = { HEALTH = \"${API_URL}/health\" }\n",
        )
        .args(&["run"])
        .run()
        .code(0);
    assert_eq!(
        run.read("seen.txt"),
        "http://127.0.0.1:8000 http://127.0.0.1:8000/health\n"
    );
}

#[test]
fn the_environment_beats_the_default() {
    let run = Test::new()
        .config(
            "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:8000}\"\n\n\
             [gates.probe]\nrun = 'echo \"$API_URL\" > seen.txt'\n",
        )
        .env("API_URL", "https://staging.example.com")
        .args(&["run"])
        .run()
        .code(0);
    assert_eq!(run.read("seen.txt"), "https://staging.example.com\n");
}

#[test]
fn gate_check_does_not_require_variables_to_be_set() {
    Test::new()
        .config(
            "[env]\nURL = \"${API_URL}\"\n\n\
             [gates.smoke]\nrun = \"true\"\ncwd = \"${APP_DIR}\"\nenv = { TOKEN = \"${SMOKE_TOKEN}\" }\n",
        )
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (1 gate)\n");
}

#[test]
fn gate_list_does_not_require_variables_to_be_set() {
    Test::new()
        .config("[env]\nURL = \"${API_URL}\"\n\n[gates.smoke]\nrun = \"true\"\n")
        .args(&["list"])
        .run()
        .code(0)
        .stdout_has("smoke");
}

// --- gate check -------------------------------------------------------------

#[test]
fn check_prints_ok_with_the_gate_count() {
    Test::new()
        .config("[gates.lint]\nrun = \"true\"\n\n[gates.signoff]\nmanual = true\n")
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (2 gates)\n")
        .stderr_is("");
}

#[test]
fn check_runs_nothing() {
    let run = Test::new()
        .config("[gates.touch]\nrun = \"touch ran.txt\"\n")
        .args(&["check"])
        .run()
        .code(0);
    assert!(!run.exists("ran.txt"));
}

#[test]
fn an_empty_config_is_valid() {
    Test::new()
        .config("")
        .args(&["check"])
        .run()
        .code(0)
        .stdout_is("gates.toml: ok (0 gates)\n");
}

// --- finding the config -----------------------------------------------------

/// A gate that records the directory it ran in.
const WHERE: &str = "[gates.where]\nrun = \"pwd -P > where.txt\"\n";

/// The canonical form of the test's subdirectory `relative` ("" for the
/// directory itself), as `pwd -P` prints it.
fn canonical(run: &crate::harness::Run, relative: &str) -> String {
    let path = run.test.path().join(relative);
    format!("{}\n", path.canonicalize().unwrap().display())
}

#[test]
fn config_flag_names_the_file_and_commands_run_in_its_directory() {
    let run = Test::new()
        .file("ci/deploy.toml", WHERE)
        .args(&["-c", "ci/deploy.toml", "run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["config"], "ci/deploy.toml");
    assert_eq!(run.read("ci/where.txt"), canonical(&run, "ci"));
    assert!(!run.exists("where.txt"));
}

#[test]
fn long_config_flag_after_the_subcommand() {
    let run = Test::new()
        .file("ci/deploy.toml", WHERE)
        .args(&["run", "--config", "ci/deploy.toml"])
        .run()
        .code(0);
    assert_eq!(run.read("ci/where.txt"), canonical(&run, "ci"));
}

#[test]
fn gate_config_variable_names_the_file() {
    let run = Test::new()
        .file("ci/deploy.toml", WHERE)
        .env("GATE_CONFIG", "ci/deploy.toml")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["config"], "ci/deploy.toml");
    assert_eq!(run.read("ci/where.txt"), canonical(&run, "ci"));
}

#[test]
fn config_flag_beats_gate_config() {
    let run = Test::new()
        .file("flag.toml", "[gates.from-flag]\nrun = \"true\"\n")
        .file("env.toml", "[gates.from-env]\nrun = \"true\"\n")
        .env("GATE_CONFIG", "env.toml")
        .args(&["-c", "flag.toml", "run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["from-flag"]);
}

#[test]
fn gate_config_beats_the_search() {
    let run = Test::new()
        .config("[gates.found]\nrun = \"true\"\n")
        .file("env.toml", "[gates.from-env]\nrun = \"true\"\n")
        .env("GATE_CONFIG", "env.toml")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["from-env"]);
}

#[test]
fn empty_gate_config_counts_as_unset() {
    let run = Test::new()
        .config("[gates.found]\nrun = \"true\"\n")
        .env("GATE_CONFIG", "")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["found"]);
}

#[test]
fn search_goes_up_from_a_subdirectory_and_runs_in_the_config_directory() {
    let run = Test::new()
        .config(WHERE)
        .current_dir("backend/src")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.stdout_json()["config"], "../../gates.toml");
    assert_eq!(run.read("where.txt"), canonical(&run, ""));
    assert!(!run.exists("backend/src/where.txt"));
}

#[test]
fn the_nearest_config_wins() {
    let run = Test::new()
        .config("[gates.outer]\nrun = \"true\"\n")
        .file("backend/gates.toml", "[gates.inner]\nrun = \"true\"\n")
        .current_dir("backend/src")
        .args(&["run", "--format", "json"])
        .run()
        .code(0);
    assert_eq!(run.ids(), ["inner"]);
}

#[test]
fn relative_cwd_is_relative_to_the_config_directory() {
    let run = Test::new()
        .config("[gates.where]\nrun = \"pwd -P > where.txt\"\ncwd = \"backend\"\n")
        .file("backend/.keep", "")
        .current_dir("docs")
        .args(&["run"])
        .run()
        .code(0);
    assert_eq!(run.read("backend/where.txt"), canonical(&run, "backend"));
}

#[test]
fn interpolated_cwd_is_relative_to_the_config_directory() {
    let run = Test::new()
        .file(
            "ci/deploy.toml",
            "[gates.where]\nrun = \"pwd -P > where.txt\"\ncwd = \"${APP:-app}\"\n",
        )
        .file("ci/web/.keep", "")
        .env("APP", "web")
        .args(&["-c", "ci/deploy.toml", "run"])
        .run()
        .code(0);
    assert_eq!(run.read("ci/web/where.txt"), canonical(&run, "ci/web"));
}

#[test]
fn no_config_found_exits_two_with_a_hint() {
    let test = Test::new().current_dir("empty");
    let dir = test.path().join("empty").canonicalize().unwrap();
    assert!(
        !dir.ancestors().any(|d| d.join("gates.toml").is_file()),
        "precondition: no gates.toml above {}",
        dir.display()
    );
    test.args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(&format!(
            "error: no gates.toml found in {} or any of its parents\n  \
         (hint: pass -c FILE or set GATE_CONFIG)\n",
            dir.display()
        ));
}

#[test]
fn no_config_found_for_check_too() {
    Test::new()
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: no gates.toml found in ")
        .stderr_has("(hint: pass -c FILE or set GATE_CONFIG)");
}

#[test]
fn config_flag_naming_a_missing_file_exits_two_naming_it() {
    Test::new()
        .config("[gates.found]\nrun = \"true\"\n")
        .args(&["-c", "ci/missing.toml", "run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("error: cannot read ci/missing.toml: ");
}

#[test]
fn gate_config_naming_a_missing_file_exits_two_naming_it() {
    Test::new()
        .config("[gates.found]\nrun = \"true\"\n")
        .env("GATE_CONFIG", "nowhere.toml")
        .args(&["check"])
        .run()
        .code(2)
        .stderr_has("error: cannot read nowhere.toml: ");
}

#[test]
fn errors_name_the_config_path_as_given() {
    Test::new()
        .file(
            "ci/deploy.toml",
            "[gates.lint]\nrun = \"true\"\ntimout = \"5s\"\n",
        )
        .args(&["check", "-c", "ci/deploy.toml"])
        .run()
        .code(2)
        .stderr_has(" --> ci/deploy.toml:3:1\n");
}

#[test]
fn a_value_has_one_message_whether_literal_or_interpolated() {
    let config = |timeout: &str| {
        format!(
            "[gates.health]\nhttp = {{ url = \"http://127.0.0.1/\", timeout = \"{timeout}\" }}\n"
        )
    };
    check_fails(
        &config("0s"),
        r#"error: invalid timeout `0s`: it must be greater than zero
 --> gates.toml:2:47
  |
2 | http = { url = "http://127.0.0.1/", timeout = "0s" }
  |                                               ^^^^"#,
    );
    Test::new()
        .config(&config("${T}"))
        .env("T", "0s")
        .args(&["run"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is(
            r#"error: invalid timeout `0s`: it must be greater than zero
 --> gates.toml:2:47
  |
2 | http = { url = "http://127.0.0.1/", timeout = "${T}" }
  |                                               ^^^^^^
"#,
        );
}
