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
    let mut builder = Builder::new();
    (0..plan.plates.len())
        .map(|i| builder.plate(plan, i))
        .collect()
}

/// Builds the mesh of plate `index` (0-based; plate number `index + 1`).
///
/// To build several plates, a [`Builder`] is faster: it meshes each distinct
/// cell tile once for all of them.
///
/// # Panics
/// If `index` is out of range for `plan.plates`.
pub fn build_plate(plan: &Plan, index: usize) -> Mesh {
    Builder::new().plate(plan, index)
}

/// Builds plates one at a time, meshing each distinct cell tile only once.
///
/// Most cells of a plate set are alike (same size, same neighbours, same
/// connector position), and a tile's mesh depends only on the tile itself,
/// not on the plan around it. The builder keeps every tile it has meshed and
/// reuses it in later plates, of the same plan or of another one (a preview
/// that follows a customer typing sizes re-meshes only the tiles that
/// changed). The output is byte-identical to [`build_plate`]'s whatever the
/// builder has seen before. Parallel callers use one builder per thread.
#[derive(Default)]
pub struct Builder {
    tiles: geometry::TileCache,
}

impl Builder {
    /// A builder that has meshed nothing yet.
    pub fn new() -> Self {
        Builder::default()
    }

    /// The mesh of plate `index` of `plan` (0-based; plate number `index + 1`).
    ///
    /// # Panics
    /// If `index` is out of range for `plan.plates`.
    pub fn plate(&mut self, plan: &Plan, index: usize) -> Mesh {
        geometry::build_plate(plan, &plan.plates[index], &mut self.tiles)
    }

    /// How many distinct tiles the builder holds.
    pub fn distinct_tiles(&self) -> usize {
        self.tiles.len()
    }

    /// Forgets every tile, releasing their memory.
    pub fn clear(&mut self) {
        self.tiles = geometry::TileCache::default();
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("distinct_tiles", &self.tiles.len())
            .finish()
    }
}
