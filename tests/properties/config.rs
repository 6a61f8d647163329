//! The config loader: any text either loads or is refused with a
//! diagnostic that points inside the text.

use std::path::PathBuf;

use gate::config::{self, Diagnostic, Error, Source};

/// Loads `text` as gates.toml and renders its error, if any.
pub fn check(text: &str) {
    let source = Source::new(PathBuf::from("gates.toml"), text.to_owned());
    match config::parse(source) {
        Ok(_) => {}
        Err(Error::Invalid(diagnostic)) => check_diagnostic(text, &diagnostic),
        Err(other) => panic!("text gave an error that is not about the text: {other}"),
    }
}

/// The diagnostic names a line of `text` and a column of that line (or
/// just past its end), and renders with that place.
fn check_diagnostic(text: &str, diagnostic: &Diagnostic) {
    let lines: Vec<&str> = text.split('\n').collect();
    let (line, column) = (diagnostic.line(), diagnostic.column());
    assert!(
        (1..=lines.len()).contains(&line),
        "line {line} of a {}-line text: {diagnostic}",
        lines.len()
    );
    let width = lines[line - 1].chars().count();
    assert!(
        (1..=width + 1).contains(&column),
        "column {column} of a {width}-character line: {diagnostic}"
    );
    assert!(!diagnostic.message().is_empty(), "no message: {diagnostic}");
    let rendered = diagnostic.to_string();
    assert!(
        rendered.starts_with("error: ")
            && rendered.contains(&format!("gates.toml:{line}:{column}")),
        "{rendered}"
    );
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::check;
    use crate::{mutated, pieces, run};

    /// The repository's own configs: the templates, its checklist, the example's.
    const SEEDS: &[&str] = &[
        include_str!("../../src/templates/generic.toml"),
        include_str!("../../src/templates/python.toml"),
        include_str!("../../src/templates/node.toml"),
        include_str!("../../gates.toml"),
        include_str!("../../examples/python-service/gates.toml"),
        include_str!("report.toml"),
    ];

    /// What a gates.toml is made of: tables, keys and values.
    const TOKENS: &[&str] = &[
        "\n",
        "\n",
        " = ",
        "[gates.a]\n",
        "[gates.b]\n",
        "[services.s]\n",
        "[settings]\n",
        "[env]\n",
        "[profiles.p]\n",
        "[signoff.fields]\n",
        "version = 1\n",
        "version = 2\n",
        "run = \"true\"\n",
        "manual = true\n",
        "needs = [\"a\"]\n",
        "needs = [\"b\"]\n",
        "after = [\"a\"]\n",
        "uses = [\"s\"]\n",
        "tags = [\"x\"]\n",
        "section = \"S\"\n",
        "severity = \"warn\"\n",
        "timeout = \"5s\"\n",
        "retries = 2\n",
        "retry_delay = \"1ms\"\n",
        "cwd = \"${DIR}\"\n",
        "env = { A = \"${B:-c}\" }\n",
        "requires = [\"sh\"]\n",
        "http = { url = \"http://127.0.0.1:${PORT}/\", expect = { status = \"2xx\" } }\n",
        "tls = { host = \"localhost\", port = \"${P}\" }\n",
        "tcp = { host = \"h\", port = 1 }\n",
        "dns = { name = \"x\" }\n",
        "ws = { url = \"ws://h\" }\n",
        "ready = { tcp = \"h:1\" }\n",
        "expect = { contains = \"x\" }\n",
        "captures = { T = { json = \"/t\" } }\n",
        "concurrency = 0\n",
        "shell = []\n",
        "redact = [\"X\"]\n",
        "${",
        "}",
        ":-",
        "\"",
        "'",
        "[",
        "]",
        "{",
        "}",
        ",",
        "=",
        "#",
        ".",
        "\"\"\"",
        "'''",
        "\\u{0}",
        "1e400",
        "-1",
        "18446744073709551616",
        "\"0ms\"",
        "\"1000000000000h\"",
    ];

    #[test]
    fn edited_configs_load_or_point_inside_the_text() {
        run(300, mutated(SEEDS, TOKENS), |text| check(&text));
    }

    #[test]
    fn assembled_configs_load_or_point_inside_the_text() {
        run(600, pieces(TOKENS, 24), |text| check(&text));
    }

    #[test]
    fn any_text_loads_or_points_inside_the_text() {
        run(200, any::<String>(), |text| check(&text));
    }
}
