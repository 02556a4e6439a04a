//! Connector outlines: the intersection puzzle (GridFlock's `puzzle.svg`
//! joint) and the edge puzzle (a dovetail in the middle of a cell edge).
//!
//! Both are described in a *joint frame*: origin on the seam, `u` pointing
//! from the male plate into the female plate, `v` along the seam. Joints are
//! symmetric in `v`, so the frame's handedness does not matter.

use super::memo::Booleans;
use super::poly::{Contour, Shapes, arc, pt};
use crate::lattice;

/// Lower half of the male tab at fit 1 (tight) and fit 0 (loose), in mm.
const MALE_TIGHT: [(f64, f64); 10] = [
    (-4.0000, 0.0000),
    (-0.0641, -3.2775),
    (0.0655, -3.2977),
    (-0.7093, -1.2147),
    (-0.6089, -0.6789),
    (-0.0932, -0.7529),
    (0.4644, -1.4506),
    (0.8743, -1.4937),
    (1.1800, -1.1057),
    (1.1800, 0.3000),
];
const MALE_LOOSE: [(f64, f64); 10] = [
    (-4.0000, 0.0000),
    (-0.1530, -2.9125),
    (-0.1076, -2.8859),
    (-0.9479, -1.0369),
    (-0.7025, -0.3560),
    (0.0565, -0.4254),
    (0.4738, -1.1090),
    (0.8462, -1.2223),
    (1.1753, -0.8577),
    (1.1800, 0.3000),
];
/// Lower half of the female socket at fit 1 and fit 0, in mm.
const FEMALE_TIGHT: [(f64, f64); 11] = [
    (0.0000, -3.0175),
    (-0.5739, -1.3200),
    (-0.4729, -0.9643),
    (-0.0675, -1.0136),
    (0.2576, -1.4464),
    (0.5700, -1.6145),
    (0.7957, -1.6070),
    (1.2582, -1.0802),
    (1.2457, 0.2989),
    (-2.5640, 0.2991),
    (-2.5351, -3.0171),
];
const FEMALE_LOOSE: [(f64, f64); 11] = [
    (0.0047, -3.0175),
    (-0.2557, -1.6850),
    (-0.1875, -1.4603),
    (0.0354, -1.4394),
    (0.3091, -1.8348),
    (0.6308, -1.8531),
    (0.9641, -1.8176),
    (1.2535, -1.3656),
    (1.2457, 0.2989),
    (-2.5640, 0.2991),
    (-2.5351, -3.0171),
];

/// How far a joint reaches along the seam from its centre (µm), both halves.
pub(crate) const JOINT_REACH_UM: i64 = 3_400;
/// How far the edge-puzzle tab reaches into the neighbour (µm) in the magnet layer.
pub(crate) const EDGE_TAB_DEPTH_UM: i64 = 3_700;
/// How far edge-puzzle features reach at z ≥ 0: the rib's vertical part, so
/// they never cut through a sloped wall.
pub(crate) const EDGE_TAB_CLIP_UM: i64 = crate::profile::MID_INSET_UM;

/// How far connector material sticks out of a plate (µm): `(beyond a male
/// side, beyond a female side)`. Derived from the outlines themselves, so
/// planned bounds and built meshes agree exactly.
pub(crate) fn protrusions(connector: &crate::params::Connector, magnets: bool) -> (i64, i64) {
    use crate::params::Connector;
    match *connector {
        Connector::IntersectionPuzzle { fit } => {
            // Validation reports a bad fit; until then measure a sane one.
            let fit = if fit.is_finite() {
                fit.clamp(0.0, 1.0)
            } else {
                1.0
            };
            let j = IntersectionJoint::new(fit);
            let male = j.male.iter().map(|p| p.0).max().unwrap_or(0);
            // The lip is the hull minus the socket: its reach is the socket's
            // most negative u on the concave side (the hull's other points lie
            // inside the male plate, which the lip never crosses).
            let female = j.female[1..8].iter().map(|p| -p.0).max().unwrap_or(0);
            (male, female.max(0))
        }
        Connector::EdgePuzzle => (
            if magnets {
                EDGE_TAB_DEPTH_UM
            } else {
                EDGE_TAB_CLIP_UM
            },
            0,
        ),
        Connector::None => (0, 0),
    }
}

/// A polygon in the joint frame, µm, as `(u, v)` pairs.
pub(crate) type Local = Vec<(i64, i64)>;

/// Vertices closer than this to the seam line are put on it: a few µm of
/// overhang would only make slivers no printer can reproduce.
const SEAM_SNAP_UM: i64 = 25;

fn blend(tight: &[(f64, f64)], loose: &[(f64, f64)], fit: f64) -> Local {
    tight
        .iter()
        .zip(loose)
        .map(|(t, l)| {
            let u = lattice::mm_to_um(t.0 * fit + l.0 * (1.0 - fit));
            let v = lattice::mm_to_um(t.1 * fit + l.1 * (1.0 - fit));
            (if u.abs() <= SEAM_SNAP_UM { 0 } else { u }, v)
        })
        .collect()
}

/// The intersection-puzzle outlines for one fit.
pub(crate) struct IntersectionJoint {
    /// Male tab, lower half (`v` up to +0.3 mm, where it overlaps its mirror).
    pub(crate) male: Local,
    /// Female socket, lower half.
    pub(crate) female: Local,
}

impl IntersectionJoint {
    pub(crate) fn new(fit: f64) -> Self {
        IntersectionJoint {
            male: blend(&MALE_TIGHT, &MALE_LOOSE, fit),
            female: blend(&FEMALE_TIGHT, &FEMALE_LOOSE, fit),
        }
    }
}

/// The convex hull of a polygon (Andrew's monotone chain), counter-clockwise.
pub(crate) fn hull(points: &[(i64, i64)]) -> Local {
    let mut p: Vec<(i64, i64)> = points.to_vec();
    p.sort_unstable();
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) as i128 * (b.1 - o.1) as i128 - (a.1 - o.1) as i128 * (b.0 - o.0) as i128
    };
    let mut lower: Local = Vec::new();
    for &q in &p {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], q) <= 0 {
            lower.pop();
        }
        lower.push(q);
    }
    let mut upper: Local = Vec::new();
    for &q in p.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], q) <= 0 {
            upper.pop();
        }
        upper.push(q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// The pockets of `hull(poly) − poly`, as simple polygons in the joint frame.
pub(crate) fn hull_minus(poly: &Local, booleans: &mut Booleans) -> Vec<Local> {
    let to_shape = |l: &Local| -> Shapes { vec![vec![l.iter().map(|&(u, v)| pt(u, v)).collect()]] };
    booleans
        .difference(&to_shape(&hull(poly)), &to_shape(poly))
        .into_iter()
        .flatten()
        .map(|c| c.iter().map(|p| (p.x as i64, p.y as i64)).collect())
        .collect()
}

/// Mirror in `v`.
pub(crate) fn mirror(poly: &Local) -> Local {
    poly.iter().rev().map(|&(u, v)| (u, -v)).collect()
}

/// Clips a polygon to the band `v_lo ≤ v ≤ v_hi` (Sutherland–Hodgman).
///
/// Crossing points are rounded in the joint frame, and the same arithmetic on
/// a mirrored input gives the mirrored point, so two tiles that each keep one
/// half of a joint agree exactly on the points where it is cut.
pub(crate) fn clip_v(poly: &Local, v_lo: i64, v_hi: i64) -> Local {
    let below = clip_half(poly, v_hi, true);
    clip_half(&below, v_lo, false)
}

fn clip_half(poly: &Local, limit: i64, keep_below: bool) -> Local {
    let inside = |p: (i64, i64)| {
        if keep_below {
            p.1 <= limit
        } else {
            p.1 >= limit
        }
    };
    let mut out = Vec::with_capacity(poly.len() + 2);
    for i in 0..poly.len() {
        let a = poly[i];
        let b = poly[(i + 1) % poly.len()];
        if inside(a) {
            out.push(a);
        }
        if inside(a) != inside(b) && a.1 != limit && b.1 != limit {
            let t = (limit - a.1) as f64 / (b.1 - a.1) as f64;
            let u = a.0 as f64 + (b.0 - a.0) as f64 * t;
            out.push((lattice::round(u), limit));
        }
    }
    out.dedup();
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Edge-puzzle dovetail (GridFlock's defaults: head 10 × 2.5 mm, neck 3 × 1.2 mm,
/// 0.15 mm gap), reaching `depth` µm into `u` at most. The male outline starts
/// at `u = -1 mm` inside its own plate so that the union with the plate is clean.
pub(crate) fn dovetail(male: bool) -> (Local, Local) {
    // (neck half-width at its ends, neck depth, head half-length, head depth end)
    let (neck_hw, neck_d, head_hl, head_r) = if male {
        (2_100, 1_200, 5_000, 1_250)
    } else {
        (2_175, 1_050, 5_075, 1_325)
    };
    let tip = EDGE_TAB_DEPTH_UM;
    let head_c = tip - head_r;
    // Neck: rectangle u ∈ [-1, neck_d], v ∈ [-neck_hw, neck_hw] with concave
    // round flanks of radius neck_d / 2 centred on the neck's ends.
    let fr = neck_d / 2;
    let mut neck: Contour = vec![pt(-1_000, -neck_hw), pt(0, -neck_hw)];
    arc(fr, -neck_hw, fr, 20, 0, &mut neck);
    neck.push(pt(neck_d, -neck_hw));
    neck.push(pt(neck_d, neck_hw));
    arc(fr, neck_hw, fr, 0, -20, &mut neck);
    neck.push(pt(0, neck_hw));
    neck.push(pt(-1_000, neck_hw));
    neck.dedup();
    let neck: Local = neck.iter().map(|p| (p.x as i64, p.y as i64)).collect();
    let head = super::poly::stadium(
        (head_c, -(head_hl - head_r)),
        (head_c, head_hl - head_r),
        head_r,
    );
    let head: Local = head.iter().map(|p| (p.x as i64, p.y as i64)).collect();
    (neck, head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_mirrored_halves_meets_on_the_axis() {
        let j = IntersectionJoint::new(0.37);
        let low = clip_v(&j.female, i64::MIN / 4, 0);
        let high = clip_v(&mirror(&j.female), 0, i64::MAX / 4);
        let mut on_axis_low: Vec<i64> = low.iter().filter(|p| p.1 == 0).map(|p| p.0).collect();
        let mut on_axis_high: Vec<i64> = high.iter().filter(|p| p.1 == 0).map(|p| p.0).collect();
        on_axis_low.sort_unstable();
        on_axis_high.sort_unstable();
        assert_eq!(on_axis_low, on_axis_high);
        assert_eq!(on_axis_low.len(), 2);
    }

    #[test]
    fn hull_of_male_contains_its_tip() {
        let j = IntersectionJoint::new(1.0);
        let h = hull(&j.male);
        assert!(h.contains(&(1_180, 300)));
        assert!(h.contains(&(-4_000, 0)));
    }
}
