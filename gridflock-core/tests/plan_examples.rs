//! The spec's worked segmentation examples (§4.4, §4.5), whole plans.

use gridflock_core::{Connector, Edge, Joint, Params, Plan, Printer, Side, plan};

fn params(width: f64, height: f64, bed_x: f64, bed_y: f64) -> Params {
    Params {
        printer: Printer::Custom {
            bed_x_mm: bed_x,
            bed_y_mm: bed_y,
        },
        ..Params::new(width, height)
    }
}

fn planned(p: &Params) -> Plan {
    match plan(p) {
        Ok(plan) => plan,
        Err(e) => panic!("{e}"),
    }
}

/// Plate sizes in mm, in plate order.
fn sizes(plan: &Plan) -> Vec<(f64, f64)> {
    plan.plates
        .iter()
        .map(|p| (p.size_um[0] as f64 / 1000.0, p.size_um[1] as f64 / 1000.0))
        .collect()
}

/// Rows per plate of column `c`.
fn column_rows(plan: &Plan, c: u32) -> Vec<u32> {
    plan.plates
        .iter()
        .filter(|p| p.column == c)
        .map(|p| p.cells_y[1] - p.cells_y[0])
        .collect()
}

fn columns(plan: &Plan) -> Vec<u32> {
    plan.plates
        .iter()
        .filter(|p| p.row == 0)
        .map(|p| p.cells_x[1] - p.cells_x[0])
        .collect()
}

#[test]
fn plan_450_by_320_on_256() {
    let plan = planned(&params(450.0, 320.0, 256.0, 256.0));
    assert_eq!(plan.columns_um.len(), 11);
    assert_eq!(plan.rows_um.len(), 8);
    assert_eq!(
        [
            plan.padding_um.north,
            plan.padding_um.east,
            plan.padding_um.south,
            plan.padding_um.west
        ],
        [2_500, 4_500, 2_500, 4_500]
    );
    assert_eq!(columns(&plan), [5, 6]);
    assert_eq!(column_rows(&plan, 0), [5, 3]);
    assert_eq!(column_rows(&plan, 1), [2, 6]);
    assert_eq!(
        sizes(&plan),
        [
            (214.5, 212.5),
            (214.5, 107.5),
            (235.5, 86.5),
            (235.5, 233.5)
        ]
    );
    let numbers: Vec<u32> = plan.plates.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    // Plate 1: south-west corner of the set.
    let p1 = &plan.plates[0];
    assert_eq!(p1.origin_um, [0, 0]);
    assert_eq!(p1.padding_um.west, 4_500);
    assert_eq!(p1.padding_um.south, 2_500);
    assert_eq!(p1.padding_um.north, 0);
    assert_eq!(p1.padding_um.east, 0);
    assert_eq!(
        [p1.edges.north, p1.edges.east, p1.edges.south, p1.edges.west],
        [Edge::Male, Edge::Male, Edge::Outer, Edge::Outer]
    );
    assert_eq!(p1.bounds_um, [0, 0, 214_500 + 1_180, 212_500 + 1_180]);
    // Plate 3: odd column, first row.
    let p3 = &plan.plates[2];
    assert_eq!(p3.origin_um, [214_500, 0]);
    assert_eq!(p3.bounds_um, [-574, 0, 235_500, 86_500 + 1_180]);
    assert_eq!(plan.plates[3].origin_um, [214_500, 86_500]);
}

#[test]
fn plan_1000_by_600_on_256() {
    let plan = planned(&params(1000.0, 600.0, 256.0, 256.0));
    assert_eq!(plan.plates.len(), 15);
    assert_eq!(columns(&plan), [5, 4, 5, 5, 5]);
    for c in 0..5 {
        let expected: &[u32] = if c % 2 == 0 { &[5, 6, 3] } else { &[3, 6, 5] };
        assert_eq!(column_rows(&plan, c), expected, "column {c}");
    }
    let widths: Vec<f64> = plan
        .plates
        .iter()
        .filter(|p| p.row == 0)
        .map(|p| p.size_um[0] as f64 / 1000.0)
        .collect();
    assert_eq!(widths, [216.5, 168.0, 210.0, 210.0, 195.5]);
    let heights = |c: u32| -> Vec<f64> {
        plan.plates
            .iter()
            .filter(|p| p.column == c)
            .map(|p| p.size_um[1] as f64 / 1000.0)
            .collect()
    };
    assert_eq!(heights(0), [216.0, 252.0, 132.0]);
    assert_eq!(heights(1), [132.0, 252.0, 216.0]);
}

#[test]
fn defaults_371_by_254_on_250_by_220() {
    let plan = planned(&Params::default());
    assert_eq!(columns(&plan), [4, 5]);
    assert_eq!(column_rows(&plan, 0), [4, 2]);
    assert_eq!(column_rows(&plan, 1), [2, 4]);
    assert_eq!(
        sizes(&plan),
        [(175.0, 169.0), (175.0, 85.0), (196.0, 85.0), (196.0, 169.0)]
    );
}

#[test]
fn one_plate_84_by_84() {
    let plan = planned(&params(84.0, 84.0, 256.0, 256.0));
    assert_eq!(plan.plates.len(), 1);
    let p = &plan.plates[0];
    assert_eq!(p.size_um, [84_000, 84_000]);
    assert_eq!(p.bounds_um, [0, 0, 84_000, 84_000]);
    assert!(p.joints.is_empty());
    assert_eq!(p.edges.north, Edge::Outer);
}

#[test]
fn staggered_rows_from_the_spec() {
    // 42·n mm tall, no padding, on a bed that holds 5 rows plus the margin.
    for (rows, a, b) in [
        (6, vec![4, 2], vec![2, 4]),
        (10, vec![5, 5], vec![2, 5, 3]),
        (11, vec![4, 5, 2], vec![2, 5, 4]),
    ] {
        let plan = planned(&params(420.0, 42.0 * rows as f64, 256.0, 213.5));
        assert_eq!(column_rows(&plan, 0), a, "{rows} rows, plan A");
        assert_eq!(column_rows(&plan, 1), b, "{rows} rows, plan B");
    }
}

#[test]
fn intersection_joints_of_a_two_by_two_set() {
    // 4 × 3 cells on a 130 × 100 mm bed: two columns of two cells, rows
    // staggered [2, 1] / [1, 2].
    let plan = planned(&params(168.0, 126.0, 130.0, 100.0));
    assert_eq!(columns(&plan), [2, 2]);
    assert_eq!(column_rows(&plan, 0), [2, 1]);
    assert_eq!(column_rows(&plan, 1), [1, 2]);
    let joints = |i: usize| -> Vec<(Side, i64)> {
        plan.plates[i]
            .joints
            .iter()
            .map(|j| (j.side, j.at_um))
            .collect()
    };
    // Plate 1 (2 × 2 cells, SW): east seam at every row line 0, 42, 84;
    // north seam at x = 0 (outer west end) and 42, not at 84 (east is a seam).
    assert_eq!(
        joints(0),
        [
            (Side::North, 0),
            (Side::North, 42_000),
            (Side::East, 0),
            (Side::East, 42_000),
            (Side::East, 84_000),
        ]
    );
    // Plate 2 (2 × 1 cells, NW): south seam at 0 and 42; east seam at 0 and 42.
    assert_eq!(
        joints(1),
        [
            (Side::East, 0),
            (Side::East, 42_000),
            (Side::South, 0),
            (Side::South, 42_000),
        ]
    );
    // Plate 3 (2 × 1 cells, SE): north seam at 42 and 84 (west is a seam);
    // west seam at 0 and 42.
    assert_eq!(
        joints(2),
        [
            (Side::North, 42_000),
            (Side::North, 84_000),
            (Side::West, 0),
            (Side::West, 42_000),
        ]
    );
    assert!(
        plan.plates
            .iter()
            .all(|p| p.joints.iter().all(|j| j.cell_um == 0))
    );
}

#[test]
fn edge_puzzle_joints_sit_mid_cell() {
    let mut p = params(450.0, 320.0, 256.0, 256.0);
    p.connector = Connector::EdgePuzzle;
    let plan = planned(&p);
    let p1 = &plan.plates[0];
    // East side: one joint per row of the plate, at the middle of the cell edge.
    let east: Vec<Joint> = p1
        .joints
        .iter()
        .filter(|j| j.side == Side::East)
        .copied()
        .collect();
    let rows = (p1.cells_y[1] - p1.cells_y[0]) as usize;
    assert_eq!(east.len(), rows);
    assert_eq!(
        east[0],
        Joint {
            side: Side::East,
            at_um: p1.padding_um.south + 21_000,
            cell_um: 42_000
        }
    );
    // The half-cell column's edge on the north/south seams of column 2.
    let last_col = plan.plates.iter().find(|p| p.column == 1 && p.row == 0);
    let north: Vec<Joint> = last_col
        .map(|p| {
            p.joints
                .iter()
                .filter(|j| j.side == Side::North)
                .copied()
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        north.last().map(|j| (j.at_um, j.cell_um)),
        Some((5 * 42_000 + 10_500, 21_000))
    );
    // Without a magnet layer the tab stops at the rib (2.15 mm).
    assert!(p1.bounds_um[2] == p1.size_um[0] + 2_150 && p1.bounds_um[0] == 0);
}

#[test]
fn no_connector_keeps_seam_roles_without_joints() {
    let mut p = params(450.0, 320.0, 256.0, 256.0);
    p.connector = Connector::None;
    let plan = planned(&p);
    assert!(plan.plates.len() > 1);
    for plate in &plan.plates {
        assert!(plate.joints.is_empty());
        assert_eq!(plate.bounds_um, [0, 0, plate.size_um[0], plate.size_um[1]]);
    }
    assert_eq!(plan.plates[0].edges.east, Edge::Male);
}
