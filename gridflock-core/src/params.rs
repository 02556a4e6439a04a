//! User input: what a customer or operator asks for, in millimetres.
//!
//! `Params` is plain data with serde support and documented defaults. It is not
//! trusted: [`crate::plan`] validates it and reports every problem at once.

use serde::{Deserialize, Serialize};

/// Everything that determines a plate set.
///
/// Defaults follow the original GridFlock generator (see the geometry spec):
/// 371 × 254 mm on a 250 × 220 mm bed, intersection puzzle with fit 1,
/// no magnets, half-cell filler, centred grid, numbering on, 4 mm corners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Drawer width along x, in mm. Allowed: one cell (42) to 2000.
    pub width_mm: f64,
    /// Drawer depth along y, in mm. Allowed: one cell (42) to 2000.
    pub height_mm: f64,
    /// The printer whose bed every plate must fit.
    pub printer: Printer,
    /// How neighbouring plates lock together.
    pub connector: Connector,
    /// Magnet pockets in the cell corners.
    pub magnets: Magnets,
    /// Magnet and pocket dimensions (used only when `magnets` is not `None`).
    pub magnet_dims: MagnetDims,
    /// What to do with the leftover width that is less than a whole cell.
    pub filler: Filler,
    /// Where the grid sits inside the plate when there is padding, per axis:
    /// 0 = flush west/south, 0.5 = centred, 1 = flush east/north.
    pub alignment: Alignment,
    /// Engrave each plate's number into its underside.
    pub numbering: bool,
    /// Radius of the plate's outer corners, in mm. Allowed: 0 to 4.
    pub corner_radius_mm: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            width_mm: 371.0,
            height_mm: 254.0,
            printer: Printer::default(),
            connector: Connector::default(),
            magnets: Magnets::default(),
            magnet_dims: MagnetDims::default(),
            filler: Filler::default(),
            alignment: Alignment::default(),
            numbering: true,
            corner_radius_mm: 4.0,
        }
    }
}

impl Params {
    /// Parameters for a `width × height` mm plate set with every other option at its default.
    pub fn new(width_mm: f64, height_mm: f64) -> Self {
        Params {
            width_mm,
            height_mm,
            ..Params::default()
        }
    }
}

/// The printer (bed size) the plates are planned for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Printer {
    /// A built-in printer profile, by id (see [`crate::printers::PRINTERS`]), e.g. `bambu-a1`.
    Profile {
        /// Profile id.
        id: String,
    },
    /// A custom bed size in mm.
    Custom {
        /// Usable bed size along x, in mm.
        bed_x_mm: f64,
        /// Usable bed size along y, in mm.
        bed_y_mm: f64,
    },
}

impl Default for Printer {
    /// GridFlock's default bed: 250 × 220 mm.
    fn default() -> Self {
        Printer::Custom {
            bed_x_mm: 250.0,
            bed_y_mm: 220.0,
        }
    }
}

/// How neighbouring plates lock together.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Connector {
    /// Jigsaw joints at every grid intersection on a seam.
    IntersectionPuzzle {
        /// 1 = tight, 0 = loose; values in between blend the two outlines.
        fit: f64,
    },
    /// Dovetail tabs in the middle of every cell edge on a seam.
    EdgePuzzle,
    /// Plates are simply laid side by side.
    None,
}

impl Default for Connector {
    fn default() -> Self {
        Connector::IntersectionPuzzle { fit: 1.0 }
    }
}

impl Connector {
    /// The SKU code of this connector: `IP`, `EP` or `NC`.
    pub fn code(&self) -> &'static str {
        match self {
            Connector::IntersectionPuzzle { .. } => "IP",
            Connector::EdgePuzzle => "EP",
            Connector::None => "NC",
        }
    }
}

/// Magnet pocket style.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Magnets {
    /// No magnet layer: the plate is a bare 4.65 mm grid.
    #[default]
    None,
    /// Magnets slide in sideways from the open cell centre; a release slot below.
    PressFit,
    /// Pocket open at the top, magnet glued in from above.
    GlueTop,
    /// Pocket open at the bottom, magnet glued in from below.
    GlueBottom,
}

impl Magnets {
    /// True for every style except [`Magnets::None`].
    pub fn enabled(self) -> bool {
        self != Magnets::None
    }
}

/// Magnet and pocket dimensions in mm (GridFlock defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MagnetDims {
    /// Pocket diameter. Default 5.9.
    pub diameter_mm: f64,
    /// Pocket height (magnet thickness plus play). Default 2.25.
    pub height_mm: f64,
    /// Material above the pocket (press-fit and glue-bottom). Default 0.5.
    pub top_mm: f64,
    /// Material below the pocket (press-fit and glue-top). Default 0.75.
    pub bottom_mm: f64,
    /// Material around the pocket in the corner pad. Default 2.
    pub border_mm: f64,
    /// Width of the release slot or hole; 0 disables it. Default 3.
    pub release_width_mm: f64,
}

impl Default for MagnetDims {
    fn default() -> Self {
        MagnetDims {
            diameter_mm: 5.9,
            height_mm: 2.25,
            top_mm: 0.5,
            bottom_mm: 0.75,
            border_mm: 2.0,
            release_width_mm: 3.0,
        }
    }
}

/// What to do with a remainder narrower than a whole cell.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Filler {
    /// Whole cells only; the remainder becomes padding.
    None,
    /// Cells of `1/denominator` of a cell fill the remainder (2 = half cells).
    Fraction {
        /// Allowed: 2 to 4.
        denominator: u32,
    },
    /// One filler cell exactly as wide as the remainder; a remainder below
    /// `min_mm` widens the last whole cell instead.
    Dynamic {
        /// Allowed: 9 to 41 mm.
        min_mm: f64,
    },
}

impl Default for Filler {
    fn default() -> Self {
        Filler::Fraction { denominator: 2 }
    }
}

/// Placement of the grid inside the padding, per axis (0 to 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Alignment {
    /// 0 = grid flush west, 1 = grid flush east.
    pub x: f64,
    /// 0 = grid flush south, 1 = grid flush north.
    pub y: f64,
}

impl Default for Alignment {
    fn default() -> Self {
        Alignment { x: 0.5, y: 0.5 }
    }
}
