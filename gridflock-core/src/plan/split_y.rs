//! Splitting the y axis into plate rows: GridFlock's two staggered
//! incremental plans (spec §4.4) plus the fit guarantee.

use super::axis::{AxisTrace, Tabs};
use crate::profile::CELL_UM;

/// Rows per plate for even columns (plan A) and odd columns (plan B), south
/// to north.
///
/// The plans are GridFlock's, computed in µm. The original checks the end
/// plate only in one case, so a plan can overflow the bed; here both plans
/// (only A when there is a single column) are checked against the whole bed,
/// tabs included, and if one overflows the per-plate row budget is lowered by
/// one cell and both are planned again. When the budget drops below one cell
/// both columns use [`AxisTrace::fallback`], which the validator has proven fits.
pub(super) fn split_y(
    trace: &AxisTrace,
    bed_um: i64,
    margin_um: i64,
    tabs: Tabs,
    columns: usize,
) -> [Vec<u32>; 2] {
    let mut budget = bed_um - margin_um;
    while budget >= CELL_UM {
        let [a, b] = staggered(trace, budget);
        if trace.fits(&a, bed_um, tabs) && (columns < 2 || trace.fits(&b, bed_um, tabs)) {
            return [a, b];
        }
        budget -= CELL_UM;
    }
    let fallback = trace.fallback(bed_um);
    [fallback.clone(), fallback]
}

/// GridFlock's compact description of an incremental plan: a first plate,
/// then middle plates of `mid` rows, then an end plate (gf:1278-1303).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vars {
    /// Everything in one plate.
    Single,
    Split {
        first: usize,
        mid: usize,
        end: usize,
    },
}

struct Planner<'a> {
    trace: &'a AxisTrace,
    budget: i64,
}

impl Planner<'_> {
    fn n(&self) -> usize {
        self.trace.len()
    }

    /// `incremental_vars`: the plan whose first plate has `force` rows, or as
    /// many as fit after the start padding.
    fn vars(&self, force: Option<usize>) -> Vars {
        let trace = self.trace;
        let n = self.n();
        if trace.total() <= self.budget || n < 2 {
            return Vars::Single;
        }
        let mid = usize::try_from(self.budget / CELL_UM).unwrap_or(1).max(1);
        let end_of = |first: usize| match (n - first) % mid {
            0 => mid,
            r => r,
        };
        let fitting = usize::try_from((self.budget - trace.pad_start).div_euclid(CELL_UM));
        // Keep at least one row in the first and in the last plate; the fit
        // check catches what this clamp cannot save.
        let first_p = force.unwrap_or(fitting.unwrap_or(1)).clamp(1, n - 1);
        let end_p = end_of(first_p);
        let last_is_fraction = trace.cells.last().is_some_and(|&c| c < CELL_UM);
        let end_cells: i64 = trace.cells.get(n - end_p..).map_or(0, |c| c.iter().sum());
        let shift = (end_p == 1 && last_is_fraction) || end_cells + trace.pad_end > self.budget;
        let first = if shift && first_p > 1 {
            first_p - 1
        } else {
            first_p
        };
        Vars::Split {
            first,
            mid,
            end: end_of(first),
        }
    }

    /// `to_list`: rows per plate.
    fn list(&self, vars: Vars) -> Vec<u32> {
        let n = self.n();
        let to_u32 = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        match vars {
            Vars::Single => vec![to_u32(n)],
            Vars::Split { first, mid, .. } => {
                let mut rows = vec![to_u32(first)];
                let mut done = first;
                while done < n {
                    let take = mid.min(n - done);
                    rows.push(to_u32(take));
                    done += take;
                }
                rows
            }
        }
    }

    fn plate_count(&self, vars: Vars) -> usize {
        self.list(vars).len()
    }
}

/// `staggered` (gf:1349-1383): plan A, and plan B with the same plate count
/// whose seams sit as far from A's as possible, avoiding 1-row end plates.
fn staggered(trace: &AxisTrace, budget: i64) -> [Vec<u32>; 2] {
    let planner = Planner { trace, budget };
    let a1 = planner.vars(None);
    let (a1_first, a1_end) = match a1 {
        Vars::Split { first, mid, end } if mid > 1 => (first, end),
        _ => {
            let list = planner.list(a1);
            return [list.clone(), list];
        }
    };
    let a = if a1_end >= 2 || a1_first <= 2 {
        a1
    } else {
        planner.vars(Some(a1_first - 1))
    };
    let Vars::Split {
        first: a_first,
        end: a_end,
        ..
    } = a
    else {
        let list = planner.list(a);
        return [list.clone(), list];
    };

    let mut scores: Vec<i64> = Vec::new();
    let mut shift = 1;
    let best = planner.plate_count(planner.vars(Some(a_first.saturating_sub(1))));
    while shift < a_first {
        let p = planner.vars(Some(a_first - shift));
        if planner.plate_count(p) > best {
            break;
        }
        let (p_first, p_end) = match p {
            Vars::Split { first, end, .. } => (first, end),
            Vars::Single => break,
        };
        let penalty = |rows: usize| if rows == 1 { 20 } else { 0 };
        scores.push(
            penalty(p_first) + penalty(p_end)
                - a_first.abs_diff(p_first) as i64
                - a_end.abs_diff(p_end) as i64,
        );
        shift += 1;
    }
    // Ties go to the larger shift.
    let chosen = scores
        .iter()
        .enumerate()
        .min_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(&x.0)))
        .map(|(i, _)| i + 1);
    let b = match chosen {
        Some(s) => planner.vars(Some(a_first - s)),
        None => a,
    };
    [planner.list(a), planner.list(b)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Filler;

    fn rows(count: usize) -> AxisTrace {
        AxisTrace {
            cells: vec![CELL_UM; count],
            pad_start: 0,
            pad_end: 0,
        }
    }

    #[test]
    fn spec_staggered_examples() {
        let bed = 5 * CELL_UM;
        assert_eq!(staggered(&rows(6), bed), [vec![4, 2], vec![2, 4]]);
        assert_eq!(staggered(&rows(10), bed), [vec![5, 5], vec![2, 5, 3]]);
        assert_eq!(staggered(&rows(11), bed), [vec![4, 5, 2], vec![2, 5, 4]]);
        assert_eq!(staggered(&rows(4), bed), [vec![4], vec![4]]);
    }

    #[test]
    fn spec_examples_with_the_fit_check() {
        let ip = Tabs {
            male: 1_180,
            female: 574,
        };
        let plans = |size_mm: i64, bed_mm: i64| {
            let t = AxisTrace::new(size_mm * 1000, &Filler::Fraction { denominator: 2 }, 0.5);
            split_y(&t, bed_mm * 1000, 3_500, ip, 2)
        };
        assert_eq!(plans(320, 256), [vec![5, 3], vec![2, 6]]);
        assert_eq!(plans(600, 256), [vec![5, 6, 3], vec![3, 6, 5]]);
        assert_eq!(plans(254, 220), [vec![4, 2], vec![2, 4]]);
        assert_eq!(plans(84, 256), [vec![2], vec![2]]);
    }

    /// GridFlock's unchecked plans overflow for some inputs; the checked ones never do.
    #[test]
    fn unchecked_plans_overflow_and_the_check_fixes_them() {
        let ip = Tabs {
            male: 1_180,
            female: 574,
        };
        let fillers = [
            Filler::Fraction { denominator: 2 },
            Filler::None,
            Filler::Dynamic { min_mm: 15.0 },
        ];
        let mut overflows = Vec::new();
        for (f, filler) in fillers.iter().enumerate() {
            for alignment in [0.5, 0.0] {
                for bed_mm in [120, 220, 250, 256, 300] {
                    let bed = bed_mm * 1000;
                    for height in 42..=2000 {
                        let t = AxisTrace::new(height * 1000, filler, alignment);
                        let [a, b] = staggered(&t, bed - 3_500);
                        if !t.fits(&a, bed, ip) || !t.fits(&b, bed, ip) {
                            overflows.push((f, alignment, bed_mm, height));
                        }
                        let [a, b] = split_y(&t, bed, 3_500, ip, 2);
                        let fits = t.fits(&a, bed, ip) && t.fits(&b, bed, ip);
                        assert!(fits, "{filler:?} {alignment} {height} on {bed_mm}");
                    }
                }
            }
        }
        // With whole cells only and all padding north, e.g. 162 mm on a
        // 120 mm bed: 3 rows + 36 mm padding; the plans end in a 2-row plate
        // of 84 + 36 mm plus the female lip.
        assert!(overflows.contains(&(1, 0.0, 120, 162)), "{overflows:?}");
        assert!(overflows.iter().all(|o| o.0 == 1), "{overflows:?}");
    }
}
