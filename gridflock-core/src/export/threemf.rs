//! 3MF writer: every plate as its own object in one package.
//!
//! The package follows the 3MF core specification: `[Content_Types].xml`,
//! `_rels/.rels` and `3D/3dmodel.model`, in that order. Each plate becomes an
//! `<object>` with its mesh in its own coordinates; the `<build>` places the
//! objects side by side along x with a [`GAP_MM`] gap, each resting on z = 0
//! with its lower y edge on y = 0. The unit is millimetre.
//!
//! The bytes are reproducible: entries have a fixed order, a fixed timestamp
//! (1980-01-01 00:00:00, the zip epoch), fixed permissions and "made by"
//! system, and a fixed deflate level; numbers use Rust's shortest round-trip
//! `Display`, which is the same on every target.

use crate::Mesh;
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

pub use super::arrange::GAP_MM;

/// Deflate level used for every entry.
const DEFLATE_LEVEL: i64 = 6;

/// Path of the model part inside the package.
pub const MODEL_PATH: &str = "3D/3dmodel.model";

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>"#,
    "</Types>\n"
);

const RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>"#,
    "</Relationships>\n"
);

/// Why a 3MF package could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThreeMfError {
    /// The zip writer failed (in memory this only happens for packages beyond zip limits).
    #[error("cannot write the 3MF zip package: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing an entry failed.
    #[error("cannot write the 3MF zip package: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes a 3MF package with one object per `(name, mesh)` pair, in the given order.
///
/// Object ids are 1, 2, 3, … in input order; names are XML-escaped.
///
/// ```
/// use gridflock_core::{Mesh, export::threemf};
/// let tri = Mesh { positions: vec![0., 0., 0., 1., 0., 0., 0., 1., 0.], indices: vec![0, 1, 2] };
/// let bytes = threemf::write(&[("plate 1", &tri)])?;
/// assert_eq!(&bytes[..2], b"PK");
/// assert_eq!(bytes, threemf::write(&[("plate 1", &tri)])?);
/// # Ok::<(), threemf::ThreeMfError>(())
/// ```
pub fn write(plates: &[(&str, &Mesh)]) -> Result<Vec<u8>, ThreeMfError> {
    let estimate: usize = plates
        .iter()
        .map(|(_, m)| 80 * m.vertex_count() + 60 * m.triangle_count())
        .sum();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(estimate / 8 + 1024)));
    zip.start_file("[Content_Types].xml", options)?;
    zip.write_all(CONTENT_TYPES.as_bytes())?;
    zip.start_file("_rels/.rels", options)?;
    zip.write_all(RELS.as_bytes())?;
    let model_options = options.large_file(estimate as u64 + (1 << 20) >= u64::from(u32::MAX));
    zip.start_file(MODEL_PATH, model_options)?;
    write_model(&mut zip, plates)?;
    Ok(zip.finish()?.into_inner())
}

/// Streams the model XML into `out` in chunks of about 64 KiB.
fn write_model(out: &mut impl std::io::Write, plates: &[(&str, &Mesh)]) -> std::io::Result<()> {
    const CHUNK: usize = 1 << 16;
    let mut buf = String::with_capacity(CHUNK + 256);
    let mut flush = |buf: &mut String, force: bool| -> std::io::Result<()> {
        if force || buf.len() >= CHUNK {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
        Ok(())
    };
    buf.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">"#,
        "\n",
        r#" <metadata name="Application">gridflock</metadata>"#,
        "\n <resources>\n"
    ));
    for (i, (name, mesh)) in plates.iter().enumerate() {
        let _ = writeln!(
            buf,
            r#"  <object id="{}" type="model" name="{}">"#,
            i + 1,
            escape(name)
        );
        buf.push_str("   <mesh>\n    <vertices>\n");
        for p in mesh.positions.chunks_exact(3) {
            let _ = writeln!(
                buf,
                r#"     <vertex x="{}" y="{}" z="{}"/>"#,
                p[0], p[1], p[2]
            );
            flush(&mut buf, false)?;
        }
        buf.push_str("    </vertices>\n    <triangles>\n");
        for t in mesh.indices.chunks_exact(3) {
            let _ = writeln!(
                buf,
                r#"     <triangle v1="{}" v2="{}" v3="{}"/>"#,
                t[0], t[1], t[2]
            );
            flush(&mut buf, false)?;
        }
        buf.push_str("    </triangles>\n   </mesh>\n  </object>\n");
    }
    buf.push_str(" </resources>\n <build>\n");
    let meshes: Vec<&Mesh> = plates.iter().map(|(_, m)| *m).collect();
    for (i, [tx, ty, tz]) in super::arrange::offsets(&meshes).into_iter().enumerate() {
        let _ = writeln!(
            buf,
            r#"  <item objectid="{}" transform="1 0 0 0 1 0 0 0 1 {tx} {ty} {tz}"/>"#,
            i + 1
        );
    }
    buf.push_str(" </build>\n</model>\n");
    flush(&mut buf, true)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn cube(size: f32, offset: f32) -> Mesh {
        let mut positions = Vec::new();
        for i in 0..8u32 {
            positions.extend([
                offset + size * (i & 1) as f32,
                offset + size * ((i >> 1) & 1) as f32,
                offset + size * ((i >> 2) & 1) as f32,
            ]);
        }
        #[rustfmt::skip]
        let indices = vec![
            0, 2, 1, 1, 2, 3, // bottom
            4, 5, 6, 5, 7, 6, // top
            0, 1, 4, 1, 5, 4, // south
            2, 6, 3, 3, 6, 7, // north
            0, 4, 2, 2, 4, 6, // west
            1, 3, 5, 3, 7, 5, // east
        ];
        Mesh { positions, indices }
    }

    fn read_entry(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut text = String::new();
        archive
            .by_name(name)
            .expect("entry")
            .read_to_string(&mut text)
            .expect("utf-8");
        text
    }

    #[test]
    fn cube_fixture_is_closed() {
        assert!(crate::mesh::check(&cube(2.0, 0.0)).is_ok());
    }

    #[test]
    fn deterministic_bytes() {
        let (a, b) = (cube(10.0, 0.0), cube(5.0, -1.5));
        let plates = [("plate 1", &a), ("plate 2", &b)];
        let first = write(&plates).expect("write");
        let second = write(&plates).expect("write");
        assert_eq!(first, second);
        // Fixed timestamp (1980-01-01 00:00) in the first local header: time then date.
        assert_eq!(&first[10..14], &[0, 0, 0x21, 0]);
    }

    #[test]
    fn package_has_three_entries_in_order() {
        let a = cube(1.0, 0.0);
        let bytes = write(&[("a", &a)]).expect("write");
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).expect("zip");
        let names: Vec<String> = (0..archive.len())
            .map(|i| {
                archive
                    .by_index(i)
                    .expect("entry")
                    .name()
                    .expect("name")
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["[Content_Types].xml", "_rels/.rels", MODEL_PATH]);
        assert!(read_entry(&bytes, "_rels/.rels").contains(r#"Target="/3D/3dmodel.model""#));
        assert!(read_entry(&bytes, "[Content_Types].xml").contains(r#"Extension="model""#));
    }

    #[test]
    fn model_counts_and_layout() {
        let (a, b) = (cube(10.0, 0.0), cube(5.0, -1.5));
        let bytes = write(&[("plate <1>", &a), ("plate 2", &b)]).expect("write");
        let model = read_entry(&bytes, MODEL_PATH);
        assert!(model.contains(r#"unit="millimeter""#));
        assert_eq!(model.matches("<object ").count(), 2);
        assert_eq!(model.matches("<vertex ").count(), 16);
        assert_eq!(model.matches("<triangle ").count(), 24);
        assert_eq!(model.matches("<item ").count(), 2);
        assert!(model.contains(r#"name="plate &lt;1&gt;""#));
        assert!(model.contains(r#"<item objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 0"/>"#));
        // Second cube: min corner -1.5 moves to x = 10 + 10 gap, y = 0, z = 0.
        assert!(
            model.contains(r#"<item objectid="2" transform="1 0 0 0 1 0 0 0 1 21.5 1.5 1.5"/>"#)
        );
        assert!(model.contains(r#"<vertex x="-1.5" y="3.5" z="-1.5"/>"#));
    }

    #[test]
    fn large_model_streams_in_chunks() {
        let mut big = Mesh::default();
        for k in 0..2000 {
            let c = cube(1.0, k as f32 * 2.0);
            let base = big.vertex_count() as u32;
            big.positions.extend(&c.positions);
            big.indices.extend(c.indices.iter().map(|i| i + base));
        }
        let bytes = write(&[("big", &big)]).expect("write");
        let model = read_entry(&bytes, MODEL_PATH);
        assert_eq!(model.matches("<triangle ").count(), 24_000);
        assert!(model.ends_with("</model>\n"));
    }
}
