//! From what a caller asks for to validated gridflock-core parameters.
//!
//! gridflock-core validates sizes and bed fit itself and names its fields in
//! snake case (`width_mm`, `printer.bed_x_mm`); callers of this service
//! speak camelCase JSON, so every problem is renamed to the field the caller
//! actually sent before it becomes a 422.

use gridflock_core::{Connector, Magnets, ParamErrors, Params, Plan, Printer, printers};
use service_common::FieldError;
use service_common::contracts::{ConnectorType, PrintSettings};

/// The customer's choices for one plate set.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Drawer width, mm.
    pub width_mm: f64,
    /// Drawer depth, mm.
    pub height_mm: f64,
    /// Connector between plates.
    pub connector: ConnectorType,
    /// Press-fit magnets or none.
    pub magnets: bool,
    /// Printer profile id (gridflock-core's table).
    pub printer_profile: String,
}

/// Printer profile used when a storefront request names none.
pub const DEFAULT_PRINTER_PROFILE: &str = "bambu-a1";

/// Valid parameters and their plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// What gridflock-core was given.
    pub params: Params,
    /// Its plan.
    pub plan: Plan,
    /// The SKU, e.g. `GF-450x320-IP-MAG`.
    pub sku: String,
}

impl Choice {
    /// Parameters for this choice: the SKU's defaults (press-fit magnets,
    /// tight intersection puzzle) on the chosen printer's bed.
    pub fn params(&self) -> Params {
        Params {
            printer: Printer::Profile {
                id: self.printer_profile.clone(),
            },
            connector: connector(self.connector),
            magnets: if self.magnets {
                Magnets::PressFit
            } else {
                Magnets::None
            },
            ..Params::new(self.width_mm, self.height_mm)
        }
    }

    /// Validates and plans; `profile_field` is how the caller named the
    /// printer profile (`printerProfile` or `printSettings.printerProfile`).
    pub fn plan(&self, profile_field: &str) -> Result<Planned, Vec<FieldError>> {
        if printers::find(&self.printer_profile).is_none() {
            return Err(vec![unknown_profile(profile_field, &self.printer_profile)]);
        }
        let params = self.params();
        match gridflock_core::plan(&params) {
            Ok(plan) => Ok(Planned {
                sku: gridflock_core::sku::sku(&params),
                params,
                plan,
            }),
            Err(errors) => Err(rename(&errors, profile_field)),
        }
    }
}

/// The core connector for an API connector type.
pub fn connector(t: ConnectorType) -> Connector {
    match t {
        ConnectorType::IntersectionPuzzle => Connector::default(),
        ConnectorType::EdgePuzzle => Connector::EdgePuzzle,
        ConnectorType::None => Connector::None,
    }
}

/// Parses `intersection-puzzle`, `edge-puzzle` or `none`.
pub fn parse_connector(field: &str, raw: &str) -> Result<ConnectorType, FieldError> {
    match raw.trim() {
        "intersection-puzzle" => Ok(ConnectorType::IntersectionPuzzle),
        "edge-puzzle" => Ok(ConnectorType::EdgePuzzle),
        "none" => Ok(ConnectorType::None),
        other => Err(FieldError::new(
            field,
            format!("is {other:?}; allowed: intersection-puzzle, edge-puzzle or none"),
        )),
    }
}

fn unknown_profile(field: &str, id: &str) -> FieldError {
    let ids: Vec<&str> = printers::PRINTERS.iter().map(|p| p.id).collect();
    FieldError::new(
        field,
        format!("is {id:?}; allowed: one of {}", ids.join(", ")),
    )
}

/// gridflock-core's problems under the caller's field names.
fn rename(errors: &ParamErrors, profile_field: &str) -> Vec<FieldError> {
    errors
        .0
        .iter()
        .map(|issue| {
            let field = match issue.field.as_str() {
                "width_mm" => "widthMm".to_owned(),
                "height_mm" => "heightMm".to_owned(),
                // The bed belongs to the profile: a size whose single cell
                // (with padding and tabs) does not fit is a wrong printer.
                f if f.starts_with("printer.") => profile_field.to_owned(),
                other => camel_case(other),
            };
            FieldError::new(
                field,
                format!("is {}; allowed {}", issue.value, issue.allowed),
            )
        })
        .collect()
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks a tenant's print settings (the slicer's own limits come on top).
pub fn check_print_settings(settings: &PrintSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let nozzle = settings.nozzle_diameter_mm;
    if !(0.2..=1.0).contains(&nozzle) {
        errors.push(FieldError::new(
            "printSettings.nozzleDiameterMm",
            format!("is {nozzle}; allowed 0.2 to 1.0 mm"),
        ));
    }
    let layer = settings.layer_height_mm;
    let layer_max = if (0.2..=1.0).contains(&nozzle) {
        0.8 * nozzle
    } else {
        0.8
    };
    if !(0.05..=layer_max).contains(&layer) {
        errors.push(FieldError::new(
            "printSettings.layerHeightMm",
            format!("is {layer}; allowed 0.05 to {layer_max:.2} mm (0.8 × nozzle diameter)"),
        ));
    }
    if settings.infill_percent > 100 {
        errors.push(FieldError::new(
            "printSettings.infillPercent",
            format!("is {}; allowed 0 to 100", settings.infill_percent),
        ));
    }
    let filament = settings.filament.trim();
    if filament.is_empty()
        || filament.len() > 32
        || !filament
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'_' | b' '))
    {
        errors.push(FieldError::new(
            "printSettings.filament",
            format!(
                "is {filament:?}; allowed 1 to 32 letters, digits, spaces, '-', '+' or '_' (e.g. PLA, PETG)"
            ),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(w: f64, h: f64) -> Choice {
        Choice {
            width_mm: w,
            height_mm: h,
            connector: ConnectorType::IntersectionPuzzle,
            magnets: true,
            printer_profile: "bambu-a1".to_owned(),
        }
    }

    #[test]
    fn plans_and_names_the_sku() {
        let planned = choice(450.0, 320.0).plan("printerProfile").expect("valid");
        assert_eq!(planned.sku, "GF-450x320-IP-MAG");
        assert!(planned.plan.plates.len() >= 4);
        // The same parameters the SKU stands for, on the chosen printer.
        let from_sku = gridflock_core::sku::parse_sku("GF-450x320-IP-MAG")
            .expect("sku")
            .to_params();
        assert_eq!(
            planned.params,
            Params {
                printer: Printer::Profile {
                    id: "bambu-a1".to_owned()
                },
                ..from_sku
            }
        );
    }

    #[test]
    fn sizes_out_of_range_name_the_camel_case_field_and_range() {
        let errors = choice(41.0, 2001.0)
            .plan("printerProfile")
            .expect_err("range");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["widthMm", "heightMm"]);
        assert!(
            errors[0].message.contains("42 to 2000 mm"),
            "{:?}",
            errors[0]
        );
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let mut c = choice(100.0, 100.0);
        c.printer_profile = "bambu-z9".to_owned();
        let errors = c.plan("printSettings.printerProfile").expect_err("profile");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "printSettings.printerProfile");
        assert!(errors[0].message.contains("prusa-mk4"), "{:?}", errors[0]);
    }

    #[test]
    fn print_settings_ranges() {
        assert!(check_print_settings(&PrintSettings::default()).is_empty());
        let bad = PrintSettings {
            printer_profile: "bambu-a1".to_owned(),
            nozzle_diameter_mm: 0.4,
            layer_height_mm: 0.4,
            infill_percent: 101,
            filament: "PLA; rm -rf".to_owned(),
        };
        let fields: Vec<String> = check_print_settings(&bad)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "printSettings.layerHeightMm",
                "printSettings.infillPercent",
                "printSettings.filament"
            ]
        );
    }

    #[test]
    fn connectors_parse_by_their_api_names() {
        assert_eq!(
            parse_connector("connectorType", "edge-puzzle").expect("ok"),
            ConnectorType::EdgePuzzle
        );
        let e = parse_connector("connectorType", "glue").expect_err("bad");
        assert_eq!(e.field, "connectorType");
        assert_eq!(camel_case("magnet_dims.top_mm"), "magnetDims.topMm");
    }
}
