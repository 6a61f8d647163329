//! `needs` cycles: gates that could never start because they wait on each
//! other, directly or through the needs of a service they use.

use std::collections::HashMap;

use super::diagnostic::Diagnostic;
use super::model::{Gate, Service, Source, waits_for};

/// Fails on the first `needs` cycle found, visiting gates in config order.
/// Every `needs` and `services` entry must already name a gate or service.
pub fn check_cycles(
    source: &Source,
    gates: &[Gate],
    services: &[Service],
) -> Result<(), Diagnostic> {
    let Some(cycle) = CycleSearch::new(gates, services).run() else {
        return Ok(());
    };
    let names: Vec<&str> = cycle.iter().map(|&i| gates[i].id.as_str()).collect();
    Err(source
        .diagnostic(
            gates[cycle[0]].span.clone(),
            format!("needs cycle: {}", names.join(" -> ")),
        )
        .with_help("remove one of these `needs` so the gates can run in some order"))
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unvisited,
    /// On the current path.
    Active,
    /// Fully explored: no cycle through it.
    Done,
}

/// A depth-first search over what each gate waits for.
struct CycleSearch {
    /// Per gate, the gates it waits for: its needs, then those of its services.
    waits_for: Vec<Vec<usize>>,
    marks: Vec<Mark>,
    path: Vec<usize>,
}

impl CycleSearch {
    fn new(gates: &[Gate], services: &[Service]) -> Self {
        let index: HashMap<&str, usize> = gates
            .iter()
            .enumerate()
            .map(|(i, gate)| (gate.id.as_str(), i))
            .collect();
        let waits_for = gates
            .iter()
            .map(|gate| {
                waits_for(gate, services)
                    .map(|id| index[id.as_str()])
                    .collect()
            })
            .collect();
        CycleSearch {
            waits_for,
            marks: vec![Mark::Unvisited; gates.len()],
            path: Vec::new(),
        }
    }

    /// The first cycle, as gate indices with the first repeated at the end.
    fn run(mut self) -> Option<Vec<usize>> {
        (0..self.waits_for.len()).find_map(|start| self.visit(start))
    }

    fn visit(&mut self, node: usize) -> Option<Vec<usize>> {
        match self.marks[node] {
            Mark::Done => return None,
            Mark::Active => {
                let from = self.path.iter().position(|&n| n == node)?;
                let mut cycle = self.path[from..].to_vec();
                cycle.push(node);
                return Some(cycle);
            }
            Mark::Unvisited => {}
        }
        self.marks[node] = Mark::Active;
        self.path.push(node);
        for next in self.waits_for[node].clone() {
            if let Some(cycle) = self.visit(next) {
                return Some(cycle);
            }
        }
        self.path.pop();
        self.marks[node] = Mark::Done;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{invalid, valid};

    fn gate(id: &str, needs: &[&str]) -> String {
        let needs: Vec<String> = needs.iter().map(|need| format!("\"{need}\"")).collect();
        format!(
            "[gates.{id}]\nrun = \"true\"\nneeds = [{}]\n",
            needs.join(", ")
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
}
