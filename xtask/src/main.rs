//! `cargo xtask`: the project's build system, in plain Rust.
//!
//! * `cargo xtask ci`: everything `.ci/run` checks, installing missing tools first.
//! * `cargo xtask validate-meshes`: reference plate sets through trimesh,
//!   manifold3d and PrusaSlicer.
//! * `cargo xtask bench`: criterion medians and peak memory as a markdown table;
//!   `bench instructions` and `bench compare` are the CI regression gate.
//! * `cargo xtask load`: the order-service webhook load benchmark.
//! * `cargo xtask bindings [golden] [py] [node] [wasm]`: build the Python, Node
//!   and WASM bindings and run their test suites.
//! * `cargo xtask affected --base <rev> --head <rev>`: images touched by a change.
//! * `cargo xtask stack [--demo]`: the whole stack as local processes until Ctrl-C.

mod affected;
mod bench;
mod bench_gate;
mod bindings;
mod ci;
mod load;
mod prereq;
mod stack;
mod util;
mod validate;

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask <ci | validate-meshes | bench | bindings | load | affected | stack>

  ci               prerequisites, fmt, clippy, tests, wasm32 build, mesh validation, bench build
  validate-meshes  generate reference plate sets and check every plate with trimesh,
                   manifold3d and PrusaSlicer (--info and a real slice)
  bench            run the criterion benchmarks and print medians and peak memory
  bench instructions [--input NAME]... [--out FILE]
                   instruction counts per named input under callgrind, as JSON
  bench compare BASELINE.json CURRENT.json [--max-regression PCT]
                   fail when an input's count grew more than PCT % (default 20)
  bindings         build the Python, Node and WASM bindings and run their suites
                   (parts: golden py node wasm; all when none is named)
  load             order-service webhook load benchmark and idle memory of the services
                   (--rate N per second, default 1500; --seconds N, default 20)
  affected         images a change touches, as Azure output variables
                   (--base REV --head REV | --force; --json FILE; --repo DIR)
  stack            PostgreSQL, Redis, the fakes and the six services as local processes
                   on the compose ports until Ctrl-C (--demo: follow two orders to SHIPPED;
                   bench-reads [--connections N] [--seconds N]: read load through the
                   gateway with the services' memory; --release, --any-ports, --run-dir DIR)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("validate-meshes") => prereq::python().and_then(|py| validate::run(&py)),
        Some("bench") => match args.get(1).map(String::as_str) {
            None => bench::run(),
            Some("instructions") => bench_gate::instructions(&args[2..], bench::INPUTS),
            Some("compare") => bench_gate::compare_files(&args[2..]),
            Some(other) => Err(format!("unknown bench mode `{other}`\n{USAGE}")),
        },
        Some("bindings") => bindings::run(&args[1..]),
        Some("load") => load::run(&args[1..]),
        Some("affected") => affected::main(&args[1..]),
        Some("stack") => stack::run(&args[1..]),
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
