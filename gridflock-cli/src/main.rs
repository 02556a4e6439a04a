//! `gridflock`: plan, generate, validate and batch-generate Gridfinity baseplates.
//!
//! All file I/O of the project happens here; `gridflock-core` only turns
//! parameters into bytes. Every error is reported as one line on stderr with
//! exit code 2; `validate` exits with 1 when a file parses but is not a closed
//! mesh.

mod batch;
mod error;
mod generate;
mod options;
mod output;
mod plan_cmd;
mod validate;

use clap::{Parser, Subcommand};
use error::CliError;
use std::process::ExitCode;

/// Gridfinity baseplates that fit your printer, as STL or 3MF.
#[derive(Debug, Parser)]
#[command(name = "gridflock", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the plate layout of a drawer size (ASCII diagram, or JSON with --json).
    Plan(plan_cmd::Args),
    /// Write one STL per plate (or one 3MF) and manifest.json.
    Generate(generate::Args),
    /// Check STL files: closed, consistently oriented 2-manifold, positive volume.
    Validate(validate::Args),
    /// Generate many sizes from a CSV file (width,height[,printer,connector,magnets]).
    Batch(batch::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return error::report_clap(&e),
    };
    let result: Result<ExitCode, CliError> = match cli.command {
        Command::Plan(args) => plan_cmd::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Batch(args) => batch::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
