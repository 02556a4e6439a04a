//! Every plate fits the bed, the plates tile the set exactly and are numbered
//! in order, for every plate width from 42 to 2000 mm on common beds.

use gridflock_core::profile::MIN_CELL_UM;
use gridflock_core::{Connector, Edge, Filler, Params, Plan, Printer, plan};

fn params(width: f64, height: f64, bed: f64, connector: Connector) -> Params {
    Params {
        printer: Printer::Custom {
            bed_x_mm: bed,
            bed_y_mm: bed,
        },
        connector,
        ..Params::new(width, height)
    }
}

/// Checks every invariant of `plan`; returns a description of the first failure.
fn check(plan: &Plan) -> Result<(), String> {
    let [bed_x, bed_y] = plan.bed_um;
    let smallest = plan.columns_um.iter().chain(&plan.rows_um).min();
    if smallest.is_none_or(|&c| c < MIN_CELL_UM) {
        return Err(format!("a cell is narrower than {MIN_CELL_UM} µm"));
    }
    let mut columns: Vec<(i64, i64, [u32; 2])> = Vec::new();
    for (i, p) in plan.plates.iter().enumerate() {
        let [ex, ey] = p.extent_um();
        if ex > bed_x || ey > bed_y {
            return Err(format!(
                "plate {} extent {ex}×{ey} > bed {bed_x}×{bed_y}",
                p.number
            ));
        }
        if p.number as usize != i + 1 {
            return Err(format!("plate {i} numbered {}", p.number));
        }
        if p.cells_x[0] >= p.cells_x[1] || p.cells_y[0] >= p.cells_y[1] {
            return Err(format!("plate {} has no cells", p.number));
        }
        let cells = |range: [u32; 2], of: &[i64]| -> i64 {
            of[range[0] as usize..range[1] as usize].iter().sum()
        };
        let pads = p.padding_um;
        if p.size_um[0] != cells(p.cells_x, &plan.columns_um) + pads.east + pads.west
            || p.size_um[1] != cells(p.cells_y, &plan.rows_um) + pads.north + pads.south
        {
            return Err(format!("plate {} size ≠ cells + padding", p.number));
        }
        // Padding and tabs only where they belong.
        for (edge, pad) in [
            (p.edges.north, pads.north),
            (p.edges.east, pads.east),
            (p.edges.south, pads.south),
            (p.edges.west, pads.west),
        ] {
            if edge != Edge::Outer && pad != 0 {
                return Err(format!("plate {} has padding on a seam", p.number));
            }
        }
        match columns.last_mut() {
            Some((x, width, cx)) if *x == p.origin_um[0] => {
                if *width != p.size_um[0] || *cx != p.cells_x {
                    return Err(format!("plate {} width differs in its column", p.number));
                }
            }
            _ => columns.push((p.origin_um[0], p.size_um[0], p.cells_x)),
        }
    }
    // Columns tile x; within each column, rows tile y.
    let mut x = 0;
    for (origin, width, _) in &columns {
        if *origin != x {
            return Err(format!("column at {origin} expected at {x}"));
        }
        x += width;
        let mut y = 0;
        for p in plan.plates.iter().filter(|p| p.origin_um[0] == *origin) {
            if p.origin_um[1] != y {
                return Err(format!(
                    "plate {} at y {} expected {y}",
                    p.number, p.origin_um[1]
                ));
            }
            y += p.size_um[1];
        }
        if y != plan.size_um[1] {
            return Err(format!(
                "column at {origin} is {y} tall, set is {}",
                plan.size_um[1]
            ));
        }
    }
    if x != plan.size_um[0] {
        return Err(format!("columns are {x} wide, set is {}", plan.size_um[0]));
    }
    Ok(())
}

fn sweep(bed: f64, heights: &[f64], connector: Connector) {
    let mut failures = Vec::new();
    for &height in heights {
        for width in 42..=2000 {
            let p = params(f64::from(width), height, bed, connector);
            match plan(&p) {
                Ok(plan) => {
                    if let Err(e) = check(&plan) {
                        failures.push(format!("{width}×{height} on {bed}: {e}"));
                    }
                }
                Err(e) => failures.push(format!("{width}×{height} on {bed}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

const HEIGHTS: &[f64] = &[42.0, 320.0, 1337.0];
const IP: Connector = Connector::IntersectionPuzzle { fit: 1.0 };

#[test]
fn sweep_bed_120() {
    sweep(120.0, HEIGHTS, IP);
}

#[test]
fn sweep_bed_220() {
    sweep(220.0, HEIGHTS, IP);
}

#[test]
fn sweep_bed_250() {
    sweep(250.0, HEIGHTS, IP);
}

#[test]
fn sweep_bed_256() {
    sweep(256.0, HEIGHTS, IP);
}

#[test]
fn sweep_bed_300() {
    sweep(300.0, HEIGHTS, IP);
}

#[test]
fn sweep_other_connectors() {
    sweep(256.0, &[500.0], Connector::EdgePuzzle);
    sweep(180.0, &[500.0], Connector::None);
}

#[test]
fn sweep_heights() {
    // Transpose: the y axis gets the full range on a few widths.
    let mut failures = Vec::new();
    for bed in [120.0, 220.0, 256.0] {
        for width in [42.0, 300.0, 1000.0] {
            for height in 42..=2000 {
                let p = params(width, f64::from(height), bed, IP);
                if let Err(e) = plan(&p).map_err(|e| e.to_string()).and_then(|p| check(&p)) {
                    failures.push(format!("{width}×{height} on {bed}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn other_fillers_and_alignments() {
    let mut failures = Vec::new();
    for filler in [
        Filler::None,
        Filler::Fraction { denominator: 3 },
        Filler::Fraction { denominator: 4 },
        Filler::Dynamic { min_mm: 15.0 },
        Filler::Dynamic { min_mm: 41.0 },
    ] {
        for align in [0.0, 0.3, 1.0] {
            for size in (42..=2000).step_by(7) {
                let mut p = params(f64::from(size), f64::from(2042 - size), 256.0, IP);
                p.filler = filler;
                p.alignment.x = align;
                p.alignment.y = 1.0 - align;
                if let Err(e) = plan(&p).map_err(|e| e.to_string()).and_then(|p| check(&p)) {
                    failures.push(format!("{filler:?} {align} {size}: {e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn the_originals_overflows_now_fit() {
    for (width, bed) in [(954.0, 256.0), (456.0, 120.0), (1085.0, 250.0)] {
        let plan = plan(&params(width, 100.0, bed, IP));
        let plan = match plan {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(check(&plan), Ok(()));
        let columns = plan.plates.iter().filter(|p| p.row == 0).count();
        // One more column than the original's split.
        let original = match width as i64 {
            954 => 4,
            456 => 5,
            _ => 5,
        };
        assert_eq!(columns, original + 1, "{width} on {bed}");
    }
}
