//! Golden cases: one feature each, with triangle count, volume, bounds and the
//! BLAKE3 of every plate's binary STL. A change to any of them is a change to
//! the product's output and must be deliberate:
//!
//! ```text
//! GRIDFLOCK_BLESS=1 cargo test -p gridflock-core --test golden   # rewrite tests/golden/*.json
//! ```
//!
//! On a mismatch the produced STLs are written to `target/gridflock-diffs/<case>/`.

use gridflock_core::{Connector, Filler, Magnets, Params, Printer, build, export, mesh, plan};
use serde_json::{Value, json};
use std::path::PathBuf;

fn custom(w: f64, h: f64, bed_x: f64, bed_y: f64) -> Params {
    let mut p = Params::new(w, h);
    p.printer = Printer::Custom {
        bed_x_mm: bed_x,
        bed_y_mm: bed_y,
    };
    p
}

fn a1(w: f64, h: f64) -> Params {
    let mut p = Params::new(w, h);
    p.printer = Printer::Profile {
        id: "bambu-a1".into(),
    };
    p
}

fn cases() -> Vec<(&'static str, Params)> {
    let mut v = Vec::new();
    let mut p = custom(84.0, 84.0, 256.0, 256.0);
    p.connector = Connector::None;
    p.numbering = false;
    v.push(("bare-84x84", p));
    let mut p = custom(84.0, 84.0, 256.0, 256.0);
    p.connector = Connector::None;
    v.push(("numbered-84x84", p));
    let p = custom(84.0, 42.0, 50.0, 1000.0);
    v.push(("intersection-tight-84x42", p));
    let mut p = custom(84.0, 42.0, 50.0, 1000.0);
    p.connector = Connector::IntersectionPuzzle { fit: 0.0 };
    v.push(("intersection-loose-84x42", p));
    let mut p = custom(84.0, 84.0, 50.0, 50.0);
    p.connector = Connector::EdgePuzzle;
    p.magnets = Magnets::PressFit;
    v.push(("edge-puzzle-press-fit-84x84", p));
    let mut p = a1(84.0, 84.0);
    p.magnets = Magnets::PressFit;
    v.push(("press-fit-84x84", p));
    let mut p = custom(105.0, 63.0, 256.0, 256.0);
    p.magnets = Magnets::GlueTop;
    p.filler = Filler::Fraction { denominator: 3 };
    v.push(("glue-top-third-filler-105x63", p));
    let mut p = custom(100.0, 100.0, 80.0, 80.0);
    p.magnets = Magnets::GlueBottom;
    p.filler = Filler::Dynamic { min_mm: 15.0 };
    v.push(("glue-bottom-dynamic-100x100", p));
    let mut p = custom(130.0, 95.0, 256.0, 256.0);
    p.corner_radius_mm = 2.0;
    p.alignment.x = 0.0;
    p.alignment.y = 1.0;
    v.push(("padding-aligned-rounded-130x95", p));
    let mut p = a1(450.0, 320.0);
    p.magnets = Magnets::PressFit;
    v.push(("450x320-IP-MAG", p));
    v
}

fn summary(params: &Params) -> (Value, Vec<Vec<u8>>) {
    let plan = plan(params).expect("golden params are valid");
    let meshes = build(&plan);
    let mut plates = Vec::new();
    let mut stls = Vec::new();
    for (plate, m) in plan.plates.iter().zip(&meshes) {
        let report = mesh::check(m).expect("golden plates are closed");
        let stl = export::stl::binary(m);
        let (min, max) = m.bounds().expect("non-empty");
        plates.push(json!({
            "number": plate.number,
            "triangles": report.triangles,
            "volume_mm3": format!("{:.3}", report.volume_mm3),
            "bounds_mm": [min, max],
            "blake3": blake3::hash(&stl).to_hex().to_string(),
        }));
        stls.push(stl);
    }
    (json!({ "params": params, "plates": plates }), stls)
}

#[test]
fn golden_cases() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("GRIDFLOCK_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, params) in cases() {
        let (got, stls) = summary(&params);
        let path = dir.join(format!("{name}.json"));
        if bless {
            let text = serde_json::to_string_pretty(&got).expect("serialises") + "\n";
            std::fs::write(&path, text).expect("golden file writable");
            continue;
        }
        let want: Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if got != want {
            let out = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/gridflock-diffs")
                .join(name);
            std::fs::create_dir_all(&out).ok();
            for (i, stl) in stls.iter().enumerate() {
                std::fs::write(out.join(format!("plate-{}.stl", i + 1)), stl).ok();
            }
            failures.push(format!("{name}: got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "golden cases changed (rerun with GRIDFLOCK_BLESS=1 if intended):\n{}",
        failures.join("\n")
    );
}

/// Same bytes whether plates are built together, one by one, or on several
/// threads at once (as `gridflock batch` and the services do).
#[test]
fn output_does_not_depend_on_threads_or_build_order() {
    let (_, params) = cases()
        .into_iter()
        .find(|(name, _)| *name == "450x320-IP-MAG")
        .expect("reference case exists");
    let plan = plan(&params).expect("valid");
    let together: Vec<Vec<u8>> = build(&plan).iter().map(export::stl::binary).collect();
    let one_by_one: Vec<Vec<u8>> = (0..plan.plates.len())
        .rev()
        .map(|i| export::stl::binary(&gridflock_core::build_plate(&plan, i)))
        .rev()
        .collect();
    assert!(together == one_by_one);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    build(&plan)
                        .iter()
                        .map(export::stl::binary)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().expect("thread finished") == together);
        }
    });
}
