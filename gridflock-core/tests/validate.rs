//! `plan()` on arbitrary, mostly hostile input: it never panics, every error
//! names a real field, and every accepted input gives plates that fit the bed.

use gridflock_core::plan::PARAM_FIELDS;
use gridflock_core::printers::PRINTERS;
use gridflock_core::{Alignment, Connector, Filler, MagnetDims, Magnets, Params, Printer, plan};
use proptest::prelude::*;

/// Floats a user or a broken client might send.
fn any_mm() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        any::<f64>(),
        -10.0..10.0f64,
        0.0..2100.0f64,
        40.0..500.0f64,
    ]
}

fn any_printer() -> impl Strategy<Value = Printer> {
    prop_oneof![
        (0..PRINTERS.len()).prop_map(|i| Printer::Profile {
            id: PRINTERS[i].id.to_owned()
        }),
        "[a-z0-9-]{0,12}".prop_map(|id| Printer::Profile { id }),
        (any_mm(), any_mm())
            .prop_map(|(bed_x_mm, bed_y_mm)| Printer::Custom { bed_x_mm, bed_y_mm }),
        (40.0..400.0f64, 40.0..400.0f64)
            .prop_map(|(bed_x_mm, bed_y_mm)| Printer::Custom { bed_x_mm, bed_y_mm }),
    ]
}

fn any_params() -> impl Strategy<Value = Params> {
    let connector = prop_oneof![
        any_mm().prop_map(|fit| Connector::IntersectionPuzzle { fit }),
        (0.0..=1.0f64).prop_map(|fit| Connector::IntersectionPuzzle { fit }),
        Just(Connector::EdgePuzzle),
        Just(Connector::None),
    ];
    let magnets = prop_oneof![
        Just(Magnets::None),
        Just(Magnets::PressFit),
        Just(Magnets::GlueTop),
        Just(Magnets::GlueBottom),
    ];
    let dims = prop_oneof![
        Just(MagnetDims::default()),
        (any_mm(), any_mm(), any_mm(), any_mm(), any_mm(), any_mm()).prop_map(
            |(diameter_mm, height_mm, top_mm, bottom_mm, border_mm, release_width_mm)| {
                MagnetDims {
                    diameter_mm,
                    height_mm,
                    top_mm,
                    bottom_mm,
                    border_mm,
                    release_width_mm,
                }
            }
        ),
    ];
    let filler = prop_oneof![
        Just(Filler::None),
        (0u32..8).prop_map(|denominator| Filler::Fraction { denominator }),
        Just(Filler::Fraction {
            denominator: u32::MAX
        }),
        any_mm().prop_map(|min_mm| Filler::Dynamic { min_mm }),
        (9.0..=41.0f64).prop_map(|min_mm| Filler::Dynamic { min_mm }),
    ];
    let alignment = prop_oneof![
        (any_mm(), any_mm()).prop_map(|(x, y)| Alignment { x, y }),
        (0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(x, y)| Alignment { x, y }),
    ];
    (
        (any_mm(), any_mm()),
        any_printer(),
        connector,
        magnets,
        dims,
        filler,
        alignment,
        any::<bool>(),
        prop_oneof![any_mm(), 0.0..=4.0f64],
    )
        .prop_map(
            |(
                (width_mm, height_mm),
                printer,
                connector,
                magnets,
                magnet_dims,
                filler,
                alignment,
                numbering,
                corner_radius_mm,
            )| Params {
                width_mm,
                height_mm,
                printer,
                connector,
                magnets,
                magnet_dims,
                filler,
                alignment,
                numbering,
                corner_radius_mm,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn plan_never_panics_and_errors_name_fields(params in any_params()) {
        match plan(&params) {
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for issue in &errors.0 {
                    prop_assert!(PARAM_FIELDS.contains(&issue.field.as_str()), "{}", issue);
                    prop_assert!(!issue.allowed.is_empty());
                }
                prop_assert_eq!(errors.to_string().matches("; ").count() + 1, errors.0.len());
            }
            Ok(plan) => {
                prop_assert!(!plan.plates.is_empty());
                for (i, plate) in plan.plates.iter().enumerate() {
                    let [ex, ey] = plate.extent_um();
                    prop_assert!(ex <= plan.bed_um[0] && ey <= plan.bed_um[1]);
                    prop_assert_eq!(plate.number as usize, i + 1);
                }
                let area: i64 = plan.plates.iter().map(|p| p.size_um[0] * p.size_um[1]).sum();
                prop_assert_eq!(area, plan.size_um[0] * plan.size_um[1]);
            }
        }
    }

    #[test]
    fn sizes_in_range_on_a_profile_always_plan(
        width in 42.0..=2000.0f64,
        height in 42.0..=2000.0f64,
        printer in 0..PRINTERS.len(),
    ) {
        let params = Params {
            printer: Printer::Profile { id: PRINTERS[printer].id.to_owned() },
            ..Params::new(width, height)
        };
        let planned = plan(&params);
        prop_assert!(planned.is_ok(), "{:?}", planned.err().map(|e| e.to_string()));
    }
}
