//! The validated, fully resolved layout of a plate set.
//!
//! [`plan`] turns [`Params`] into a [`Plan`]: cells and filler cells per axis,
//! padding, the split into plates that fit the bed, connector roles per plate
//! side, joint positions and plate numbers. Nothing here builds geometry; the
//! mesh builder reads the plan and nothing else.
//!
//! All lengths in a plan are integers on the 1 µm lattice ([`crate::lattice`]),
//! so that plans compare, hash and tile exactly.

mod axis;
mod joints;
mod segment;
mod split_x;
mod split_y;
mod validate;

pub use validate::{PARAM_FIELDS, ParamErrors, ParamIssue};

use crate::params::{Magnets, Params};
use serde::Serialize;

/// Per-side values in the order north, east, south, west.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Sides<T> {
    /// +y side.
    pub north: T,
    /// +x side.
    pub east: T,
    /// −y side.
    pub south: T,
    /// −x side.
    pub west: T,
}

/// One of the four sides of a rectangle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// +y.
    North,
    /// +x.
    East,
    /// −y.
    South,
    /// −x.
    West,
}

impl Side {
    /// All sides in the order north, east, south, west.
    pub const ALL: [Side; 4] = [Side::North, Side::East, Side::South, Side::West];
}

impl<T> Sides<T> {
    /// The value for one side.
    pub fn get(&self, side: Side) -> &T {
        match side {
            Side::North => &self.north,
            Side::East => &self.east,
            Side::South => &self.south,
            Side::West => &self.west,
        }
    }
}

/// What a plate side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edge {
    /// The outer edge of the whole plate set.
    Outer,
    /// A seam where this plate carries the male half of the connector (north and east sides).
    /// Seams keep their male/female role with [`crate::Connector::None`]; they
    /// then carry no joints and no tabs.
    Male,
    /// A seam where this plate carries the female half (south and west sides).
    Female,
}

/// A connector joint on a seam, centred on a grid line that crosses the seam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Joint {
    /// The plate side the joint sits on.
    pub side: Side,
    /// Position of the grid line along that side, in µm, plate-local
    /// (x for north/south sides, y for east/west sides). For the edge
    /// puzzle it is the middle of a cell edge instead, and `cell_um` is
    /// the length of that edge.
    pub at_um: i64,
    /// Edge puzzle only: length of the cell edge the tab sits on (µm); 0 for intersection joints.
    pub cell_um: i64,
}

/// One printable plate (a "segment" in GridFlock's words).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlatePlan {
    /// 1-based plate number, as engraved: column by column west to east, south to north within a column.
    pub number: u32,
    /// Column index of the plate in the set (0 = west).
    pub column: u32,
    /// Row index of the plate within its column (0 = south).
    pub row: u32,
    /// First global cell column and one past the last.
    pub cells_x: [u32; 2],
    /// First global cell row and one past the last.
    pub cells_y: [u32; 2],
    /// Nominal south-west corner in plate-set coordinates (µm).
    pub origin_um: [i64; 2],
    /// Nominal footprint (µm), without connector tabs. The footprints tile the plate set exactly.
    pub size_um: [i64; 2],
    /// Padding on each side of this plate's cells (µm); non-zero only on outer sides.
    pub padding_um: Sides<i64>,
    /// Role of each side.
    pub edges: Sides<Edge>,
    /// Joints on this plate's connector sides, sorted by side then position.
    ///
    /// Rules (positions are plate-local; a grid line is a cell boundary, so
    /// with padding the outermost grid line is `padding` in from the edge):
    ///
    /// * Intersection puzzle, east/west seam sides: one joint at every row
    ///   grid line from the plate's first row to its last, both ends
    ///   included. An end on an outer plate-set edge gets a joint (spec
    ///   "plate-edge ends"); an end on a horizontal seam is a T-junction
    ///   (rows are staggered) and gets one too, shared with the plate above
    ///   or below, which lists the same line.
    /// * Intersection puzzle, north/south seam sides: one joint at every
    ///   column grid line, both ends included, except an end at a corner
    ///   whose east/west side is a seam: the vertical seam's joint sits
    ///   there (spec "T-junctions").
    /// * Joints at a plate's own ends extend past its footprint along the
    ///   seam; the mesh builder clips each plate's joints to its footprint
    ///   in the seam-parallel direction, so each plate builds its half.
    /// * Edge puzzle: one joint per cell edge along each seam side
    ///   (`edge_puzzle_count` = 1, which the spec's `max(1, floor(count/2))`
    ///   also makes 1 for fractional edges), at the edge's midpoint (rounded
    ///   down to the lattice), with `cell_um` = the edge's length.
    /// * No connector: no joints.
    pub joints: Vec<Joint>,
    /// Bounding box in plate-local coordinates including connector tabs:
    /// `[min_x, min_y, max_x, max_y]` in µm. Every plate's box fits the bed.
    ///
    /// It is the footprint `[0, 0, size_x, size_y]` grown beyond seam sides
    /// only: intersection puzzle 1180 µm (male tab) north/east and 574 µm
    /// (female lip) south/west; edge puzzle 3700 µm north/east and nothing
    /// south/west; no connector nothing.
    pub bounds_um: [i64; 4],
}

impl PlatePlan {
    /// Width and depth of the bounding box (µm), the space the plate takes on the bed.
    pub fn extent_um(&self) -> [i64; 2] {
        [
            self.bounds_um[2] - self.bounds_um[0],
            self.bounds_um[3] - self.bounds_um[1],
        ]
    }
}

/// The complete, validated layout of a plate set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// The parameters this plan was made from (validated).
    pub params: Params,
    /// Usable bed size (µm).
    pub bed_um: [i64; 2],
    /// Overall plate-set size (µm): the requested size on the lattice.
    pub size_um: [i64; 2],
    /// Width of every cell column, west to east (µm). Whole cells are 42 000.
    pub columns_um: Vec<i64>,
    /// Depth of every cell row, south to north (µm).
    pub rows_um: Vec<i64>,
    /// Padding around the grid (µm).
    pub padding_um: Sides<i64>,
    /// Lowest z of every plate (µm): 0 without magnets, minus the magnet layer with them.
    pub bottom_um: i64,
    /// Plates in number order.
    pub plates: Vec<PlatePlan>,
}

impl Plan {
    /// Total plate height (µm).
    pub fn height_um(&self) -> i64 {
        crate::profile::TOP_UM - self.bottom_um
    }

    /// Magnet style in effect.
    pub fn magnets(&self) -> Magnets {
        self.params.magnets
    }
}

/// Validates `params` and lays out the plate set.
///
/// Every problem with the input is reported at once; each names its field and
/// the allowed range. Never panics.
///
/// The split follows GridFlock (ideal x split, staggered y plans, spec §4)
/// except that every plate's [`PlatePlan::bounds_um`] is guaranteed to fit the
/// bed: a split that overflows gets one more column, and y plans that overflow
/// get one row fewer per plate, until they fit. A size that cannot fit at all
/// (a single cell with its padding and tabs wider than the bed) is an error
/// naming `printer.bed_x_mm` or `printer.bed_y_mm`.
pub fn plan(params: &Params) -> Result<Plan, ParamErrors> {
    let resolved = validate::validate(params)?;
    Ok(segment::layout(params, &resolved))
}
