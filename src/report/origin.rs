//! Where a run happened: the machine and the commit, for the reports that
//! a person reads later (Markdown, notifications).

use std::path::Path;

use super::model::Origin;

/// Where a run of the config at `config` happens, as of now: its commit
/// and this machine.
pub fn here(config: &Path) -> Origin {
    Origin {
        commit: commit(config),
        host: host(),
    }
}

/// This machine's host name.
fn host() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (result == 0 && !name.is_empty()).then_some(name)
}

/// `git rev-parse HEAD` in the config's directory, when it is in a
/// repository; for the reports, which leave the commit out when unknown.
fn commit(config: &Path) -> Option<String> {
    head(config).ok().flatten()
}

/// The commit checked out beside the config: `Ok(None)` outside any git
/// repository, an error when there is one but git cannot say (git missing,
/// a repository git refuses to read): sign-offs must not take that for
/// "outside git".
pub fn head(config: &Path) -> Result<Option<String>, String> {
    let dir = config_dir(config);
    if !in_repository(dir) {
        return Ok(None);
    }
    let commit = git(dir, &["rev-parse", "HEAD"])
        .map_err(|why| format!("git cannot tell the commit checked out: {why}"))?;
    Ok(Some(commit))
}

/// True when commit `other` has the files HEAD has beside the config, but
/// for those under `excluded` (a directory relative to the config's): git
/// says so, and `other` is a full commit id, never an option or a range.
pub fn alike_but(config: &Path, other: &str, excluded: &str) -> bool {
    let is_commit_id =
        matches!(other.len(), 40 | 64) && other.bytes().all(|b| b.is_ascii_hexdigit());
    let exclude = format!(":(exclude){excluded}");
    let args = ["diff", "--quiet", other, "HEAD", "--", ":/", &exclude];
    is_commit_id
        && duct::cmd("git", args)
            .dir(config_dir(config))
            .stdin_null()
            .stdout_null()
            .stderr_null()
            .unchecked()
            .run()
            .is_ok_and(|output| output.status.success())
}

/// The directory of the config file at `config`.
fn config_dir(config: &Path) -> &Path {
    config
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
        .unwrap_or(Path::new("."))
}

/// True when `dir` or one of its parents holds a `.git`.
fn in_repository(dir: &Path) -> bool {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// The trimmed output of `git ARGS` run in `dir`; why not, in one line,
/// when it fails or prints nothing.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = duct::cmd("git", args)
        .dir(dir)
        .stdin_null()
        .unchecked()
        .stdout_capture()
        .stderr_capture()
        .run()
        .map_err(|error| one_line(&error.to_string()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match (output.status.success(), stdout.is_empty()) {
        (true, false) => Ok(stdout),
        (true, true) => Err(format!("`git {}` printed nothing", args.join(" "))),
        (false, _) => Err(one_line(&String::from_utf8_lossy(&output.stderr))),
    }
}

/// `text` on one line, runs of whitespace as one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
