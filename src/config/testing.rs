//! Helpers for the unit tests of the config module.

use std::path::PathBuf;

use super::{Config, Diagnostic, Source, parse};

/// `text` as the contents of `gates.toml`.
pub fn source(text: &str) -> Source {
    Source::new(PathBuf::from("gates.toml"), text.to_owned())
}

/// Parses `text`, which must be a valid config.
pub fn valid(text: &str) -> Config {
    parse(source(text)).unwrap_or_else(|error| panic!("expected a valid config:\n{error}"))
}

/// Parses `text`, which must be invalid.
pub fn invalid(text: &str) -> Diagnostic {
    match parse(source(text)) {
        Ok(_) => panic!("expected an invalid config:\n{text}"),
        Err(error) => error
            .diagnostic()
            .unwrap_or_else(|| panic!("expected a diagnostic, got {error}"))
            .clone(),
    }
}

/// Asserts that `text` fails with `message` at `line`:`column`.
#[track_caller]
pub fn assert_invalid(text: &str, message: &str, line: usize, column: usize) {
    let diagnostic = invalid(text);
    assert_eq!(diagnostic.message(), message, "\n{diagnostic}");
    assert_eq!(
        (diagnostic.line(), diagnostic.column()),
        (line, column),
        "\n{diagnostic}"
    );
}
