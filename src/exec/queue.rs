//! Which waiting gates the dispatcher has anything to decide about. A
//! gate whose needs or `after` gates are unfinished can only wait, and a
//! gate that waits for a slot alone can only wait while none is free:
//! the dispatcher skips both without looking, so that what it does per
//! event does not grow with the number of gates still waiting.

use std::collections::BTreeSet;

use crate::plan::Plan;

/// What each waiting gate still waits for, kept up to date as gates end.
#[derive(Debug)]
pub struct Queue {
    /// Per gate, how many of its needs have not ended.
    needs_left: Vec<usize>,
    /// Per gate, how many of its `after` gates have not ended.
    after_left: Vec<usize>,
    /// Per gate, whether one of its needs ended without passing.
    need_failed: Vec<bool>,
    /// Per gate, the gates that need it.
    needed_by: Vec<Vec<usize>>,
    /// Per gate, the gates that start after it.
    followed_by: Vec<Vec<usize>>,
    /// Waiting gates with something to decide: their needs have ended,
    /// and their `after` gates too, or one of their needs did not pass.
    due: BTreeSet<usize>,
    /// Waiting gates that only wait for a slot.
    queued: BTreeSet<usize>,
    /// Per gate, whether it still waits (has neither started nor ended).
    waiting: Vec<bool>,
    /// Gates that have not ended.
    unended: usize,
}

impl Queue {
    /// Every gate of `plan` waiting, none ended.
    pub fn new(plan: &Plan) -> Queue {
        let count = plan.steps.len();
        let mut needed_by = vec![Vec::new(); count];
        let mut followed_by = vec![Vec::new(); count];
        for (index, step) in plan.steps.iter().enumerate() {
            for &need in &step.needs {
                needed_by[need].push(index);
            }
            for &after in &step.after {
                followed_by[after].push(index);
            }
        }
        let needs_left: Vec<usize> = plan.steps.iter().map(|step| step.needs.len()).collect();
        let after_left: Vec<usize> = plan.steps.iter().map(|step| step.after.len()).collect();
        let due = (0..count)
            .filter(|&index| needs_left[index] == 0 && after_left[index] == 0)
            .collect();
        Queue {
            needs_left,
            after_left,
            need_failed: vec![false; count],
            needed_by,
            followed_by,
            due,
            queued: BTreeSet::new(),
            waiting: vec![true; count],
            unended: count,
        }
    }

    /// The first waiting gate from `from` on (in plan order) that there is
    /// something to decide about; a queued one only while `slot_free`.
    pub fn next(&self, from: usize, slot_free: bool) -> Option<usize> {
        let due = self.due.range(from..).next();
        let queued = self.queued.range(from..).next().filter(|_| slot_free);
        due.into_iter().chain(queued).min().copied()
    }

    /// The first gate, in plan order, that waits for a slot alone.
    pub fn first_queued(&self) -> Option<usize> {
        self.queued.first().copied()
    }

    /// Gate `index` waits for a slot alone from now on.
    pub fn queue(&mut self, index: usize) {
        if self.due.remove(&index) {
            self.queued.insert(index);
        }
    }

    /// Gate `index` started: it waits no more.
    pub fn started(&mut self, index: usize) {
        self.waiting[index] = false;
        self.due.remove(&index);
        self.queued.remove(&index);
    }

    /// Gate `index` ended, having `passed` or not: the gates that wait
    /// for it may have something to decide now.
    pub fn ended(&mut self, index: usize, passed: bool) {
        self.started(index);
        self.unended -= 1;
        for position in 0..self.needed_by[index].len() {
            let gate = self.needed_by[index][position];
            self.needs_left[gate] -= 1;
            self.need_failed[gate] |= !passed;
            self.check_due(gate);
        }
        for position in 0..self.followed_by[index].len() {
            let gate = self.followed_by[index][position];
            self.after_left[gate] -= 1;
            self.check_due(gate);
        }
    }

    /// True once every gate has ended.
    pub fn all_ended(&self) -> bool {
        self.unended == 0
    }

    /// Makes waiting `gate` due once its needs have ended and, unless one
    /// of them did not pass (it is skipped then), its `after` gates too.
    fn check_due(&mut self, gate: usize) {
        let needs_ended = self.needs_left[gate] == 0;
        let decided = self.need_failed[gate] || self.after_left[gate] == 0;
        if self.waiting[gate] && needs_ended && decided {
            self.due.insert(gate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;
    use crate::config::testing::valid;
    use crate::plan::{self, Options};

    /// The queue of a plan of `text` (all gates selected).
    fn queue(text: &str) -> Queue {
        let config = valid(text);
        let plan = plan::build(&config, &Options::default(), &Default::default()).unwrap();
        Queue::new(&plan)
    }

    const CHAIN: &str = "[gates.a]\nrun = \"true\"\n[gates.b]\nrun = \"true\"\nneeds = [\"a\"]\n\
        [gates.c]\nrun = \"true\"\nafter = [\"a\"]\n[gates.d]\nrun = \"true\"\n";

    #[test]
    fn gates_without_needs_or_after_are_due_at_once() {
        let queue = queue(CHAIN);
        assert_eq!(queue.next(0, true), Some(0));
        assert_eq!(queue.next(1, true), Some(3));
        assert_eq!(queue.next(4, true), None);
    }

    #[test]
    fn a_gate_is_due_once_what_it_waits_for_has_ended() {
        let mut queue = queue(CHAIN);
        queue.started(0);
        assert_eq!(queue.next(0, true), Some(3));
        queue.ended(0, true);
        assert_eq!(queue.next(0, true), Some(1));
        assert_eq!(queue.next(2, true), Some(2));
    }

    #[test]
    fn a_gate_whose_need_failed_is_due_before_its_after_gates_end() {
        let text = "[gates.a]\nrun = \"true\"\n[gates.slow]\nrun = \"true\"\n\
            [gates.b]\nrun = \"true\"\nneeds = [\"a\"]\nafter = [\"slow\"]\n";
        let mut queue = queue(text);
        queue.ended(0, true);
        assert_eq!(queue.next(2, true), None, "waits for `slow`");
        let mut queue = self::queue(text);
        queue.ended(0, false);
        assert_eq!(queue.next(2, true), Some(2), "skipped at once");
    }

    #[test]
    fn a_queued_gate_is_looked_at_only_while_a_slot_is_free() {
        let mut queue = queue(CHAIN);
        queue.queue(0);
        assert_eq!(queue.next(0, false), Some(3));
        assert_eq!(queue.next(0, true), Some(0));
        queue.started(0);
        assert_eq!(queue.next(0, true), Some(3));
    }

    #[test]
    fn a_gate_that_ended_before_its_needs_is_never_due() {
        let mut queue = queue(CHAIN);
        queue.ended(1, false);
        queue.ended(0, true);
        assert_eq!(queue.next(0, true), Some(2));
        assert_eq!(queue.next(3, true), Some(3));
    }

    #[test]
    fn counts_the_gates_that_have_not_ended() {
        let mut queue = queue(CHAIN);
        for gate in 0..4 {
            assert!(!queue.all_ended());
            queue.ended(gate, true);
        }
        assert!(queue.all_ended());
    }
}
