//! How statuses and durations look on a terminal.

use std::time::Duration;

use colored::{ColoredString, Colorize};

use crate::event::Status;

/// The status's checklist symbol, coloured.
pub fn symbol(status: Status) -> ColoredString {
    paint(status, symbol_text(status))
}

fn symbol_text(status: Status) -> &'static str {
    match status {
        Status::Passed => "✓",
        Status::Failed => "✗",
        Status::TimedOut => "⧖",
        Status::Error => "!",
        Status::Skipped => "↷",
        Status::Cancelled => "⊘",
        Status::Pending => "○",
    }
}

/// `text` in the status's colour.
pub fn paint(status: Status, text: &str) -> ColoredString {
    match status {
        Status::Passed => text.green(),
        Status::Failed | Status::TimedOut | Status::Error => text.red(),
        Status::Skipped | Status::Cancelled => text.yellow(),
        Status::Pending => text.cyan(),
    }
}

/// A short duration: `12ms`, `3.40s`, `2m05s`.
pub fn duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    match millis {
        0..1000 => format!("{millis}ms"),
        1000..60_000 => format!("{:.2}s", duration.as_secs_f64()),
        _ => format!("{}m{:02}s", millis / 60_000, (millis / 1000) % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(duration(Duration::from_millis(12)), "12ms");
        assert_eq!(duration(Duration::from_millis(3400)), "3.40s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }
}
