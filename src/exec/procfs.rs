//! What /proc says about processes: their state, parent and group, their
//! environment and command line. On systems without a Linux /proc there is
//! nothing to list, and every caller says what that means for it.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// One line of `/proc/PID/stat`, the fields gate looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    /// Dead, waiting for its parent to reap it.
    pub zombie: bool,
    pub ppid: i32,
    pub pgrp: i32,
}

impl Stat {
    /// Reads a `/proc/PID/stat` line; `None` if it is not one.
    pub fn parse(line: &str) -> Option<Stat> {
        // The command name, in parentheses, may hold spaces and parentheses:
        // the fields start after the last `)`.
        let (head, fields) = line.rsplit_once(')')?;
        let pid = head.split_once(' ')?.0.parse().ok()?;
        let mut fields = fields.split_whitespace();
        let zombie = fields.next()? == "Z";
        let ppid = fields.next()?.parse().ok()?;
        let pgrp = fields.next()?.parse().ok()?;
        Some(Stat {
            pid,
            zombie,
            ppid,
            pgrp,
        })
    }
}

/// Every process /proc shows; `None` when there is no /proc to read.
pub fn processes() -> Option<Vec<Stat>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let listed = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect();
    Some(listed)
}

/// The children of process `pid`, from each of its threads' `children`
/// list; `None` when the kernel keeps no such lists (or `pid` is gone). A
/// thread that ends while they are read has no children left to list.
pub fn children(pid: i32) -> Option<Vec<i32>> {
    let mut children = Vec::new();
    let mut listed = false;
    for task in std::fs::read_dir(path(pid, "task")).ok()?.flatten() {
        let Ok(list) = std::fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        listed = true;
        children.extend(
            list.split_whitespace()
                .filter_map(|pid| pid.parse::<i32>().ok()),
        );
    }
    listed.then_some(children)
}

/// The processes below `pid` that descend from those of its children
/// `top` picks, those children included; `None` when the kernel keeps no
/// children lists. Each process is listed once, even if a pid is reused
/// while the tree is walked.
pub fn subtrees(pid: i32, top: impl Fn(i32) -> bool) -> Option<Vec<Stat>> {
    let mut pending: Vec<i32> = children(pid)?
        .into_iter()
        .filter(|&child| top(child))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    while let Some(current) = pending.pop() {
        if !seen.insert(current) {
            continue;
        }
        if let Some(stat) = stat(current) {
            found.push(stat);
            pending.extend(children(current).unwrap_or_default());
        }
    }
    Some(found)
}

/// The state of process `pid`, if it exists.
pub fn stat(pid: i32) -> Option<Stat> {
    Stat::parse(&std::fs::read_to_string(path(pid, "stat")).ok()?)
}

/// Whether process `pid` runs as this user (so that its environment can be read).
pub fn is_own(pid: i32) -> bool {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let uid = unsafe { libc::geteuid() };
    std::fs::metadata(path(pid, "")).is_ok_and(|meta| meta.uid() == uid)
}

/// The environment process `pid` was started with, `NAME=value` entries;
/// empty when it cannot be read (another user's process, a zombie).
pub fn environ(pid: i32) -> Vec<Vec<u8>> {
    nul_separated(std::fs::read(path(pid, "environ")).unwrap_or_default())
}

/// The arguments of process `pid`; empty for a zombie.
pub fn cmdline(pid: i32) -> Vec<String> {
    let bytes = std::fs::read(path(pid, "cmdline")).unwrap_or_default();
    nul_separated(bytes)
        .iter()
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// The command name the kernel keeps for process `pid` (at most 15 bytes).
pub fn comm(pid: i32) -> Option<String> {
    let name = std::fs::read_to_string(path(pid, "comm")).ok()?;
    Some(name.trim_end_matches('\n').to_owned())
}

fn path(pid: i32, file: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{file}"))
}

/// `bytes` split at NUL bytes, empty pieces dropped.
fn nul_separated(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == 0)
        .filter(|piece| !piece.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Stat, nul_separated};

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let stat = Stat::parse("4242 (sleep (x)) S 1 777 777 0 -1").unwrap();
        assert_eq!(
            stat,
            Stat {
                pid: 4242,
                zombie: false,
                ppid: 1,
                pgrp: 777
            }
        );
        assert!(Stat::parse("4242 (sleep) Z 1 777 777 0").unwrap().zombie);
        assert_eq!(Stat::parse("garbage"), None);
    }

    #[test]
    fn nul_separated_pieces_drop_the_trailing_terminator() {
        assert_eq!(
            nul_separated(b"sleep\x00300\x00".to_vec()),
            [b"sleep".to_vec(), b"300".to_vec()]
        );
        assert!(nul_separated(Vec::new()).is_empty());
    }
}
