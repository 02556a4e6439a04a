//! Closes the borders between tiles.
//!
//! Two tiles meet on a vertical plane. Each samples the plane's edges from its
//! own vertices; where one tile has a vertex on the plane that the other lacks
//! (a z level only one of them has, a collinear point only one kept), the
//! other's edge through that point is split and its triangle re-fanned.

use super::layers::Tri;
use super::refan::refan;

type P3 = [i32; 3];

/// Splits every triangle edge lying in an interior border plane (`x` in `xs`
/// or `y` in `ys`) at the other vertices of that plane lying on it.
pub(crate) fn close(tris: &mut Vec<Tri>, xs: &[i32], ys: &[i32]) {
    if xs.is_empty() && ys.is_empty() {
        return;
    }
    // Per plane: its vertices as (along, z), sorted.
    let mut x_planes: Vec<Vec<(i32, i32)>> = vec![Vec::new(); xs.len()];
    let mut y_planes: Vec<Vec<(i32, i32)>> = vec![Vec::new(); ys.len()];
    for t in tris.iter() {
        for p in t {
            if let Ok(k) = xs.binary_search(&p[0]) {
                x_planes[k].push((p[1], p[2]));
            }
            if let Ok(k) = ys.binary_search(&p[1]) {
                y_planes[k].push((p[0], p[2]));
            }
        }
    }
    for plane in x_planes.iter_mut().chain(y_planes.iter_mut()) {
        plane.sort_unstable();
        plane.dedup();
    }
    let mut extra: Vec<Tri> = Vec::new();
    let mut keep = vec![true; tris.len()];
    for (ti, t) in tris.iter().enumerate() {
        let mut inserted: [Vec<P3>; 3] = Default::default();
        let mut any = false;
        for e in 0..3 {
            let (a, b) = (t[e], t[(e + 1) % 3]);
            if a[0] == b[0]
                && let Ok(k) = xs.binary_search(&a[0])
            {
                let pts = on_segment(&x_planes[k], (a[1], a[2]), (b[1], b[2]));
                inserted[e].extend(pts.into_iter().map(|(s, z)| [a[0], s, z]));
            }
            if a[1] == b[1]
                && inserted[e].is_empty()
                && let Ok(k) = ys.binary_search(&a[1])
            {
                let pts = on_segment(&y_planes[k], (a[0], a[2]), (b[0], b[2]));
                inserted[e].extend(pts.into_iter().map(|(s, z)| [s, a[1], z]));
            }
            any |= !inserted[e].is_empty();
        }
        if any {
            keep[ti] = false;
            refan(t, &inserted, &mut extra);
        }
    }
    if extra.is_empty() {
        return;
    }
    let mut k = 0;
    tris.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    tris.extend(extra);
}

/// Points of `plane` exactly on the open segment `a → b`, ordered from `a`.
/// Tiles sample shared borders from exact lattice constructions, so no
/// tolerance is needed (or wanted: it would capture corners of slivers).
fn on_segment(plane: &[(i32, i32)], a: (i32, i32), b: (i32, i32)) -> Vec<(i32, i32)> {
    let (s_lo, s_hi) = (a.0.min(b.0) - 1, a.0.max(b.0) + 1);
    let (z_lo, z_hi) = (a.1.min(b.1) - 1, a.1.max(b.1) + 1);
    let start = plane.partition_point(|p| p.0 < s_lo);
    let ds = (b.0 - a.0) as i64;
    let dz = (b.1 - a.1) as i64;
    let len2 = ds * ds + dz * dz;
    let mut found: Vec<(i64, (i32, i32))> = Vec::new();
    for &p in &plane[start..] {
        if p.0 > s_hi {
            break;
        }
        if p.1 < z_lo || p.1 > z_hi || p == a || p == b {
            continue;
        }
        let ps = (p.0 - a.0) as i64;
        let pz = (p.1 - a.1) as i64;
        let cross = ds * pz - dz * ps;
        let dot = ds * ps + dz * pz;
        if cross == 0 && dot > 0 && dot < len2 {
            found.push((dot, p));
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, p)| p).collect()
}
