//! Reading STL (binary or ASCII) from bytes into a triangle soup.
//!
//! This module parses bytes the caller has already read; it does no I/O.
//! Turn the result into an indexed mesh with [`crate::Mesh::from_triangle_soup`].
//!
//! Format detection: a file is binary when its length is exactly
//! `84 + 50 × count` for the triangle count stored at byte 80. Otherwise a
//! file whose first word is `solid` is parsed as ASCII. (Many binary
//! exporters also start the header with `solid`, so the keyword alone
//! proves nothing; the length check is what decides.)

/// One triangle: three corner positions in file order.
pub type Triangle = [[f32; 3]; 3];

/// Why bytes are not a readable STL file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StlError {
    /// Fewer than 84 bytes and not ASCII STL.
    #[error(
        "not an STL file: {len} bytes is too short for binary STL and it does not start with `solid`"
    )]
    TooShort {
        /// Length of the input.
        len: usize,
    },
    /// Binary STL whose length does not match its triangle count.
    #[error(
        "binary STL declares {declared} triangles ({expected_len} bytes) but has {actual_len} bytes"
    )]
    LengthMismatch {
        /// Triangle count stored at byte 80.
        declared: u32,
        /// Length that count implies.
        expected_len: u64,
        /// Actual length.
        actual_len: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("triangle {triangle} has a coordinate that is not a finite number")]
    NonFinite {
        /// 0-based triangle index.
        triangle: usize,
    },
    /// ASCII STL that is not valid UTF-8.
    #[error("ASCII STL is not valid UTF-8 (byte {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// ASCII STL with a syntax error.
    #[error("ASCII STL line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
}

/// Parses binary or ASCII STL into triangles, in file order.
///
/// Facet normals in the file are ignored (they are recomputed from the
/// corners wherever needed). Every coordinate must be finite.
///
/// ```
/// use gridflock_core::{stl_read, Mesh};
/// let text = "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
/// let triangles = stl_read::parse(text.as_bytes())?;
/// assert_eq!(triangles, vec![[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]);
/// assert_eq!(Mesh::from_triangle_soup(&triangles).vertex_count(), 3);
/// # Ok::<(), stl_read::StlError>(())
/// ```
pub fn parse(bytes: &[u8]) -> Result<Vec<Triangle>, StlError> {
    let declared = (bytes.len() >= 84)
        .then(|| u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]));
    let expected_len = declared.map(|n| 84 + 50 * u64::from(n));
    if expected_len == Some(bytes.len() as u64) {
        return parse_binary(bytes);
    }
    if starts_with_solid(bytes) {
        return parse_ascii(bytes);
    }
    match (declared, expected_len) {
        (Some(declared), Some(expected_len)) => Err(StlError::LengthMismatch {
            declared,
            expected_len,
            actual_len: bytes.len(),
        }),
        _ => Err(StlError::TooShort { len: bytes.len() }),
    }
}

fn starts_with_solid(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    rest.starts_with(b"solid") && rest.get(5).is_none_or(|b| b.is_ascii_whitespace())
}

fn parse_binary(bytes: &[u8]) -> Result<Vec<Triangle>, StlError> {
    let mut out = Vec::with_capacity((bytes.len() - 84) / 50);
    for (t, record) in bytes[84..].chunks_exact(50).enumerate() {
        let mut floats = record[12..48]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let mut tri = [[0.0f32; 3]; 3];
        for corner in &mut tri {
            for c in corner.iter_mut() {
                *c = floats.next().unwrap_or(f32::NAN);
            }
        }
        if !tri.iter().flatten().all(|c| c.is_finite()) {
            return Err(StlError::NonFinite { triangle: t });
        }
        out.push(tri);
    }
    Ok(out)
}

fn parse_ascii(bytes: &[u8]) -> Result<Vec<Triangle>, StlError> {
    let text = std::str::from_utf8(bytes).map_err(|e| StlError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let mut out = Vec::new();
    let mut in_solid = false;
    let mut seen_solid = false;
    let mut facet: Option<Vec<[f32; 3]>> = None;
    let mut in_loop = false;
    let mut last_line = 0;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        last_line = line_no;
        let err = |message: &str| StlError::Syntax {
            line: line_no,
            message: message.to_owned(),
        };
        let mut tokens = line.split_whitespace();
        let Some(keyword) = tokens.next() else {
            continue;
        };
        match keyword {
            "solid" => {
                if in_solid {
                    return Err(err("`solid` inside a solid"));
                }
                in_solid = true;
                seen_solid = true;
            }
            "endsolid" => {
                if !in_solid || facet.is_some() {
                    return Err(err("unexpected `endsolid`"));
                }
                in_solid = false;
            }
            "facet" => {
                if !in_solid || facet.is_some() {
                    return Err(err("unexpected `facet`"));
                }
                if tokens.next() != Some("normal") {
                    return Err(err("expected `facet normal nx ny nz`"));
                }
                read_xyz(&mut tokens)
                    .ok_or_else(|| err("expected three numbers after `facet normal`"))?;
                facet = Some(Vec::with_capacity(3));
            }
            "outer" => {
                if facet.is_none() || in_loop || tokens.next() != Some("loop") {
                    return Err(err(
                        "unexpected `outer`; expected `outer loop` inside a facet",
                    ));
                }
                in_loop = true;
            }
            "vertex" => {
                let corners = match facet.as_mut() {
                    Some(corners) if in_loop => corners,
                    _ => return Err(err("`vertex` outside `outer loop`")),
                };
                let xyz = read_xyz(&mut tokens)
                    .ok_or_else(|| err("expected three numbers after `vertex`"))?;
                if !xyz.iter().all(|c| c.is_finite()) {
                    return Err(StlError::NonFinite {
                        triangle: out.len(),
                    });
                }
                if corners.len() == 3 {
                    return Err(err("more than three vertices in a facet"));
                }
                corners.push(xyz);
            }
            "endloop" => {
                if !in_loop {
                    return Err(err("unexpected `endloop`"));
                }
                in_loop = false;
            }
            "endfacet" => match facet.take() {
                Some(corners) if !in_loop && corners.len() == 3 => {
                    out.push([corners[0], corners[1], corners[2]]);
                }
                _ => {
                    return Err(err(
                        "`endfacet` without a complete `outer loop` of three vertices",
                    ));
                }
            },
            other => {
                return Err(StlError::Syntax {
                    line: line_no,
                    message: format!("unknown keyword `{other}`"),
                });
            }
        }
        if tokens.next().is_some() && !matches!(keyword, "solid" | "endsolid") {
            return Err(err("unexpected extra text at the end of the line"));
        }
    }
    if !seen_solid || in_solid || facet.is_some() {
        return Err(StlError::Syntax {
            line: last_line,
            message: "unexpected end of file; expected `endsolid`".to_owned(),
        });
    }
    Ok(out)
}

fn read_xyz<'a>(tokens: &mut impl Iterator<Item = &'a str>) -> Option<[f32; 3]> {
    let mut xyz = [0.0f32; 3];
    for c in &mut xyz {
        *c = tokens.next()?.parse().ok()?;
    }
    Some(xyz)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = "solid sq\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1e1 0 0\n   vertex 0 -2.5 0\n  endloop\n endfacet\nendsolid sq\n";

    #[test]
    fn ascii_basic() {
        let tris = parse(SQUARE.as_bytes()).expect("valid");
        assert_eq!(
            tris,
            vec![[[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, -2.5, 0.0]]]
        );
    }

    #[test]
    fn ascii_tolerates_crlf_and_blank_lines() {
        let text = SQUARE.replace('\n', "\r\n\r\n");
        assert_eq!(parse(text.as_bytes()).expect("valid").len(), 1);
    }

    #[test]
    fn binary_whose_header_starts_with_solid_is_binary() {
        let mut bytes = vec![0u8; 84 + 50];
        bytes[..5].copy_from_slice(b"solid");
        bytes[80] = 1;
        let x = 3.5f32.to_le_bytes();
        bytes[84 + 12..84 + 16].copy_from_slice(&x);
        let tris = parse(&bytes).expect("binary");
        assert_eq!(tris[0][0], [3.5, 0.0, 0.0]);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(parse(b""), Err(StlError::TooShort { len: 0 }));
        assert_eq!(parse(b"hello"), Err(StlError::TooShort { len: 5 }));
        let mut bytes = vec![0u8; 84 + 49];
        bytes[80] = 1;
        assert_eq!(
            parse(&bytes),
            Err(StlError::LengthMismatch {
                declared: 1,
                expected_len: 134,
                actual_len: 133
            })
        );
        let broken = SQUARE.replace("vertex 1e1 0 0", "vertex 1e1 zero 0");
        assert!(matches!(
            parse(broken.as_bytes()),
            Err(StlError::Syntax { line: 5, .. })
        ));
        let truncated = &SQUARE[..SQUARE.len() - 12];
        assert!(matches!(
            parse(truncated.as_bytes()),
            Err(StlError::Syntax { .. })
        ));
        let nan = SQUARE.replace("vertex 0 0 0", "vertex NaN 0 0");
        assert_eq!(
            parse(nan.as_bytes()),
            Err(StlError::NonFinite { triangle: 0 })
        );
        let two = SQUARE.replace("vertex 0 -2.5 0", "vertex 0 -2.5 0\nvertex 1 1 1");
        assert!(matches!(
            parse(two.as_bytes()),
            Err(StlError::Syntax { line: 7, .. })
        ));
        assert!(matches!(
            parse(b"solid x\n\xff\nendsolid x\n"),
            Err(StlError::NotUtf8 { offset: 8 })
        ));
    }

    #[test]
    fn error_messages_are_one_line() {
        let e = parse(b"abc").expect_err("invalid");
        assert!(!e.to_string().contains('\n'));
    }
}
