//! One axis of the plate set: its cells, its padding, and how much room a run
//! of cells takes on the bed once cut out as a plate.

use crate::lattice;
use crate::params::{Connector, Filler};
use crate::profile::CELL_UM;
use std::ops::Range;

/// Cells and padding along one axis, west→east or south→north (µm).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AxisTrace {
    /// Width of every cell; the filler cell, if any, is last.
    pub cells: Vec<i64>,
    /// Padding before the first cell (west or south).
    pub pad_start: i64,
    /// Padding after the last cell (east or north).
    pub pad_end: i64,
}

/// How far connector material sticks out beyond a plate's nominal footprint (µm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tabs {
    /// Beyond a male (north/east) seam side.
    pub male: i64,
    /// Beyond a female (south/west) seam side.
    pub female: i64,
}

#[cfg(test)]
/// Intersection puzzle at fit 1: tab tip at x = 1.18 mm, female lip at −0.574 mm (spec §3.1).
const INTERSECTION_TABS: Tabs = Tabs {
    male: 1_180,
    female: 574,
};

impl Tabs {
    /// Protrusions of `connector`, taken from the connector outlines the mesh
    /// builder uses. The edge puzzle's tab reaches its full 3.7 mm only in the
    /// magnet layer; without one it stops at the rib.
    pub(crate) fn of(connector: &Connector, magnets: bool) -> Tabs {
        let (male, female) = crate::geometry::puzzle::protrusions(connector, magnets);
        Tabs { male, female }
    }
}

/// Bed margin GridFlock reserves for tabs when segmenting (spec §3, gf:1449), µm.
pub(crate) fn bed_margin_um(connector: &Connector) -> i64 {
    match connector {
        Connector::IntersectionPuzzle { .. } => 3_500,
        Connector::EdgePuzzle => 3_700,
        Connector::None => 0,
    }
}

impl AxisTrace {
    /// Lays out cells for a side of `size_um` (spec §4.1). `size_um` must be
    /// at least one cell and the filler valid (the validator ensures both).
    pub(crate) fn new(size_um: i64, filler: &Filler, alignment: f64) -> AxisTrace {
        let whole = size_um.div_euclid(CELL_UM);
        let rest = size_um.rem_euclid(CELL_UM);
        let mut cells = vec![CELL_UM; usize::try_from(whole).unwrap_or(0)];
        match *filler {
            Filler::None => {}
            Filler::Fraction { denominator } => {
                let denominator = i64::from(denominator.max(1));
                // floor(L·f/42) − whole·f, counted on the lattice.
                let parts = rest * denominator / CELL_UM;
                for _ in 0..parts {
                    cells.push(CELL_UM / denominator);
                }
            }
            Filler::Dynamic { min_mm } => {
                if rest < lattice::mm_to_um(min_mm) {
                    // Too small for a cell of its own: the last whole cell absorbs it.
                    if let Some(last) = cells.last_mut() {
                        *last += rest;
                    }
                } else {
                    cells.push(rest);
                }
            }
        }
        let pad_sum = size_um - cells.iter().sum::<i64>();
        let pad_start = lattice::round(pad_sum as f64 * alignment)
            .min(pad_sum)
            .max(0);
        AxisTrace {
            cells,
            pad_start,
            pad_end: pad_sum - pad_start,
        }
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whole length: cells plus padding.
    pub(crate) fn total(&self) -> i64 {
        self.cells.iter().sum::<i64>() + self.pad_start + self.pad_end
    }

    /// Nominal length of a plate holding `cells`: the cells plus the padding
    /// of whichever outer ends it touches.
    pub(crate) fn span(&self, cells: Range<usize>) -> i64 {
        let start = if cells.start == 0 { self.pad_start } else { 0 };
        let end = if cells.end >= self.len() {
            self.pad_end
        } else {
            0
        };
        self.cells.get(cells).map_or(0, |c| c.iter().sum::<i64>()) + start + end
    }

    /// Room a plate holding `cells` takes on the bed along this axis: its
    /// span plus the tabs of the seams at either end.
    pub(crate) fn extent(&self, cells: Range<usize>, tabs: Tabs) -> i64 {
        let female = if cells.start > 0 { tabs.female } else { 0 };
        let male = if cells.end < self.len() { tabs.male } else { 0 };
        self.span(cells) + female + male
    }

    /// True when every run of `counts` cells (in order) fits in `bed_um`.
    pub(crate) fn fits(&self, counts: &[u32], bed_um: i64, tabs: Tabs) -> bool {
        let mut start = 0usize;
        for &count in counts {
            let end = start + count as usize;
            if count == 0 || end > self.len() || self.extent(start..end, tabs) > bed_um {
                return false;
            }
            start = end;
        }
        start == self.len()
    }

    /// The split of last resort: one plate for the whole axis if it fits,
    /// else one plate per cell (which is the tightest split there is).
    pub(crate) fn fallback(&self, bed_um: i64) -> Vec<u32> {
        if self.total() <= bed_um || self.len() < 2 {
            vec![u32::try_from(self.len()).unwrap_or(u32::MAX)]
        } else {
            vec![1; self.len()]
        }
    }

    /// True when some split of this axis fits `bed_um`; then
    /// [`AxisTrace::fallback`] fits, so planning can always succeed.
    pub(crate) fn can_fit(&self, bed_um: i64, tabs: Tabs) -> bool {
        self.fits(&self.fallback(bed_um), bed_um, tabs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(size_mm: i64, filler: Filler) -> AxisTrace {
        AxisTrace::new(size_mm * 1000, &filler, 0.5)
    }

    #[test]
    fn half_cell_filler() {
        let t = trace(450, Filler::Fraction { denominator: 2 });
        assert_eq!(t.len(), 11);
        assert_eq!(t.cells[10], 21_000);
        assert_eq!((t.pad_start, t.pad_end), (4_500, 4_500));
        let t = trace(440, Filler::Fraction { denominator: 2 });
        assert_eq!((t.len(), t.pad_start + t.pad_end), (10, 20_000));
    }

    #[test]
    fn third_cells_fill_twice() {
        let t = trace(42 * 3 + 29, Filler::Fraction { denominator: 3 });
        assert_eq!(t.cells, vec![42_000, 42_000, 42_000, 14_000, 14_000]);
        assert_eq!(t.pad_start + t.pad_end, 1_000);
    }

    #[test]
    fn dynamic_filler() {
        let t = trace(100, Filler::Dynamic { min_mm: 15.0 });
        assert_eq!(t.cells, vec![42_000, 42_000, 16_000]);
        let t = trace(94, Filler::Dynamic { min_mm: 15.0 });
        assert_eq!(t.cells, vec![42_000, 52_000]);
        assert_eq!(t.pad_start + t.pad_end, 0);
    }

    #[test]
    fn no_filler_and_alignment() {
        let t = AxisTrace::new(100_000, &Filler::None, 0.0);
        assert_eq!(t.cells, vec![42_000, 42_000]);
        assert_eq!((t.pad_start, t.pad_end), (0, 16_000));
        let t = AxisTrace::new(100_001, &Filler::None, 0.5);
        assert_eq!((t.pad_start, t.pad_end), (8_001, 8_000));
    }

    #[test]
    fn extents_add_tabs_only_at_seams() {
        let t = trace(450, Filler::Fraction { denominator: 2 });
        let tabs = INTERSECTION_TABS;
        assert_eq!(t.extent(0..11, tabs), 450_000);
        assert_eq!(t.extent(0..5, tabs), 214_500 + 1_180);
        assert_eq!(t.extent(5..11, tabs), 235_500 + 574);
        assert_eq!(t.extent(2..3, tabs), 42_000 + 1_754);
    }
}
