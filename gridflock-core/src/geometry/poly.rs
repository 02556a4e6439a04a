//! 2D polygons on the lattice: primitives and boolean operations.
//!
//! Shapes follow i_overlay's conventions: a shape is an outer contour followed
//! by its holes; outer contours run counter-clockwise, holes clockwise.

use crate::lattice;
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::single::SingleIntOverlay;
use i_overlay::i_float::int::point::IntPoint;

/// A lattice point (µm).
pub(crate) type Pt = IntPoint<i32>;
/// A closed polygon, without repeating its first point.
pub(crate) type Contour = Vec<Pt>;
/// A set of shapes (outer contour + holes each).
pub(crate) type Shapes = Vec<Vec<Contour>>;

pub(crate) fn pt(x: i64, y: i64) -> Pt {
    // Tile-local and plate-local coordinates stay far below 2^30 µm (1 km).
    IntPoint::new(x as i32, y as i32)
}

fn op(a: &Shapes, b: &Shapes, rule: OverlayRule) -> Shapes {
    if b.is_empty() {
        return match rule {
            OverlayRule::Intersect => Vec::new(),
            _ => union_all(a),
        };
    }
    if a.is_empty() {
        return match rule {
            OverlayRule::Union | OverlayRule::Xor => union_all(b),
            _ => Vec::new(),
        };
    }
    a.overlay(b, rule, FillRule::NonZero)
}

/// `a ∖ b`.
pub(crate) fn difference(a: &Shapes, b: &Shapes) -> Shapes {
    op(a, b, OverlayRule::Difference)
}

/// `(a ∖ b, b ∖ a)` from one overlay graph: the intersections are found once.
pub(crate) fn differences(a: &Shapes, b: &Shapes) -> (Shapes, Shapes) {
    if a.is_empty() || b.is_empty() {
        return (difference(a, b), difference(b, a));
    }
    let mut overlay = Overlay::from_subj_and_clip(a, b);
    let Some(graph) = overlay.build_graph_view(FillRule::NonZero) else {
        return (Vec::new(), Vec::new());
    };
    let mut buffer = Default::default();
    let a_only = graph.extract_shapes(OverlayRule::Difference, &mut buffer);
    let b_only = graph.extract_shapes(OverlayRule::InverseDifference, &mut buffer);
    (a_only, b_only)
}

/// `a ∪ b`.
pub(crate) fn union(a: &Shapes, b: &Shapes) -> Shapes {
    op(a, b, OverlayRule::Union)
}

/// `a ∩ b`.
pub(crate) fn intersection(a: &Shapes, b: &Shapes) -> Shapes {
    op(a, b, OverlayRule::Intersect)
}

/// Normalises a shape set (merges overlaps, fixes orientation).
pub(crate) fn union_all(a: &Shapes) -> Shapes {
    if a.is_empty() {
        return Vec::new();
    }
    let empty: Shapes = Vec::new();
    Overlay::from_subj_and_clip(a, &empty).overlay(OverlayRule::Subject, FillRule::NonZero)
}

use i_overlay::core::overlay::Overlay;

/// A single contour as a shape set.
pub(crate) fn shape(contour: Contour) -> Shapes {
    vec![vec![contour]]
}

/// Axis-aligned rectangle.
pub(crate) fn rect(x0: i64, y0: i64, x1: i64, y1: i64) -> Contour {
    vec![pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1)]
}

/// Points of a circular arc around `(cx, cy)` from angle index `from` to `to`
/// (inclusive) in steps of 360°/`CIRCLE_SEGMENTS`. Offsets are rounded
/// independently of the centre, so translated copies stay exact translations.
pub(crate) fn arc(cx: i64, cy: i64, r: i64, from: i64, to: i64, out: &mut Contour) {
    let n = crate::profile::CIRCLE_SEGMENTS as i64;
    let step = if to >= from { 1 } else { -1 };
    let units = circle_units();
    let mut i = from;
    loop {
        let (dx, dy) = units[i.rem_euclid(n) as usize];
        out.push(pt(
            cx + lattice::round(r as f64 * dx),
            cy + lattice::round(r as f64 * dy),
        ));
        if i == to {
            break;
        }
        i += step;
    }
}

/// [`unit`] at every multiple of 1/`CIRCLE_SEGMENTS` of a turn, computed
/// once: arcs are drawn for every ring of every tile.
fn circle_units() -> &'static [(f64, f64); crate::profile::CIRCLE_SEGMENTS] {
    static UNITS: std::sync::OnceLock<[(f64, f64); crate::profile::CIRCLE_SEGMENTS]> =
        std::sync::OnceLock::new();
    UNITS.get_or_init(|| {
        let n = crate::profile::CIRCLE_SEGMENTS;
        std::array::from_fn(|i| unit(i as i64, n as i64))
    })
}

/// Unit vector at angle `i / n` of a turn, exact on the axes.
fn unit(i: i64, n: i64) -> (f64, f64) {
    let i = i.rem_euclid(n);
    if i * 4 % n == 0 {
        return match i * 4 / n {
            0 => (1.0, 0.0),
            1 => (0.0, 1.0),
            2 => (-1.0, 0.0),
            _ => (0.0, -1.0),
        };
    }
    let a = std::f64::consts::TAU * i as f64 / n as f64;
    (lattice::cos(a), lattice::sin(a))
}

/// Full circle polygon (counter-clockwise, `CIRCLE_SEGMENTS` vertices, the
/// first at angle 0).
pub(crate) fn circle(cx: i64, cy: i64, r: i64) -> Contour {
    let n = crate::profile::CIRCLE_SEGMENTS as i64;
    let mut c = Vec::with_capacity(n as usize);
    arc(cx, cy, r, 0, n - 1, &mut c);
    c
}

/// Rectangle `[x0, x1] × [y0, y1]` with every corner rounded by `r`, as a ring
/// of exactly 4 × 11 points (10 segments per corner), counter-clockwise,
/// starting at the south-east corner. With `r = 0` corner points repeat, which
/// callers that need a simple polygon must avoid.
pub(crate) fn rounded_rect(x0: i64, y0: i64, x1: i64, y1: i64, r: i64) -> Contour {
    let q = crate::profile::CIRCLE_SEGMENTS as i64 / 4;
    let mut c = Vec::with_capacity(4 * (q as usize + 1));
    arc(x1 - r, y0 + r, r, -q, 0, &mut c);
    arc(x1 - r, y1 - r, r, 0, q, &mut c);
    arc(x0 + r, y1 - r, r, q, 2 * q, &mut c);
    arc(x0 + r, y0 + r, r, 2 * q, 3 * q, &mut c);
    c
}

/// A stadium (capsule) of radius `r` around the segment from `a` to `b`,
/// whose direction must be a multiple of 45°. Counter-clockwise.
pub(crate) fn stadium(a: (i64, i64), b: (i64, i64), r: i64) -> Contour {
    let n = crate::profile::CIRCLE_SEGMENTS as i64;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    // Direction index on the 40-gon: multiples of 45° are 5 steps.
    let dir = direction_index(dx, dy);
    let mut c = Vec::with_capacity(n as usize + 2);
    arc(b.0, b.1, r, dir - n / 4, dir + n / 4, &mut c);
    arc(a.0, a.1, r, dir + n / 4, dir + 3 * n / 4, &mut c);
    c
}

/// Index (in 40ths of a turn) of the direction of `(dx, dy)`, which must be a multiple of 45°.
pub(crate) fn direction_index(dx: i64, dy: i64) -> i64 {
    let sx = dx.signum();
    let sy = dy.signum();
    match (sx, sy) {
        (1, 0) => 0,
        (1, 1) => 5,
        (0, 1) => 10,
        (-1, 1) => 15,
        (-1, 0) => 20,
        (-1, -1) => 25,
        (0, -1) => 30,
        _ => 35,
    }
}

/// A rectangle of half-width `hw` from `a` along the 45°-multiple direction
/// to `b` (the two ends square). Counter-clockwise.
pub(crate) fn bar(a: (i64, i64), b: (i64, i64), hw: i64) -> Contour {
    let n = crate::profile::CIRCLE_SEGMENTS as i64;
    let dir = direction_index(b.0 - a.0, b.1 - a.1);
    let (nx, ny) = unit(dir + n / 4, n);
    let ox = lattice::round(hw as f64 * nx);
    let oy = lattice::round(hw as f64 * ny);
    vec![
        pt(a.0 - ox, a.1 - oy),
        pt(b.0 - ox, b.1 - oy),
        pt(b.0 + ox, b.1 + oy),
        pt(a.0 + ox, a.1 + oy),
    ]
}

/// Twice the signed area of the triangle `a b c` (positive counter-clockwise).
pub(crate) fn cross(a: Pt, b: Pt, c: Pt) -> i128 {
    (b.x - a.x) as i128 * (c.y - a.y) as i128 - (b.y - a.y) as i128 * (c.x - a.x) as i128
}

/// Squared distance from `p` to the segment `s → e` (rounded down where the
/// nearest point lies inside the segment).
pub(crate) fn distance2(p: Pt, s: Pt, e: Pt) -> i128 {
    let (dx, dy) = ((e.x - s.x) as i128, (e.y - s.y) as i128);
    let (px, py) = ((p.x - s.x) as i128, (p.y - s.y) as i128);
    let len2 = dx * dx + dy * dy;
    let dot = dx * px + dy * py;
    if len2 == 0 || dot <= 0 {
        return px * px + py * py;
    }
    if dot >= len2 {
        let (qx, qy) = ((p.x - e.x) as i128, (p.y - e.y) as i128);
        return qx * qx + qy * qy;
    }
    let cross = dx * py - dy * px;
    cross * cross / len2
}

/// The shapes of `b` whose bounding boxes meet that of `a`: subtracting
/// the others from `a` takes nothing away, and leaving them out spares the
/// boolean their edges.
pub(crate) fn meeting(b: &Shapes, a: &Shapes) -> Shapes {
    let Some(reach) = grown_box(a.iter().flatten().flatten(), 0) else {
        return Vec::new();
    };
    b.iter()
        .filter(|shape| {
            grown_box(shape.iter().flatten(), 0).is_some_and(|r| boxes_meet(&r, &reach))
        })
        .cloned()
        .collect()
}

/// The box `[x0, y0, x1, y1]` of `points` grown by `margin` on every side;
/// `None` when there are none.
pub(crate) fn grown_box<'a>(
    mut points: impl Iterator<Item = &'a Pt>,
    margin: i64,
) -> Option<[i64; 4]> {
    let first = points.next()?;
    let start = [first.x, first.y, first.x, first.y].map(i64::from);
    let b = points.fold(start, |[x0, y0, x1, y1], p| {
        let (x, y) = (i64::from(p.x), i64::from(p.y));
        [x0.min(x), y0.min(y), x1.max(x), y1.max(y)]
    });
    Some([b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin])
}

/// Whether two boxes `[x0, y0, x1, y1]` meet (touching counts).
pub(crate) fn boxes_meet(a: &[i64; 4], b: &[i64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Signed area ×2 of shapes: holes, running clockwise, count negative.
pub(crate) fn shapes_area2(s: &Shapes) -> i128 {
    s.iter().flatten().map(|c| area2(c)).sum()
}

/// Signed area ×2 of a contour (positive = counter-clockwise).
pub(crate) fn area2(c: &[Pt]) -> i128 {
    let mut s: i128 = 0;
    for i in 0..c.len() {
        let a = c[i];
        let b = c[(i + 1) % c.len()];
        s += a.x as i128 * b.y as i128 - b.x as i128 * a.y as i128;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_orientation_is_ccw_outer_cw_holes() {
        let outer = rect(0, 0, 100, 100);
        let hole = rect(10, 10, 20, 20);
        let r = difference(&shape(outer), &shape(hole));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].len(), 2);
        assert!(area2(&r[0][0]) > 0);
        assert!(area2(&r[0][1]) < 0);
    }

    #[test]
    fn meeting_keeps_the_shapes_whose_boxes_meet_and_subtracts_the_same() {
        let a = shape(rect(0, 0, 10_000, 10_000));
        let near = vec![circle(10_000, 10_000, 2_000)];
        let touching = vec![rect(10_000, -5_000, 12_000, 0)];
        let far = vec![circle(30_000, 5_000, 2_000)];
        let b: Shapes = vec![near.clone(), far, touching.clone()];
        assert_eq!(meeting(&b, &a), vec![near, touching]);
        assert_eq!(difference(&a, &meeting(&b, &a)), difference(&a, &b));
        assert!(meeting(&b, &Vec::new()).is_empty());
    }

    #[test]
    fn rounded_rect_has_44_points_on_the_lattice() {
        let c = rounded_rect(0, 0, 42_000, 42_000, 4_000);
        assert_eq!(c.len(), 44);
        assert_eq!(c[0], pt(38_000, 0));
        assert_eq!(c[10], pt(42_000, 4_000));
        assert!(area2(&c) > 0);
    }
}
