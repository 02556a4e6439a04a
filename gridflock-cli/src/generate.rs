//! `gridflock generate`: write the plates of one drawer size.

use crate::error::CliError;
use crate::options::{PlateOptions, parse_size};
use crate::output::{Format, build_meshes, size_text, write_json, write_set};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `gridflock generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Drawer size in mm, width x depth, e.g. 450x320.
    #[arg(value_name = "WxH", value_parser = parse_size)]
    size: (f64, f64),
    #[command(flatten)]
    options: PlateOptions,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "stl")]
    format: Format,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let params = args.options.params(args.size.0, args.size.1)?;
    let plan = gridflock_core::plan(&params)?;
    let meshes = build_meshes(&plan, true);
    let manifest = write_set(&args.out, &plan, &meshes, args.format)?;
    write_json(&args.out.join("manifest.json"), &manifest)?;
    println!(
        "{}: {} plate{} for {} written to {}",
        manifest.sku,
        manifest.plates.len(),
        if manifest.plates.len() == 1 { "" } else { "s" },
        size_text(manifest.size_mm),
        args.out.display()
    );
    for file in &manifest.files {
        println!(
            "  {}  {} bytes  blake3 {}",
            file.name, file.bytes, file.blake3
        );
    }
    Ok(ExitCode::SUCCESS)
}
