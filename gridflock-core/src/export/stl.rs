//! STL writers: binary and ASCII.
//!
//! Both writers emit triangles in mesh order with facet normals computed from
//! the `f32` corner positions, so the same [`Mesh`] always gives the same
//! bytes. Reading STL back lives in [`crate::stl_read`].

use crate::Mesh;
use std::fmt::Write as _;

/// The 80-byte header text of every binary STL this crate writes (zero padded).
pub const BINARY_HEADER: &[u8] = b"gridflock binary STL";

/// Binary STL: 80-byte header, triangle count, then normal + 3 vertices + attribute per triangle.
///
/// The output is `84 + 50 * mesh.triangle_count()` bytes long.
pub fn binary(mesh: &Mesh) -> Vec<u8> {
    let n = mesh.triangle_count();
    let mut header = [0u8; 84];
    header[..BINARY_HEADER.len()].copy_from_slice(BINARY_HEADER);
    header[80..84].copy_from_slice(&(n as u32).to_le_bytes());
    // Fixed-size chunks rather than `Mesh::triangle(t)`: one bounds check
    // per vertex and none per byte (slicing per index ran about half as fast).
    let (verts, _) = mesh.positions.as_chunks::<3>();
    let (tris, _) = mesh.indices.as_chunks::<3>();
    let records = tris.iter().flat_map(|t| {
        let [a, b, c] = t.map(|i| verts[i as usize]);
        let n = normal(&[a, b, c]);
        // The last two bytes are the attribute count, always zero.
        let mut record = [0u8; 50];
        for (at, v) in [(0, n), (12, a), (24, b), (36, c)] {
            record[at..at + 4].copy_from_slice(&v[0].to_le_bytes());
            record[at + 4..at + 8].copy_from_slice(&v[1].to_le_bytes());
            record[at + 8..at + 12].copy_from_slice(&v[2].to_le_bytes());
        }
        record
    });
    // Of known length, so collected into one allocation that is written
    // once: zeroing it first cost about a quarter of the writer.
    header.into_iter().chain(records).collect()
}

/// ASCII STL with the solid named `solid_name`.
///
/// Numbers use Rust's shortest round-trip `Display` for `f32` (never an
/// exponent), which is the same on every target, so parsing the text gives
/// back the exact `f32` positions. Whitespace and control characters in the
/// name are replaced by `_` so that the name stays one token on one line; an
/// empty name becomes `gridflock`.
pub fn ascii(mesh: &Mesh, solid_name: &str) -> String {
    let name = sanitize_name(solid_name);
    let mut out = String::with_capacity(64 + 260 * mesh.triangle_count());
    out.push_str("solid ");
    out.push_str(&name);
    out.push('\n');
    for t in 0..mesh.triangle_count() {
        let tri = mesh.triangle(t);
        let [nx, ny, nz] = normal(&tri);
        // Writing into a String cannot fail.
        let _ = writeln!(out, "  facet normal {nx} {ny} {nz}");
        out.push_str("    outer loop\n");
        for [x, y, z] in tri {
            let _ = writeln!(out, "      vertex {x} {y} {z}");
        }
        out.push_str("    endloop\n  endfacet\n");
    }
    out.push_str("endsolid ");
    out.push_str(&name);
    out.push('\n');
    out
}

fn sanitize_name(name: &str) -> String {
    if name.is_empty() {
        return "gridflock".to_owned();
    }
    name.chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Unit normal of a triangle (counter-clockwise seen from outside); zero for a degenerate one.
// Inlined into the writer's loop so that the corners stay in registers:
// stored to the stack and read back as wider loads, they stalled every
// triangle, and the writer ran three times slower.
#[inline(always)]
pub(crate) fn normal(tri: &[[f32; 3]; 3]) -> [f32; 3] {
    let n = crate::mesh::cross(tri);
    // Most faces of a plate are flat or axis-aligned walls: their normal has
    // one non-zero component, and `c / √(c²)` is exactly ±1 (the square root
    // of a correctly rounded square is exact), so the division is skipped.
    // Zero components keep their sign, as `±0 / len` would.
    if (n[0] == 0.0) as u8 + (n[1] == 0.0) as u8 + (n[2] == 0.0) as u8 == 2 {
        return n.map(|c| {
            if c == 0.0 {
                c as f32
            } else {
                c.signum() as f32
            }
        });
    }
    unit(n)
}

/// `n / |n|` in `f32`; zero for a zero vector.
fn unit(n: [f64; 3]) -> [f32; 3] {
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len == 0.0 {
        return [0.0; 3];
    }
    n.map(|c| (c / len) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stl_read;

    /// A closed tetrahedron with one coordinate that has no short decimal form.
    pub(crate) fn tetra() -> Mesh {
        Mesh {
            positions: vec![
                0.0,
                0.0,
                0.0, //
                10.0,
                0.0,
                0.0, //
                0.0,
                10.0,
                0.0, //
                0.1,
                0.2,
                1.0 / 3.0,
            ],
            indices: vec![0, 2, 1, 0, 1, 3, 1, 2, 3, 2, 0, 3],
        }
    }

    #[test]
    fn binary_header_and_count() {
        let mesh = tetra();
        let bytes = binary(&mesh);
        assert_eq!(bytes.len(), 84 + 50 * 4);
        assert!(bytes.starts_with(BINARY_HEADER));
        assert!(bytes[BINARY_HEADER.len()..80].iter().all(|&b| b == 0));
        assert_eq!(
            u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]),
            4
        );
        // The first facet's normal points down (triangle 0,2,1 lies in z = 0).
        let nz = f32::from_le_bytes([bytes[92], bytes[93], bytes[94], bytes[95]]);
        assert_eq!(nz, -1.0);
    }

    #[test]
    fn axis_aligned_normals_match_the_general_formula_bit_for_bit() {
        // Walls and faces at awkward offsets, both windings, with corners
        // whose differences are zero of either sign.
        let mut cases: Vec<[[f32; 3]; 3]> = Vec::new();
        for &o in &[0.0f32, -0.0, 0.1, -7.3, 1234.567, 1e-3] {
            for &s in &[1.0f32, -1.0, 0.042, 333.3] {
                let flat = [[o, o, o], [o + s, o, o], [o, o + s, o]];
                let wall_x = [[o, o, o], [o, o + s, o], [o, o, o + s]];
                let wall_y = [[o, o, o], [o, o, o + s], [o + s, o, o]];
                for t in [flat, wall_x, wall_y] {
                    cases.push(t);
                    cases.push([t[0], t[2], t[1]]);
                }
            }
        }
        // Scalene triangles in each axis plane: their cross products have
        // zero components of either sign.
        let coords = [0.0f32, 2.5, -4.25, 17.1, -0.3];
        for (i, &p) in coords.iter().enumerate() {
            for &q in &coords[i + 1..] {
                for &r in &coords {
                    let (a, b, c) = ([p, r], [q, p], [r, q]);
                    let z = 3.7f32;
                    cases.push([[a[0], a[1], z], [b[0], b[1], z], [c[0], c[1], z]]);
                    cases.push([[z, a[0], a[1]], [z, b[0], b[1]], [z, c[0], c[1]]]);
                    cases.push([[a[0], z, a[1]], [b[0], z, b[1]], [c[0], z, c[1]]]);
                }
            }
        }
        let mut negative_zero = false;
        for t in &cases {
            let (fast, slow) = (normal(t), unit(crate::mesh::cross(t)));
            assert_eq!(fast.map(f32::to_bits), slow.map(f32::to_bits), "{t:?}");
            negative_zero |= fast.iter().any(|c| c.to_bits() == (-0.0f32).to_bits());
        }
        assert!(negative_zero, "no case produced a negative zero component");
    }

    #[test]
    fn binary_round_trip_is_exact() {
        let mesh = tetra();
        let tris = stl_read::parse(&binary(&mesh)).expect("valid binary STL");
        assert_eq!(tris.len(), 4);
        for (t, tri) in tris.iter().enumerate() {
            assert_eq!(*tri, mesh.triangle(t));
        }
        let welded = Mesh::from_triangle_soup(&tris);
        assert_eq!(welded.vertex_count(), 4);
        assert_eq!(crate::mesh::check(&welded).map(|r| r.triangles), Ok(4));
    }

    #[test]
    fn ascii_round_trip_is_exact() {
        let mesh = tetra();
        let text = ascii(&mesh, "plate 1");
        assert!(text.starts_with("solid plate_1\n"));
        assert!(text.ends_with("endsolid plate_1\n"));
        assert!(text.contains("      vertex 0.1 0.2 0.33333334\n"));
        assert_eq!(text.matches("facet normal").count(), 4);
        let tris = stl_read::parse(text.as_bytes()).expect("valid ASCII STL");
        for (t, tri) in tris.iter().enumerate() {
            assert_eq!(*tri, mesh.triangle(t), "bit-exact positions");
        }
        let back = Mesh::from_triangle_soup(&tris);
        assert_eq!(back.vertex_count(), 4);
        assert!(crate::mesh::check(&back).is_ok());
    }

    #[test]
    fn ascii_empty_name_and_mesh() {
        assert_eq!(
            ascii(&Mesh::default(), ""),
            "solid gridflock\nendsolid gridflock\n"
        );
    }
}
