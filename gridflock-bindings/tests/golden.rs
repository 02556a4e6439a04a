//! The reference plates every binding must reproduce byte for byte.
//!
//! `bindings-golden.json` at the workspace root lists reference option sets
//! with, per plate, the SHA-256 of its binary STL as written by Rust. The
//! Python, Node and browser suites read the same file and compare their own
//! hashes. This test checks the file against the core; regenerate it with
//! `GRIDFLOCK_BLESS=1 cargo test -p gridflock-bindings --test golden`.

use gridflock_bindings::{Options, mm, plate_file_name};
use gridflock_core::{build, export, sku::sku};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Reference cases: name and options (JSON, as a binding would pass them).
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "one-cell-defaults",
            json!({ "width_mm": 84.0, "height_mm": 84.0 }),
        ),
        (
            "a1-450x320-ip-mag",
            json!({ "width_mm": 450.0, "height_mm": 320.0, "printer": "bambu-a1", "magnets": "press-fit" }),
        ),
        (
            "bed180-200x150-ep-gluetop-dynamic",
            json!({
                "width_mm": 200.0, "height_mm": 150.0, "bed": [180.0, 180.0], "connector": "edge",
                "magnets": "glue-top", "filler": "dynamic"
            }),
        ),
        (
            "mk4-300x100-nc-plain",
            json!({
                "width_mm": 300.0, "height_mm": 100.0, "printer": "prusa-mk4", "connector": "none",
                "filler": "none", "alignment": [0.0, 1.0], "numbering": false, "corner_radius_mm": 0.0
            }),
        ),
    ]
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("bindings-golden.json")
}

fn expected() -> Value {
    let mut out = Vec::new();
    for (name, options) in cases() {
        let opts: Options = serde_json::from_value(options.clone()).expect("case options parse");
        let params = opts.to_params().expect("case options convert");
        let plan = gridflock_core::plan(&params).expect("case plans");
        let code = sku(&params);
        let meshes = build(&plan);
        let numbered: Vec<(u32, &gridflock_core::Mesh)> =
            plan.plates.iter().map(|p| p.number).zip(&meshes).collect();
        let threemf = gridflock_bindings::threemf(&code, &numbered).expect("3MF writes");
        let plates: Vec<Value> = meshes
            .iter()
            .zip(&plan.plates)
            .map(|(mesh, pp)| {
                let stl = export::stl::binary(mesh);
                json!({
                    "number": pp.number,
                    "size_mm": [mm(pp.size_um[0]), mm(pp.size_um[1])],
                    "vertices": mesh.vertex_count(),
                    "triangles": mesh.triangle_count(),
                    "stl_bytes": stl.len(),
                    "file": plate_file_name(&code, pp.number),
                    "sha256": format!("{:x}", Sha256::digest(&stl)),
                })
            })
            .collect();
        out.push(json!({
            "name": name,
            "options": options,
            "sku": code,
            "plates": plates,
            "threemf": {
                "file": gridflock_bindings::set_file_name(&code),
                "bytes": threemf.len(),
                "sha256": format!("{:x}", Sha256::digest(&threemf)),
            },
        }));
    }
    json!({
        "about": "Reference plates: SHA-256 of each plate's binary STL and of the set's 3MF, as written by gridflock-core. \
                  Every binding checks its own output against this file. \
                  Regenerate: GRIDFLOCK_BLESS=1 cargo test -p gridflock-bindings --test golden",
        "cases": out,
    })
}

#[test]
fn golden_file_matches_core() {
    let want = expected();
    let text = serde_json::to_string_pretty(&want).expect("serialise") + "\n";
    let path = golden_path();
    if std::env::var_os("GRIDFLOCK_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("write golden file");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == text,
        "{} is stale or missing; run GRIDFLOCK_BLESS=1 cargo test -p gridflock-bindings --test golden",
        path.display()
    );
}
