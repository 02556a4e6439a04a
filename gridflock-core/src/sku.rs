//! Product SKUs: `GF-<W>x<H>-<IP|EP|NC>-<MAG|NOMAG>`, e.g. `GF-450x320-IP-MAG`.
//!
//! A SKU names a plate set by what the customer chose: size in whole mm,
//! connector and whether it has magnets. Parsing is strict (exact case, no
//! leading zeros or signs, nothing extra), so every SKU has exactly one
//! spelling and `parse_sku(s)?.to_string() == s`.

use crate::lattice;
use crate::params::{Connector, Magnets, Params};
use std::fmt;
use thiserror::Error;

/// Smallest side a SKU may name, mm (one cell).
pub const SKU_MIN_MM: u32 = 42;
/// Largest side a SKU may name, mm.
pub const SKU_MAX_MM: u32 = 2000;

/// The SKU of `params`: width and height rounded to whole mm (half away from
/// zero), the connector code and `MAG` for any magnet style.
///
/// Meant for validated parameters; out-of-range sizes are still formatted
/// (saturated to 0 or `u32::MAX`) rather than rejected.
pub fn sku(params: &Params) -> String {
    let whole = |mm: f64| u32::try_from(lattice::round(mm).max(0)).unwrap_or(u32::MAX);
    SkuParts {
        width_mm: whole(params.width_mm),
        height_mm: whole(params.height_mm),
        connector: ConnectorCode::of(&params.connector),
        magnets: params.magnets.enabled(),
    }
    .to_string()
}

/// The connector part of a SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectorCode {
    /// `IP`: intersection puzzle.
    Ip,
    /// `EP`: edge puzzle.
    Ep,
    /// `NC`: no connector.
    Nc,
}

impl ConnectorCode {
    /// The code of `connector`.
    pub fn of(connector: &Connector) -> ConnectorCode {
        match connector {
            Connector::IntersectionPuzzle { .. } => ConnectorCode::Ip,
            Connector::EdgePuzzle => ConnectorCode::Ep,
            Connector::None => ConnectorCode::Nc,
        }
    }

    /// The two letters in the SKU.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorCode::Ip => "IP",
            ConnectorCode::Ep => "EP",
            ConnectorCode::Nc => "NC",
        }
    }

    /// The connector with its default settings (intersection puzzle fit 1).
    pub fn connector(self) -> Connector {
        match self {
            ConnectorCode::Ip => Connector::default(),
            ConnectorCode::Ep => Connector::EdgePuzzle,
            ConnectorCode::Nc => Connector::None,
        }
    }
}

/// The parts of a parsed SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SkuParts {
    /// Width in whole mm.
    pub width_mm: u32,
    /// Height in whole mm.
    pub height_mm: u32,
    /// Connector.
    pub connector: ConnectorCode,
    /// True for `MAG`.
    pub magnets: bool,
}

impl SkuParts {
    /// Parameters for this SKU: its size, connector and (press-fit) magnets,
    /// everything else at its default. `sku(&parts.to_params())` gives the SKU back.
    pub fn to_params(&self) -> Params {
        Params {
            connector: self.connector.connector(),
            magnets: if self.magnets {
                Magnets::PressFit
            } else {
                Magnets::None
            },
            ..Params::new(f64::from(self.width_mm), f64::from(self.height_mm))
        }
    }
}

impl fmt::Display for SkuParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GF-{}x{}-{}-{}",
            self.width_mm,
            self.height_mm,
            self.connector.as_str(),
            if self.magnets { "MAG" } else { "NOMAG" }
        )
    }
}

/// Which part of a SKU an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkuPart {
    /// The `GF` prefix.
    Prefix,
    /// The `<W>x<H>` size.
    Size,
    /// The width.
    Width,
    /// The height.
    Height,
    /// The connector code.
    Connector,
    /// The magnet code.
    Magnets,
}

impl fmt::Display for SkuPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkuPart::Prefix => "prefix",
            SkuPart::Size => "size",
            SkuPart::Width => "width",
            SkuPart::Height => "height",
            SkuPart::Connector => "connector",
            SkuPart::Magnets => "magnets",
        })
    }
}

/// Why a string is not a SKU.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SkuError {
    /// A dash-separated part is absent.
    #[error("SKU {sku:?}: the {part} part is missing")]
    Missing {
        /// The input.
        sku: String,
        /// The absent part.
        part: SkuPart,
    },
    /// A part is present but not one of the accepted spellings.
    #[error("SKU {sku:?}: {part} {found:?} is not valid, expected {expected}")]
    Invalid {
        /// The input.
        sku: String,
        /// The part at fault.
        part: SkuPart,
        /// What was found there.
        found: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A size is a number, but out of range.
    #[error("SKU {sku:?}: {part} {value} mm is outside {SKU_MIN_MM} to {SKU_MAX_MM} mm")]
    OutOfRange {
        /// The input.
        sku: String,
        /// Width or height.
        part: SkuPart,
        /// The number found.
        value: u64,
    },
    /// Text after the magnet code.
    #[error("SKU {sku:?}: unexpected text {extra:?} after the magnet code")]
    Extra {
        /// The input.
        sku: String,
        /// The unexpected text, from its leading dash.
        extra: String,
    },
}

/// Parses a SKU such as `GF-450x320-IP-MAG`.
pub fn parse_sku(text: &str) -> Result<SkuParts, SkuError> {
    let sku = || text.to_owned();
    let mut parts = text.splitn(5, '-');
    let mut next = |part: SkuPart| match parts.next() {
        Some(p) if !p.is_empty() || part == SkuPart::Prefix => Ok(p),
        _ => Err(SkuError::Missing { sku: sku(), part }),
    };
    let invalid = |part, found: &str, expected| SkuError::Invalid {
        sku: sku(),
        part,
        found: found.to_owned(),
        expected,
    };

    let prefix = next(SkuPart::Prefix)?;
    if prefix != "GF" {
        return Err(invalid(SkuPart::Prefix, prefix, "\"GF\""));
    }
    let size = next(SkuPart::Size)?;
    let Some((w, h)) = size.split_once('x') else {
        return Err(invalid(SkuPart::Size, size, "<width>x<height> in mm"));
    };
    let width_mm = side(text, SkuPart::Width, w)?;
    let height_mm = side(text, SkuPart::Height, h)?;
    let code = next(SkuPart::Connector)?;
    let connector = match code {
        "IP" => ConnectorCode::Ip,
        "EP" => ConnectorCode::Ep,
        "NC" => ConnectorCode::Nc,
        other => return Err(invalid(SkuPart::Connector, other, "IP, EP or NC")),
    };
    let magnets = match next(SkuPart::Magnets)? {
        "MAG" => true,
        "NOMAG" => false,
        other => return Err(invalid(SkuPart::Magnets, other, "MAG or NOMAG")),
    };
    if let Some(rest) = parts.next() {
        return Err(SkuError::Extra {
            sku: sku(),
            extra: format!("-{rest}"),
        });
    }
    Ok(SkuParts {
        width_mm,
        height_mm,
        connector,
        magnets,
    })
}

/// One side: decimal digits, no leading zero, within range.
fn side(text: &str, part: SkuPart, digits: &str) -> Result<u32, SkuError> {
    let canonical = !digits.is_empty()
        && digits.len() <= 10
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    let value = if canonical {
        digits.parse::<u64>().ok()
    } else {
        None
    };
    let Some(value) = value else {
        return Err(SkuError::Invalid {
            sku: text.to_owned(),
            part,
            found: digits.to_owned(),
            expected: "a whole number of mm without sign or leading zeros",
        });
    };
    match u32::try_from(value) {
        Ok(v) if (SKU_MIN_MM..=SKU_MAX_MM).contains(&v) => Ok(v),
        _ => Err(SkuError::OutOfRange {
            sku: text.to_owned(),
            part,
            value,
        }),
    }
}

#[cfg(test)]
mod tests;
