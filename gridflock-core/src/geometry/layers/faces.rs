//! Flat faces: a level's regions triangulated.

use super::Tri;
use super::points::LevelPoints;
use crate::geometry::poly::{Pt, Shapes, cross};
use crate::geometry::weld::PointNumbers;

/// Triangulates a flat face at `z`, facing up or down.
pub(in crate::geometry) fn face(
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
