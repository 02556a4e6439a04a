//! The 1 µm coordinate lattice and deterministic math.
//!
//! Every coordinate the geometry produces is an integer number of micrometres.
//! Input millimetres are rounded onto the lattice once, at the edge; after that
//! all arithmetic that decides topology is integer. Trigonometry goes through
//! `libm`, which gives the same bits on every target, unlike the platform libm
//! behind `f64::sin`.

/// Micrometres per millimetre.
pub const UM_PER_MM: i64 = 1000;

/// Rounds millimetres to the nearest lattice point (half away from zero).
///
/// Callers validate that `mm` is finite and in range first.
pub fn mm_to_um(mm: f64) -> i64 {
    libm::round(mm * UM_PER_MM as f64) as i64
}

/// Converts lattice micrometres back to millimetres.
pub fn um_to_mm(um: i64) -> f64 {
    um as f64 / UM_PER_MM as f64
}

/// Deterministic sine (libm).
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// Deterministic cosine (libm).
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// Deterministic square root (IEEE-exact on every target, via libm for uniformity).
pub fn sqrt(x: f64) -> f64 {
    libm::sqrt(x)
}

/// Rounds to the nearest integer, half away from zero.
pub fn round(x: f64) -> i64 {
    libm::round(x) as i64
}
