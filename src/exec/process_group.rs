//! A gate's command runs as the leader of its own process group, so that a
//! timeout or a cancel reaches everything it started: SIGTERM to the group,
//! a grace period, then SIGKILL.

use std::io;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

use super::leftovers::Tag;
use super::procfs;
use super::stop::{Stop, StopReceiver, reached};

/// How often to look whether a terminated group is gone.
const POLL: Duration = Duration::from_millis(10);

/// Starts `command` (its program, arguments and environment set) in `cwd`
/// as the leader of a new process group, tagged with `tag`, stdin closed,
/// stdout and stderr on one new pipe: how gate starts every process. A
/// `cwd` that does not exist is said in those words, as an error of kind
/// `NotADirectory`.
pub fn start(mut command: Command, cwd: &Path, tag: &Tag) -> io::Result<(Child, pipe::Receiver)> {
    let (writer, reader) = pipe::pipe()?;
    let writer = writer.into_blocking_fd()?;
    tag.apply(&mut command);
    command
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0)
        .kill_on_drop(true);
    match command.spawn() {
        Ok(child) => Ok((child, reader)),
        Err(_) if !cwd.is_dir() => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("working directory \"{}\" does not exist", cwd.display()),
        )),
        Err(error) => Err(error),
    }
}

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
/// its time. Without /proc to look in, a group that takes signals is alive.
fn group_alive(pgid: i32) -> bool {
    signal_group(pgid, 0)
        && procfs::processes().is_none_or(|all| all.iter().any(|p| p.pgrp == pgid && !p.zombie))
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
