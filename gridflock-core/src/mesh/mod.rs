//! Indexed triangle meshes: the output of [`crate::build`].
//!
//! Buffers are flat (`[x, y, z, x, y, z, …]` and `[a, b, c, …]`) so that NumPy,
//! typed arrays and three.js take them without reshaping.

mod check;

pub use check::{MeshError, MeshReport, check};

/// Cross product of a triangle's edges `b − a` and `c − a` in `f64`: twice
/// the area, along the normal of a counter-clockwise triangle. The edges of
/// `f32` corners are exact in `f64`, so each component is rounded once.
// Inlined, and scalars rather than arrays of converted corners, for the STL
// writer's loop: see `export::stl::normal`.
#[inline(always)]
pub(crate) fn cross(&[a, b, c]: &[[f32; 3]; 3]) -> [f64; 3] {
    let edge = |p: [f32; 3], k: usize| f64::from(p[k]) - f64::from(a[k]);
    let (ux, uy, uz) = (edge(b, 0), edge(b, 1), edge(b, 2));
    let (vx, vy, vz) = (edge(c, 0), edge(c, 1), edge(c, 2));
    [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx]
}

/// A triangle mesh in millimetres; triangles are counter-clockwise seen from outside.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mesh {
    /// Vertex positions, three floats per vertex, in mm.
    pub positions: Vec<f32>,
    /// Vertex indices, three per triangle.
    pub indices: Vec<u32>,
}

impl Mesh {
    /// Number of triangles.
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// Number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.positions.len() / 3
    }

    /// Position of vertex `i`.
    pub fn vertex(&self, i: u32) -> [f32; 3] {
        let i = i as usize * 3;
        [
            self.positions[i],
            self.positions[i + 1],
            self.positions[i + 2],
        ]
    }

    /// The three corner positions of triangle `t`.
    pub fn triangle(&self, t: usize) -> [[f32; 3]; 3] {
        let i = &self.indices[t * 3..t * 3 + 3];
        [self.vertex(i[0]), self.vertex(i[1]), self.vertex(i[2])]
    }

    /// Axis-aligned bounding box `(min, max)` in mm; `None` for an empty mesh.
    pub fn bounds(&self) -> Option<([f32; 3], [f32; 3])> {
        let mut chunks = self.positions.chunks_exact(3);
        let first = chunks.next()?;
        let mut min = [first[0], first[1], first[2]];
        let mut max = min;
        for p in chunks {
            for k in 0..3 {
                min[k] = min[k].min(p[k]);
                max[k] = max[k].max(p[k]);
            }
        }
        Some((min, max))
    }

    /// Enclosed volume in mm³ (signed: positive for an outward-oriented closed mesh).
    pub fn volume(&self) -> f64 {
        let mut six_v = 0.0f64;
        for t in 0..self.triangle_count() {
            let [a, b, c] = self.triangle(t).map(|p| p.map(f64::from));
            six_v += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]);
        }
        six_v / 6.0
    }

    /// Welds vertices with bit-identical positions and drops the duplicates,
    /// keeping the first occurrence's order. Used on triangle soups read from STL.
    pub fn from_triangle_soup(triangles: &[[[f32; 3]; 3]]) -> Mesh {
        let mut keyed: Vec<([u32; 3], u32)> = Vec::with_capacity(triangles.len() * 3);
        for (i, tri) in triangles.iter().enumerate() {
            for (k, p) in tri.iter().enumerate() {
                keyed.push((p.map(f32::to_bits), (i * 3 + k) as u32));
            }
        }
        keyed.sort_unstable();
        let mut first_of = vec![0u32; keyed.len()];
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            let first = keyed[start].1;
            for item in &keyed[start..end] {
                first_of[item.1 as usize] = first;
            }
            start = end;
        }
        let mut remap = vec![u32::MAX; keyed.len()];
        let mut mesh = Mesh::default();
        for &first in &first_of {
            let first = first as usize;
            if remap[first] == u32::MAX {
                remap[first] = mesh.vertex_count() as u32;
                let p = triangles[first / 3][first % 3];
                mesh.positions.extend_from_slice(&p);
            }
            mesh.indices.push(remap[first]);
        }
        mesh
    }
}
