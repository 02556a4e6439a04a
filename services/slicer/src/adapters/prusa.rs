//! PrusaSlicer 2.5 command line: the default adapter.
//!
//! The printer, filament and print settings go into one self-contained
//! `.ini` rendered from the profile (without a loaded filament profile
//! PrusaSlicer reports 0 g of filament); the effective settings are then
//! passed again as flags, so the request's overrides win and show up in the
//! config block PrusaSlicer appends to the gcode (`; layer_height = 0.28`).
//! The command runs with no display and a scratch `--datadir`, which is
//! all the Debian build needs to slice headless.

use super::{Gcode, SliceError, SliceJob, Slicer, run_with_deadline};
use crate::profiles::{Profile, Settings, round3};
use futures::future::BoxFuture;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// Product name in `--help` and `X-Slicer`.
pub const PRODUCT: &str = "PrusaSlicer";

/// The PrusaSlicer adapter.
#[derive(Debug, Clone)]
pub struct PrusaSlicer {
    program: PathBuf,
    version: Option<String>,
}

impl PrusaSlicer {
    /// An adapter for `program` whose version was detected as `version`.
    pub fn new(program: PathBuf, version: Option<String>) -> Self {
        Self { program, version }
    }

    /// The executable.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The arguments of one slice: `--load profile.ini`, the settings as
    /// flags, then input and output.
    pub fn arguments(
        profile: &Profile,
        settings: &Settings,
        ini: &Path,
        datadir: &Path,
        model: &Path,
        output: &Path,
    ) -> Vec<OsString> {
        let temp = settings.filament.nozzle_temp().to_string();
        let bed = settings.filament.bed_temp().to_string();
        let mut args: Vec<OsString> = Vec::new();
        let mut push = |a: &str| args.push(a.into());
        push("--export-gcode");
        push("--loglevel=1");
        push("--datadir");
        args.push(datadir.into());
        args.push("--load".into());
        args.push(ini.into());
        let flags: [(&str, String); 11] = [
            ("--nozzle-diameter", fmt_mm(settings.nozzle_diameter_mm)),
            ("--layer-height", fmt_mm(settings.layer_height_mm)),
            (
                "--first-layer-height",
                fmt_mm(settings.first_layer_height_mm()),
            ),
            ("--fill-density", format!("{}%", settings.infill_percent)),
            ("--filament-type", settings.filament.name().to_owned()),
            (
                "--filament-density",
                settings.filament.density().to_string(),
            ),
            ("--temperature", temp.clone()),
            ("--first-layer-temperature", temp),
            ("--bed-temperature", bed.clone()),
            ("--first-layer-bed-temperature", bed),
            // An explicit centre arranges on an unbounded bed: a plate as
            // large as the bed (already checked to fit) is not refused by the
            // arranger's edge spacing.
            (
                "--center",
                format!(
                    "{},{}",
                    profile.bed_width_mm() / 2.0,
                    profile.bed_depth_mm() / 2.0
                ),
            ),
        ];
        for (flag, value) in flags {
            args.push(flag.into());
            args.push(value.into());
        }
        if settings.solid_infill() {
            args.push("--fill-pattern".into());
            args.push("rectilinear".into());
        }
        args.push("--output".into());
        args.push(output.into());
        args.push(model.into());
        args
    }
}

fn fmt_mm(v: f64) -> String {
    round3(v).to_string()
}

/// The `.ini` of `profile`: bed, build height, firmware flavour, default
/// print settings, speeds and temperatures.
pub fn render_ini(profile: &Profile, settings: &Settings) -> String {
    let (w, d) = (profile.bed_width_mm(), profile.bed_depth_mm());
    let f = settings.filament;
    format!(
        "# GridFlock Connect profile {name} ({printer})\n\
         printer_technology = FFF\n\
         printer_model = {name}\n\
         printer_notes = GridFlock Connect profile {name}\n\
         bed_shape = 0x0,{w}x0,{w}x{d},0x{d}\n\
         max_print_height = {h}\n\
         nozzle_diameter = {nozzle}\n\
         filament_diameter = 1.75\n\
         gcode_flavor = marlin2\n\
         use_relative_e_distances = 1\n\
         before_layer_gcode = ;BEFORE_LAYER_CHANGE\\nG92 E0\n\
         retract_length = 0.8\n\
         retract_speed = 35\n\
         retract_lift = 0.2\n\
         layer_height = {layer}\n\
         first_layer_height = {first}\n\
         perimeters = 2\n\
         top_solid_layers = 4\n\
         bottom_solid_layers = 3\n\
         fill_density = {infill}%\n\
         fill_pattern = grid\n\
         top_fill_pattern = monotonic\n\
         bottom_fill_pattern = monotonic\n\
         skirts = 0\n\
         brim_width = 0\n\
         support_material = 0\n\
         perimeter_speed = 60\n\
         external_perimeter_speed = 40\n\
         small_perimeter_speed = 30\n\
         infill_speed = 100\n\
         solid_infill_speed = 80\n\
         top_solid_infill_speed = 50\n\
         gap_fill_speed = 40\n\
         bridge_speed = 30\n\
         travel_speed = 180\n\
         first_layer_speed = 25\n\
         machine_max_acceleration_extruding = 2500\n\
         default_acceleration = 0\n\
         filament_type = {ftype}\n\
         filament_density = {density}\n\
         temperature = {temp}\n\
         first_layer_temperature = {temp}\n\
         bed_temperature = {bed}\n\
         first_layer_bed_temperature = {bed}\n\
         cooling = 1\n\
         fan_always_on = 1\n\
         min_fan_speed = 35\n\
         max_fan_speed = 100\n\
         start_gcode = G90\\nM83\\nG28 ; home all axes\\nG1 Z5 F3000 ; lift nozzle\n\
         end_gcode = M104 S0 ; nozzle off\\nM140 S0 ; bed off\\nG91\\nG1 Z10 F600\\nG90\\nM107\\nM84\n",
        name = profile.id(),
        printer = profile.printer.name,
        h = profile.max_height_mm,
        nozzle = fmt_mm(settings.nozzle_diameter_mm),
        layer = fmt_mm(settings.layer_height_mm),
        first = fmt_mm(settings.first_layer_height_mm()),
        infill = settings.infill_percent,
        ftype = f.name(),
        density = f.density(),
        temp = f.nozzle_temp(),
        bed = f.bed_temp(),
    )
}

/// Output that means the model or the settings cannot be sliced (the
/// caller's problem, 422) rather than a fault of the service.
const INPUT_PROBLEMS: &[&str] = &[
    "Objects could not fit on the bed",
    "No layers were detected",
    "Loading of a model file failed",
    "The input is an empty file",
    "The print is empty",
    "empty print",
    "No extrusions",
    "can't be greater than",
    "must be",
    "is too large",
];

impl Slicer for PrusaSlicer {
    fn name(&self) -> &str {
        PRODUCT
    }

    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn slice<'a>(&'a self, job: SliceJob<'a>) -> BoxFuture<'a, Result<Gcode, SliceError>> {
        Box::pin(async move {
            let ini = job.dir.join("profile.ini");
            let datadir = job.dir.join("datadir");
            let output = job.dir.join("out.gcode");
            tokio::fs::write(&ini, render_ini(job.profile, job.settings)).await?;
            tokio::fs::create_dir_all(&datadir).await?;
            let mut command = Command::new(&self.program);
            command
                .args(Self::arguments(
                    job.profile,
                    job.settings,
                    &ini,
                    &datadir,
                    job.model,
                    &output,
                ))
                // The Debian build links the GUI libraries but slices without
                // a display; a display inherited from a desktop session would
                // only slow start-up down.
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .env("HOME", job.dir);
            let outcome = run_with_deadline(command, job.dir, job.timeout, job.cancel).await?;
            if !outcome.status.success() {
                let reason = if outcome.output_tail.is_empty() {
                    format!("PrusaSlicer exited with {}", outcome.status)
                } else {
                    outcome.output_tail
                };
                return Err(if INPUT_PROBLEMS.iter().any(|p| reason.contains(p)) {
                    SliceError::Rejected { reason }
                } else {
                    SliceError::Failed(format!("{}: {reason}", outcome.status))
                });
            }
            let bytes = tokio::fs::read(&output).await.map_err(|e| {
                SliceError::Failed(format!(
                    "PrusaSlicer exited 0 but wrote no gcode ({e}): {}",
                    outcome.output_tail
                ))
            })?;
            Ok(Gcode::from_bytes(bytes))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{Filament, find};

    #[test]
    fn overrides_become_flags() {
        let profile = find("prusa-mk4").expect("mk4");
        let mut settings = profile.defaults();
        settings.layer_height_mm = 0.28;
        settings.infill_percent = 25;
        settings.filament = Filament::Petg;
        let args = PrusaSlicer::arguments(
            &profile,
            &settings,
            Path::new("/w/profile.ini"),
            Path::new("/w/datadir"),
            Path::new("/w/model.stl"),
            Path::new("/w/out.gcode"),
        );
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(
            joined.starts_with(
                "--export-gcode --loglevel=1 --datadir /w/datadir --load /w/profile.ini"
            )
        );
        assert!(joined.contains("--layer-height 0.28"), "{joined}");
        assert!(joined.contains("--fill-density 25%"), "{joined}");
        assert!(joined.contains("--filament-type PETG"), "{joined}");
        assert!(joined.contains("--temperature 240"), "{joined}");
        assert!(joined.contains("--center 125,105"), "{joined}");
        assert!(
            joined.ends_with("--output /w/out.gcode /w/model.stl"),
            "{joined}"
        );
        assert!(!joined.contains("--fill-pattern"), "{joined}");
        settings.infill_percent = 100;
        let args = PrusaSlicer::arguments(
            &profile,
            &settings,
            Path::new("/w/profile.ini"),
            Path::new("/w/datadir"),
            Path::new("/w/model.stl"),
            Path::new("/w/out.gcode"),
        );
        let joined = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("--fill-density 100% "), "{joined}");
        assert!(joined.contains("--fill-pattern rectilinear"), "{joined}");
    }

    #[test]
    fn ini_describes_the_bed() {
        let profile = find("prusa-mini").expect("mini");
        let ini = render_ini(&profile, &profile.defaults());
        assert!(
            ini.contains("bed_shape = 0x0,180x0,180x180,0x180\n"),
            "{ini}"
        );
        assert!(ini.contains("max_print_height = 180\n"));
        assert!(ini.contains("fill_density = 15%\n"));
        assert!(ini.contains("filament_type = PLA\n"));
        assert!(ini.contains("gcode_flavor = marlin2\n"));
    }
}
