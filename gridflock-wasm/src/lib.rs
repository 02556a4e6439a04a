//! Browser bindings: plan a plate set and build plate meshes in a Web Worker.
//!
//! Options are plain JS objects with the Rust `Params` field names
//! (`{ width_mm: 450, height_mm: 320, printer: "bambu-a1", magnets: "press-fit" }`).
//! [`plan`] never throws: invalid input comes back as `{ ok: false, issues }`
//! so the page can show it inline. Meshes come back as `Float32Array` /
//! `Uint32Array` copies that can be transferred to the main thread and handed
//! to three.js `BufferGeometry` as they are. No geometry lives here.

use gridflock_bindings::{Options, mm, plate_file_name};
use gridflock_core::{Builder, Mesh, ParamErrors, ParamIssue, export, hash, sku};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Plate-set options; names and defaults are those of the Rust `Params`. */
export interface GridflockOptions {
  width_mm?: number;
  height_mm?: number;
  /** Built-in printer profile id, e.g. "bambu-a1". */
  printer?: string;
  /** Custom bed [x, y] in mm instead of `printer`. */
  bed?: [number, number];
  connector?: "intersection" | "edge" | "none";
  fit?: number;
  magnets?: "none" | "press-fit" | "glue-top" | "glue-bottom";
  magnet_dims?: Partial<Record<"diameter_mm" | "height_mm" | "top_mm" | "bottom_mm" | "border_mm" | "release_width_mm", number>>;
  filler?: "none" | "dynamic" | "1/2" | "1/3" | "1/4";
  filler_min_mm?: number;
  alignment?: [number, number];
  numbering?: boolean;
  corner_radius_mm?: number;
}
/** One problem with one field. */
export interface ParamIssue { field: string; value: string; allowed: string; }
export interface PlateInfo {
  number: number; column: number; row: number;
  originMm: [number, number]; sizeMm: [number, number]; extentMm: [number, number];
  fileName: string;
}
export interface PlanInfo {
  sku: string; plateCount: number; sizeMm: [number, number]; bedMm: [number, number];
  heightMm: number; planHash: string; plates: PlateInfo[];
}
export type PlanResult =
  | { ok: true; plan: PlanInfo }
  | { ok: false; message: string; issues: ParamIssue[] };
export interface PrinterProfile { id: string; name: string; bedMm: [number, number]; }
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlateInfo {
    number: u32,
    column: u32,
    row: u32,
    origin_mm: [f64; 2],
    size_mm: [f64; 2],
    extent_mm: [f64; 2],
    file_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanInfo {
    sku: String,
    plate_count: usize,
    size_mm: [f64; 2],
    bed_mm: [f64; 2],
    height_mm: f64,
    plan_hash: String,
    plates: Vec<PlateInfo>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PlanResult {
    Ok {
        ok: bool,
        plan: PlanInfo,
    },
    Err {
        ok: bool,
        message: String,
        issues: Vec<Issue>,
    },
}

#[derive(Serialize)]
struct Issue {
    field: String,
    value: String,
    allowed: String,
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

fn read_options(options: JsValue) -> Result<Options, ParamErrors> {
    if options.is_undefined() || options.is_null() {
        return Ok(Options::default());
    }
    serde_wasm_bindgen::from_value(options).map_err(|e| {
        ParamErrors(vec![ParamIssue {
            field: "options".to_owned(),
            value: e.to_string(),
            allowed: "the fields of GridflockOptions".to_owned(),
        }])
    })
}

fn plan_core(options: JsValue) -> Result<gridflock_core::Plan, ParamErrors> {
    read_options(options)?.plan()
}

fn plan_info(plan: &gridflock_core::Plan) -> PlanInfo {
    let code = sku::sku(&plan.params);
    PlanInfo {
        plate_count: plan.plates.len(),
        size_mm: [mm(plan.size_um[0]), mm(plan.size_um[1])],
        bed_mm: [mm(plan.bed_um[0]), mm(plan.bed_um[1])],
        height_mm: mm(plan.height_um()),
        plan_hash: hash::plan_hash(plan, ""),
        plates: plan
            .plates
            .iter()
            .map(|p| {
                let e = p.extent_um();
                PlateInfo {
                    number: p.number,
                    column: p.column,
                    row: p.row,
                    origin_mm: [mm(p.origin_um[0]), mm(p.origin_um[1])],
                    size_mm: [mm(p.size_um[0]), mm(p.size_um[1])],
                    extent_mm: [mm(e[0]), mm(e[1])],
                    file_name: plate_file_name(&code, p.number),
                }
            })
            .collect(),
        sku: code,
    }
}

/// Validates and lays out a plate set. Never throws.
#[wasm_bindgen(unchecked_return_type = "PlanResult")]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "GridflockOptions")] options: JsValue,
) -> JsValue {
    to_js(&match plan_core(options) {
        Ok(plan) => PlanResult::Ok {
            ok: true,
            plan: plan_info(&plan),
        },
        Err(errors) => PlanResult::Err {
            ok: false,
            message: errors.to_string(),
            issues: errors
                .0
                .into_iter()
                .map(|i| Issue {
                    field: i.field,
                    value: i.value,
                    allowed: i.allowed,
                })
                .collect(),
        },
    })
}

/// A planned set whose plates are built one at a time (so a worker can
/// report progress between them).
#[wasm_bindgen]
pub struct PlateSet {
    plan: gridflock_core::Plan,
    /// Meshes built so far, shared with the [`PlateMesh`] handles.
    built: Vec<Option<Rc<Mesh>>>,
}

#[wasm_bindgen]
impl PlateSet {
    /// Plans the set; throws an `Error` naming every bad field (call
    /// [`plan`] first to get the issues as data).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "GridflockOptions")] options: JsValue,
    ) -> Result<PlateSet, JsError> {
        plan_core(options)
            .map(|plan| PlateSet {
                built: vec![None; plan.plates.len()],
                plan,
            })
            .map_err(|e| JsError::new(&gridflock_bindings::error_message(&e)))
    }

    /// Number of plates.
    #[wasm_bindgen(getter, js_name = plateCount)]
    pub fn plate_count(&self) -> usize {
        self.plan.plates.len()
    }

    /// The SKU of the set.
    #[wasm_bindgen(getter)]
    pub fn sku(&self) -> String {
        sku::sku(&self.plan.params)
    }

    /// Builds plate `index` (0-based), or returns the one built before.
    /// Throws if out of range.
    pub fn build(&mut self, index: usize) -> Result<PlateMesh, JsError> {
        Ok(PlateMesh {
            mesh: self.mesh(index)?,
        })
    }

    /// 3MF package of every plate (builds the ones not built yet).
    pub fn threemf(&mut self) -> Result<Vec<u8>, JsError> {
        let meshes = (0..self.plan.plates.len())
            .map(|i| self.mesh(i))
            .collect::<Result<Vec<_>, _>>()?;
        let plates: Vec<(u32, &Mesh)> = self
            .plan
            .plates
            .iter()
            .zip(&meshes)
            .map(|(p, m)| (p.number, &**m))
            .collect();
        gridflock_bindings::threemf(&sku::sku(&self.plan.params), &plates)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// File name for [`PlateSet::threemf`]: `<SKU>.3mf`.
    #[wasm_bindgen(getter, js_name = threemfFileName)]
    pub fn threemf_file_name(&self) -> String {
        gridflock_bindings::set_file_name(&self.sku())
    }
}

impl PlateSet {
    fn mesh(&mut self, index: usize) -> Result<Rc<Mesh>, JsError> {
        let slot = self
            .built
            .get_mut(index)
            .ok_or_else(|| JsError::new("plate index out of range"))?;
        let plan = &self.plan;
        Ok(slot
            .get_or_insert_with(|| Rc::new(build_plate(plan, index)))
            .clone())
    }
}

/// Tiles kept between builds: enough for several large sets, a few tens of
/// MiB of wasm memory at most.
const MAX_CACHED_TILES: usize = 512;

thread_local! {
    /// One builder for everything this worker builds, so that a preview that
    /// follows the customer's input re-meshes only the tiles that changed.
    static BUILDER: RefCell<Builder> = RefCell::new(Builder::new());
}

fn build_plate(plan: &gridflock_core::Plan, index: usize) -> Mesh {
    BUILDER.with(|builder| {
        let mut builder = builder.borrow_mut();
        if builder.distinct_tiles() > MAX_CACHED_TILES {
            builder.clear();
        }
        builder.plate(plan, index)
    })
}

/// One plate's mesh, kept in wasm memory until freed.
#[wasm_bindgen]
pub struct PlateMesh {
    mesh: Rc<Mesh>,
}

#[wasm_bindgen]
impl PlateMesh {
    /// Vertex positions `x, y, z, …` in mm (a copy; transferable).
    pub fn positions(&self) -> Vec<f32> {
        self.mesh.positions.clone()
    }
    /// Triangle indices, three per triangle (a copy; transferable).
    pub fn indices(&self) -> Vec<u32> {
        self.mesh.indices.clone()
    }
    /// Number of triangles.
    #[wasm_bindgen(getter, js_name = triangleCount)]
    pub fn triangle_count(&self) -> usize {
        self.mesh.triangle_count()
    }
    /// Binary STL of this plate.
    pub fn stl(&self) -> Vec<u8> {
        export::stl::binary(&self.mesh)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    id: &'static str,
    name: &'static str,
    bed_mm: [f64; 2],
}

/// Every built-in printer profile, sorted by id.
#[wasm_bindgen(unchecked_return_type = "PrinterProfile[]")]
pub fn printers() -> JsValue {
    let list: Vec<Profile> = gridflock_core::printers::PRINTERS
        .iter()
        .map(|p| Profile {
            id: p.id,
            name: p.name,
            bed_mm: [p.bed_x_mm, p.bed_y_mm],
        })
        .collect();
    to_js(&list)
}
