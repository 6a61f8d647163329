//! From text to [`Config`]: TOML parsing, then each part of the file checked
//! and converted in turn. The first error found is returned.

use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::model::{Config, Gate, Index, Profile, Source};
use super::raw::{RawConfig, RawGate, RawProfile, SpannedString};
use super::values::Ids;
use super::{cycles, gates, settings, suggest, values};

/// The config version this build reads.
const VERSION: i64 = 1;

/// Parses and validates the text of `source`.
pub fn config(source: Source) -> Result<Config, Diagnostic> {
    let raw: RawConfig =
        toml::from_str(&source.text).map_err(|error| toml_error(&source, &error))?;
    check_version(&source, raw.version.as_ref())?;
    let settings = settings::settings(&source, &raw.settings)?;
    let env = values::env_vars(&source, &raw.env)?;
    let signoff_fields = values::env_vars(&source, &raw.signoff.fields)?;
    let (gate_keys, raw_gates): (Vec<SpannedString>, Vec<RawGate>) = raw.gates.into_iter().unzip();
    let gate_ids: Ids = gate_keys.iter().map(|id| id.get_ref().as_str()).collect();
    for id in raw.services.keys() {
        gates::check_id(&source, "service", id)?;
    }
    let services = crate::service::load_all(&source, &raw.services, &gate_ids)?;
    let service_ids: Ids = services.iter().map(|s| s.id.as_str()).collect();
    let gates = gates::gates(
        &source,
        gate_keys.iter().zip(raw_gates),
        (&gate_ids, &service_ids),
    )?;
    let profiles = profiles(&source, &raw.profiles, &gates)?;
    let index = Index::new(&gates, &services);
    cycles::check_cycles(&source, &gates, &services, &index)?;
    Ok(Config {
        source,
        settings,
        env,
        profiles,
        services,
        gates: gates.into_iter().map(Arc::new).collect(),
        signoff_fields,
        index,
    })
}

/// A TOML syntax or type error, with serde's "unknown field" turned into a
/// suggestion of the closest valid key.
fn toml_error(source: &Source, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    source.diagnostic(span, rewrite_unknown_field(error.message()))
}

/// "unknown field `x`, expected one of `a`, `b`" -> "unknown key `x`, did you
/// mean `a`?" (or the list of valid keys); other messages are kept.
fn rewrite_unknown_field(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field ") else {
        return plain_type_names(message.trim_end());
    };
    let quoted: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match quoted.split_first() {
        Some((key, valid)) => suggest::unknown("key", key, valid),
        None => message.to_owned(),
    }
}

/// serde names Rust types ("expected usize"); a config's author reads TOML.
fn plain_type_names(message: &str) -> String {
    const NAMES: [(&str, &str); 6] = [
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected i64", "expected an integer"),
        ("expected u32", "expected an integer of 0 or more"),
        ("expected u64", "expected an integer of 0 or more"),
        ("expected usize", "expected an integer of 0 or more"),
    ];
    const VARIANTS: [(&str, &str); 2] = [
        ("RawPort", "invalid port: expected a number or a string"),
        (
            "RawStatus",
            "invalid status: expected a code like 200, a list like [301, 308], or a class like \"2xx\"",
        ),
    ];
    if let Some((_, plain)) = VARIANTS
        .iter()
        .find(|(name, _)| message.ends_with(&format!("untagged enum {name}")))
    {
        return (*plain).to_owned();
    }
    let mut message = match message.split_once("expected struct ") {
        Some((head, _)) => format!("{head}expected a table"),
        None => message.to_owned(),
    };
    for (rust, toml) in NAMES {
        if let Some(start) = message.strip_suffix(rust).map(str::len) {
            message.replace_range(start.., toml);
        }
    }
    message
}

/// `version`: absent or 1.
fn check_version(source: &Source, version: Option<&Spanned<i64>>) -> Result<(), Diagnostic> {
    match version {
        Some(version) if *version.get_ref() != VERSION => Err(source.diagnostic(
            version.span(),
            format!(
                "unsupported config version {} (this gate reads version {VERSION})",
                version.get_ref()
            ),
        )),
        _ => Ok(()),
    }
}

/// `[profiles.*]`, in file order.
fn profiles(
    source: &Source,
    raw: &IndexMap<SpannedString, RawProfile>,
    gates: &[Gate],
) -> Result<IndexMap<String, Profile>, Diagnostic> {
    // Each tag once, in the order gates first use them.
    let known: IndexSet<&str> = gates
        .iter()
        .flat_map(|g| g.tags.iter().map(String::as_str))
        .collect();
    let tags = |tags: &[SpannedString]| -> Result<Vec<String>, Diagnostic> {
        tags.iter()
            .map(|tag| match known.contains(tag.get_ref().as_str()) {
                true => Ok(tag.get_ref().clone()),
                false => {
                    let known: Vec<&str> = known.iter().copied().collect();
                    let message = suggest::unknown("tag", tag.get_ref(), &known);
                    Err(source.diagnostic(tag.span(), message))
                }
            })
            .collect()
    };
    raw.iter()
        .map(|(name, profile)| {
            let name = name.get_ref().clone();
            let profile = Profile {
                name: name.clone(),
                tags: tags(&profile.tags)?,
                skip_tags: tags(&profile.skip_tags)?,
                overrides: settings::overrides(source, profile.overrides())?,
                env: values::env_vars(source, &profile.env)?,
            };
            Ok((name, profile))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::model::{Overrides, Settings};
    use super::super::testing::{assert_invalid, invalid, valid};

    #[test]
    fn empty_file_is_a_valid_config() {
        let config = valid("");
        assert_eq!(config.settings, Settings::default());
        assert!(config.env.is_empty() && config.profiles.is_empty() && config.gates.is_empty());
    }

    #[test]
    fn bad_toml_keeps_the_message_and_position() {
        assert_invalid(
            "[gates.a\nrun = \"x\"\n",
            "unclosed table, expected `]`",
            1,
            9,
        );
        assert_invalid("x = \"abc\n", "invalid basic string, expected `\"`", 1, 9);
        let diagnostic = invalid("[gates.a]\nrun = \"x\"\n[gates.a]\nrun = \"y\"\n");
        assert_eq!((diagnostic.line(), diagnostic.column()), (3, 8));
    }

    #[test]
    fn wrong_type() {
        assert_invalid(
            "[gates.a]\nrun = 5\n",
            "invalid type: integer `5`, expected a string",
            2,
            7,
        );
        assert_invalid(
            "[settings]\noutput_lines = -3\n",
            "invalid value: integer `-3`, expected an integer of 0 or more",
            2,
            16,
        );
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        assert_invalid(
            "[gates.a]\nrun = \"true\"\ntimout = \"5s\"\n",
            "unknown key `timout`, did you mean `timeout`?",
            3,
            1,
        );
        assert_invalid(
            "[settings]\nconcurency = 2\n",
            "unknown key `concurency`, did you mean `concurrency`?",
            2,
            1,
        );
        assert_invalid(
            "versoin = 1\n",
            "unknown key `versoin`, did you mean `version`?",
            1,
            1,
        );
        assert_invalid(
            "[profiles.ci]\nskiptags = [\"slow\"]\n",
            "unknown key `skiptags`, did you mean `skip_tags`?",
            2,
            1,
        );
    }

    #[test]
    fn unknown_key_without_suggestion_lists_the_keys() {
        assert_invalid(
            "[settings]\nfoo = 1\n",
            "unknown key `foo` (expected one of `concurrency`, `timeout`, `shell`, `fail_fast`, \
             `output_lines`, `kill_grace`, `redact`, `require_manual`, `notify`, `env_file`, \
             `cwd`)",
            2,
            1,
        );
        assert_invalid(
            "title = \"x\"\n",
            "unknown key `title` (expected one of `version`, `settings`, `env`, `profiles`, \
             `services`, `gates`, `signoff`)",
            1,
            1,
        );
    }

    #[test]
    fn a_probe_that_is_not_a_table() {
        let diagnostic = invalid("[gates]\na = { http = 1 }\n");
        assert_eq!(
            diagnostic.message(),
            "invalid type: integer `1`, expected a table"
        );
        assert_eq!((diagnostic.line(), diagnostic.column()), (2, 14));
    }

    #[test]
    fn version() {
        assert!(valid("version = 1\n").gates.is_empty());
        assert_invalid(
            "version = 2\n",
            "unsupported config version 2 (this gate reads version 1)",
            1,
            11,
        );
        assert_invalid(
            "# a comment\nversion = 0\n",
            "unsupported config version 0 (this gate reads version 1)",
            2,
            11,
        );
    }

    #[test]
    fn settings_are_read() {
        let config = valid(
            "[settings]\nconcurrency = 8\ntimeout = \"10m\"\nshell = [\"bash\", \"-euc\"]\n\
             fail_fast = true\noutput_lines = 0\nkill_grace = \"250ms\"\n\
             redact = [\"ADMIN_TOKEN\"]\nrequire_manual = true\n\
             env_file = [\".env\", \"ci/.env\"]\ncwd = \"${APP_DIR:-backend}\"\n",
        );
        let cwd = config.settings.cwd.as_ref().map(|cwd| cwd.text());
        assert_eq!(cwd, Some("${APP_DIR:-backend}"));
        assert_eq!(
            config.settings,
            Settings {
                concurrency: Some(8),
                timeout: Duration::from_secs(600),
                shell: vec!["bash".into(), "-euc".into()],
                fail_fast: true,
                output_lines: 0,
                kill_grace: Duration::from_millis(250),
                redact: vec!["ADMIN_TOKEN".into()],
                require_manual: true,
                notify: None,
                env_files: vec![".env".into(), "ci/.env".into()],
                cwd: config.settings.cwd.clone(),
            }
        );
    }

    #[test]
    fn bad_settings() {
        assert_invalid(
            "[settings]\nconcurrency = 0\n",
            "invalid concurrency 0: it must be at least 1",
            2,
            15,
        );
        assert_invalid(
            "[settings]\nconcurrency = -2\n",
            "invalid concurrency -2: it must be at least 1",
            2,
            15,
        );
        assert_invalid(
            "[settings]\nshell = []\n",
            "`shell` must start with a program, like `[\"sh\", \"-c\"]`",
            2,
            9,
        );
        assert_invalid(
            "[settings]\nkill_grace = \"5 mins\"\n",
            "invalid duration `5 mins`: expected an integer and a unit, like `500ms`, `30s`, \
             `5m` or `1h30m`",
            2,
            14,
        );
        assert_invalid(
            "[settings]\ntimeout = \"0s\"\n",
            "invalid timeout `0s`: it must be greater than zero",
            2,
            11,
        );
    }

    #[test]
    fn a_profile_tag_no_gate_has() {
        assert_invalid(
            "[profiles.nightly]\ntags = [\"slwo\"]\n[gates.a]\nrun = \"true\"\ntags = [\"slow\"]\n",
            "unknown tag `slwo`, did you mean `slow`?",
            2,
            9,
        );
    }

    #[test]
    fn an_unknown_profile_tag_lists_each_tag_once_in_file_order() {
        assert_invalid(
            "[profiles.nightly]\ntags = [\"zzz\"]\n\
             [gates.a]\nrun = \"true\"\ntags = [\"slow\", \"ci\"]\n\
             [gates.b]\nrun = \"true\"\ntags = [\"ci\", \"slow\", \"db\"]\n",
            "unknown tag `zzz` (expected one of `slow`, `ci`, `db`)",
            2,
            9,
        );
    }

    #[test]
    fn profiles_in_file_order_with_overrides() {
        let config = valid(
            "[profiles.nightly]\ntags = [\"slow\", \"security\"]\nskip_tags = [\"local-only\"]\n\
             concurrency = 4\nfail_fast = false\ntimeout = \"30m\"\n\
             [profiles.ci]\nshell = [\"bash\", \"-c\"]\noutput_lines = 100\nkill_grace = \"1s\"\n\
             require_manual = true\n\
             [gates.a]\nrun = \"true\"\ntags = [\"slow\", \"security\", \"local-only\"]\n",
        );
        let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        assert_eq!(names, ["nightly", "ci"]);
        let nightly = &config.profiles["nightly"];
        assert_eq!(nightly.name, "nightly");
        assert_eq!(nightly.tags, ["slow", "security"]);
        assert_eq!(nightly.skip_tags, ["local-only"]);
        assert_eq!(
            nightly.overrides,
            Overrides {
                concurrency: Some(4),
                fail_fast: Some(false),
                timeout: Some(Duration::from_secs(1800)),
                ..Overrides::default()
            }
        );
        assert_eq!(
            config.profiles["ci"].overrides,
            Overrides {
                shell: Some(vec!["bash".into(), "-c".into()]),
                output_lines: Some(100),
                kill_grace: Some(Duration::from_secs(1)),
                require_manual: Some(true),
                ..Overrides::default()
            }
        );
    }

    #[test]
    fn a_profile_has_variables_and_settings_a_working_directory() {
        let config = valid("[profiles.staging.env]\nAPI_URL = \"https://${HOST:-staging}\"\n");
        let env = &config.profiles["staging"].env;
        assert_eq!(env[0].name, "API_URL");
        assert_eq!(env[0].value.text(), "https://${HOST:-staging}");
        assert_invalid(
            "[profiles.staging.env]\nA = \"${B\"\n",
            "unterminated `${`: add a closing `}`",
            2,
            5,
        );
        assert_invalid(
            "[settings]\ncwd = \"${DIR:-${X}\"\n",
            "unterminated `${`: add a closing `}`",
            2,
            7,
        );
    }

    #[test]
    fn bad_profiles() {
        assert_invalid(
            "[profiles.ci]\nconcurrency = 0\n",
            "invalid concurrency 0: it must be at least 1",
            2,
            15,
        );
        assert_invalid(
            "[profiles.ci]\ntimeout = \"soon\"\n",
            "invalid duration `soon`: expected an integer and a unit, like `500ms`, `30s`, \
             `5m` or `1h30m`",
            2,
            11,
        );
        assert_invalid(
            "[profiles.ci]\nredact = []\n",
            "unknown key `redact` (expected one of `tags`, `skip_tags`, `concurrency`, \
             `timeout`, `shell`, `fail_fast`, `output_lines`, `kill_grace`, `require_manual`, \
             `env`)",
            2,
            1,
        );
    }

    #[test]
    fn env_in_file_order_keeps_spans_and_checks_syntax() {
        let text = "[env]\nAPI_URL = \"${API_URL:-http://127.0.0.1:8000}\"\nB = \"$${literal}\"\n";
        let config = valid(text);
        let names: Vec<&str> = config.env.iter().map(|var| var.name.as_str()).collect();
        assert_eq!(names, ["API_URL", "B"]);
        let value = &config.env[0].value;
        assert_eq!(value.text(), "${API_URL:-http://127.0.0.1:8000}");
        assert_eq!(
            &text[value.span().clone()],
            "\"${API_URL:-http://127.0.0.1:8000}\""
        );

        assert_invalid(
            "[env]\nA = \"${B\"\n",
            "unterminated `${`: add a closing `}`",
            2,
            5,
        );
        assert_invalid(
            "[env]\nA = \"x${}\"\n",
            "empty variable name in `${}`",
            2,
            5,
        );
        assert_invalid(
            "[env]\nA = \"${9LIVES}\"\n",
            "invalid variable name `9LIVES` in `${...}`: names are letters, digits and `_`, \
             not starting with a digit",
            2,
            5,
        );
    }
}
