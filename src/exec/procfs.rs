//! What /proc says about processes: their state, parent and group. On systems without a Linux /proc there is
//! nothing to list, and every caller says what that means for it.

use std::path::PathBuf;

/// One line of `/proc/PID/stat`, the fields gate looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub pid: i32,
    /// Dead, waiting for its parent to reap it.
    pub zombie: bool,
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
        // State, parent, group.
        let zombie = fields.next()? == "Z";
        let pgrp = fields.nth(1)?.parse().ok()?;
        Some(Stat { pid, zombie, pgrp })
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

/// The state of process `pid`, if it exists.
pub fn stat(pid: i32) -> Option<Stat> {
    Stat::parse(&std::fs::read_to_string(path(pid, "stat")).ok()?)
}

fn path(pid: i32, file: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{file}"))
}

#[cfg(test)]
mod tests {
    use super::Stat;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let stat = Stat::parse("4242 (sleep (x)) S 1 777 777 0 -1").unwrap();
        assert_eq!(
            stat,
            Stat {
                pid: 4242,
                zombie: false,
                pgrp: 777
            }
        );
        assert!(Stat::parse("4242 (sleep) Z 1 777 777 0").unwrap().zombie);
        assert_eq!(Stat::parse("garbage"), None);
    }
}
