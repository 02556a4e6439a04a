//! GRID-CUSTOM line items: the customer's drawer size, connector and
//! magnets arrive as line item properties; they become the deterministic
//! SKU (`GF-450x320-IP-MAG`) and plan hash the product mapping is keyed on.

use crate::shopify::order::Property;
use service_common::contracts::{ConnectorType, PrintSettings, baseplate_params};

/// Line items whose SKU starts with this are custom baseplates.
pub const SKU_PREFIX: &str = "GRID-CUSTOM";

/// Accepted drawer sides in whole mm (one cell up to the generator's limit).
pub const SIDE_MM: std::ops::RangeInclusive<u32> = 42..=2000;

/// What a GRID-CUSTOM line item asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseplate {
    /// Drawer width, whole mm.
    pub width_mm: u32,
    /// Drawer depth, whole mm.
    pub height_mm: u32,
    /// Connector.
    pub connector: ConnectorType,
    /// Press-fit magnets.
    pub magnets: bool,
}

/// Planned for a tenant's printer: the SKU and the plan hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// e.g. `GF-450x320-IP-MAG`.
    pub sku: String,
    /// BLAKE3 of the plan and the slicer settings.
    pub plan_hash: String,
}

/// A property that is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyError {
    /// The property name as the storefront sends it.
    pub property: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl std::fmt::Display for PropertyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "property \"{}\" {}", self.property, self.message)
    }
}

/// Whether the line item is a custom baseplate.
pub fn is_gridflock(item_sku: Option<&str>) -> bool {
    item_sku.is_some_and(|s| {
        s.len() >= SKU_PREFIX.len() && s[..SKU_PREFIX.len()].eq_ignore_ascii_case(SKU_PREFIX)
    })
}

/// Reads the baseplate from the properties; every problem is reported.
pub fn read(properties: &[Property]) -> Result<Baseplate, Vec<PropertyError>> {
    let mut errors = Vec::new();
    let width = side(properties, &["Width (mm)"], &mut errors);
    let height = side(properties, &["Height (mm)", "Depth (mm)"], &mut errors);
    let connector = text(properties, &["Connector"], &mut errors).and_then(|(name, v)| {
        parse_connector(&v).or_else(|| {
            errors.push(PropertyError {
                property: name,
                message: format!(
                    "is {v:?}; allowed \"Intersection puzzle\", \"Edge puzzle\" or \"None\""
                ),
            });
            None
        })
    });
    let magnets = text(properties, &["Magnets"], &mut errors).and_then(|(name, v)| {
        parse_yes_no(&v).or_else(|| {
            errors.push(PropertyError {
                property: name,
                message: format!("is {v:?}; allowed \"Yes\", \"No\", \"true\" or \"false\""),
            });
            None
        })
    });
    match (width, height, connector, magnets) {
        (Some(width_mm), Some(height_mm), Some(connector), Some(magnets)) if errors.is_empty() => {
            Ok(Baseplate {
                width_mm,
                height_mm,
                connector,
                magnets,
            })
        }
        _ => Err(errors),
    }
}

impl Baseplate {
    /// Plans the set for `settings`' printer: SKU and plan hash, or why it
    /// cannot be planned (reported against the size properties).
    pub fn plan(&self, settings: &PrintSettings) -> Result<Planned, Vec<PropertyError>> {
        let params = baseplate_params(
            self.width_mm,
            self.height_mm,
            self.connector,
            self.magnets,
            &settings.printer_profile,
        );
        match gridflock_core::plan(&params) {
            Ok(plan) => Ok(Planned {
                sku: gridflock_core::sku::sku(&params),
                plan_hash: gridflock_core::hash::plan_hash(&plan, &settings.slicer_profile_key()),
            }),
            Err(errors) => Err(errors
                .0
                .iter()
                .map(|issue| PropertyError {
                    property: match issue.field.as_str() {
                        "width_mm" => "Width (mm)".to_owned(),
                        "height_mm" => "Height (mm)".to_owned(),
                        other => format!("tenant print settings: {other}"),
                    },
                    message: format!("is {}; allowed {}", issue.value, issue.allowed),
                })
                .collect()),
        }
    }
}

/// The property's single value as text; several different values or a
/// non-text value are errors.
fn text(
    properties: &[Property],
    names: &[&str],
    errors: &mut Vec<PropertyError>,
) -> Option<(String, String)> {
    let wanted = |p: &&Property| names.iter().any(|n| p.name.trim().eq_ignore_ascii_case(n));
    let Some(first) = properties.iter().find(wanted) else {
        errors.push(PropertyError {
            property: names[0].to_owned(),
            message: "is missing".to_owned(),
        });
        return None;
    };
    let mut values = Vec::new();
    for p in properties.iter().filter(wanted) {
        match &p.value {
            serde_json::Value::String(s) => values.push(s.trim().to_owned()),
            serde_json::Value::Number(n) => values.push(n.to_string()),
            other => {
                errors.push(PropertyError {
                    property: p.name.clone(),
                    message: format!("is {other}, not text"),
                });
                return None;
            }
        }
    }
    values.dedup();
    if values.len() > 1 {
        errors.push(PropertyError {
            property: first.name.clone(),
            message: format!("has conflicting values {values:?}"),
        });
        return None;
    }
    let value = values.pop().unwrap_or_default();
    if value.is_empty() {
        errors.push(PropertyError {
            property: first.name.clone(),
            message: "is empty".to_owned(),
        });
        return None;
    }
    Some((first.name.clone(), value))
}

fn side(properties: &[Property], names: &[&str], errors: &mut Vec<PropertyError>) -> Option<u32> {
    let (name, raw) = text(properties, names, errors)?;
    let range = format!("{} to {} mm", SIDE_MM.start(), SIDE_MM.end());
    match parse_mm(&raw) {
        Some(mm) if SIDE_MM.contains(&mm) => Some(mm),
        Some(mm) => {
            errors.push(PropertyError {
                property: name,
                message: format!("is {mm} mm; allowed {range}"),
            });
            None
        }
        None => {
            errors.push(PropertyError {
                property: name,
                message: format!("is {raw:?}, not a number of mm; allowed {range}"),
            });
            None
        }
    }
}

/// `"450"`, `"450.4"`, `"450 mm"`, `"450,6mm"` → whole mm, halves rounded up.
pub fn parse_mm(raw: &str) -> Option<u32> {
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    let number = lower.strip_suffix("mm").unwrap_or(&lower).trim();
    // A decimal comma, as European storefront visitors type it.
    let number = if number.matches(',').count() == 1 && !number.contains('.') {
        number.replace(',', ".")
    } else {
        number.to_owned()
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() || value > 1e6 {
        return None;
    }
    Some((value + 0.5).floor() as u32)
}

fn parse_connector(raw: &str) -> Option<ConnectorType> {
    let key: String = raw
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match key.as_str() {
        "intersectionpuzzle" | "intersection" | "ip" => Some(ConnectorType::IntersectionPuzzle),
        "edgepuzzle" | "edge" | "ep" => Some(ConnectorType::EdgePuzzle),
        "none" | "no" | "nc" => Some(ConnectorType::None),
        _ => None,
    }
}

fn parse_yes_no(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Some(true),
        "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(pairs: &[(&str, serde_json::Value)]) -> Vec<Property> {
        pairs
            .iter()
            .map(|(n, v)| Property {
                name: (*n).to_owned(),
                value: v.clone(),
            })
            .collect()
    }

    fn good() -> Vec<Property> {
        props(&[
            ("Width (mm)", json!("450")),
            ("Height (mm)", json!("320 mm")),
            ("Connector", json!("Intersection puzzle")),
            ("Magnets", json!("Yes")),
            ("_config_id", json!("cfg_8f2a")),
        ])
    }

    #[test]
    fn detects_the_prefix_case_insensitively() {
        assert!(is_gridflock(Some("GRID-CUSTOM")));
        assert!(is_gridflock(Some("grid-custom-pla-black")));
        assert!(!is_gridflock(Some("GRID")));
        assert!(!is_gridflock(Some("GF-BASEPLATE-CUSTOM")));
        assert!(!is_gridflock(None));
    }

    #[test]
    fn reads_a_complete_configuration() {
        let b = read(&good()).expect("valid");
        assert_eq!(
            b,
            Baseplate {
                width_mm: 450,
                height_mm: 320,
                connector: ConnectorType::IntersectionPuzzle,
                magnets: true
            }
        );
        let planned = b.plan(&PrintSettings::default()).expect("plans");
        assert_eq!(planned.sku, "GF-450x320-IP-MAG");
        assert_eq!(planned.plan_hash.len(), 64);
    }

    #[test]
    fn same_dimensions_same_sku_and_hash_other_settings_other_hash() {
        let a = read(&good())
            .expect("valid")
            .plan(&PrintSettings::default())
            .expect("plans");
        let mut p = good();
        p[0].value = json!("449.6");
        p[1].value = json!("320,2mm");
        let b = read(&p)
            .expect("valid")
            .plan(&PrintSettings::default())
            .expect("plans");
        assert_eq!(a, b);
        let thicker = PrintSettings {
            layer_height_mm: 0.28,
            ..PrintSettings::default()
        };
        let c = read(&good()).expect("valid").plan(&thicker).expect("plans");
        assert_eq!(c.sku, a.sku);
        assert_ne!(c.plan_hash, a.plan_hash);
    }

    #[test]
    fn parses_sizes_leniently_but_not_loosely() {
        assert_eq!(parse_mm("450"), Some(450));
        assert_eq!(parse_mm(" 450.5 MM "), Some(451));
        assert_eq!(parse_mm("450.49"), Some(450));
        assert_eq!(parse_mm("320,6"), Some(321));
        assert_eq!(parse_mm("-5"), None);
        assert_eq!(parse_mm("45 cm"), None);
        assert_eq!(parse_mm("1e3"), None);
        assert_eq!(parse_mm(""), None);
    }

    #[test]
    fn accepts_the_documented_spellings() {
        for (raw, want) in [
            ("Intersection puzzle", ConnectorType::IntersectionPuzzle),
            ("INTERSECTION-PUZZLE", ConnectorType::IntersectionPuzzle),
            ("Edge puzzle", ConnectorType::EdgePuzzle),
            ("none", ConnectorType::None),
        ] {
            assert_eq!(parse_connector(raw), Some(want), "{raw}");
        }
        for (raw, want) in [
            ("Yes", true),
            ("true", true),
            ("No", false),
            ("FALSE", false),
        ] {
            assert_eq!(parse_yes_no(raw), Some(want), "{raw}");
        }
        assert_eq!(parse_yes_no("maybe"), None);
    }

    #[test]
    fn reports_every_missing_or_bad_property_by_name() {
        let p = props(&[
            ("Width (mm)", json!("12")),
            ("Connector", json!("Velcro")),
            ("Magnets", json!({"x": 1})),
        ]);
        let errors = read(&p).expect_err("invalid");
        let names: Vec<&str> = errors.iter().map(|e| e.property.as_str()).collect();
        assert_eq!(
            names,
            vec!["Width (mm)", "Height (mm)", "Connector", "Magnets"]
        );
        assert!(errors[0].message.contains("42 to 2000 mm"), "{}", errors[0]);
        assert_eq!(errors[1].message, "is missing");
    }

    #[test]
    fn conflicting_repeats_are_refused_identical_ones_accepted() {
        let mut p = good();
        p.push(Property {
            name: "Width (mm)".into(),
            value: json!("450"),
        });
        assert!(read(&p).is_ok());
        p.push(Property {
            name: "Width (mm)".into(),
            value: json!("500"),
        });
        let errors = read(&p).expect_err("conflict");
        assert!(errors[0].message.contains("conflicting"));
    }

    #[test]
    fn depth_is_accepted_for_height() {
        let mut p = good();
        p[1].name = "Depth (mm)".into();
        assert_eq!(read(&p).expect("valid").height_mm, 320);
    }
}
