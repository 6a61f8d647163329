//! `manual = true`: an item a person confirms. Never executed (so 0
//! attempts); passed when acked, else pending.

use std::sync::Arc;

use serde::Deserialize;

use super::{Action, Check, RawCheck};
use crate::config::{Diagnostic, Source};
use crate::error::Error;
use crate::event::{GateResult, Status};
use crate::plan::{Resolver, Step};

/// The kind's name in reports.
pub const KIND: &str = "manual";

/// `manual = true` (`false` is no check at all).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Raw(pub bool);

impl RawCheck for Raw {
    fn load(&self, _: &Source) -> Result<Arc<dyn Check>, Diagnostic> {
        Ok(Arc::new(Manual))
    }
}

/// A manual gate.
#[derive(Debug)]
pub struct Manual;

impl Check for Manual {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn plan(&self, _: &Resolver) -> Result<Action, Error> {
        Ok(Action::Manual)
    }
}

/// The result of a manual gate: `passed` with `--ack ID`, else `pending`.
pub fn confirm(step: &Step) -> GateResult {
    if step.acked {
        return GateResult::not_run(Status::Passed, None);
    }
    let reason = format!("awaiting sign-off (confirm with --ack {})", step.gate.id);
    GateResult::not_run(Status::Pending, Some(reason))
}

/// What `--dry-run` says of a manual gate.
pub fn describe(acked: bool) -> String {
    match acked {
        true => "manual, acked".to_owned(),
        false => "manual, awaits --ack".to_owned(),
    }
}
