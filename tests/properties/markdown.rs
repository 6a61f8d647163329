//! The Markdown importer (`gate init --from`): whatever the checklist, the
//! gates.toml it writes loads, with one gate per task item.

use std::path::PathBuf;

use gate::config::{self, Source};
use gate::init::from_markdown;

/// Converts the checklist `markdown` and loads what it writes.
pub fn check(markdown: &str) {
    let items = from_markdown::items(markdown);
    let gates = from_markdown::gates(&items);
    assert_eq!(gates.len(), items.len(), "not one gate per item");
    let text = from_markdown::render(&gates, "checklist.md");
    from_markdown::summary(&gates);
    if items.is_empty() {
        return;
    }
    let source = Source::new(PathBuf::from("gates.toml"), text.clone());
    let config = config::parse(source).unwrap_or_else(|error| {
        panic!("the gates.toml written from {markdown:?} does not load:\n{error}\n{text}")
    });
    let written: Vec<&str> = config.gates.iter().map(|g| g.id.as_str()).collect();
    let made: Vec<&str> = gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(written, made, "the gates written are not the items'");
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::check;
    use crate::{mutated, pieces, run};

    /// Real checklists.
    const SEEDS: &[&str] = &[
        include_str!("../cli/fixtures/checklists/checklist-node-mongo.md"),
        include_str!("../cli/fixtures/checklists/checklist-python-spa.md"),
        include_str!("../cli/fixtures/checklists/release-nested.md"),
    ];

    /// What checklists are made of: items, headings, shell blocks, commands.
    const TOKENS: &[&str] = &[
        "\n",
        "\n",
        "\n\n",
        "- [ ] ",
        "- [x] ",
        "1. [ ] ",
        "  - [ ] ",
        "# ",
        "## ",
        "### ",
        "```bash\n",
        "```sh\n",
        "```console\n",
        "```\n",
        "~~~\n",
        "    ",
        "$ ",
        "# note\n",
        "cd backend && ",
        "make test",
        "curl ",
        "curl -sf ",
        "-X POST ",
        "-H \"A: b\" ",
        "-H 'Authorization: Bearer <admin_token>' ",
        "-d '{\"a\": 1}' ",
        "-L ",
        "-k ",
        "https://api.example.test/health",
        "http://127.0.0.1:8000/",
        "<token>",
        "<PORT>",
        "${HOME}",
        "${",
        "$${",
        "}",
        "\\\n",
        "'",
        "\"",
        "`",
        "*",
        "_",
        "<b>",
        "</b>",
        "🚀 ",
        "kubectl apply -f x",
        "docker push x",
        "rm -rf /tmp/x",
        "--force",
        "| tee x",
        "&&",
        ";",
        "\t",
        "é",
        "[link](http://x)",
        "> ",
        "---\n",
        "| a | b |\n",
    ];

    #[test]
    fn edited_checklists_convert_to_configs_that_load() {
        run(100, mutated(SEEDS, TOKENS), |markdown| check(&markdown));
    }

    #[test]
    fn assembled_checklists_convert_to_configs_that_load() {
        run(500, pieces(TOKENS, 40), |markdown| check(&markdown));
    }

    #[test]
    fn any_text_converts_to_a_config_that_loads() {
        run(200, any::<String>(), |markdown| check(&markdown));
    }
}
