//! Triangle soups → indexed meshes: per tile once, then per plate by
//! instancing tiles and merging only the vertices on shared borders.

use super::layers::Tri;
use crate::Mesh;

pub(crate) type P3 = [i32; 3];

/// A sort key with the same order as `(x, y, z)`: x and y within ±2.09 m and
/// z within ±524 mm, far beyond any plate. Sorting plain integers is several
/// times faster than sorting arrays.
fn key(p: &P3) -> u64 {
    let x = (p[0] as i64 + (1 << 21)) as u64;
    let y = (p[1] as i64 + (1 << 21)) as u64;
    let z = (p[2] as i64 + (1 << 19)) as u64;
    (x << 42) | (y << 20) | z
}

/// An indexed mesh in lattice coordinates.
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexed {
    pub(crate) verts: Vec<P3>,
    pub(crate) tris: Vec<[u32; 3]>,
}

impl Indexed {
    /// Welds identical lattice points, numbering vertices in order of first use.
    pub(crate) fn from_soup(soup: &[Tri]) -> Indexed {
        let mut corners: Vec<(u64, u32)> = Vec::with_capacity(soup.len() * 3);
        for (i, t) in soup.iter().enumerate() {
            for (k, p) in t.iter().enumerate() {
                corners.push((key(p), (i * 3 + k) as u32));
            }
        }
        corners.sort_unstable();
        let mut first_use = vec![0u32; corners.len()];
        for run in corners.chunk_by(|a, b| a.0 == b.0) {
            for c in run {
                first_use[c.1 as usize] = run[0].1;
            }
        }
        let mut number = vec![u32::MAX; corners.len()];
        let mut out = Indexed {
            verts: Vec::new(),
            tris: Vec::with_capacity(soup.len()),
        };
        let mut tri = [0u32; 3];
        for (corner, &first) in first_use.iter().enumerate() {
            let first = first as usize;
            if number[first] == u32::MAX {
                number[first] = out.verts.len() as u32;
                out.verts.push(soup[first / 3][first % 3]);
            }
            tri[corner % 3] = number[first];
            if corner % 3 == 2 {
                out.tris.push(tri);
            }
        }
        out
    }

    /// Appends `other` translated by `(dx, dy)`.
    pub(crate) fn append(&mut self, other: &Indexed, dx: i32, dy: i32) {
        let base = self.verts.len() as u32;
        self.verts
            .extend(other.verts.iter().map(|p| [p[0] + dx, p[1] + dy, p[2]]));
        self.tris
            .extend(other.tris.iter().map(|t| t.map(|i| i + base)));
    }

    /// Merges vertices that share a position among those flagged in `candidates`,
    /// then drops unused vertices, keeping order.
    pub(crate) fn merge(&mut self, candidates: &[u32]) {
        let mut keyed: Vec<(u64, u32)> = candidates
            .iter()
            .map(|&i| (key(&self.verts[i as usize]), i))
            .collect();
        keyed.sort_unstable();
        let mut remap: Vec<u32> = (0..self.verts.len() as u32).collect();
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            for c in run {
                remap[c.1 as usize] = run[0].1;
            }
        }
        for t in &mut self.tris {
            *t = t.map(|i| remap[i as usize]);
        }
        self.compact();
    }

    /// Drops vertices no triangle uses, keeping the order of the rest.
    pub(crate) fn compact(&mut self) {
        let mut used = vec![false; self.verts.len()];
        for t in &self.tris {
            for &i in t {
                used[i as usize] = true;
            }
        }
        let mut number = vec![u32::MAX; self.verts.len()];
        let mut verts = Vec::with_capacity(self.verts.len());
        for (i, p) in self.verts.iter().enumerate() {
            if used[i] {
                number[i] = verts.len() as u32;
                verts.push(*p);
            }
        }
        self.verts = verts;
        for t in &mut self.tris {
            *t = t.map(|i| number[i as usize]);
        }
    }

    /// Millimetres, with the plate's bottom at z = 0.
    pub(crate) fn to_mesh(&self, bottom_um: i64) -> Mesh {
        let to_mm = |um: i64| (um as f64 / 1000.0) as f32;
        let mut positions = Vec::with_capacity(self.verts.len() * 3);
        for p in &self.verts {
            positions.extend_from_slice(&[
                to_mm(p[0] as i64),
                to_mm(p[1] as i64),
                to_mm(p[2] as i64 - bottom_um),
            ]);
        }
        Mesh {
            positions,
            indices: self.tris.as_flattened().to_vec(),
        }
    }
}
