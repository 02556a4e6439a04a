//! BambuStudio / OrcaSlicer command line, for Bambu Lab printers.
//!
//! Both programs share one command line:
//! `--slice 0 --load-settings "machine.json;process.json" --load-filaments
//! filament.json --outputdir DIR --export-3mf out.gcode.3mf model.stl`, and
//! write the gcode inside the `.gcode.3mf` as `Metadata/plate_1.gcode`.
//! Their CLI does not resolve `inherits`, so the three JSON files are
//! written here complete ("flattened"). Neither program can be installed
//! from the distribution this service builds on, so the adapter is only
//! used when `SLICER_BAMBU_BIN` names one; its tests cover the files and
//! command line it builds and the gcode extraction.

use super::{Gcode, SliceError, SliceJob, Slicer, run_with_deadline};
use crate::config::BambuKind;
use crate::profiles::{Profile, Settings, round3};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// Where the sliced plate's gcode sits inside a `.gcode.3mf`.
pub const PLATE_GCODE: &str = "Metadata/plate_1.gcode";
/// The archive the slicer writes into the scratch directory.
pub const OUTPUT_3MF: &str = "out.gcode.3mf";

/// The BambuStudio/OrcaSlicer adapter.
#[derive(Debug, Clone)]
pub struct BambuSlicer {
    program: PathBuf,
    kind: BambuKind,
    version: Option<String>,
}

/// The three settings files of one slice.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsFiles {
    /// `machine.json`.
    pub machine: Value,
    /// `process.json`.
    pub process: Value,
    /// `filament.json`.
    pub filament: Value,
}

impl BambuSlicer {
    /// An adapter for `program` of `kind`, version as detected.
    pub fn new(program: PathBuf, kind: BambuKind, version: Option<String>) -> Self {
        Self {
            program,
            kind,
            version,
        }
    }

    /// The executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The command line of one slice in `dir`.
    pub fn arguments(dir: &Path, model: &Path) -> Vec<OsString> {
        let settings = format!(
            "{};{}",
            dir.join("machine.json").display(),
            dir.join("process.json").display()
        );
        vec![
            "--slice".into(),
            "0".into(),
            "--arrange".into(),
            "1".into(),
            "--load-settings".into(),
            settings.into(),
            "--load-filaments".into(),
            dir.join("filament.json").into_os_string(),
            "--outputdir".into(),
            dir.as_os_str().to_owned(),
            "--export-3mf".into(),
            OUTPUT_3MF.into(),
            model.as_os_str().to_owned(),
        ]
    }
}

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

/// Bambu configs hold every value as a string, per-extruder values as
/// arrays of strings.
fn a(v: impl ToString) -> Value {
    json!([v.to_string()])
}

/// The printer model names BambuStudio's own profiles use.
fn printer_model(profile: &Profile) -> &'static str {
    match profile.id() {
        "bambu-a1" => "Bambu Lab A1",
        "bambu-a1-mini" => "Bambu Lab A1 mini",
        "bambu-h2d" => "Bambu Lab H2D",
        "bambu-p1s" => "Bambu Lab P1S",
        "bambu-x1c" => "Bambu Lab X1 Carbon",
        _ => profile.printer.name,
    }
}

/// Complete machine, process and filament settings for `profile` with `settings`.
pub fn settings_files(profile: &Profile, settings: &Settings) -> SettingsFiles {
    let (w, d) = (profile.bed_width_mm(), profile.bed_depth_mm());
    let name = format!("GridFlock {}", profile.id());
    let nozzle = round3(settings.nozzle_diameter_mm);
    let f = settings.filament;
    let machine = json!({
        "type": "machine",
        "name": format!("{name} {nozzle} nozzle"),
        "from": "User",
        "instantiation": "true",
        "printer_technology": "FFF",
        "printer_model": printer_model(profile),
        "printer_variant": s(nozzle),
        "printable_area": [
            "0x0".to_owned(),
            format!("{w}x0"),
            format!("{w}x{d}"),
            format!("0x{d}"),
        ],
        "printable_height": s(profile.max_height_mm),
        "nozzle_diameter": a(nozzle),
        "gcode_flavor": "marlin",
        "retraction_length": a(0.8),
        "z_hop": a(0.4),
        "machine_start_gcode": "G28\nG1 Z5 F3000\n",
        "machine_end_gcode": "M104 S0\nM140 S0\nG91\nG1 Z10 F600\nG90\nM84\n",
    });
    let process = json!({
        "type": "process",
        "name": format!("{name} {} mm", round3(settings.layer_height_mm)),
        "from": "User",
        "instantiation": "true",
        "layer_height": s(round3(settings.layer_height_mm)),
        "initial_layer_print_height": s(settings.first_layer_height_mm()),
        "sparse_infill_density": format!("{}%", settings.infill_percent),
        "sparse_infill_pattern": if settings.solid_infill() { "zig-zag" } else { "grid" },
        "wall_loops": "2",
        "top_shell_layers": "4",
        "bottom_shell_layers": "3",
        "enable_support": "0",
        "skirt_loops": "0",
        "brim_type": "no_brim",
        "outer_wall_speed": "120",
        "inner_wall_speed": "200",
        "sparse_infill_speed": "250",
        "internal_solid_infill_speed": "200",
        "top_surface_speed": "150",
        "initial_layer_speed": "50",
        "travel_speed": "400",
    });
    let filament = json!({
        "type": "filament",
        "name": format!("GridFlock {}", f.name()),
        "from": "User",
        "instantiation": "true",
        "filament_type": a(f.name()),
        "filament_density": a(f.density()),
        "filament_diameter": a(1.75),
        "nozzle_temperature": a(f.nozzle_temp()),
        "nozzle_temperature_initial_layer": a(f.nozzle_temp()),
        "hot_plate_temp": a(f.bed_temp()),
        "hot_plate_temp_initial_layer": a(f.bed_temp()),
        "textured_plate_temp": a(f.bed_temp()),
        "textured_plate_temp_initial_layer": a(f.bed_temp()),
        "filament_max_volumetric_speed": a(15),
    });
    SettingsFiles {
        machine,
        process,
        filament,
    }
}

/// Reads the plate's gcode out of a `.gcode.3mf` archive.
pub fn extract_gcode(archive: &[u8]) -> Result<Vec<u8>, SliceError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive))
        .map_err(|e| SliceError::Failed(format!("the .gcode.3mf is not a zip archive: {e}")))?;
    let mut entry = zip
        .by_name(PLATE_GCODE)
        .map_err(|e| SliceError::Failed(format!("the .gcode.3mf has no {PLATE_GCODE}: {e}")))?;
    let mut gcode = Vec::new();
    entry
        .read_to_end(&mut gcode)
        .map_err(|e| SliceError::Failed(format!("cannot read {PLATE_GCODE}: {e}")))?;
    Ok(gcode)
}

/// Output that means the caller's model or settings cannot be sliced.
const INPUT_PROBLEMS: &[&str] = &[
    "could not fit",
    "outside of the plate",
    "partly inside",
    "empty",
    "no layers",
    "Loading of a model file failed",
];

impl Slicer for BambuSlicer {
    fn name(&self) -> &str {
        self.kind.product()
    }

    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn slice<'a>(&'a self, job: SliceJob<'a>) -> BoxFuture<'a, Result<Gcode, SliceError>> {
        Box::pin(async move {
            let files = settings_files(job.profile, job.settings);
            for (file, value) in [
                ("machine.json", &files.machine),
                ("process.json", &files.process),
                ("filament.json", &files.filament),
            ] {
                let text = serde_json::to_vec_pretty(value)
                    .map_err(|e| SliceError::Failed(format!("cannot render {file}: {e}")))?;
                tokio::fs::write(job.dir.join(file), text).await?;
            }
            let mut command = Command::new(&self.program);
            command
                .args(Self::arguments(job.dir, job.model))
                // With an X11 session type and an unreachable display the GL
                // initialisation fails cleanly instead of crashing on Wayland;
                // a virtual framebuffer makes it try real GL and hang.
                .env("XDG_SESSION_TYPE", "x11")
                .env("DISPLAY", ":0")
                .env_remove("WAYLAND_DISPLAY")
                .env("HOME", job.dir);
            let outcome = run_with_deadline(command, job.dir, job.timeout, job.cancel).await?;
            if !outcome.status.success() {
                let reason = if outcome.output_tail.is_empty() {
                    format!("{} exited with {}", self.name(), outcome.status)
                } else {
                    outcome.output_tail
                };
                let lower = reason.to_ascii_lowercase();
                return Err(
                    if INPUT_PROBLEMS
                        .iter()
                        .any(|p| lower.contains(&p.to_ascii_lowercase()))
                    {
                        SliceError::Rejected { reason }
                    } else {
                        SliceError::Failed(format!("{}: {reason}", outcome.status))
                    },
                );
            }
            let archive = tokio::fs::read(job.dir.join(OUTPUT_3MF))
                .await
                .map_err(|e| {
                    SliceError::Failed(format!(
                        "{} exited 0 but wrote no {OUTPUT_3MF} ({e}): {}",
                        self.name(),
                        outcome.output_tail
                    ))
                })?;
            let gcode = tokio::task::spawn_blocking(move || extract_gcode(&archive))
                .await
                .map_err(|e| SliceError::Failed(format!("gcode extraction stopped: {e}")))??;
            Ok(Gcode::from_bytes(gcode))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{Filament, find};
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    #[test]
    fn command_line_follows_the_cli() {
        let args = BambuSlicer::arguments(Path::new("/w"), Path::new("/w/model.stl"));
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--slice",
                "0",
                "--arrange",
                "1",
                "--load-settings",
                "/w/machine.json;/w/process.json",
                "--load-filaments",
                "/w/filament.json",
                "--outputdir",
                "/w",
                "--export-3mf",
                "out.gcode.3mf",
                "/w/model.stl",
            ]
        );
    }

    #[test]
    fn settings_are_flat_and_carry_overrides() {
        let profile = find("bambu-a1-mini").expect("profile");
        let mut settings = profile.defaults();
        settings.layer_height_mm = 0.12;
        settings.infill_percent = 40;
        settings.filament = Filament::Petg;
        let files = settings_files(&profile, &settings);
        for v in [&files.machine, &files.process, &files.filament] {
            assert!(v.get("inherits").is_none());
            assert_eq!(v["from"], "User");
        }
        assert_eq!(files.machine["printer_model"], "Bambu Lab A1 mini");
        assert_eq!(
            files.machine["printable_area"],
            json!(["0x0", "180x0", "180x180", "0x180"])
        );
        assert_eq!(files.machine["printable_height"], "180");
        assert_eq!(files.machine["nozzle_diameter"], json!(["0.4"]));
        assert_eq!(files.process["layer_height"], "0.12");
        assert_eq!(files.process["initial_layer_print_height"], "0.2");
        assert_eq!(files.process["sparse_infill_density"], "40%");
        assert_eq!(files.filament["filament_type"], json!(["PETG"]));
        assert_eq!(files.filament["nozzle_temperature"], json!(["240"]));
        assert_eq!(files.filament["filament_density"], json!(["1.27"]));
    }

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            zip.start_file(*name, SimpleFileOptions::default())
                .expect("start entry");
            zip.write_all(bytes).expect("write entry");
        }
        zip.finish().expect("finish").into_inner()
    }

    #[test]
    fn gcode_is_extracted_from_the_3mf() {
        let gcode = b"; HEADER_BLOCK_START\n; total estimated time: 5m 3s\n\
            ; total filament weight [g] : 3.25\nG1 X10 Y10 E1\n";
        let bytes = archive(&[
            ("3D/3dmodel.model", b"<model/>"),
            ("Metadata/plate_1.gcode", gcode),
            ("Metadata/plate_1.gcode.md5", b"abc"),
        ]);
        let extracted = extract_gcode(&bytes).expect("gcode");
        assert_eq!(extracted, gcode);
        let parsed = Gcode::from_bytes(extracted);
        assert_eq!(parsed.estimated_print_seconds, Some(303));
        assert_eq!(parsed.filament_grams, Some(3.25));
    }

    #[test]
    fn missing_plate_or_garbage_is_an_error() {
        let bytes = archive(&[("3D/3dmodel.model", b"<model/>")]);
        let err = extract_gcode(&bytes).expect_err("no plate");
        assert!(err.to_string().contains(PLATE_GCODE), "{err}");
        assert!(extract_gcode(b"not a zip").is_err());
    }
}
