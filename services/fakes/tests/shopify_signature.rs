//! The Shopify signature against the published vectors.

mod common;

use svc_fakes::shopify::{sign, verify};

#[test]
fn matches_the_shopify_api_js_vector() {
    let vector = common::fixture("shopify_hmac_vector__shopify-api-js.json");
    let secret = vector["secret"].as_str().expect("secret");
    let body = hex::decode(vector["body_hex"].as_str().expect("body_hex")).expect("hex body");
    assert_eq!(
        body.len() as u64,
        vector["body_length"].as_u64().expect("length")
    );
    let expected = vector["expected_x_shopify_hmac_sha256"]
        .as_str()
        .expect("expected");
    assert_eq!(sign(secret.as_bytes(), &body), expected);
    assert!(verify(secret.as_bytes(), &body, expected));
}

#[test]
fn matches_the_spec_vector_with_an_id_above_2_pow_53() {
    assert_eq!(
        sign(b"hush", br#"{"id":820982911946154508}"#),
        "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    );
}

#[test]
fn rejects_fake_empty_and_other_body_signatures() {
    let good = sign(b"test_secret_key", br#"{"foo": "bar"}"#);
    assert!(!verify(b"test_secret_key", br#"{"foo": "bar"}"#, "fake"));
    assert!(!verify(b"test_secret_key", br#"{"foo": "bar"}"#, ""));
    assert!(!verify(b"test_secret_key", br#"{"foo":"bar"}"#, &good));
    assert!(!verify(b"other_secret", br#"{"foo": "bar"}"#, &good));
}
