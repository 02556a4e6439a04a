//! Gridfinity baseplate constants: one source of truth for every dimension
//! of the cell opening (Gridfinity Rebuilt's baseplate profile, as GridFlock
//! uses it). Values in µm.

/// Cell pitch.
pub const CELL_UM: i64 = 42_000;
/// Height of the profile; z = 0 is its bottom and the plate top is here.
pub const TOP_UM: i64 = 4_650;
/// Radius of the opening's rounded corner at the top.
pub const TOP_RADIUS_UM: i64 = 4_000;
/// Inset of the opening from the cell edge at the profile bottom (z = 0) and below.
pub const BOTTOM_INSET_UM: i64 = 2_850;
/// Inset of the vertical part of the profile.
pub const MID_INSET_UM: i64 = 2_150;
/// Height of the lower 45° chamfer.
pub const LOWER_CHAMFER_TOP_UM: i64 = 700;
/// Height where the upper 45° chamfer starts.
pub const UPPER_CHAMFER_BOTTOM_UM: i64 = 2_500;
/// Segments per full circle (OpenSCAD `$fn = 40`); a 90° corner has 10.
pub const CIRCLE_SEGMENTS: usize = 40;
/// Magnet pocket centre, from both edges of its cell corner.
pub const MAGNET_INSET_UM: i64 = 8_000;
/// Smallest cell (GridFlock's cutter requires more than 8 mm); filler cells are at least this wide.
pub const MIN_CELL_UM: i64 = 9_000;
/// Largest plate-set side.
pub const MAX_SIDE_UM: i64 = 2_000_000;

/// The profile levels: (z, inset from the cell edge) from bottom to top. The
/// opening's corner radius at a level is `TOP_RADIUS_UM - inset`, so every
/// level's rounded corner shares the centre 4 mm in from both cell edges.
pub const PROFILE: [(i64, i64); 4] = [
    (0, BOTTOM_INSET_UM),
    (LOWER_CHAMFER_TOP_UM, MID_INSET_UM),
    (UPPER_CHAMFER_BOTTOM_UM, MID_INSET_UM),
    (TOP_UM, 0),
];
