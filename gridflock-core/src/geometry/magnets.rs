//! Magnet pads, pockets and release slots in a cell's corners.
//!
//! Each magnet sits in a *corner frame*: origin at a cell corner, axes
//! pointing into the cell. Pads, pockets and slots are built once in that
//! frame and rotated into place by quarter turns, which are exact on the lattice.

use super::poly::{Contour, Pt, arc, bar, circle, pt, stadium};
use crate::params::{MagnetDims, Magnets};
use crate::profile::MAGNET_INSET_UM;

/// A cell corner, counter-clockwise from south-west.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Corner {
    SouthWest,
    SouthEast,
    NorthEast,
    NorthWest,
}

/// Magnet dimensions on the lattice (µm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MagnetSpec {
    pub(crate) style: Style,
    pub(crate) diameter: i64,
    pub(crate) height: i64,
    pub(crate) top: i64,
    pub(crate) bottom: i64,
    pub(crate) border: i64,
    pub(crate) release: i64,
}

/// Magnet style, ordered for use in cache keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Style {
    PressFit,
    GlueTop,
    GlueBottom,
}

impl MagnetSpec {
    pub(crate) fn new(style: Magnets, d: &MagnetDims) -> Option<Self> {
        let style = match style {
            Magnets::None => return None,
            Magnets::PressFit => Style::PressFit,
            Magnets::GlueTop => Style::GlueTop,
            Magnets::GlueBottom => Style::GlueBottom,
        };
        let um = crate::lattice::mm_to_um;
        Some(MagnetSpec {
            style,
            diameter: um(d.diameter_mm),
            height: um(d.height_mm),
            top: um(d.top_mm),
            bottom: um(d.bottom_mm),
            border: um(d.border_mm),
            release: um(d.release_width_mm),
        })
    }

    /// Thickness of the magnet layer below the profile.
    pub(crate) fn layer(&self) -> i64 {
        let top = if self.style == Style::GlueTop {
            0
        } else {
            self.top
        };
        let bottom = if self.style == Style::GlueBottom {
            0
        } else {
            self.bottom
        };
        top + bottom + self.height
    }

    /// Side of the square corner pad.
    pub(crate) fn pad(&self) -> i64 {
        MAGNET_INSET_UM + self.diameter / 2 + self.border
    }

    /// Smallest cell side that can hold a pad and still leave the opening.
    pub(crate) fn min_cell(&self) -> i64 {
        self.pad() + crate::profile::BOTTOM_INSET_UM
    }

    /// The z ranges (relative to z = 0 at the profile bottom) of the pocket and the release cut.
    pub(crate) fn z_ranges(&self) -> ((i64, i64), (i64, i64)) {
        let zbot = -self.layer();
        match self.style {
            Style::PressFit => {
                let pocket = (zbot + self.bottom, zbot + self.bottom + self.height);
                (pocket, (zbot, pocket.1))
            }
            Style::GlueTop => ((zbot + self.bottom, 0), (zbot, 0)),
            Style::GlueBottom => ((zbot, zbot + self.height), (zbot, 0)),
        }
    }
}

/// The pad (material) of one corner in the corner frame: a square with its
/// inner corner rounded around the magnet.
pub(crate) fn pad(spec: &MagnetSpec) -> Contour {
    let s = spec.pad();
    let c = MAGNET_INSET_UM;
    let r = s - c;
    let mut p = vec![pt(0, 0), pt(s, 0), pt(s, c)];
    arc(c, c, r, 0, 10, &mut p);
    p.push(pt(0, s));
    p.dedup();
    p
}

/// The pocket cut in the corner frame; `toward` is the unit direction (in
/// whole steps of 45°) from the magnet toward the open cell.
pub(crate) fn pocket(spec: &MagnetSpec, toward: (i64, i64)) -> Vec<Contour> {
    let c = MAGNET_INSET_UM;
    let r = spec.diameter / 2;
    let mut cuts = vec![circle(c, c, r)];
    if spec.style == Style::PressFit {
        let len = spec.diameter / 2 + spec.border;
        let end = along(c, toward, len);
        cuts.push(bar((c, c), end, r));
    }
    cuts
}

/// The release cut in the corner frame (a slot for press-fit, a hole for glue styles).
pub(crate) fn release(spec: &MagnetSpec, toward: (i64, i64)) -> Option<Contour> {
    if spec.release <= 0 {
        return None;
    }
    let c = MAGNET_INSET_UM;
    let r = spec.release / 2;
    if spec.style == Style::PressFit {
        let len = spec.diameter / 2 + 2_000;
        let end = along(c, (-toward.0, -toward.1), len);
        Some(stadium((c, c), end, r))
    } else {
        Some(circle(c, c, r))
    }
}

fn along(c: i64, dir: (i64, i64), len: i64) -> (i64, i64) {
    if dir.0 != 0 && dir.1 != 0 {
        let d = crate::lattice::round(len as f64 * std::f64::consts::FRAC_1_SQRT_2);
        (c + dir.0 * d, c + dir.1 * d)
    } else {
        (c + dir.0 * len, c + dir.1 * len)
    }
}

/// Maps a corner-frame point into cell coordinates for a `w × h` cell.
pub(crate) fn place(corner: Corner, w: i64, h: i64, p: Pt) -> Pt {
    let (a, b) = (p.x as i64, p.y as i64);
    match corner {
        Corner::SouthWest => pt(a, b),
        Corner::SouthEast => pt(w - b, a),
        Corner::NorthEast => pt(w - a, h - b),
        Corner::NorthWest => pt(b, h - a),
    }
}

/// Which corners of a `w × h` cell hold magnets, and the pocket direction in
/// the corner frame. Full cells (≥ 42 mm both ways) use all four corners and
/// point diagonally at the centre; a cell short in one axis uses two opposite
/// corners pointing along its long axis; a cell short in both uses one.
/// Cells too small for a pad get none.
pub(crate) fn corners(spec: &MagnetSpec, w: i64, h: i64) -> (Vec<Corner>, (i64, i64)) {
    let full = crate::profile::CELL_UM;
    if w < spec.min_cell() || h < spec.min_cell() {
        return (Vec::new(), (1, 1));
    }
    match (w >= full, h >= full) {
        (true, true) => (
            vec![
                Corner::SouthWest,
                Corner::SouthEast,
                Corner::NorthEast,
                Corner::NorthWest,
            ],
            (1, 1),
        ),
        (false, true) => (vec![Corner::SouthEast, Corner::NorthWest], (1, 0)),
        (true, false) => (vec![Corner::SouthWest, Corner::NorthEast], (1, 0)),
        (false, false) => (vec![Corner::NorthWest], (1, 1)),
    }
}
