//! `gate merge`: the JSON reports of a partitioned run's shards joined into
//! one report of the same schema.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use indexmap::IndexMap;

use super::model::{Origin, Outcome, Report, SCHEMA_VERSION, counts, tool};
use crate::error::Error;

/// How many missing shards an error names before it counts the rest.
const MISSING_NAMED: usize = 8;

/// Reads every report in `paths` and merges them.
pub fn read_and_merge(paths: &[PathBuf]) -> Result<Report, Error> {
    let reports = paths
        .iter()
        .map(|path| Report::read(path, "merge"))
        .collect::<Result<Vec<_>, _>>()?;
    merge(reports).map_err(|message| Error::usage(message, None))
}

/// One report of all the gates: gates in the order of the shards given and
/// of each shard (its config order), counts re-added, the config of the
/// first shard, started at the earliest start, lasting as long as the
/// longest shard; it fails when a shard failed or a blocking gate did not
/// pass. Its origin is left for the caller, as a JSON report has none.
///
/// A gate id in two places is an error. Of several repeated ids it names
/// the first repeat met walking the reports in the order given and each
/// report's gates in its order: the first gate whose id a gate before it
/// (in an earlier report, or earlier in the same one) already had. For
/// reports `[a, b]` and `[c, b, a]` that is `b`.
pub fn merge(reports: Vec<Report>) -> Result<Report, String> {
    check_unique_ids(&reports)?;
    check_shards(&reports)?;
    let gates: Vec<_> = reports.iter().flat_map(|r| &r.gates).cloned().collect();
    let failed = reports.iter().any(|r| r.outcome == Outcome::Fail)
        || gates.iter().any(|g| g.fails_run(false));
    Ok(Report {
        version: SCHEMA_VERSION,
        tool: tool(),
        config: reports
            .first()
            .map(|r| r.config.clone())
            .unwrap_or_default(),
        started_at: reports
            .iter()
            .map(|r| r.started_at.clone())
            .min()
            .unwrap_or_default(),
        duration_ms: reports.iter().map(|r| r.duration_ms).max().unwrap_or(0),
        outcome: if failed { Outcome::Fail } else { Outcome::Pass },
        partition: None,
        counts: counts(&gates),
        gates,
        services: reports.iter().flat_map(|r| r.services.clone()).collect(),
        signoff_fields: merged_fields(&reports),
        origin: Origin::default(),
    })
}

/// Each gate id in at most one place of `reports`; else the error names
/// the first repeat, in the order [`merge`] describes.
fn check_unique_ids(reports: &[Report]) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(reports.iter().map(|r| r.gates.len()).sum());
    let repeated = reports
        .iter()
        .flat_map(|r| &r.gates)
        .map(|g| g.gate.id.as_str())
        .find(|id| !seen.insert(*id));
    match repeated {
        Some(id) => Err(format!("gate `{id}` is in more than one report")),
        None => Ok(()),
    }
}

/// The shards' `[signoff] fields`, the first shard's value of each.
fn merged_fields(reports: &[Report]) -> IndexMap<String, String> {
    let mut fields = IndexMap::new();
    for (label, value) in reports.iter().flat_map(|r| &r.signoff_fields) {
        fields.entry(label.clone()).or_insert_with(|| value.clone());
    }
    fields
}

/// Reports of shards (`partition` set) must be all N shards of one run:
/// a missing shard would otherwise pass unnoticed.
fn check_shards(reports: &[Report]) -> Result<(), String> {
    let shards: Vec<(usize, usize)> = reports
        .iter()
        .filter_map(|r| r.partition.as_deref())
        .map(
            |partition| match partition.parse::<crate::cli::Partition>() {
                Ok(p) => Ok((p.index, p.count)),
                // Read as unsharded, it would let a merge without its other
                // shards pass.
                Err(_) => Err(format!(
                    "a report's partition `{partition}` is not a shard K/N"
                )),
            },
        )
        .collect::<Result<_, _>>()?;
    let Some(&(_, count)) = shards.first() else {
        return Ok(());
    };
    if shards.iter().any(|&(_, n)| n != count) {
        return Err(
            "the reports are shards of different partitions (K/N with different N)".to_owned(),
        );
    }
    let given: HashSet<usize> = shards.iter().map(|&(index, _)| index).collect();
    // Named up to a few, so that the walk takes at most one step per report
    // given beyond them: a partition into 2^64 shards is counted, not walked.
    let named: Vec<String> = (1..=count)
        .filter(|k| !given.contains(k))
        .take(MISSING_NAMED)
        .map(|k| format!("{k}/{count}"))
        .collect();
    let unnamed = count - given.len().min(count) - named.len();
    match (named.is_empty(), shards.len() == count) {
        (true, true) => Ok(()),
        (false, _) => Err(missing(&named, unnamed)),
        (true, false) => Err("a shard is given twice".to_owned()),
    }
}

/// `shard 2/3 is missing`, `shards 2/4, 3/4 are missing`, or with
/// `unnamed` more: `shards 1/9, ... and 3 more are missing`.
fn missing(named: &[String], unnamed: usize) -> String {
    let list = named.join(", ");
    match (named.len(), unnamed) {
        (1, 0) => format!("shard {list} is missing"),
        (_, 0) => format!("shards {list} are missing"),
        _ => format!("shards {list} and {unnamed} more are missing"),
    }
}

/// Puts the gates of `report` in the order of `ids` (a config's gates);
/// gates the config does not have keep their place after those it has.
pub fn order_as(report: &mut Report, ids: &[&str]) {
    // Collected from the last id to the first, so an id given twice ranks
    // at its first place.
    let ranks: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .rev()
        .map(|(rank, id)| (*id, rank))
        .collect();
    let rank = |id: &str| ranks.get(id).copied().unwrap_or(ids.len());
    // Stable: gates of one rank keep their order.
    report.gates.sort_by_cached_key(|gate| rank(&gate.gate.id));
}
