//! `manual = true`: an item a person confirms. Never executed (so 0
//! attempts); passed when signed off (`gate ack`, a record that holds) or
//! acked for the run (`--ack`), else pending.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Action, Check, RawCheck};
use crate::config::{Diagnostic, Source};
use crate::error::Error;
use crate::event::{GateResult, Status};
use crate::plan::{Resolver, Step};
use crate::signoff::{self, Signature, Standing};

/// The kind's name in reports.
pub const KIND: &str = "manual";

/// `manual = true` (`false` is no check at all).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(rename = "Manual")]
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

/// How a manual gate is confirmed, as the run is planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// A sign-off on record holds for this commit, now.
    Signed(Signature),
    /// `--ack ID`: for this run only.
    Acked,
    /// Not confirmed; with why the latest sign-off on record does not hold.
    Awaited(Option<String>),
}

impl Confirmation {
    /// A gate's confirmation from `--ack` and its standing in the store:
    /// a sign-off that holds, else the ack, else why none holds.
    pub fn of(acked: bool, standing: Standing) -> Confirmation {
        match (standing, acked) {
            (Standing::Signed(signature), _) => Confirmation::Signed(signature),
            (_, true) => Confirmation::Acked,
            (Standing::Stale(why), false) => Confirmation::Awaited(Some(why)),
            (Standing::Unsigned, false) => Confirmation::Awaited(None),
        }
    }

    /// The sign-off that confirms it, if one does.
    pub fn signature(&self) -> Option<&Signature> {
        match self {
            Confirmation::Signed(signature) => Some(signature),
            _ => None,
        }
    }
}

/// The result of a manual gate: `passed` when signed off or acked, else
/// `pending` with why, or with how to confirm it.
pub fn confirm(step: &Step) -> GateResult {
    let id = &step.gate.id;
    match &step.confirmation {
        Confirmation::Signed(_) | Confirmation::Acked => GateResult::not_run(Status::Passed, None),
        Confirmation::Awaited(why) => {
            let reason = why.clone().unwrap_or_else(|| signoff::awaiting(id));
            GateResult::not_run(Status::Pending, Some(reason))
        }
    }
}

/// What `--dry-run` says of a manual gate.
pub fn describe(confirmation: &Confirmation) -> String {
    match confirmation {
        Confirmation::Signed(signature) => format!("manual, signed off by {}", signature.by),
        Confirmation::Acked => "manual, acked".to_owned(),
        Confirmation::Awaited(_) => "manual, awaits gate ack or --ack".to_owned(),
    }
}
