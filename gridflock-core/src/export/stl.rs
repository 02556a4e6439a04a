//! STL writers.

use crate::Mesh;

/// Binary STL: 80-byte header, triangle count, then normal + 3 vertices + attribute per triangle.
pub fn binary(mesh: &Mesh) -> Vec<u8> {
    let n = mesh.triangle_count();
    let mut out = Vec::with_capacity(84 + 50 * n);
    let mut header = [0u8; 80];
    let tag = b"gridflock binary STL";
    header[..tag.len()].copy_from_slice(tag);
    out.extend_from_slice(&header);
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for t in 0..n {
        let tri = mesh.triangle(t);
        for v in std::iter::once(normal(&tri)).chain(tri) {
            for c in v {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}

fn normal(tri: &[[f32; 3]; 3]) -> [f32; 3] {
    let [a, b, c] = tri.map(|p| p.map(f64::from));
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len == 0.0 {
        return [0.0; 3];
    }
    n.map(|c| (c / len) as f32)
}
