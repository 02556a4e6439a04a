//! Segmentation: from resolved input to plates that fit the bed (spec §4–5).

use super::joints::{PlateCells, plate_joints};
use super::split_x::split_x;
use super::split_y::split_y;
use super::validate::Resolved;
use super::{Edge, Plan, PlatePlan, Side, Sides};
use crate::params::Params;

/// Lays out the plate set: columns by [`split_x`], rows per column by
/// [`split_y`] (plan A for even columns, B for odd), numbered column by
/// column west to east and south to north within a column.
pub(crate) fn layout(params: &Params, resolved: &Resolved) -> Plan {
    let [tx, ty] = &resolved.axes;
    let tabs = resolved.tabs;
    let plan_x = split_x(tx, resolved.bed_um[0], resolved.margin_um, tabs);
    let plans_y = split_y(
        ty,
        resolved.bed_um[1],
        resolved.margin_um,
        tabs,
        plan_x.len(),
    );

    let mut plates = Vec::new();
    let mut x0 = 0usize;
    let mut origin_x = 0i64;
    for (column, &columns_here) in plan_x.iter().enumerate() {
        let xs = x0..x0 + columns_here as usize;
        let width = tx.span(xs.clone());
        let mut y0 = 0usize;
        let mut origin_y = 0i64;
        for (row, &rows_here) in plans_y[column % 2].iter().enumerate() {
            let ys = y0..y0 + rows_here as usize;
            let height = ty.span(ys.clone());
            let seam = |inner: bool, role: Edge| if inner { role } else { Edge::Outer };
            let edges = Sides {
                north: seam(ys.end < ty.len(), Edge::Male),
                east: seam(xs.end < tx.len(), Edge::Male),
                south: seam(ys.start > 0, Edge::Female),
                west: seam(xs.start > 0, Edge::Female),
            };
            let pad = |outer: bool, value: i64| if outer { value } else { 0 };
            let padding_um = Sides {
                north: pad(ys.end >= ty.len(), ty.pad_end),
                east: pad(xs.end >= tx.len(), tx.pad_end),
                south: pad(ys.start == 0, ty.pad_start),
                west: pad(xs.start == 0, tx.pad_start),
            };
            let cells = PlateCells {
                x: (tx, xs.clone()),
                y: (ty, ys.clone()),
                edges,
            };
            let joints = plate_joints(&params.connector, &cells);
            // A side sticks out only where it actually carries a joint.
            let tab = |side: Side, edge: Edge| match edge {
                _ if !joints.iter().any(|j| j.side == side) => 0,
                Edge::Outer => 0,
                Edge::Male => tabs.male,
                Edge::Female => tabs.female,
            };
            let bounds_um = [
                -tab(Side::West, edges.west),
                -tab(Side::South, edges.south),
                width + tab(Side::East, edges.east),
                height + tab(Side::North, edges.north),
            ];
            plates.push(PlatePlan {
                number: to_u32(plates.len() + 1),
                column: to_u32(column),
                row: to_u32(row),
                cells_x: [to_u32(xs.start), to_u32(xs.end)],
                cells_y: [to_u32(ys.start), to_u32(ys.end)],
                origin_um: [origin_x, origin_y],
                size_um: [width, height],
                padding_um,
                edges,
                joints,
                bounds_um,
            });
            y0 = ys.end;
            origin_y += height;
        }
        x0 = xs.end;
        origin_x += width;
    }

    Plan {
        params: params.clone(),
        bed_um: resolved.bed_um,
        size_um: resolved.size_um,
        columns_um: tx.cells.clone(),
        rows_um: ty.cells.clone(),
        padding_um: Sides {
            north: ty.pad_end,
            east: tx.pad_end,
            south: ty.pad_start,
            west: tx.pad_start,
        },
        bottom_um: resolved.bottom_um,
        plates,
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
