//! `cargo xtask`: the project's build system, in plain Rust.
//!
//! * `cargo xtask ci`: everything `.ci/run` checks, installing missing tools first.
//! * `cargo xtask validate-meshes`: reference plate sets through trimesh,
//!   manifold3d and PrusaSlicer.
//! * `cargo xtask bench`: criterion medians and peak memory as a markdown table.
//! * `cargo xtask load`: the order-service webhook load benchmark.
//! * `cargo xtask bindings [golden] [py] [node] [wasm]`: build the Python, Node
//!   and WASM bindings and run their test suites.

mod bench;
mod bindings;
mod ci;
mod load;
mod prereq;
mod util;
mod validate;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <ci | validate-meshes | bench | bindings | load>

  ci               prerequisites, fmt, clippy, tests, wasm32 build, mesh validation, bench build
  validate-meshes  generate reference plate sets and check every plate with trimesh,
                   manifold3d and PrusaSlicer (--info and a real slice)
  bench            run the criterion benchmarks and print medians and peak memory
  bindings         build the Python, Node and WASM bindings and run their suites
                   (parts: golden py node wasm; all when none is named)
  load             order-service webhook load benchmark and idle memory of the services
                   (--rate N per second, default 1500; --seconds N, default 20)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("validate-meshes") => prereq::python().and_then(|py| validate::run(&py)),
        Some("bench") => bench::run(),
        Some("bindings") => bindings::run(&args[1..]),
        Some("load") => load::run(&args[1..]),
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
