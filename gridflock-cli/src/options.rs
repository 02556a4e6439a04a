//! Options shared by `plan`, `generate` and `batch`, and how they become [`Params`].

use crate::error::CliError;
use clap::ValueEnum;
use gridflock_core::{Connector, Filler, Magnets, Params, Printer};

/// How neighbouring plates lock together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConnectorArg {
    /// Jigsaw joints at grid intersections on every seam.
    Intersection,
    /// Dovetail tabs in the middle of cell edges on every seam.
    Edge,
    /// Plates simply lie side by side.
    None,
}

/// Magnet pockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MagnetsArg {
    /// No magnets.
    None,
    /// Magnets slide in sideways; release slot below.
    PressFit,
    /// Pocket open at the top.
    GlueTop,
    /// Pocket open at the bottom.
    GlueBottom,
}

/// What fills a remainder narrower than a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FillerArg {
    /// Whole cells only; the rest is padding.
    None,
    /// Half cells.
    Half,
    /// Third cells.
    Third,
    /// Quarter cells.
    Quarter,
    /// One filler cell as wide as the remainder (at least 15 mm).
    Dynamic,
}

/// Minimum width of a dynamic filler cell (GridFlock's default), in mm.
const DYNAMIC_FILLER_MIN_MM: f64 = 15.0;

/// Plate-set options shared by every generating subcommand.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct PlateOptions {
    /// Built-in printer profile whose bed every plate must fit (e.g. bambu-a1, prusa-mk4).
    #[arg(long, value_name = "ID", conflicts_with = "bed")]
    pub(crate) printer: Option<String>,
    /// Custom bed size in mm, e.g. 250x210 (default without --printer: 250x220).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub(crate) bed: Option<(f64, f64)>,
    /// How neighbouring plates lock together.
    #[arg(long, value_enum, default_value = "intersection")]
    pub(crate) connector: ConnectorArg,
    /// Fit of the intersection puzzle: 1 = tight, 0 = loose.
    #[arg(long, value_name = "0..1")]
    pub(crate) fit: Option<f64>,
    /// Magnet pockets in the cell corners.
    #[arg(long, value_enum, default_value = "none")]
    pub(crate) magnets: MagnetsArg,
    /// What fills a remainder narrower than a whole cell.
    #[arg(long, value_enum, default_value = "half")]
    pub(crate) filler: FillerArg,
    /// Do not engrave plate numbers on the underside.
    #[arg(long)]
    pub(crate) no_numbering: bool,
}

impl PlateOptions {
    /// The parameters for a `width × height` mm plate set with these options.
    pub(crate) fn params(&self, width_mm: f64, height_mm: f64) -> Result<Params, CliError> {
        let mut params = Params::new(width_mm, height_mm);
        if let Some(id) = &self.printer {
            params.printer = printer(id)?;
        } else if let Some((bed_x_mm, bed_y_mm)) = self.bed {
            params.printer = Printer::Custom { bed_x_mm, bed_y_mm };
        }
        params.connector = connector(self.connector, self.fit)?;
        params.magnets = magnets(self.magnets);
        params.filler = match self.filler {
            FillerArg::None => Filler::None,
            FillerArg::Half => Filler::Fraction { denominator: 2 },
            FillerArg::Third => Filler::Fraction { denominator: 3 },
            FillerArg::Quarter => Filler::Fraction { denominator: 4 },
            FillerArg::Dynamic => Filler::Dynamic {
                min_mm: DYNAMIC_FILLER_MIN_MM,
            },
        };
        params.numbering = !self.no_numbering;
        Ok(params)
    }
}

/// A printer given by profile id, or a custom bed written `WxH`.
pub(crate) fn printer(text: &str) -> Result<Printer, CliError> {
    if let Some(profile) = gridflock_core::printers::find(text) {
        return Ok(Printer::Profile {
            id: profile.id.to_owned(),
        });
    }
    if let Ok((bed_x_mm, bed_y_mm)) = parse_size(text) {
        return Ok(Printer::Custom { bed_x_mm, bed_y_mm });
    }
    let ids: Vec<&str> = gridflock_core::printers::PRINTERS
        .iter()
        .map(|p| p.id)
        .collect();
    Err(CliError::new(format!(
        "unknown printer `{text}`; known printers: {} (or a bed size like 250x210)",
        ids.join(", ")
    )))
}

pub(crate) fn connector(arg: ConnectorArg, fit: Option<f64>) -> Result<Connector, CliError> {
    match (arg, fit) {
        (ConnectorArg::Intersection, fit) => Ok(Connector::IntersectionPuzzle {
            fit: fit.unwrap_or(1.0),
        }),
        (_, Some(_)) => Err(CliError::new(
            "--fit applies only to --connector intersection",
        )),
        (ConnectorArg::Edge, None) => Ok(Connector::EdgePuzzle),
        (ConnectorArg::None, None) => Ok(Connector::None),
    }
}

pub(crate) fn magnets(arg: MagnetsArg) -> Magnets {
    match arg {
        MagnetsArg::None => Magnets::None,
        MagnetsArg::PressFit => Magnets::PressFit,
        MagnetsArg::GlueTop => Magnets::GlueTop,
        MagnetsArg::GlueBottom => Magnets::GlueBottom,
    }
}

/// Parses `450x320` (or `450.5X320`) into millimetres.
pub(crate) fn parse_size(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("`{text}` is not a size like 450x320 (width x depth in mm)");
    let (w, h) = text.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let w: f64 = w.trim().parse().map_err(|_| bad())?;
    let h: f64 = h.trim().parse().map_err(|_| bad())?;
    if !(w.is_finite() && h.is_finite()) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Formats millimetres without trailing zeros (`450`, `20.5`).
pub(crate) fn mm(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("450x320"), Ok((450.0, 320.0)));
        assert_eq!(parse_size(" 84.5 X 42 "), Ok((84.5, 42.0)));
        assert!(parse_size("450").is_err());
        assert!(parse_size("ax3").is_err());
        assert!(parse_size("infx3").is_err());
    }

    #[test]
    fn fit_only_for_intersection() {
        assert!(connector(ConnectorArg::Edge, Some(0.5)).is_err());
        assert_eq!(
            connector(ConnectorArg::Intersection, None).ok(),
            Some(Connector::IntersectionPuzzle { fit: 1.0 })
        );
    }

    #[test]
    fn printer_by_bed_size() {
        assert_eq!(
            printer("250x210").ok(),
            Some(Printer::Custom {
                bed_x_mm: 250.0,
                bed_y_mm: 210.0
            })
        );
    }

    #[test]
    fn mm_is_short() {
        assert_eq!(mm(450.0), "450");
        assert_eq!(mm(20.5), "20.5");
        assert_eq!(mm(0.1 + 0.2), "0.3");
    }
}
