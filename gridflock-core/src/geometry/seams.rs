//! Closes the borders between tiles.
//!
//! Two tiles meet on a vertical plane, where plate assembly already shares
//! the vertices they both have. Each samples the plane's edges from its
//! own vertices; where one tile has a vertex on the plane that the other lacks
//! (a z level only one of them has, a collinear point only one kept), the
//! other's edge through that point is split and its triangle re-fanned.

use super::refan::refan;
use super::weld::{P3, Plate};

/// Splits every triangle edge lying in an interior border plane (`x` in
/// `xs` or `y` in `ys`) at the other vertices of that plane lying on it. The
/// assembly already shares the vertices on those planes between tiles.
pub(crate) fn close(plate: &mut Plate, xs: &[i32], ys: &[i32]) {
    if plate.seam_tris.is_empty() {
        return;
    }
    let mesh = &mut plate.mesh;
    // Per plane: its vertices as (along, z, index), sorted.
    let mut x_planes: Vec<Vec<(i32, i32, u32)>> = vec![Vec::new(); xs.len()];
    let mut y_planes: Vec<Vec<(i32, i32, u32)>> = vec![Vec::new(); ys.len()];
    for &i in &plate.border {
        let p = mesh.verts[i as usize];
        if let Ok(k) = xs.binary_search(&p[0]) {
            x_planes[k].push((p[1], p[2], i));
        }
        if let Ok(k) = ys.binary_search(&p[1]) {
            y_planes[k].push((p[0], p[2], i));
        }
    }
    for plane in x_planes.iter_mut().chain(y_planes.iter_mut()) {
        plane.sort_unstable();
    }
    let mut extra: Vec<[u32; 3]> = Vec::new();
    let mut keep = vec![true; mesh.tris.len()];
    for &ti in &plate.seam_tris {
        let ti = ti as usize;
        let t = &mesh.tris[ti];
        let mut inserted: [Vec<u32>; 3] = Default::default();
        let mut any = false;
        for e in 0..3 {
            let (ia, ib) = (t[e], t[(e + 1) % 3]);
            let (a, b) = (mesh.verts[ia as usize], mesh.verts[ib as usize]);
            if a[0] == b[0]
                && let Ok(k) = xs.binary_search(&a[0])
            {
                inserted[e] = on_segment(&x_planes[k], (a[1], a[2]), (b[1], b[2]));
            }
            if a[1] == b[1]
                && inserted[e].is_empty()
                && let Ok(k) = ys.binary_search(&a[1])
            {
                inserted[e] = on_segment(&y_planes[k], (a[0], a[2]), (b[0], b[2]));
            }
            any |= !inserted[e].is_empty();
        }
        if any {
            keep[ti] = false;
            let corners = t.map(|i| mesh.verts[i as usize]);
            let points = inserted
                .clone()
                .map(|v| v.iter().map(|&i| mesh.verts[i as usize]).collect());
            let mut split = Vec::new();
            refan(&corners, &points, &mut split);
            for tri in split {
                extra.push(tri.map(|p| index_of(&mesh.verts, t, &inserted, p)));
            }
        }
    }
    if extra.is_empty() {
        return;
    }
    let mut k = 0;
    mesh.tris.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    mesh.tris.extend(extra);
}

/// The index of point `p`, which is a corner of `t` or one of its inserted points.
fn index_of(verts: &[P3], t: &[u32; 3], inserted: &[Vec<u32>; 3], p: P3) -> u32 {
    t.iter()
        .chain(inserted.iter().flatten())
        .copied()
        .find(|&i| verts[i as usize] == p)
        .unwrap_or(t[0])
}

/// Vertices of `plane` exactly on the open segment `a → b`, ordered from `a`.
/// Tiles sample shared borders from exact lattice constructions, so no
/// tolerance is needed (or wanted: it would capture corners of slivers).
fn on_segment(plane: &[(i32, i32, u32)], a: (i32, i32), b: (i32, i32)) -> Vec<u32> {
    let (s_lo, s_hi) = (a.0.min(b.0), a.0.max(b.0));
    let (z_lo, z_hi) = (a.1.min(b.1), a.1.max(b.1));
    let start = plane.partition_point(|p| p.0 < s_lo);
    let ds = (b.0 - a.0) as i64;
    let dz = (b.1 - a.1) as i64;
    let len2 = ds * ds + dz * dz;
    let mut found: Vec<(i64, u32)> = Vec::new();
    for &(s, z, i) in &plane[start..] {
        if s > s_hi {
            break;
        }
        if z < z_lo || z > z_hi || (s, z) == a || (s, z) == b {
            continue;
        }
        let ps = (s - a.0) as i64;
        let pz = (z - a.1) as i64;
        let cross = ds * pz - dz * ps;
        let dot = ds * ps + dz * pz;
        if cross == 0 && dot > 0 && dot < len2 {
            found.push((dot, i));
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, i)| i).collect()
}
