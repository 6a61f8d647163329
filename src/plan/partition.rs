//! `--partition K/N`: the selected gates split into N shards, the same way
//! on every machine, gates joined by `needs` (theirs or those of the
//! services they use) kept in one shard.

use crate::config::Config;

/// The gates (indices into `config.gates`, ascending) of shard `index`
/// (1-based) of `count`, out of `selected`.
///
/// Gates joined by `needs` (either way, transitively) form a group; groups
/// are dealt, in config order of their first gate, each to the shard with
/// the fewest gates so far (the lowest-numbered on a tie). `after` joins
/// nothing: a gate whose `after` gate is dealt to another shard runs there
/// without waiting for it, as when that gate is not selected.
pub fn shard(config: &Config, selected: &[usize], index: usize, count: usize) -> Vec<usize> {
    let groups = groups(config, selected);
    // Shards past the number of groups stay empty under this dealing.
    let count = count.min(groups.len()).max(1);
    let mut sizes = vec![0usize; count];
    let mut shard_of_group = Vec::new();
    for group in &groups {
        let smallest = (0..count).min_by_key(|&s| (sizes[s], s)).unwrap_or(0);
        sizes[smallest] += group.len();
        shard_of_group.push(smallest);
    }
    let mut mine: Vec<usize> = groups
        .iter()
        .zip(&shard_of_group)
        .filter(|(_, shard)| **shard + 1 == index)
        .flat_map(|(group, _)| group.iter().copied())
        .collect();
    mine.sort_unstable();
    mine
}

/// The connected groups of `selected` under `needs`, each in config order,
/// ordered by their first gate.
fn groups(config: &Config, selected: &[usize]) -> Vec<Vec<usize>> {
    // Union-find over positions in `selected`.
    let mut parent: Vec<usize> = (0..selected.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (position, &gate) in selected.iter().enumerate() {
        for need in config.needs_of(&config.gates[gate]) {
            if let Some(other) = super::position_in(config, selected, need) {
                let (a, b) = (root(&mut parent, position), root(&mut parent, other));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root: Vec<Option<usize>> = vec![None; selected.len()];
    for (position, &gate) in selected.iter().enumerate() {
        let r = root(&mut parent, position);
        match group_of_root[r] {
            Some(g) => groups[g].push(gate),
            None => {
                group_of_root[r] = Some(groups.len());
                groups.push(vec![gate]);
            }
        }
    }
    groups
}
