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
//! vertex of that level lying on it (T-junction removal), and follows a
//! face's contour where the boolean that made the face snapped a crossing to
//! a vertex just beside the edge, so walls, lofts and faces meet vertex to
//! vertex and the union is closed by construction.
//! Edges on an *interior border* (a line where the neighbouring tile goes on)
//! get no wall: the material continues there.
//!
//! This module stacks the slabs; [`points`] indexes a level's vertices for
//! the T-junction rule, [`walls`] builds the bands between two levels and
//! [`faces`] triangulates the flat faces.

mod faces;
mod points;
mod walls;

pub(super) use faces::face;
pub(super) use points::LevelPoints;
pub(super) use walls::strip;

use super::interior::{self, EndFace, InteriorCache, WallsKey};
use super::poly::{Contour, Pt, Shapes, cross};
use super::weld::Soup;
use points::beside;
use walls::{Walk, ring_walls, walls};

/// A triangle in lattice coordinates (µm), counter-clockwise seen from outside.
pub(crate) type Tri = [[i32; 3]; 3];

/// An opening that changes linearly with z over one slab.
pub(crate) struct Ring {
    /// The opening at the slab's bottom level, counter-clockwise.
    pub(crate) bottom: Contour,
    /// The opening at the slab's top level, same vertex count.
    pub(crate) top: Contour,
}

impl Ring {
    /// The opening at the slab's top level (`true`) or its bottom level.
    fn end(&self, top: bool) -> &Contour {
        if top { &self.top } else { &self.bottom }
    }
}

/// Material between two consecutive levels.
pub(crate) struct Slab {
    /// The region with vertical walls.
    pub(crate) fixed: Shapes,
    /// An opening lofted through the slab, inside `fixed`.
    pub(crate) ring: Option<Ring>,
    /// What the slab cuts from the tile's base, where `fixed` is the base
    /// with these cuts' union as holes, every cut clear of the base's
    /// outline: see [`interior`].
    pub(crate) cuts: Option<Shapes>,
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
    /// Whether the lattice point `p` lies on the line.
    pub(crate) fn holds(self, p: &[i32; 3]) -> bool {
        match self {
            Border::X(x) => p[0] == x,
            Border::Y(y) => p[1] == y,
        }
    }

    fn contains(self, a: Pt, b: Pt) -> bool {
        match self {
            Border::X(x) => a.x == x && b.x == x,
            Border::Y(y) => a.y == y && b.y == y,
        }
    }
}

/// Meshes `slabs` between `levels` (one more level than slabs) into `out`.
///
/// `base` is the region the slabs' cuts are taken from; `interior` keeps the
/// faces between slabs that differ only inside it, for other tiles.
pub(crate) fn mesh(
    levels: &[i32],
    slabs: &[Slab],
    borders: &[Border],
    base: &Shapes,
    interior: &mut InteriorCache,
    soup: &mut Soup,
) {
    let n = slabs.len();
    debug_assert_eq!(levels.len(), n + 1);
    let mut up: Vec<Shapes> = Vec::with_capacity(n + 1);
    let mut down: Vec<Shapes> = Vec::with_capacity(n + 1);
    // Levels whose faces a boolean made: it may have snapped a crossing to a vertex.
    let mut from_boolean = vec![false; n + 1];
    // Levels whose faces are shared with other tiles: their cache entry.
    let mut shared: Vec<Option<usize>> = vec![None; n + 1];
    // The plate's bottom or top level where its one face is a slab's region
    // carved from the base: [`interior::split_end_face`] applies.
    let mut carved_end = vec![false; n + 1];
    let flat = |slab: Option<&Slab>| slab.filter(|s| s.ring.is_none()).map(|s| s.fixed.clone());
    for i in 0..=n {
        let below = i.checked_sub(1).map(|k| (&slabs[k], true));
        let above = slabs.get(i).map(|slab| (slab, false));
        let (u, d) = if end_parts(below) == end_parts(above) {
            // Inside a loft or between slabs cut alike: no face at this level.
            (Vec::new(), Vec::new())
        } else if i == 0
            && let Some(bottom) = flat(slabs.first())
        {
            // The bottom face of the first slab and the top face of the last,
            // when they have no loft, are their fixed regions: already a
            // boolean's output.
            carved_end[i] = slabs[0].cuts.is_some();
            (Vec::new(), bottom)
        } else if i == n
            && let Some(top) = flat(slabs.last())
        {
            carved_end[i] = slabs[n - 1].cuts.is_some();
            (top, Vec::new())
        } else if (i == 0 || i == n)
            && let Some(region) =
                end_cuts(&slabs[i.min(n - 1)], i == n).and_then(|cuts| interior.carve(base, &cuts))
        {
            // A lofted end slab cut from the base: its end face is the base
            // less its cuts and the opening's end, carved without a boolean
            // over the outline. The face's contours come from the cuts'
            // union, not from the ring the walls follow, so its vertices join
            // the level's like those of any boolean's faces.
            from_boolean[i] = true;
            carved_end[i] = true;
            if i == n {
                (region, Vec::new())
            } else {
                (Vec::new(), region)
            }
        } else if i > 0
            && i < n
            && let (Some(cut_below), Some(cut_above)) =
                (end_cuts(&slabs[i - 1], true), end_cuts(&slabs[i], false))
            && rings_clear(base, &slabs[i - 1], &slabs[i])
        {
            from_boolean[i] = true;
            let entry = interior.entry(levels[i], cut_below, cut_above);
            shared[i] = Some(entry);
            interior.shapes(entry)
        } else {
            from_boolean[i] = true;
            super::poly::differences(&end_region(below), &end_region(above))
        };
        up.push(u);
        down.push(d);
    }

    // Slabs whose walls inside the cell are shared with other tiles: carved,
    // and at both ends a level whose vertices near the cuts are the cuts'
    // alone (a shared level, or the plate's flat bottom or top).
    let inner_level = |i: usize| -> Option<Option<usize>> {
        if let Some(entry) = shared[i] {
            return Some(Some(entry));
        }
        let slab = if i == 0 { slabs.first() } else { slabs.last() };
        let end = (i == 0 || i == n) && !from_boolean[i];
        (end && slab.is_some_and(|s| s.cuts.is_some() && s.ring.is_none())).then_some(None)
    };
    let keys: Vec<Option<WallsKey>> = (0..n)
        .map(|k| {
            let slab = &slabs[k];
            let entries = [inner_level(k)?, inner_level(k + 1)?];
            let has_ring = |j: Option<usize>| {
                j.and_then(|j| slabs.get(j))
                    .is_some_and(|s| s.ring.is_some())
            };
            Some(WallsKey {
                z: [levels[k], levels[k + 1]],
                entries,
                cuts: slab.cuts.clone()?,
                rings: [
                    has_ring(k.checked_sub(1)),
                    slab.ring.is_some(),
                    has_ring(Some(k + 1)),
                ],
            })
        })
        .collect();

    // A shared level whose faces are triangulated already, between slabs
    // that share their walls inside the cell, needs its vertices only for
    // the outline's walls: the cell's keep 20 µm clear of the outline.
    let faces_of = |i: usize| from_boolean[i].then(|| [&up[i], &down[i]]);
    let points: Vec<LevelPoints> = (0..=n)
        .map(|i| {
            let cached = shared[i].is_some_and(|e| interior.triangles(e).is_some());
            let walls_shared = |k: Option<usize>| k.is_none_or(|k| keys[k].is_some());
            let contours =
                if cached && walls_shared(i.checked_sub(1)) && walls_shared((i < n).then_some(i)) {
                    Contours::Outline
                } else {
                    Contours::All
                };
            level_points(slabs, i, faces_of(i), contours)
        })
        .collect();

    for ((k, slab), inner) in slabs.iter().enumerate().zip(keys) {
        let z = [levels[k], levels[k + 1]];
        let ends = [&points[k], &points[k + 1]];
        let Some(key) = inner else {
            slab_walls(slab, Contours::All, ends, z, borders, &mut soup.tris);
            continue;
        };
        slab_walls(slab, Contours::Outline, ends, z, borders, &mut soup.tris);
        if let Some(walls) = interior.walls(&key) {
            soup.push_piece(walls);
            continue;
        }
        // Computed from the cell's own vertices alone, and blind to the
        // tile's borders, so that the walls are the same whichever tile
        // makes them first. The outline keeps clear of them, so the tile's
        // other vertices would change nothing.
        let below = level_points(slabs, k, faces_of(k), Contours::Inner);
        let above = level_points(slabs, k + 1, faces_of(k + 1), Contours::Inner);
        let start = soup.tris.len();
        slab_walls(
            slab,
            Contours::Inner,
            [&below, &above],
            z,
            &[],
            &mut soup.tris,
        );
        interior.keep_walls(key, &soup.tris[start..]);
    }

    for i in 0..=n {
        let faces = [&up[i], &down[i]];
        if carved_end[i] {
            // The plate's bottom or top at a carved slab: one face, the
            // slab's region less the opening's end where it is lofted.
            let facing_up = i == n;
            let region = faces[usize::from(!facing_up)];
            if let Some((frame, cell)) = interior::split_end_face(base, region) {
                face(&frame, levels[i], &points[i], facing_up, &mut soup.tris);
                let key = EndFace {
                    z: levels[i],
                    up: facing_up,
                    region: cell,
                };
                if let Some(triangles) = interior.end_face(&key) {
                    soup.push_piece(triangles);
                    continue;
                }
                // From the cell's own vertices alone, like the shared walls.
                let own = level_points(slabs, i, None, Contours::Inner);
                let start = soup.tris.len();
                face(&key.region, levels[i], &own, facing_up, &mut soup.tris);
                interior.keep_end_face(key, &soup.tris[start..]);
                continue;
            }
        }
        let Some(entry) = shared[i] else {
            level_faces(faces, levels[i], &points[i], &mut soup.tris);
            continue;
        };
        // Nothing of the outline lies near these faces, so their
        // triangles are the same in every tile that shares them.
        if let Some(triangles) = interior.triangles(entry) {
            soup.push_piece(triangles);
            continue;
        }
        let start = soup.tris.len();
        level_faces(faces, levels[i], &points[i], &mut soup.tris);
        interior.keep_triangles(entry, &soup.tris[start..]);
    }
}

/// A slab's region at its top (`true`) or bottom end (`None`: below the
/// plate or above it, nothing), unresolved: the fixed shapes plus the
/// opening reversed, which cancels the material inside it under the non-zero
/// rule. The differences that take it resolve it, so no separate boolean is
/// spent on it. Only the levels that need a boolean build it.
fn end_region(end: Option<(&Slab, bool)>) -> Shapes {
    let Some((slab, top)) = end else {
        return Vec::new();
    };
    let mut region = slab.fixed.clone();
    if let Some(ring) = &slab.ring {
        let mut hole = ring.end(top).clone();
        hole.reverse();
        region.push(vec![hole]);
    }
    region
}

/// What [`end_region`] is made of, to compare two regions without building
/// them: a ring's end never stands among the fixed shapes (those are a
/// boolean's output, counter-clockwise), so equal parts mean equal regions
/// and back.
fn end_parts(end: Option<(&Slab, bool)>) -> (&[Vec<Contour>], Option<&Contour>) {
    let Some((slab, top)) = end else {
        return (&[], None);
    };
    let ring = slab.ring.as_ref();
    (&slab.fixed, ring.map(|r| r.end(top)))
}

/// The walls of `slab`'s `contours` between its two end levels' vertices,
/// except along `borders`, and its opening ring's unless `contours` is the
/// outline alone.
fn slab_walls(
    slab: &Slab,
    contours: Contours,
    [below, above]: [&LevelPoints; 2],
    [z0, z1]: [i32; 2],
    borders: &[Border],
    out: &mut Vec<Tri>,
) {
    for c in contours.of(&slab.fixed) {
        let edge = |j: usize| {
            let (a, b) = (c[j], c[(j + 1) % c.len()]);
            (!borders.iter().any(|br| br.contains(a, b)))
                .then(|| [below.chain(a, b), above.chain(a, b)])
        };
        walls(c.len(), edge, Walk::Forward, z0, z1, out);
    }
    if !matches!(contours, Contours::Outline) {
        ring_walls(slab, [below, above], [z0, z1], out);
    }
}

/// A level's `[up, down]` faces at height `z`.
fn level_faces([up, down]: [&Shapes; 2], z: i32, points: &LevelPoints, out: &mut Vec<Tri>) {
    face(up, z, points, true, out);
    face(down, z, points, false, out);
}

/// Which contours of a slab's region: a carved slab's region is the tile's
/// outline (its first contour) with the cell's cuts as holes and islands.
#[derive(Clone, Copy)]
enum Contours {
    All,
    Outline,
    Inner,
}

impl Contours {
    fn of(self, shapes: &Shapes) -> impl Iterator<Item = &Contour> {
        shapes.iter().enumerate().flat_map(move |(s, shape)| {
            shape.iter().enumerate().filter_map(move |(c, contour)| {
                let outline = s == 0 && c == 0;
                match self {
                    Contours::All => Some(contour),
                    Contours::Outline => outline.then_some(contour),
                    Contours::Inner => (!outline).then_some(contour),
                }
            })
        })
    }
}

/// The vertices of level `i`: the regions of the slabs below and above it,
/// their opening rings, and its faces (`[up, down]`, where a boolean made
/// them, for [`LevelPoints::with_faces`]). `contours` picks which contours
/// of the regions; rings and faces count unless it is the outline alone.
fn level_points<'f>(
    slabs: &[Slab],
    i: usize,
    faces: Option<[&'f Shapes; 2]>,
    contours: Contours,
) -> LevelPoints<'f> {
    let outline_only = matches!(contours, Contours::Outline);
    let mut pts: Vec<Pt> = Vec::new();
    let near = [i.checked_sub(1).map(|k| (k, true)), Some((i, false))];
    for (k, top) in near.into_iter().flatten() {
        let Some(slab) = slabs.get(k) else { continue };
        for c in contours.of(&slab.fixed) {
            pts.extend_from_slice(c);
        }
        if let Some(r) = slab.ring.as_ref().filter(|_| !outline_only) {
            pts.extend_from_slice(r.end(top));
        }
    }
    for face in faces.into_iter().flatten().filter(|_| !outline_only) {
        for c in face.iter().flatten() {
            pts.extend_from_slice(c);
        }
    }
    let level = LevelPoints::new(pts);
    match faces {
        Some([up, down]) => level.with_faces(up, down),
        None => level,
    }
}

/// Moves apart what the 1 µm T-junction rule would join but does not touch:
/// a vertex of `shapes` within 1 µm of another of their edges, off its line,
/// steps away from that edge one lattice unit at a time until it is further.
///
/// Such a near miss (a connector's notch whose tip ends a micrometre from a
/// padded side) would be put on the edge by [`LevelPoints::chain`], pinching
/// the web between them into a vertex shared by four walls. Vertices on the
/// sides of `domain` (`[x0, y0, x1, y1]`) stay where they are: they carry
/// the plate's exact size, and a neighbouring tile shares them.
pub(super) fn open_near_misses(shapes: &mut Shapes, domain: [i32; 4]) {
    let edges: Vec<(Pt, Pt)> = shapes
        .iter()
        .flatten()
        .flat_map(|c| (0..c.len()).map(|j| (c[j], c[(j + 1) % c.len()])))
        .collect();
    let mut moves: Vec<(Pt, Pt)> = Vec::new();
    for &v in shapes.iter().flatten().flatten() {
        let [x0, y0, x1, y1] = domain;
        if v.x == x0 || v.x == x1 || v.y == y0 || v.y == y1 {
            continue;
        }
        for &(a, b) in &edges {
            if a == v || b == v || !beside(a, b, v, 1) || cross(a, b, v) == 0 {
                continue;
            }
            // The lattice step that moves v furthest from the line, on its side.
            let side = cross(a, b, v).signum() as i32;
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let (ux, uy) = (-dy.signum() * side, dx.signum() * side);
            let mut to = v;
            while beside(a, b, to, 1) {
                to = Pt::new(to.x + ux, to.y + uy);
            }
            if to.x > x0 && to.x < x1 && to.y > y0 && to.y < y1 {
                moves.push((v, to));
            }
            break;
        }
    }
    for (from, to) in moves {
        for p in shapes.iter_mut().flatten().flatten() {
            if *p == from {
                *p = to;
            }
        }
    }
}

/// Whether the opening rings meeting between `below` and `above` are clear
/// of the base's outline; their other cuts were tested when carved.
fn rings_clear(base: &Shapes, below: &Slab, above: &Slab) -> bool {
    let rings = [
        below.ring.as_ref().map(|r| &r.top),
        above.ring.as_ref().map(|r| &r.bottom),
    ];
    interior::clear_inside(base, rings.into_iter().flatten().map(std::slice::from_ref))
}

/// What `slab` cuts from the tile's base at its top or bottom end, the
/// opening ring included; `None` where its region is not the base less cuts.
fn end_cuts(slab: &Slab, top: bool) -> Option<Shapes> {
    let mut cuts = slab.cuts.clone()?;
    if let Some(ring) = &slab.ring {
        cuts.push(vec![ring.end(top).clone()]);
    }
    Some(cuts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_is_moved_beyond_the_t_junction_rule() {
        // A notch from the north side whose tip ends 1 µm above the south side.
        let (tip, corner) = (Pt::new(20_000, 1), Pt::new(42_000, 0));
        let outline = vec![
            Pt::new(0, 0),
            corner,
            Pt::new(42_000, 42_000),
            Pt::new(20_300, 42_000),
            tip,
            Pt::new(19_700, 42_000),
            Pt::new(0, 42_000),
        ];
        let level = LevelPoints::new(outline.clone());
        assert_eq!(
            level.chain(outline[0], outline[1]).to_vec(),
            vec![outline[0], tip, corner]
        );

        let mut shapes: Shapes = vec![vec![outline.clone()]];
        open_near_misses(&mut shapes, [0, 0, 42_000, 42_000]);
        let moved = &shapes[0][0];
        assert_eq!(moved[4], Pt::new(20_000, 2));
        let level = LevelPoints::new(moved.clone());
        assert_eq!(
            level.chain(moved[0], moved[1]).to_vec(),
            vec![outline[0], corner]
        );

        // On a side of the tile's domain, the tip stays.
        let mut shapes: Shapes = vec![vec![outline.clone()]];
        open_near_misses(&mut shapes, [0, 0, 20_000, 42_000]);
        assert_eq!(shapes[0][0], outline);
    }
}
