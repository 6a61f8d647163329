//! `gate list` and `gate run --dry-run`: the checklist and the plan, without
//! running anything.

use std::collections::HashMap;

use colored::Colorize;
use serde::Serialize;

use super::GateInfo;
use crate::config::{Gate, Service};
use crate::plan::Plan;

/// One entry of `gate list --format json`.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    gate: GateInfo,
    needs: &'a [String],
    after: &'a [String],
    services: &'a [String],
    slots: usize,
}

/// The gates as a JSON array, in config order.
pub fn json(gates: &[&Gate]) -> String {
    let entries: Vec<Entry> = gates
        .iter()
        .map(|gate| Entry {
            gate: GateInfo::of(gate),
            needs: &gate.needs,
            after: &gate.after,
            services: &gate.services,
            slots: gate.slots,
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).expect("the list serializes");
    text.push('\n');
    text
}

/// The checklist: gates under their section headings, with kind, tags,
/// needs and `after` gates, then the `services` they use and which of
/// them use each.
pub fn human(gates: &[&Gate], services: &[Service]) -> String {
    let width = gates.iter().map(|g| g.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (section, gates) in super::by_section(gates.to_vec(), |gate| gate.section.as_deref()) {
        let indent = match section {
            Some(section) => {
                text.push_str(&format!("{}\n", section.bold()));
                "  "
            }
            None => "",
        };
        for gate in gates {
            let kind = gate.check.kind();
            let (id, name, details) = (&gate.id, &gate.name, details(gate));
            text.push_str(&format!(
                "{indent}{id:<width$}  {kind:<7}  {name}{details}\n"
            ));
        }
    }
    let users = users(gates);
    let used: Vec<(&str, String)> = services
        .iter()
        .filter(|service| users.contains_key(service.id.as_str()))
        .map(|service| (service.id.as_str(), format!("`{}`", service.run)))
        .collect();
    text.push_str(&services_block(&used, |id| users[id].clone()));
    text
}

/// The ids of the `gates` that use each service, by service id (a gate
/// lists each of its services once); services no gate uses are left out.
fn users<'g>(gates: &[&'g Gate]) -> HashMap<&'g str, Vec<&'g str>> {
    let mut users: HashMap<&str, Vec<&str>> = HashMap::new();
    for gate in gates {
        for service in &gate.services {
            users.entry(service).or_default().push(gate.id.as_str());
        }
    }
    users
}

/// `Services` and a line per service: its id, what it runs, who uses it.
fn services_block<'a>(services: &[(&str, String)], users: impl Fn(&str) -> Vec<&'a str>) -> String {
    if services.is_empty() {
        return String::new();
    }
    let width = services.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    let mut text = format!("{}\n", "Services".bold());
    for (id, what) in services {
        let used_by = format!("  used by {}", users(id).join(", "));
        text.push_str(&format!("  {id:<width$}  {what}{}\n", used_by.dimmed()));
    }
    text
}

fn details(gate: &Gate) -> String {
    let mut details = String::new();
    if !gate.tags.is_empty() {
        details.push_str(&format!("  [{}]", gate.tags.join(", ")));
    }
    for (key, ids) in [("needs", &gate.needs), ("after", &gate.after)] {
        if !ids.is_empty() {
            details.push_str(&format!("  {key} {}", ids.join(", ")));
        }
    }
    if !gate.services.is_empty() {
        details.push_str(&format!("  uses {}", gate.services.join(", ")));
    }
    if gate.slots > 1 {
        details.push_str(&format!("  {} slots", gate.slots));
    }
    if gate.severity == crate::config::Severity::Warn {
        details.push_str("  (warn)");
    }
    details.dimmed().to_string()
}

/// ` (2 slots)` for a gate that takes more than one of the `concurrency`
/// slots, ` (4 slots: runs alone)` when it takes them all.
fn slots(slots: usize, concurrency: usize) -> String {
    match slots {
        1 => String::new(),
        n if n >= concurrency => format!(" ({n} slots: runs alone)"),
        n => format!(" ({n} slots)"),
    }
}

/// The plan: the gates in the order they would start, each with the
/// selected gates it waits for (needs and `after`), and how.
pub fn dry_run(plan: &Plan) -> String {
    let count = plan.steps.len();
    let gates = if count == 1 { "gate" } else { "gates" };
    let mut text = format!(
        "gate: would run {count} {gates}, {} at once (dry run; nothing was run)\n",
        plan.concurrency
    );
    for (position, index) in plan.order().into_iter().enumerate() {
        let step = &plan.steps[index];
        let what = step.describe();
        let waits_for: Vec<&str> = plan
            .waits_for(index)
            .into_iter()
            .map(|gate| plan.steps[gate].gate.id.as_str())
            .collect();
        let mut after = match waits_for.is_empty() {
            true => String::new(),
            false => format!(" (after {})", waits_for.join(", ")),
        };
        after.push_str(&slots(step.gate.slots, plan.concurrency));
        text.push_str(&format!(
            "{:>4}. {}{}  {}\n",
            position + 1,
            step.gate.id,
            after.dimmed(),
            what.dimmed()
        ));
    }
    let services: Vec<(&str, String)> = plan
        .services
        .iter()
        .map(|service| (service.id.as_str(), service.describe()))
        .collect();
    let user_ids = |id: &str| {
        let service = plan.services.iter().find(|s| s.id == id);
        let users = service.map_or(&[][..], |s| &s.users);
        users
            .iter()
            .map(|&u| plan.steps[u].gate.id.as_str())
            .collect()
    };
    text.push_str(&services_block(&services, user_ids));
    text.push_str(&environment_block(plan));
    text
}

/// `Environment` and a line per variable gate sets for every gate (from
/// `.env` files, `[env]` and the profile): its value, secrets masked, and
/// where it was set.
fn environment_block(plan: &Plan) -> String {
    let variables = plan.env.effective();
    if variables.is_empty() {
        return String::new();
    }
    let mut text = format!("{}\n", "Environment".bold());
    for (name, value, source) in variables {
        // One line each: a value of several lines shows its line breaks as `\n`.
        let value = plan.redactor.redact(value).replace('\n', "\\n");
        let source = format!("  ({source})");
        text.push_str(&format!("  {name}={value}{}\n", source.dimmed()));
    }
    text
}
