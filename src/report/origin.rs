//! Where a run happened: the machine and the commit, for the reports that
//! a person reads later (Markdown, notifications).

use std::path::Path;

/// This machine's host name.
pub fn host() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (result == 0 && !name.is_empty()).then_some(name)
}

/// `git rev-parse HEAD` in the config's directory, when it is in a repository.
pub fn commit(config: &Path) -> Option<String> {
    let dir = config
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
        .unwrap_or(Path::new("."));
    duct::cmd!("git", "rev-parse", "HEAD")
        .dir(dir)
        .stdin_null()
        .stderr_null()
        .unchecked()
        .stdout_capture()
        .run()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|commit| !commit.is_empty())
}

/// `text` on one line, runs of whitespace as one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
