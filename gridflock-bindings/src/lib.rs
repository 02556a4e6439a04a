//! The option set the Python, Node and WASM bindings share, and its
//! conversion to [`gridflock_core::Params`].
//!
//! Bindings take flat keyword-style options (`printer="bambu-a1"`,
//! `connector="edge"`, `magnets="press-fit"`) rather than the nested,
//! tagged [`Params`]. This crate maps those options to `Params` and reports
//! bad option values as [`ParamIssue`]s, exactly like the core reports bad
//! numbers, so that every host raises one kind of error naming the field and
//! what is allowed. It contains no geometry and does no I/O.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use gridflock_core::export::threemf;
pub use gridflock_core::export::threemf::ThreeMfError;
use gridflock_core::{
    Alignment, Connector, Filler, MagnetDims, Magnets, Mesh, ParamErrors, ParamIssue, Params, Plan,
    Printer,
};
use serde::{Deserialize, Serialize};

/// Accepted `connector` names.
pub const CONNECTORS: &[&str] = &["intersection", "edge", "none"];
/// Accepted `magnets` names.
pub const MAGNETS: &[&str] = &["none", "press-fit", "glue-top", "glue-bottom"];
/// What `filler` accepts, in words.
pub const FILLER_ALLOWED: &str = "none, dynamic, 1/2, 1/3 or 1/4";

/// Flat binding options; every field is optional and defaults to [`Params::default`].
///
/// Field names are those of [`Params`]; enums are strings, pairs are arrays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Plate-set width along x, mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width_mm: Option<f64>,
    /// Plate-set depth along y, mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_mm: Option<f64>,
    /// Built-in printer profile id (see [`gridflock_core::printers::PRINTERS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    /// Custom bed `[x, y]` in mm (instead of `printer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bed: Option<[f64; 2]>,
    /// `intersection`, `edge` or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    /// Intersection-puzzle fit, 0 (loose) to 1 (tight).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<f64>,
    /// `none`, `press-fit`, `glue-top` or `glue-bottom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magnets: Option<String>,
    /// Magnet pocket dimensions; missing fields keep their defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magnet_dims: Option<MagnetDims>,
    /// `none`, `dynamic`, or a fraction `1/2`, `1/3`, `1/4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filler: Option<String>,
    /// Smallest dynamic filler cell, mm (only with `filler = "dynamic"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filler_min_mm: Option<f64>,
    /// Grid placement inside the padding `[x, y]`, 0 to 1 each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alignment: Option<[f64; 2]>,
    /// Engrave plate numbers on the underside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numbering: Option<bool>,
    /// Outer plate-corner radius, mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corner_radius_mm: Option<f64>,
}

/// Default smallest dynamic filler cell, mm (GridFlock's `filler_minimum_size`).
pub const DEFAULT_FILLER_MIN_MM: f64 = 15.0;

fn issue(field: &str, value: impl ToString, allowed: impl Into<String>) -> ParamIssue {
    ParamIssue {
        field: field.to_owned(),
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

impl Options {
    /// Converts to core [`Params`]. Unknown names (connector, magnets,
    /// filler) and conflicting options become issues; numbers are checked
    /// later by [`gridflock_core::plan`].
    pub fn to_params(&self) -> Result<Params, ParamErrors> {
        let (params, issues) = self.to_params_lenient();
        if issues.is_empty() {
            Ok(params)
        } else {
            Err(ParamErrors(issues))
        }
    }

    /// Like [`Options::to_params`], but returns the issues beside params in
    /// which every bad option kept its default.
    fn to_params_lenient(&self) -> (Params, Vec<ParamIssue>) {
        let mut issues = Vec::new();
        let mut p = Params::default();
        if let Some(w) = self.width_mm {
            p.width_mm = w;
        }
        if let Some(h) = self.height_mm {
            p.height_mm = h;
        }
        match (&self.printer, self.bed) {
            (Some(_), Some(_)) => issues.push(issue(
                "bed",
                "given together with printer",
                "either printer or bed, not both",
            )),
            (Some(id), None) => p.printer = Printer::Profile { id: id.clone() },
            (None, Some([x, y])) => {
                p.printer = Printer::Custom {
                    bed_x_mm: x,
                    bed_y_mm: y,
                };
            }
            (None, None) => {}
        }
        let fit = self.fit.unwrap_or(1.0);
        match self.connector.as_deref() {
            None | Some("intersection") => p.connector = Connector::IntersectionPuzzle { fit },
            Some("edge") => p.connector = Connector::EdgePuzzle,
            Some("none") => p.connector = Connector::None,
            Some(other) => issues.push(issue("connector", other, CONNECTORS.join(", "))),
        }
        match self.magnets.as_deref().map(parse_magnets) {
            None => {}
            Some(Some(m)) => p.magnets = m,
            Some(None) => issues.push(issue(
                "magnets",
                self.magnets.as_deref().unwrap_or_default(),
                MAGNETS.join(", "),
            )),
        }
        if let Some(d) = self.magnet_dims {
            p.magnet_dims = d;
        }
        let min_mm = self.filler_min_mm.unwrap_or(DEFAULT_FILLER_MIN_MM);
        match self.filler.as_deref() {
            None => {}
            Some("none") => p.filler = Filler::None,
            Some("dynamic") => p.filler = Filler::Dynamic { min_mm },
            Some(text) => match text.strip_prefix("1/").and_then(|d| d.parse::<u32>().ok()) {
                Some(denominator) => p.filler = Filler::Fraction { denominator },
                None => issues.push(issue("filler", text, FILLER_ALLOWED)),
            },
        }
        if let Some([x, y]) = self.alignment {
            p.alignment = Alignment { x, y };
        }
        if let Some(n) = self.numbering {
            p.numbering = n;
        }
        if let Some(r) = self.corner_radius_mm {
            p.corner_radius_mm = r;
        }
        (p, issues)
    }

    /// Converts and plans: [`Options::to_params`] then [`gridflock_core::plan`].
    /// Every problem is reported at once: bad option names together with the
    /// core's findings on the remaining values.
    pub fn plan(&self) -> Result<Plan, ParamErrors> {
        let (params, mut issues) = self.to_params_lenient();
        match gridflock_core::plan(&params) {
            Ok(plan) if issues.is_empty() => Ok(plan),
            Ok(_) => Err(ParamErrors(issues)),
            Err(ParamErrors(more)) => {
                issues.extend(more);
                Err(ParamErrors(issues))
            }
        }
    }

    /// The same options with another size (used by batch generation).
    pub fn with_size(&self, width_mm: f64, height_mm: f64) -> Options {
        Options {
            width_mm: Some(width_mm),
            height_mm: Some(height_mm),
            ..self.clone()
        }
    }
}

/// Parses a `magnets` name.
pub fn parse_magnets(name: &str) -> Option<Magnets> {
    Some(match name {
        "none" => Magnets::None,
        "press-fit" => Magnets::PressFit,
        "glue-top" => Magnets::GlueTop,
        "glue-bottom" => Magnets::GlueBottom,
        _ => return None,
    })
}

/// The `magnets` name of a style.
pub fn magnets_name(m: Magnets) -> &'static str {
    match m {
        Magnets::None => "none",
        Magnets::PressFit => "press-fit",
        Magnets::GlueTop => "glue-top",
        Magnets::GlueBottom => "glue-bottom",
    }
}

/// The `connector` name of a connector.
pub fn connector_name(c: &Connector) -> &'static str {
    match c {
        Connector::IntersectionPuzzle { .. } => "intersection",
        Connector::EdgePuzzle => "edge",
        Connector::None => "none",
    }
}

/// A multi-line message naming every field and what it allows, for host exceptions.
pub fn error_message(errors: &ParamErrors) -> String {
    let mut out = String::from("invalid gridflock parameters: ");
    out.push_str(&errors.to_string());
    out
}

/// Micrometres to millimetres, for plan sizes handed to hosts.
pub fn mm(um: i64) -> f64 {
    gridflock_core::lattice::um_to_mm(um)
}

/// 3MF package of plates `(number, mesh)` of the set `sku`, each object
/// named `<SKU> plate <number>`.
pub fn threemf(sku: &str, plates: &[(u32, &Mesh)]) -> Result<Vec<u8>, ThreeMfError> {
    let names: Vec<String> = plates
        .iter()
        .map(|(n, _)| format!("{sku} plate {n}"))
        .collect();
    let named: Vec<(&str, &Mesh)> = names
        .iter()
        .zip(plates)
        .map(|(name, (_, mesh))| (name.as_str(), *mesh))
        .collect();
    threemf::write(&named)
}

/// File name of the 3MF package of a whole set: `<SKU>.3mf`.
pub fn set_file_name(sku: &str) -> String {
    format!("{sku}.3mf")
}

/// File name of plate `number` of a set: `<SKU>-p<number>.stl`.
pub fn plate_file_name(sku: &str, number: u32) -> String {
    format!("{sku}-p{number}.stl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_options_are_core_defaults() {
        assert_eq!(Options::default().to_params(), Ok(Params::default()));
    }

    #[test]
    fn names_map_to_core_types() {
        let o = Options {
            printer: Some("bambu-a1".into()),
            connector: Some("edge".into()),
            magnets: Some("glue-bottom".into()),
            filler: Some("dynamic".into()),
            alignment: Some([0.0, 1.0]),
            ..Options::default()
        };
        let p = o.to_params().expect("valid");
        assert_eq!(
            p.printer,
            Printer::Profile {
                id: "bambu-a1".into()
            }
        );
        assert_eq!(p.connector, Connector::EdgePuzzle);
        assert_eq!(p.magnets, Magnets::GlueBottom);
        assert_eq!(p.filler, Filler::Dynamic { min_mm: 15.0 });
        assert_eq!(p.alignment, Alignment { x: 0.0, y: 1.0 });
        for name in MAGNETS {
            assert_eq!(parse_magnets(name).map(magnets_name), Some(*name));
        }
    }

    #[test]
    fn bad_names_name_their_field() {
        let o = Options {
            connector: Some("glue".into()),
            magnets: Some("lots".into()),
            filler: Some("third".into()),
            printer: Some("x".into()),
            bed: Some([1.0, 2.0]),
            ..Options::default()
        };
        let fields: Vec<String> = o
            .to_params()
            .expect_err("invalid")
            .0
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(fields, ["bed", "connector", "magnets", "filler"]);
    }
}
