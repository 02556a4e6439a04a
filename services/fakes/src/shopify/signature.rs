//! The `X-Shopify-Hmac-Sha256` signature: base64 HMAC-SHA256 of the raw body.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(body);
    mac
}

/// The value Shopify puts in `X-Shopify-Hmac-Sha256` for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    STANDARD.encode(mac(secret, body).finalize().into_bytes())
}

/// Whether `signature` (base64) is the signature of `body`, compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    match STANDARD.decode(signature.trim()) {
        Ok(raw) => mac(secret, body).verify_slice(&raw).is_ok(),
        Err(_) => false,
    }
}
