//! Splitting the x axis into plate columns: GridFlock's "ideal" algorithm
//! (spec §4.3) plus the fit guarantee the original lacks.

use super::axis::{AxisTrace, Tabs};

/// Cells per plate column, west to east.
///
/// GridFlock's greedy pass gives the starting column count; the plate set,
/// padding included, is cut into that many equal lengths and each cell goes to
/// the part holding its centre. The original stops there, which can leave a
/// column wider than the bed (spec §4.3, "known defect"). Here every column's
/// extent, tabs included, is checked against the whole bed; if one overflows,
/// the count is raised by one and the split redone. Counts whose split leaves
/// a column empty are passed over. If no equal split fits, the plate set falls
/// back to [`AxisTrace::fallback`], which the validator has proven fits.
pub(super) fn split_x(trace: &AxisTrace, bed_um: i64, margin_um: i64, tabs: Tabs) -> Vec<u32> {
    let n = trace.len();
    let first_count = greedy_count(trace, bed_um - margin_um);
    for count in first_count.max(1)..=n {
        let parts = ideal_split(trace, count);
        if trace.fits(&parts, bed_um, tabs) {
            return parts;
        }
    }
    trace.fallback(bed_um)
}

/// The minimal column count of GridFlock's greedy pass (gf:1238-1243), in µm.
/// The last cell is judged together with the end padding.
fn greedy_count(trace: &AxisTrace, bed_norm_um: i64) -> usize {
    let Some((&last, rest)) = trace.cells.split_last() else {
        return 1;
    };
    let mut segments = 0;
    let mut size = trace.pad_start;
    for &cell in rest {
        if size + cell > bed_norm_um {
            segments += 1;
            size = cell;
        } else {
            size += cell;
        }
    }
    segments
        + if size + last + trace.pad_end > bed_norm_um {
            2
        } else {
            1
        }
}

/// Assigns every cell to the one of `count` equal parts that holds its centre
/// (gf:1254-1266); a centre exactly on a cut goes to the western part.
/// Works in half-µm units so that the "exact integer" test is exact.
fn ideal_split(trace: &AxisTrace, count: usize) -> Vec<u32> {
    let mut parts = vec![0u32; count];
    let count_i = count as i64;
    let total2 = 2 * trace.total();
    let mut cum = trace.pad_start;
    for &cell in &trace.cells {
        let centre2 = 2 * cum + cell;
        cum += cell;
        let scaled = centre2 * count_i;
        let mut index = scaled / total2;
        if scaled % total2 == 0 {
            index -= 1;
        }
        let index = usize::try_from(index.clamp(0, count_i - 1)).unwrap_or(0);
        if let Some(part) = parts.get_mut(index) {
            *part += 1;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Filler;

    const IP: Tabs = Tabs {
        male: 1_180,
        female: 574,
    };

    fn split(size_mm: i64, bed_mm: i64) -> Vec<u32> {
        let trace = AxisTrace::new(size_mm * 1000, &Filler::Fraction { denominator: 2 }, 0.5);
        split_x(&trace, bed_mm * 1000, 3_500, IP)
    }

    #[test]
    fn spec_examples() {
        assert_eq!(split(450, 256), vec![5, 6]);
        assert_eq!(split(1000, 256), vec![5, 4, 5, 5, 5]);
        assert_eq!(split(371, 250), vec![4, 5]);
        assert_eq!(split(84, 256), vec![2]);
    }

    #[test]
    fn original_overflows_are_fixed() {
        let trace = AxisTrace::new(954_000, &Filler::Fraction { denominator: 2 }, 0.5);
        // The original's [6,5,6,6] has a 256.5 mm plate.
        assert_eq!(
            ideal_split(&trace, greedy_count(&trace, 252_500)),
            vec![6, 5, 6, 6]
        );
        let fixed = split(954, 256);
        assert_eq!(fixed.len(), 5);
        assert!(trace.fits(&fixed, 256_000, IP));

        let trace = AxisTrace::new(456_000, &Filler::Fraction { denominator: 2 }, 0.5);
        assert_eq!(
            ideal_split(&trace, greedy_count(&trace, 116_500)),
            vec![2, 2, 2, 3, 2]
        );
        assert!(trace.fits(&split(456, 120), 120_000, IP));

        let trace = AxisTrace::new(1_085_000, &Filler::Fraction { denominator: 2 }, 0.5);
        assert_eq!(
            ideal_split(&trace, greedy_count(&trace, 246_500)),
            vec![5, 5, 5, 6, 5]
        );
        assert!(trace.fits(&split(1085, 250), 250_000, IP));
    }

    #[test]
    fn centre_on_a_cut_goes_west() {
        // Two equal cells, no padding, one part each: centres at ¼ and ¾.
        let trace = AxisTrace::new(84_000, &Filler::None, 0.5);
        assert_eq!(ideal_split(&trace, 2), vec![1, 1]);
        // Three cells into three parts: centres 1/6, 1/2, 5/6 of the way.
        let trace = AxisTrace::new(126_000, &Filler::None, 0.5);
        assert_eq!(ideal_split(&trace, 3), vec![1, 1, 1]);
        // Centre exactly on the cut between parts 0 and 1 → part 0.
        let trace = AxisTrace {
            cells: vec![42_000, 42_000, 42_000],
            pad_start: 21_000,
            pad_end: 21_000,
        };
        assert_eq!(ideal_split(&trace, 2), vec![2, 1]);
    }
}
