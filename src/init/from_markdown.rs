//! `gate init --from CHECKLIST.md`: a gates.toml from a team's Markdown checklist.
//!
//! Three steps, each from data to data: [`items`] reads the task items of the
//! Markdown, [`gates`] decides what each becomes (a command, an HTTP probe or a
//! manual gate), and [`render`] writes the TOML text. No step does I/O.

use std::path::PathBuf;

use crate::config::{self, Source};
use crate::report::origin::one_line;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One task item of a checklist (`- [ ] text`, `1. [x] text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The item's text as a rendered checklist shows it: Markdown and HTML tags stripped.
    pub name: String,
    /// The headings it stands under, outermost first, emoji and Markdown stripped.
    pub headings: Vec<String>,
    /// Which heading of the document (counted from 1) is the nearest above it; 0 for none.
    pub heading: usize,
    /// The command lines of the shell blocks right under it, comments and prompts dropped.
    pub commands: Vec<String>,
}

/// A gate made of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub id: String,
    pub name: String,
    pub section: Option<String>,
    pub kind: Kind,
    /// Variables its command or probe reads, from placeholders such as `<admin_token>`.
    pub variables: Vec<String>,
}

/// What a gate does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Confirmed by a person.
    Manual,
    /// An action, not a check: manual, its command kept in a comment.
    HeldBack { command: String, reason: String },
    /// A shell command.
    Command { run: String, cwd: Option<String> },
    /// An HTTP probe from a single `curl` call.
    Http(Probe),
}

/// The `http` table of a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub url: String,
    pub method: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// curl's `-L`; without it curl does not follow redirects, so neither does the gate.
    pub follow_redirects: bool,
    /// curl's `-k`.
    pub insecure: bool,
}

/// How many gates of each kind, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub commands: usize,
    pub probes: usize,
    pub manual: usize,
    pub held_back: usize,
}

/// The language of a fenced block that holds commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shell {
    /// `bash`, `sh`, `shell`, `zsh`.
    Script,
    /// No language given.
    Untagged,
    /// `console`: commands after a `$ ` prompt, and their output.
    Console,
}

/// The task items of `markdown`, in document order.
pub fn items(markdown: &str) -> Vec<Item> {
    let mut reader = Reader::default();
    for event in Parser::new_ext(markdown, options()) {
        reader.event(event);
    }
    reader.items
}

/// GitHub's task lists and strikethrough, and a YAML front matter block
/// read as such, not as a heading.
fn options() -> Options {
    Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// A list item being read: the task item it is, if any, and whether its
/// text (the first paragraph) is still being read.
struct Open {
    task: Option<usize>,
    reading_name: bool,
}

/// The state of one pass over the Markdown events.
#[derive(Default)]
struct Reader {
    items: Vec<Item>,
    /// The open headings, outermost first.
    headings: Vec<(HeadingLevel, String)>,
    headings_seen: usize,
    /// The text of the heading being read.
    heading: Option<String>,
    open: Vec<Open>,
    /// The task item a shell block would belong to.
    candidate: Option<usize>,
    /// The candidate's list has ended: only a block right after it belongs to it.
    trailing: bool,
    /// The fenced block being read: its shell, if it holds commands, and its text.
    block: Option<(Option<Shell>, String)>,
}

impl Reader {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::TaskListMarker(_) => self.task(),
            Event::Text(text) | Event::Code(text) => self.text(&text),
            Event::SoftBreak | Event::HardBreak => self.text(" "),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        if self.trailing && !matches!(tag, Tag::CodeBlock(_)) {
            self.candidate = None;
        }
        match tag {
            Tag::Heading { .. } => {
                self.heading = Some(String::new());
                self.candidate = None;
            }
            Tag::Item => {
                self.open.push(Open {
                    task: None,
                    reading_name: true,
                });
                self.candidate = None;
            }
            Tag::CodeBlock(kind) => {
                self.stop_name();
                self.block = Some((shell(&kind), String::new()));
            }
            Tag::List(_) | Tag::BlockQuote(_) | Tag::Table(_) | Tag::HtmlBlock => self.stop_name(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(level) => self.heading_read(level),
            TagEnd::Item => self.item_read(),
            TagEnd::CodeBlock => self.block_read(),
            TagEnd::Paragraph => self.stop_name(),
            _ => {}
        }
    }

    fn task(&mut self) {
        let index = self.items.len();
        let Some(open) = self.open.last_mut().filter(|o| o.task.is_none()) else {
            return;
        };
        open.task = Some(index);
        self.items.push(Item {
            name: String::new(),
            headings: self.headings.iter().map(|(_, h)| h.clone()).collect(),
            heading: self.headings_seen,
            commands: Vec::new(),
        });
        self.candidate = Some(index);
        self.trailing = false;
    }

    fn text(&mut self, text: &str) {
        if let Some((_, block)) = &mut self.block {
            block.push_str(text);
        } else if let Some(heading) = &mut self.heading {
            heading.push_str(text);
        } else if let Some(index) = self.reading_task() {
            self.items[index].name.push_str(text);
        }
    }

    /// The task item whose text is being read.
    fn reading_task(&self) -> Option<usize> {
        self.open
            .last()
            .filter(|o| o.reading_name)
            .and_then(|o| o.task)
    }

    fn stop_name(&mut self) {
        if let Some(open) = self.open.last_mut() {
            open.reading_name = false;
        }
    }

    fn heading_read(&mut self, level: HeadingLevel) {
        let text = plain_heading(&self.heading.take().unwrap_or_default());
        self.headings.retain(|(l, _)| *l < level);
        self.headings.push((level, text));
        self.headings_seen += 1;
    }

    fn item_read(&mut self) {
        let closed = self.open.pop().and_then(|o| o.task);
        if let Some(index) = closed {
            self.items[index].name = item_name(&self.items[index].name);
        }
        if closed.is_some() && closed == self.candidate {
            self.trailing = self.open.is_empty();
            if !self.trailing {
                self.candidate = None;
            }
        }
    }

    fn block_read(&mut self) {
        let Some((Some(shell), text)) = self.block.take() else {
            return;
        };
        let inside = self.open.last().and_then(|o| o.task);
        let belongs = match self.trailing {
            true => self.open.is_empty(),
            false => inside.is_some() && inside == self.candidate,
        };
        if let (true, Some(index)) = (belongs, self.candidate) {
            self.items[index]
                .commands
                .extend(command_lines(shell, &text));
        }
    }
}

/// An item's text as a gate's name: on one line, without the colon that
/// introduces the command block under it (`Migrations applied:`).
fn item_name(text: &str) -> String {
    one_line(text).trim_end_matches(':').trim_end().to_owned()
}

/// The shell of a fenced block's language, if it holds commands.
fn shell(kind: &CodeBlockKind) -> Option<Shell> {
    let CodeBlockKind::Fenced(info) = kind else {
        return None;
    };
    match info.split_whitespace().next().unwrap_or("") {
        "" => Some(Shell::Untagged),
        "bash" | "sh" | "shell" | "zsh" => Some(Shell::Script),
        "console" => Some(Shell::Console),
        _ => None,
    }
}

/// A heading's text without emoji. A leading word with no ASCII in it, made
/// of Latin-1, punctuation and math signs, is an emoji read in the wrong
/// encoding (`üîê` for 🔐) and goes too.
fn plain_heading(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !is_emoji(*c)).collect();
    let mut words: Vec<&str> = kept.split_whitespace().collect();
    if words.len() > 1 && is_mojibake(words[0]) {
        words.remove(0);
    }
    words.join(" ")
}

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE00..=0xFE0F
        | 0x200D | 0xE000..=0xF8FF)
}

fn is_mojibake(word: &str) -> bool {
    word.chars()
        .all(|c| matches!(u32::from(c), 0x80..=0x24F | 0x2000..=0x22FF))
}

/// The lines of a shell block that are commands: continued lines (`\` at the
/// end) joined, comments dropped; in a `console` block only the lines after a
/// `$ ` prompt, the rest being output. A block with no language that reads
/// as prose (a line's first word ends in `:`, as in `Test: log in -> bid`)
/// has none.
fn command_lines(shell: Shell, text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        let (body, continues) = match line.trim_end().strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        match lines.last_mut() {
            Some(last) if continued => {
                last.push(' ');
                last.push_str(body.trim());
            }
            _ => lines.push(body.to_owned()),
        }
        continued = continues;
    }
    let prompted = lines.iter().any(|line| line.trim_start().starts_with("$ "));
    let shell = match prompted {
        true => Shell::Console,
        false => shell,
    };
    let commands: Vec<String> = lines
        .iter()
        .filter_map(|line| match shell {
            Shell::Script | Shell::Untagged => Some(line.as_str()),
            Shell::Console => line.trim_start().strip_prefix('$'),
        })
        .map(|line| one_line(strip_comment(line)))
        .filter(|line| !line.is_empty())
        .collect();
    let prose = |line: &String| line.split(' ').next().is_some_and(|w| w.ends_with(':'));
    match shell == Shell::Untagged && commands.iter().any(prose) {
        true => Vec::new(),
        false => commands,
    }
}

/// Where a character of a shell line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The quoting of each character of `line` (byte offset, character, quoting
/// around it), as sh reads it; a quote character counts as inside its quotes.
fn quoting(line: &str) -> Vec<(usize, char, Quote)> {
    let mut state = Quote::None;
    let mut escaped = false;
    let mut out = Vec::new();
    for (at, c) in line.char_indices() {
        let before = state;
        match (state, c) {
            _ if escaped => escaped = false,
            (Quote::None | Quote::Double, '\\') => escaped = true,
            (Quote::None, '\'') => state = Quote::Single,
            (Quote::None, '"') => state = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => state = Quote::None,
            _ => {}
        }
        let around = if before == Quote::None { state } else { before };
        out.push((at, c, around));
    }
    out
}

/// `line` up to an unquoted `#` that starts a word.
fn strip_comment(line: &str) -> &str {
    let chars = quoting(line);
    let comment = chars.iter().enumerate().find(|(i, (_, c, quote))| {
        *c == '#' && *quote == Quote::None && (*i == 0 || chars[i - 1].1.is_whitespace())
    });
    match comment {
        Some((_, (at, _, _))) => &line[..*at],
        None => line,
    }
}

/// The variable a placeholder `<admin_token>` stands for, `ADMIN_TOKEN`;
/// `None` unless `text` starts with `<word>` (a letter, then letters, digits, `_`, `-`).
fn placeholder_name(text: &str) -> Option<String> {
    let inner = &text.strip_prefix('<')?[..text[1..].find('>')?];
    let valid = inner.starts_with(|c: char| c.is_ascii_alphabetic())
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    valid.then(|| inner.to_ascii_uppercase().replace('-', "_"))
}

/// Replaces each placeholder of `text` with `substitute(VAR, at)`, collecting
/// the variables; `<tag>` with a `</tag>` later in `text` is HTML and stays.
fn replace_placeholders(
    text: &str,
    variables: &mut Vec<String>,
    substitute: impl Fn(&str, usize) -> String,
) -> String {
    let mut out = String::new();
    let mut rest = 0;
    for (at, _) in text.match_indices('<') {
        let Some(name) = placeholder_name(&text[at..]).filter(|_| at >= rest) else {
            continue;
        };
        let word = &text[at + 1..at + 1 + name.len()];
        if text.contains(&format!("</{word}>")) {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(&substitute(&name, at));
        rest = at + name.len() + 2;
        if !variables.contains(&name) {
            variables.push(name);
        }
    }
    out.push_str(&text[rest..]);
    out
}

/// A shell line with its placeholders as variables, quoted so the shell
/// expands them as one word: `"$VAR"`, in double quotes `${VAR}`, and in
/// single quotes (where `$` is literal) `'"$VAR"'`.
fn shell_placeholders(line: &str, variables: &mut Vec<String>) -> String {
    let chars = quoting(line);
    replace_placeholders(line, variables, |name, at| {
        let quote = chars
            .iter()
            .find(|(offset, _, _)| *offset == at)
            .map_or(Quote::None, |(_, _, q)| *q);
        match quote {
            Quote::None => format!("\"${name}\""),
            Quote::Double => format!("${{{name}}}"),
            Quote::Single => format!("'\"${name}\"'"),
        }
    })
}

/// A probe string with its placeholders as `${VAR}`.
fn probe_placeholders(text: &str, variables: &mut Vec<String>) -> String {
    replace_placeholders(text, variables, |name, _| format!("${{{name}}}"))
}

/// The gates of `items`, one each, in order.
pub fn gates(items: &[Item]) -> Vec<Gate> {
    let sections = sections(items);
    let mut ids: Vec<String> = Vec::new();
    items
        .iter()
        .zip(sections)
        .enumerate()
        .map(|(index, (item, section))| {
            let id = unique_id(&item.name, index + 1, &ids);
            ids.push(id.clone());
            let mut variables = Vec::new();
            let kind = kind(item, &mut variables);
            if !matches!(kind, Kind::Command { .. } | Kind::Http(_)) {
                variables.clear();
            }
            Gate {
                id,
                name: item.name.clone(),
                section,
                kind,
                variables,
            }
        })
        .collect()
}

/// The section of each item: its nearest heading. Where headings of the
/// same text hold items, the report would merge them, so each takes as many
/// of the headings above it as tell them apart (`Post-Deployment / Testing`),
/// and if even the whole path does not, a number (`Testing (2)`).
fn sections(items: &[Item]) -> Vec<Option<String>> {
    items
        .iter()
        .map(|item| {
            let depth = item.headings.len();
            let distinct = (1..=depth).find(|n| {
                let label = suffix(item, *n);
                !items
                    .iter()
                    .any(|other| other.heading != item.heading && suffix(other, *n) == label)
            });
            match distinct {
                Some(n) => Some(suffix(item, n)),
                None if depth == 0 => None,
                None => Some(numbered(items, item)),
            }
        })
        .collect()
}

/// The last `n` headings above `item`, joined with ` / `.
fn suffix(item: &Item, n: usize) -> String {
    item.headings[item.headings.len().saturating_sub(n)..].join(" / ")
}

/// The whole heading path of `item`, numbered among the headings of that path.
fn numbered(items: &[Item], item: &Item) -> String {
    let path = suffix(item, item.headings.len());
    let mut instances: Vec<usize> = items
        .iter()
        .filter(|other| other.headings == item.headings)
        .map(|other| other.heading)
        .collect();
    instances.dedup();
    match instances.iter().position(|h| *h == item.heading) {
        Some(n) if n > 0 => format!("{path} ({})", n + 1),
        _ => path,
    }
}

/// The slug of `name` (`[a-z0-9-]`, at most 48 characters), `-2`, `-3` when
/// taken, `item-N` when `name` has no letter or digit.
fn unique_id(name: &str, number: usize, taken: &[String]) -> String {
    let base = match slug(name, 48) {
        text if text.is_empty() => format!("item-{number}"),
        text => text,
    };
    (1..)
        .map(|n| match n {
            1 => base.clone(),
            n => {
                let suffix = format!("-{n}");
                format!("{}{suffix}", slug(&base, 48 - suffix.len()))
            }
        })
        .find(|id| !taken.contains(id))
        .expect("some suffix is free")
}

fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c.is_ascii_alphanumeric() {
            true => out.push(c.to_ascii_lowercase()),
            false if !out.is_empty() && !out.ends_with('-') => out.push('-'),
            false => {}
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

/// Words of the headings of sign-off sections, whose items people confirm
/// even where a command is shown.
const SIGN_OFF_HEADINGS: &[&str] = &["sign-off", "sign off", "signoff", "approval"];

/// What `item` becomes; `variables` gets the placeholders its command reads.
fn kind(item: &Item, variables: &mut Vec<String>) -> Kind {
    if item.commands.is_empty() || under(item, SIGN_OFF_HEADINGS).is_some() {
        return Kind::Manual;
    }
    let lines: Vec<String> = item
        .commands
        .iter()
        .map(|line| shell_placeholders(line, variables))
        .collect();
    let held = |reason: String| Kind::HeldBack {
        command: lines.join(" && "),
        reason,
    };
    if let Some(heading) = under(item, &["rollback", "restore", "recovery", "disaster"]) {
        return held(format!("under the heading `{heading}`"));
    }
    if let Some(action) = item.commands.iter().find_map(|line| changes(line)) {
        return held(format!("`{action}` changes things"));
    }
    match item.commands.as_slice() {
        [line] => probe(line, variables).filter(loads).map(Kind::Http),
        _ => None,
    }
    .unwrap_or_else(|| command(&lines))
}

/// The first heading above `item` whose text contains one of `words`.
fn under<'a>(item: &'a Item, words: &[&str]) -> Option<&'a str> {
    item.headings
        .iter()
        .find(|h| {
            let lower = h.to_lowercase();
            words.iter().any(|w| lower.contains(w))
        })
        .map(String::as_str)
}

/// The action in `line` that changes things, if any: `git push`, `git
/// checkout`, `docker push`, `alembic downgrade`, `psql ... < FILE`,
/// `kubectl apply|delete`, `terraform apply`, `rm -rf`, any `--force`.
fn changes(line: &str) -> Option<String> {
    let words = shell_words::split(line)
        .unwrap_or_else(|_| line.split_whitespace().map(str::to_owned).collect());
    let has = |program: &str, verbs: &[&str]| {
        let at = words.iter().position(|w| w == program)?;
        let verb = words[at + 1..]
            .iter()
            .find(|w| verbs.contains(&w.as_str()))?;
        Some(format!("{program} {verb}"))
    };
    has("git", &["push", "checkout"])
        .or_else(|| has("docker", &["push"]))
        .or_else(|| has("npm", &["publish"]))
        .or_else(|| has("helm", &["install", "upgrade", "uninstall", "rollback"]))
        .or_else(|| has("alembic", &["downgrade"]))
        .or_else(|| has("kubectl", &["apply", "delete"]))
        .or_else(|| has("terraform", &["apply"]))
        .or_else(|| has("rm", &["-rf", "-fr", "-Rf", "-fR"]))
        .or_else(|| {
            let psql = words.iter().any(|w| w == "psql");
            (psql && words.iter().any(|w| w.starts_with('<'))).then(|| "psql < FILE".to_owned())
        })
        .or_else(|| {
            let force = words.iter().find(|w| w.starts_with("--force"))?;
            Some(force.clone())
        })
}

/// A command gate from shell lines: a `cd DIR` that every line starts
/// with, or that only the first line has, becomes `cwd`. Otherwise each line
/// starts where the checklist's reader stands: a line with a `cd` runs in a
/// subshell.
fn command(lines: &[String]) -> Kind {
    let parts: Vec<(Option<&str>, &str)> = lines.iter().map(|l| leading_cd(l)).collect();
    let first = parts[0].0;
    let later_cds = parts[1..].iter().filter(|(dir, _)| dir.is_some()).count();
    let shared = later_cds == 0 || parts.iter().all(|(dir, _)| *dir == first);
    let rests: Vec<&str> = parts
        .iter()
        .map(|(_, rest)| *rest)
        .filter(|rest| !rest.is_empty())
        .collect();
    if let (Some(dir), true, false) = (first, shared, rests.is_empty()) {
        return Kind::Command {
            run: rests.join(" && "),
            cwd: Some(dir.to_owned()),
        };
    }
    let run: Vec<String> = parts
        .iter()
        .zip(lines)
        .map(|((dir, _), line)| match dir {
            Some(_) if lines.len() > 1 => format!("({line})"),
            _ => line.clone(),
        })
        .collect();
    Kind::Command {
        run: run.join(" && "),
        cwd: None,
    }
}

/// `cd DIR && rest` as `(Some(DIR), rest)`, a lone `cd DIR` as `(Some(DIR), "")`,
/// any other line as `(None, line)`. DIR is a plain path, nothing to quote.
fn leading_cd(line: &str) -> (Option<&str>, &str) {
    let Some(after) = line.strip_prefix("cd ") else {
        return (None, line);
    };
    let (dir, rest) = after.split_once(' ').unwrap_or((after, ""));
    let plain = !dir.is_empty()
        && dir
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    match (plain, rest.strip_prefix("&& ")) {
        (true, Some(rest)) => (Some(dir), rest),
        (true, None) if rest.is_empty() => (Some(dir), ""),
        _ => (None, line),
    }
}

/// An HTTP probe from a `curl` line that gate can express: `-H` headers,
/// `-X` method, `-d` body (a POST, form-encoded as curl sends it), `-I` a
/// HEAD, `-L` follows redirects, `-k` accepts any certificate; `-s`, `-S`
/// change only what curl prints and `-f` (fail on an error status) is what
/// the gate's default expectation, a 2xx status, already does. Any other
/// flag, a `$`, a shell operator or not exactly one http(s) URL: `None`.
fn probe(line: &str, variables: &mut Vec<String>) -> Option<Probe> {
    let words = shell_words::split(line).ok()?;
    let (program, args) = words.split_first()?;
    let plain = |w: &String| {
        !w.contains(['$', '`'])
            && !["|", "||", "&&", ";", "&"].contains(&w.as_str())
            && !w.starts_with(['<', '>'])
    };
    if program != "curl" || !args.iter().all(plain) {
        return None;
    }
    let mut curl = Curl::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        curl.arg(arg, &mut args)?;
    }
    curl.probe(variables)
}

/// Whether `probe` passes the checks of an `http` table when gates.toml
/// is loaded (its URL, method, header names and values): one that does not
/// stays the curl command it was read from.
fn loads(probe: &Probe) -> bool {
    let source = Source::new(
        PathBuf::from(config::FILE_NAME),
        format!("[gates.probe]\nhttp = {}\n", http(probe)),
    );
    config::parse(source).is_ok()
}

/// What a curl command line asked for.
#[derive(Default)]
struct Curl {
    urls: Vec<String>,
    method: Option<String>,
    headers: Vec<String>,
    data: Vec<String>,
    head: bool,
    location: bool,
    insecure: bool,
}

impl Curl {
    /// Reads one argument (and the value after it, for flags that take one);
    /// `None` for a flag gate does not honour.
    fn arg<'a>(&mut self, arg: &'a str, rest: &mut impl Iterator<Item = &'a String>) -> Option<()> {
        if let Some(long) = arg.strip_prefix("--") {
            return self.long(long, rest);
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            self.urls.push(arg.to_owned());
            return Some(());
        };
        for (at, flag) in flags.char_indices() {
            if "HXd".contains(flag) {
                let inline = &flags[at + 1..];
                let value = match inline.is_empty() {
                    true => rest.next()?.clone(),
                    false => inline.to_owned(),
                };
                return self.value(flag, value);
            }
            self.switch(flag)?;
        }
        Some(())
    }

    fn long<'a>(&mut self, long: &str, rest: &mut impl Iterator<Item = &'a String>) -> Option<()> {
        let with_value = [
            ("header", 'H'),
            ("request", 'X'),
            ("data", 'd'),
            ("data-raw", 'd'),
            ("data-binary", 'd'),
        ];
        let switches = [
            ("head", 'I'),
            ("silent", 's'),
            ("show-error", 'S'),
            ("fail", 'f'),
            ("location", 'L'),
            ("insecure", 'k'),
        ];
        if let Some((_, flag)) = with_value.iter().find(|(name, _)| *name == long) {
            return self.value(*flag, rest.next()?.clone());
        }
        let (_, flag) = switches.iter().find(|(name, _)| *name == long)?;
        self.switch(*flag)
    }

    fn value(&mut self, flag: char, value: String) -> Option<()> {
        match flag {
            'H' => self.headers.push(value),
            'X' => self.method = Some(value),
            // `@file` sends a file's contents: not something to guess.
            _ if value.starts_with('@') => return None,
            _ => self.data.push(value),
        }
        Some(())
    }

    fn switch(&mut self, flag: char) -> Option<()> {
        match flag {
            'I' => self.head = true,
            'L' => self.location = true,
            'k' => self.insecure = true,
            's' | 'S' | 'f' => {}
            _ => return None,
        }
        Some(())
    }

    fn probe(self, variables: &mut Vec<String>) -> Option<Probe> {
        let [url] = self.urls.as_slice() else {
            return None;
        };
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return None;
        }
        let mut headers = self
            .headers
            .iter()
            .map(|h| {
                let (name, value) = h.split_once(':')?;
                Some((
                    name.trim().to_owned(),
                    probe_placeholders(value.trim(), variables),
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        let body =
            (!self.data.is_empty()).then(|| probe_placeholders(&self.data.join("&"), variables));
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push((
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        let method = match (self.method, self.head, &body) {
            (Some(method), _, _) => Some(method),
            (None, true, _) => Some("HEAD".to_owned()),
            (None, false, Some(_)) => Some("POST".to_owned()),
            (None, false, None) => None,
        };
        Some(Probe {
            url: probe_placeholders(url, variables),
            method,
            headers,
            body,
            follow_redirects: self.location,
            insecure: self.insecure,
        })
    }
}

/// How many gates of each kind `gates` has.
pub fn counts(gates: &[Gate]) -> Counts {
    let mut counts = Counts::default();
    for gate in gates {
        match gate.kind {
            Kind::Command { .. } => counts.commands += 1,
            Kind::Http(_) => counts.probes += 1,
            Kind::HeldBack { .. } => {
                counts.manual += 1;
                counts.held_back += 1;
            }
            Kind::Manual => counts.manual += 1,
        }
    }
    counts
}

/// The gates.toml text of `gates`, read from the checklist `source`.
pub fn render(gates: &[Gate], source: &str) -> String {
    let source = comment(source);
    let mut text = format!(
        "# Written by `gate init --from {source}`: one gate per task item of the\n\
         # checklist, in its order. Items with no command, sign-off items and\n\
         # actions (their command kept in a comment) are manual: confirm them\n\
         # with `gate ack ID` (or `gate run --ack ID` for one run).\n\
         # A command gate passes when its command exits 0: make sure each one\n\
         # fails when its item is not met (`df -h` always exits 0; `grep`\n\
         # exits 0 when it finds), and add an `expect` where it does not.\n"
    );
    let variables = variables(gates);
    if !variables.is_empty() {
        let names: Vec<&str> = variables.iter().map(|(name, _)| *name).collect();
        text.push_str(&format!(
            "# Set these variables first: {}\n",
            names.join(", ")
        ));
    }
    text.push_str("\nversion = 1\n");
    for gate in gates {
        text.push('\n');
        text.push_str(&gate_text(gate));
    }
    text
}

/// Each variable the gates read, once, with the first gate that reads it.
pub fn variables(gates: &[Gate]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for gate in gates {
        for variable in &gate.variables {
            if !out.iter().any(|(name, _)| name == variable) {
                out.push((variable, &gate.id));
            }
        }
    }
    out
}

fn gate_text(gate: &Gate) -> String {
    let mut text = String::new();
    if let Kind::HeldBack { command, reason } = &gate.kind {
        text.push_str(&format!(
            "# Held back ({}); run it yourself, then ack:\n#   {}\n",
            comment(reason),
            comment(command)
        ));
    }
    text.push_str(&format!("[gates.{}]\n", gate.id));
    if !gate.name.is_empty() {
        text.push_str(&format!("name = {}\n", string(&gate.name)));
    }
    if let Some(section) = &gate.section {
        text.push_str(&format!("section = {}\n", string(section)));
    }
    match &gate.kind {
        Kind::Manual | Kind::HeldBack { .. } => text.push_str("manual = true\n"),
        Kind::Command { run, cwd } => {
            if let Some(cwd) = cwd {
                text.push_str(&format!("cwd = {}\n", string(cwd)));
            }
            text.push_str(&format!("run = {}\n", string(run)));
        }
        Kind::Http(probe) => text.push_str(&format!("http = {}\n", http(probe))),
    }
    text
}

/// A probe as an inline table.
fn http(probe: &Probe) -> String {
    let mut fields = vec![format!("url = {}", string(&probe.url))];
    if let Some(method) = &probe.method {
        fields.push(format!("method = {}", string(method)));
    }
    if !probe.headers.is_empty() {
        let headers: Vec<String> = probe
            .headers
            .iter()
            .map(|(name, value)| format!("{} = {}", key(name), string(value)))
            .collect();
        fields.push(format!("headers = {{ {} }}", headers.join(", ")));
    }
    if let Some(body) = &probe.body {
        fields.push(format!("body = {}", string(body)));
    }
    if !probe.follow_redirects {
        fields.push("follow_redirects = false".to_owned());
    }
    if probe.insecure {
        fields.push("insecure = true".to_owned());
    }
    format!("{{ {} }}", fields.join(", "))
}

/// `text` for a TOML comment, which may hold no control character but a
/// tab: each other one is written as its escape (`\u{1}`).
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_ascii_control() && c != '\t' {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// `text` as a TOML string, escaped by the toml crate.
fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `name` as a TOML key: bare when it can be.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match bare {
        true => name.to_owned(),
        false => string(name),
    }
}

/// The summary of a conversion: counts per kind, then each held-back command.
pub fn summary(gates: &[Gate]) -> String {
    let counts = counts(gates);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "{}: {}, {}, {} manual ({} held back)\n",
        plural(gates.len(), "item"),
        plural(counts.commands, "command"),
        plural(counts.probes, "probe"),
        counts.manual,
        counts.held_back,
    );
    for gate in gates {
        if let Kind::HeldBack { command, reason } = &gate.kind {
            text.push_str(&format!("held back `{}` ({reason}): {command}\n", gate.id));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(markdown: &str) -> Gate {
        let gates = gates(&items(markdown));
        assert_eq!(gates.len(), 1, "{gates:?}");
        gates[0].clone()
    }

    fn run_of(markdown: &str) -> (String, Option<String>) {
        match one(markdown).kind {
            Kind::Command { run, cwd } => (run, cwd),
            other => panic!("not a command: {other:?}"),
        }
    }

    fn probe_of(markdown: &str) -> Probe {
        match one(markdown).kind {
            Kind::Http(probe) => probe,
            other => panic!("not a probe: {other:?}"),
        }
    }

    #[test]
    fn task_items_nested_and_numbered_are_read_in_order() {
        let items = items(
            "# Top\n\n## 🚀 Ship *it*\n\n- [ ] First `one`\n  - [x] Nested **bold**\n- not a task\n\
             1. [ ] Numbered\n\n### `Sign-off`\n- [ ] Last\n  with a second line\n",
        );
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "First one",
                "Nested bold",
                "Numbered",
                "Last with a second line"
            ]
        );
        assert_eq!(items[0].headings, ["Top", "Ship it"]);
        assert_eq!(items[3].headings, ["Top", "Ship it", "Sign-off"]);
    }

    #[test]
    fn emoji_and_misread_emoji_leave_headings() {
        assert_eq!(plain_heading("🔐 Security"), "Security");
        assert_eq!(
            plain_heading("\u{f8ff}üîê Security Configuration"),
            "Security Configuration"
        );
        assert_eq!(plain_heading("‚úÖ Final Sign-Off"), "Final Sign-Off");
        assert_eq!(plain_heading("Über alles"), "Über alles");
        assert_eq!(plain_heading("Проверка базы"), "Проверка базы");
    }

    #[test]
    fn a_shell_block_right_under_an_item_is_its_command() {
        let (run, cwd) = run_of(
            "- [ ] Tests\n  ```bash\n  # all of them\n  cd backend && pytest \\\n    --cov  # coverage\n  \
             flake8 '#not-a-comment'\n  ```\n",
        );
        assert_eq!(run, "pytest --cov && flake8 '#not-a-comment'");
        assert_eq!(cwd.as_deref(), Some("backend"));
    }

    #[test]
    fn lines_that_cd_elsewhere_run_in_subshells() {
        let (run, cwd) = run_of("- [ ] Scan\n  ```sh\n  cd a && x\n  cd b && y\n  ```\n");
        assert_eq!(run, "(cd a && x) && (cd b && y)");
        assert_eq!(cwd, None);
        let (run, cwd) = run_of("- [ ] Same\n  ```sh\n  cd a && x\n  cd a && y\n  ```\n");
        assert_eq!((run.as_str(), cwd.as_deref()), ("x && y", Some("a")));
        let (run, cwd) = run_of("- [ ] Lone\n  ```sh\n  cd a\n  make\n  ```\n");
        assert_eq!((run.as_str(), cwd.as_deref()), ("make", Some("a")));
    }

    #[test]
    fn console_blocks_keep_the_prompted_lines() {
        let (run, _) =
            run_of("- [ ] Up\n  ```console\n  $ make check\n  ok\n  $ echo done\n  done\n  ```\n");
        assert_eq!(run, "make check && echo done");
    }

    #[test]
    fn blocks_that_are_not_commands() {
        let manual = |markdown: &str| assert_eq!(one(markdown).kind, Kind::Manual, "{markdown}");
        manual("- [ ] Payload\n  ```json\n  {\"a\": 1}\n  ```\n");
        manual("- [ ] Prose\n  ```\n  Test: log in → bid\n  ```\n");
        manual("- [ ] Parent\n  - child\n  ```sh\n  make\n  ```\n");
        manual("- [ ] Item\n\n## Heading\n\n```sh\nmake\n```\n");
        manual("- [ ] Item\n\nA paragraph.\n\n```sh\nmake\n```\n");
        assert_eq!(run_of("- [ ] Item\n```sh\nmake\n```\n").0, "make");
    }

    #[test]
    fn placeholders_become_variables_quoted_for_the_shell() {
        let gate = one(
            "- [ ] Tag\n  ```sh\n  deploy <release-tag> 'x <admin_token>' \"<Host>x\" < in.sql <b>y</b>\n  ```\n",
        );
        let Kind::Command { run, .. } = &gate.kind else {
            panic!()
        };
        assert_eq!(
            run,
            "deploy \"$RELEASE_TAG\" 'x '\"$ADMIN_TOKEN\"'' \"${HOST}x\" < in.sql <b>y</b>"
        );
        assert_eq!(gate.variables, ["RELEASE_TAG", "ADMIN_TOKEN", "HOST"]);
    }

    #[test]
    fn a_single_curl_call_is_a_probe() {
        let probe = probe_of(
            "- [ ] Admin\n  ```bash\n  curl -sSfL -H \"Authorization: Bearer <admin_token>\" \\\n    -H 'X-Probe: 1' https://api.example.com/health\n  ```\n",
        );
        assert_eq!(probe.url, "https://api.example.com/health");
        assert_eq!(
            probe.headers,
            [
                (
                    "Authorization".to_owned(),
                    "Bearer ${ADMIN_TOKEN}".to_owned()
                ),
                ("X-Probe".to_owned(), "1".to_owned()),
            ]
        );
        assert!(probe.follow_redirects);
        assert_eq!(probe.method, None);
        let head = probe_of("- [ ] Head\n  ```sh\n  curl -I http://example.com\n  ```\n");
        assert_eq!(
            (head.method.as_deref(), head.follow_redirects),
            (Some("HEAD"), false)
        );
        let post = probe_of(
            "- [ ] Post\n  ```sh\n  curl -X PUT --data '{\"a\":1}' -H 'Content-Type: application/json' https://x.test/a\n  ```\n",
        );
        assert_eq!(
            (post.method.as_deref(), post.body.as_deref()),
            (Some("PUT"), Some("{\"a\":1}"))
        );
        assert_eq!(post.headers.len(), 1);
        let form = probe_of("- [ ] Form\n  ```sh\n  curl -d a=1 https://x.test/a\n  ```\n");
        assert_eq!(form.method.as_deref(), Some("POST"));
        assert_eq!(form.headers[0].1, "application/x-www-form-urlencoded");
    }

    #[test]
    fn curl_that_gate_cannot_say_stays_a_command() {
        for line in [
            "curl -o /dev/null https://x.test",
            "curl https://x.test | grep ok",
            "curl $API_URL/health",
            "curl x.test",
            "curl -d @body.json https://x.test",
            "curl https://a.test https://b.test",
            // Probes that gate check would refuse.
            "curl -H 'Accept: a\u{1}b' https://x.test",
            "curl -H 'Bad Name: x' https://x.test",
            "curl -X 'GE T' https://x.test",
            "curl 'https://[::1/'",
        ] {
            let (run, _) = run_of(&format!("- [ ] C\n  ```sh\n  {line}\n  ```\n"));
            assert_eq!(run, line);
        }
    }

    #[test]
    fn actions_are_held_back_with_their_command() {
        for (line, reason) in [
            ("git push origin main", "`git push` changes things"),
            ("git checkout v1", "`git checkout` changes things"),
            ("docker push r/b:1", "`docker push` changes things"),
            ("alembic downgrade -1", "`alembic downgrade` changes things"),
            ("psql -d db < dump.sql", "`psql < FILE` changes things"),
            (
                "kubectl -n x apply -f k.yaml",
                "`kubectl apply` changes things",
            ),
            ("kubectl delete pod p", "`kubectl delete` changes things"),
            ("terraform apply", "`terraform apply` changes things"),
            ("rm -rf build", "`rm -rf` changes things"),
            ("npm publish --force", "`npm publish` changes things"),
            ("helm upgrade app ./chart", "`helm upgrade` changes things"),
            ("make deploy --force", "`--force` changes things"),
        ] {
            let gate = one(&format!("- [ ] A\n  ```sh\n  {line}\n  ```\n"));
            let expected = Kind::HeldBack {
                command: line.to_owned(),
                reason: reason.to_owned(),
            };
            assert_eq!(gate.kind, expected);
            assert!(gate.variables.is_empty());
        }
        let gate =
            one("## Disaster recovery\n- [ ] Check\n  ```sh\n  curl https://x.test\n  ```\n");
        assert!(
            matches!(gate.kind, Kind::HeldBack { reason, .. } if reason.contains("Disaster recovery"))
        );
        let gate = one("## Final Sign-off\n### Lead\n- [ ] Check\n  ```sh\n  make\n  ```\n");
        assert_eq!(gate.kind, Kind::Manual);
    }

    #[test]
    fn control_characters_in_comments_are_escaped_so_the_file_loads() {
        let gates = gates(&items(
            "## Rollback\n- [ ] Undo\n  ```sh\n  docker p\u{1}ll app\n  ```\n",
        ));
        let text = render(&gates, "check\nlist\u{7f}.md");
        assert!(text.contains("#   docker p\\u{1}ll app\n"), "{text}");
        assert!(text.contains("--from check\\nlist\\u{7f}.md`"), "{text}");
        let source = crate::config::Source::new("gates.toml".into(), text);
        assert!(crate::config::parse(source).is_ok());
    }

    #[test]
    fn ids_are_short_unique_slugs() {
        let long = "a".repeat(60);
        let gates = gates(&items(&format!(
            "- [ ] Health check!\n- [ ] health  CHECK\n- [ ] ≥ ★\n- [ ] {long}\n- [ ] {long}\n"
        )));
        let ids: Vec<&str> = gates.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids[..3], ["health-check", "health-check-2", "item-3"]);
        assert_eq!(ids[3], "a".repeat(48));
        assert_eq!(ids[4], format!("{}-2", "a".repeat(46)));
    }

    #[test]
    fn repeated_headings_stay_apart() {
        let gates = gates(&items(
            "# T\n## Pre\n### Testing\n- [ ] a\n## Post\n### Testing\n- [ ] b\n\
             ## Post\n### Testing\n- [ ] c\n### Other\n- [ ] d\n",
        ));
        let sections: Vec<&str> = gates
            .iter()
            .map(|g| g.section.as_deref().unwrap())
            .collect();
        assert_eq!(
            sections,
            [
                "Pre / Testing",
                "T / Post / Testing",
                "T / Post / Testing (2)",
                "Other"
            ]
        );
    }

    #[test]
    fn the_toml_says_what_the_text_says() {
        let text = render(
            &gates(&items(
                "## \"Q\" \\ ${HOME}\n- [ ] say \"hi\" \\ ${HOME} <b>x</b>\n  ```sh\n  echo \"a\\b\" '${X}'\n  ```\n\
                 - [ ] H\n  ```sh\n  curl -H 'K.y: \"v\"' https://x.test/<path_part>\n  ```\n",
            )),
            "c.md",
        );
        let value: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let gate = &value["gates"]["say-hi-home-x"];
        assert_eq!(gate["name"].as_str(), Some("say \"hi\" \\ ${HOME} x"));
        assert_eq!(gate["section"].as_str(), Some("\"Q\" \\ ${HOME}"));
        assert_eq!(gate["run"].as_str(), Some("echo \"a\\b\" '${X}'"));
        let http = &value["gates"]["h"]["http"];
        assert_eq!(http["url"].as_str(), Some("https://x.test/${PATH_PART}"));
        assert_eq!(http["headers"]["K.y"].as_str(), Some("\"v\""));
        assert!(
            text.contains("# Set these variables first: PATH_PART\n"),
            "{text}"
        );
    }

    #[test]
    fn the_summary_counts_and_names_held_back_commands() {
        let gates = gates(&items(
            "- [ ] a\n  ```sh\n  make\n  ```\n- [ ] b\n  ```sh\n  curl https://x.test\n  ```\n\
             - [ ] c\n- [ ] d\n  ```sh\n  git push\n  ```\n",
        ));
        assert_eq!(
            summary(&gates),
            "4 items: 1 command, 1 probe, 2 manual (1 held back)\n\
             held back `d` (`git push` changes things): git push\n"
        );
    }
}
