//! Values captured during the run: which variables each gate will receive
//! from the gates it needs, directly or transitively, and what a gate whose
//! values wait for them does until it is planned again.

use std::collections::{BTreeSet, HashMap};

use crate::check::{BoxFuture, Probe};
use crate::config::Config;
use crate::exec::{Attempt, AttemptContext};

/// For every gate of a config, the variables captured by the gates it
/// needs, transitively.
#[derive(Debug)]
pub struct Upstream {
    /// By config index.
    captures: Vec<BTreeSet<String>>,
}

impl Upstream {
    /// The captured variables upstream of every gate of `config` (needs
    /// have no cycle: the config was validated).
    pub fn of(config: &Config) -> Upstream {
        let index: HashMap<&str, usize> = config
            .gates
            .iter()
            .enumerate()
            .map(|(i, gate)| (gate.id.as_str(), i))
            .collect();
        let mut done: Vec<Option<BTreeSet<String>>> = vec![None; config.gates.len()];
        for gate in 0..config.gates.len() {
            upstream(config, &index, gate, &mut done);
        }
        Upstream {
            captures: done.into_iter().map(Option::unwrap_or_default).collect(),
        }
    }

    /// The variables the needs of config gate `index` capture.
    pub fn captures(&self, index: usize) -> BTreeSet<String> {
        self.captures[index].clone()
    }
}

/// Fills `done[gate]`: what its needs capture, and what theirs do.
fn upstream(
    config: &Config,
    index: &HashMap<&str, usize>,
    gate: usize,
    done: &mut [Option<BTreeSet<String>>],
) {
    // An explicit stack: a long chain of needs must not overflow the real one.
    let mut stack = vec![(gate, false)];
    while let Some((current, expanded)) = stack.pop() {
        if done[current].is_some() {
            continue;
        }
        let needs: Vec<usize> = config.gates[current]
            .needs
            .iter()
            .filter_map(|id| index.get(id.as_str()).copied())
            .collect();
        if !expanded {
            stack.push((current, true));
            stack.extend(
                needs
                    .iter()
                    .filter(|&&n| done[n].is_none())
                    .map(|&n| (n, false)),
            );
            continue;
        }
        let mut names = BTreeSet::new();
        for need in needs {
            names.extend(config.gates[need].check.captures());
            names.extend(done[need].iter().flatten().cloned());
        }
        done[current] = Some(names);
    }
}

/// The check of a gate whose values are made of captured ones: it shows
/// what it waits for, and is planned again before it starts.
#[derive(Debug)]
pub struct Waiting;

impl Probe for Waiting {
    fn describe(&self) -> String {
        "(planned once the gates it needs have captured their values)".to_owned()
    }

    fn attempt<'a>(&'a self, _: &'a mut AttemptContext<'_>) -> BoxFuture<'a, Attempt> {
        Box::pin(async { Attempt::error("planned without its captured values".to_owned()) })
    }
}
