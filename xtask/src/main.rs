//! `cargo xtask`: the project's build system, in plain Rust.
//!
//! * `cargo xtask ci`: everything `.ci/run` checks, installing missing tools first.
//! * `cargo xtask validate-meshes`: reference plate sets through trimesh,
//!   manifold3d and PrusaSlicer.
//! * `cargo xtask bench`: criterion medians and peak memory as a markdown table.

mod bench;
mod ci;
mod prereq;
mod util;
mod validate;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <ci | validate-meshes | bench>

  ci               prerequisites, fmt, clippy, tests, wasm32 build, mesh validation, bench build
  validate-meshes  generate reference plate sets and check every plate with trimesh,
                   manifold3d and PrusaSlicer (--info and a real slice)
  bench            run the criterion benchmarks and print medians and peak memory";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("validate-meshes") => prereq::python().and_then(|py| validate::run(&py)),
        Some("bench") => bench::run(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
