//! Plate numbers engraved into a tile mesh that other plates share.
//!
//! The number is often the only thing that sets a plate's first tile apart
//! from the same tile on the other plates. When its strokes lie well inside
//! the tile's bottom face and the lowest slab is a plain wall (no loft)
//! deeper than the engraving, the engraving changes nothing but that face.
//! The numbered tile is then the plain tile's mesh with a patch of the
//! bottom face around the strokes triangulated again, plus the recess's
//! walls and ceiling: no whole tile is meshed per plate for its number.

use super::layers::{self, LevelPoints, Tri};
use super::poly::{self, Contour, Pt, Shapes, pt};
use super::weld::{Indexed, P3, PointNumbers};

/// Closest the strokes may come to the bottom face's edges (µm): far beyond
/// the 1 µm within which the mesher treats a point as lying on an edge.
const CLEARANCE_UM: i64 = 20;
/// The patch is every bottom-face triangle whose box comes this close to
/// the strokes' box (µm).
const PATCH_MARGIN_UM: i64 = 1_000;

/// `plain` with `strokes` cut `depth` deep into its bottom face at `zbot`,
/// or `None` when the strokes do not lie inside that face with
/// [`CLEARANCE_UM`] to spare (or the patch would not meet the rest of the
/// face edge for edge). The caller makes sure the lowest slab has vertical
/// walls and is deeper than `depth`.
pub(crate) fn engrave(plain: &Indexed, zbot: i32, strokes: &Shapes, depth: i32) -> Option<Indexed> {
    let recess = poly::union_all(strokes);
    let near = poly::grown_box(recess.iter().flatten().flatten(), PATCH_MARGIN_UM)?;
    let at = |i: u32| plain.verts[i as usize];
    let in_patch = |t: &&[u32; 3]| {
        let c = t.map(at);
        c.iter().all(|p| p[2] == zbot) && meets(near, c.map(|p| (p[0], p[1])))
    };
    let (patch, kept): (Vec<[u32; 3]>, Vec<[u32; 3]>) = plain.tris.iter().partition(in_patch);
    let loops = outline(&patch)?;
    let region: Shapes = loops
        .iter()
        .map(|lp| {
            // The bottom face faces down: seen from above its outline runs
            // clockwise; reversed, it follows the 2D convention.
            vec![
                lp.iter()
                    .rev()
                    .map(|&i| pt(at(i)[0] as i64, at(i)[1] as i64))
                    .collect(),
            ]
        })
        .collect();
    let face = poly::difference(&region, &recess);
    // The difference removes exactly the recess's area only if the recess
    // lies inside the patch; the clearance rules out touching and near misses.
    let area = poly::shapes_area2;
    if area(&face) != area(&region) - area(&recess) || !clear(&region, &recess) {
        return None;
    }

    let contour_points =
        |s: &Shapes| -> Vec<Pt> { s.iter().flatten().flatten().copied().collect() };
    let mut floor_points = contour_points(&region);
    floor_points.extend(contour_points(&recess));
    let floor = LevelPoints::new(floor_points);
    let ceiling = LevelPoints::new(contour_points(&recess));
    let mut floor_tris: Vec<Tri> = Vec::new();
    layers::face(&face, zbot, &floor, false, &mut floor_tris);
    // The patch must meet the kept triangles edge for edge: apart from the
    // recess, the new floor's outline is the old patch's.
    let recess_corner = |p: &P3| {
        recess
            .iter()
            .flatten()
            .flatten()
            .any(|q| (q.x, q.y) == (p[0], p[1]))
    };
    let mut old_edges: Vec<[P3; 2]> = boundary(&patch).into_iter().map(|e| e.map(at)).collect();
    old_edges.sort_unstable();
    let mut new_edges = boundary(&floor_tris);
    new_edges.retain(|e| !(recess_corner(&e[0]) && recess_corner(&e[1])));
    if old_edges != new_edges {
        return None;
    }

    let z_ceiling = zbot + depth;
    let mut added = floor_tris;
    layers::face(&recess, z_ceiling, &ceiling, false, &mut added);
    for c in recess.iter().flatten() {
        // The material lies outside the recess: walk each contour backwards
        // so that it is on the left, as the mesher's walls expect.
        for j in (0..c.len()).rev() {
            let (a, b) = (c[(j + 1) % c.len()], c[j]);
            layers::strip(
                &floor.chain(a, b),
                zbot,
                &ceiling.chain(a, b),
                z_ceiling,
                &mut added,
            );
        }
    }
    Some(splice(plain, &kept, &loops.concat(), &added))
}

/// The kept triangles of `plain` and the `added` ones as one indexed mesh.
/// Vertices only the patch used are dropped; added corners on the patch
/// `outline` are the kept vertices there, every other added corner is new.
fn splice(plain: &Indexed, kept: &[[u32; 3]], outline: &[u32], added: &[Tri]) -> Indexed {
    let mut out = Indexed {
        verts: Vec::with_capacity(plain.verts.len()),
        tris: Vec::with_capacity(kept.len() + added.len()),
    };
    let mut renumber = vec![u32::MAX; plain.verts.len()];
    let mut keep = |i: u32, out: &mut Indexed| {
        let number = &mut renumber[i as usize];
        if *number == u32::MAX {
            *number = out.verts.len() as u32;
            out.verts.push(plain.verts[i as usize]);
        }
        *number
    };
    for t in kept {
        let t = t.map(|i| keep(i, &mut out));
        out.tris.push(t);
    }
    let mut shared = PointNumbers::default();
    let mut seen = Vec::new();
    let mut numbers: Vec<u32> = Vec::new();
    for &i in outline {
        if shared.number(&plain.verts[i as usize], &mut seen) as usize == numbers.len() {
            numbers.push(keep(i, &mut out));
        }
    }
    for t in added {
        let t = t.map(|p| {
            let k = shared.number(&p, &mut seen) as usize;
            if k == numbers.len() {
                numbers.push(out.verts.len() as u32);
                out.verts.push(p);
            }
            numbers[k]
        });
        out.tris.push(t);
    }
    out
}

/// Whether the box of `points` meets `[x0, y0, x1, y1]`.
fn meets<const N: usize>([x0, y0, x1, y1]: [i64; 4], points: [(i32, i32); N]) -> bool {
    let (xs, ys) = (points.map(|p| p.0 as i64), points.map(|p| p.1 as i64));
    let lo = |v: [i64; N]| v.into_iter().min().unwrap_or(i64::MAX);
    let hi = |v: [i64; N]| v.into_iter().max().unwrap_or(i64::MIN);
    hi(xs) >= x0 && lo(xs) <= x1 && hi(ys) >= y0 && lo(ys) <= y1
}

/// The directed edges of `tris` whose reverse none of them uses, sorted.
fn boundary<V: Copy + Ord>(tris: &[[V; 3]]) -> Vec<[V; 2]> {
    let mut edges: Vec<[V; 2]> = tris
        .iter()
        .flat_map(|t| [[t[0], t[1]], [t[1], t[2]], [t[2], t[0]]])
        .collect();
    edges.sort_unstable();
    edges
        .iter()
        .copied()
        .filter(|&[a, b]| edges.binary_search(&[b, a]).is_err())
        .collect()
}

/// The boundary loops of a set of consistently oriented triangles: the
/// directed edges whose reverse no triangle of the set uses, chained. Where
/// loops touch at a vertex they may be split differently; any split covers
/// the same region. `None` if the edges do not close into loops.
fn outline(tris: &[[u32; 3]]) -> Option<Vec<Vec<u32>>> {
    let boundary = boundary(tris);
    let mut used = vec![false; boundary.len()];
    let mut loops = Vec::new();
    for first in 0..boundary.len() {
        if used[first] {
            continue;
        }
        let start = boundary[first][0];
        let mut lp = Vec::new();
        let mut e = first;
        loop {
            used[e] = true;
            let [a, b] = boundary[e];
            lp.push(a);
            if b == start {
                break;
            }
            let from = boundary.partition_point(|&[s, _]| s < b);
            e = (from..boundary.len())
                .take_while(|&k| boundary[k][0] == b)
                .find(|&k| !used[k])?;
        }
        loops.push(lp);
    }
    Some(loops)
}

/// Whether the contours of `a` and `b` stay more than [`CLEARANCE_UM`] apart.
/// For segments that do not cross, the least distance is from an end point
/// of one to the other; crossings are ruled out by the area test. `b` is
/// small (a number's strokes), so only `a`'s segments near it are tested.
fn clear(a: &Shapes, b: &Shapes) -> bool {
    let segments = |s: &Shapes| -> Vec<(Pt, Pt)> {
        s.iter()
            .flatten()
            .flat_map(|c: &Contour| (0..c.len()).map(move |j| (c[j], c[(j + 1) % c.len()])))
            .collect()
    };
    let Some(around_b) = poly::grown_box(b.iter().flatten().flatten(), CLEARANCE_UM) else {
        return true;
    };
    let sb = segments(b);
    let sa: Vec<(Pt, Pt)> = segments(a)
        .into_iter()
        .filter(|&(s, e)| meets(around_b, [(s.x, s.y), (e.x, e.y)]))
        .collect();
    let c = CLEARANCE_UM;
    let near = |p: Pt, (s, e): (Pt, Pt)| poly::distance2(p, s, e) <= (c * c) as i128;
    !sa.iter().any(|&seg| sb.iter().any(|&(p, _)| near(p, seg)))
        && !sb.iter().any(|&seg| sa.iter().any(|&(p, _)| near(p, seg)))
}
