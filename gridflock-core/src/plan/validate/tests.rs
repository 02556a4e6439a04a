use super::*;

fn issues(params: &Params) -> Vec<ParamIssue> {
    match validate(params) {
        Ok(_) => Vec::new(),
        Err(ParamErrors(issues)) => issues,
    }
}

/// The single issue `params` produce; it must name `field` and mention `allowed`.
fn assert_one(params: &Params, field: &str, allowed: &str) {
    let found = issues(params);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, field);
    assert!(found[0].allowed.contains(allowed), "{}", found[0]);
    assert!(PARAM_FIELDS.contains(&field));
}

fn with(edit: impl FnOnce(&mut Params)) -> Params {
    let mut p = Params::default();
    edit(&mut p);
    p
}

#[test]
fn defaults_are_valid() {
    let r = validate(&Params::default()).expect("defaults");
    assert_eq!(r.size_um, [371_000, 254_000]);
    assert_eq!(r.bed_um, [250_000, 220_000]);
    assert_eq!(r.margin_um, 3_500);
    assert_eq!(r.bottom_um, 0);
}

#[test]
fn plate_size() {
    assert_one(
        &with(|p| p.width_mm = f64::NAN),
        "width_mm",
        "42 to 2000 mm",
    );
    assert_one(&with(|p| p.width_mm = 41.9), "width_mm", "42 to 2000 mm");
    assert_one(
        &with(|p| p.height_mm = 2000.5),
        "height_mm",
        "42 to 2000 mm",
    );
    assert_one(
        &with(|p| p.height_mm = f64::INFINITY),
        "height_mm",
        "42 to 2000 mm",
    );
    assert!(issues(&with(|p| p.width_mm = 42.0)).is_empty());
    assert!(issues(&with(|p| p.width_mm = 2000.0)).is_empty());
}

#[test]
fn display_is_one_line_per_issue() {
    let p = with(|p| {
        p.width_mm = f64::NAN;
        p.alignment.x = 2.0;
    });
    let text = validate(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        text,
        "width_mm = NaN: allowed 42 to 2000 mm; alignment.x = 2: allowed 0 to 1"
    );
}

#[test]
fn printer_profile() {
    let p = with(|p| {
        p.printer = Printer::Profile {
            id: "ender-9".into(),
        }
    });
    assert_one(&p, "printer.id", "bambu-a1, bambu-a1-mini");
    let p = with(|p| {
        p.printer = Printer::Profile {
            id: "prusa-mk4".into(),
        }
    });
    assert_eq!(
        validate(&p).map(|r| r.bed_um).ok(),
        Some([250_000, 210_000])
    );
}

#[test]
fn custom_bed() {
    let bed = |x: f64, y: f64| {
        with(|p| {
            p.printer = Printer::Custom {
                bed_x_mm: x,
                bed_y_mm: y,
            }
        })
    };
    assert_one(&bed(45.4, 220.0), "printer.bed_x_mm", "45.5 to 2000 mm");
    assert_one(&bed(250.0, -1.0), "printer.bed_y_mm", "45.5 to 2000 mm");
    assert_one(&bed(250.0, f64::NAN), "printer.bed_y_mm", "45.5 to 2000 mm");
    assert_one(&bed(2001.0, 220.0), "printer.bed_x_mm", "2000 mm");
    // The edge puzzle needs 3.7 mm, no connector none.
    let mut p = bed(45.6, 220.0);
    p.connector = Connector::EdgePuzzle;
    assert_one(&p, "printer.bed_x_mm", "45.7 to 2000 mm");
    p.connector = Connector::None;
    p.width_mm = 42.0;
    p.printer = Printer::Custom {
        bed_x_mm: 42.0,
        bed_y_mm: 220.0,
    };
    assert!(issues(&p).is_empty());
}

#[test]
fn bed_too_small_for_the_padding() {
    // 83 mm without filler: one cell and 41 mm of padding that cannot be split off.
    let p = with(|p| {
        p.width_mm = 83.0;
        p.filler = Filler::None;
        p.printer = Printer::Custom {
            bed_x_mm: 60.0,
            bed_y_mm: 220.0,
        };
    });
    assert_one(&p, "printer.bed_x_mm", "at least 83 mm");
    // 100 mm without filler: two cells with 8 mm padding each, one plate per cell.
    let p = with(|p| {
        p.width_mm = 100.0;
        p.filler = Filler::None;
        p.printer = Printer::Custom {
            bed_x_mm: 50.0,
            bed_y_mm: 220.0,
        };
    });
    assert_one(&p, "printer.bed_x_mm", "at least 51.18 mm");
}

#[test]
fn connector_fit() {
    let fit = |f: f64| with(|p| p.connector = Connector::IntersectionPuzzle { fit: f });
    assert_one(&fit(1.5), "connector.fit", "0 to 1");
    assert_one(&fit(-0.1), "connector.fit", "0 to 1");
    assert_one(&fit(f64::NAN), "connector.fit", "0 to 1");
    assert!(issues(&fit(0.0)).is_empty());
}

#[test]
fn magnet_dims() {
    let dims = |edit: fn(&mut MagnetDims)| {
        with(|p| {
            p.magnets = Magnets::PressFit;
            edit(&mut p.magnet_dims);
        })
    };
    assert_one(
        &dims(|d| d.diameter_mm = 0.0),
        "magnet_dims.diameter_mm",
        "up to 10 mm",
    );
    assert_one(
        &dims(|d| d.height_mm = f64::NAN),
        "magnet_dims.height_mm",
        "up to 10 mm",
    );
    assert_one(
        &dims(|d| d.top_mm = -0.5),
        "magnet_dims.top_mm",
        "up to 5 mm",
    );
    assert_one(
        &dims(|d| d.bottom_mm = 6.0),
        "magnet_dims.bottom_mm",
        "up to 5 mm",
    );
    assert_one(
        &dims(|d| d.border_mm = 0.0),
        "magnet_dims.border_mm",
        "up to 7.5 mm",
    );
    assert_one(
        &dims(|d| d.border_mm = 5.0),
        "magnet_dims.border_mm",
        "at most 7.5 mm",
    );
    assert_one(
        &dims(|d| {
            d.diameter_mm = 10.0;
            d.border_mm = 2.6;
        }),
        "magnet_dims.border_mm",
        "at most 7.5 mm",
    );
    assert_one(
        &dims(|d| d.release_width_mm = 6.0),
        "magnet_dims.release_width_mm",
        "0 to 5.9 mm",
    );
    assert!(issues(&dims(|d| d.release_width_mm = 0.0)).is_empty());
    let r = validate(&dims(|_| {})).expect("default magnets");
    assert_eq!(r.bottom_um, -3_500);
    let glue_top = with(|p| p.magnets = Magnets::GlueTop);
    assert_eq!(validate(&glue_top).map(|r| r.bottom_um).ok(), Some(-3_000));
    let glue_bottom = with(|p| p.magnets = Magnets::GlueBottom);
    assert_eq!(
        validate(&glue_bottom).map(|r| r.bottom_um).ok(),
        Some(-2_750)
    );
}

#[test]
fn filler() {
    let fraction = |d: u32| with(|p| p.filler = Filler::Fraction { denominator: d });
    assert_one(&fraction(1), "filler.denominator", "2 to 4");
    assert_one(&fraction(5), "filler.denominator", "2 to 4");
    assert!(issues(&fraction(4)).is_empty());
    let dynamic = |m: f64| with(|p| p.filler = Filler::Dynamic { min_mm: m });
    assert_one(&dynamic(8.9), "filler.min_mm", "9 to 41 mm");
    assert_one(&dynamic(f64::NEG_INFINITY), "filler.min_mm", "9 to 41 mm");
    assert!(issues(&dynamic(41.0)).is_empty());
}

#[test]
fn alignment_and_corner_radius() {
    assert_one(&with(|p| p.alignment.x = -0.01), "alignment.x", "0 to 1");
    assert_one(&with(|p| p.alignment.y = f64::NAN), "alignment.y", "0 to 1");
    assert_one(
        &with(|p| p.corner_radius_mm = 4.5),
        "corner_radius_mm",
        "0 to 4 mm",
    );
    assert_one(
        &with(|p| p.corner_radius_mm = -1.0),
        "corner_radius_mm",
        "0 to 4 mm",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let p = Params {
        width_mm: f64::NAN,
        height_mm: -5.0,
        printer: Printer::Custom {
            bed_x_mm: 10.0,
            bed_y_mm: f64::INFINITY,
        },
        connector: Connector::IntersectionPuzzle { fit: 7.0 },
        magnets: Magnets::PressFit,
        magnet_dims: MagnetDims {
            diameter_mm: 20.0,
            ..MagnetDims::default()
        },
        filler: Filler::Fraction { denominator: 9 },
        alignment: crate::params::Alignment { x: 2.0, y: -1.0 },
        numbering: true,
        corner_radius_mm: 9.0,
    };
    let fields: Vec<String> = issues(&p).into_iter().map(|i| i.field).collect();
    assert_eq!(
        fields,
        [
            "width_mm",
            "height_mm",
            "printer.bed_x_mm",
            "printer.bed_y_mm",
            "connector.fit",
            "magnet_dims.diameter_mm",
            "filler.denominator",
            "alignment.x",
            "alignment.y",
            "corner_radius_mm",
        ]
    );
}
