//! Config errors that point into the file, rendered like `rustc` and `just`:
//!
//! ```text
//! error: unknown key `timout`, did you mean `timeout`?
//!  --> gates.toml:7:1
//!   |
//! 7 | timout = "5s"
//!   | ^^^^^^
//! ```

use std::fmt;

use super::model::{Source, Span};

/// An error message with the file position it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    message: String,
    path: String,
    /// 1-based.
    line: usize,
    /// 1-based, in characters.
    column: usize,
    /// The text of the line, without its line break.
    line_text: String,
    /// Number of `^` under the line (at least one).
    width: usize,
    help: Option<String>,
}

impl Source {
    /// A diagnostic about the text at `span` (byte offsets into `self.text`).
    pub fn diagnostic(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        let text = &self.text;
        let start = floor_char_boundary(text, span.start);
        let end = floor_char_boundary(text, span.end.max(start));
        let (line, line_start) = self.line_of(start);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        Diagnostic {
            message: message.into(),
            path: self.path.display().to_string(),
            line: line + 1,
            column: text[line_start..start].chars().count() + 1,
            line_text: line_text.to_owned(),
            width: text[start..end.min(line_end)].chars().count().max(1),
            help: None,
        }
    }
}

impl Source {
    /// Where `span` starts, as `gates.toml:12:44` (the path as found, line
    /// and column 1-based): how reports point at an expectation.
    pub fn place(&self, span: &Span) -> String {
        let diagnostic = self.diagnostic(span.clone(), "");
        format!(
            "{}:{}:{}",
            diagnostic.path, diagnostic.line, diagnostic.column
        )
    }
}

impl Diagnostic {
    /// Adds a final `= help: ...` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The message and where, in one line: `message (gates.toml:12:5)`.
    pub fn one_line(&self) -> String {
        format!(
            "{} ({}:{}:{})",
            self.message, self.path, self.line, self.column
        )
    }

    /// The message, without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column, counted in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The `help` text, if any.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "{pad}--> {}:{}:{}", self.path, self.line, self.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {}", self.line_text)?;
        let indent: String = self
            .line_text
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {indent}{}", "^".repeat(self.width))?;
        if let Some(help) = &self.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The largest char boundary of `text` at or before `index` (clamped to its length).
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source(text: &str) -> Source {
        Source::new(PathBuf::from("gates.toml"), text.to_owned())
    }

    #[test]
    fn renders_like_rustc() {
        let text = "[gates.a]\nrun = \"true\"\ntimout = \"5s\"\n";
        let start = text.find("timout").unwrap();
        let diagnostic = source(text).diagnostic(
            start..start + 6,
            "unknown key `timout`, did you mean `timeout`?",
        );
        assert_eq!((diagnostic.line(), diagnostic.column()), (3, 1));
        assert_eq!(
            diagnostic.to_string(),
            "error: unknown key `timout`, did you mean `timeout`?\n \
             --> gates.toml:3:1\n  |\n3 | timout = \"5s\"\n  | ^^^^^^"
        );
    }

    #[test]
    fn gutter_widens_with_the_line_number() {
        let text = format!("{}x = 1", "\n".repeat(11));
        let diagnostic = source(&text).diagnostic(11..12, "bad");
        assert_eq!(
            diagnostic.to_string(),
            "error: bad\n  --> gates.toml:12:1\n   |\n12 | x = 1\n   | ^"
        );
    }

    #[test]
    fn columns_count_characters() {
        let text = "name = \"é\" # ü\nnext";
        let start = text.find('#').unwrap();
        let diagnostic = source(text).diagnostic(start..start + 4, "here");
        assert_eq!(diagnostic.column(), 12);
        assert!(
            diagnostic
                .to_string()
                .ends_with("1 | name = \"é\" # ü\n  |            ^^^")
        );
    }

    #[test]
    fn caret_stops_at_the_line_end_and_is_never_empty() {
        let text = "a = \"\"\"\nmore\n\"\"\"\n";
        let diagnostic = source(text).diagnostic(4..text.len(), "long");
        assert!(
            diagnostic
                .to_string()
                .ends_with("1 | a = \"\"\"\n  |     ^^^")
        );
        let empty = source(text).diagnostic(2..2, "empty");
        assert!(empty.to_string().ends_with("  |   ^"));
    }

    #[test]
    fn span_past_the_end_points_at_the_last_line() {
        let text = "a = [1,\n";
        let diagnostic = source(text).diagnostic(text.len()..text.len(), "unexpected end");
        assert_eq!((diagnostic.line(), diagnostic.column()), (2, 1));
        assert!(diagnostic.to_string().ends_with("2 | \n  | ^"));
    }

    #[test]
    fn help_line() {
        let diagnostic = source("x").diagnostic(0..1, "bad").with_help("do better");
        assert_eq!(diagnostic.help(), Some("do better"));
        assert!(
            diagnostic
                .to_string()
                .ends_with("  | ^\n  = help: do better")
        );
    }

    #[test]
    fn crlf_line_endings() {
        let text = "a = 1\r\nb = 2\r\n";
        let diagnostic = source(text).diagnostic(7..8, "b");
        assert_eq!((diagnostic.line(), diagnostic.column()), (2, 1));
        assert!(diagnostic.to_string().contains("2 | b = 2\n"));
    }
}
