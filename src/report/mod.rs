//! Reports: the report as data (`model`), what it means for the exit code,
//! and the formats that show it, one module each.

pub mod github;
pub mod human;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod origin;
mod style;

use std::io::Write;

use indexmap::IndexMap;

use crate::error::{EXIT_FAIL, EXIT_INTERRUPTED, EXIT_PASS};
pub use model::{GateInfo, GateRecord, Origin, Outcome, Report};

/// The process exit code for a report.
pub fn exit_code(report: &Report, interrupted: bool) -> i32 {
    match (interrupted, report.outcome) {
        (true, _) => EXIT_INTERRUPTED,
        (false, Outcome::Fail) => EXIT_FAIL,
        (false, Outcome::Pass) => EXIT_PASS,
    }
}

/// Groups `items` by section: gates with no section first, then each
/// section in order of first appearance, items in their given order.
pub fn by_section<'a, T>(
    items: Vec<T>,
    section: impl Fn(&T) -> Option<&'a str>,
) -> Vec<(Option<&'a str>, Vec<T>)> {
    let mut groups: IndexMap<Option<&'a str>, Vec<T>> = IndexMap::new();
    groups.insert(None, Vec::new());
    for item in items {
        groups.entry(section(&item)).or_default().push(item);
    }
    groups.retain(|_, members| !members.is_empty());
    groups.into_iter().collect()
}

/// Writes `text` to stdout. A closed stdout (`gate list | head -1`) is not an
/// error worth stopping for: the run goes on and its report files are written.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

#[cfg(test)]
mod tests {
    use super::by_section;

    #[test]
    fn by_section_puts_gates_without_one_first_then_sections_as_they_appear() {
        let items = [
            ("a", Some("x")),
            ("b", None),
            ("c", Some("y")),
            ("d", Some("x")),
        ];
        let groups = by_section(items.to_vec(), |(_, section)| *section);
        let names: Vec<(Option<&str>, Vec<&str>)> = groups
            .into_iter()
            .map(|(section, items)| (section, items.iter().map(|(id, _)| *id).collect()))
            .collect();
        assert_eq!(
            names,
            [
                (None, vec!["b"]),
                (Some("x"), vec!["a", "d"]),
                (Some("y"), vec!["c"])
            ]
        );
        assert!(by_section(Vec::<&str>::new(), |_| None).is_empty());
    }
}
