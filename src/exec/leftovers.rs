//! What a gate or a service left behind: the processes it started that are
//! still running after it ended, also those that left its process group
//! (`setsid`, a double fork, `nohup ... &`). They are found, terminated
//! (SIGTERM, the grace period, SIGKILL) and named for the report.
//!
//! Every process gate starts carries a [`Tag`] in its environment:
//! `GATE_RUN=<run id>` and `GATE_OWNER=<owner>` (a gate's id, or
//! `service:NAME`). Children inherit it, so what an owner left behind is
//! found by reading `/proc/PID/environ` of this user's processes. Only
//! the processes below gate are looked at: as subreaper, gate adopts what
//! its commands leave, so that is where they are, and the cost of a
//! gate's end does not grow with what else runs on the machine. Without
//! subreaper, or without the kernel's children lists, every process is.
//!
//! A process whose environment was cleared (`env -i`) carries no tag. On
//! Linux gate is the child subreaper of its run ([`become_subreaper`]), so
//! such a process is adopted by gate once its parent exits, and
//! [`end_run`] ends every adopted process when the run ends.
//!
//! # Reaping adopted processes
//!
//! As subreaper, gate is the parent of what it adopts and must reap it, or
//! it stays a zombie until gate exits. But gate must never take the exit
//! status of a child that tokio (or anything else in gate) is waiting for:
//! that wait would fail. Tokio waits for each of its children by pid, never
//! with `waitpid(-1)`, and neither does this module: it reaps one pid at a
//! time, and only a pid it knows was adopted:
//!
//! - [`end_leftovers`] reaps a process it found alive, tagged with the
//!   owner and a child of gate. It is called once the owner's own process
//!   has been waited for, so such a child is not one gate started: it was
//!   adopted. A zombie's pid is not reused before it is reaped, so the
//!   pid that is reaped is the process that was signalled.
//! - [`end_run`] reaps every zombie child of gate. It is called once every
//!   process gate started for the run has been waited for, so every child
//!   left is adopted.
//!
//! Adopted processes that end by themselves during the run stay zombies
//! until the run ends: harmless, and bounded by what the gates leave.
//!
//! Elsewhere than on Linux nothing is found: the process group is all
//! that is ended.

use std::fmt;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::process::Command;

use super::procfs::{self, Stat};
use super::stop::{Stop, StopReceiver, reached};

/// The variable naming the run.
pub const RUN_VARIABLE: &str = "GATE_RUN";
/// The variable naming the owner: a gate's id, or `service:NAME`.
pub const OWNER_VARIABLE: &str = "GATE_OWNER";

/// How often to look whether the terminated processes are gone.
const POLL: Duration = Duration::from_millis(10);
/// How long to wait for the kernel to end SIGKILLed processes.
const KILL_WAIT: Duration = Duration::from_secs(1);
/// Passes over /proc, each after the last one's processes ended: a
/// leftover may start another before it is terminated.
const ROUNDS: usize = 4;
/// At most this many characters of a leftover's command line are shown.
const SHOWN: usize = 120;

/// A new run id, unique on this machine: gate's pid and the time, in hex.
pub fn run_id() -> Arc<str> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{:x}-{nanos:x}", std::process::id()).into()
}

/// The mark on every process gate starts for one owner, and on what those start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    run: Arc<str>,
    owner: String,
}

impl Tag {
    /// The tag of `owner` (a gate's id, or `service:NAME`) in run `run`.
    pub fn new(run: Arc<str>, owner: impl Into<String>) -> Tag {
        Tag {
            run,
            owner: owner.into(),
        }
    }

    /// The environment variables that carry the tag.
    pub fn env(&self) -> [(&'static str, &str); 2] {
        [(RUN_VARIABLE, &self.run), (OWNER_VARIABLE, &self.owner)]
    }

    /// Adds the tag to the environment of `command`; call it after any
    /// other environment, so that the tag wins.
    pub fn apply(&self, command: &mut Command) {
        command.envs(self.env());
    }
}

/// A process that was ended because it outlived its owner or the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub pid: i32,
    /// Its program's file name and its arguments: `sleep 300`.
    pub command: String,
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (pid {})", self.command, self.pid)
    }
}

/// The report's line for what was ended:
/// `gate ended 1 leftover process: sleep 300 (pid 8649)`; `None` for nothing.
pub fn describe(ended: &[Leftover]) -> Option<String> {
    let noun = match ended.len() {
        0 => return None,
        1 => "process",
        _ => "processes",
    };
    let list: Vec<String> = ended.iter().map(Leftover::to_string).collect();
    Some(format!(
        "gate ended {} leftover {noun}: {}",
        ended.len(),
        list.join(", ")
    ))
}

/// Set once [`become_subreaper`] made gate the child subreaper: nothing
/// else in gate changes that, so it need not be asked of the kernel again.
static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// Makes gate the child subreaper of its run (Linux; elsewhere nothing):
/// a process whose parent exits is adopted by gate rather than by init,
/// so that [`end_run`] can end it.
pub fn become_subreaper() {
    // SAFETY: prctl(2) with PR_SET_CHILD_SUBREAPER takes integers and touches no memory.
    #[cfg(target_os = "linux")]
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0 {
        SUBREAPER.store(true, Ordering::Relaxed);
    }
}

/// Whether gate is the child subreaper of its processes: it became one.
fn is_subreaper() -> bool {
    SUBREAPER.load(Ordering::Relaxed)
}

/// Ends what `tag`'s owner left behind: every live process below gate
/// carrying the tag. SIGTERM, then SIGKILL after `grace` (or at once when the stop
/// level reaches `Kill`). Call it once the owner's own process has been
/// waited for. Returns what was ended, in pid order.
pub async fn end_leftovers(tag: &Tag, grace: Duration, stop: &mut StopReceiver) -> Vec<Leftover> {
    let marks = tag.env().map(|(name, value)| format!("{name}={value}"));
    let tagged = |process: &Stat| carries(process.pid, &marks);
    end_all(
        || below_gate(|child| carries(child, &marks)),
        tagged,
        grace,
        stop,
    )
    .await
}

/// The processes below gate that descend from those of its children that
/// `top` picks, those children included. As the child subreaper, gate
/// adopts what a command leaves behind when the process it was started
/// from ends, so everything gate's gates and services started, and what
/// those started, is below it: nothing else on the machine is looked at.
/// Without subreaper or children lists: every process.
fn below_gate(top: impl Fn(i32) -> bool) -> Vec<Stat> {
    let below = is_subreaper()
        .then(|| procfs::subtrees(own_pid(), top))
        .flatten();
    below.unwrap_or_else(|| procfs::processes().unwrap_or_default())
}

/// Ends what is left of run `run`: every live process below gate tagged
/// with it and every process gate adopted, then reaps gate's zombie
/// children. Call it once every process gate started for the run has
/// been waited for.
pub async fn end_run(run: &str, grace: Duration, stop: &mut StopReceiver) -> Vec<Leftover> {
    let marks = [format!("{RUN_VARIABLE}={run}")];
    let gate = own_pid();
    let ended = end_all(
        || below_gate(|_| true),
        |process| process.ppid == gate || carries(process.pid, &marks),
        grace,
        stop,
    )
    .await;
    reap_zombie_children();
    ended
}

/// Ends every process `chosen` picks among those `candidates` lists, in
/// rounds, until a pass finds none.
async fn end_all(
    candidates: impl Fn() -> Vec<Stat>,
    chosen: impl Fn(&Stat) -> bool,
    grace: Duration,
    stop: &mut StopReceiver,
) -> Vec<Leftover> {
    let mut ended: Vec<Leftover> = Vec::new();
    for _ in 0..ROUNDS {
        let found = find(candidates(), &chosen);
        if found.is_empty() {
            break;
        }
        terminate(&found, grace, stop).await;
        for target in found {
            // One that outlived SIGKILL's delivery is found again: once is enough.
            if !ended.iter().any(|e| e.pid == target.leftover.pid) {
                ended.push(target.leftover);
            }
        }
    }
    ended.sort_by_key(|leftover| leftover.pid);
    ended
}

/// A live process to end, held by a pidfd where the system has them, so
/// that a signal cannot reach another process that got its pid.
struct Target {
    leftover: Leftover,
    pidfd: Option<OwnedFd>,
    /// A child of gate (adopted), which gate reaps.
    child: bool,
}

/// The live processes of `candidates` that `chosen` picks, except gate itself.
fn find(candidates: Vec<Stat>, chosen: &impl Fn(&Stat) -> bool) -> Vec<Target> {
    let gate = own_pid();
    let picked = |process: &Stat| process.pid != gate && !process.zombie && chosen(process);
    candidates
        .into_iter()
        .filter(|process| picked(process))
        .filter_map(|process| {
            let pidfd = open_pidfd(process.pid);
            // Looked at again once held: the pid may have been reused.
            let held = procfs::stat(process.pid).filter(|now| picked(now))?;
            Some(Target {
                leftover: Leftover {
                    pid: held.pid,
                    command: command_line(held.pid),
                },
                pidfd,
                child: held.ppid == gate,
            })
        })
        .collect()
}

/// Whether process `pid` is this user's and its environment has every one of `marks`.
fn carries(pid: i32, marks: &[String]) -> bool {
    if !procfs::is_own(pid) {
        return false;
    }
    let environ = procfs::environ(pid);
    marks
        .iter()
        .all(|mark| environ.iter().any(|entry| entry == mark.as_bytes()))
}

/// SIGTERM to every target, then SIGKILL to those left after `grace` (or
/// at once when the stop level reaches `Kill`); returns once all are gone.
async fn terminate(targets: &[Target], grace: Duration, stop: &mut StopReceiver) {
    for target in targets {
        signal(target, libc::SIGTERM);
    }
    tokio::select! {
        () = gone(targets) => return,
        () = tokio::time::sleep(grace) => {}
        () = reached(stop, Stop::Kill) => {}
    }
    for target in targets {
        signal(target, libc::SIGKILL);
    }
    let _ = tokio::time::timeout(KILL_WAIT, gone(targets)).await;
}

/// Resolves once no target is alive, reaping those that are gate's children.
async fn gone(targets: &[Target]) {
    while !targets.iter().all(ended) {
        tokio::time::sleep(POLL).await;
    }
}

/// Whether `target` has ended; reaps it when it is a zombie child of gate.
fn ended(target: &Target) -> bool {
    let pid = target.leftover.pid;
    match procfs::stat(pid) {
        None => true,
        Some(stat) if stat.zombie => {
            if target.child {
                reap(pid);
            }
            true
        }
        Some(_) => false,
    }
}

/// Reaps every zombie child of gate (see the module's notes on reaping).
fn reap_zombie_children() {
    let gate = own_pid();
    let children = match procfs::children(gate) {
        Some(pids) => pids.into_iter().filter_map(procfs::stat).collect(),
        None => procfs::processes().unwrap_or_default(),
    };
    for zombie in children.into_iter().filter(|p| p.ppid == gate && p.zombie) {
        reap(zombie.pid);
    }
}

/// Collects the exit status of the adopted child `pid`, if it has ended.
fn reap(pid: i32) {
    let mut status = 0;
    // SAFETY: waitpid(2) for one pid, writing only `status`.
    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
}

fn own_pid() -> i32 {
    std::process::id() as i32
}

/// `signal` to `target`, through its pidfd when it has one.
fn signal(target: &Target, signal: libc::c_int) {
    #[cfg(target_os = "linux")]
    if let Some(pidfd) = &target.pidfd {
        use std::os::fd::AsRawFd;
        // SAFETY: pidfd_send_signal(2) with a null siginfo touches no memory of ours.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                pidfd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        return;
    }
    // SAFETY: kill(2) touches no memory.
    unsafe { libc::kill(target.leftover.pid, signal) };
}

/// A pidfd for `pid`, where the kernel has them (Linux 5.3 on).
fn open_pidfd(pid: i32) -> Option<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: pidfd_open(2) takes two integers and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        // SAFETY: a non-negative result is a fresh descriptor that nothing else owns.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// What the report calls process `pid`: its program's file name and its
/// arguments (`sleep 300`), else the kernel's name for it; cut to [`SHOWN`]
/// characters.
fn command_line(pid: i32) -> String {
    let args = procfs::cmdline(pid);
    let line = match args.split_first() {
        Some((program, rest)) => {
            let name = program.rsplit('/').next().unwrap_or(program);
            std::iter::once(name)
                .chain(rest.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        }
        None => procfs::comm(pid).unwrap_or_else(|| "?".to_owned()),
    };
    cut(&line)
}

/// `line`, cut to [`SHOWN`] characters with `…` at the cut.
fn cut(line: &str) -> String {
    match line.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Leftover, SHOWN, cut, describe};

    fn leftover(pid: i32, command: &str) -> Leftover {
        Leftover {
            pid,
            command: command.to_owned(),
        }
    }

    #[test]
    fn the_report_line_counts_and_names_the_processes() {
        assert_eq!(describe(&[]), None);
        assert_eq!(
            describe(&[leftover(8649, "sleep 300")]).unwrap(),
            "gate ended 1 leftover process: sleep 300 (pid 8649)"
        );
        assert_eq!(
            describe(&[leftover(1, "sleep 300"), leftover(2, "sleep 301")]).unwrap(),
            "gate ended 2 leftover processes: sleep 300 (pid 1), sleep 301 (pid 2)"
        );
    }

    #[test]
    fn long_command_lines_are_cut() {
        assert_eq!(cut("sleep 300"), "sleep 300");
        let long = "x".repeat(SHOWN + 5);
        assert_eq!(cut(&long), format!("{}…", "x".repeat(SHOWN)));
    }
}
