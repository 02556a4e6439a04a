//! `cargo xtask ci`: the whole check, in order; the first failure stops it.

use crate::util::{Result, cargo, sh, step};
use crate::{prereq, validate};
use std::path::PathBuf;

pub(crate) fn run() -> Result {
    let mut times: Vec<(&str, f64)> = Vec::new();
    let mut python = PathBuf::new();
    times.push((
        "prerequisites",
        step(
            "prerequisites (wasm32 target, prusa-slicer, databases, deployment checkers, python venv)",
            || {
                python = prereq::ensure_all()?;
                Ok(())
            },
        )?,
    ));
    times.push((
        "fmt",
        step("cargo fmt --all --check", || {
            sh(cargo().args(["fmt", "--all", "--check"]))
        })?,
    ));
    times.push((
        "clippy",
        step(
            "cargo clippy --workspace --all-targets -- -D warnings",
            || {
                sh(cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            },
        )?,
    ));
    times.push((
        "test",
        step("cargo test --workspace", || {
            sh(cargo().args(["test", "--workspace"]))
        })?,
    ));
    times.push((
        "wasm32",
        step(
            "cargo build -p gridflock-core --target wasm32-unknown-unknown",
            || {
                sh(cargo().args([
                    "build",
                    "-p",
                    "gridflock-core",
                    "--target",
                    "wasm32-unknown-unknown",
                ]))
            },
        )?,
    ));
    times.push((
        "validate-meshes",
        step("validate-meshes (trimesh, manifold3d, PrusaSlicer)", || {
            validate::run(&python)
        })?,
    ));
    times.push((
        "bindings",
        step(
            "bindings (Python, Node, WASM)",
            || crate::bindings::run(&[]),
        )?,
    ));
    times.push((
        "bench build",
        // Only the benchmark crate has benchmarks; building every service in
        // the bench profile would double the run for nothing.
        step("cargo bench -p gridflock-benches --no-run", || {
            sh(cargo().args(["bench", "-p", "gridflock-benches", "--no-run"]))
        })?,
    ));
    println!("\nci: all steps passed");
    for (name, secs) in &times {
        println!("  {name:<16} {secs:>7.1} s");
    }
    println!(
        "  {:<16} {:>7.1} s",
        "total",
        times.iter().map(|t| t.1).sum::<f64>()
    );
    Ok(())
}
