//! One Loupe server per data folder.
//!
//! `loupe serve` holds an exclusive `flock` on `<data>/loupe.lock` (which names its pid) for as
//! long as it runs; the kernel drops the lock when the process ends however it ends, so a
//! `kill -9` leaves nothing stale behind. A second server on the same folder finds the lock taken
//! and refuses to start, before it touches the cluster the first one runs.
//!
//! Command-line tasks (`loupe user add`, `token create`, …) must keep working beside a running
//! server and must never stop a cluster they did not start:
//! - if a server holds the folder, a task is its guest: it uses the server's cluster as it is,
//!   never starts or stops it;
//! - if nothing holds the folder, a task takes the lock itself, may start the cluster, and stops
//!   it again only if it started it; a server (or another task) arriving meanwhile waits for it.
//!
//! The lock file's text says who holds it (`<pid> serve` or `<pid> task`), written right after
//! the lock is taken; a reader that finds it empty (the holder is between the two steps) looks
//! again shortly.

use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the lock file inside the data folder.
pub const LOCK_FILE: &str = "loupe.lock";
const RETRY: Duration = Duration::from_millis(200);

/// What the process holding a folder is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Serve,
    Task,
}

impl Holder {
    fn as_str(self) -> &'static str {
        match self {
            Holder::Serve => "serve",
            Holder::Task => "task",
        }
    }
}

/// The exclusive lock on a data folder; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FolderLock {
    // Kept open: closing the file releases the lock. std opens files close-on-exec, so the
    // PostgreSQL processes Loupe starts never inherit (and outlive Loupe holding) the lock.
    _file: File,
}

/// How a command-line task may use the folder's cluster.
#[derive(Debug)]
pub enum TaskAccess {
    /// Nothing else uses the folder: the task may start the cluster and stop what it started.
    Owner(FolderLock),
    /// A server holds the folder: use its cluster, never start or stop it.
    Guest { server_pid: u32 },
}

/// Takes the folder for `loupe serve`. Fails with a message naming the folder and the pid when
/// another server holds it; waits while a command-line task holds it.
pub async fn lock_for_server(data_dir: &Path) -> Result<FolderLock> {
    let path = lock_path(data_dir)?;
    let mut told = false;
    loop {
        let file = open(&path)?;
        if try_lock(&file)? {
            return claim(file, Holder::Serve, &path);
        }
        match read_holder(&path) {
            Some((pid, Holder::Serve)) => bail!(
                "another Loupe server (pid {pid}) is already serving the data folder {}; stop it \
                 first, or give this one its own folder with --data-dir",
                data_dir.display()
            ),
            Some((pid, Holder::Task)) if !told => {
                tracing::warn!(pid, folder = %data_dir.display(), "waiting for a Loupe task to finish with the data folder");
                told = true;
            }
            _ => {}
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Decides how a command-line task uses the folder: as a guest of a running server, or as its
/// owner (waiting while another task holds it).
pub async fn lock_for_task(data_dir: &Path) -> Result<TaskAccess> {
    let path = lock_path(data_dir)?;
    let mut told = false;
    loop {
        let file = open(&path)?;
        if try_lock(&file)? {
            return Ok(TaskAccess::Owner(claim(file, Holder::Task, &path)?));
        }
        match read_holder(&path) {
            Some((pid, Holder::Serve)) => return Ok(TaskAccess::Guest { server_pid: pid }),
            Some((pid, Holder::Task)) if !told => {
                eprintln!(
                    "waiting for another loupe task (pid {pid}) to finish with {}",
                    data_dir.display()
                );
                told = true;
            }
            _ => {}
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn lock_path(data_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    Ok(data_dir.join(LOCK_FILE))
}

fn open(path: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))
}

/// Exclusive and non-blocking: true if this process now holds the lock.
fn try_lock(file: &File) -> Result<bool> {
    // SAFETY: flock on an fd we own; LOCK_NB makes it return at once.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err).context("cannot lock the data folder")
    }
}

fn claim(mut file: File, holder: Holder, path: &Path) -> Result<FolderLock> {
    file.set_len(0)
        .and_then(|()| {
            file.write_all(format!("{} {}\n", std::process::id(), holder.as_str()).as_bytes())
        })
        .and_then(|()| file.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(FolderLock { _file: file })
}

fn read_holder(path: &Path) -> Option<(u32, Holder)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (pid, what) = text.trim().split_once(' ')?;
    let holder = match what {
        "serve" => Holder::Serve,
        "task" => Holder::Task,
        _ => return None,
    };
    let pid: u32 = pid.parse().ok()?;
    // Text left by a holder that died names a dead pid: the new holder has not written yet.
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    alive.then_some((pid, holder))
}
