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

use smallvec::SmallVec;
use std::cell::OnceCell;

use super::interior::{self, InteriorCache, WallsKey};
use super::poly::{Contour, Pt, Shapes, cross};
use super::weld::{PointNumbers, Soup};

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
    // A slab's region at one end, unresolved: the fixed shapes plus the
    // opening reversed, which cancels the material inside it under the
    // non-zero rule. The differences below resolve it, so no separate
    // boolean is spent on it.
    let region = |slab: &Slab, top: bool| -> Shapes {
        let mut region = slab.fixed.clone();
        if let Some(ring) = &slab.ring {
            let mut hole = if top { &ring.top } else { &ring.bottom }.clone();
            hole.reverse();
            region.push(vec![hole]);
        }
        region
    };
    let bottoms: Vec<Shapes> = slabs.iter().map(|s| region(s, false)).collect();
    let tops: Vec<Shapes> = slabs.iter().map(|s| region(s, true)).collect();
    let empty: Shapes = Vec::new();
    let mut up: Vec<Shapes> = Vec::with_capacity(n + 1);
    let mut down: Vec<Shapes> = Vec::with_capacity(n + 1);
    // Levels whose faces a boolean made: it may have snapped a crossing to a vertex.
    let mut from_boolean = vec![false; n + 1];
    // Levels whose faces are shared with other tiles: their cache entry.
    let mut shared: Vec<Option<usize>> = vec![None; n + 1];
    let flat = |slab: Option<&Slab>| slab.filter(|s| s.ring.is_none()).map(|s| s.fixed.clone());
    for i in 0..=n {
        let below = if i > 0 { &tops[i - 1] } else { &empty };
        let above = if i < n { &bottoms[i] } else { &empty };
        let (u, d) = if below == above {
            // Inside a loft or between slabs cut alike: no face at this level.
            (Vec::new(), Vec::new())
        } else if i == 0
            && let Some(bottom) = flat(slabs.first())
        {
            // The bottom face of the first slab and the top face of the last,
            // when they have no loft, are their fixed regions: already a
            // boolean's output.
            (Vec::new(), bottom)
        } else if i == n
            && let Some(top) = flat(slabs.last())
        {
            (top, Vec::new())
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
            super::poly::differences(below, above)
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
        let (z0, z1) = (levels[k], levels[k + 1]);
        // The outline, or everything where nothing is shared.
        let contours = if inner.is_some() {
            Contours::Outline
        } else {
            Contours::All
        };
        for c in contours.of(&slab.fixed) {
            let edge = |j: usize| {
                let (a, b) = (c[j], c[(j + 1) % c.len()]);
                (!borders.iter().any(|br| br.contains(a, b)))
                    .then(|| [points[k].chain(a, b), points[k + 1].chain(a, b)])
            };
            walls(c.len(), edge, Walk::Forward, z0, z1, &mut soup.tris);
        }
        let Some(key) = inner else {
            ring_walls(slab, [&points[k], &points[k + 1]], [z0, z1], &mut soup.tris);
            continue;
        };
        if let Some(walls) = interior.walls(&key) {
            soup.push_piece(walls);
            continue;
        }
        // Computed from the cell's own vertices alone, so that the walls are
        // the same whichever tile makes them first. The outline keeps
        // clear of them, so the tile's other vertices would change nothing.
        let below = level_points(slabs, k, faces_of(k), Contours::Inner);
        let above = level_points(slabs, k + 1, faces_of(k + 1), Contours::Inner);
        let start = soup.tris.len();
        for c in Contours::Inner.of(&slab.fixed) {
            let edge = |j: usize| {
                let (a, b) = (c[j], c[(j + 1) % c.len()]);
                Some([below.chain(a, b), above.chain(a, b)])
            };
            walls(c.len(), edge, Walk::Forward, z0, z1, &mut soup.tris);
        }
        ring_walls(slab, [&below, &above], [z0, z1], &mut soup.tris);
        interior.keep_walls(key, &soup.tris[start..]);
    }

    for i in 0..=n {
        let Some(entry) = shared[i] else {
            face(&up[i], levels[i], &points[i], true, &mut soup.tris);
            face(&down[i], levels[i], &points[i], false, &mut soup.tris);
            continue;
        };
        // Nothing of the outline lies near these faces, so their
        // triangles are the same in every tile that shares them.
        if let Some(faces) = interior.triangles(entry) {
            soup.push_piece(faces);
            continue;
        }
        let start = soup.tris.len();
        face(&up[i], levels[i], &points[i], true, &mut soup.tris);
        face(&down[i], levels[i], &points[i], false, &mut soup.tris);
        interior.keep_triangles(entry, &soup.tris[start..]);
    }
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
            pts.extend_from_slice(if top { &r.top } else { &r.bottom });
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

/// The walls of `slab`'s opening ring between `[bottom, top]` levels.
fn ring_walls(
    slab: &Slab,
    [below, above]: [&LevelPoints; 2],
    [z0, z1]: [i32; 2],
    out: &mut Vec<Tri>,
) {
    let Some(ring) = &slab.ring else { return };
    let m = ring.bottom.len();
    // The ring bounds a hole: walk it clockwise so the material is on the
    // left. Edge `j` runs from point `j + 1` to point `j`, so each edge
    // continues from the end of the one after it in the list.
    let edge = |j: usize| {
        let (ja, jb) = ((j + 1) % m, j);
        Some([
            below.chain(ring.bottom[ja], ring.bottom[jb]),
            above.chain(ring.top[ja], ring.top[jb]),
        ])
    };
    walls(m, edge, Walk::Backward, z0, z1, out);
}

/// Which way a contour's walls are listed.
#[derive(Clone, Copy)]
enum Walk {
    /// Each edge continues from the end of the one before it in the list.
    Forward,
    /// Each edge continues from the end of the one after it.
    Backward,
}

/// The walls of one closed contour of `n` edges between levels `z0` and
/// `z1`: `chains(j)` gives edge `j`'s chains at both levels
/// ([`LevelPoints::chain`]), or `None` where it carries no wall; `walk` says
/// which way the list runs.
///
/// Strips are emitted in list order, each once its successor is known, so
/// that no more than three edges' chains are alive at once.
fn walls(
    n: usize,
    chains: impl Fn(usize) -> Option<[Chain; 2]>,
    walk: Walk,
    z0: i32,
    z1: i32,
    out: &mut Vec<Tri>,
) {
    let meet = |before: &mut Option<[Chain; 2]>, after: &mut Option<[Chain; 2]>| {
        let (first, second) = match walk {
            Walk::Forward => (before, after),
            Walk::Backward => (after, before),
        };
        if let (Some(first), Some(second)) = (first, second) {
            for level in 0..2 {
                drop_spike(&mut first[level], &mut second[level]);
            }
        }
    };
    let mut emit = |edge: Option<[Chain; 2]>| {
        if let Some([bottom, top]) = edge {
            strip(&bottom, z0, &top, z1, out);
        }
    };
    if n < 2 {
        (0..n).for_each(|j| emit(chains(j)));
        return;
    }
    // The last edge meets the first: it is made first and emitted last.
    let mut last = chains(n - 1);
    let mut previous = chains(0);
    meet(&mut last, &mut previous);
    for j in 1..n - 1 {
        let mut current = chains(j);
        meet(&mut previous, &mut current);
        emit(std::mem::replace(&mut previous, current));
    }
    meet(&mut previous, &mut last);
    emit(previous);
    emit(last);
}

/// Where the walls of two consecutive edges `u → v → w` run `… p → v` and
/// `v → p …` at one level, they make a spike of no width out to `v`; both
/// then leave `v` out, meeting at `p` instead.
///
/// This happens at a sharp corner of a region: a vertex `p` of another
/// contour (a boolean's rounded crossing) can lie within the 1 µm rule of
/// both edges, and both chains take it in. Left in, the two walls would
/// cover the spike with one triangle in both orientations, an edge used
/// twice in each direction.
fn drop_spike(first: &mut Chain, second: &mut Chain) {
    let n = first.len();
    if n > 2 && second.len() > 2 && first[n - 2] == second[1] {
        first.pop();
        second.remove(0);
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
        cuts.push(vec![if top { &ring.top } else { &ring.bottom }.clone()]);
    }
    Some(cuts)
}

/// The vertices of one level, indexed for "which of them lie on this edge".
pub(super) struct LevelPoints<'f> {
    /// Ordered by `(x, y)`, and below by `(y, x)` (made on first use): a
    /// long axis-aligned edge scans only the points in its own thin band.
    by_x: Vec<Pt>,
    by_y: OnceCell<Vec<Pt>>,
    /// For every other edge, mostly short circle segments, whose bands
    /// would cross the whole tile.
    grid: Grid,
    /// The level's faces where a boolean made them: see [`LevelPoints::detour`].
    faces: [&'f Shapes; 2],
    /// The faces' contour edges, undirected and sorted, made on first use.
    face_edges: OnceCell<Vec<u128>>,
}

/// An edge with the level's vertices on it ([`LevelPoints::chain`]). Most
/// edges have none or one, so it is kept inline rather than allocated.
pub(super) type Chain = SmallVec<[Pt; 4]>;

/// How far off an edge a boolean may move a vertex it snaps a crossing to.
///
/// Its snap radius starts at √2 lattice units and grows only where crossings
/// remain unresolved.
const SNAP_UM: i64 = 4;

/// Axis-aligned edges longer than this are looked up in their band.
const LONG_EDGE_UM: i32 = 8_000;

static NO_FACES: Shapes = Vec::new();

impl<'f> LevelPoints<'f> {
    pub(super) fn new(pts: Vec<Pt>) -> Self {
        let by_x = ordered(&pts);
        let grid = Grid::new(&by_x);
        LevelPoints {
            by_x,
            by_y: OnceCell::new(),
            grid,
            faces: [&NO_FACES, &NO_FACES],
            face_edges: OnceCell::new(),
        }
    }

    fn by_y(&self) -> &[Pt] {
        self.by_y.get_or_init(|| {
            let swap = |p: &Pt| Pt::new(p.y, p.x);
            let swapped: Vec<Pt> = self.by_x.iter().map(swap).collect();
            ordered(&swapped).iter().map(swap).collect()
        })
    }

    /// Makes [`LevelPoints::chain`] follow the contours of `up` and `down`,
    /// faces a boolean made, where they leave an edge.
    pub(super) fn with_faces(self, up: &'f Shapes, down: &'f Shapes) -> Self {
        LevelPoints {
            faces: [up, down],
            ..self
        }
    }

    /// The edge `a → b` with every level vertex that lies on it inserted, in order.
    pub(super) fn chain(&self, a: Pt, b: Pt) -> Chain {
        let following = !(self.faces[0].is_empty() && self.faces[1].is_empty());
        let reach = if following { SNAP_UM } else { 1 };
        let found = self.scan(a, b, reach);
        let mut near = Vec::new();
        let mut chain = Chain::with_capacity(found.len() + 2);
        chain.push(a);
        for (p, on) in found {
            if on {
                chain.push(p);
            } else {
                near.push(p);
            }
        }
        chain.push(b);
        if !near.is_empty() {
            let mut j = 0;
            while j + 1 < chain.len() {
                match self.detour(chain[j], chain[j + 1], &near) {
                    Some(v) => chain.insert(j + 1, v),
                    None => j += 1,
                }
            }
        }
        chain
    }

    /// A vertex of `near` through which a face's contour runs from `p` to `q`
    /// instead of along the edge `p → q`.
    ///
    /// A boolean rounds each crossing onto the lattice and may snap it to a
    /// nearby vertex, so a face's contour can follow a wall's edge through a
    /// vertex a micrometre or two beside it, beyond the 1 µm rule of
    /// [`LevelPoints::on_segment`]. The wall must then be split at that vertex
    /// too, or face and wall do not meet edge to edge.
    fn detour(&self, p: Pt, q: Pt, near: &[Pt]) -> Option<Pt> {
        let edges = self.face_edges.get_or_init(|| {
            let mut edges: Vec<u128> = Vec::new();
            for c in self.faces.iter().copied().flatten().flatten() {
                for j in 0..c.len() {
                    edges.push(undirected(c[j], c[(j + 1) % c.len()]));
                }
            }
            edges.sort_unstable();
            edges
        });
        let linked = |u: Pt, v: Pt| edges.binary_search(&undirected(u, v)).is_ok();
        if linked(p, q) {
            return None;
        }
        near.iter()
            .copied()
            .find(|&v| beside(p, q, v, SNAP_UM) && linked(p, v) && linked(v, q))
    }

    /// Level vertices strictly inside the segment `a → b` (within 1 µm of it:
    /// boolean operations round crossings onto the lattice), ordered from `a`.
    fn on_segment(&self, a: Pt, b: Pt) -> Vec<Pt> {
        self.scan(a, b, 1).map(|(p, _)| p).collect()
    }

    /// Level vertices strictly inside the segment `a → b` within `reach` µm
    /// of it, ordered from `a`, each with whether it lies within 1 µm.
    fn scan(&self, a: Pt, b: Pt, reach: i64) -> impl ExactSizeIterator<Item = (Pt, bool)> {
        let r = reach as i32;
        let (x_lo, x_hi) = (a.x.min(b.x) - r, a.x.max(b.x) + r);
        let (y_lo, y_hi) = (a.y.min(b.y) - r, a.y.max(b.y) + r);
        let dx = (b.x - a.x) as i64;
        let dy = (b.y - a.y) as i64;
        let mut found: Vec<(i64, Pt, bool)> = Vec::new();
        let mut test = |p: Pt| {
            if p.x < x_lo || p.x > x_hi || p.y < y_lo || p.y > y_hi || p == a || p == b {
                return;
            }
            if beside(a, b, p, reach) {
                let dot = dx * (p.x - a.x) as i64 + dy * (p.y - a.y) as i64;
                found.push((dot, p, reach == 1 || beside(a, b, p, 1)));
            }
        };
        // Long axis-aligned edges (tile sides, the opening's straight runs)
        // would visit a long row of grid cells: their thin band is cheaper.
        let (width, height) = (x_hi - x_lo, y_hi - y_lo);
        if width.min(height) <= 2 * r && width.max(height) > LONG_EDGE_UM {
            let band: &[Pt] = if width <= height {
                let start = self.by_x.partition_point(|p| p.x < x_lo);
                let end = self.by_x.partition_point(|p| p.x <= x_hi);
                &self.by_x[start..end]
            } else {
                let by_y = self.by_y();
                let start = by_y.partition_point(|p| p.y < y_lo);
                let end = by_y.partition_point(|p| p.y <= y_hi);
                &by_y[start..end]
            };
            band.iter().for_each(|&p| test(p));
        } else {
            self.grid.visit([x_lo, y_lo, x_hi, y_hi], test);
        }
        found.sort_unstable_by_key(|&(d, p, _)| (d, p.x, p.y));
        found.into_iter().map(|(_, p, on)| (p, on))
    }
}

/// `pts` without repeats, ordered by `(x, y)`. Sorting packed integers is
/// faster than sorting pairs.
fn ordered(pts: &[Pt]) -> Vec<Pt> {
    let mut keys: Vec<u64> = pts.iter().map(|p| pack(p.x, p.y)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let (x, y) = unpack(k);
            Pt::new(x, y)
        })
        .collect()
}

/// The edge `{a, b}` as one integer, whichever way it is walked.
fn undirected(a: Pt, b: Pt) -> u128 {
    let (a, b) = (pack(a.x, a.y), pack(b.x, b.y));
    u128::from(a.min(b)) << 64 | u128::from(a.max(b))
}

/// Whether `p` lies within `tolerance` µm of the segment `a → b`, strictly
/// between its ends.
fn beside(a: Pt, b: Pt, p: Pt, tolerance: i64) -> bool {
    let (dx, dy) = ((b.x - a.x) as i64, (b.y - a.y) as i64);
    let (px, py) = ((p.x - a.x) as i64, (p.y - a.y) as i64);
    let len2 = dx * dx + dy * dy;
    let cross = (dx * py - dy * px) as i128;
    let dot = dx * px + dy * py;
    // The distance to the line is |cross| / √len2.
    cross * cross <= (tolerance * tolerance) as i128 * len2 as i128 && dot > 0 && dot < len2
}

/// `(a, b)` as one integer with the same order as the pair.
fn pack(a: i32, b: i32) -> u64 {
    let bits = |v: i32| u64::from(v as u32 ^ 0x8000_0000);
    bits(a) << 32 | bits(b)
}

/// The pair [`pack`] made.
fn unpack(k: u64) -> (i32, i32) {
    let value = |bits: u64| (bits as u32 ^ 0x8000_0000) as i32;
    (value(k >> 32), value(k & 0xFFFF_FFFF))
}

/// Points bucketed into square cells of `2^GRID_SHIFT` µm.
struct Grid {
    origin: Pt,
    columns: usize,
    rows: usize,
    /// Where each cell's points start in `points` (one more entry than cells).
    starts: Vec<u32>,
    points: Vec<Pt>,
}

/// About 1 mm: a circle segment's box spans one to four cells.
const GRID_SHIFT: u32 = 10;

impl Grid {
    /// Buckets `pts`, which are sorted by `x` (as `LevelPoints::by_x` is).
    fn new(pts: &[Pt]) -> Grid {
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
            return Grid {
                origin: Pt::new(0, 0),
                columns: 0,
                rows: 0,
                starts: vec![0],
                points: Vec::new(),
            };
        };
        let (min_x, max_x) = (first.x, last.x);
        let (min_y, max_y) = pts.iter().fold((i32::MAX, i32::MIN), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
        let origin = Pt::new(min_x, min_y);
        let columns = ((max_x - min_x) >> GRID_SHIFT) as usize + 1;
        let rows = ((max_y - min_y) >> GRID_SHIFT) as usize + 1;
        let cell = |p: &Pt| {
            ((p.x - origin.x) >> GRID_SHIFT) as usize
                + columns * ((p.y - origin.y) >> GRID_SHIFT) as usize
        };
        // Counting sort: sizes, then prefix sums, then placement.
        let mut starts = vec![0u32; columns * rows + 1];
        for p in pts {
            starts[cell(p) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut points = vec![origin; pts.len()];
        for p in pts {
            let c = cell(p);
            points[next[c] as usize] = *p;
            next[c] += 1;
        }
        Grid {
            origin,
            columns,
            rows,
            starts,
            points,
        }
    }

    /// Calls `f` on every point in the cells that meet the box
    /// `[x_lo, y_lo, x_hi, y_hi]` (and perhaps a few just outside it).
    fn visit(&self, [x_lo, y_lo, x_hi, y_hi]: [i32; 4], mut f: impl FnMut(Pt)) {
        let span = |lo: i32, hi: i32, origin: i32, count: usize| {
            let lo = ((lo - origin).max(0) >> GRID_SHIFT) as usize;
            let hi = (hi - origin) >> GRID_SHIFT;
            (hi >= 0).then(|| lo..(hi as usize + 1).min(count))
        };
        let (Some(xs), Some(ys)) = (
            span(x_lo, x_hi, self.origin.x, self.columns),
            span(y_lo, y_hi, self.origin.y, self.rows),
        ) else {
            return;
        };
        if xs.is_empty() {
            return;
        }
        for row in ys {
            // A row's cells are consecutive, and so are their points.
            let first = row * self.columns;
            let from = self.starts[first + xs.start] as usize;
            let to = self.starts[first + xs.end] as usize;
            self.points[from..to].iter().for_each(|&p| f(p));
        }
    }
}

/// Triangulates the band between a bottom chain at `z0` and a top chain at
/// `z1`, both running in the same direction, as seen from outside.
pub(super) fn strip(bottom: &[Pt], z0: i32, top: &[Pt], z1: i32, out: &mut Vec<Tri>) {
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
        // A zero-length step (a ring point that coincides with its
        // neighbour at this level) emits nothing: the quad becomes a triangle.
        if advance_bottom {
            if bottom[i] != bottom[i + 1] {
                out.push([p3(bottom[i], z0), p3(bottom[i + 1], z0), p3(top[j], z1)]);
            }
            i += 1;
        } else {
            if top[j] != top[j + 1] {
                out.push([p3(bottom[i], z0), p3(top[j + 1], z1), p3(top[j], z1)]);
            }
            j += 1;
        }
    }
}

/// Triangulates a flat face at `z`, facing up or down.
pub(super) fn face(
    shapes: &Shapes,
    z: i32,
    points: &LevelPoints,
    facing_up: bool,
    out: &mut Vec<Tri>,
) {
    let mut earcut = earcut::Earcut::new();
    let mut verts: Vec<Pt> = Vec::new();
    let mut holes: Vec<u32> = Vec::new();
    let mut tris: Vec<u32> = Vec::new();
    for shape in shapes {
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
        earcut.earcut(
            verts.iter().map(|p| [p.x as f64, p.y as f64]),
            &holes,
            &mut tris,
        );
        // Ear clipping drops collinear vertices (T-junctions on the face's
        // own boundary): split the triangle edge each one lies on.
        restore_unused(&verts, &mut tris);
        // What remains possible is a hole bridged through a collinear vertex
        // (a diagonal running through a boundary vertex) or an overlap; a
        // constrained Delaunay triangulation with exact predicates has neither.
        if !covers_exactly(&verts, &holes, &tris) || !edges_pair_up(&verts, &holes, &tris) {
            tris = constrained(&verts, &holes);
        }
        let total: i128 = tris
            .chunks_exact(3)
            .map(|t| {
                cross(
                    verts[t[0] as usize],
                    verts[t[1] as usize],
                    verts[t[2] as usize],
                )
            })
            .sum();
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

/// Splits triangles at face vertices the triangulation left out: each such
/// vertex lies exactly on one triangle edge (a T-junction); that triangle is
/// split in two at it.
fn restore_unused(verts: &[Pt], tris: &mut Vec<u32>) {
    let mut used = vec![false; verts.len()];
    for &i in tris.iter() {
        used[i as usize] = true;
    }
    for v in 0..verts.len() {
        if used[v] {
            continue;
        }
        let p = verts[v];
        let hit = tris.chunks_exact(3).enumerate().find_map(|(t, c)| {
            (0..3).find_map(|e| {
                let (a, b) = (verts[c[e] as usize], verts[c[(e + 1) % 3] as usize]);
                (a != p && b != p && cross(a, b, p) == 0 && between(a, b, p)).then_some((t, e))
            })
        });
        let Some((t, e)) = hit else { continue };
        let c = [tris[3 * t], tris[3 * t + 1], tris[3 * t + 2]];
        let (a, b, o) = (c[e], c[(e + 1) % 3], c[(e + 2) % 3]);
        tris[3 * t..3 * t + 3].copy_from_slice(&[a, v as u32, o]);
        tris.extend_from_slice(&[v as u32, b, o]);
    }
}

/// Whether every triangle edge is either a contour edge, used by exactly one
/// triangle, or an inner edge, used by exactly two. A contour edge walked
/// both ways (a zero-width spike of the region) has no triangle.
///
/// Given exact coverage, an edge that fails this runs through a face vertex
/// (a T-junction inside the face): the triangles on one side of it meet it in
/// two pieces. Sorting the edges makes this O(n log n), where testing every
/// edge against every vertex was quadratic in the face's size.
fn edges_pair_up(verts: &[Pt], holes: &[u32], tris: &[u32]) -> bool {
    // Positions repeat in `verts` where contours touch: number them first,
    // so that an edge is one integer, (low id, high id, is a contour edge),
    // and the sort compares plain integers.
    let mut numbers = PointNumbers::with_capacity(verts.len());
    let mut distinct = Vec::new();
    let id: Vec<u64> = verts
        .iter()
        .map(|p| u64::from(numbers.number(&[p.x, p.y, 0], &mut distinct)))
        .collect();
    let edge = |a: u64, b: u64, contour: bool| ((a.min(b) << 32 | a.max(b)) << 1) | contour as u64;
    let mut edges: Vec<u64> = Vec::with_capacity(tris.len() + verts.len());
    for r in contours(verts, holes) {
        let c = &id[r];
        for j in 0..c.len() {
            let (a, b) = (c[j], c[(j + 1) % c.len()]);
            if a != b {
                edges.push(edge(a, b, true));
            }
        }
    }
    for t in tris.chunks_exact(3) {
        for e in 0..3 {
            let (a, b) = (id[t[e] as usize], id[t[(e + 1) % 3] as usize]);
            edges.push(edge(a, b, false));
        }
    }
    edges.sort_unstable();
    edges.chunk_by(|a, b| a >> 1 == b >> 1).all(|run| {
        let contour = run.iter().filter(|&&e| e & 1 == 1).count();
        let triangles = run.len() - contour;
        matches!((contour, triangles), (1, 1) | (0, 2) | (2, 0))
    })
}

/// Whether `p`, collinear with `a` and `b`, lies strictly between them.
fn between(a: Pt, b: Pt, p: Pt) -> bool {
    let dot = (p.x - a.x) as i64 * (b.x - a.x) as i64 + (p.y - a.y) as i64 * (b.y - a.y) as i64;
    let len2 = (b.x - a.x) as i64 * (b.x - a.x) as i64 + (b.y - a.y) as i64 * (b.y - a.y) as i64;
    dot > 0 && dot < len2
}

/// The contours of one shape as index ranges into `verts`.
fn contours(verts: &[Pt], holes: &[u32]) -> Vec<std::ops::Range<usize>> {
    let mut starts: Vec<usize> = std::iter::once(0)
        .chain(holes.iter().map(|&h| h as usize))
        .collect();
    starts.push(verts.len());
    starts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// True when the triangles tile the polygon: one orientation throughout and
/// the same total area (exact integer arithmetic).
fn covers_exactly(verts: &[Pt], holes: &[u32], tris: &[u32]) -> bool {
    let mut polygon: i128 = 0;
    for r in contours(verts, holes) {
        let c = &verts[r];
        for j in 0..c.len() {
            let (a, b) = (c[j], c[(j + 1) % c.len()]);
            polygon += a.x as i128 * b.y as i128 - b.x as i128 * a.y as i128;
        }
    }
    let (mut pos, mut neg) = (0i128, 0i128);
    for t in tris.chunks_exact(3) {
        let a = cross(
            verts[t[0] as usize],
            verts[t[1] as usize],
            verts[t[2] as usize],
        );
        if a > 0 {
            pos += a;
        } else {
            neg -= a;
        }
    }
    (pos == polygon.abs() && neg == 0) || (neg == polygon.abs() && pos == 0)
}

/// Constrained Delaunay triangulation of a polygon with holes, keeping the
/// triangles inside (even-odd over all contours).
fn constrained(verts: &[Pt], holes: &[u32]) -> Vec<u32> {
    use spade::{ConstrainedDelaunayTriangulation, Point2, Triangulation};
    let mut cdt: ConstrainedDelaunayTriangulation<Point2<f64>> =
        ConstrainedDelaunayTriangulation::new();
    let mut handles = Vec::with_capacity(verts.len());
    let mut index_of: Vec<u32> = Vec::new();
    for (i, p) in verts.iter().enumerate() {
        match cdt.insert(Point2::new(p.x as f64, p.y as f64)) {
            Ok(h) => {
                if h.index() >= index_of.len() {
                    index_of.resize(h.index() + 1, u32::MAX);
                }
                if index_of[h.index()] == u32::MAX {
                    index_of[h.index()] = i as u32;
                }
                handles.push(Some(h));
            }
            Err(_) => handles.push(None),
        }
    }
    for r in contours(verts, holes) {
        let n = r.len();
        for j in 0..n {
            if let (Some(a), Some(b)) = (handles[r.start + j], handles[r.start + (j + 1) % n])
                && a != b
            {
                cdt.try_add_constraint(a, b);
            }
        }
    }
    let rings: Vec<&[Pt]> = contours(verts, holes)
        .into_iter()
        .map(|r| &verts[r])
        .collect();
    let mut out = Vec::new();
    for f in cdt.inner_faces() {
        let v = f.vertices().map(|h| index_of[h.fix().index()]);
        if v.contains(&u32::MAX) {
            continue;
        }
        let [a, b, c] = v.map(|i| verts[i as usize]);
        let centroid = (
            (a.x as f64 + b.x as f64 + c.x as f64) / 3.0,
            (a.y as f64 + b.y as f64 + c.y as f64) / 3.0,
        );
        if inside(&rings, centroid) {
            out.extend(v);
        }
    }
    out
}

/// Even-odd point-in-polygon over several rings.
fn inside(rings: &[&[Pt]], p: (f64, f64)) -> bool {
    let mut odd = false;
    for ring in rings {
        for j in 0..ring.len() {
            let (a, b) = (ring[j], ring[(j + 1) % ring.len()]);
            let (ax, ay, bx, by) = (a.x as f64, a.y as f64, b.x as f64, b.y as f64);
            if (ay > p.1) != (by > p.1) && p.0 < ax + (bx - ax) * (p.1 - ay) / (by - ay) {
                odd = !odd;
            }
        }
    }
    odd
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every level point on `a → b` by testing all of them, ordered from `a`.
    fn on_segment_by_brute_force(points: &[Pt], a: Pt, b: Pt) -> Vec<Pt> {
        let (dx, dy) = ((b.x - a.x) as i64, (b.y - a.y) as i64);
        let len2 = dx * dx + dy * dy;
        let mut found: Vec<(i64, Pt)> = points
            .iter()
            .filter(|&&p| p != a && p != b)
            .filter_map(|&p| {
                let (px, py) = ((p.x - a.x) as i64, (p.y - a.y) as i64);
                let (cross, dot) = (dx * py - dy * px, dx * px + dy * py);
                ((cross as i128).pow(2) <= len2 as i128 && dot > 0 && dot < len2)
                    .then_some((dot, p))
            })
            .collect();
        found.sort_unstable_by_key(|&(d, p)| (d, p.x, p.y));
        found.into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn packed_pairs_sort_like_pairs() {
        let values = [i32::MIN, -40_000, -1, 0, 1, 42_000, i32::MAX];
        for a in values {
            for b in values {
                assert_eq!(unpack(pack(a, b)), (a, b));
                for c in values {
                    for d in values {
                        assert_eq!(pack(a, b).cmp(&pack(c, d)), (a, b).cmp(&(c, d)));
                    }
                }
            }
        }
    }

    #[test]
    fn on_segment_finds_what_testing_every_point_finds() {
        let mut state = 11u64;
        let mut next = |range: i64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) as i64 % range) as i32
        };
        // Points on a coarse lattice so that many lie on the test segments,
        // some far outside the others (a sparse grid with empty cells).
        let mut points: Vec<Pt> = (0..3_000)
            .map(|_| Pt::new(next(60) * 500 - 3_000, next(60) * 500 - 3_000))
            .collect();
        points.push(Pt::new(90_000, -40_000));
        points.sort_unstable_by_key(|p| (p.x, p.y));
        points.dedup();
        let level = LevelPoints::new(points.clone());
        let mut hits = 0;
        for _ in 0..3_000 {
            let a = points[next(points.len() as i64) as usize];
            // Slanted, axis-aligned, long and short; some ends off the lattice.
            let b = match next(4) {
                0 => Pt::new(a.x + next(40) * 500, a.y),
                1 => Pt::new(a.x, a.y - next(40) * 500),
                2 => Pt::new(a.x + next(7) * 500 - 1_500, a.y + next(7) * 500 - 1_500),
                _ => Pt::new(a.x + next(30_000) - 15_000, a.y + next(30_000) - 15_000),
            };
            let found = level.on_segment(a, b);
            assert_eq!(
                found,
                on_segment_by_brute_force(&points, a, b),
                "{a:?} → {b:?}"
            );
            hits += found.len();
        }
        assert!(hits > 1_000, "too few points on the segments: {hits}");
        assert!(
            LevelPoints::new(Vec::new())
                .on_segment(Pt::new(0, 0), Pt::new(5, 5))
                .is_empty()
        );
    }

    #[test]
    fn a_chain_follows_a_face_through_a_vertex_beside_the_edge() {
        // A face runs from a to b through v, 2 µm beside the edge a → b, as
        // a boolean leaves it when it snaps crossings to v; w lies as close
        // to the edge but no face runs through it.
        let (a, b) = (Pt::new(0, 0), Pt::new(10_000, 0));
        let (v, w) = (Pt::new(4_000, 2), Pt::new(7_000, -2));
        let up: Shapes = vec![vec![vec![a, v, Pt::new(4_000, 3_000)]]];
        let down: Shapes = vec![vec![vec![v, b, Pt::new(6_000, -3_000)]]];
        let points = || {
            let mut pts: Vec<Pt> = up
                .iter()
                .chain(&down)
                .flatten()
                .flatten()
                .copied()
                .collect();
            pts.push(w);
            LevelPoints::new(pts)
        };
        assert_eq!(points().chain(a, b).to_vec(), vec![a, b]);
        let following = points().with_faces(&up, &down);
        assert_eq!(following.chain(a, b).to_vec(), vec![a, v, b]);
        assert_eq!(following.chain(b, a).to_vec(), vec![b, v, a]);
        // Faces leave other edges as they were.
        let c = Pt::new(0, 5_000);
        assert_eq!(following.chain(a, c).to_vec(), vec![a, c]);
    }

    #[test]
    fn walls_leave_out_a_spike_of_no_width() {
        // A sharp corner u → v → w; the point p, 2 µm from v, lies within
        // 1 µm of both edges, so both chains at the top take it in.
        let (u, v, w) = (
            Pt::new(2_977, 9_550),
            Pt::new(2_805, 9_480),
            Pt::new(3_050, 9_500),
        );
        let p = Pt::new(2_807, 9_480);
        let top = LevelPoints::new(vec![u, v, w, p]);
        assert_eq!(top.chain(u, v).to_vec(), vec![u, p, v]);
        assert_eq!(top.chain(v, w).to_vec(), vec![v, p, w]);
        let bottom = LevelPoints::new(vec![u, v, w]);
        let edges = [(u, v), (v, w), (w, u)];
        let chains = |j: usize| {
            let (a, b) = edges[j];
            Some([bottom.chain(a, b), top.chain(a, b)])
        };
        let mut out = Vec::new();
        walls(edges.len(), chains, Walk::Forward, 0, 1_000, &mut out);
        // The walls' top edges run u → p → w: v is left out at the top.
        let v_top = [v.x, v.y, 1_000];
        assert!(out.iter().all(|t| !t.contains(&v_top)));
        // Every edge between the walls is used once each way, except the
        // open bottom and top loops.
        let mut directed: Vec<([i32; 3], [i32; 3])> = out
            .iter()
            .flat_map(|t| [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])])
            .collect();
        directed.sort_unstable();
        let before = directed.len();
        directed.dedup();
        assert_eq!(
            directed.len(),
            before,
            "an edge used twice in one direction"
        );
    }

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
