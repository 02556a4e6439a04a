//! Where connector joints sit on a plate's seam sides.

use super::axis::AxisTrace;
use super::{Edge, Joint, Side, Sides};

/// Shortest cell edge that carries an edge-puzzle tab (µm).
pub(crate) const EDGE_PUZZLE_MIN_EDGE_UM: i64 = 12_000;
use crate::params::Connector;
use std::ops::Range;

/// The cells one plate holds and the role of its sides.
pub(super) struct PlateCells<'a> {
    pub x: (&'a AxisTrace, Range<usize>),
    pub y: (&'a AxisTrace, Range<usize>),
    pub edges: Sides<Edge>,
}

/// Joints on the seam sides of one plate, plate-local, sorted by side then
/// position (see [`crate::plan::PlatePlan::joints`] for the rules).
pub(super) fn plate_joints(connector: &Connector, plate: &PlateCells<'_>) -> Vec<Joint> {
    let mut joints = Vec::new();
    for side in Side::ALL {
        if *plate.edges.get(side) == Edge::Outer {
            continue;
        }
        let (trace, cells) = match side {
            Side::North | Side::South => &plate.x,
            Side::East | Side::West => &plate.y,
        };
        let lines = grid_lines(trace, cells.clone());
        match connector {
            Connector::IntersectionPuzzle { .. } => {
                let last = lines.len().saturating_sub(1);
                for (i, &at_um) in lines.iter().enumerate() {
                    if matches!(side, Side::North | Side::South) {
                        // At a corner next to a vertical seam the vertical
                        // seam's joint already sits there (T-junction).
                        let skip_first = i == 0 && plate.edges.west != Edge::Outer;
                        let skip_last = i == last && plate.edges.east != Edge::Outer;
                        if skip_first || skip_last {
                            continue;
                        }
                    }
                    joints.push(Joint {
                        side,
                        at_um,
                        cell_um: 0,
                    });
                }
            }
            Connector::EdgePuzzle => {
                for pair in lines.windows(2) {
                    let cell_um = pair[1] - pair[0];
                    // The 10 mm dovetail head needs room between the cell's corners.
                    if cell_um < EDGE_PUZZLE_MIN_EDGE_UM {
                        continue;
                    }
                    joints.push(Joint {
                        side,
                        at_um: pair[0] + cell_um.div_euclid(2),
                        cell_um,
                    });
                }
            }
            Connector::None => {}
        }
    }
    joints.sort_by_key(|j| (j.side, j.at_um));
    joints
}

/// Plate-local positions of the grid lines bounding `cells`, both ends included.
fn grid_lines(trace: &AxisTrace, cells: Range<usize>) -> Vec<i64> {
    let mut at = if cells.start == 0 { trace.pad_start } else { 0 };
    let mut lines = vec![at];
    for &cell in trace.cells.get(cells).unwrap_or(&[]) {
        at += cell;
        lines.push(at);
    }
    lines
}
