//! `cargo xtask validate-meshes`: independent oracles for the generated plates.
//!
//! Generates reference plate sets with the `gridflock` CLI, then runs
//! `scripts/validate_meshes.py` on them: trimesh (watertight, winding
//! consistent, positive volume), manifold3d (status NoError) and PrusaSlicer
//! (`--info` says `manifold = yes`, and the plate slices to G-code).

use crate::util::{Result, cargo, root, sh, target_dir};
use std::path::Path;
use std::process::Command;

/// Name and `gridflock generate` arguments of every reference set.
const SETS: &[(&str, &[&str])] = &[
    (
        "450x320-ip-press-fit-a1",
        &[
            "450x320",
            "--printer",
            "bambu-a1",
            "--connector",
            "intersection",
            "--magnets",
            "press-fit",
        ],
    ),
    ("84x84-no-magnets", &["84x84", "--magnets", "none"]),
    (
        "450x320-edge-a1",
        &[
            "450x320",
            "--printer",
            "bambu-a1",
            "--connector",
            "edge",
            "--magnets",
            "none",
        ],
    ),
    (
        "100x100-glue-bottom-small-bed",
        &["100x100", "--bed", "80x80", "--magnets", "glue-bottom"],
    ),
];

pub(crate) fn run(python: &Path) -> Result {
    crate::prereq::prusa_slicer()?;
    sh(cargo().args(["build", "--quiet", "-p", "gridflock-cli"]))?;
    let gridflock = target_dir().join("debug").join("gridflock");
    let out = target_dir().join("validate-meshes");
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    let mut dirs = Vec::new();
    for (name, args) in SETS {
        let dir = out.join(name);
        sh(Command::new(&gridflock)
            .arg("generate")
            .args(*args)
            .arg("--out")
            .arg(&dir))?;
        dirs.push(dir);
    }
    sh(Command::new(python)
        .arg(
            root()
                .join("xtask")
                .join("scripts")
                .join("validate_meshes.py"),
        )
        .args(&dirs))
}
