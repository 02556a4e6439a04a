//! Walls: the vertical or lofted band between an edge's chains at the
//! bottom and top of a slab.

use super::points::Chain;
use super::points::LevelPoints;
use super::{Slab, Tri};
use crate::geometry::poly::Pt;

/// The walls of `slab`'s opening ring between `[bottom, top]` levels.
pub(super) fn ring_walls(
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
pub(super) enum Walk {
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
pub(super) fn walls(
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
/// both edges, and both chains take it in. `p` may also be one edge's own
/// end: a sliver a micrometre high, where a connector is clipped at a
/// padded side, puts the side's vertex within the rule of its slanted edge,
/// and one edge's wall then vanishes. Left in, the two walls would
/// cover the spike with one triangle in both orientations, an edge used
/// twice in each direction.
fn drop_spike(first: &mut Chain, second: &mut Chain) {
    let n = first.len();
    if n >= 2 && second.len() >= 2 && first[n - 2] == second[1] {
        first.pop();
        second.remove(0);
    }
}

/// Triangulates the band between a bottom chain at `z0` and a top chain at
/// `z1`, both running in the same direction, as seen from outside.
pub(in crate::geometry) fn strip(bottom: &[Pt], z0: i32, top: &[Pt], z1: i32, out: &mut Vec<Tri>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        no_edge_twice_one_way(&out);
    }

    #[test]
    fn walls_leave_out_a_sliver_s_apex_near_its_own_corner() {
        // A padded side s → p, then a sliver p → v → q a micrometre high:
        // p lies within 1 µm of v → q, so that chain takes it in.
        let (s, p, v, q) = (
            Pt::new(0, -454),
            Pt::new(41_326, -454),
            Pt::new(41_326, -453),
            Pt::new(41_335, -454),
        );
        let w = Pt::new(41_335, 0);
        let level = LevelPoints::new(vec![s, p, v, q, w]);
        assert_eq!(level.chain(v, q).to_vec(), vec![v, p, q]);
        let edges = [(s, p), (p, v), (v, q), (q, w), (w, s)];
        let chains = |j: usize| {
            let (a, b) = edges[j];
            Some([level.chain(a, b), level.chain(a, b)])
        };
        let mut out = Vec::new();
        walls(edges.len(), chains, Walk::Forward, 0, 1_000, &mut out);
        // The sliver's apex is left out at both levels.
        assert!(out.iter().flatten().all(|c| [c[0], c[1]] != [v.x, v.y]));
        no_edge_twice_one_way(&out);
    }

    /// Every edge between the walls is used once each way, except the open
    /// bottom and top loops: none twice in one direction.
    fn no_edge_twice_one_way(out: &[Tri]) {
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
}
