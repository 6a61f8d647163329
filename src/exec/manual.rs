//! `manual = true` gates: never executed (so 0 attempts); passed when acked,
//! else pending.

use crate::event::{GateResult, Status};
use crate::plan::Step;

/// The result of a manual gate: `passed` with `--ack ID`, else `pending`.
pub fn confirm(step: &Step) -> GateResult {
    if step.acked {
        return GateResult::not_run(Status::Passed, None);
    }
    let reason = format!("awaiting sign-off (confirm with --ack {})", step.gate.id);
    GateResult::not_run(Status::Pending, Some(reason))
}
