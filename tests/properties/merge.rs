//! The `gate merge` report reader: any bytes are reports to merge or an
//! error, and a merged report renders and reads back.

use gate::report::merge::{merge, order_as};
use gate::report::{Report, github, junit, markdown};

/// Reads the reports of `input`, one between each NUL byte (a byte no JSON
/// text holds), merges them, and renders the result as `gate merge` does.
pub fn check(input: &[u8]) {
    let Ok(reports) = input.split(|&b| b == 0).map(read).collect() else {
        return;
    };
    let Ok(mut merged) = merge(reports) else {
        return;
    };
    let again = Report::from_json(&merged.to_json())
        .unwrap_or_else(|error| panic!("the merged report does not read back: {error}"));
    assert_eq!(again.gates.len(), merged.gates.len());
    assert_eq!(again.counts, merged.counts);
    let backwards: Vec<String> = merged
        .gates
        .iter()
        .rev()
        .map(|g| g.gate.id.clone())
        .collect();
    order_as(
        &mut merged,
        &backwards.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    markdown::render(&merged);
    junit::render(&merged);
    github::annotations(&merged);
}

/// One report, from bytes as `gate merge` reads a file.
fn read(bytes: &[u8]) -> Result<Report, String> {
    let text = std::str::from_utf8(bytes).map_err(|error| error.to_string())?;
    Report::from_json(text)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use proptest::prelude::*;

    use super::check;
    use crate::{mutated, run};

    /// JSON fragments a report is made of.
    const TOKENS: &[&str] = &[
        "null",
        "0",
        "1",
        "-1",
        "1e400",
        "18446744073709551616",
        "true",
        "\"\"",
        "[]",
        "{}",
        ",",
        ":",
        "\"",
        "\\u0000",
        "\"passed\"",
        "\"failed\"",
        "\"pending\"",
        "\"skipped\"",
        "\"warn\"",
        "\"manual\"",
        "\"1/2\"",
        "\"2/2\"",
        "\"3/2\"",
        "\"0/0\"",
        "\"1/0\"",
        "\"version\": 2,",
        "\"partition\": \"1/3\",",
        "\"outcome\": \"pass\",",
        "\"signoff\": {\"by\": \"ana\", \"at\": \"2026-01-01T00:00:00Z\", \"note\": null, \
         \"commit\": null, \"expires\": null}",
        "\"stats\": {\"requests\": 2, \"errors\": 0}",
        "\"id\": \"build\"",
        "\u{0}",
    ];

    /// The JSON reports of a real run of `report.toml`: the whole run and
    /// its two shards.
    fn reports() -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gates.toml"), include_str!("report.toml")).unwrap();
        let runs: [&[&str]; 3] = [&[], &["--partition", "1/2"], &["--partition", "2/2"]];
        runs.iter()
            .map(|args| gate_run_json(dir.path(), args))
            .collect()
    }

    /// The report of `gate run ARGS --json` in `dir`.
    fn gate_run_json(dir: &Path, args: &[&str]) -> String {
        let status = Command::new(env!("CARGO_BIN_EXE_gate"))
            .current_dir(dir)
            .args(["run", "-q", "--json", "report.json"])
            .args(args)
            .output()
            .unwrap()
            .status;
        assert_eq!(
            status.code(),
            Some(1),
            "the run fails, as the config means it to"
        );
        std::fs::read_to_string(dir.join("report.json")).unwrap()
    }

    #[test]
    fn edited_shard_reports_merge_or_are_refused() {
        let reports = reports();
        let shards = prop::collection::vec(mutated(&reports, TOKENS), 1..4);
        run(150, shards, |shards| check(shards.join("\0").as_bytes()));
    }

    #[test]
    fn any_bytes_merge_or_are_refused() {
        run(300, any::<Vec<u8>>(), |bytes| check(&bytes));
    }
}
