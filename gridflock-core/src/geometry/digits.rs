//! A seven-segment stroke font for plate numbers: digits as lattice polygons,
//! deterministic and free of font files.

use super::poly::{Contour, rect};

/// Segments a–g lit for each digit.
const SEGMENTS: [&[u8]; 10] = [
    b"abcdef", b"bc", b"abged", b"abgcd", b"fgbc", b"afgcd", b"afgedc", b"abc", b"abcdefg",
    b"abcdfg",
];

/// Stroke width (µm): printable with a 0.4 mm nozzle.
pub(crate) const STROKE_UM: i64 = 400;
/// Digit cell: width along the reading direction and height (µm).
pub(crate) const DIGIT_W_UM: i64 = 1_000;
pub(crate) const DIGIT_H_UM: i64 = 1_600;
/// Advance from one digit to the next (µm).
pub(crate) const PITCH_UM: i64 = 1_400;

/// Rectangles of `text`'s digits in a glyph frame: `x` along the reading
/// direction starting at 0, `y` up from 0 to `DIGIT_H_UM`. Non-digits are skipped.
pub(crate) fn glyphs(text: &str, pitch: i64) -> Vec<Contour> {
    let (w, h, s) = (DIGIT_W_UM, DIGIT_H_UM, STROKE_UM);
    let mid = h / 2;
    let mut out = Vec::new();
    for (i, ch) in text.chars().filter(char::is_ascii_digit).enumerate() {
        let x0 = i as i64 * pitch;
        let d = (ch as u8 - b'0') as usize;
        for &seg in SEGMENTS[d] {
            let r = match seg {
                b'a' => (0, h - s, w, h),
                b'b' => (w - s, mid, w, h),
                b'c' => (w - s, 0, w, mid + s / 2),
                b'd' => (0, 0, w, s),
                b'e' => (0, 0, s, mid + s / 2),
                b'f' => (0, mid, s, h),
                _ => (0, mid - s / 2, w, mid + s / 2),
            };
            out.push(rect(x0 + r.0, r.1, x0 + r.2, r.3));
        }
    }
    out
}
