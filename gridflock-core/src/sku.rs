//! SKUs (placeholder until the SKU module lands; signatures only).

use crate::Params;

/// The SKU of a plate set, e.g. `GF-450x320-IP-MAG` (placeholder).
pub fn sku(params: &Params) -> String {
    format!(
        "GF-{}x{}-{}-{}",
        params.width_mm.round(),
        params.height_mm.round(),
        params.connector.code(),
        if params.magnets.enabled() {
            "MAG"
        } else {
            "NOMAG"
        }
    )
}
