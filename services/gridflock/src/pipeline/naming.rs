//! The names the pipeline gives files, parts and products.

use gridflock_core::{Connector, Plan};

/// `GF-450x320-IP-MAG-plate-3`: the stem of plate `index`'s STL and gcode.
pub fn file_stem(sku: &str, index: usize) -> String {
    format!("{sku}-plate-{}", index + 1)
}

/// A length in µm as mm: whole numbers without decimals, else one decimal.
fn mm(um: i64) -> String {
    if um % 1000 == 0 {
        (um / 1000).to_string()
    } else {
        format!("{:.1}", um as f64 / 1000.0)
    }
}

/// `Plate 3 (225 × 160 mm)`: the assembly part of plate `index`.
pub fn part_name(plan: &Plan, index: usize) -> String {
    let plate = &plan.plates[index];
    format!(
        "Plate {} ({} × {} mm)",
        plate.number,
        mm(plate.size_um[0]),
        mm(plate.size_um[1])
    )
}

/// `Gridfinity baseplate 450 × 320 mm (intersection puzzle, magnets, 6 plates)`.
pub fn product_name(plan: &Plan) -> String {
    let connector = match plan.params.connector {
        Connector::IntersectionPuzzle { .. } => "intersection puzzle",
        Connector::EdgePuzzle => "edge puzzle",
        Connector::None => "no connector",
    };
    let magnets = if plan.params.magnets.enabled() {
        "magnets"
    } else {
        "no magnets"
    };
    let count = plan.plates.len();
    format!(
        "Gridfinity baseplate {} × {} mm ({connector}, {magnets}, {count} plate{})",
        mm(plan.size_um[0]),
        mm(plan.size_um[1]),
        if count == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridflock_core::{Magnets, Params, Printer};

    #[test]
    fn names_follow_the_plan() {
        let params = Params {
            printer: Printer::Profile {
                id: "bambu-a1".to_owned(),
            },
            magnets: Magnets::PressFit,
            ..Params::new(450.0, 320.0)
        };
        let plan = gridflock_core::plan(&params).expect("plan");
        let n = plan.plates.len();
        assert_eq!(
            product_name(&plan),
            format!("Gridfinity baseplate 450 × 320 mm (intersection puzzle, magnets, {n} plates)")
        );
        let first = part_name(&plan, 0);
        assert!(first.starts_with("Plate 1 ("), "{first}");
        assert!(first.ends_with(" mm)"), "{first}");
        assert_eq!(
            file_stem("GF-450x320-IP-MAG", 2),
            "GF-450x320-IP-MAG-plate-3"
        );
        assert_eq!(mm(160_000), "160");
        assert_eq!(mm(21_500), "21.5");
    }
}
