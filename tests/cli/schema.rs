//! `gate schema`: the JSON Schema of gates.toml. Every config of the
//! repository validates against it; the values the parser refuses, it
//! refuses, and those it takes, it takes; and table by table it knows
//! exactly the keys the parser knows.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Test;

/// A key no table of gates.toml has, nor anything close to one.
const UNKNOWN_KEY: &str = "zzzzzzzz";

/// What `gate schema` prints (nothing on stderr, exit 0), parsed.
fn schema() -> Value {
    Test::new()
        .args(&["schema"])
        .run()
        .code(0)
        .stderr_is("")
        .stdout_json()
}

/// A draft 2020-12 validator of `schema`.
fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).expect("a schema the validator accepts")
}

/// What the schema says is wrong with the gates.toml `text`, one entry per
/// error, each with where it is (empty: it validates).
fn complaints(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let config: Value = toml::from_str(text).unwrap_or_else(|e| panic!("not TOML: {e}\n{text}"));
    validator
        .iter_errors(&config)
        .map(|error| format!("{error} (at `{}`)", error.instance_path()))
        .collect()
}

/// The files under `dir`, at any depth, named `name`.
fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(files_named(&path, name));
        } else if path.file_name().is_some_and(|file| file == name) {
            found.push(path);
        }
    }
    found
}

/// The files of `dir` whose names end in `.extension`.
fn files_ending(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut found: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect();
    found.sort();
    found
}

/// The gates.toml files of the repository that gate is meant to accept:
/// its own, the examples', and the templates of `gate init`.
fn repository_configs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut configs = vec![root.join("gates.toml")];
    configs.extend(files_named(&root.join("examples"), "gates.toml"));
    configs.extend(files_ending(&root.join("src/templates"), "toml"));
    configs
}

/// What `gate init --from` makes of each checklist among the test
/// fixtures that has items (`no-items.md` is there to have none).
fn configs_from_fixture_checklists() -> Vec<(PathBuf, String)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/checklists");
    files_ending(&fixtures, "md")
        .into_iter()
        .filter(|path| !path.ends_with("no-items.md"))
        .map(|path| {
            let checklist = path.to_str().expect("a UTF-8 path");
            let run = Test::new()
                .args(&["init", "--from", checklist, "-"])
                .run()
                .code(0);
            (path, run.stdout())
        })
        .collect()
}

#[test]
fn prints_a_draft_2020_12_schema() {
    let run = Test::new().args(&["schema"]).run().code(0).stderr_is("");
    assert!(run.stdout().ends_with("}\n"), "{}", run.transcript());
    let schema = run.stdout_json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "gates.toml");
    jsonschema::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn is_listed_in_the_help() {
    Test::new()
        .args(&["--help"])
        .run()
        .code(0)
        .stdout_has("Print the JSON Schema of gates.toml");
}

#[test]
fn word_lists_are_enums() {
    let schema = schema();
    let defs = &schema["$defs"];
    assert_eq!(
        defs["Severity"]["enum"],
        serde_json::json!(["block", "warn"])
    );
    assert_eq!(
        defs["NotifyOn"]["enum"],
        serde_json::json!(["failure", "always"])
    );
    assert_eq!(defs["StopSignal"]["enum"][0], "SIGTERM");
    assert_eq!(
        defs["RecordType"]["anyOf"][0]["enum"],
        serde_json::json!(["A", "AAAA", "CNAME", "MX", "TXT", "NS"])
    );
}

#[test]
fn every_config_of_the_repository_validates() {
    let validator = validator(&schema());
    let mut configs: Vec<(PathBuf, String)> = repository_configs()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, text)
        })
        .collect();
    assert!(configs.len() >= 5, "the root, an example, three templates");
    configs.extend(configs_from_fixture_checklists());
    for (path, text) in &configs {
        let complaints = complaints(&validator, text);
        assert!(
            complaints.is_empty(),
            "{}:\n{}",
            path.display(),
            complaints.join("\n")
        );
    }
}

/// A config with one gate `a` whose table is `gate`.
fn one_gate(gate: &str) -> String {
    format!("[gates.a]\n{gate}\n")
}

/// A config whose gate `a` lists gate `b` twice in `key` (`needs`, `after`).
fn waits_twice_for_b(key: &str) -> String {
    format!("[gates.a]\nrun = \"true\"\n{key} = [\"b\", \"b\"]\n[gates.b]\nrun = \"true\"\n")
}

/// Configs that `gate check` refuses, with the key the schema must name
/// in its complaint.
fn refused() -> Vec<(&'static str, String)> {
    let http = |keys: &str| one_gate(&format!("http = {{ url = \"http://127.0.0.1/\", {keys} }}"));
    vec![
        (
            "colour",
            format!("colour = \"auto\"\n{}", one_gate("manual = true")),
        ),
        ("timout", one_gate("run = \"true\"\ntimout = \"5s\"")),
        ("severity", one_gate("run = \"true\"\nseverity = \"fatal\"")),
        ("htpp", one_gate("htpp = { url = \"http://127.0.0.1/\" }")),
        ("methd", http("methd = \"GET\"")),
        ("retries", one_gate("run = \"true\"\nretries = \"2\"")),
        ("timeout", one_gate("run = \"true\"\ntimeout = 5")),
        ("tags", one_gate("run = \"true\"\ntags = \"fast\"")),
        ("manual", one_gate("manual = \"yes\"")),
        (
            "port",
            one_gate("tls = { host = \"example.com\", port = true }"),
        ),
        ("url", one_gate("http = { method = \"GET\" }")),
        ("status", http("expect = { status = 2.5 }")),
        ("server", http("expect = { headers = { server = 1 } }")),
        (
            "exit_code",
            one_gate("run = \"true\"\nexpect = { exit_code = \"0\" }"),
        ),
        (
            "type",
            one_gate("dns = { name = \"example.com\", type = \"SRV\" }"),
        ),
        (
            "on",
            format!(
                "[settings.notify]\nurl = \"https://hooks.example.com/x\"\non = \"never\"\n{}",
                one_gate("manual = true")
            ),
        ),
        (
            "stop_signal",
            format!(
                "[services.api]\nrun = \"serve\"\nstop_signal = \"SIGKILL\"\n{}",
                one_gate("manual = true")
            ),
        ),
        ("tags", one_gate("run = \"true\"\ntags = [\"ci\", \"ci\"]")),
        (
            "requires",
            one_gate("run = \"true\"\nrequires = [\"sh\", \"sh\"]"),
        ),
        ("needs", waits_twice_for_b("needs")),
        ("after", waits_twice_for_b("after")),
        (
            "services",
            format!(
                "[services.api]\nrun = \"serve\"\n{}",
                one_gate("run = \"true\"\nservices = [\"api\", \"api\"]")
            ),
        ),
        (
            "concurrency",
            format!(
                "[profiles.ci]\nconcurrency = \"4\"\n{}",
                one_gate("manual = true")
            ),
        ),
    ]
}

/// Configs that `gate check` accepts, each with a value the parser reads
/// in a way of its own (a number or a string, any case, `${VAR}`...).
fn accepted() -> Vec<String> {
    vec![
        format!(
            "#:schema ./gates.schema.json\n{}",
            one_gate("manual = true")
        ),
        one_gate("dns = { name = \"example.com\", type = \"txt\" }"),
        one_gate("dns = { name = \"example.com\", type = \"${RECORD_TYPE}\" }"),
        one_gate("tls = { host = \"example.com\", port = \"${TLS_PORT}\" }"),
        one_gate("tcp = { host = \"127.0.0.1\", port = 6379, closed = true }"),
        one_gate(
            "http = { url = \"http://127.0.0.1/\", repeat = 3, expect = { status = \"2xx\", first_status = [301, 308], \
             headers = { x-powered-by = false, server = \"^nginx$\" }, json = { \"/n\" = { gte = 1 }, \"/ok\" = true } } }",
        ),
        one_gate(
            "http = { url = \"http://127.0.0.1/\", load = { requests = 10, concurrency = 2 }, \
             expect = { p95 = \"500ms\", error_rate = 0 } }",
        ),
        one_gate(
            "run = \"true\"\nexpect = { exit_code = [0, 1], output_json = { \"/a\" = [1, 2] } }\n\
             error_codes = [2]\nseverity = \"warn\"\nretries = 2",
        ),
        format!(
            "[settings]\nenv_file = [\".env\", \"ci.env\"]\ncwd = \"${{APP_DIR:-backend}}\"\n\
             [env]\nAPI_URL = \"${{API_URL:-http://127.0.0.1:${{API_PORT:-8000}}}}\"\n\
             [profiles.staging.env]\nAPI_URL = \"https://staging.example.com\"\n{}",
            one_gate("http = { url = \"${API_URL}/health\" }")
        ),
        format!(
            "[settings.notify]\nurl = \"https://hooks.example.com/x\"\non = \"always\"\n\
             [services.api]\nrun = \"serve\"\nstop_signal = \"SIGINT\"\nready = {{ tcp = \"127.0.0.1:8000\" }}\n{}",
            one_gate("services = [\"api\"]\ntcp = { host = \"127.0.0.1\", port = 8000 }")
        ),
    ]
}

#[test]
fn refuses_what_the_parser_refuses() {
    let validator = validator(&schema());
    for (key, config) in refused() {
        Test::new().config(&config).args(&["check"]).run().code(2);
        let complaints = complaints(&validator, &config).join("\n");
        assert!(
            complaints.contains(key),
            "the schema should refuse `{key}`:\n{config}\nsaid: {complaints:?}"
        );
    }
}

#[test]
fn accepts_what_the_parser_accepts() {
    let validator = validator(&schema());
    for config in accepted() {
        Test::new().config(&config).args(&["check"]).run().code(0);
        let complaints = complaints(&validator, &config);
        assert!(complaints.is_empty(), "{config}\n{}", complaints.join("\n"));
    }
}

/// A table of the schema that denies unknown keys: the keys that reach it
/// (`x` for a gate id, a service or profile name, a capture...), and the
/// keys it allows.
#[derive(Debug)]
struct ClosedTable {
    path: Vec<String>,
    keys: BTreeSet<String>,
}

/// Every table that denies unknown keys and can be reached from `node`, at
/// `path`; `defs` collects the names of the definitions on the way.
fn closed_tables(
    schema: &Value,
    node: &Value,
    path: &[String],
    defs: &mut BTreeSet<String>,
) -> Vec<ClosedTable> {
    let node = match node["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/$defs/")
                .expect("a local reference");
            defs.insert(name.to_owned());
            &schema["$defs"][name]
        }
        None => node,
    };
    let below = |key: &str, sub: &Value, defs: &mut BTreeSet<String>| {
        let mut path = path.to_vec();
        path.push(key.to_owned());
        closed_tables(schema, sub, &path, defs)
    };
    let mut found = Vec::new();
    for alternative in node["anyOf"].as_array().into_iter().flatten() {
        found.extend(closed_tables(schema, alternative, path, defs));
    }
    if let Some(properties) = node["properties"].as_object() {
        if node["additionalProperties"] == false {
            found.push(ClosedTable {
                path: path.to_vec(),
                keys: properties.keys().cloned().collect(),
            });
        }
        for (key, sub) in properties {
            found.extend(below(key, sub, defs));
        }
    }
    if node["additionalProperties"].is_object() {
        found.extend(below("x", &node["additionalProperties"], defs));
    }
    found
}

/// A gates.toml whose table at `path` starts with [`UNKNOWN_KEY`].
fn with_unknown_key(path: &[String]) -> String {
    let mut table = toml::Table::new();
    table.insert(UNKNOWN_KEY.to_owned(), toml::Value::Integer(1));
    for key in path.iter().rev() {
        let mut outer = toml::Table::new();
        outer.insert(key.clone(), toml::Value::Table(table));
        table = outer;
    }
    toml::to_string(&table).expect("TOML")
}

/// The keys `gate check` says the table at `path` has, from its error
/// about an unknown key there: "(expected one of `a`, `b`)".
fn keys_the_parser_knows(path: &[String]) -> BTreeSet<String> {
    let config = with_unknown_key(path);
    let run = Test::new().config(&config).args(&["check"]).run().code(2);
    let stderr = run.stderr();
    let message = stderr.lines().next().unwrap_or_default();
    let head = format!("error: unknown key `{UNKNOWN_KEY}` (expected ");
    let list = message
        .strip_prefix(&head)
        .unwrap_or_else(|| panic!("{config}\n{}", run.transcript()));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn knows_exactly_the_keys_the_parser_knows() {
    let schema = schema();
    let mut defs = BTreeSet::new();
    let tables = closed_tables(&schema, &schema, &[], &mut defs);
    let closed_defs: BTreeSet<String> = schema["$defs"]
        .as_object()
        .expect("definitions")
        .iter()
        .filter(|(_, def)| def["additionalProperties"] == false)
        .map(|(name, _)| name.clone())
        .collect();
    assert!(
        closed_defs.is_subset(&defs),
        "tables the walk did not reach: {:?}",
        closed_defs.difference(&defs).collect::<Vec<_>>()
    );
    for table in &tables {
        assert_eq!(
            table.keys,
            keys_the_parser_knows(&table.path),
            "the keys of `{}`",
            table.path.join(".")
        );
    }
}

/// Every key of every table in `node`, at any depth, by its path, with its
/// schema.
fn keys<'a>(node: &'a Value, path: &str, found: &mut Vec<(String, &'a Value)>) {
    match node {
        Value::Object(object) => {
            for (key, value) in object {
                let here = format!("{path}/{key}");
                if key == "properties" {
                    for (name, property) in value.as_object().expect("properties") {
                        found.push((format!("{here}/{name}"), property));
                    }
                }
                keys(value, &here, found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                keys(item, &format!("{path}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_key_has_a_description() {
    let schema = schema();
    let mut found = Vec::new();
    keys(&schema, "#", &mut found);
    assert!(found.len() > 100, "{} keys", found.len());
    let undescribed: Vec<&str> = found
        .iter()
        .filter(|(_, property)| property["description"].as_str().is_none_or(str::is_empty))
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(
        undescribed.is_empty(),
        "keys without a description: {undescribed:?}"
    );
}
