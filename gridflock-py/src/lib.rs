//! `gridflock._gridflock`: the private native module behind the `gridflock`
//! Python package.
//!
//! It converts keyword arguments to [`gridflock_bindings::Options`], calls
//! the core's `plan`/`build`/writers with the GIL released, and maps errors to
//! Python exceptions. It contains no geometry.

use gridflock_bindings::{Options, error_message, mm, plate_file_name};
use gridflock_core::printers as core_printers;
use gridflock_core::sku as core_sku;
use gridflock_core::{Builder, Mesh, ParamErrors, export, hash};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyIterator, PyList};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(
    gridflock,
    ParamError,
    PyValueError,
    "Invalid parameters. `.issues` lists every problem as (field, value, allowed)."
);
create_exception!(
    gridflock,
    SkuError,
    PyValueError,
    "A SKU that does not parse; the message names the offending part."
);

fn param_error(py: Python<'_>, errors: &ParamErrors) -> PyErr {
    let err = ParamError::new_err(error_message(errors));
    let issues: Vec<(String, String, String)> = errors
        .0
        .iter()
        .map(|i| (i.field.clone(), i.value.clone(), i.allowed.clone()))
        .collect();
    if let Err(e) = err.value(py).setattr("issues", issues) {
        return e;
    }
    err
}

fn extract<'py, T: FromPyObjectOwned<'py>>(key: &str, value: &Bound<'py, PyAny>) -> PyResult<T> {
    value.extract::<T>().map_err(|e| {
        let e: PyErr = e.into();
        PyTypeError::new_err(format!("gridflock: argument {key}: {e}"))
    })
}

/// Reads keyword arguments into [`Options`]; unknown names are a `TypeError`.
fn options(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options::default();
    let Some(kwargs) = kwargs else {
        return Ok(o);
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let k = key.as_str();
        match k {
            "width_mm" => o.width_mm = Some(extract(k, &value)?),
            "height_mm" => o.height_mm = Some(extract(k, &value)?),
            "printer" => o.printer = Some(extract(k, &value)?),
            "bed" => o.bed = Some(extract::<(f64, f64)>(k, &value)?.into()),
            "connector" => o.connector = Some(extract(k, &value)?),
            "fit" => o.fit = Some(extract(k, &value)?),
            "magnets" => o.magnets = Some(extract(k, &value)?),
            "magnet_dims" => o.magnet_dims = Some(magnet_dims(&value)?),
            "filler" => o.filler = Some(extract(k, &value)?),
            "filler_min_mm" => o.filler_min_mm = Some(extract(k, &value)?),
            "alignment" => o.alignment = Some(extract::<(f64, f64)>(k, &value)?.into()),
            "numbering" => o.numbering = Some(extract(k, &value)?),
            "corner_radius_mm" => o.corner_radius_mm = Some(extract(k, &value)?),
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "gridflock: unexpected keyword argument {key:?}"
                )));
            }
        }
    }
    Ok(o)
}

fn magnet_dims(value: &Bound<'_, PyAny>) -> PyResult<gridflock_core::MagnetDims> {
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("gridflock: magnet_dims must be a dict"))?;
    let mut d = gridflock_core::MagnetDims::default();
    for (key, v) in dict.iter() {
        let key: String = key.extract()?;
        let slot = match key.as_str() {
            "diameter_mm" => &mut d.diameter_mm,
            "height_mm" => &mut d.height_mm,
            "top_mm" => &mut d.top_mm,
            "bottom_mm" => &mut d.bottom_mm,
            "border_mm" => &mut d.border_mm,
            "release_width_mm" => &mut d.release_width_mm,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "gridflock: unexpected magnet_dims key {key:?}"
                )));
            }
        };
        *slot = extract(&key, &v)?;
    }
    Ok(d)
}

fn plan_of(py: Python<'_>, o: &Options) -> PyResult<gridflock_core::Plan> {
    o.plan().map_err(|e| param_error(py, &e))
}

/// One plate of a planned set (layout only, no mesh).
#[derive(Clone)]
#[pyclass(frozen, module = "gridflock")]
struct PlateInfo {
    #[pyo3(get)]
    number: u32,
    #[pyo3(get)]
    column: u32,
    #[pyo3(get)]
    row: u32,
    #[pyo3(get)]
    origin_mm: (f64, f64),
    #[pyo3(get)]
    size_mm: (f64, f64),
    #[pyo3(get)]
    extent_mm: (f64, f64),
}

#[pymethods]
impl PlateInfo {
    fn __repr__(&self) -> String {
        format!(
            "PlateInfo(number={}, size_mm=({}, {}))",
            self.number, self.size_mm.0, self.size_mm.1
        )
    }
}

/// A validated plate-set layout.
#[pyclass(frozen, module = "gridflock")]
struct Plan {
    plan: Arc<gridflock_core::Plan>,
}

#[pymethods]
impl Plan {
    /// The product SKU, e.g. `GF-450x320-IP-MAG`.
    #[getter]
    fn sku(&self) -> String {
        core_sku::sku(&self.plan.params)
    }
    /// Number of plates.
    #[getter]
    fn plate_count(&self) -> usize {
        self.plan.plates.len()
    }
    /// Overall size (width, height) in mm.
    #[getter]
    fn size_mm(&self) -> (f64, f64) {
        (mm(self.plan.size_um[0]), mm(self.plan.size_um[1]))
    }
    /// Usable bed (x, y) in mm.
    #[getter]
    fn bed_mm(&self) -> (f64, f64) {
        (mm(self.plan.bed_um[0]), mm(self.plan.bed_um[1]))
    }
    /// Cell column widths in mm, west to east.
    #[getter]
    fn columns_mm(&self) -> Vec<f64> {
        self.plan.columns_um.iter().map(|&u| mm(u)).collect()
    }
    /// Cell row depths in mm, south to north.
    #[getter]
    fn rows_mm(&self) -> Vec<f64> {
        self.plan.rows_um.iter().map(|&u| mm(u)).collect()
    }
    /// Total plate height in mm.
    #[getter]
    fn height_mm(&self) -> f64 {
        mm(self.plan.height_um())
    }
    /// Plates in number order.
    #[getter]
    fn plates(&self) -> Vec<PlateInfo> {
        self.plan.plates.iter().map(plate_info).collect()
    }
    /// BLAKE3 plan hash (hex) of this plan and a slicer profile name.
    #[pyo3(signature = (slicer_profile = ""))]
    fn plan_hash(&self, slicer_profile: &str) -> String {
        hash::plan_hash(&self.plan, slicer_profile)
    }
    fn __repr__(&self) -> String {
        format!(
            "Plan(sku={:?}, plate_count={})",
            self.sku(),
            self.plate_count()
        )
    }
}

fn plate_info(p: &gridflock_core::PlatePlan) -> PlateInfo {
    let e = p.extent_um();
    PlateInfo {
        number: p.number,
        column: p.column,
        row: p.row,
        origin_mm: (mm(p.origin_um[0]), mm(p.origin_um[1])),
        size_mm: (mm(p.size_um[0]), mm(p.size_um[1])),
        extent_mm: (mm(e[0]), mm(e[1])),
    }
}

/// One generated plate: its mesh and writers.
#[pyclass(frozen, module = "gridflock")]
struct Plate {
    info: PlateInfo,
    sku: String,
    mesh: Mesh,
}

#[pymethods]
impl Plate {
    /// 1-based plate number (as engraved).
    #[getter]
    fn number(&self) -> u32 {
        self.info.number
    }
    /// Layout of this plate.
    #[getter]
    fn info(&self) -> PlateInfo {
        self.info.clone()
    }
    /// Suggested file name, `<SKU>-p<number>.stl`.
    #[getter]
    fn file_name(&self) -> String {
        plate_file_name(&self.sku, self.info.number)
    }
    /// Number of triangles.
    #[getter]
    fn triangle_count(&self) -> usize {
        self.mesh.triangle_count()
    }
    /// Number of vertices.
    #[getter]
    fn vertex_count(&self) -> usize {
        self.mesh.vertex_count()
    }
    /// Vertex positions, float32 array of shape (N, 3), mm (a fresh copy).
    #[getter]
    fn vertices<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        PyArray1::from_slice(py, &self.mesh.positions).reshape([self.mesh.vertex_count(), 3])
    }
    /// Triangle vertex indices, uint32 array of shape (M, 3), counter-clockwise from outside.
    #[getter]
    fn triangles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u32>>> {
        PyArray1::from_slice(py, &self.mesh.indices).reshape([self.mesh.triangle_count(), 3])
    }
    /// Binary STL of this plate.
    fn stl_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let stl = py.detach(|| export::stl::binary(&self.mesh));
        PyBytes::new(py, &stl)
    }
    /// 3MF package holding this plate.
    fn threemf_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        threemf(py, &self.sku, &[(self.info.number, &self.mesh)])
    }
    fn __repr__(&self) -> String {
        format!(
            "Plate(number={}, triangles={})",
            self.info.number,
            self.mesh.triangle_count()
        )
    }
}

fn threemf<'py>(
    py: Python<'py>,
    sku: &str,
    plates: &[(u32, &Mesh)],
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = py
        .detach(|| gridflock_bindings::threemf(sku, plates))
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Every plate of a set, in plate order.
#[pyclass(frozen, sequence, module = "gridflock")]
struct PlateSet {
    plan: Py<Plan>,
    plates: Vec<Py<Plate>>,
}

#[pymethods]
impl PlateSet {
    /// The plan the plates were built from.
    #[getter]
    fn plan(&self, py: Python<'_>) -> Py<Plan> {
        self.plan.clone_ref(py)
    }
    /// The SKU of the set.
    #[getter]
    fn sku(&self) -> String {
        self.plan.get().sku()
    }
    /// The plates, in number order.
    #[getter]
    fn plates(&self, py: Python<'_>) -> Vec<Py<Plate>> {
        self.plates.iter().map(|p| p.clone_ref(py)).collect()
    }
    /// Total triangles over all plates.
    #[getter]
    fn triangle_count(&self) -> usize {
        self.plates
            .iter()
            .map(|p| p.get().mesh.triangle_count())
            .sum()
    }
    /// 3MF package with every plate as its own object.
    fn threemf_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let plates: Vec<(u32, &Mesh)> = self
            .plates
            .iter()
            .map(|p| (p.get().info.number, &p.get().mesh))
            .collect();
        threemf(py, &self.sku(), &plates)
    }
    fn __len__(&self) -> usize {
        self.plates.len()
    }
    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<Plate>> {
        let n = self.plates.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if (0..n).contains(&i) {
            Ok(self.plates[i as usize].clone_ref(py))
        } else {
            Err(pyo3::exceptions::PyIndexError::new_err(
                "plate index out of range",
            ))
        }
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        PyList::new(py, self.plates(py))?.try_iter()
    }
    fn __repr__(&self) -> String {
        format!(
            "PlateSet(sku={:?}, plates={})",
            self.plan.get().sku(),
            self.plates.len()
        )
    }
}

/// Validates the options and lays out the plate set (no meshes).
#[pyfunction]
#[pyo3(signature = (**kwargs))]
fn plan(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Plan> {
    let o = options(kwargs)?;
    Ok(Plan {
        plan: Arc::new(plan_of(py, &o)?),
    })
}

fn build_all(plan: &gridflock_core::Plan) -> Vec<Mesh> {
    (0..plan.plates.len())
        .into_par_iter()
        .map_init(Builder::new, |builder, i| builder.plate(plan, i))
        .collect()
}

/// Plans and builds every plate (in parallel, without the GIL).
#[pyfunction]
#[pyo3(signature = (**kwargs))]
fn generate(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<PlateSet> {
    let o = options(kwargs)?;
    let plan = Arc::new(plan_of(py, &o)?);
    let meshes = py.detach(|| build_all(&plan));
    let code = core_sku::sku(&plan.params);
    let plates = plan
        .plates
        .iter()
        .zip(meshes)
        .map(|(pp, mesh)| {
            Py::new(
                py,
                Plate {
                    info: plate_info(pp),
                    sku: code.clone(),
                    mesh,
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PlateSet {
        plan: Py::new(py, Plan { plan })?,
        plates,
    })
}

/// One batch entry: what was written for one size.
#[pyclass(frozen, module = "gridflock")]
struct BatchItem {
    #[pyo3(get)]
    sku: String,
    #[pyo3(get)]
    width_mm: f64,
    #[pyo3(get)]
    height_mm: f64,
    #[pyo3(get)]
    plates: usize,
    #[pyo3(get)]
    triangles: usize,
    #[pyo3(get)]
    files: Vec<String>,
    #[pyo3(get)]
    sha256: Vec<String>,
    #[pyo3(get)]
    plan_hash: String,
}

#[pymethods]
impl BatchItem {
    fn __repr__(&self) -> String {
        format!("BatchItem(sku={:?}, plates={})", self.sku, self.plates)
    }
}

fn write_set(
    plan: &gridflock_core::Plan,
    (w, h): (f64, f64),
    dir: &std::path::Path,
) -> Result<BatchItem, String> {
    let code = core_sku::sku(&plan.params);
    let results: Vec<Result<(String, String, usize), String>> = (0..plan.plates.len())
        .into_par_iter()
        .map_init(Builder::new, |builder, i| {
            let mesh = builder.plate(plan, i);
            let stl = export::stl::binary(&mesh);
            let name = plate_file_name(&code, plan.plates[i].number);
            std::fs::write(dir.join(&name), &stl)
                .map_err(|e| format!("cannot write {}: {e}", dir.join(&name).display()))?;
            Ok((
                name,
                format!("{:x}", Sha256::digest(&stl)),
                mesh.triangle_count(),
            ))
        })
        .collect();
    let mut item = BatchItem {
        sku: code,
        width_mm: w,
        height_mm: h,
        plates: plan.plates.len(),
        triangles: 0,
        files: Vec::new(),
        sha256: Vec::new(),
        plan_hash: hash::plan_hash(plan, ""),
    };
    for r in results {
        let (name, digest, tris) = r?;
        item.files.push(name);
        item.sha256.push(digest);
        item.triangles += tris;
    }
    Ok(item)
}

/// Generates every size in `sizes` into `out_dir` (one binary STL per plate),
/// on all cores with the GIL released. `progress(done, total)` is called
/// after each finished size. Returns one [`BatchItem`] per size, in order.
#[pyfunction]
#[pyo3(signature = (sizes, out_dir, *, progress = None, **kwargs))]
fn batch(
    py: Python<'_>,
    sizes: Vec<(f64, f64)>,
    out_dir: PathBuf,
    progress: Option<Py<PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<BatchItem>> {
    let base = options(kwargs)?;
    let plans = sizes
        .iter()
        .map(|&(w, h)| {
            base.with_size(w, h).plan().map_err(|e| {
                let err = param_error(py, &e);
                let note = format!("size {w} x {h} mm");
                // Keep the type and `.issues`; add the size to the message.
                let _ = err.value(py).call_method1("add_note", (note,));
                err
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    std::fs::create_dir_all(&out_dir).map_err(|e| PyOSError::new_err(e.to_string()))?;
    let total = plans.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results = py.detach(|| {
        plans
            .par_iter()
            .zip(sizes.par_iter())
            .map(|(plan, &size)| {
                let item = write_set(plan, size, &out_dir);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if let Some(cb) = &progress {
                    Python::attach(|py| {
                        if let Err(e) = cb.call1(py, (n, total)) {
                            e.write_unraisable(py, None);
                        }
                    });
                }
                item
            })
            .collect::<Vec<_>>()
    });
    results
        .into_iter()
        .map(|r| r.map_err(PyOSError::new_err))
        .collect()
}

/// A built-in printer profile.
#[pyclass(frozen, module = "gridflock")]
struct PrinterProfile {
    #[pyo3(get)]
    id: &'static str,
    #[pyo3(get)]
    name: &'static str,
    #[pyo3(get)]
    bed_mm: (f64, f64),
}

#[pymethods]
impl PrinterProfile {
    fn __repr__(&self) -> String {
        format!(
            "PrinterProfile(id={:?}, bed_mm=({}, {}))",
            self.id, self.bed_mm.0, self.bed_mm.1
        )
    }
}

/// Every built-in printer profile, sorted by id.
#[pyfunction]
fn printers() -> Vec<PrinterProfile> {
    core_printers::PRINTERS
        .iter()
        .map(|p| PrinterProfile {
            id: p.id,
            name: p.name,
            bed_mm: (p.bed_x_mm, p.bed_y_mm),
        })
        .collect()
}

/// The SKU the options produce, e.g. `GF-450x320-IP-MAG` (no validation).
#[pyfunction]
#[pyo3(signature = (**kwargs))]
fn sku(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let params = options(kwargs)?
        .to_params()
        .map_err(|e| param_error(py, &e))?;
    Ok(core_sku::sku(&params))
}

/// Parses a SKU into a dict of keyword arguments for `plan`/`generate`.
#[pyfunction]
fn parse_sku<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyDict>> {
    let parts = core_sku::parse_sku(text).map_err(|e| SkuError::new_err(e.to_string()))?;
    let p = parts.to_params();
    let d = PyDict::new(py);
    d.set_item("width_mm", p.width_mm)?;
    d.set_item("height_mm", p.height_mm)?;
    d.set_item(
        "connector",
        gridflock_bindings::connector_name(&p.connector),
    )?;
    d.set_item("magnets", gridflock_bindings::magnets_name(p.magnets))?;
    Ok(d)
}

#[pymodule(gil_used = false)]
fn _gridflock(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ParamError", py.get_type::<ParamError>())?;
    m.add("SkuError", py.get_type::<SkuError>())?;
    m.add_class::<Plan>()?;
    m.add_class::<PlateInfo>()?;
    m.add_class::<Plate>()?;
    m.add_class::<PlateSet>()?;
    m.add_class::<BatchItem>()?;
    m.add_class::<PrinterProfile>()?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(batch, m)?)?;
    m.add_function(wrap_pyfunction!(printers, m)?)?;
    m.add_function(wrap_pyfunction!(sku, m)?)?;
    m.add_function(wrap_pyfunction!(parse_sku, m)?)?;
    Ok(())
}
