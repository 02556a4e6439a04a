//! `gridflock validate`: parse STL files and run the half-edge checker.

use crate::error::CliError;
use gridflock_core::{Mesh, mesh, stl_read};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `gridflock validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Binary or ASCII STL files.
    #[arg(value_name = "FILE.stl", required = true)]
    files: Vec<PathBuf>,
}

/// Exit code 0 when every file is a closed oriented 2-manifold with positive
/// volume, 1 when one is not; unreadable or unparsable files are errors (2).
pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let mut failed = 0usize;
    for path in &args.files {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
        let triangles = stl_read::parse(&bytes)
            .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
        let welded = Mesh::from_triangle_soup(&triangles);
        match mesh::check(&welded) {
            Ok(r) => println!(
                "{}: ok: {} triangles, {} vertices, {} edges, {} shell{}, Euler characteristic {}, volume {:.3} mm³, {} zero-area triangles",
                path.display(),
                r.triangles,
                r.vertices,
                r.edges,
                r.components,
                if r.components == 1 { "" } else { "s" },
                r.euler_characteristic,
                r.volume_mm3,
                r.zero_area_triangles
            ),
            Err(e) => {
                failed += 1;
                println!("{}: FAILED: {e}", path.display());
            }
        }
    }
    if failed > 0 {
        println!("{failed} of {} files failed", args.files.len());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
