//! Files that are written whole or not at all: the reports and the
//! sign-off store. The text goes to a temporary file in the target's
//! directory, which is then renamed over the target, so a crash (or a
//! `kill -9`) while writing leaves the previous file, or none, never half
//! of one.

use std::fs::Permissions;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::{Builder, NamedTempFile};

/// Fails unless a file can be written at `path`: its directory takes a
/// new file, and `path` is not a directory. A run checks its report paths
/// with it before any gate starts.
pub fn check_writable(path: &Path) -> io::Result<()> {
    temporary_beside(path).map(drop)
}

/// Writes `text` to `path` whole: into a temporary file beside it, synced,
/// then renamed over it. The temporary file is removed when the write
/// fails.
pub fn write(path: &Path, text: &str) -> io::Result<()> {
    let mut file = temporary_beside(path)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|error| error.error)
}

/// A new, hidden file in the directory of `path` (`.report.json.Xy12ab`),
/// readable as a file created there would be (the umask applies); an
/// error when `path` is a directory, which no file may replace.
fn temporary_beside(path: &Path) -> io::Result<NamedTempFile> {
    if path.is_dir() {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or(path.as_os_str());
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    Builder::new()
        .prefix(&prefix)
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        write(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_directory_is_not_writable() {
        let dir = tempfile::tempdir().unwrap();
        let error = check_writable(dir.path()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
        let missing = dir.path().join("no-such-dir/report.json");
        assert_eq!(
            check_writable(&missing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(check_writable(&dir.path().join("report.json")).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
