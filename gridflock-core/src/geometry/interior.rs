//! What inside a cell does not depend on the tile's outline.
//!
//! Most slabs of a tile are its base `B` less some cuts of the cell's own
//! (the opening, magnet pockets, release slots). Where every cut keeps clear
//! of the base's outline:
//! * the slab is `B` with the cuts' union as holes, and that union depends
//!   on the cuts alone;
//! * the faces at a level between two such slabs depend on the cuts alone:
//!   `(B ∖ Cb) ∖ (B ∖ Ca) = Ca ∖ Cb` facing up and `Cb ∖ Ca` facing down;
//! * the walls of a slab's cuts and opening ring, where both its levels are
//!   such levels (or the plate's flat bottom or top), depend on the cuts
//!   alone: near the cuts those levels hold no vertex of the outline;
//! * the plate's bottom or top face at the end of such a slab, lofted or not,
//!   inside a box around the cuts that keeps clear of the outline, depends
//!   on the cuts alone.
//!
//! Cells of one size share their cuts whatever their outline (connectors,
//! sides, padding), so a builder computes these once per distinct set of
//! cuts instead of once per tile.
//!
//! The faces are the same regions the whole tile's boolean gives, and the
//! walls are made from the cell's own vertices alone. A level or slab that
//! qualifies is always computed this way, from the cache or not, so a
//! plate's bytes do not depend on what the builder built before.

use super::layers::Tri;
use super::poly::{self, Contour, Pt, Shapes};
use super::weld::Indexed;
use std::sync::Arc;

/// How far every cut must stay from the base's outline: beyond the
/// mesher's T-junction and snapping reach by a wide margin, so no vertex of
/// the outline can land on an edge of a face.
const CLEARANCE_UM: i64 = 20;

/// How far the box that splits an end face keeps from the cuts: well beyond
/// the mesher's T-junction reach, so no vertex of a cut lies on its edges.
const FRAME_GAP_UM: i64 = 100;

/// The cuts' unions, the levels' faces, the cuts' walls and the cells' part
/// of end faces computed so far.
#[derive(Default)]
pub(crate) struct InteriorCache {
    unions: Vec<(Shapes, Shapes)>,
    entries: Vec<Entry>,
    walls: Vec<(WallsKey, Arc<Indexed>)>,
    end_faces: Vec<(EndFace, Arc<Indexed>)>,
}

/// The cell's part of a carved slab's end face ([`split_end_face`]).
#[derive(PartialEq)]
pub(crate) struct EndFace {
    /// The level.
    pub(crate) z: i32,
    /// Whether the face looks up (the plate's top) or down (its bottom).
    pub(crate) up: bool,
    /// The box with the cuts as holes, and the islands inside them.
    pub(crate) region: Shapes,
}

/// What the walls of a carved slab's cuts and opening ring depend on, where
/// each end of the slab is a level whose vertices near the cuts are the
/// cell's alone.
#[derive(PartialEq)]
pub(crate) struct WallsKey {
    /// The slab's bottom and top.
    pub(crate) z: [i32; 2],
    /// Per end: the shared level's entry ([`InteriorCache::entry`]), or
    /// `None` for the plate's flat bottom or top.
    pub(crate) entries: [Option<usize>; 2],
    /// The slab's cuts.
    pub(crate) cuts: Shapes,
    /// Whether the slab below, this slab and the slab above have an opening
    /// ring: an entry holds a ring's end among the cuts, and this tells
    /// which of them it is.
    pub(crate) rings: [bool; 3],
}

struct Entry {
    z: i32,
    below: Shapes,
    above: Shapes,
    up: Shapes,
    down: Shapes,
    /// The faces triangulated, once a tile has done it.
    triangles: Option<Arc<Indexed>>,
}

impl InteriorCache {
    /// `base` less `cuts`, where `base` is one shape without holes and every
    /// cut lies inside it clear of its outline; `None` otherwise.
    pub(crate) fn carve(&mut self, base: &Shapes, cuts: &Shapes) -> Option<Shapes> {
        let [outline] = base.as_slice() else {
            return None;
        };
        if outline.len() != 1 || !clear_inside(base, cuts.iter().map(Vec::as_slice)) {
            return None;
        }
        let known = self.unions.iter().position(|(c, _)| c == cuts);
        let at = known.unwrap_or_else(|| {
            self.unions.push((cuts.clone(), poly::union_all(cuts)));
            self.unions.len() - 1
        });
        // Each cut's outer contour is a hole in the base; a hole in a cut is
        // material again, an island of its own. Reversing keeps the
        // booleans' orientation: outer contours counter-clockwise, holes not.
        let mut shape = outline.clone();
        let mut islands: Shapes = Vec::new();
        for cut in &self.unions[at].1 {
            let mut contours = cut.iter().map(|c| c.iter().rev().copied().collect());
            shape.extend(contours.next());
            islands.extend(contours.map(|c| vec![c]));
        }
        let mut carved = vec![shape];
        carved.append(&mut islands);
        Some(carved)
    }

    /// The entry of the level at `z` between a slab cut by `below` and one
    /// cut by `above`, both from the same base and clear of its outline.
    pub(crate) fn entry(&mut self, z: i32, below: Shapes, above: Shapes) -> usize {
        let found = self
            .entries
            .iter()
            .position(|e| e.z == z && e.below == below && e.above == above);
        found.unwrap_or_else(|| {
            let (up, down) = poly::differences(&above, &below);
            self.entries.push(Entry {
                z,
                below,
                above,
                up,
                down,
                triangles: None,
            });
            self.entries.len() - 1
        })
    }

    /// The entry's faces, `(up, down)`.
    pub(crate) fn shapes(&self, entry: usize) -> (Shapes, Shapes) {
        let e = &self.entries[entry];
        (e.up.clone(), e.down.clone())
    }

    /// The entry's faces triangulated, if a tile has done it.
    pub(crate) fn triangles(&self, entry: usize) -> Option<&Arc<Indexed>> {
        self.entries[entry].triangles.as_ref()
    }

    /// Keeps the entry's faces triangulated, welded, for the next tile.
    pub(crate) fn keep_triangles(&mut self, entry: usize, triangles: &[Tri]) {
        self.entries[entry].triangles = Some(Arc::new(Indexed::from_soup(triangles)));
    }

    /// The walls of the cuts and ring of a slab, if a tile has made them.
    pub(crate) fn walls(&self, key: &WallsKey) -> Option<&Arc<Indexed>> {
        let (_, walls) = self.walls.iter().find(|(k, _)| k == key)?;
        Some(walls)
    }

    /// Keeps the walls of a slab's cuts and ring, welded, for the next tile.
    pub(crate) fn keep_walls(&mut self, key: WallsKey, walls: &[Tri]) {
        self.walls.push((key, Arc::new(Indexed::from_soup(walls))));
    }

    /// The cell's part of an end face triangulated, if a tile has done it.
    pub(crate) fn end_face(&self, key: &EndFace) -> Option<&Arc<Indexed>> {
        let (_, triangles) = self.end_faces.iter().find(|(k, _)| k == key)?;
        Some(triangles)
    }

    /// How many cells' parts of end faces are kept.
    #[cfg(test)]
    pub(crate) fn end_face_count(&self) -> usize {
        self.end_faces.len()
    }

    /// Keeps the cell's part of an end face triangulated, welded, for the next tile.
    pub(crate) fn keep_end_face(&mut self, key: EndFace, triangles: &[Tri]) {
        self.end_faces
            .push((key, Arc::new(Indexed::from_soup(triangles))));
    }
}

/// Splits the end face of a slab carved from `base` (its `region`: the
/// outline with the cuts, the opening's end among them, as holes, and
/// islands) along the box around the cuts, grown by [`FRAME_GAP_UM`]: into
/// the frame between the outline and the box, which is the tile's own, and
/// the box with the cuts as holes, which depends on the cuts alone. `None`
/// where there are no cuts or the box does not keep clear of the outline.
///
/// The box's edges hold no other vertex, so the two parts meet along them
/// edge for edge, and a plate's bottom face (a few hundred vertices per tile
/// with magnets) is triangulated once per distinct cell instead of once per
/// tile.
pub(crate) fn split_end_face(base: &Shapes, region: &Shapes) -> Option<(Shapes, Shapes)> {
    let (first, islands) = region.split_first()?;
    let (outline, holes) = first.split_first()?;
    let inner = holes.iter().chain(islands.iter().flatten()).flatten();
    let [x0, y0, x1, y1] = poly::grown_box(inner, FRAME_GAP_UM)?;
    let frame = poly::rect(x0, y0, x1, y1);
    if !clear_inside(base, std::iter::once(std::slice::from_ref(&frame))) {
        return None;
    }
    let around = vec![vec![outline.clone(), frame.iter().rev().copied().collect()]];
    let mut within = region.clone();
    within[0][0] = frame;
    Some((around, within))
}

/// Whether every shape of `cuts` lies inside `base` and at least
/// [`CLEARANCE_UM`] from its outline. Shapes are tested one by one, so a
/// set of cuts is clear when each of its parts is.
pub(crate) fn clear_inside<'a>(
    base: &Shapes,
    cuts: impl Iterator<Item = &'a [Contour]> + Clone,
) -> bool {
    let cut_edges: Vec<Segment> = cuts
        .clone()
        .flatten()
        .flat_map(|c| (0..c.len()).map(|j| Segment(c[j], c[(j + 1) % c.len()])))
        .collect();
    let Some(reach) = cut_edges.iter().map(Segment::reach).reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    }) else {
        return true;
    };
    for c in base.iter().flatten() {
        for j in 0..c.len() {
            let edge = Segment(c[j], c[(j + 1) % c.len()]);
            let near = edge.reach();
            if !poly::boxes_meet(&near, &reach) {
                continue;
            }
            let close = cut_edges
                .iter()
                .any(|cut| poly::boxes_meet(&near, &cut.reach()) && edge.within(cut, CLEARANCE_UM));
            if close {
                return false;
            }
        }
    }
    // Nothing crosses the outline, so each cut lies wholly inside or outside.
    cuts.filter_map(|shape| shape.first()?.first())
        .all(|&p| winding(base, p) != 0)
}

#[derive(Clone, Copy)]
struct Segment(Pt, Pt);

impl Segment {
    /// The segment's box grown by [`CLEARANCE_UM`]: `[x0, y0, x1, y1]`.
    fn reach(&self) -> [i64; 4] {
        let (a, b) = (self.0, self.1);
        let r = CLEARANCE_UM;
        [
            i64::from(a.x.min(b.x)) - r,
            i64::from(a.y.min(b.y)) - r,
            i64::from(a.x.max(b.x)) + r,
            i64::from(a.y.max(b.y)) + r,
        ]
    }

    /// Whether the two segments come within `d` of each other.
    fn within(&self, other: &Segment, d: i64) -> bool {
        self.crosses(other)
            || self.near(other.0, d)
            || self.near(other.1, d)
            || other.near(self.0, d)
            || other.near(self.1, d)
    }

    /// Whether `p` lies within `d` of the segment (the squared distance is
    /// rounded down, so a point a fraction of a micrometre further counts too:
    /// the clearance test only gets stricter).
    fn near(&self, p: Pt, d: i64) -> bool {
        poly::distance2(p, self.0, self.1) <= i128::from(d * d)
    }

    /// Whether the segments intersect (touching counts).
    fn crosses(&self, other: &Segment) -> bool {
        let side = |a: Pt, b: Pt, p: Pt| poly::cross(a, b, p).signum();
        let (a, b, c, d) = (self.0, self.1, other.0, other.1);
        side(a, b, c) * side(a, b, d) <= 0 && side(c, d, a) * side(c, d, b) <= 0
    }
}

/// The winding number of `shapes` around `p` (not on the outline).
fn winding(shapes: &Shapes, p: Pt) -> i32 {
    let mut w = 0;
    for c in shapes.iter().flatten() {
        for j in 0..c.len() {
            let (a, b) = (c[j], c[(j + 1) % c.len()]);
            if a.y <= p.y {
                if b.y > p.y && poly::cross(a, b, p) > 0 {
                    w += 1;
                }
            } else if b.y <= p.y && poly::cross(a, b, p) < 0 {
                w -= 1;
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::poly::{circle, rect, shape};

    fn parts(shapes: &Shapes) -> impl Iterator<Item = &[Contour]> + Clone {
        shapes.iter().map(Vec::as_slice)
    }

    fn square() -> Shapes {
        shape(rect(0, 0, 42_000, 42_000))
    }

    #[test]
    fn cuts_count_as_inside_only_with_room_to_spare() {
        let base = square();
        let pocket = shape(circle(8_000, 8_000, 3_000));
        assert!(clear_inside(&base, parts(&pocket)));
        // 20 µm from the side is enough, 19 µm is not.
        let near = |gap: i64| shape(rect(gap, 5_000, 10_000, 10_000));
        assert!(clear_inside(&base, parts(&near(21))));
        assert!(!clear_inside(&base, parts(&near(19))));
        // Crossing the side, or wholly outside.
        assert!(!clear_inside(
            &base,
            parts(&shape(rect(-5_000, 5_000, 5_000, 10_000)))
        ));
        assert!(!clear_inside(
            &base,
            parts(&shape(rect(50_000, 5_000, 60_000, 10_000)))
        ));
        // A notch reaching in from the side past a pocket's edge.
        let base = poly::difference(&square(), &shape(rect(-1_000, 7_000, 5_005, 9_000)));
        assert!(!clear_inside(&base, parts(&pocket)));
        assert!(clear_inside(
            &base,
            parts(&shape(circle(20_000, 20_000, 3_000)))
        ));
    }

    #[test]
    fn carving_gives_the_region_the_boolean_gives() {
        let mut cache = InteriorCache::default();
        // A ring with a pad island inside it, and a pocket.
        let ring = poly::difference(
            &shape(rect(3_000, 3_000, 39_000, 39_000)),
            &shape(rect(10_000, 10_000, 20_000, 20_000)),
        );
        let mut cuts = ring.clone();
        cuts.extend(shape(circle(15_000, 15_000, 3_000)));
        let carved = cache.carve(&square(), &cuts).expect("clear inside");
        let exact = poly::difference(&square(), &cuts);
        assert_eq!(carved.len(), exact.len());
        assert_eq!(poly::shapes_area2(&carved), poly::shapes_area2(&exact));
        assert!(poly::difference(&carved, &exact).is_empty());
        assert!(poly::difference(&exact, &carved).is_empty());
        // A second tile with the same cuts reuses the union.
        assert_eq!(cache.carve(&square(), &cuts), Some(carved));
        assert_eq!(cache.unions.len(), 1);
        // Too close to the outline: no carving.
        let near = shape(rect(10, 5_000, 10_000, 10_000));
        assert!(cache.carve(&square(), &near).is_none());
    }

    #[test]
    fn a_level_is_computed_once_per_cuts_and_height() {
        let mut cache = InteriorCache::default();
        let ring = shape(rect(2_000, 2_000, 40_000, 40_000));
        let pocket = shape(circle(8_000, 8_000, 3_000));
        let a = cache.entry(0, ring.clone(), pocket.clone());
        assert_eq!(cache.entry(0, ring.clone(), pocket.clone()), a);
        assert_ne!(cache.entry(500, ring.clone(), pocket.clone()), a);
        let (up, down) = cache.shapes(a);
        // Up: the pocket less the ring's opening (nothing); down: the ring
        // less the pocket.
        assert!(up.is_empty());
        assert_eq!(
            poly::shapes_area2(&down),
            poly::shapes_area2(&ring) - poly::shapes_area2(&pocket)
        );
        assert!(cache.triangles(a).is_none());
        cache.keep_triangles(a, &[[[0, 0, 0], [1, 0, 0], [0, 1, 0]]]);
        assert_eq!(cache.triangles(a).map(|t| t.tris.len()), Some(1));
    }

    #[test]
    fn an_end_face_splits_along_a_box_clear_of_its_cuts() {
        let mut cache = InteriorCache::default();
        let pockets: Shapes = [(8_000, 8_000), (34_000, 34_000)]
            .map(|(x, y)| vec![circle(x, y, 3_000)])
            .to_vec();
        let region = cache.carve(&square(), &pockets).expect("clear inside");
        let (frame, cell) = split_end_face(&square(), &region).expect("room for the box");
        // The two parts tile the face: the box is a hole in one and the
        // outline of the other.
        assert_eq!(
            poly::shapes_area2(&frame) + poly::shapes_area2(&cell),
            poly::shapes_area2(&region)
        );
        assert_eq!(frame[0][0], square()[0][0]);
        let frame_box = &cell[0][0];
        assert_eq!(frame_box, &rect(4_900, 4_900, 37_100, 37_100));
        assert_eq!(
            frame[0][1],
            frame_box.iter().rev().copied().collect::<Contour>()
        );
        assert_eq!(cell[0][1..], region[0][1..]);
        // No vertex of a cut comes near an edge of the box.
        let box_shape = vec![vec![frame_box.clone()]];
        let clear = pockets.iter().map(Vec::as_slice);
        assert!(
            clear
                .clone()
                .all(|p| clear_inside(&box_shape, std::iter::once(p)))
        );

        // A notch that reaches past where the box would run: no split.
        let notched = poly::difference(&square(), &shape(rect(-1_000, 20_000, 4_950, 22_000)));
        let region = cache
            .carve(&notched, &pockets)
            .expect("still clear of the pockets");
        assert!(split_end_face(&notched, &region).is_none());
        // Nothing to split off.
        assert!(split_end_face(&square(), &square()).is_none());
    }

    #[test]
    fn end_faces_are_found_only_under_their_whole_key() {
        let mut cache = InteriorCache::default();
        let key = |z: i32, up: bool| EndFace {
            z,
            up,
            region: shape(rect(2_000, 2_000, 40_000, 40_000)),
        };
        assert!(cache.end_face(&key(0, false)).is_none());
        cache.keep_end_face(key(0, false), &[[[0, 0, 0], [1, 0, 0], [0, 1, 0]]]);
        assert_eq!(
            cache.end_face(&key(0, false)).map(|t| t.tris.len()),
            Some(1)
        );
        assert!(cache.end_face(&key(0, true)).is_none());
        assert!(cache.end_face(&key(500, false)).is_none());
    }

    #[test]
    fn walls_are_found_only_under_their_whole_key() {
        let mut cache = InteriorCache::default();
        let key = |z: i32, rings: [bool; 3]| WallsKey {
            z: [z, z + 500],
            entries: [None, Some(0)],
            cuts: shape(circle(8_000, 8_000, 3_000)),
            rings,
        };
        assert!(cache.walls(&key(0, [false; 3])).is_none());
        cache.keep_walls(key(0, [false; 3]), &[[[0, 0, 0], [1, 0, 0], [0, 0, 1]]]);
        assert_eq!(
            cache.walls(&key(0, [false; 3])).map(|w| w.tris.len()),
            Some(1)
        );
        assert!(cache.walls(&key(500, [false; 3])).is_none());
        assert!(cache.walls(&key(0, [false, false, true])).is_none());
    }
}
