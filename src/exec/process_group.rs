//! A gate's command runs as the leader of its own process group, so that a
//! timeout or a cancel reaches everything it started: SIGTERM to the group,
//! a grace period, then SIGKILL.

use std::time::Duration;

use tokio::process::Child;

use super::stop::{Stop, StopReceiver, reached};

/// How often to look whether a terminated group is gone.
const POLL: Duration = Duration::from_millis(10);

/// Sends `signal` to every process of group `pgid`; false if none is left.
fn signal_group(pgid: i32, signal: libc::c_int) -> bool {
    if pgid <= 0 {
        // kill(0) would signal gate's own group: never.
        return false;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
    unsafe { libc::kill(-pgid, signal) == 0 }
}

/// True while any live process of group `pgid` exists. Zombies do not count:
/// a process that died after its parent is reaped by init, which may take
/// its time.
fn group_alive(pgid: i32) -> bool {
    signal_group(pgid, 0) && has_live_member(pgid)
}

/// Looks through /proc for a process of group `pgid` that is not a zombie.
#[cfg(target_os = "linux")]
fn has_live_member(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .any(|stat| live_in_group(&stat, pgid))
}

/// Whether a `/proc/PID/stat` line is of a live process in group `pgid`.
#[cfg(target_os = "linux")]
fn live_in_group(stat: &str, pgid: i32) -> bool {
    // After the command name in parentheses: state, ppid, pgrp, ...
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return false;
    };
    let mut fields = fields.split_whitespace();
    let state = fields.next();
    let group = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
    group == Some(pgid) && state != Some("Z")
}

#[cfg(not(target_os = "linux"))]
fn has_live_member(_pgid: i32) -> bool {
    true
}

/// Terminates the group led by `child`: SIGTERM, then SIGKILL after `grace`
/// (or at once when the stop level reaches `Kill`). Returns once the leader
/// is reaped and the group is empty, or SIGKILL was sent.
pub async fn terminate(child: &mut Child, pgid: i32, grace: Duration, stop: &mut StopReceiver) {
    terminate_with(libc::SIGTERM, child, pgid, grace, stop).await;
}

/// [`terminate`], asking with `signal` rather than SIGTERM.
pub async fn terminate_with(
    signal: libc::c_int,
    child: &mut Child,
    pgid: i32,
    grace: Duration,
    stop: &mut StopReceiver,
) {
    if !signal_group(pgid, signal) {
        let _ = child.wait().await;
        return;
    }
    tokio::select! {
        () = gone(child, pgid) => return,
        () = tokio::time::sleep(grace) => {}
        () = reached(stop, Stop::Kill) => {}
    }
    signal_group(pgid, libc::SIGKILL);
    let _ = child.wait().await;
}

/// Resolves when the leader has exited (and is reaped) and no process of the group is left.
async fn gone(child: &mut Child, pgid: i32) {
    loop {
        let leader_done = !matches!(child.try_wait(), Ok(None));
        if leader_done && !group_alive(pgid) {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// After the leader exited by itself: ends whatever it left in its group.
pub async fn clean_up(child: &mut Child, pgid: i32, grace: Duration, stop: &mut StopReceiver) {
    if group_alive(pgid) {
        terminate(child, pgid, grace, stop).await;
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::live_in_group;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let line = "4242 (sleep (x)) S 1 777 777 0 -1";
        assert!(live_in_group(line, 777));
        assert!(!live_in_group(line, 4242));
        assert!(!live_in_group("4242 (sleep) Z 1 777 777 0", 777));
    }
}
