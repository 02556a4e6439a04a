//! Input validation: every problem at once, each naming its field and the
//! allowed range, and the lattice-rounded values the layout works from.

use super::axis::{AxisTrace, Tabs, bed_margin_um};
use crate::lattice::{self, um_to_mm};
use crate::params::{Connector, Filler, MagnetDims, Magnets, Params, Printer};
use crate::printers;
use crate::profile::{CELL_UM, MAGNET_INSET_UM, MAX_SIDE_UM};
use std::fmt;

/// Every problem found in the input, in field order.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamErrors(pub Vec<ParamIssue>);

/// One problem with one field.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamIssue {
    /// Field path in [`Params`], dotted like the serde names, e.g. `printer.bed_x_mm`.
    pub field: String,
    /// The offending value as given.
    pub value: String,
    /// What would be accepted, in words, e.g. `42 to 2000 mm`.
    pub allowed: String,
}

impl fmt::Display for ParamIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: allowed {}",
            self.field, self.value, self.allowed
        )
    }
}

impl fmt::Display for ParamErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParamIssue {}
impl std::error::Error for ParamErrors {}

/// Every field path a [`ParamIssue`] can name.
pub const PARAM_FIELDS: &[&str] = &[
    "width_mm",
    "height_mm",
    "printer.id",
    "printer.bed_x_mm",
    "printer.bed_y_mm",
    "connector.fit",
    "magnet_dims.diameter_mm",
    "magnet_dims.height_mm",
    "magnet_dims.top_mm",
    "magnet_dims.bottom_mm",
    "magnet_dims.border_mm",
    "magnet_dims.release_width_mm",
    "filler.denominator",
    "filler.min_mm",
    "alignment.x",
    "alignment.y",
    "corner_radius_mm",
];

/// Largest magnet pocket diameter and height, mm.
const MAGNET_MAX_MM: f64 = 10.0;
/// Largest roof or floor around the pocket, mm.
const MAGNET_SKIN_MAX_MM: f64 = 5.0;
/// The pad (pocket radius + border) must stay this far inside the 8 mm corner
/// inset, so that it keeps clear of the cell edge.
const MAGNET_EDGE_CLEARANCE_MM: f64 = 0.5;
/// Largest outer corner radius: the opening's top radius.
const CORNER_RADIUS_MAX_MM: f64 = 4.0;
/// Dynamic filler minimum, mm: a cell must be wider than the 8 mm cutter corners.
const DYNAMIC_MIN_MM: (f64, f64) = (9.0, 41.0);
/// Filler fraction denominators.
const DENOMINATORS: (u32, u32) = (2, 4);

/// The lattice-rounded values the layout works from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// Plate-set size (µm).
    pub size_um: [i64; 2],
    /// Usable bed (µm).
    pub bed_um: [i64; 2],
    /// Bed margin reserved for tabs during segmentation (µm).
    pub margin_um: i64,
    /// Connector protrusions (µm).
    pub tabs: Tabs,
    /// Cells and padding along x and y.
    pub axes: [AxisTrace; 2],
    /// Lowest z of the plates (µm).
    pub bottom_um: i64,
}

#[derive(Default)]
struct Issues(Vec<ParamIssue>);

impl Issues {
    fn push(&mut self, field: &str, value: impl fmt::Display, allowed: impl Into<String>) {
        self.0.push(ParamIssue {
            field: field.to_owned(),
            value: value.to_string(),
            allowed: allowed.into(),
        });
    }

    /// Checks `lo ≤ value ≤ hi` (NaN and infinities fail); true when it holds.
    fn range(&mut self, field: &str, value: f64, lo: f64, hi: f64, unit: &str) -> bool {
        let ok = value.is_finite() && (lo..=hi).contains(&value);
        if !ok {
            self.push(field, value, format!("{lo} to {hi}{unit}"));
        }
        ok
    }

    /// Checks `0 < value ≤ hi`; true when it holds.
    fn positive(&mut self, field: &str, value: f64, hi: f64) -> bool {
        let ok = value.is_finite() && value > 0.0 && value <= hi;
        if !ok {
            self.push(field, value, format!("more than 0 up to {hi} mm"));
        }
        ok
    }
}

/// Validates `params`; on success returns the values the layout needs.
pub(crate) fn validate(params: &Params) -> Result<Resolved, ParamErrors> {
    let mut issues = Issues::default();
    let max_mm = um_to_mm(MAX_SIDE_UM);
    let cell_mm = um_to_mm(CELL_UM);

    let width_ok = issues.range("width_mm", params.width_mm, cell_mm, max_mm, " mm");
    let height_ok = issues.range("height_mm", params.height_mm, cell_mm, max_mm, " mm");

    let margin_um = bed_margin_um(&params.connector);
    let bed = check_printer(&mut issues, &params.printer, cell_mm + um_to_mm(margin_um));

    if let Connector::IntersectionPuzzle { fit } = params.connector {
        issues.range("connector.fit", fit, 0.0, 1.0, " (0 = loose, 1 = tight)");
    }
    check_magnets(&mut issues, &params.magnet_dims);
    let filler_ok = check_filler(&mut issues, &params.filler);
    let align_x_ok = issues.range("alignment.x", params.alignment.x, 0.0, 1.0, "");
    let align_y_ok = issues.range("alignment.y", params.alignment.y, 0.0, 1.0, "");
    issues.range(
        "corner_radius_mm",
        params.corner_radius_mm,
        0.0,
        CORNER_RADIUS_MAX_MM,
        " mm",
    );

    let tabs = Tabs::of(&params.connector, params.magnets.enabled());
    let size_um = [
        lattice::mm_to_um(params.width_mm),
        lattice::mm_to_um(params.height_mm),
    ];
    let mut axes = None;
    if let (true, true, true, true, true, Some(bed_um)) =
        (width_ok, height_ok, filler_ok, align_x_ok, align_y_ok, bed)
    {
        let x = AxisTrace::new(size_um[0], &params.filler, params.alignment.x);
        let y = AxisTrace::new(size_um[1], &params.filler, params.alignment.y);
        // Padding is never split off into a plate of its own, so the end cells
        // with their padding and tabs must fit; name the bed, the one thing
        // that has to change for this size.
        for (axis, field, bed_field) in [
            (&x, bed_um[0], "printer.bed_x_mm"),
            (&y, bed_um[1], "printer.bed_y_mm"),
        ] {
            if !axis.can_fit(field, tabs) {
                issues.push(
                    bed_field,
                    um_to_mm(field),
                    format!(
                        "at least {} mm for this plate size, filler, alignment and connector",
                        um_to_mm(min_bed_um(axis, tabs))
                    ),
                );
            }
        }
        axes = Some([x, y]);
    }

    match (axes, bed) {
        (Some(axes), Some(bed_um)) if issues.0.is_empty() => Ok(Resolved {
            size_um,
            bed_um,
            margin_um,
            tabs,
            axes,
            bottom_um: -magnet_level_um(params.magnets, &params.magnet_dims),
        }),
        _ => Err(ParamErrors(issues.0)),
    }
}

/// Smallest bed on which [`AxisTrace::fallback`] fits.
fn min_bed_um(axis: &AxisTrace, tabs: Tabs) -> i64 {
    let per_cell = (0..axis.len())
        .map(|i| axis.extent(i..i + 1, tabs))
        .max()
        .unwrap_or(0);
    if axis.len() < 2 {
        axis.total()
    } else {
        per_cell.min(axis.total())
    }
}

/// Resolves the bed (µm) or records why it cannot be.
fn check_printer(issues: &mut Issues, printer: &Printer, min_mm: f64) -> Option<[i64; 2]> {
    let max_mm = um_to_mm(MAX_SIDE_UM);
    match printer {
        Printer::Profile { id } => match printers::find(id) {
            Some(p) => Some([lattice::mm_to_um(p.bed_x_mm), lattice::mm_to_um(p.bed_y_mm)]),
            None => {
                issues.push(
                    "printer.id",
                    format!("{id:?}"),
                    format!("one of {}", printers::id_list()),
                );
                None
            }
        },
        Printer::Custom { bed_x_mm, bed_y_mm } => {
            let unit = " mm (one cell plus the connector margin, up to 2000)";
            let x_ok = issues.range("printer.bed_x_mm", *bed_x_mm, min_mm, max_mm, unit);
            let y_ok = issues.range("printer.bed_y_mm", *bed_y_mm, min_mm, max_mm, unit);
            (x_ok && y_ok).then(|| [lattice::mm_to_um(*bed_x_mm), lattice::mm_to_um(*bed_y_mm)])
        }
    }
}

fn check_magnets(issues: &mut Issues, dims: &MagnetDims) {
    let diameter_ok = issues.positive("magnet_dims.diameter_mm", dims.diameter_mm, MAGNET_MAX_MM);
    issues.positive("magnet_dims.height_mm", dims.height_mm, MAGNET_MAX_MM);
    issues.positive("magnet_dims.top_mm", dims.top_mm, MAGNET_SKIN_MAX_MM);
    issues.positive("magnet_dims.bottom_mm", dims.bottom_mm, MAGNET_SKIN_MAX_MM);
    let pad_max = um_to_mm(MAGNET_INSET_UM) - MAGNET_EDGE_CLEARANCE_MM;
    let border_ok = issues.positive("magnet_dims.border_mm", dims.border_mm, pad_max);
    if diameter_ok && border_ok && dims.diameter_mm / 2.0 + dims.border_mm > pad_max {
        issues.push(
            "magnet_dims.border_mm",
            format!(
                "{} (with diameter_mm = {})",
                dims.border_mm, dims.diameter_mm
            ),
            format!(
                "diameter_mm / 2 + border_mm at most {pad_max} mm, so the pad stays inside the cell"
            ),
        );
    }
    let release_max = if diameter_ok {
        dims.diameter_mm
    } else {
        MAGNET_MAX_MM
    };
    issues.range(
        "magnet_dims.release_width_mm",
        dims.release_width_mm,
        0.0,
        release_max,
        " mm (0 = no release slot, at most the diameter)",
    );
}

fn check_filler(issues: &mut Issues, filler: &Filler) -> bool {
    match *filler {
        Filler::None => true,
        Filler::Fraction { denominator } => {
            let (lo, hi) = DENOMINATORS;
            let ok = (lo..=hi).contains(&denominator);
            if !ok {
                issues.push("filler.denominator", denominator, format!("{lo} to {hi}"));
            }
            ok
        }
        Filler::Dynamic { min_mm } => {
            let (lo, hi) = DYNAMIC_MIN_MM;
            issues.range("filler.min_mm", min_mm, lo, hi, " mm")
        }
    }
}

/// Height of the magnet layer below the profile (µm), per style (spec §2).
fn magnet_level_um(style: Magnets, dims: &MagnetDims) -> i64 {
    let um = lattice::mm_to_um;
    let (top, bottom, height) = (um(dims.top_mm), um(dims.bottom_mm), um(dims.height_mm));
    match style {
        Magnets::None => 0,
        Magnets::PressFit => top + bottom + height,
        Magnets::GlueTop => bottom + height,
        Magnets::GlueBottom => top + height,
    }
}

#[cfg(test)]
mod tests;
