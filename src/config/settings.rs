//! `[settings]` and the overridable part of `[profiles.*]`.

use std::borrow::Cow;
use std::path::PathBuf;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::model::{Notify, NotifyOn, Overrides, Settings, Source};
use super::raw::{RawNotify, RawOverrides, RawSettings};
use super::template::{self, Delay, Template, Timeout};
use super::{schema, values};

impl Settings {
    /// Replaces every setting that `overrides` sets (a profile, or `-j`).
    pub fn apply(&mut self, overrides: &Overrides) {
        if let Some(concurrency) = overrides.concurrency {
            self.concurrency = Some(concurrency);
        }
        if let Some(timeout) = overrides.timeout {
            self.timeout = timeout;
        }
        if let Some(shell) = &overrides.shell {
            self.shell.clone_from(shell);
        }
        if let Some(fail_fast) = overrides.fail_fast {
            self.fail_fast = fail_fast;
        }
        if let Some(output_lines) = overrides.output_lines {
            self.output_lines = output_lines;
        }
        if let Some(kill_grace) = overrides.kill_grace {
            self.kill_grace = kill_grace;
        }
        if let Some(require_manual) = overrides.require_manual {
            self.require_manual = require_manual;
        }
    }
}

/// `[settings]` over the defaults.
pub fn settings(source: &Source, raw: &RawSettings) -> Result<Settings, Diagnostic> {
    let mut settings = Settings::default();
    settings.apply(&overrides(source, raw.overrides())?);
    if let Some(redact) = &raw.redact {
        settings.redact.clone_from(redact);
    }
    settings.notify = raw.notify.as_ref().map(|n| notify(source, n)).transpose()?;
    settings.env_files = raw.env_file.iter().flatten().map(PathBuf::from).collect();
    settings.cwd = Template::optional(source, raw.cwd.as_ref())?;
    Ok(settings)
}

/// The overridable keys of `[settings]` or of a profile, validated.
pub fn overrides(source: &Source, raw: RawOverrides<'_>) -> Result<Overrides, Diagnostic> {
    Ok(Overrides {
        concurrency: raw
            .concurrency
            .map(|n| values::at_least_one(source, "concurrency", n).map(|n| n as usize))
            .transpose()?,
        timeout: raw
            .timeout
            .map(|t| template::parse::<Timeout>(source, t).map(|t| t.0))
            .transpose()?,
        shell: raw
            .shell
            .map(|shell| shell_command(source, shell))
            .transpose()?,
        fail_fast: raw.fail_fast,
        output_lines: raw.output_lines,
        kill_grace: raw
            .kill_grace
            .map(|d| template::parse::<Delay>(source, d).map(|d| d.0))
            .transpose()?,
        require_manual: raw.require_manual,
    })
}

/// `shell`: a program and its arguments, so at least one element.
fn shell_command(source: &Source, value: &Spanned<Vec<String>>) -> Result<Vec<String>, Diagnostic> {
    let command = value.get_ref();
    if command.first().is_none_or(String::is_empty) {
        return Err(source.diagnostic(
            value.span(),
            "`shell` must start with a program, like `[\"sh\", \"-c\"]`",
        ));
    }
    Ok(command.clone())
}

/// The valid `notify.on` values.
const NOTIFY_ON: [(&str, NotifyOn); 2] =
    [("failure", NotifyOn::Failure), ("always", NotifyOn::Always)];

/// `notify.on` in the schema of gates.toml: one of `NOTIFY_ON`.
impl JsonSchema for NotifyOn {
    fn schema_name() -> Cow<'static, str> {
        "NotifyOn".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema::words(&NOTIFY_ON)
    }
}

/// `[settings.notify]`: an http(s) URL (checked now unless interpolated) and when.
fn notify(source: &Source, raw: &RawNotify) -> Result<Notify, Diagnostic> {
    let url = Template::load(source, &raw.url)?;
    let on = match &raw.on {
        Some(on) => values::choice(source, "notify.on", on, &NOTIFY_ON)?,
        None => NotifyOn::Failure,
    };
    Ok(Notify { url, on })
}
