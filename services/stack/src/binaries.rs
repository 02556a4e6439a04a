//! Building the service binaries and finding them.
//!
//! The stack runs the same executables the images ship, so they are built
//! with cargo rather than linked into this crate; cargo's JSON messages name
//! every produced executable, wherever `CARGO_TARGET_DIR` points.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cargo profile the binaries are built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build`: what the tests use, quick to rebuild.
    Debug,
    /// `cargo build --release`: for load measurements.
    Release,
}

/// Packages and the executables the stack needs from them.
const PACKAGES: [(&str, &str); 7] = [
    ("svc-gateway", "svc-gateway"),
    ("svc-order", "svc-order"),
    ("svc-print", "svc-print"),
    ("svc-shipping", "svc-shipping"),
    ("svc-gridflock", "svc-gridflock"),
    ("svc-slicer", "svc-slicer"),
    ("svc-fakes", "gridflock-fakes"),
];

/// Built executables by name.
#[derive(Debug, Clone)]
pub struct Binaries {
    paths: BTreeMap<String, PathBuf>,
}

impl Binaries {
    /// Builds every service and the fakes (a no-op when they are up to date).
    pub fn build(profile: Profile) -> Result<Self> {
        let mut cmd = cargo();
        cmd.args([
            "build",
            "--bins",
            "--message-format=json-render-diagnostics",
        ]);
        if profile == Profile::Release {
            cmd.arg("--release");
        }
        for (package, _) in PACKAGES {
            cmd.args(["-p", package]);
        }
        Self::collect(cmd)
    }

    /// The executables `cargo test --workspace` builds for the packages'
    /// own integration tests. Tests use these: the same features as the
    /// surrounding test build, so inside `cargo test --workspace` this is a
    /// no-op, where a plain `cargo build` of the services would compile
    /// every dependency a second time with other features.
    pub fn build_as_workspace_tests() -> Result<Self> {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ]);
        Self::collect(cmd)
    }

    fn collect(mut cmd: Command) -> Result<Self> {
        let output = cmd
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run cargo to build the services")?;
        if !output.status.success() {
            bail!("cargo build of the services failed ({})", output.status);
        }
        let mut paths = BTreeMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            // Binaries as such, not their unit-test harnesses.
            if message["reason"] != "compiler-artifact" || message["profile"]["test"] == true {
                continue;
            }
            if let (Some(name), Some(exe)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            ) {
                paths.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
        for (_, bin) in PACKAGES {
            if !paths.contains_key(bin) {
                bail!("cargo built no executable named {bin}");
            }
        }
        Ok(Self { paths })
    }

    /// The executable `name` (e.g. `svc-order`).
    pub fn get(&self, name: &str) -> Result<&Path> {
        self.paths
            .get(name)
            .map(PathBuf::as_path)
            .with_context(|| format!("no executable {name} was built"))
    }
}

/// Cargo in the repository root, without the variables it set for this
/// process (a test or `cargo run`): see [`cargo_child`].
fn cargo() -> Command {
    cargo_child::command(&workspace_root())
}

/// The repository root: two levels above this crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
