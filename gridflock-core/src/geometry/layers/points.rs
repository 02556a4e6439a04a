//! The vertices of one level, indexed for "which of them lie on this edge".

use smallvec::SmallVec;
use std::cell::OnceCell;

use crate::geometry::poly::{Pt, Shapes};

/// The vertices of one level, indexed for "which of them lie on this edge".
pub(in crate::geometry) struct LevelPoints<'f> {
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
pub(in crate::geometry) type Chain = SmallVec<[Pt; 4]>;

/// How far off an edge a boolean may move a vertex it snaps a crossing to.
///
/// Its snap radius starts at √2 lattice units and grows only where crossings
/// remain unresolved.
const SNAP_UM: i64 = 4;

/// Axis-aligned edges longer than this are looked up in their band.
const LONG_EDGE_UM: i32 = 8_000;

static NO_FACES: Shapes = Vec::new();

impl<'f> LevelPoints<'f> {
    pub(in crate::geometry) fn new(pts: Vec<Pt>) -> Self {
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
    pub(in crate::geometry) fn with_faces(self, up: &'f Shapes, down: &'f Shapes) -> Self {
        LevelPoints {
            faces: [up, down],
            ..self
        }
    }

    /// The edge `a → b` with every level vertex that lies on it inserted, in order.
    pub(in crate::geometry) fn chain(&self, a: Pt, b: Pt) -> Chain {
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
    pub(super) fn on_segment(&self, a: Pt, b: Pt) -> Vec<Pt> {
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
pub(super) fn beside(a: Pt, b: Pt, p: Pt, tolerance: i64) -> bool {
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
}
