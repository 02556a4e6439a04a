//! Closed-form volume of a plate without connectors or numbers:
//! the slab, minus every cell's opening (lofted profile), minus the magnet
//! layer's openings, plus the corner pads, minus pockets and release cuts.
//!
//! Arcs are the same 40-gons the generator uses (a quarter corner of radius r
//! covers `5·sin(π/20)·r²`); small curved cut-outs inside pads use the true
//! circle, whose difference is far below the 0.1 % tolerance.

use gridflock_core::{Edge, Magnets, Plan, PlatePlan};
use std::f64::consts::PI;

const Q: f64 = 0.782_172_325_201_155; // 5·sin(π/20): quarter 40-gon area / r²

fn quarter_poly(r: f64) -> f64 {
    Q * r * r
}

fn full_poly(r: f64) -> f64 {
    4.0 * quarter_poly(r)
}

/// Opening area of a `w × h` cell at inset `d` (corner centres 4 mm in).
fn opening(w: f64, h: f64, d: f64) -> f64 {
    let r = 4.0 - d;
    (w - 2.0 * d) * (h - 2.0 * d) - 4.0 * (r * r - quarter_poly(r))
}

/// ∫ of the opening over the profile (Simpson is exact on each linear slab).
fn profile_opening(w: f64, h: f64) -> f64 {
    let slabs = [
        (0.0, 0.7, 2.85, 2.15),
        (0.7, 2.5, 2.15, 2.15),
        (2.5, 4.65, 2.15, 0.0),
    ];
    slabs
        .iter()
        .map(|&(z0, z1, d0, d1)| {
            (z1 - z0) / 6.0
                * (opening(w, h, d0) + 4.0 * opening(w, h, (d0 + d1) / 2.0) + opening(w, h, d1))
        })
        .sum()
}

/// ∫_{-r}^{r} √(ρ² − s²) ds.
fn chord_integral(rho: f64, r: f64) -> f64 {
    r * (rho * rho - r * r).sqrt() + rho * rho * (r / rho).asin()
}

struct Magnet {
    style: Magnets,
    d: f64,
    height: f64,
    top: f64,
    bottom: f64,
    border: f64,
    release: f64,
}

impl Magnet {
    fn layer(&self) -> f64 {
        let top = if self.style == Magnets::GlueTop {
            0.0
        } else {
            self.top
        };
        let bottom = if self.style == Magnets::GlueBottom {
            0.0
        } else {
            self.bottom
        };
        top + bottom + self.height
    }
    fn pad(&self) -> f64 {
        8.0 + self.d / 2.0 + self.border
    }
    /// Pad area inside the magnet-layer opening.
    fn pad_in_opening(&self) -> f64 {
        let s = self.pad();
        let rho = s - 8.0;
        let pad = s * s - (rho * rho - quarter_poly(rho));
        pad - (2.0 * s * 2.85 - 2.85 * 2.85) - (1.15 * 1.15 - quarter_poly(1.15))
    }
    /// Volume cut from one corner pad.
    fn cut(&self, diagonal: bool) -> f64 {
        let r = self.d / 2.0;
        let rs = self.release / 2.0;
        let rho = self.pad() - 8.0;
        let layer = self.layer();
        let circle = full_poly(r);
        match self.style {
            Magnets::PressFit => {
                // Channel part inside the pad, beyond the pocket's half circle.
                let channel = if diagonal {
                    chord_integral(rho, r) - PI * r * r / 2.0
                } else {
                    r * rho + chord_integral(rho, r) / 2.0 - PI * r * r / 2.0
                };
                let pocket = circle + channel;
                if self.release <= 0.0 {
                    return pocket * self.height;
                }
                let slot = full_poly(rs) + 2.0 * rs * (r + 2.0);
                // The slot's round end inside the pocket, and its straight
                // part up to the pocket wall.
                let overlap = PI * rs * rs / 2.0 + chord_integral(r, rs);
                slot * (layer - self.top) + (pocket - overlap) * self.height
            }
            _ => {
                let hole = if self.release > 0.0 {
                    full_poly(rs)
                } else {
                    0.0
                };
                circle * self.height + hole * (layer - self.height)
            }
        }
    }
}

/// Expected volume (mm³) of `plate`.
pub(crate) fn plate(plan: &Plan, plate: &PlatePlan) -> f64 {
    let mm = |um: i64| um as f64 / 1000.0;
    let p = &plan.params;
    let (w, h) = (mm(plate.size_um[0]), mm(plate.size_um[1]));
    let r = p.corner_radius_mm;
    let e = plate.edges;
    let corners = [
        (e.north, e.east),
        (e.south, e.east),
        (e.south, e.west),
        (e.north, e.west),
    ]
    .iter()
    .filter(|(a, b)| *a == Edge::Outer && *b == Edge::Outer)
    .count() as f64;
    let r_um = (r * 1000.0).round() / 1000.0;
    let footprint = w * h - corners * (r_um * r_um - quarter_poly(r_um));
    let height = mm(plan.height_um());
    let mut v = footprint * height;
    let magnet = Magnet {
        style: p.magnets,
        d: p.magnet_dims.diameter_mm,
        height: p.magnet_dims.height_mm,
        top: p.magnet_dims.top_mm,
        bottom: p.magnet_dims.bottom_mm,
        border: p.magnet_dims.border_mm,
        release: p.magnet_dims.release_width_mm,
    };
    let columns = &plan.columns_um[plate.cells_x[0] as usize..plate.cells_x[1] as usize];
    let rows = &plan.rows_um[plate.cells_y[0] as usize..plate.cells_y[1] as usize];
    for &cw in columns {
        for &ch in rows {
            let (cw, ch) = (mm(cw), mm(ch));
            v -= profile_opening(cw, ch);
            if p.magnets == Magnets::None {
                continue;
            }
            let layer = magnet.layer();
            v -= opening(cw, ch, 2.85) * layer;
            let min_cell = magnet.pad() + 2.85;
            if cw < min_cell || ch < min_cell {
                continue;
            }
            let (n, diagonal) = match (cw >= 42.0, ch >= 42.0) {
                (true, true) => (4.0, true),
                (false, false) => (1.0, true),
                _ => (2.0, false),
            };
            v += n * magnet.pad_in_opening() * layer;
            v -= n * magnet.cut(diagonal);
        }
    }
    v
}
