//! Plates side by side: the arrangement of a whole set in one scene, shared
//! by the 3MF build and the single-STL preview so that both look alike.

use crate::Mesh;

/// Gap between neighbouring plates, in mm.
pub const GAP_MM: f64 = 10.0;

/// Translation of every mesh: side by side along x with [`GAP_MM`] between
/// bounding boxes, each on y = 0 and z = 0. Values are rounded to 1 µm so
/// that they print as short decimals.
pub fn offsets(meshes: &[&Mesh]) -> Vec<[f64; 3]> {
    let round = |v: f64| {
        let r = (v * 1000.0).round() / 1000.0;
        if r == 0.0 { 0.0 } else { r }
    };
    let mut cursor = 0.0f64;
    meshes
        .iter()
        .map(|mesh| match mesh.bounds() {
            Some((min, max)) => {
                let [min, max] = [min, max].map(|p| p.map(f64::from));
                let t = [round(cursor - min[0]), round(-min[1]), round(-min[2])];
                cursor = round(cursor + (max[0] - min[0]) + GAP_MM);
                t
            }
            None => [round(cursor), 0.0, 0.0],
        })
        .collect()
}

/// One mesh holding every plate at its [`offsets`] position. The plates are
/// only moved, never changed: vertex and triangle counts add up.
///
/// ```
/// use gridflock_core::{Mesh, export::arrange};
/// let tri = Mesh { positions: vec![0., 0., 0., 1., 0., 0., 0., 1., 0.], indices: vec![0, 1, 2] };
/// let both = arrange::side_by_side(&[tri.clone(), tri]);
/// assert_eq!(both.triangle_count(), 2);
/// assert_eq!(&both.positions[9..12], &[11.0, 0.0, 0.0]);
/// ```
pub fn side_by_side(meshes: &[Mesh]) -> Mesh {
    let refs: Vec<&Mesh> = meshes.iter().collect();
    let mut out = Mesh {
        positions: Vec::with_capacity(meshes.iter().map(|m| m.positions.len()).sum()),
        indices: Vec::with_capacity(meshes.iter().map(|m| m.indices.len()).sum()),
    };
    for (mesh, offset) in meshes.iter().zip(offsets(&refs)) {
        let base = out.vertex_count() as u32;
        for p in mesh.positions.chunks_exact(3) {
            for axis in 0..3 {
                out.positions
                    .push((f64::from(p[axis]) + offset[axis]) as f32);
            }
        }
        out.indices.extend(mesh.indices.iter().map(|i| i + base));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_sit_side_by_side_without_changing_shape() {
        let plan = crate::plan(&crate::Params::new(300.0, 100.0)).expect("plan");
        let meshes = crate::build(&plan);
        assert!(meshes.len() >= 2);
        let set = side_by_side(&meshes);
        assert_eq!(
            set.triangle_count(),
            meshes.iter().map(Mesh::triangle_count).sum::<usize>()
        );
        let (min, max) = set.bounds().expect("bounds");
        assert!(min.iter().all(|v| v.abs() < 1e-3), "{min:?}");
        let widths: f32 = meshes
            .iter()
            .map(|m| m.bounds().map_or(0.0, |(lo, hi)| hi[0] - lo[0]))
            .sum();
        let gaps = (meshes.len() - 1) as f32 * GAP_MM as f32;
        assert!(
            (max[0] - (widths + gaps)).abs() < 1e-2,
            "{} vs {}",
            max[0],
            widths + gaps
        );
        let volume: f64 = meshes.iter().map(Mesh::volume).sum();
        assert!((set.volume() - volume).abs() / volume < 1e-4);
    }
}
