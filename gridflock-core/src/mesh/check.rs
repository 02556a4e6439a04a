//! A half-edge checker: proves a mesh is a closed, consistently oriented
//! 2-manifold with positive volume.
//!
//! Every directed edge must occur exactly once and its reverse exactly once.
//! That single rule rejects holes (a missing reverse), flipped triangles (a
//! directed edge twice) and edges shared by more than two triangles.

use super::Mesh;

/// What the checker measured on a valid mesh.
#[derive(Clone, Debug, PartialEq)]
pub struct MeshReport {
    /// Number of triangles.
    pub triangles: usize,
    /// Number of vertices referenced by triangles.
    pub vertices: usize,
    /// Number of undirected edges.
    pub edges: usize,
    /// Connected components (shells).
    pub components: usize,
    /// Euler characteristic V − E + F (2 per sphere-like shell, 0 for a torus…).
    pub euler_characteristic: i64,
    /// Enclosed volume in mm³.
    pub volume_mm3: f64,
    /// Triangles with (near) zero area; allowed but counted.
    pub zero_area_triangles: usize,
}

/// Why a mesh is not a closed oriented 2-manifold.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// The mesh has no triangles.
    #[error("the mesh is empty")]
    Empty,
    /// An index points past the vertex buffer, or the index buffer is not a multiple of 3.
    #[error("index buffer is malformed at position {position}")]
    BadIndex {
        /// Offset in the index buffer.
        position: usize,
    },
    /// A triangle uses the same vertex twice.
    #[error("triangle {triangle} repeats a vertex")]
    DegenerateTriangle {
        /// Triangle index.
        triangle: usize,
    },
    /// A directed edge has no reverse: the surface has a hole there.
    #[error("open edge {from} → {to} at {at:?} mm")]
    OpenEdge {
        /// Start vertex.
        from: u32,
        /// End vertex.
        to: u32,
        /// Position of the start vertex.
        at: [f32; 3],
    },
    /// A directed edge occurs more than once: flipped neighbour or more than two faces on an edge.
    #[error("edge {from} → {to} at {at:?} mm is used {count} times in one direction")]
    NonManifoldEdge {
        /// Start vertex.
        from: u32,
        /// End vertex.
        to: u32,
        /// How often it occurs.
        count: usize,
        /// Position of the start vertex.
        at: [f32; 3],
    },
    /// The mesh is closed but encloses no positive volume (inside out).
    #[error("the enclosed volume is {volume_mm3} mm³; the mesh is inside out")]
    NotPositive {
        /// Signed volume.
        volume_mm3: f64,
    },
}

/// Checks that `mesh` is closed, consistently oriented and 2-manifold, with positive volume.
pub fn check(mesh: &Mesh) -> Result<MeshReport, MeshError> {
    if mesh.indices.is_empty() {
        return Err(MeshError::Empty);
    }
    if !mesh.indices.len().is_multiple_of(3) {
        return Err(MeshError::BadIndex {
            position: mesh.indices.len(),
        });
    }
    let n_vertices = mesh.vertex_count() as u32;
    if let Some(position) = mesh.indices.iter().position(|&i| i >= n_vertices) {
        return Err(MeshError::BadIndex { position });
    }
    let mut directed: Vec<(u32, u32)> = Vec::with_capacity(mesh.indices.len());
    let mut zero_area = 0;
    for (t, tri) in mesh.indices.chunks_exact(3).enumerate() {
        let [a, b, c] = [tri[0], tri[1], tri[2]];
        if a == b || b == c || a == c {
            return Err(MeshError::DegenerateTriangle { triangle: t });
        }
        directed.extend([(a, b), (b, c), (c, a)]);
        if twice_area(mesh, a, b, c) < 1e-12 {
            zero_area += 1;
        }
    }
    directed.sort_unstable();
    for run in directed.chunk_by(|x, y| x == y) {
        if run.len() > 1 {
            let (from, to) = run[0];
            return Err(MeshError::NonManifoldEdge {
                from,
                to,
                count: run.len(),
                at: mesh.vertex(from),
            });
        }
    }
    for &(from, to) in &directed {
        if directed.binary_search(&(to, from)).is_err() {
            return Err(MeshError::OpenEdge {
                from,
                to,
                at: mesh.vertex(from),
            });
        }
    }
    let mut used = vec![false; n_vertices as usize];
    for &i in &mesh.indices {
        used[i as usize] = true;
    }
    let vertices = used.iter().filter(|&&u| u).count();
    let edges = directed.len() / 2;
    let triangles = mesh.triangle_count();
    let volume_mm3 = mesh.volume();
    if volume_mm3 <= 0.0 {
        return Err(MeshError::NotPositive { volume_mm3 });
    }
    Ok(MeshReport {
        triangles,
        vertices,
        edges,
        components: components(mesh, n_vertices as usize),
        euler_characteristic: vertices as i64 - edges as i64 + triangles as i64,
        volume_mm3,
        zero_area_triangles: zero_area,
    })
}

fn twice_area(mesh: &Mesh, a: u32, b: u32, c: u32) -> f64 {
    let n = super::cross(&[a, b, c].map(|i| mesh.vertex(i)));
    (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt()
}

/// Counts connected components with a union-find over triangle corners.
fn components(mesh: &Mesh, n_vertices: usize) -> usize {
    let mut parent: Vec<u32> = (0..n_vertices as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for tri in mesh.indices.chunks_exact(3) {
        let r0 = find(&mut parent, tri[0]);
        for &v in &tri[1..] {
            let r = find(&mut parent, v);
            if r != r0 {
                parent[r as usize] = r0;
            }
        }
    }
    let mut used = vec![false; n_vertices];
    for &i in &mesh.indices {
        used[i as usize] = true;
    }
    (0..n_vertices as u32)
        .filter(|&v| used[v as usize] && find(&mut parent, v) == v)
        .count()
}
