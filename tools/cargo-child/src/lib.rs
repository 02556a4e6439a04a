//! A `cargo` command for a build started by a program that cargo itself
//! runs (`cargo xtask`, a test, `cargo run`).
//!
//! Cargo gives such a program the package variables of its own crate. Some
//! build scripts (ring's) track `CARGO_PKG_*`: a child build inheriting them
//! would rebuild those crates and everything above them, and the next plain
//! `cargo` build outside would rebuild them all over again.

use std::path::Path;
use std::process::Command;

/// The cargo that runs this program (so rustup's toolchain choice carries
/// over), working in `dir`, without the variables cargo set for this
/// program's run.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if let Some(key) = key.to_str()
            && is_set_for_the_run(key)
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Whether cargo sets `key` for the program it runs (not for itself).
pub fn is_set_for_the_run(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_BIN_EXE_")
        || matches!(
            key,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "OUT_DIR"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_run_variables_are_removed_and_the_rest_kept() {
        // `cargo test` runs this test with its package variables set.
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let cmd = command(Path::new("."));
        let removed: Vec<&OsStr> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key)
            .collect();
        assert!(removed.contains(&OsStr::new("CARGO_PKG_NAME")));
        assert!(removed.contains(&OsStr::new("CARGO_MANIFEST_DIR")));
        assert!(!removed.contains(&OsStr::new("PATH")));
        assert!(!removed.contains(&OsStr::new("CARGO_HOME")));
        assert!(!removed.contains(&OsStr::new("CARGO_TARGET_DIR")));
    }

    #[test]
    fn cargo_s_own_variables_are_not_the_run_s() {
        for key in ["CARGO", "CARGO_HOME", "CARGO_TARGET_DIR", "RUSTFLAGS"] {
            assert!(!is_set_for_the_run(key), "{key}");
        }
        for key in ["CARGO_PKG_VERSION", "CARGO_BIN_EXE_svc-order", "OUT_DIR"] {
            assert!(is_set_for_the_run(key), "{key}");
        }
    }
}
