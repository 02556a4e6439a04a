//! Built-in printer profiles: the usable bed of common printers.
//!
//! A profile only carries what planning needs, the bed size. Ids are stable
//! kebab-case strings; they appear in stored parameters, so they are never
//! renamed.

use serde::Serialize;

/// A printer with a known usable bed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PrinterProfile {
    /// Stable id used in [`crate::Printer::Profile`], e.g. `bambu-a1`.
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// Usable bed size along x, in mm.
    pub bed_x_mm: f64,
    /// Usable bed size along y, in mm.
    pub bed_y_mm: f64,
}

const fn profile(
    id: &'static str,
    name: &'static str,
    bed_x_mm: f64,
    bed_y_mm: f64,
) -> PrinterProfile {
    PrinterProfile {
        id,
        name,
        bed_x_mm,
        bed_y_mm,
    }
}

/// Every built-in profile, sorted by id.
///
/// The Bambu Lab H2D is listed with 325 × 320 mm, the area one nozzle can
/// print on: its 350 × 320 mm build plate is only reachable in full with both
/// nozzles, and a plate is printed with one.
pub const PRINTERS: &[PrinterProfile] = &[
    profile("bambu-a1", "Bambu Lab A1", 256.0, 256.0),
    profile("bambu-a1-mini", "Bambu Lab A1 mini", 180.0, 180.0),
    profile("bambu-h2d", "Bambu Lab H2D (single nozzle)", 325.0, 320.0),
    profile("bambu-p1s", "Bambu Lab P1S", 256.0, 256.0),
    profile("bambu-x1c", "Bambu Lab X1 Carbon", 256.0, 256.0),
    profile("creality-ender-3-v3", "Creality Ender-3 V3", 220.0, 220.0),
    profile("creality-k1", "Creality K1", 220.0, 220.0),
    profile("prusa-core-one", "Prusa CORE One", 250.0, 220.0),
    profile("prusa-mini", "Prusa MINI+", 180.0, 180.0),
    profile("prusa-mk4", "Prusa MK4", 250.0, 210.0),
];

/// The built-in profile with this id, if any (exact, case-sensitive match).
pub fn find(id: &str) -> Option<&'static PrinterProfile> {
    PRINTERS.iter().find(|p| p.id == id)
}

/// All profile ids, comma-separated, for error messages.
pub(crate) fn id_list() -> String {
    PRINTERS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_findable() {
        for pair in PRINTERS.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        for p in PRINTERS {
            assert_eq!(find(p.id), Some(p));
        }
        assert_eq!(find("Bambu-A1"), None);
    }

    #[test]
    fn known_beds() {
        let bed = |id| find(id).map(|p| (p.bed_x_mm, p.bed_y_mm));
        assert_eq!(bed("bambu-a1"), Some((256.0, 256.0)));
        assert_eq!(bed("bambu-h2d"), Some((325.0, 320.0)));
        assert_eq!(bed("prusa-mk4"), Some((250.0, 210.0)));
        assert_eq!(bed("prusa-core-one"), Some((250.0, 220.0)));
    }
}
