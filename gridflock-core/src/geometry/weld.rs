//! Triangle soups → indexed meshes: per tile once, then per plate by
//! instancing tiles and sharing only the vertices on interior borders.

use super::layers::{Border, Tri};
use crate::Mesh;
use std::sync::Arc;

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
    filled: usize,
}

impl Default for PointNumbers {
    fn default() -> Self {
        PointNumbers::with_capacity(0)
    }
}

impl PointNumbers {
    pub(crate) fn with_capacity(points: usize) -> Self {
        // At most half full, so probe runs stay short.
        let size = (2 * points).next_power_of_two().max(16);
        PointNumbers {
            slots: vec![(0, u32::MAX); size],
            mask: size - 1,
            filled: 0,
        }
    }

    /// The number of `p`, appending it to `verts` when first seen.
    pub(crate) fn number(&mut self, p: &P3, verts: &mut Vec<P3>) -> u32 {
        let k = key(p);
        let mut at = self.home(k);
        loop {
            let (slot_key, number) = self.slots[at];
            if number == u32::MAX {
                let number = verts.len() as u32;
                self.slots[at] = (k, number);
                self.filled += 1;
                verts.push(*p);
                if 2 * self.filled > self.slots.len() {
                    self.grow();
                }
                return number;
            }
            if slot_key == k {
                return number;
            }
            at = (at + 1) & self.mask;
        }
    }

    fn home(&self, k: u64) -> usize {
        // Fibonacci hashing: the high bits of the product mix every key bit.
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & self.mask
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![(0, u32::MAX); 2 * old.len()];
        self.mask = self.slots.len() - 1;
        for (k, number) in old.into_iter().filter(|s| s.1 != u32::MAX) {
            let mut at = self.home(k);
            while self.slots[at].1 != u32::MAX {
                at = (at + 1) & self.mask;
            }
            self.slots[at] = (k, number);
        }
    }
}

/// A triangle soup in which runs of triangles may stand welded already:
/// what a tile's mesher emits, where it reuses what other tiles made.
#[derive(Default)]
pub(crate) struct Soup {
    pub(crate) tris: Vec<Tri>,
    /// Welded pieces, each with the number of loose triangles before it.
    pieces: Vec<(usize, Arc<Indexed>)>,
}

impl Soup {
    /// Appends `piece`'s triangles, in its order.
    pub(crate) fn push_piece(&mut self, piece: &Arc<Indexed>) {
        self.pieces.push((self.tris.len(), Arc::clone(piece)));
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
        Indexed::weld_parts(soup, &[])
    }

    /// Welds identical lattice points, numbering vertices in order of first
    /// use, as if every piece were its triangles.
    pub(crate) fn weld(soup: &Soup) -> Indexed {
        Indexed::weld_parts(&soup.tris, &soup.pieces)
    }

    /// A piece's vertices are listed in order of first use within it, so
    /// numbering them in that order gives what numbering its triangles'
    /// corners would, with one lookup per vertex instead of one per corner.
    fn weld_parts(tris: &[Tri], pieces: &[(usize, Arc<Indexed>)]) -> Indexed {
        let welded: usize = pieces.iter().map(|(_, p)| p.tris.len()).sum();
        let triangles = tris.len() + welded;
        // A closed mesh has about half as many vertices as triangles.
        let mut numbers = PointNumbers::with_capacity(triangles / 2);
        let mut out = Indexed {
            verts: Vec::with_capacity(triangles / 2 + 2),
            tris: Vec::with_capacity(triangles),
        };
        let mut local: Vec<u32> = Vec::new();
        let mut pieces = pieces.iter().peekable();
        for at in 0..=tris.len() {
            while let Some((_, piece)) = pieces.next_if(|(before, _)| *before == at) {
                local.clear();
                local.extend(
                    piece
                        .verts
                        .iter()
                        .map(|p| numbers.number(p, &mut out.verts)),
                );
                out.tris
                    .extend(piece.tris.iter().map(|t| t.map(|i| local[i as usize])));
            }
            if let Some(t) = tris.get(at) {
                out.tris.push(t.map(|p| numbers.number(&p, &mut out.verts)));
            }
        }
        out
    }

    /// Millimetres, with the plate's bottom at z = 0.
    pub(crate) fn into_mesh(self, bottom_um: i64) -> Mesh {
        let to_mm = |um: i64| (um as f64 / 1000.0) as f32;
        // Mapped in place: `[i32; 3]` and `[f32; 3]` have one layout, so
        // the vertex list's allocation becomes the positions'.
        let positions: Vec<[f32; 3]> = self
            .verts
            .into_iter()
            .map(|p| {
                [
                    to_mm(p[0] as i64),
                    to_mm(p[1] as i64),
                    to_mm(p[2] as i64 - bottom_um),
                ]
            })
            .collect();
        Mesh {
            positions: positions.into_flattened(),
            indices: self.tris.into_flattened(),
        }
    }
}

/// A distinct tile's mesh, with what plate assembly needs to know about its
/// interior borders (the sides where a neighbouring tile continues).
pub(crate) struct TileMesh {
    mesh: Indexed,
    /// Per vertex: whether it lies on an interior border line.
    on_border: Vec<bool>,
    /// Triangles with two or more corners on interior borders: the only ones
    /// a seam can split.
    seam_tris: Vec<u32>,
    /// How many vertices lie on interior borders.
    border_verts: usize,
}

impl TileMesh {
    pub(crate) fn new(mesh: Indexed, borders: &[Border]) -> Self {
        let on_border: Vec<bool> = mesh
            .verts
            .iter()
            .map(|p| borders.iter().any(|b| b.holds(p)))
            .collect();
        let seam_tris = (0..mesh.tris.len() as u32)
            .filter(|&t| {
                let corners = mesh.tris[t as usize];
                corners.iter().filter(|&&i| on_border[i as usize]).count() >= 2
            })
            .collect();
        let border_verts = on_border.iter().filter(|&&b| b).count();
        TileMesh {
            mesh,
            on_border,
            seam_tris,
            border_verts,
        }
    }

    pub(crate) fn mesh(&self) -> &Indexed {
        &self.mesh
    }
}

/// A plate being assembled from translated tiles. A vertex on an interior
/// border is shared by every tile that meets there: it keeps the number it
/// got from the first of them. Vertices are numbered in order of first
/// appearance, tile by tile.
pub(crate) struct Plate {
    pub(crate) mesh: Indexed,
    /// Plate numbers of the border vertices appended so far.
    shared: PointNumbers,
    /// Vertices on interior borders.
    pub(crate) border: Vec<u32>,
    /// Triangles with two or more corners on interior borders.
    pub(crate) seam_tris: Vec<u32>,
    /// Scratch: the plate number of each vertex of the tile being appended.
    numbers: Vec<u32>,
}

impl Plate {
    /// An empty plate with room for `tiles`.
    pub(crate) fn with_room_for<'a>(tiles: impl Iterator<Item = &'a TileMesh>) -> Plate {
        let (mut verts, mut tris, mut border, mut seam_tris) = (0, 0, 0, 0);
        for tile in tiles {
            verts += tile.mesh.verts.len();
            tris += tile.mesh.tris.len();
            border += tile.border_verts;
            seam_tris += tile.seam_tris.len();
        }
        Plate {
            mesh: Indexed {
                verts: Vec::with_capacity(verts),
                tris: Vec::with_capacity(tris),
            },
            shared: PointNumbers::with_capacity(border),
            border: Vec::with_capacity(border),
            seam_tris: Vec::with_capacity(seam_tris),
            numbers: Vec::new(),
        }
    }

    /// Appends `tile` translated by `(dx, dy)`.
    pub(crate) fn append(&mut self, tile: &TileMesh, dx: i32, dy: i32) {
        let shared = &mut self.shared;
        let verts = &mut self.mesh.verts;
        self.numbers.clear();
        for (p, &on_border) in tile.mesh.verts.iter().zip(&tile.on_border) {
            let p = [p[0] + dx, p[1] + dy, p[2]];
            let before = verts.len() as u32;
            let number = if on_border {
                shared.number(&p, verts)
            } else {
                verts.push(p);
                before
            };
            if on_border && number == before {
                self.border.push(number);
            }
            self.numbers.push(number);
        }
        let first = self.mesh.tris.len() as u32;
        let numbers = &self.numbers;
        self.mesh.tris.extend(
            tile.mesh
                .tris
                .iter()
                .map(|t| t.map(|i| numbers[i as usize])),
        );
        self.seam_tris
            .extend(tile.seam_tris.iter().map(|&t| first + t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `n` triangles with corners from a 9 × 9 × 9 grid of points, so that
    /// most points repeat and probe runs collide.
    fn random_soup(seed: u64, n: usize) -> Vec<Tri> {
        let mut state = seed;
        let mut coord = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) % 9) as i32 * 1_000 - 4_000
        };
        (0..n)
            .map(|_| [(); 3].map(|()| [coord(), coord(), coord()]))
            .collect()
    }

    #[test]
    fn from_soup_numbers_points_in_order_of_first_use() {
        let soup = random_soup(7, 5_000);
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

    #[test]
    fn welded_pieces_number_like_their_triangles() {
        let all = random_soup(11, 3_000);
        // Pieces and loose runs taking turns from the very start, and two
        // pieces back to back at the end.
        let cuts = [0, 400, 900, 1_700, 2_500, 3_000];
        let mut soup = Soup::default();
        for (k, run) in cuts.windows(2).enumerate() {
            let part = &all[run[0]..run[1]];
            if k % 2 == 0 {
                soup.push_piece(&Arc::new(Indexed::from_soup(part)));
            } else {
                soup.tris.extend_from_slice(part);
            }
        }
        soup.push_piece(&Arc::new(Indexed::from_soup(&all[..100])));
        let mut flat = all.clone();
        flat.extend_from_slice(&all[..100]);
        let (welded, expected) = (Indexed::weld(&soup), Indexed::from_soup(&flat));
        assert_eq!(welded.verts, expected.verts);
        assert_eq!(welded.tris, expected.tris);
    }
}
