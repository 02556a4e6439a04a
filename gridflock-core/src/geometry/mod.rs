//! Plan → mesh: builds each plate from cell tiles.
//!
//! A plate is a grid of tiles (one per cell, the outer ones grown by the
//! padding). Tiles with the same [`tile::TileKey`] have the same mesh, so each
//! distinct tile of a set is meshed once ([`TileCache`]), welded into an
//! indexed mesh ([`weld`]) and translated by exact lattice offsets. Borders
//! between tiles carry no faces; the assembly ([`weld::Plate`]) shares the
//! vertices on them, and where two different tiles sample a shared border
//! differently (a level one of them lacks, a collinear point one of them
//! dropped), [`seams::close`] splits the coarser side so the plate is closed.
//! A numbered tile is, where it can be, its unnumbered twin with the number
//! engraved ([`engrave`]), so the number does not make a tile distinct, and
//! what inside a cell does not depend on its outline (slab regions, faces)
//! is computed once for all tiles that share it ([`interior`]).

mod digits;
mod engrave;
mod interior;
mod layers;
mod magnets;
mod memo;
mod poly;
pub(crate) mod puzzle;
mod refan;
mod seams;
mod tile;
mod weld;

#[cfg(test)]
mod tests;

use crate::params::Connector;
use crate::plan::{Edge, Plan, PlatePlan, Side};
use crate::{Mesh, lattice};
use std::collections::BTreeMap;
use tile::{Beyond, JointKind, TileJoint, TileKey};
use weld::{Indexed, Plate, Soup, TileMesh};

/// Meshes of distinct tiles, and what inside their cells does not depend on
/// the outline ([`interior`]), kept for the plates of one build.
#[derive(Default)]
pub(crate) struct TileCache {
    tiles: BTreeMap<TileKey, TileMesh>,
    interior: interior::InteriorCache,
    booleans: memo::Booleans,
}

impl TileCache {
    /// How many distinct tiles the cache holds.
    pub(crate) fn len(&self) -> usize {
        self.tiles.len()
    }
}

pub(crate) fn build_plate(plan: &Plan, plate: &PlatePlan, cache: &mut TileCache) -> Mesh {
    plate_mesh(plan, plate, cache).into_mesh(plan.bottom_um)
}

/// The closed mesh of one plate, in plate-local lattice coordinates.
fn plate_mesh(plan: &Plan, plate: &PlatePlan, cache: &mut TileCache) -> Indexed {
    let [cx0, cx1] = plate.cells_x.map(|c| c as usize);
    let [cy0, cy1] = plate.cells_y.map(|c| c as usize);
    let columns = &plan.columns_um[cx0..cx1];
    let rows = &plan.rows_um[cy0..cy1];
    let pad = plate.padding_um;
    let xs = offsets(pad.west, columns);
    let ys = offsets(pad.south, rows);

    // Every tile is meshed (or found) first, so that the plate is allocated once.
    let mut placed = Vec::with_capacity(columns.len() * rows.len());
    for (i, &w) in columns.iter().enumerate() {
        for (j, &h) in rows.iter().enumerate() {
            let key = tile_key(
                plan,
                plate,
                [i, j],
                [columns.len(), rows.len()],
                [w, h],
                [xs[i], ys[j]],
            );
            if !cache.tiles.contains_key(&key) {
                let tile = mesh_tile(&key, cache);
                cache.tiles.insert(key.clone(), tile);
            }
            placed.push((key, xs[i] as i32, ys[j] as i32));
        }
    }
    let mut assembly = Plate::with_room_for(placed.iter().map(|(key, ..)| &cache.tiles[key]));
    for (key, dx, dy) in &placed {
        assembly.append(&cache.tiles[key], *dx, *dy);
    }
    let inner_x: Vec<i32> = xs[1..columns.len()].iter().map(|&x| x as i32).collect();
    let inner_y: Vec<i32> = ys[1..rows.len()].iter().map(|&y| y as i32).collect();
    seams::close(&mut assembly, &inner_x, &inner_y);
    assembly.mesh
}

/// Meshes a tile; a numbered one, where it can, as its unnumbered twin
/// (meshed once, shared with other plates) with the number engraved.
fn mesh_tile(key: &TileKey, cache: &mut TileCache) -> TileMesh {
    if let Some((plain, strokes)) = key.engraving() {
        if !cache.tiles.contains_key(&plain) {
            let tile = mesh_tile(&plain, cache);
            cache.tiles.insert(plain.clone(), tile);
        }
        let depth = tile::LABEL_DEPTH_UM as i32;
        let plain = cache.tiles[&plain].mesh();
        if let Some(mesh) = engrave::engrave(plain, key.zbot as i32, &strokes, depth) {
            return TileMesh::new(mesh, &key.borders());
        }
    }
    let mut soup = Soup::default();
    key.build(&mut cache.interior, &mut cache.booleans, &mut soup);
    TileMesh::new(Indexed::weld(&soup), &key.borders())
}

/// Start of every cell along an axis, after `start` padding.
fn offsets(start: i64, sizes: &[i64]) -> Vec<i64> {
    let mut out = Vec::with_capacity(sizes.len() + 1);
    let mut at = start;
    for &s in sizes {
        out.push(at);
        at += s;
    }
    out.push(at);
    out
}

fn tile_key(
    plan: &Plan,
    plate: &PlatePlan,
    [i, j]: [usize; 2],
    [nx, ny]: [usize; 2],
    [w, h]: [i64; 2],
    [ox, oy]: [i64; 2],
) -> TileKey {
    let pad = plate.padding_um;
    let (first_x, last_x, first_y, last_y) = (i == 0, i + 1 == nx, j == 0, j + 1 == ny);
    let domain = [
        if first_x { -pad.west } else { 0 },
        if first_y { -pad.south } else { 0 },
        w + if last_x { pad.east } else { 0 },
        h + if last_y { pad.north } else { 0 },
    ];
    let no_connector = plan.params.connector == Connector::None;
    let beyond = |on_edge: bool, edge: Edge| {
        if on_edge {
            Beyond::from_edge(edge, no_connector)
        } else {
            Beyond::Tile
        }
    };
    let sides = [
        beyond(last_y, plate.edges.north),
        beyond(last_x, plate.edges.east),
        beyond(first_y, plate.edges.south),
        beyond(first_x, plate.edges.west),
    ];
    let outside = |k: usize| sides[k] == Beyond::Outside;
    let r = lattice::mm_to_um(plan.params.corner_radius_mm);
    let corner_radius = [
        if outside(0) && outside(1) { r } else { 0 },
        if outside(2) && outside(1) { r } else { 0 },
        if outside(2) && outside(3) { r } else { 0 },
        if outside(0) && outside(3) { r } else { 0 },
    ];

    let kind = match plan.params.connector {
        Connector::IntersectionPuzzle { .. } => Some(JointKind::Intersection),
        Connector::EdgePuzzle => Some(JointKind::Edge),
        Connector::None => None,
    };
    let mut joints = Vec::new();
    if let Some(kind) = kind {
        for joint in &plate.joints {
            let k = match joint.side {
                Side::North => 0,
                Side::East => 1,
                Side::South => 2,
                Side::West => 3,
            };
            if !matches!(sides[k], Beyond::MaleSeam | Beyond::FemaleSeam) {
                continue;
            }
            let (origin, lo, hi) = match joint.side {
                Side::East | Side::West => (oy, domain[1], domain[3]),
                Side::North | Side::South => (ox, domain[0], domain[2]),
            };
            let at = joint.at_um - origin;
            let reach = match kind {
                JointKind::Intersection => puzzle::JOINT_REACH_UM,
                JointKind::Edge => 0,
            };
            if at < lo - reach || at > hi + reach {
                continue;
            }
            if kind == JointKind::Edge && (at <= lo || at >= hi) {
                continue;
            }
            joints.push(TileJoint {
                side: joint.side,
                at,
                kind,
            });
        }
    }
    joints.sort_unstable();
    let fit_bits = match plan.params.connector {
        Connector::IntersectionPuzzle { fit } => fit.to_bits(),
        _ => 1.0f64.to_bits(),
    };
    let label = (plan.params.numbering && i == 0 && j == 0).then(|| plate.number.to_string());
    TileKey {
        w,
        h,
        domain,
        sides,
        corner_radius,
        joints,
        fit_bits,
        magnets: magnets::MagnetSpec::new(plan.params.magnets, &plan.params.magnet_dims),
        zbot: plan.bottom_um,
        label,
    }
}
