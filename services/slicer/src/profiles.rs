//! Printer profiles and print settings.
//!
//! One profile per gridflock-core printer id, so a plate planned for a
//! printer is always sliced for the same bed. The bed size comes from
//! gridflock-core's table; what planning does not need (build height, which
//! slicer family the printer belongs to) lives here. The slicer files
//! themselves are rendered from these values by the adapters.

use gridflock_core::printers::{PRINTERS, PrinterProfile};
use serde::Serialize;
use service_common::FieldError;

/// Filament types a print may ask for.
pub const FILAMENTS: &[&str] = &["PLA", "PETG", "ABS", "ASA", "TPU", "PA"];

/// Allowed nozzle diameters, in mm.
pub const NOZZLE_RANGE_MM: (f64, f64) = (0.2, 1.0);
/// Smallest layer height, in mm; the largest is 0.8 × nozzle.
pub const MIN_LAYER_MM: f64 = 0.05;
/// Largest layer height as a fraction of the nozzle diameter.
pub const MAX_LAYER_PER_NOZZLE: f64 = 0.8;

/// Which slicer family a printer's native files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Bambu Lab: BambuStudio/OrcaSlicer when configured.
    Bambu,
    /// Everything else: PrusaSlicer.
    Generic,
}

/// A printer the service slices for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// gridflock-core's bed data (id, name, bed size).
    pub printer: &'static PrinterProfile,
    /// Highest printable z, in mm.
    pub max_height_mm: f64,
    /// Slicer family.
    pub family: Family,
}

impl Profile {
    /// The profile name callers use: the gridflock-core printer id.
    pub fn id(&self) -> &'static str {
        self.printer.id
    }

    /// Bed width (x), in mm.
    pub fn bed_width_mm(&self) -> f64 {
        self.printer.bed_x_mm
    }

    /// Bed depth (y), in mm.
    pub fn bed_depth_mm(&self) -> f64 {
        self.printer.bed_y_mm
    }

    /// The settings a slice uses when the request overrides nothing.
    pub fn defaults(&self) -> Settings {
        Settings {
            nozzle_diameter_mm: 0.4,
            layer_height_mm: 0.2,
            infill_percent: 15,
            filament: Filament::Pla,
        }
    }
}

/// Build heights from the manufacturers' data sheets; the bed size is
/// gridflock-core's, which already accounts for what one nozzle can reach.
fn max_height_mm(id: &str) -> f64 {
    match id {
        "bambu-a1" | "bambu-p1s" | "bambu-x1c" => 256.0,
        "bambu-a1-mini" | "prusa-mini" => 180.0,
        "bambu-h2d" => 325.0,
        "creality-ender-3-v3" => 250.0,
        "creality-k1" => 250.0,
        "prusa-core-one" => 270.0,
        "prusa-mk4" => 220.0,
        // A printer added to gridflock-core before it is added here still
        // gets a conservative height rather than none.
        _ => 150.0,
    }
}

/// Every profile, in gridflock-core's order (sorted by id).
pub fn all() -> Vec<Profile> {
    PRINTERS
        .iter()
        .map(|printer| Profile {
            printer,
            max_height_mm: max_height_mm(printer.id),
            family: if printer.id.starts_with("bambu-") {
                Family::Bambu
            } else {
                Family::Generic
            },
        })
        .collect()
}

/// The profile called `name`, if any (exact match).
pub fn find(name: &str) -> Option<Profile> {
    all().into_iter().find(|p| p.id() == name)
}

/// All profile names, comma-separated, for error messages.
pub fn names() -> String {
    PRINTERS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

/// A filament type with the temperatures and density a slice needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Filament {
    /// Polylactic acid.
    Pla,
    /// Glycol-modified PET.
    Petg,
    /// Acrylonitrile butadiene styrene.
    Abs,
    /// Acrylonitrile styrene acrylate.
    Asa,
    /// Thermoplastic polyurethane (flexible).
    Tpu,
    /// Polyamide (nylon).
    Pa,
}

impl Filament {
    /// Parses a name from [`FILAMENTS`] (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "PLA" => Self::Pla,
            "PETG" => Self::Petg,
            "ABS" => Self::Abs,
            "ASA" => Self::Asa,
            "TPU" => Self::Tpu,
            "PA" => Self::Pa,
            _ => return None,
        })
    }

    /// The name as slicers write it (`filament_type`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Pla => "PLA",
            Self::Petg => "PETG",
            Self::Abs => "ABS",
            Self::Asa => "ASA",
            Self::Tpu => "TPU",
            Self::Pa => "PA",
        }
    }

    /// Nozzle temperature, °C.
    pub fn nozzle_temp(self) -> u32 {
        match self {
            Self::Pla => 215,
            Self::Petg => 240,
            Self::Abs => 255,
            Self::Asa => 260,
            Self::Tpu => 230,
            Self::Pa => 270,
        }
    }

    /// Bed temperature, °C.
    pub fn bed_temp(self) -> u32 {
        match self {
            Self::Pla => 60,
            Self::Petg => 80,
            Self::Abs | Self::Asa => 100,
            Self::Tpu => 50,
            Self::Pa => 90,
        }
    }

    /// Density in g/cm³; without it slicers report 0 g of filament.
    pub fn density(self) -> f64 {
        match self {
            Self::Pla => 1.24,
            Self::Petg => 1.27,
            Self::Abs => 1.04,
            Self::Asa => 1.07,
            Self::Tpu => 1.21,
            Self::Pa => 1.14,
        }
    }
}

/// The settings of one slice: the profile's defaults with the request's
/// overrides applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Nozzle diameter, mm.
    pub nozzle_diameter_mm: f64,
    /// Layer height, mm.
    pub layer_height_mm: f64,
    /// Sparse infill, percent.
    pub infill_percent: u8,
    /// Filament type.
    pub filament: Filament,
}

impl Settings {
    /// First layer height: at least 0.2 mm for bed adhesion where the nozzle
    /// allows it, never thinner than the other layers.
    pub fn first_layer_height_mm(&self) -> f64 {
        let preferred = 0.2f64.min(0.75 * self.nozzle_diameter_mm);
        round3(preferred.max(self.layer_height_mm))
    }
}

impl Settings {
    /// Whether the sparse infill is solid. Grid infill, the default for
    /// baseplates, cannot be printed solid; slicers refuse it at 100 %.
    pub fn solid_infill(&self) -> bool {
        self.infill_percent >= 100
    }
}

/// Rounds to 1 µm so that flags and config lines read `0.28`, not `0.28000000000000003`.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Overrides as sent, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOverrides {
    /// `layerHeightMm`.
    pub layer_height_mm: Option<String>,
    /// `infillPercent`.
    pub infill_percent: Option<String>,
    /// `nozzleDiameterMm`.
    pub nozzle_diameter_mm: Option<String>,
    /// `filament`.
    pub filament: Option<String>,
}

/// Applies `raw` to `defaults`, naming every out-of-range field.
pub fn apply_overrides(
    defaults: Settings,
    raw: &RawOverrides,
) -> Result<Settings, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut settings = defaults;
    let (nozzle_min, nozzle_max) = NOZZLE_RANGE_MM;
    if let Some(text) = &raw.nozzle_diameter_mm {
        match parse_number(text) {
            Some(v) if (nozzle_min..=nozzle_max).contains(&v) => settings.nozzle_diameter_mm = v,
            _ => errors.push(FieldError::new(
                "nozzleDiameterMm",
                format!("is {text:?}; must be a number of mm in {nozzle_min}..={nozzle_max}"),
            )),
        }
    }
    if let Some(text) = &raw.layer_height_mm {
        let max = round3(MAX_LAYER_PER_NOZZLE * settings.nozzle_diameter_mm);
        match parse_number(text) {
            Some(v) if (MIN_LAYER_MM..=max + 1e-9).contains(&v) => settings.layer_height_mm = v,
            _ => errors.push(FieldError::new(
                "layerHeightMm",
                format!(
                    "is {text:?}; must be a number of mm in {MIN_LAYER_MM}..={max} \
                     (0.8 × the {} mm nozzle)",
                    settings.nozzle_diameter_mm
                ),
            )),
        }
    } else if settings.layer_height_mm > MAX_LAYER_PER_NOZZLE * settings.nozzle_diameter_mm + 1e-9 {
        // A small nozzle override can make the default layer too thick.
        settings.layer_height_mm = round3(MAX_LAYER_PER_NOZZLE * settings.nozzle_diameter_mm);
    }
    if let Some(text) = &raw.infill_percent {
        match text.trim().trim_end_matches('%').parse::<u8>() {
            Ok(v) if v <= 100 => settings.infill_percent = v,
            _ => errors.push(FieldError::new(
                "infillPercent",
                format!("is {text:?}; must be a whole number in 0..=100"),
            )),
        }
    }
    if let Some(text) = &raw.filament {
        match Filament::parse(text) {
            Some(f) => settings.filament = f,
            None => errors.push(FieldError::new(
                "filament",
                format!("is {text:?}; must be one of {}", FILAMENTS.join(", ")),
            )),
        }
    }
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// One entry of `GET /profiles`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    /// Profile name (gridflock-core printer id).
    pub name: &'static str,
    /// Printer's display name.
    pub printer_name: &'static str,
    /// The slicer that will slice this profile, with its version.
    pub slicer: String,
    /// Why the slicer is not the printer's native one, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slicer_note: Option<String>,
    /// Bed width (x), mm.
    pub bed_width_mm: f64,
    /// Bed depth (y), mm.
    pub bed_depth_mm: f64,
    /// Highest printable z, mm.
    pub max_height_mm: f64,
    /// Settings used when a request overrides nothing.
    pub defaults: Settings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_profile_per_printer() {
        let all = all();
        assert_eq!(all.len(), PRINTERS.len());
        let mini = find("prusa-mini").expect("prusa-mini");
        assert_eq!((mini.bed_width_mm(), mini.bed_depth_mm()), (180.0, 180.0));
        assert_eq!(mini.family, Family::Generic);
        assert_eq!(find("bambu-a1").expect("a1").family, Family::Bambu);
        assert!(find("bambu-a1 ").is_none());
        assert!(names().contains("prusa-mk4"));
    }

    fn raw(layer: &str, infill: &str, nozzle: &str, filament: &str) -> RawOverrides {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        RawOverrides {
            layer_height_mm: some(layer),
            infill_percent: some(infill),
            nozzle_diameter_mm: some(nozzle),
            filament: some(filament),
        }
    }

    #[test]
    fn overrides_apply() {
        let d = find("prusa-mk4").expect("mk4").defaults();
        let s = apply_overrides(d, &raw("0.28", "25", "0.6", "petg")).expect("valid");
        assert_eq!(s.layer_height_mm, 0.28);
        assert_eq!(s.infill_percent, 25);
        assert_eq!(s.nozzle_diameter_mm, 0.6);
        assert_eq!(s.filament, Filament::Petg);
        assert_eq!(apply_overrides(d, &RawOverrides::default()), Ok(d));
    }

    #[test]
    fn layer_limit_follows_the_nozzle() {
        let d = find("prusa-mk4").expect("mk4").defaults();
        // 0.8 × 0.4 = 0.32 is the limit itself.
        assert!(apply_overrides(d, &raw("0.32", "", "", "")).is_ok());
        let errors = apply_overrides(d, &raw("0.33", "", "", "")).expect_err("too thick");
        assert_eq!(errors[0].field, "layerHeightMm");
        assert!(
            errors[0].message.contains("0.05..=0.32"),
            "{}",
            errors[0].message
        );
        // A 0.2 mm nozzle lowers the default 0.2 mm layer to 0.16 mm.
        let s = apply_overrides(d, &raw("", "", "0.2", "")).expect("valid");
        assert_eq!(s.layer_height_mm, 0.16);
        assert_eq!(s.first_layer_height_mm(), 0.16);
    }

    #[test]
    fn every_bad_field_is_named() {
        let d = find("prusa-mk4").expect("mk4").defaults();
        let errors = apply_overrides(d, &raw("0.01", "101", "1.2", "wood")).expect_err("bad");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "nozzleDiameterMm",
                "layerHeightMm",
                "infillPercent",
                "filament"
            ]
        );
        assert!(errors[3].message.contains("PLA, PETG, ABS, ASA, TPU, PA"));
        assert!(errors[0].message.contains("0.2..=1"));
        assert!(apply_overrides(d, &raw("NaN", "", "", "")).is_err());
    }
}
