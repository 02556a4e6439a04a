//! Triangle soup (lattice) → indexed [`Mesh`] (millimetres).

use super::layers::Tri;
use crate::Mesh;

/// Welds identical lattice points into shared vertices, numbered in order of
/// first use, and converts to millimetres with the plate's bottom at z = 0.
pub(crate) fn to_mesh(tris: &[Tri], bottom_um: i64) -> Mesh {
    let mut corners: Vec<([i32; 3], u32)> = Vec::with_capacity(tris.len() * 3);
    for (i, t) in tris.iter().enumerate() {
        for (k, p) in t.iter().enumerate() {
            corners.push((*p, (i * 3 + k) as u32));
        }
    }
    corners.sort_unstable();
    // First use (smallest corner index) of each distinct point decides its number.
    let mut first_use = vec![0u32; corners.len()];
    for run in corners.chunk_by(|a, b| a.0 == b.0) {
        let first = run[0].1;
        for c in run {
            first_use[c.1 as usize] = first;
        }
    }
    let mut number = vec![u32::MAX; corners.len()];
    let mut mesh = Mesh {
        positions: Vec::new(),
        indices: Vec::with_capacity(corners.len()),
    };
    let to_mm = |um: i64| (um as f64 / 1000.0) as f32;
    for &first in &first_use {
        let first = first as usize;
        if number[first] == u32::MAX {
            number[first] = (mesh.positions.len() / 3) as u32;
            let p = tris[first / 3][first % 3];
            mesh.positions.extend_from_slice(&[
                to_mm(p[0] as i64),
                to_mm(p[1] as i64),
                to_mm(p[2] as i64 - bottom_um),
            ]);
        }
        mesh.indices.push(number[first]);
    }
    mesh
}
