//! Values that may hold `${VAR}`: a URL, a port, a regex, a duration...
//!
//! Each kind of value is a type that implements [`Parse`], and a value as
//! written in gates.toml is a [`Template`] of it. A literal template is
//! parsed when the file is loaded, an interpolated one when its gate is
//! planned, by the same [`Parse::parse`]: a mistake has one message, at the
//! value's place in the file, whichever way the value was written.

use std::time::Duration;

use super::diagnostic::Diagnostic;
use super::duration::parse_duration;
use super::interpolate::check_syntax;
use super::model::{Source, Span};
use super::raw::SpannedString;

/// A kind of value read from a config string.
pub trait Parse: Sized + Clone {
    /// The value `text` stands for, or the whole error message
    /// (`invalid port `x`: expected 1 to 65535`).
    fn parse(text: &str) -> Result<Self, String>;
}

/// A config string that may hold `${VAR}`, and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Template<T> {
    /// As written in gates.toml.
    text: String,
    span: Span,
    /// The parsed value, when `text` holds no `${...}`.
    literal: Option<T>,
}

impl<T: Parse> Template<T> {
    /// `raw` with its `${...}` syntax checked, and parsed now when it is
    /// literal.
    pub fn load(source: &Source, raw: &SpannedString) -> Result<Template<T>, Diagnostic> {
        let text = raw.get_ref();
        let at = |message: String| source.diagnostic(raw.span(), message);
        check_syntax(text).map_err(|error| at(error.to_string()))?;
        let literal = match text.contains("${") {
            true => None,
            false => Some(T::parse(text).map_err(at)?),
        };
        Ok(Template {
            text: text.clone(),
            span: raw.span(),
            literal,
        })
    }

    /// [`Template::load`] of an optional value.
    pub fn optional(
        source: &Source,
        raw: Option<&SpannedString>,
    ) -> Result<Option<Template<T>>, Diagnostic> {
        raw.map(|raw| Template::load(source, raw)).transpose()
    }

    /// A value the config did not write (a default), for errors at `span`.
    pub fn fixed(value: T, text: impl Into<String>, span: Span) -> Template<T> {
        Template {
            text: text.into(),
            span,
            literal: Some(value),
        }
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the value was written.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The value, when the text is literal (no `${...}`).
    pub fn literal(&self) -> Option<&T> {
        self.literal.as_ref()
    }
}

/// A value that is never interpolated (a gate's `timeout`, a setting),
/// parsed as its templates are.
pub fn parse<T: Parse>(source: &Source, raw: &SpannedString) -> Result<T, Diagnostic> {
    T::parse(raw.get_ref()).map_err(|message| source.diagnostic(raw.span(), message))
}

impl Parse for String {
    fn parse(text: &str) -> Result<String, String> {
        Ok(text.to_owned())
    }
}

/// A positive duration: a timeout of zero would fail every gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl Parse for Timeout {
    fn parse(text: &str) -> Result<Timeout, String> {
        match Delay::parse(text)?.0 {
            Duration::ZERO => Err(format!(
                "invalid timeout `{text}`: it must be greater than zero"
            )),
            positive => Ok(Timeout(positive)),
        }
    }
}

/// A duration of zero or more (`retry_delay`, `kill_grace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay(pub Duration);

impl Parse for Delay {
    fn parse(text: &str) -> Result<Delay, String> {
        parse_duration(text).map(Delay).ok_or_else(|| {
            format!(
                "invalid duration `{text}`: expected an integer and a unit, like `500ms`, \
                 `30s`, `5m` or `1h30m`"
            )
        })
    }
}

impl Parse for regex::Regex {
    fn parse(text: &str) -> Result<regex::Regex, String> {
        regex::Regex::new(text).map_err(|error| regex_error(&error))
    }
}

/// A regex error in one line.
fn regex_error(error: &regex::Error) -> String {
    let detail = error.to_string();
    let last = detail
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default();
    format!(
        "invalid regex: {}",
        last.trim_start_matches("error: ").trim()
    )
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub u16);

impl Parse for Port {
    fn parse(text: &str) -> Result<Port, String> {
        text.parse::<u16>()
            .ok()
            .filter(|&port| port > 0)
            .map(Port)
            .ok_or_else(|| format!("invalid port `{text}`: expected 1 to 65535"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::source;
    use super::*;
    use toml::Spanned;

    fn spanned(text: &str) -> SpannedString {
        Spanned::new(4..4 + text.len() + 2, text.to_owned())
    }

    #[test]
    fn a_literal_is_parsed_when_loaded() {
        let source = source("x = \"8080\"\n");
        let port: Template<Port> = Template::load(&source, &spanned("8080")).unwrap();
        assert_eq!(port.literal(), Some(&Port(8080)));
        assert_eq!(port.text(), "8080");
    }

    #[test]
    fn an_interpolated_value_waits() {
        let source = source("x = \"${P}\"\n");
        let port: Template<Port> = Template::load(&source, &spanned("${P}")).unwrap();
        assert_eq!(port.literal(), None);
    }

    #[test]
    fn a_bad_literal_is_an_error_at_its_place() {
        let source = source("x = \"0\"\n");
        let error = Template::<Port>::load(&source, &spanned("0")).unwrap_err();
        assert_eq!(error.message(), "invalid port `0`: expected 1 to 65535");
        assert_eq!((error.line(), error.column()), (1, 5));
        let error = Template::<String>::load(&source, &spanned("${X")).unwrap_err();
        assert_eq!(error.message(), "unterminated `${`: add a closing `}`");
    }

    #[test]
    fn durations() {
        assert_eq!(
            Timeout::parse("1m30s"),
            Ok(Timeout(Duration::from_secs(90)))
        );
        assert_eq!(
            Timeout::parse("0s").unwrap_err(),
            "invalid timeout `0s`: it must be greater than zero"
        );
        assert_eq!(Delay::parse("0s"), Ok(Delay(Duration::ZERO)));
        assert!(
            Delay::parse("5 mins")
                .unwrap_err()
                .starts_with("invalid duration `5 mins`")
        );
    }

    #[test]
    fn regexes_in_one_line() {
        assert_eq!(
            regex::Regex::parse("(ok").unwrap_err(),
            "invalid regex: unclosed group"
        );
    }
}
