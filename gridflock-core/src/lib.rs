//! Deterministic, watertight Gridfinity baseplates.
//!
//! The pipeline has three pure stages:
//!
//! ```text
//! Params ──plan()──► Plan ──build()──► Vec<Mesh> ──export──► STL / 3MF bytes
//! ```
//!
//! * [`plan`] validates the input (every problem at once, each naming its
//!   field and allowed range) and lays out cells, padding, plates that fit the
//!   bed, connectors and numbers.
//! * [`build`] turns the plan into one closed, consistently oriented
//!   2-manifold mesh per plate. There is no general 3D boolean: a baseplate is
//!   2.5D, so walls are extruded or lofted between z levels and flat faces are
//!   triangulated from 2D regions on a 1 µm lattice.
//! * [`export`] writes binary/ASCII STL and 3MF, byte-identical on every target.
//!
//! The crate does no I/O, keeps no global state and uses no clock or
//! randomness; the same [`Params`] give the same bytes everywhere.
//!
//! ```
//! use gridflock_core::{Params, plan, build, export};
//! let plan = plan(&Params::new(84.0, 84.0)).expect("valid input");
//! let meshes = build(&plan);
//! let stl = export::stl::binary(&meshes[0]);
//! assert_eq!(stl.len(), 84 + 50 * meshes[0].triangle_count());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod export;
mod geometry;
pub mod hash;
pub mod lattice;
pub mod mesh;
pub mod params;
pub mod plan;
pub mod printers;
pub mod profile;
pub mod sku;
pub mod stl_read;

pub use mesh::Mesh;
pub use params::{Alignment, Connector, Filler, MagnetDims, Magnets, Params, Printer};
pub use plan::{Edge, Joint, ParamErrors, ParamIssue, Plan, PlatePlan, Side, Sides, plan};

/// Builds one mesh per plate, in plate order.
pub fn build(plan: &Plan) -> Vec<Mesh> {
    (0..plan.plates.len())
        .map(|i| build_plate(plan, i))
        .collect()
}

/// Builds the mesh of plate `index` (0-based; plate number `index + 1`).
///
/// # Panics
/// If `index` is out of range for `plan.plates`.
pub fn build_plate(plan: &Plan, index: usize) -> Mesh {
    geometry::build_plate(plan, &plan.plates[index], &mut geometry::TileCache::new())
}
