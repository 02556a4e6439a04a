//! Splitting a triangle whose edges pass through other vertices (T-junctions).

use super::layers::Tri;

type P3 = [i32; 3];

/// Re-triangulates triangle `t` with extra points on its edges, keeping its orientation.
///
/// A corner of the triangle itself is never inserted: it can lie within the
/// 1 µm tolerance of the opposite edge only in a sliver, which stays as it is.
pub(crate) fn refan(t: &Tri, inserted: &[Vec<P3>; 3], out: &mut Vec<Tri>) {
    let own: [Vec<P3>; 3] = [0, 1, 2].map(|e| {
        inserted[e]
            .iter()
            .copied()
            .filter(|p| !t.contains(p))
            .collect()
    });
    if own.iter().all(Vec::is_empty) {
        out.push(*t);
        return;
    }
    let inserted = &own;
    let mut ring: Vec<P3> = Vec::new();
    for e in 0..3 {
        ring.push(t[e]);
        ring.extend_from_slice(&inserted[e]);
    }
    let split_edges = inserted.iter().filter(|v| !v.is_empty()).count();
    if split_edges == 1 {
        // Fan from the corner opposite the split edge: no degenerate triangles.
        let e = (0..3).find(|&e| !inserted[e].is_empty()).unwrap_or(0);
        let apex = t[(e + 2) % 3];
        let mut chain = vec![t[e]];
        chain.extend_from_slice(&inserted[e]);
        chain.push(t[(e + 1) % 3]);
        for w in chain.windows(2) {
            out.push([w[0], w[1], apex]);
        }
        return;
    }
    // Several split edges: ear-clip the convex polygon in its best projection.
    let n = normal(t);
    let axis = (0..3).max_by_key(|&k| n[k].abs()).unwrap_or(2);
    let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
    let flat: Vec<[f64; 2]> = ring.iter().map(|p| [p[u] as f64, p[v] as f64]).collect();
    let mut idx: Vec<u32> = Vec::new();
    earcut::Earcut::new().earcut(flat.iter().copied(), &[] as &[u32], &mut idx);
    for c in idx.chunks_exact(3) {
        let tri = [
            ring[c[0] as usize],
            ring[c[1] as usize],
            ring[c[2] as usize],
        ];
        let tn = normal(&tri);
        let dot: i128 = (0..3).map(|k| tn[k] * n[k]).sum();
        out.push(if dot < 0 {
            [tri[0], tri[2], tri[1]]
        } else {
            tri
        });
    }
}

fn normal(t: &Tri) -> [i128; 3] {
    let d = |a: P3, b: P3| [0, 1, 2].map(|k| (b[k] - a[k]) as i128);
    let (u, v) = (d(t[0], t[1]), d(t[0], t[2]));
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}
