use super::*;
use proptest::prelude::*;

#[test]
fn formats_the_design_example() {
    let p = Params {
        magnets: Magnets::PressFit,
        ..Params::new(450.0, 320.0)
    };
    assert_eq!(sku(&p), "GF-450x320-IP-MAG");
    let p = Params {
        connector: Connector::EdgePuzzle,
        magnets: Magnets::GlueBottom,
        ..Params::new(449.5, 320.49)
    };
    assert_eq!(sku(&p), "GF-450x320-EP-MAG");
    let p = Params {
        connector: Connector::None,
        ..Params::new(42.0, 2000.0)
    };
    assert_eq!(sku(&p), "GF-42x2000-NC-NOMAG");
}

#[test]
fn parses() {
    assert_eq!(
        parse_sku("GF-450x320-IP-MAG"),
        Ok(SkuParts {
            width_mm: 450,
            height_mm: 320,
            connector: ConnectorCode::Ip,
            magnets: true
        })
    );
    let parts = parse_sku("GF-84x42-NC-NOMAG");
    assert_eq!(
        parts.map(|p| (p.connector, p.magnets)),
        Ok((ConnectorCode::Nc, false))
    );
}

fn part_of(err: &SkuError) -> Option<SkuPart> {
    match err {
        SkuError::Missing { part, .. }
        | SkuError::Invalid { part, .. }
        | SkuError::OutOfRange { part, .. } => Some(*part),
        SkuError::Extra { .. } => None,
    }
}

#[test]
fn rejects_with_the_part_at_fault() {
    let cases: &[(&str, Option<SkuPart>)] = &[
        ("gf-450x320-IP-MAG", Some(SkuPart::Prefix)),
        ("", Some(SkuPart::Prefix)),
        ("GF", Some(SkuPart::Size)),
        ("GF-450x320", Some(SkuPart::Connector)),
        ("GF-450x320-IP", Some(SkuPart::Magnets)),
        ("GF-450x320--MAG", Some(SkuPart::Connector)),
        ("GF-450-IP-MAG", Some(SkuPart::Size)),
        ("GF-450X320-IP-MAG", Some(SkuPart::Size)),
        ("GF-0x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-450x0-IP-MAG", Some(SkuPart::Height)),
        ("GF-2001x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-450x99999999999-IP-MAG", Some(SkuPart::Height)),
        ("GF-41x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-0450x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-+450x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-450.5x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-x320-IP-MAG", Some(SkuPart::Width)),
        ("GF-450x320-ip-MAG", Some(SkuPart::Connector)),
        ("GF-450x320-XX-MAG", Some(SkuPart::Connector)),
        ("GF-450x320-IP-mag", Some(SkuPart::Magnets)),
        ("GF-450x320-IP-MAGS", Some(SkuPart::Magnets)),
        ("GF-450x320-IP-MAG-", None),
        ("GF-450x320-IP-MAG-extra", None),
        (" GF-450x320-IP-MAG", Some(SkuPart::Prefix)),
        ("GF-450x320-IP-MAG ", Some(SkuPart::Magnets)),
    ];
    for (text, part) in cases {
        match parse_sku(text) {
            Ok(p) => panic!("{text:?} parsed as {p}"),
            Err(e) => {
                assert_eq!(part_of(&e), *part, "{text:?}: {e}");
                assert!(e.to_string().contains(&format!("{text:?}")), "{e}");
            }
        }
    }
    let msg = parse_sku("GF-2001x320-IP-MAG").err().map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("SKU \"GF-2001x320-IP-MAG\": width 2001 mm is outside 42 to 2000 mm")
    );
}

fn any_parts() -> impl Strategy<Value = SkuParts> {
    (
        SKU_MIN_MM..=SKU_MAX_MM,
        SKU_MIN_MM..=SKU_MAX_MM,
        prop_oneof![
            Just(ConnectorCode::Ip),
            Just(ConnectorCode::Ep),
            Just(ConnectorCode::Nc)
        ],
        any::<bool>(),
    )
        .prop_map(|(width_mm, height_mm, connector, magnets)| SkuParts {
            width_mm,
            height_mm,
            connector,
            magnets,
        })
}

proptest! {
    #[test]
    fn round_trips(parts in any_parts()) {
        let text = parts.to_string();
        prop_assert_eq!(parse_sku(&text), Ok(parts));
        prop_assert_eq!(sku(&parts.to_params()), text);
    }

    #[test]
    fn never_panics(text in "\\PC{0,30}") {
        if let Ok(parts) = parse_sku(&text) {
            prop_assert_eq!(parts.to_string(), text);
        }
    }

    #[test]
    fn sku_of_valid_params_parses(width in 42.0f64..=2000.0, height in 42.0f64..=2000.0) {
        let text = sku(&Params::new(width, height));
        let parts = parse_sku(&text);
        prop_assert!(parts.is_ok(), "{}", text);
    }
}
