//! One cell tile: the cell's opening plus whatever of the plate surrounds it
//! (padding, outer walls, seam connectors, magnets, the plate number), as a
//! stack of slabs for the layered mesher.
//!
//! A tile's *domain* is its cell square grown by the padding on outer sides.
//! Domains of a plate's tiles tile the plate exactly; where two tiles meet,
//! the border is interior (no wall) and both sample it identically.

use super::digits;
use super::interior::InteriorCache;
use super::layers::{self, Border, Ring, Slab};
use super::magnets::{self, MagnetSpec};
use super::memo::Booleans;
use super::poly::{self, Contour, Shapes, arc, pt, shape};
use super::puzzle::{self, IntersectionJoint, Local};
use super::weld::Soup;
use crate::plan::{Edge, Side};
use crate::profile::{BOTTOM_INSET_UM, PROFILE, TOP_RADIUS_UM};

/// Everything that determines a tile's mesh, in cell coordinates (the cell's
/// south-west corner at the origin). Equal keys give identical meshes, so a
/// plate set meshes each distinct tile once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TileKey {
    /// Cell size.
    pub(crate) w: i64,
    pub(crate) h: i64,
    /// Domain `[x0, y0, x1, y1]`.
    pub(crate) domain: [i64; 4],
    /// Per side (N, E, S, W): what lies beyond the domain edge.
    pub(crate) sides: [Beyond; 4],
    /// Radius of rounded domain corners (NE, SE, SW, NW order); 0 = square.
    pub(crate) corner_radius: [i64; 4],
    /// Connector joints touching this tile.
    pub(crate) joints: Vec<TileJoint>,
    /// Intersection-puzzle fit, as raw bits (1.0 when unused).
    pub(crate) fit_bits: u64,
    /// Magnet configuration.
    pub(crate) magnets: Option<MagnetSpec>,
    /// Lowest z of the plate.
    pub(crate) zbot: i64,
    /// Engraved plate number, if this tile carries it.
    pub(crate) label: Option<String>,
}

/// What is on the other side of a domain edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Beyond {
    /// Another tile of the same plate.
    Tile,
    /// Nothing: the plate's outer edge.
    Outside,
    /// A seam where this plate is male.
    MaleSeam,
    /// A seam where this plate is female.
    FemaleSeam,
    /// A seam without connector (connector type none).
    PlainSeam,
}

impl Beyond {
    pub(crate) fn from_edge(edge: Edge, connector_none: bool) -> Self {
        match edge {
            Edge::Outer => Beyond::Outside,
            _ if connector_none => Beyond::PlainSeam,
            Edge::Male => Beyond::MaleSeam,
            Edge::Female => Beyond::FemaleSeam,
        }
    }
}

/// A joint on one of the tile's seam sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TileJoint {
    pub(crate) side: Side,
    /// Centre along the side, in cell coordinates.
    pub(crate) at: i64,
    pub(crate) kind: JointKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum JointKind {
    Intersection,
    Edge,
}

const EDGE_PUZZLE_MALE_TOP_UM: i64 = 2_000;
const EDGE_PUZZLE_FEMALE_TOP_UM: i64 = 2_250;
const EDGE_PUZZLE_BAR_UM: i64 = 6_200;
/// How far connector outlines stay from the openings' top corner arcs.
const CORNER_CLEARANCE_UM: i64 = 50;
/// Depth of the engraved number.
pub(crate) const LABEL_DEPTH_UM: i64 = 500;

/// The cell's opening ring at every level, with the points where connector
/// outlines meet its top ring inserted at every level. The crossings are
/// rounded onto the lattice once, at the top; lower rings get the same chord
/// parameter, so the loft keeps one topology and the top ring passes exactly
/// through the outline's corners.
struct Opening {
    w: i64,
    h: i64,
    /// (top-ring edge index, parameter along it, exact top point), sorted.
    extras: Vec<(usize, f64, poly::Pt)>,
}

impl Opening {
    fn new(tile: &TileKey, outline: &Shapes) -> Opening {
        let top = tile.opening(0);
        let mut extras = Vec::new();
        for shape in outline {
            for c in shape {
                for &p in c {
                    if top.contains(&p) {
                        continue;
                    }
                    for j in 0..top.len() {
                        let (a, b) = (top[j], top[(j + 1) % top.len()]);
                        let (dx, dy) = ((b.x - a.x) as i64, (b.y - a.y) as i64);
                        let (px, py) = ((p.x - a.x) as i64, (p.y - a.y) as i64);
                        let len2 = dx * dx + dy * dy;
                        let cross = (dx * py - dy * px) as i128;
                        let dot = dx * px + dy * py;
                        if cross * cross <= len2 as i128 && dot > 0 && dot < len2 {
                            extras.push((j, dot as f64 / len2 as f64, p));
                            break;
                        }
                    }
                }
            }
        }
        extras.sort_by(|a, b| {
            (a.0, a.1)
                .partial_cmp(&(b.0, b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        extras.dedup_by(|a, b| a.2 == b.2);
        Opening {
            w: tile.w,
            h: tile.h,
            extras,
        }
    }

    /// The ring at inset `d`.
    fn at(&self, d: i64) -> Contour {
        let base = poly::rounded_rect(d, d, self.w - d, self.h - d, TOP_RADIUS_UM - d);
        if self.extras.is_empty() {
            return base;
        }
        let mut out = Vec::with_capacity(base.len() + self.extras.len());
        let mut k = 0;
        for j in 0..base.len() {
            out.push(base[j]);
            let (a, b) = (base[j], base[(j + 1) % base.len()]);
            while k < self.extras.len() && self.extras[k].0 == j {
                let (_, t, exact) = self.extras[k];
                out.push(if d == 0 {
                    exact
                } else {
                    pt(
                        a.x as i64 + crate::lattice::round((b.x - a.x) as f64 * t),
                        a.y as i64 + crate::lattice::round((b.y - a.y) as f64 * t),
                    )
                });
                k += 1;
            }
        }
        // No dedup: every level must keep the same vertex count for the loft.
        // Where a lower ring's interpolated point lands on a neighbour, the
        // loft quad there simply degenerates to a triangle (see `strip`).
        out
    }
}

/// Contours enclosing less than this (µm²) are numerical debris of the
/// booleans (a few µm across), never a feature: the smallest real hole, a
/// digit stroke, is 160 000 µm².
const DEBRIS_AREA_UM2: i128 = 100;

/// Drops debris: shapes and holes smaller than [`DEBRIS_AREA_UM2`].
fn without_debris(shapes: Shapes) -> Shapes {
    shapes
        .into_iter()
        .filter(|s| {
            s.first()
                .is_some_and(|c| poly::area2(c).abs() >= 2 * DEBRIS_AREA_UM2)
        })
        .map(|s| {
            s.into_iter()
                .enumerate()
                .filter(|(i, c)| *i == 0 || poly::area2(c).abs() >= 2 * DEBRIS_AREA_UM2)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

/// Keeps the largest shape, without debris: where a joint is clipped at the
/// plate's outer edge, a sliver of lip can be cut loose from the plate; it is
/// dropped.
fn largest(shapes: Shapes) -> Shapes {
    let mut shapes = without_debris(shapes);
    if shapes.len() > 1 {
        let area = |s: &Vec<Contour>| s.first().map(|c| poly::area2(c).abs()).unwrap_or(0);
        let keep = (0..shapes.len())
            .max_by_key(|&i| area(&shapes[i]))
            .unwrap_or(0);
        shapes = vec![shapes.swap_remove(keep)];
    }
    shapes
}

fn side_index(side: Side) -> usize {
    match side {
        Side::North => 0,
        Side::East => 1,
        Side::South => 2,
        Side::West => 3,
    }
}

impl TileKey {
    fn beyond(&self, side: Side) -> Beyond {
        self.sides[side_index(side)]
    }

    /// The cell opening at inset `d` from the cell edge, without extra points.
    fn opening(&self, d: i64) -> Contour {
        poly::rounded_rect(d, d, self.w - d, self.h - d, TOP_RADIUS_UM - d)
    }

    /// Builds the tile's triangles in cell coordinates.
    pub(crate) fn build(
        &self,
        interior: &mut InteriorCache,
        booleans: &mut Booleans,
        soup: &mut Soup,
    ) {
        let outline = self.outline();
        let has_ip = self
            .joints
            .iter()
            .any(|j| j.kind == JointKind::Intersection);
        let (ip_cut, ip_add) = if has_ip {
            self.intersection_features(f64::from_bits(self.fit_bits), booleans)
        } else {
            (Vec::new(), Vec::new())
        };
        let mut base = largest(poly::union(&poly::difference(&outline, &ip_cut), &ip_add));
        layers::open_near_misses(&mut base, self.domain.map(|v| v as i32));
        let ring = Opening::new(self, &base);

        let magnet_open = self.magnet_open(&ring, booleans);
        let levels = self.levels();
        let mut slabs = Vec::with_capacity(levels.len() - 1);
        for pair in levels.windows(2) {
            let slab = self.slab(&base, &ring, &magnet_open, [pair[0], pair[1]], interior);
            slabs.push(slab);
        }
        let borders: Vec<Border> = self.borders();
        let levels32: Vec<i32> = levels.iter().map(|&z| z as i32).collect();
        layers::mesh(&levels32, &slabs, &borders, &base, interior, soup);
    }

    /// For a numbered tile whose lowest slab is a plain wall deeper than the
    /// engraving: the same tile without its number, and the number's
    /// strokes, for [`super::engrave`].
    pub(crate) fn engraving(&self) -> Option<(TileKey, Shapes)> {
        let label = self.label.as_ref()?;
        let plain = TileKey {
            label: None,
            ..self.clone()
        };
        let first_top = *plain.levels().get(1)?;
        if first_top > 0 || first_top - self.zbot <= LABEL_DEPTH_UM {
            return None;
        }
        let strokes = self
            .label_shapes(label)
            .into_iter()
            .map(|c| vec![c])
            .collect();
        Some((plain, strokes))
    }

    /// The lines on which a neighbouring tile continues, in cell coordinates.
    pub(crate) fn borders(&self) -> Vec<Border> {
        let [x0, y0, x1, y1] = self.domain;
        let mut b = Vec::new();
        for side in Side::ALL {
            if self.beyond(side) == Beyond::Tile {
                b.push(match side {
                    Side::North => Border::Y(y1 as i32),
                    Side::East => Border::X(x1 as i32),
                    Side::South => Border::Y(y0 as i32),
                    Side::West => Border::X(x0 as i32),
                });
            }
        }
        b
    }

    fn levels(&self) -> Vec<i64> {
        let mut z: Vec<i64> = PROFILE.iter().map(|&(z, _)| z).collect();
        z.push(self.zbot);
        if let Some(m) = &self.magnets {
            let (pocket, release) = m.z_ranges();
            z.extend([pocket.0, pocket.1]);
            if m.release > 0 {
                z.extend([release.0, release.1]);
            }
        }
        if self.label.is_some() {
            z.push(self.zbot + LABEL_DEPTH_UM);
        }
        for j in &self.joints {
            if j.kind == JointKind::Edge {
                z.push(if self.beyond(j.side) == Beyond::MaleSeam {
                    EDGE_PUZZLE_MALE_TOP_UM
                } else {
                    EDGE_PUZZLE_FEMALE_TOP_UM
                });
            }
        }
        z.retain(|&v| v >= self.zbot);
        z.sort_unstable();
        z.dedup();
        z
    }

    /// Inset of the opening from the cell edge at height `z ≥ 0`.
    fn inset_at(z: i64) -> i64 {
        for pair in PROFILE.windows(2) {
            let ((za, da), (zb, db)) = (pair[0], pair[1]);
            if z >= za && z <= zb {
                return da + (db - da) * (z - za) / (zb - za);
            }
        }
        0
    }

    /// The slab between `za` and `zb`; `magnet_open` is [`Self::magnet_open`].
    fn slab(
        &self,
        base: &Shapes,
        ring_of: &Opening,
        magnet_open: &Shapes,
        [za, zb]: [i64; 2],
        interior: &mut InteriorCache,
    ) -> Slab {
        let mut adds: Shapes = Vec::new();
        let mut cuts: Shapes = Vec::new();
        self.edge_puzzle(za, zb, &mut adds, &mut cuts);
        if let Some(label) = &self.label
            && zb <= self.zbot + LABEL_DEPTH_UM
        {
            cuts.extend(self.label_shapes(label).into_iter().map(|c| vec![c]));
        }
        // Edge-puzzle features and the number reach the outline; what is cut
        // after them (the opening, magnet pockets) is the cell's own.
        let base_less_cuts = adds.is_empty() && cuts.is_empty();
        let mut ring = None;
        if zb <= 0 {
            self.magnet_cuts(za, zb, &mut cuts);
            cuts.extend_from_slice(magnet_open);
        } else {
            let (da, db) = (Self::inset_at(za), Self::inset_at(zb));
            if da == db {
                cuts.push(vec![ring_of.at(da)]);
            } else {
                ring = Some(Ring {
                    bottom: ring_of.at(da),
                    top: ring_of.at(db),
                });
            }
        }
        let carved = if base_less_cuts {
            interior.carve(base, &cuts)
        } else {
            None
        };
        let is_carved = carved.is_some();
        let fixed = without_debris(carved.unwrap_or_else(|| {
            // Each shape winds once around its material (holes cancel it), so
            // under the non-zero rule a plain list of shapes already is their
            // union: the difference resolves it, with no boolean of its own.
            let mut material = base.clone();
            material.extend(adds);
            poly::difference(&material, &cuts)
        }));
        // Only a carved slab may share its level faces: its region then has
        // the same contours inside the cell in every tile.
        Slab {
            fixed,
            ring,
            cuts: is_carved.then_some(cuts),
        }
    }

    /// The open part of the magnet layer below the profile: the opening at
    /// its bottom inset, less the corner pads and the bars under edge-puzzle
    /// sockets. The same at every level of the layer.
    fn magnet_open(&self, ring_of: &Opening, booleans: &mut Booleans) -> Shapes {
        let open: Shapes = shape(ring_of.at(BOTTOM_INSET_UM));
        let Some(spec) = &self.magnets else {
            return open;
        };
        let (corners, _) = magnets::corners(spec, self.w, self.h);
        let mut material: Shapes = corners
            .iter()
            .map(|&c| vec![self.place(c, &magnets::pad(spec))])
            .collect();
        for side in Side::ALL {
            if self.beyond(side) == Beyond::FemaleSeam
                && self.joints.iter().any(|j| j.kind == JointKind::Edge)
            {
                material.push(vec![self.side_strip(side, EDGE_PUZZLE_BAR_UM)]);
            }
        }
        if material.is_empty() {
            return open;
        }
        booleans.difference(&open, &material)
    }

    /// The magnet pockets and release cuts active in `[za, zb]`.
    fn magnet_cuts(&self, za: i64, zb: i64, cuts: &mut Shapes) {
        let Some(spec) = &self.magnets else {
            return;
        };
        let (corners, toward) = magnets::corners(spec, self.w, self.h);
        let (pocket_z, release_z) = spec.z_ranges();
        for &c in &corners {
            if za >= pocket_z.0 && zb <= pocket_z.1 {
                for p in magnets::pocket(spec, toward) {
                    cuts.push(vec![self.place(c, &p)]);
                }
            }
            if za >= release_z.0
                && zb <= release_z.1
                && let Some(r) = magnets::release(spec, toward)
            {
                cuts.push(vec![self.place(c, &r)]);
            }
        }
    }

    /// A magnet-frame contour moved to corner `c` of the cell.
    fn place(&self, c: magnets::Corner, contour: &Contour) -> Contour {
        contour
            .iter()
            .map(|&p| magnets::place(c, self.w, self.h, p))
            .collect()
    }

    /// A strip of width `d` along the inside of `side` of the cell.
    fn side_strip(&self, side: Side, d: i64) -> Contour {
        let [x0, y0, x1, y1] = self.domain;
        match side {
            Side::North => poly::rect(x0, self.h - d, x1, self.h),
            Side::East => poly::rect(self.w - d, y0, self.w, y1),
            Side::South => poly::rect(x0, 0, x1, d),
            Side::West => poly::rect(0, y0, d, y1),
        }
    }

    /// The domain with rounded corners where two outer sides meet.
    fn outline(&self) -> Shapes {
        let [x0, y0, x1, y1] = self.domain;
        let q = crate::profile::CIRCLE_SEGMENTS as i64 / 4;
        let corners = [
            (x1, y0, x1 - 1, y0 + 1, -q),
            (x1, y1, x1 - 1, y1 - 1, 0),
            (x0, y1, x0 + 1, y1 - 1, q),
            (x0, y0, x0 + 1, y0 + 1, 2 * q),
        ];
        // corner_radius is stored NE, SE, SW, NW; walk SE, NE, NW, SW (counter-clockwise).
        let radius = [
            self.corner_radius[1],
            self.corner_radius[0],
            self.corner_radius[3],
            self.corner_radius[2],
        ];
        let mut c: Contour = Vec::new();
        for (i, &(cx, cy, sx, sy, start)) in corners.iter().enumerate() {
            let r = radius[i];
            if r == 0 {
                c.push(pt(cx, cy));
            } else {
                let (ox, oy) = ((sx - cx).signum() * r, (sy - cy).signum() * r);
                arc(cx + ox, cy + oy, r, start, start + q, &mut c);
            }
        }
        c.dedup();
        shape(c)
    }

    /// Maps a joint-frame polygon onto the tile for a joint on `side` at `at`,
    /// counter-clockwise whatever the input's orientation (the north and
    /// south mappings are reflections, and mixed orientations would cancel
    /// under the non-zero fill rule).
    fn joint_to_tile(&self, side: Side, at: i64, poly: &Local) -> Contour {
        let (w, h) = (self.w, self.h);
        let mut c: Contour = poly
            .iter()
            .map(|&(u, v)| match side {
                Side::East => pt(w + u, at + v),
                Side::West => pt(u, at + v),
                Side::North => pt(at + v, h + u),
                Side::South => pt(at + v, u),
            })
            .collect();
        if poly::area2(&c) < 0 {
            c.reverse();
        }
        c
    }

    /// The domain's extent along `side`, relative to a joint centred at `at`.
    fn v_range(&self, side: Side, at: i64) -> (i64, i64) {
        let [x0, y0, x1, y1] = self.domain;
        match side {
            Side::East | Side::West => (y0 - at, y1 - at),
            Side::North | Side::South => (x0 - at, x1 - at),
        }
    }

    /// Both halves of `poly` (lower half given) clipped to this tile's extent along the seam.
    fn halves(&self, side: Side, at: i64, poly: &Local, booleans: &mut Booleans) -> Shapes {
        let mut out = self.half(side, at, poly);
        out.extend(self.half(side, at, &puzzle::mirror(poly)));
        booleans.union_all(&out)
    }

    /// Cuts and additions of the intersection puzzle (full height).
    ///
    /// Male: the notch `hull(P) − P` is cut and the tab `P` added; female: the
    /// socket `F` is cut and the lip `hull(F) − F` added. Everything is kept
    /// out of this cell's openings' corners (GridFlock's `− circle(r = 4)`,
    /// with a small clearance), so no connector wall ever crosses a sloped wall.
    fn intersection_features(&self, fit: f64, booleans: &mut Booleans) -> (Shapes, Shapes) {
        let joint = IntersectionJoint::new(fit);
        // Keep the puzzle a little clear of the openings' top corners: it
        // then never touches a sloped wall, and no micrometre slivers arise
        // between the two.
        let r = TOP_RADIUS_UM + CORNER_CLEARANCE_UM;
        let c = TOP_RADIUS_UM;
        let ring_top: Shapes = booleans.union_all(
            &[
                (c, c),
                (self.w - c, c),
                (self.w - c, self.h - c),
                (c, self.h - c),
            ]
            .iter()
            .map(|&(x, y)| vec![poly::circle(x, y, r)])
            .collect(),
        );
        let mut cut: Shapes = Vec::new();
        let mut add: Shapes = Vec::new();
        for j in self
            .joints
            .iter()
            .filter(|j| j.kind == JointKind::Intersection)
        {
            let male = self.beyond(j.side) == Beyond::MaleSeam;
            let outline = if male { &joint.male } else { &joint.female };
            let solid = self.halves(j.side, j.at, outline, booleans);
            // The halves overlap near v = 0, so hull minus outline is taken
            // per half, whole, in the joint frame; only the resulting pockets
            // are clipped to the tile. (Clipping hull and outline first and
            // subtracting afterwards leaves micrometre slivers where a half
            // is cut off near its tip.)
            let mut between: Shapes = Vec::new();
            for half in [outline.clone(), puzzle::mirror(outline)] {
                for pocket in puzzle::hull_minus(&half, booleans) {
                    between.extend(self.half(j.side, j.at, &pocket));
                }
            }
            let clear_of_corners = |part: &Shapes, booleans: &mut Booleans| {
                booleans.difference(part, &poly::meeting(&ring_top, part))
            };
            if male {
                cut.extend(clear_of_corners(&between, booleans));
                add.extend(clear_of_corners(&solid, booleans));
            } else {
                cut.extend(clear_of_corners(&solid, booleans));
                add.extend(between);
            }
        }
        (poly::union_all(&cut), poly::union_all(&add))
    }

    /// One polygon (not mirrored) clipped to the tile's extent along the seam.
    fn half(&self, side: Side, at: i64, poly: &Local) -> Shapes {
        let (lo, hi) = self.v_range(side, at);
        let clipped = puzzle::clip_v(poly, lo, hi);
        if clipped.len() < 3 {
            return Vec::new();
        }
        shape(self.joint_to_tile(side, at, &clipped))
    }

    /// Edge-puzzle tabs (added on male sides) and sockets (cut on female sides) active in `[za, zb]`.
    fn edge_puzzle(&self, za: i64, zb: i64, adds: &mut Shapes, cuts: &mut Shapes) {
        for j in self.joints.iter().filter(|j| j.kind == JointKind::Edge) {
            let male = self.beyond(j.side) == Beyond::MaleSeam;
            let top = if male {
                EDGE_PUZZLE_MALE_TOP_UM
            } else {
                EDGE_PUZZLE_FEMALE_TOP_UM
            };
            if zb > top {
                continue;
            }
            let (neck, head) = puzzle::dovetail(male);
            let mut parts: Shapes = vec![
                vec![self.joint_to_tile(j.side, j.at, &neck)],
                vec![self.joint_to_tile(j.side, j.at, &head)],
            ];
            if za >= 0 {
                // Above the magnet layer only the rib's vertical part is used.
                let keep: Local = vec![
                    (-2_000, -10_000),
                    (puzzle::EDGE_TAB_CLIP_UM, -10_000),
                    (puzzle::EDGE_TAB_CLIP_UM, 10_000),
                    (-2_000, 10_000),
                ];
                parts = poly::intersection(&parts, &shape(self.joint_to_tile(j.side, j.at, &keep)));
            }
            if male {
                adds.extend(parts);
            } else {
                cuts.extend(parts);
            }
        }
    }

    /// The plate number's strokes, engraved along the east half-rib of the
    /// cell, reading correctly from below.
    fn label_shapes(&self, text: &str) -> Vec<Contour> {
        let n = text.chars().count().max(1) as i64;
        let start = 4_000;
        // Shrink the advance if the number is long for a short cell.
        let room = self.h - start - 500 - digits::DIGIT_W_UM;
        let pitch = if n > 1 {
            digits::PITCH_UM.min(room / (n - 1)).max(digits::DIGIT_W_UM)
        } else {
            digits::PITCH_UM
        };
        let x_base = self.w - 400 - digits::DIGIT_H_UM;
        digits::glyphs(text, pitch)
            .into_iter()
            .map(|c| {
                // Glyph (x along the text, y up) → plate (x = base + y, y = start + x):
                // a reflection, so the number reads correctly from below.
                let mut m: Contour = c
                    .iter()
                    .map(|p| pt(x_base + p.y as i64, start + p.x as i64))
                    .collect();
                m.reverse();
                m
            })
            .collect()
    }
}
