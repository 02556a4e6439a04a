//! Checks an uploaded model before any slicer runs.
//!
//! PrusaSlicer repairs open meshes silently and exits 0, and aborts with a
//! signal on a model larger than the bed; neither gives the caller a useful
//! answer. So the upload is parsed and proven closed here, with
//! gridflock-core's own STL reader and half-edge checker (the service holds
//! no geometry code of its own), and measured against the profile's bed.

use crate::profiles::Profile;
use gridflock_core::Mesh;
use gridflock_core::mesh::check;
use gridflock_core::stl_read;
use service_common::FieldError;

/// Size of an accepted model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelInfo {
    /// Number of triangles.
    pub triangles: usize,
    /// Extent along x, y, z in mm.
    pub size_mm: [f64; 3],
}

/// Parses `bytes` as STL and checks that the mesh is closed and fits `profile`.
/// Every error names the field `file`.
pub fn check_model(bytes: &[u8], profile: Option<&Profile>) -> Result<ModelInfo, FieldError> {
    let invalid = |message: String| FieldError::new("file", message);
    if bytes.is_empty() {
        return Err(invalid(
            "is empty; send a binary or ASCII STL file".to_owned(),
        ));
    }
    let triangles =
        stl_read::parse(bytes).map_err(|e| invalid(format!("is not an STL file: {e}")))?;
    if triangles.is_empty() {
        return Err(invalid("is an STL file without any triangle".to_owned()));
    }
    let mesh = Mesh::from_triangle_soup(&triangles);
    check(&mesh).map_err(|e| {
        invalid(format!(
            "is not a closed, consistently oriented (manifold) mesh: {e}; \
             a slicer would have to guess the missing surfaces"
        ))
    })?;
    let (min, max) = mesh
        .bounds()
        .ok_or_else(|| invalid("has no vertices".to_owned()))?;
    let size_mm = [0, 1, 2].map(|k| f64::from(max[k]) - f64::from(min[k]));
    let info = ModelInfo {
        triangles: triangles.len(),
        size_mm,
    };
    if let Some(profile) = profile {
        check_fits(&info, profile)?;
    }
    Ok(info)
}

/// Rounding slack: a plate planned for exactly the bed width must pass.
const SLACK_MM: f64 = 0.01;

fn check_fits(info: &ModelInfo, profile: &Profile) -> Result<(), FieldError> {
    let [x, y, z] = info.size_mm;
    let (bx, by, bz) = (
        profile.bed_width_mm(),
        profile.bed_depth_mm(),
        profile.max_height_mm,
    );
    if x > bx + SLACK_MM || y > by + SLACK_MM || z > bz + SLACK_MM {
        return Err(FieldError::new(
            "file",
            format!(
                "the model is {x:.1} × {y:.1} × {z:.1} mm (x × y × z) and does not fit \
                 profile {} ({}): its bed is {bx} × {by} mm with a build height of {bz} mm",
                profile.id(),
                profile.printer.name
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::find;

    /// A closed axis-aligned box as ASCII STL, outward-facing triangles.
    pub(crate) fn box_ascii(x: f32, y: f32, z: f32, drop_last: bool) -> String {
        let p = |i: usize| -> [f32; 3] {
            [
                if i & 1 == 1 { x } else { 0.0 },
                if i & 2 == 2 { y } else { 0.0 },
                if i & 4 == 4 { z } else { 0.0 },
            ]
        };
        // Corners indexed by bits (x, y, z); quads wound counter-clockwise seen from outside.
        let quads = [
            [0, 2, 3, 1],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 6, 7, 3],
            [0, 4, 6, 2],
            [1, 3, 7, 5],
        ];
        let mut tris = Vec::new();
        for q in quads {
            tris.push([q[0], q[1], q[2]]);
            tris.push([q[0], q[2], q[3]]);
        }
        if drop_last {
            tris.pop();
        }
        let mut s = String::from("solid box\n");
        for t in tris {
            s.push_str("facet normal 0 0 0\nouter loop\n");
            for i in t {
                let [a, b, c] = p(i);
                s.push_str(&format!("vertex {a} {b} {c}\n"));
            }
            s.push_str("endloop\nendfacet\n");
        }
        s.push_str("endsolid box\n");
        s
    }

    #[test]
    fn closed_box_passes_and_is_measured() {
        let mini = find("prusa-mini").expect("profile");
        let info = check_model(box_ascii(20.0, 30.0, 5.0, false).as_bytes(), Some(&mini))
            .expect("closed box");
        assert_eq!(info.triangles, 12);
        assert_eq!(info.size_mm, [20.0, 30.0, 5.0]);
    }

    #[test]
    fn open_box_is_refused() {
        let err = check_model(box_ascii(20.0, 30.0, 5.0, true).as_bytes(), None).expect_err("open");
        assert_eq!(err.field, "file");
        assert!(err.message.contains("manifold"), "{}", err.message);
    }

    #[test]
    fn too_big_names_dimensions() {
        let mini = find("prusa-mini").expect("profile");
        let err = check_model(box_ascii(300.0, 300.0, 5.0, false).as_bytes(), Some(&mini))
            .expect_err("too big");
        assert!(
            err.message.contains("300.0 × 300.0 × 5.0 mm"),
            "{}",
            err.message
        );
        assert!(err.message.contains("180 × 180 mm"), "{}", err.message);
        let tall = check_model(box_ascii(10.0, 10.0, 181.0, false).as_bytes(), Some(&mini));
        assert!(tall.is_err());
    }

    #[test]
    fn garbage_and_empty_are_refused() {
        assert!(
            check_model(b"", None)
                .expect_err("empty")
                .message
                .contains("empty")
        );
        let err = check_model(b"hello, this is not a mesh", None).expect_err("garbage");
        assert!(err.message.contains("not an STL"), "{}", err.message);
        let err = check_model(b"solid x\nendsolid x\n", None).expect_err("no triangles");
        assert!(
            err.message.contains("without any triangle"),
            "{}",
            err.message
        );
    }
}
