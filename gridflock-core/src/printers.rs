//! Built-in printer profiles (placeholder until the printers module lands; signatures only).

/// A printer with a known usable bed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrinterProfile {
    /// Stable id, e.g. `bambu-a1`.
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// Usable bed size along x, in mm.
    pub bed_x_mm: f64,
    /// Usable bed size along y, in mm.
    pub bed_y_mm: f64,
}

/// Every built-in profile (placeholder).
pub const PRINTERS: &[PrinterProfile] = &[PrinterProfile {
    id: "bambu-a1",
    name: "Bambu Lab A1",
    bed_x_mm: 256.0,
    bed_y_mm: 256.0,
}];

/// The built-in profile with this id, if any.
pub fn find(id: &str) -> Option<&'static PrinterProfile> {
    PRINTERS.iter().find(|p| p.id == id)
}
