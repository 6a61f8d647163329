//! Order cycles: gates that could never start because they wait on each
//! other, through `needs`, `after`, the needs of a service they use, or
//! several of these.

use super::diagnostic::Diagnostic;
use super::model::{Gate, Index, Service, Source, needs_of};

/// Fails on the first cycle of `needs` (a gate's own or its services')
/// and `after` found, visiting gates in config order. Every entry must
/// already name a gate or service of `index`.
pub fn check_cycles(
    source: &Source,
    gates: &[Gate],
    services: &[Service],
    index: &Index,
) -> Result<(), Diagnostic> {
    let Some(cycle) = CycleSearch::new(gates, services, index).run() else {
        return Ok(());
    };
    let names: Vec<&str> = cycle.iter().map(|&i| gates[i].id.as_str()).collect();
    let keys = keys_along((gates, services, index), &cycle);
    let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    let through = match services_along(gates, services, &cycle).as_slice() {
        [] => String::new(),
        ids => format!(" (through the needs of service `{}`)", ids.join("`, `")),
    };
    Err(source
        .diagnostic(
            gates[cycle[0]].span.clone(),
            format!(
                "{} cycle: {}{through}",
                keys.join(" and "),
                names.join(" -> ")
            ),
        )
        .with_help(format!(
            "remove one of these {} so the gates can run in some order",
            quoted.join(" or ")
        )))
}

/// The keys (`needs`, `after`) that make the steps of `cycle`, in that
/// order; a step in both counts as `needs`, as does one through the needs
/// of a service.
fn keys_along(
    (gates, services, index): (&[Gate], &[Service], &Index),
    cycle: &[usize],
) -> Vec<&'static str> {
    let (mut needs, mut after) = (false, false);
    for pair in cycle.windows(2) {
        let (from, to) = (&gates[pair[0]], &gates[pair[1]].id);
        if needs_of(from, services, index).any(|id| id == to) {
            needs = true;
        } else {
            after = true;
        }
    }
    [("needs", needs), ("after", after)]
        .into_iter()
        .filter_map(|(key, used)| used.then_some(key))
        .collect()
}

/// The services whose needs make a step of `cycle` that the gate's own
/// `needs` and `after` do not.
fn services_along<'a>(gates: &[Gate], services: &'a [Service], cycle: &[usize]) -> Vec<&'a str> {
    let mut through = Vec::new();
    for pair in cycle.windows(2) {
        let (from, to) = (&gates[pair[0]], &gates[pair[1]].id);
        if from.needs.contains(to) || from.after.contains(to) {
            continue;
        }
        let used = services
            .iter()
            .filter(|service| from.services.contains(&service.id) && service.needs.contains(to));
        through.extend(used.map(|service| service.id.as_str()));
    }
    through.dedup();
    through
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unvisited,
    /// On the current path.
    Active,
    /// Fully explored: no cycle through it.
    Done,
}

/// A depth-first search over what each gate waits for, each gate and
/// each edge visited once. It keeps its own stack: a chain of needs as
/// long as the config must not overflow the thread's.
struct CycleSearch {
    /// Per gate, the gates it waits for: its needs, then those of its
    /// services, then its `after` gates.
    waits_for: Vec<Vec<usize>>,
    marks: Vec<Mark>,
}

impl CycleSearch {
    fn new(gates: &[Gate], services: &[Service], index: &Index) -> Self {
        let waits_for = gates
            .iter()
            .map(|gate| {
                needs_of(gate, services, index)
                    .chain(&gate.after)
                    .filter_map(|id| index.gate(id))
                    .collect()
            })
            .collect();
        CycleSearch {
            waits_for,
            marks: vec![Mark::Unvisited; gates.len()],
        }
    }

    /// The first cycle, as gate indices with the first repeated at the end.
    fn run(mut self) -> Option<Vec<usize>> {
        (0..self.waits_for.len()).find_map(|start| self.search_from(start))
    }

    /// The first cycle reached from `start`, in the order a recursive
    /// search would meet it: each gate's entries in turn, depth first.
    fn search_from(&mut self, start: usize) -> Option<Vec<usize>> {
        if self.marks[start] != Mark::Unvisited {
            return None;
        }
        self.marks[start] = Mark::Active;
        // The current path: each gate with how many of its entries are explored.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some((node, explored)) = path.last_mut() {
            let Some(&next) = self.waits_for[*node].get(*explored) else {
                self.marks[*node] = Mark::Done;
                path.pop();
                continue;
            };
            *explored += 1;
            match self.marks[next] {
                Mark::Done => {}
                Mark::Active => {
                    let from = path.iter().position(|&(gate, _)| gate == next)?;
                    let mut cycle: Vec<usize> =
                        path[from..].iter().map(|&(gate, _)| gate).collect();
                    cycle.push(next);
                    return Some(cycle);
                }
                Mark::Unvisited => {
                    self.marks[next] = Mark::Active;
                    path.push((next, 0));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{invalid, valid};

    /// Gate `id`, with these `needs`.
    fn gate(id: &str, needs: &[&str]) -> String {
        gate_with(id, "needs", needs)
    }

    /// Gate `id`, with `key` (`needs`, `after`) listing `ids`.
    fn gate_with(id: &str, key: &str, ids: &[&str]) -> String {
        let ids: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
        format!(
            "[gates.{id}]\nrun = \"true\"\n{key} = [{}]\n",
            ids.join(", ")
        )
    }

    #[test]
    fn acyclic_needs_are_fine() {
        let text = [gate("a", &[]), gate("b", &["a"]), gate("c", &["a", "b"])].concat();
        assert_eq!(valid(&text).gates[2].needs, ["a", "b"]);
    }

    #[test]
    fn two_gate_cycle() {
        let text = [gate("a", &["b"]), gate("b", &["a"])].concat();
        let diagnostic = invalid(&text);
        assert_eq!(diagnostic.message(), "needs cycle: a -> b -> a");
        assert_eq!((diagnostic.line(), diagnostic.column()), (1, 8));
        assert_eq!(
            diagnostic.help(),
            Some("remove one of these `needs` so the gates can run in some order")
        );
    }

    #[test]
    fn gate_needing_itself() {
        let text = [gate("ok", &[]), gate("self", &["ok", "self"])].concat();
        let diagnostic = invalid(&text);
        assert_eq!(diagnostic.message(), "needs cycle: self -> self");
        assert_eq!((diagnostic.line(), diagnostic.column()), (4, 8));
    }

    #[test]
    fn cycle_reached_through_another_gate_starts_at_its_first_member() {
        let text = [
            gate("start", &["x"]),
            gate("x", &["y"]),
            gate("y", &["z"]),
            gate("z", &["x"]),
        ]
        .concat();
        let diagnostic = invalid(&text);
        assert_eq!(diagnostic.message(), "needs cycle: x -> y -> z -> x");
        assert_eq!((diagnostic.line(), diagnostic.column()), (4, 8));
    }

    #[test]
    fn first_cycle_in_config_order() {
        let text = [
            gate("p", &["q"]),
            gate("a", &["b"]),
            gate("b", &["a"]),
            gate("q", &["p"]),
        ]
        .concat();
        assert_eq!(invalid(&text).message(), "needs cycle: p -> q -> p");
    }

    #[test]
    fn acyclic_needs_and_after_are_fine() {
        let text = [
            gate("a", &[]),
            gate("b", &["a"]),
            gate_with("c", "after", &["b", "a"]),
        ]
        .concat();
        assert_eq!(valid(&text).gates[2].after, ["b", "a"]);
    }

    #[test]
    fn after_cycle() {
        let text = [
            gate_with("a", "after", &["b"]),
            gate_with("b", "after", &["a"]),
        ]
        .concat();
        let diagnostic = invalid(&text);
        assert_eq!(diagnostic.message(), "after cycle: a -> b -> a");
        assert_eq!((diagnostic.line(), diagnostic.column()), (1, 8));
        assert_eq!(
            diagnostic.help(),
            Some("remove one of these `after` so the gates can run in some order")
        );
    }

    #[test]
    fn cycle_through_needs_and_after() {
        let text = [
            gate("a", &["b"]),
            gate_with("b", "after", &["c"]),
            gate("c", &["a"]),
        ]
        .concat();
        let diagnostic = invalid(&text);
        assert_eq!(
            diagnostic.message(),
            "needs and after cycle: a -> b -> c -> a"
        );
        assert_eq!(
            diagnostic.help(),
            Some("remove one of these `needs` or `after` so the gates can run in some order")
        );
    }

    #[test]
    fn the_cycle_is_the_one_a_depth_first_search_meets_first() {
        let text = [
            gate("a", &["b", "c"]),
            gate("b", &["d"]),
            gate("c", &["a"]),
            gate("d", &[]),
        ]
        .concat();
        assert_eq!(invalid(&text).message(), "needs cycle: a -> c -> a");
    }

    /// A chain of `count` gates, each needing the next; the last needs
    /// gate `back_to`, if given.
    fn chain(count: usize, back_to: Option<usize>) -> String {
        let mut text = String::new();
        for i in 0..count {
            let next = match i + 1 < count {
                true => Some(i + 1),
                false => back_to,
            };
            let needs: Vec<String> = next.iter().map(|n| format!("g{n}")).collect();
            let needs: Vec<&str> = needs.iter().map(String::as_str).collect();
            text.push_str(&gate(&format!("g{i}"), &needs));
        }
        text
    }

    #[test]
    fn a_chain_deeper_than_the_stack_would_hold_is_searched() {
        // Test threads have small stacks: a recursive search overflows here.
        let config = valid(&chain(20_000, None));
        assert_eq!(config.gates[0].needs, ["g1"]);
        let diagnostic = invalid(&chain(20_000, Some(19_997)));
        assert_eq!(
            diagnostic.message(),
            "needs cycle: g19997 -> g19998 -> g19999 -> g19997"
        );
    }

    #[test]
    fn gate_after_itself() {
        let text = [gate("ok", &[]), gate_with("self", "after", &["self"])].concat();
        let diagnostic = invalid(&text);
        assert_eq!(diagnostic.message(), "after cycle: self -> self");
        assert_eq!((diagnostic.line(), diagnostic.column()), (4, 8));
    }
}
