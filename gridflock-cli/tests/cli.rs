//! End-to-end tests of the `gridflock` binary.

use std::path::Path;
use std::process::{Command, Output};

fn gridflock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridflock"))
        .args(args)
        .output()
        .expect("run gridflock")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit code 2 with exactly one stderr line that contains `needle`.
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected, got: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
}

/// A closed unit cube as binary STL bytes.
fn cube_stl(flip_one: bool, drop_one: bool) -> Vec<u8> {
    let v = |i: u32| [(i & 1) as f32, ((i >> 1) & 1) as f32, ((i >> 2) & 1) as f32];
    let mut tris: Vec<[u32; 3]> = vec![
        [0, 2, 1],
        [1, 2, 3],
        [4, 5, 6],
        [5, 7, 6],
        [0, 1, 4],
        [1, 5, 4],
        [2, 6, 3],
        [3, 6, 7],
        [0, 4, 2],
        [2, 4, 6],
        [1, 3, 5],
        [3, 7, 5],
    ];
    if flip_one {
        tris[0].swap(1, 2);
    }
    if drop_one {
        tris.pop();
    }
    let mut out = vec![0u8; 80];
    out.extend((tris.len() as u32).to_le_bytes());
    for t in tris {
        out.extend([0u8; 12]);
        for i in t {
            for c in v(i) {
                out.extend(c.to_le_bytes());
            }
        }
        out.extend([0u8; 2]);
    }
    out
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read json");
    serde_json::from_str(&text).expect("valid json")
}

const A1_IP_MAG: &[&str] = &[
    "--printer",
    "bambu-a1",
    "--connector",
    "intersection",
    "--magnets",
    "press-fit",
];

#[test]
fn help_lists_subcommands() {
    let o = gridflock(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    for sub in ["plan", "generate", "validate", "batch"] {
        assert!(stdout(&o).contains(sub), "{sub}");
    }
}

#[test]
fn bad_connector_is_one_line() {
    let o = gridflock(&["plan", "450x320", "--connector", "glue"]);
    assert_one_line_error(&o, "glue");
}

#[test]
fn bad_size_is_one_line() {
    let o = gridflock(&["plan", "450by320"]);
    assert_one_line_error(&o, "450by320");
}

#[test]
fn missing_out_is_one_line() {
    let o = gridflock(&["generate", "450x320"]);
    assert_one_line_error(&o, "--out");
}

#[test]
fn fit_needs_intersection() {
    let o = gridflock(&["plan", "450x320", "--connector", "edge", "--fit", "0.5"]);
    assert_one_line_error(&o, "--fit");
}

#[test]
fn unknown_printer_lists_known_ones() {
    let o = gridflock(&["plan", "450x320", "--printer", "nope"]);
    assert_one_line_error(&o, "bambu-a1");
}

#[test]
fn invalid_params_name_the_field() {
    let o = gridflock(&["plan", "10x320"]);
    assert_one_line_error(&o, "width_mm");
}

#[test]
fn validate_unreadable_file() {
    let o = gridflock(&["validate", "/nonexistent/plate.stl"]);
    assert_one_line_error(&o, "cannot read /nonexistent/plate.stl");
}

#[test]
fn validate_garbage_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("junk.stl");
    std::fs::write(&path, b"not a mesh").expect("write");
    let o = gridflock(&["validate", path.to_str().expect("utf-8")]);
    assert_one_line_error(&o, "not an STL file");
}

#[test]
fn validate_reports_good_and_bad_meshes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.stl");
    let flipped = dir.path().join("flipped.stl");
    let open = dir.path().join("open.stl");
    std::fs::write(&good, cube_stl(false, false)).expect("write");
    std::fs::write(&flipped, cube_stl(true, false)).expect("write");
    std::fs::write(&open, cube_stl(false, true)).expect("write");
    let o = gridflock(&["validate", good.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(
        "ok: 12 triangles, 8 vertices, 18 edges, 1 shell, Euler characteristic 2, volume 1.000 mm³"
    ));
    for bad in [&flipped, &open] {
        let o = gridflock(&[
            "validate",
            good.to_str().expect("utf-8"),
            bad.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stdout(&o).contains("FAILED"), "{}", stdout(&o));
        assert!(stdout(&o).contains("1 of 2 files failed"));
    }
}

#[test]
fn plan_prints_diagram_and_table() {
    let mut args = vec!["plan", "450x320"];
    args.extend(A1_IP_MAG);
    let o = gridflock(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("GF-450x320-IP-MAG"), "{out}");
    assert!(out.contains("Bambu Lab A1"), "{out}");
    assert!(out.contains("#1") && out.contains("#2"), "{out}");
    assert!(out.contains("+-"), "{out}");
}

#[test]
fn plan_json_lists_plates() {
    let mut args = vec!["plan", "450x320", "--json"];
    args.extend(A1_IP_MAG);
    let o = gridflock(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["sku"], "GF-450x320-IP-MAG");
    let plates = v["plan"]["plates"].as_array().expect("plates");
    assert!(plates.len() >= 2);
    assert_eq!(plates[0]["number"], 1);
}

#[test]
fn generate_stl_writes_plates_and_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("set");
    let mut args = vec!["generate", "450x320", "--out", out.to_str().expect("utf-8")];
    args.extend(A1_IP_MAG);
    let o = gridflock(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let manifest = json(&out.join("manifest.json"));
    assert_eq!(manifest["sku"], "GF-450x320-IP-MAG");
    let plates = manifest["plates"].as_array().expect("plates");
    assert!(plates.len() >= 2);
    let mut files = Vec::new();
    for p in plates {
        let file = out.join(p["file"].as_str().expect("file"));
        let bytes = std::fs::read(&file).expect("plate file");
        assert_eq!(p["blake3"], blake3::hash(&bytes).to_hex().to_string());
        let triangles = p["triangles"].as_u64().expect("count");
        assert_eq!(bytes.len() as u64, 84 + 50 * triangles);
        assert!(p["volume_mm3"].as_f64().expect("volume") > 0.0);
        files.push(file.to_str().expect("utf-8").to_owned());
    }
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = gridflock(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn generate_is_deterministic_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["stl", "ascii-stl", "3mf"] {
        let mut manifests = Vec::new();
        for run in ["a", "b"] {
            let out = dir.path().join(format!("{format}-{run}"));
            let o = gridflock(&[
                "generate",
                "84x84",
                "--magnets",
                "none",
                "--format",
                format,
                "--out",
                out.to_str().expect("utf-8"),
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            manifests.push(std::fs::read(out.join("manifest.json")).expect("manifest"));
        }
        assert_eq!(manifests[0], manifests[1], "{format}");
    }
    let m = json(&dir.path().join("3mf-a").join("manifest.json"));
    assert_eq!(m["files"].as_array().map(Vec::len), Some(1));
    assert!(
        m["files"][0]["name"]
            .as_str()
            .expect("name")
            .ends_with(".3mf")
    );
}

#[test]
fn ascii_output_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ascii");
    let o = gridflock(&[
        "generate",
        "100x100",
        "--format",
        "ascii-stl",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = gridflock(&[
        "validate",
        out.join("plate-01.stl").to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn batch_writes_one_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("sizes.csv");
    std::fs::write(
        &csv,
        "width,height,printer,connector,magnets\n84,84,,none,none\n130,90,bambu-a1,edge,\n84,84,,none,none\n",
    )
    .expect("write csv");
    let out = dir.path().join("batch");
    let o = gridflock(&[
        "batch",
        csv.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = json(&out.join("manifest.json"));
    let sets = m["sets"].as_array().expect("sets");
    assert_eq!(sets.len(), 3);
    assert_eq!(sets[0]["dir"], "GF-84x84-NC-NOMAG");
    assert_eq!(sets[2]["dir"], "GF-84x84-NC-NOMAG-2");
    assert_eq!(sets[1]["sku"], "GF-130x90-EP-NOMAG");
    for set in sets {
        for p in set["plates"].as_array().expect("plates") {
            let file = out
                .join(set["dir"].as_str().expect("dir"))
                .join(p["file"].as_str().expect("file"));
            assert!(file.is_file(), "{}", file.display());
        }
    }
}

#[test]
fn batch_bad_row_names_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("sizes.csv");
    std::fs::write(&csv, "84,84\n84,wide\n").expect("write csv");
    let o = gridflock(&[
        "batch",
        csv.to_str().expect("utf-8"),
        "--out",
        dir.path().join("o").to_str().expect("utf-8"),
    ]);
    assert_one_line_error(&o, "line 2");
}

#[test]
fn batch_missing_csv() {
    let o = gridflock(&["batch", "/nonexistent.csv", "--out", "/tmp/none"]);
    assert_one_line_error(&o, "cannot read /nonexistent.csv");
}
