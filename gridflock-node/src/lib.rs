//! Node.js bindings: `generate`, `generateAsync` (off the event loop),
//! `plan`, `sku`, `parseSku`, `printers`.
//!
//! Options use the Rust `Params` field names (`width_mm`, `magnets`, …), so
//! the same JSON works in Python, Node and the browser. Meshes and STL bytes
//! are handed to V8 as external buffers, without a copy. Bad input throws an
//! `Error` whose `code` is `GRIDFLOCK_PARAM` (or `GRIDFLOCK_SKU`), whose
//! `field` names the first bad option and whose `issues` list every problem
//! (`{ field, value, allowed }`); the message names them all. No geometry lives here.

use gridflock_bindings::{Options, error_message, mm, plate_file_name};
use gridflock_core::{Builder, Mesh, ParamErrors, export, hash, printers, sku};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use rayon::prelude::*;

/// `code` of errors about parameters.
const PARAM_CODE: &str = "GRIDFLOCK_PARAM";
/// `code` of errors about SKUs.
const SKU_CODE: &str = "GRIDFLOCK_SKU";

/// Error with a string `code`, thrown as a JS `Error`.
type CodedError = napi::Error<String>;

/// One problem with one option, as listed in a thrown error's `issues`.
#[napi(object, object_from_js = false)]
pub struct ParamIssue {
    /// Option path, e.g. `width_mm` or `printer.id`.
    pub field: String,
    /// The value given.
    pub value: String,
    /// What is allowed, e.g. `42 to 2000 mm`.
    pub allowed: String,
}

/// A JS `Error` with `code` (`GRIDFLOCK_PARAM`), `field` (the first bad
/// option) and `issues` (every problem), thrown as it is.
fn js_param_error(env: &Env, errors: &ParamErrors) -> napi::Error {
    let build = || -> Result<napi::Error> {
        let mut obj = env.create_error(napi::Error::from_reason(error_message(errors)))?;
        obj.set_named_property("code", PARAM_CODE)?;
        let issues: Vec<ParamIssue> = errors
            .0
            .iter()
            .map(|i| ParamIssue {
                field: i.field.clone(),
                value: i.value.clone(),
                allowed: i.allowed.clone(),
            })
            .collect();
        if let Some(first) = issues.first() {
            obj.set_named_property("field", first.field.as_str())?;
        }
        obj.set_named_property("issues", issues)?;
        Ok(napi::Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}

/// Plans, turning a failure into a thrown JS error with `code`, `field` and `issues`.
fn plan_js(env: &Env, o: Option<&GridflockOptions>) -> Result<gridflock_core::Plan> {
    to_options(o)
        .and_then(|options| options.plan())
        .map_err(|e| js_param_error(env, &e))
}

/// Magnet pocket dimensions in mm; missing fields keep their defaults.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct MagnetDims {
    #[napi(js_name = "diameter_mm")]
    pub diameter_mm: Option<f64>,
    #[napi(js_name = "height_mm")]
    pub height_mm: Option<f64>,
    #[napi(js_name = "top_mm")]
    pub top_mm: Option<f64>,
    #[napi(js_name = "bottom_mm")]
    pub bottom_mm: Option<f64>,
    #[napi(js_name = "border_mm")]
    pub border_mm: Option<f64>,
    #[napi(js_name = "release_width_mm")]
    pub release_width_mm: Option<f64>,
}

/// Plate-set options; names and defaults are those of the Rust `Params`.
#[napi(object)]
#[derive(Clone)]
pub struct GridflockOptions {
    /// Width along x in mm, 42 to 2000. Default 371.
    #[napi(js_name = "width_mm")]
    pub width_mm: Option<f64>,
    /// Depth along y in mm, 42 to 2000. Default 254.
    #[napi(js_name = "height_mm")]
    pub height_mm: Option<f64>,
    /// Built-in printer profile id, e.g. `bambu-a1` (see `printers()`).
    pub printer: Option<String>,
    /// Custom bed `[x, y]` in mm instead of `printer`. Default `[250, 220]`.
    #[napi(ts_type = "[number, number]")]
    pub bed: Option<Vec<f64>>,
    /// Default `intersection`.
    #[napi(ts_type = "'intersection' | 'edge' | 'none'")]
    pub connector: Option<String>,
    /// Intersection-puzzle fit, 0 (loose) to 1 (tight). Default 1.
    pub fit: Option<f64>,
    /// Default `none`.
    #[napi(ts_type = "'none' | 'press-fit' | 'glue-top' | 'glue-bottom'")]
    pub magnets: Option<String>,
    #[napi(js_name = "magnet_dims")]
    pub magnet_dims: Option<MagnetDims>,
    /// Default `1/2`.
    #[napi(ts_type = "'none' | 'dynamic' | '1/2' | '1/3' | '1/4'")]
    pub filler: Option<String>,
    /// Smallest dynamic filler cell, 9 to 41 mm. Default 15.
    #[napi(js_name = "filler_min_mm")]
    pub filler_min_mm: Option<f64>,
    /// Grid placement inside the padding `[x, y]`, 0 to 1. Default `[0.5, 0.5]`.
    #[napi(ts_type = "[number, number]")]
    pub alignment: Option<Vec<f64>>,
    /// Engrave plate numbers underneath. Default true.
    pub numbering: Option<bool>,
    /// Outer corner radius, 0 to 4 mm. Default 4.
    #[napi(js_name = "corner_radius_mm")]
    pub corner_radius_mm: Option<f64>,
}

fn pair(field: &str, v: Option<&Vec<f64>>) -> std::result::Result<Option<[f64; 2]>, ParamErrors> {
    match v.map(Vec::as_slice) {
        None => Ok(None),
        Some(&[x, y]) => Ok(Some([x, y])),
        Some(other) => Err(ParamErrors(vec![gridflock_core::ParamIssue {
            field: field.to_owned(),
            value: format!("{other:?}"),
            allowed: "an [x, y] pair".to_owned(),
        }])),
    }
}

fn to_options(o: Option<&GridflockOptions>) -> std::result::Result<Options, ParamErrors> {
    let Some(o) = o else {
        return Ok(Options::default());
    };
    let magnet_dims = o.magnet_dims.map(|d| {
        let mut m = gridflock_core::MagnetDims::default();
        let set = |slot: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut m.diameter_mm, d.diameter_mm);
        set(&mut m.height_mm, d.height_mm);
        set(&mut m.top_mm, d.top_mm);
        set(&mut m.bottom_mm, d.bottom_mm);
        set(&mut m.border_mm, d.border_mm);
        set(&mut m.release_width_mm, d.release_width_mm);
        m
    });
    Ok(Options {
        width_mm: o.width_mm,
        height_mm: o.height_mm,
        printer: o.printer.clone(),
        bed: pair("bed", o.bed.as_ref())?,
        connector: o.connector.clone(),
        fit: o.fit,
        magnets: o.magnets.clone(),
        magnet_dims,
        filler: o.filler.clone(),
        filler_min_mm: o.filler_min_mm,
        alignment: pair("alignment", o.alignment.as_ref())?,
        numbering: o.numbering,
        corner_radius_mm: o.corner_radius_mm,
    })
}

/// Layout of one plate, sizes in mm.
#[napi(object, object_from_js = false)]
pub struct PlateInfo {
    pub number: u32,
    pub column: u32,
    pub row: u32,
    #[napi(ts_type = "[number, number]")]
    pub origin_mm: Vec<f64>,
    #[napi(ts_type = "[number, number]")]
    pub size_mm: Vec<f64>,
    /// Footprint including connector tabs, the space the plate takes on the bed.
    #[napi(ts_type = "[number, number]")]
    pub extent_mm: Vec<f64>,
}

fn plate_info(p: &gridflock_core::PlatePlan) -> PlateInfo {
    let e = p.extent_um();
    PlateInfo {
        number: p.number,
        column: p.column,
        row: p.row,
        origin_mm: vec![mm(p.origin_um[0]), mm(p.origin_um[1])],
        size_mm: vec![mm(p.size_um[0]), mm(p.size_um[1])],
        extent_mm: vec![mm(e[0]), mm(e[1])],
    }
}

/// A validated plate-set layout.
#[napi(object, object_from_js = false)]
pub struct PlanInfo {
    pub sku: String,
    pub plate_count: u32,
    #[napi(ts_type = "[number, number]")]
    pub size_mm: Vec<f64>,
    #[napi(ts_type = "[number, number]")]
    pub bed_mm: Vec<f64>,
    pub height_mm: f64,
    pub columns_mm: Vec<f64>,
    pub rows_mm: Vec<f64>,
    /// BLAKE3 plan hash with an empty slicer profile.
    pub plan_hash: String,
    pub plates: Vec<PlateInfo>,
}

fn plan_info(plan: &gridflock_core::Plan) -> PlanInfo {
    PlanInfo {
        sku: sku::sku(&plan.params),
        plate_count: plan.plates.len() as u32,
        size_mm: vec![mm(plan.size_um[0]), mm(plan.size_um[1])],
        bed_mm: vec![mm(plan.bed_um[0]), mm(plan.bed_um[1])],
        height_mm: mm(plan.height_um()),
        columns_mm: plan.columns_um.iter().map(|&u| mm(u)).collect(),
        rows_mm: plan.rows_um.iter().map(|&u| mm(u)).collect(),
        plan_hash: hash::plan_hash(plan, ""),
        plates: plan.plates.iter().map(plate_info).collect(),
    }
}

/// One generated plate. The arrays and the Buffer wrap Rust memory (no copy).
#[napi(object, object_from_js = false)]
pub struct Plate {
    pub number: u32,
    pub info: PlateInfo,
    /// `<SKU>-p<number>.stl`.
    pub file_name: String,
    pub triangle_count: u32,
    /// Vertex positions `x, y, z, …` in mm (three.js `position` attribute).
    pub positions: Float32Array,
    /// Triangle indices `a, b, c, …`, counter-clockwise from outside.
    pub indices: Uint32Array,
    /// Binary STL of this plate.
    pub stl: Buffer,
}

/// Every plate of a set, in plate order.
#[napi(object, object_from_js = false)]
pub struct PlateSet {
    pub plan: PlanInfo,
    pub sku: String,
    pub triangle_count: u32,
    pub plates: Vec<Plate>,
    /// 3MF package of every plate (`<SKU>.3mf`), when asked for with `{ threemf: true }`.
    pub threemf: Option<Buffer>,
}

/// Extra outputs of `generate`/`generateAsync`.
#[napi(object)]
#[derive(Clone, Copy, Default)]
pub struct GenerateOutputs {
    /// Also write a 3MF package of all plates (default false).
    pub threemf: Option<bool>,
}

/// Plan plus meshes and file bytes: everything but the JS objects.
pub struct Built {
    plan: gridflock_core::Plan,
    meshes: Vec<(Mesh, Vec<u8>)>,
    threemf: Option<Vec<u8>>,
}

fn build_set(plan: gridflock_core::Plan, outputs: GenerateOutputs) -> Result<Built> {
    let meshes: Vec<(Mesh, Vec<u8>)> = (0..plan.plates.len())
        .into_par_iter()
        .map_init(Builder::new, |builder, i| {
            let mesh = builder.plate(&plan, i);
            let stl = export::stl::binary(&mesh);
            (mesh, stl)
        })
        .collect();
    let threemf = if outputs.threemf.unwrap_or(false) {
        let plates: Vec<(u32, &Mesh)> = plan
            .plates
            .iter()
            .zip(&meshes)
            .map(|(pp, (mesh, _))| (pp.number, mesh))
            .collect();
        let bytes = gridflock_bindings::threemf(&sku::sku(&plan.params), &plates)
            .map_err(|e| napi::Error::from_reason(e.to_string()))?;
        Some(bytes)
    } else {
        None
    };
    Ok(Built {
        plan,
        meshes,
        threemf,
    })
}

fn to_js(built: Built) -> PlateSet {
    let Built {
        plan,
        meshes,
        threemf,
    } = built;
    let info = plan_info(&plan);
    let code = info.sku.clone();
    let mut triangles = 0;
    let plates = plan
        .plates
        .iter()
        .zip(meshes)
        .map(|(pp, (mesh, stl))| {
            let tris = mesh.triangle_count() as u32;
            triangles += tris;
            Plate {
                number: pp.number,
                info: plate_info(pp),
                file_name: plate_file_name(&code, pp.number),
                triangle_count: tris,
                positions: Float32Array::new(mesh.positions),
                indices: Uint32Array::new(mesh.indices),
                stl: Buffer::from(stl),
            }
        })
        .collect();
    PlateSet {
        plan: info,
        sku: code,
        triangle_count: triangles,
        plates,
        threemf: threemf.map(Buffer::from),
    }
}

/// Validates the options and lays out the plate set (no meshes).
#[napi]
pub fn plan(env: Env, options: Option<GridflockOptions>) -> Result<PlanInfo> {
    Ok(plan_info(&plan_js(&env, options.as_ref())?))
}

/// Plans and builds every plate synchronously (blocks the calling thread).
#[napi]
pub fn generate(
    env: Env,
    options: Option<GridflockOptions>,
    outputs: Option<GenerateOutputs>,
) -> Result<PlateSet> {
    let plan = plan_js(&env, options.as_ref())?;
    Ok(to_js(build_set(plan, outputs.unwrap_or_default())?))
}

/// Background task behind [`generate_async`].
pub struct GenerateTask {
    plan: Option<gridflock_core::Plan>,
    outputs: GenerateOutputs,
}

impl Task for GenerateTask {
    type Output = Built;
    type JsValue = PlateSet;

    fn compute(&mut self) -> Result<Built> {
        let plan = self
            .plan
            .take()
            .ok_or_else(|| napi::Error::from_reason("gridflock: task ran twice"))?;
        build_set(plan, self.outputs)
    }

    fn resolve(&mut self, _env: Env, output: Built) -> Result<PlateSet> {
        Ok(to_js(output))
    }
}

/// Like [`generate`], but builds on the libuv thread pool and resolves a
/// Promise; the event loop keeps running. Invalid options throw at once.
#[napi(ts_return_type = "Promise<PlateSet>")]
pub fn generate_async(
    env: Env,
    options: Option<GridflockOptions>,
    outputs: Option<GenerateOutputs>,
) -> Result<AsyncTask<GenerateTask>> {
    let plan = plan_js(&env, options.as_ref())?;
    Ok(AsyncTask::new(GenerateTask {
        plan: Some(plan),
        outputs: outputs.unwrap_or_default(),
    }))
}

/// The SKU of the options, e.g. `GF-450x320-IP-MAG`.
#[napi]
pub fn sku(env: Env, options: Option<GridflockOptions>) -> Result<String> {
    let params = to_options(options.as_ref())
        .and_then(|o| o.to_params())
        .map_err(|e| js_param_error(&env, &e))?;
    Ok(sku::sku(&params))
}

/// Options parsed from a SKU.
#[napi(object, object_from_js = false)]
pub struct SkuOptions {
    #[napi(js_name = "width_mm")]
    pub width_mm: f64,
    #[napi(js_name = "height_mm")]
    pub height_mm: f64,
    #[napi(ts_type = "'intersection' | 'edge' | 'none'")]
    pub connector: String,
    #[napi(ts_type = "'none' | 'press-fit' | 'glue-top' | 'glue-bottom'")]
    pub magnets: String,
}

/// Parses a SKU into options for `plan`/`generate` (`MAG` means press-fit).
#[napi]
pub fn parse_sku(text: String) -> std::result::Result<SkuOptions, CodedError> {
    let parts =
        sku::parse_sku(&text).map_err(|e| napi::Error::new(SKU_CODE.to_owned(), e.to_string()))?;
    let p = parts.to_params();
    Ok(SkuOptions {
        width_mm: p.width_mm,
        height_mm: p.height_mm,
        connector: gridflock_bindings::connector_name(&p.connector).to_owned(),
        magnets: gridflock_bindings::magnets_name(p.magnets).to_owned(),
    })
}

/// A built-in printer profile.
#[napi(object, object_from_js = false)]
pub struct PrinterProfile {
    pub id: String,
    pub name: String,
    #[napi(ts_type = "[number, number]")]
    pub bed_mm: Vec<f64>,
}

/// Every built-in printer profile, sorted by id.
#[napi]
pub fn printers() -> Vec<PrinterProfile> {
    printers::PRINTERS
        .iter()
        .map(|p| PrinterProfile {
            id: p.id.to_owned(),
            name: p.name.to_owned(),
            bed_mm: vec![p.bed_x_mm, p.bed_y_mm],
        })
        .collect()
}
