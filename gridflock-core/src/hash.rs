//! Plan hashes for caching (placeholder until the hash module lands; signatures only).

use crate::Plan;

/// Hex BLAKE3 of the canonical plan (placeholder).
pub fn plan_hash(_plan: &Plan) -> String {
    String::from("placeholder")
}
