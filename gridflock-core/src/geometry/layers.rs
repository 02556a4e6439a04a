//! The layered 2.5D mesher: turns a stack of slabs into a closed triangle soup.
//!
//! A solid is described by z levels and, between each pair of levels, a slab:
//! a fixed 2D region with vertical walls, optionally minus one opening ring
//! whose vertices move linearly from the slab's bottom to its top (a loft).
//! The ring must stay inside the fixed region for the open slab (it may touch
//! its boundary at the slab's ends); that is what keeps the topology of every
//! slab constant, so walls and lofts can be emitted edge by edge.
//!
//! Flat faces at a level are the differences between the region below and the
//! region above. Every edge that lies in a level's plane is split at every
//! vertex of that level lying on it (T-junction removal), so walls, lofts and
//! faces meet vertex to vertex and the union is closed by construction.
//! Edges on an *interior border* (a line where the neighbouring tile goes on)
//! get no wall: the material continues there.

use super::poly::{Contour, Pt, Shapes, difference};

/// A triangle in lattice coordinates (µm), counter-clockwise seen from outside.
pub(crate) type Tri = [[i32; 3]; 3];

/// An opening that changes linearly with z over one slab.
pub(crate) struct Ring {
    /// The opening at the slab's bottom level, counter-clockwise.
    pub(crate) bottom: Contour,
    /// The opening at the slab's top level, same vertex count.
    pub(crate) top: Contour,
}

/// Material between two consecutive levels.
pub(crate) struct Slab {
    /// The region with vertical walls.
    pub(crate) fixed: Shapes,
    /// An opening lofted through the slab, inside `fixed`.
    pub(crate) ring: Option<Ring>,
}

/// A vertical line on which the solid continues into a neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Border {
    /// The line `x = value`.
    X(i32),
    /// The line `y = value`.
    Y(i32),
}

impl Border {
    fn contains(self, a: Pt, b: Pt) -> bool {
        match self {
            Border::X(x) => a.x == x && b.x == x,
            Border::Y(y) => a.y == y && b.y == y,
        }
    }
}

/// Meshes `slabs` between `levels` (one more level than slabs) into `out`.
pub(crate) fn mesh(levels: &[i32], slabs: &[Slab], borders: &[Border], out: &mut Vec<Tri>) {
    let n = slabs.len();
    debug_assert_eq!(levels.len(), n + 1);
    let region = |slab: &Slab, top: bool| -> Shapes {
        match &slab.ring {
            Some(ring) => {
                let opening = if top { &ring.top } else { &ring.bottom };
                difference(&slab.fixed, &vec![vec![opening.clone()]])
            }
            None => slab.fixed.clone(),
        }
    };
    let bottoms: Vec<Shapes> = slabs.iter().map(|s| region(s, false)).collect();
    let tops: Vec<Shapes> = slabs.iter().map(|s| region(s, true)).collect();
    let empty: Shapes = Vec::new();
    let mut up: Vec<Shapes> = Vec::with_capacity(n + 1);
    let mut down: Vec<Shapes> = Vec::with_capacity(n + 1);
    for i in 0..=n {
        let below = if i > 0 { &tops[i - 1] } else { &empty };
        let above = if i < n { &bottoms[i] } else { &empty };
        up.push(difference(below, above));
        down.push(difference(above, below));
    }

    let mut points: Vec<LevelPoints> = Vec::with_capacity(n + 1);
    for i in 0..=n {
        let mut pts: Vec<Pt> = Vec::new();
        let mut add_shapes = |s: &Shapes| {
            for shape in s {
                for c in shape {
                    pts.extend_from_slice(c);
                }
            }
        };
        if i > 0 {
            add_shapes(&slabs[i - 1].fixed);
        }
        if i < n {
            add_shapes(&slabs[i].fixed);
        }
        add_shapes(&up[i]);
        add_shapes(&down[i]);
        if i > 0 {
            if let Some(r) = &slabs[i - 1].ring {
                pts.extend_from_slice(&r.top);
            }
        }
        if i < n {
            if let Some(r) = &slabs[i].ring {
                pts.extend_from_slice(&r.bottom);
            }
        }
        points.push(LevelPoints::new(pts));
    }

    for (k, slab) in slabs.iter().enumerate() {
        let (z0, z1) = (levels[k], levels[k + 1]);
        for shape in &slab.fixed {
            for c in shape {
                for j in 0..c.len() {
                    let (a, b) = (c[j], c[(j + 1) % c.len()]);
                    if borders.iter().any(|br| br.contains(a, b)) {
                        continue;
                    }
                    let bottom = points[k].chain(a, b);
                    let top = points[k + 1].chain(a, b);
                    strip(&bottom, z0, &top, z1, out);
                }
            }
        }
        if let Some(ring) = &slab.ring {
            let m = ring.bottom.len();
            // The ring bounds a hole: walk it clockwise so the material is on the left.
            for j in 0..m {
                let (ja, jb) = ((j + 1) % m, j);
                let bottom = points[k].chain(ring.bottom[ja], ring.bottom[jb]);
                let top = points[k + 1].chain(ring.top[ja], ring.top[jb]);
                strip(&bottom, z0, &top, z1, out);
            }
        }
    }

    for i in 0..=n {
        face(&up[i], levels[i], &points[i], true, out);
        face(&down[i], levels[i], &points[i], false, out);
    }
}

/// The vertices of one level, sorted for range queries.
struct LevelPoints {
    sorted: Vec<Pt>,
}

impl LevelPoints {
    fn new(mut pts: Vec<Pt>) -> Self {
        pts.sort_unstable_by_key(|p| (p.x, p.y));
        pts.dedup();
        LevelPoints { sorted: pts }
    }

    /// The edge `a → b` with every level vertex that lies on it inserted, in order.
    fn chain(&self, a: Pt, b: Pt) -> Vec<Pt> {
        let mut inner = self.on_segment(a, b);
        let mut chain = Vec::with_capacity(inner.len() + 2);
        chain.push(a);
        chain.append(&mut inner);
        chain.push(b);
        chain
    }

    /// Level vertices strictly inside the segment `a → b` (within 1 µm of it), ordered from `a`.
    fn on_segment(&self, a: Pt, b: Pt) -> Vec<Pt> {
        let (x_lo, x_hi) = (a.x.min(b.x) - 1, a.x.max(b.x) + 1);
        let (y_lo, y_hi) = (a.y.min(b.y) - 1, a.y.max(b.y) + 1);
        let start = self.sorted.partition_point(|p| p.x < x_lo);
        let dx = (b.x - a.x) as i64;
        let dy = (b.y - a.y) as i64;
        let len2 = dx * dx + dy * dy;
        let mut found: Vec<(i64, Pt)> = Vec::new();
        for &p in &self.sorted[start..] {
            if p.x > x_hi {
                break;
            }
            if p.y < y_lo || p.y > y_hi || p == a || p == b {
                continue;
            }
            let px = (p.x - a.x) as i64;
            let py = (p.y - a.y) as i64;
            let cross = dx * py - dy * px;
            let dot = dx * px + dy * py;
            if (cross as i128) * (cross as i128) <= len2 as i128 && dot > 0 && dot < len2 {
                found.push((dot, p));
            }
        }
        found.sort_unstable_by_key(|&(d, p)| (d, p.x, p.y));
        found.into_iter().map(|(_, p)| p).collect()
    }
}

/// Triangulates the band between a bottom chain at `z0` and a top chain at
/// `z1`, both running in the same direction, as seen from outside.
fn strip(bottom: &[Pt], z0: i32, top: &[Pt], z1: i32, out: &mut Vec<Tri>) {
    let param = |c: &[Pt], i: usize| -> f64 {
        let (a, b) = (c[0], c[c.len() - 1]);
        let (dx, dy) = ((b.x - a.x) as f64, (b.y - a.y) as f64);
        let len2 = dx * dx + dy * dy;
        if len2 == 0.0 {
            return i as f64 / (c.len() - 1).max(1) as f64;
        }
        ((c[i].x - a.x) as f64 * dx + (c[i].y - a.y) as f64 * dy) / len2
    };
    let p3 = |p: Pt, z: i32| [p.x, p.y, z];
    let (mut i, mut j) = (0, 0);
    while i + 1 < bottom.len() || j + 1 < top.len() {
        let advance_bottom = if i + 1 >= bottom.len() {
            false
        } else if j + 1 >= top.len() {
            true
        } else {
            param(bottom, i + 1) <= param(top, j + 1)
        };
        if advance_bottom {
            out.push([p3(bottom[i], z0), p3(bottom[i + 1], z0), p3(top[j], z1)]);
            i += 1;
        } else {
            out.push([p3(bottom[i], z0), p3(top[j + 1], z1), p3(top[j], z1)]);
            j += 1;
        }
    }
}

/// Triangulates a flat face at `z`, facing up or down.
fn face(shapes: &Shapes, z: i32, points: &LevelPoints, facing_up: bool, out: &mut Vec<Tri>) {
    let mut earcut = earcut::Earcut::new();
    let mut flat: Vec<[f64; 2]> = Vec::new();
    let mut verts: Vec<Pt> = Vec::new();
    let mut holes: Vec<u32> = Vec::new();
    let mut tris: Vec<u32> = Vec::new();
    for shape in shapes {
        flat.clear();
        verts.clear();
        holes.clear();
        for (ci, c) in shape.iter().enumerate() {
            if ci > 0 {
                holes.push(verts.len() as u32);
            }
            for j in 0..c.len() {
                let (a, b) = (c[j], c[(j + 1) % c.len()]);
                verts.push(a);
                verts.extend(points.on_segment(a, b));
            }
        }
        flat.extend(verts.iter().map(|p| [p.x as f64, p.y as f64]));
        earcut.earcut(flat.iter().copied(), &holes, &mut tris);
        // Earcut's winding is not specified; orient the whole face by its total area.
        let mut total: i128 = 0;
        for t in tris.chunks_exact(3) {
            total += cross(verts[t[0] as usize], verts[t[1] as usize], verts[t[2] as usize]);
        }
        let flip = (total > 0) != facing_up;
        for t in tris.chunks_exact(3) {
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| {
                let p = verts[i as usize];
                [p.x, p.y, z]
            });
            out.push(if flip { [a, c, b] } else { [a, b, c] });
        }
    }
}

fn cross(a: Pt, b: Pt, c: Pt) -> i128 {
    (b.x - a.x) as i128 * (c.y - a.y) as i128 - (b.y - a.y) as i128 * (c.x - a.x) as i128
}
