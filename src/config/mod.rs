//! The configuration: finding `gates.toml`, reading it, and validating it
//! into a [`Config`].
//!
//! ```no_run
//! let cwd = std::env::current_dir().unwrap();
//! let gate_config = std::env::var_os("GATE_CONFIG");
//! let path = gate::config::discover(None, gate_config.as_deref(), &cwd)?;
//! let config = gate::config::load(&path)?;
//! # Ok::<(), gate::config::Error>(())
//! ```

mod cycles;
mod diagnostic;
pub mod dotenv;
mod duration;
mod error;
mod gates;
pub mod interpolate;
mod model;
mod raw;
pub mod schema;
mod settings;
pub mod suggest;
pub mod template;
#[cfg(test)]
pub mod testing;
mod validate;
pub mod values;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

pub use diagnostic::Diagnostic;
pub use dotenv::FileVar;
pub use duration::{format_duration, parse_duration};
pub use error::Error;
pub use interpolate::{InterpolateError, check_syntax, interpolate};
pub use model::*;
pub use raw::{RawEnv, SpannedString};
pub use template::{Delay, Parse, Port, Template, Timeout};

/// The file name searched for in the current directory and its ancestors.
pub const FILE_NAME: &str = "gates.toml";

/// Reads and validates the config at `path`; the resulting `Source.path` is
/// `path` exactly as given.
pub fn load(path: &Path) -> Result<Config, Error> {
    let text = fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(Source::new(path.to_path_buf(), text))
}

/// Validates the text of `source`.
pub fn parse(source: Source) -> Result<Config, Error> {
    Ok(validate::config(source)?)
}

/// Which config file to use: `explicit` (the `-c` flag), else `env_value`
/// (`$GATE_CONFIG`; empty counts as unset), else the first `gates.toml` in
/// `cwd` or its ancestors.
///
/// An explicit or environment path is returned as given, even if missing
/// ([`load`] then reports it). A found file is returned relative to `cwd`
/// (`gates.toml`, `../gates.toml`, ...); `cwd` should be absolute.
pub fn discover(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    cwd: &Path,
) -> Result<PathBuf, Error> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(value) = env_value.filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(value));
    }
    search(cwd)
}

/// The first `gates.toml` in `cwd` or above, relative to `cwd`.
fn search(cwd: &Path) -> Result<PathBuf, Error> {
    let mut up = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join(FILE_NAME).is_file() {
            return Ok(up.join(FILE_NAME));
        }
        up.push("..");
    }
    Err(Error::NotFound {
        dir: cwd.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::{Error, discover, load};

    /// A temporary tree with `gates.toml` at `root` and an empty `root/a/b`.
    fn tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("a/b")).unwrap();
        fs::write(root.path().join("gates.toml"), "[gates.x]\nmanual = true\n").unwrap();
        root
    }

    #[test]
    fn discover_in_cwd_and_ancestors_relative_to_cwd() {
        let root = tree();
        let found = |dir: &str| discover(None, None, &root.path().join(dir)).unwrap();
        assert_eq!(found(""), Path::new("gates.toml"));
        assert_eq!(found("a"), Path::new("../gates.toml"));
        assert_eq!(found("a/b"), Path::new("../../gates.toml"));
    }

    #[test]
    fn discover_prefers_the_nearest_file() {
        let root = tree();
        fs::write(root.path().join("a/gates.toml"), "").unwrap();
        let found = discover(None, None, &root.path().join("a/b")).unwrap();
        assert_eq!(found, Path::new("../gates.toml"));
        assert!(root.path().join("a/b").join(&found).is_file());
    }

    #[test]
    fn discover_skips_a_directory_named_gates_toml() {
        let root = tree();
        fs::create_dir(root.path().join("a/gates.toml")).unwrap();
        let found = discover(None, None, &root.path().join("a")).unwrap();
        assert_eq!(found, Path::new("../gates.toml"));
    }

    #[test]
    fn flag_then_environment_then_search() {
        let root = tree();
        let cwd = root.path().join("a");
        let flag = Path::new("ci/flag.toml");
        let env = OsStr::new("ci/env.toml");
        assert_eq!(discover(Some(flag), Some(env), &cwd).unwrap(), flag);
        assert_eq!(discover(None, Some(env), &cwd).unwrap(), Path::new(env));
        assert_eq!(
            discover(None, Some(OsStr::new("")), &cwd).unwrap(),
            Path::new("../gates.toml")
        );
    }

    #[test]
    fn not_found() {
        let empty = tempfile::tempdir().unwrap();
        match discover(None, None, empty.path()) {
            Err(Error::NotFound { dir }) => assert_eq!(dir, empty.path()),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    #[test]
    fn load_keeps_the_path_as_given() {
        let root = tree();
        let path = root.path().join("a/../gates.toml");
        let config = load(&path).unwrap();
        assert_eq!(config.source.path, path);
        assert!(config.gates[0].is_manual());
    }

    #[test]
    fn load_of_a_missing_file_names_it() {
        let root = tree();
        let path = root.path().join("missing.toml");
        let error = load(&path).unwrap_err();
        assert!(matches!(&error, Error::Read { path: p, .. } if *p == path));
        assert!(
            error
                .to_string()
                .starts_with(&format!("error: cannot read {}: ", path.display()))
        );
    }

    #[test]
    fn load_reports_errors_with_the_path() {
        let root = tree();
        let path: PathBuf = root.path().join("bad.toml");
        fs::write(&path, "[gates.a]\nrun = \"true\"\ntimout = \"5s\"\n").unwrap();
        let rendered = load(&path).unwrap_err().to_string();
        assert_eq!(
            rendered,
            format!(
                "error: unknown key `timout`, did you mean `timeout`?\n --> {}:3:1\n  |\n\
                 3 | timout = \"5s\"\n  | ^^^^^^",
                path.display()
            )
        );
    }
}
