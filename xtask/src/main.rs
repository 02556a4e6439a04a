//! `cargo xtask`: the project's build system, in plain Rust.
//!
//! * `cargo xtask bindings [golden] [py] [node] [wasm]`: build the Python,
//!   Node and WASM bindings and run their test suites.

mod bindings;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <bindings [golden] [py] [node] [wasm]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bindings") => bindings::run_parts(&args[1..]),
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
