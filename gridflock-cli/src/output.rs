//! Building a plate set and writing its files and manifest.

use crate::error::CliError;
use crate::options::mm;
use clap::ValueEnum;
use gridflock_core::{Mesh, Params, Plan, export};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Format {
    /// One binary STL per plate.
    Stl,
    /// One ASCII STL per plate.
    AsciiStl,
    /// One 3MF package with every plate as its own object.
    #[value(name = "3mf")]
    #[serde(rename = "3mf")]
    ThreeMf,
}

/// One written file.
#[derive(Debug, Serialize)]
pub(crate) struct FileEntry {
    /// File name relative to the manifest.
    pub(crate) name: String,
    /// Size in bytes.
    pub(crate) bytes: usize,
    /// BLAKE3 of the content, hex.
    pub(crate) blake3: String,
}

/// One plate in a manifest.
#[derive(Debug, Serialize)]
pub(crate) struct PlateEntry {
    pub(crate) number: u32,
    pub(crate) column: u32,
    pub(crate) row: u32,
    /// Nominal footprint in mm (without connector tabs).
    pub(crate) size_mm: [f64; 2],
    /// Mesh bounding box in mm: `[[min x, y, z], [max x, y, z]]`.
    pub(crate) bounds_mm: Option<[[f32; 3]; 2]>,
    pub(crate) triangles: usize,
    pub(crate) volume_mm3: f64,
    /// The file holding this plate.
    pub(crate) file: String,
    /// BLAKE3 of that file, hex.
    pub(crate) blake3: String,
}

/// The generated files of one plate set.
#[derive(Debug, Serialize)]
pub(crate) struct SetManifest {
    pub(crate) sku: String,
    pub(crate) plan_hash: String,
    pub(crate) format: Format,
    pub(crate) size_mm: [f64; 2],
    pub(crate) params: Params,
    pub(crate) plates: Vec<PlateEntry>,
    pub(crate) files: Vec<FileEntry>,
}

/// Builds every plate of `plan` (in parallel on the current rayon pool when
/// `parallel`), in plate order.
pub(crate) fn build_meshes(plan: &Plan, parallel: bool) -> Vec<Mesh> {
    if parallel {
        (0..plan.plates.len())
            .into_par_iter()
            .map_init(gridflock_core::Builder::new, |builder, i| {
                builder.plate(plan, i)
            })
            .collect()
    } else {
        gridflock_core::build(plan)
    }
}

/// The base name of plate `number` in a set of `count` plates: `plate-01`.
pub(crate) fn plate_stem(number: u32, count: usize) -> String {
    let width = count.to_string().len().max(2);
    format!("plate-{number:0width$}")
}

/// Writes the files of one plate set into `dir` (created if needed) and returns its manifest.
pub(crate) fn write_set(
    dir: &Path,
    plan: &Plan,
    meshes: &[Mesh],
    format: Format,
) -> Result<SetManifest, CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
    let sku = gridflock_core::sku::sku(&plan.params);
    let mut files = Vec::new();
    let mut plate_files = Vec::with_capacity(meshes.len());
    match format {
        Format::Stl | Format::AsciiStl => {
            for (plate, mesh) in plan.plates.iter().zip(meshes) {
                let stem = plate_stem(plate.number, plan.plates.len());
                let bytes = match format {
                    Format::Stl => export::stl::binary(mesh),
                    _ => export::stl::ascii(mesh, &format!("{sku}-{stem}")).into_bytes(),
                };
                let entry = write_file(dir, &format!("{stem}.stl"), &bytes)?;
                plate_files.push((entry.name.clone(), entry.blake3.clone()));
                files.push(entry);
            }
        }
        Format::ThreeMf => {
            let names: Vec<String> = plan
                .plates
                .iter()
                .map(|p| plate_stem(p.number, plan.plates.len()))
                .collect();
            let pairs: Vec<(&str, &Mesh)> = names.iter().map(String::as_str).zip(meshes).collect();
            let bytes = export::threemf::write(&pairs).map_err(|e| CliError::new(e.to_string()))?;
            let entry = write_file(dir, &format!("{sku}.3mf"), &bytes)?;
            plate_files = vec![(entry.name.clone(), entry.blake3.clone()); meshes.len()];
            files.push(entry);
        }
    }
    let plates = plan
        .plates
        .iter()
        .zip(meshes)
        .zip(plate_files)
        .map(|((plate, mesh), (file, blake3))| PlateEntry {
            number: plate.number,
            column: plate.column,
            row: plate.row,
            size_mm: plate.size_um.map(um_to_mm),
            bounds_mm: mesh.bounds().map(|(min, max)| [min, max]),
            triangles: mesh.triangle_count(),
            volume_mm3: mesh.volume(),
            file,
            blake3,
        })
        .collect();
    Ok(SetManifest {
        sku,
        plan_hash: crate::output::plan_hash(plan),
        format,
        size_mm: plan.size_um.map(um_to_mm),
        params: plan.params.clone(),
        plates,
        files,
    })
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<FileEntry, CliError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(FileEntry {
        name: name.to_owned(),
        bytes: bytes.len(),
        blake3: blake3::hash(bytes).to_hex().to_string(),
    })
}

/// Writes `value` as pretty JSON (with a final newline) to `path`.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(format!("cannot encode {}: {e}", path.display())))?;
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))
}

/// The plan hash as the CLI reports it. The CLI does not slice, so the
/// slicer-profile part of the hash is empty; a service that slices passes
/// its profile instead and gets a different hash.
pub(crate) fn plan_hash(plan: &Plan) -> String {
    gridflock_core::hash::plan_hash(plan, "")
}

/// Micrometres to millimetres.
pub(crate) fn um_to_mm(um: i64) -> f64 {
    um as f64 / 1000.0
}

/// `450 x 320 mm`.
pub(crate) fn size_text(size_mm: [f64; 2]) -> String {
    format!("{} x {} mm", mm(size_mm[0]), mm(size_mm[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_sort_by_number() {
        assert_eq!(plate_stem(3, 4), "plate-03");
        assert_eq!(plate_stem(7, 120), "plate-007");
    }
}
