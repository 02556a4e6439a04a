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

/// Numbers distinct points in order of first sight: an open-addressing table
/// of vertex numbers keyed by [`key`]. Only lookups are made, never
/// iteration, so the numbering does not depend on the hash.
pub(crate) struct PointNumbers {
    /// `(key, number)`; `u32::MAX` marks an empty slot.
    slots: Vec<(u64, u32)>,
    mask: usize,
}

impl PointNumbers {
    pub(crate) fn with_capacity(points: usize) -> Self {
        // At most half full, so probe runs stay short.
        let size = (2 * points).next_power_of_two().max(16);
        PointNumbers {
            slots: vec![(0, u32::MAX); size],
            mask: size - 1,
        }
    }

    /// The number of `p`, appending it to `verts` when first seen.
    pub(crate) fn number(&mut self, p: &P3, verts: &mut Vec<P3>) -> u32 {
        let k = key(p);
        // Fibonacci hashing: the high bits of the product mix every key bit.
        let mut at = (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & self.mask;
        loop {
            let (slot_key, number) = self.slots[at];
            if number == u32::MAX {
                let number = verts.len() as u32;
                self.slots[at] = (k, number);
                verts.push(*p);
                return number;
            }
            if slot_key == k {
                return number;
            }
            at = (at + 1) & self.mask;
        }
    }
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
        let mut numbers = PointNumbers::with_capacity(soup.len() * 3);
        let mut out = Indexed {
            verts: Vec::new(),
            tris: Vec::with_capacity(soup.len()),
        };
        for t in soup {
            out.tris.push(t.map(|p| numbers.number(&p, &mut out.verts)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn from_soup_numbers_points_in_order_of_first_use() {
        // Points from a small range, so most repeat and probe runs collide.
        let mut state = 7u64;
        let mut coord = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) % 9) as i32 * 1_000 - 4_000
        };
        let soup: Vec<Tri> = (0..5_000)
            .map(|_| [(); 3].map(|()| [coord(), coord(), coord()]))
            .collect();
        let indexed = Indexed::from_soup(&soup);

        let mut numbers: BTreeMap<P3, u32> = BTreeMap::new();
        let mut verts = Vec::new();
        for (t, tri) in soup.iter().enumerate() {
            for (k, p) in tri.iter().enumerate() {
                let n = *numbers.entry(*p).or_insert_with(|| {
                    verts.push(*p);
                    verts.len() as u32 - 1
                });
                assert_eq!(indexed.tris[t][k], n);
            }
        }
        assert_eq!(indexed.verts, verts);
        assert!(
            verts.len() < soup.len() / 2,
            "too few repeats to test welding"
        );
    }
}
