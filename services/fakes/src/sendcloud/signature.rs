//! The `Sendcloud-Signature` header: lowercase hex HMAC-SHA256 of the raw body.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(body);
    mac
}

/// The value Sendcloud puts in `Sendcloud-Signature` for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    hex::encode(mac(secret, body).finalize().into_bytes())
}

/// Whether `signature` (hex) is the signature of `body`, compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    match hex::decode(signature.trim()) {
        Ok(raw) => mac(secret, body).verify_slice(&raw).is_ok(),
        Err(_) => false,
    }
}
