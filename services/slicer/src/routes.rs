//! `GET /profiles` and `POST /slice`.

use crate::AppState;
use crate::adapters::{Gcode, SliceError, SliceJob, Slicer};
use crate::profiles::{self, Profile, ProfileView, RawOverrides, Settings};
use crate::stl_check::{ModelInfo, check_model};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use service_common::{FieldError, Json, Problem};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Multipart field names of `POST /slice`.
pub mod fields {
    /// The STL upload.
    pub const FILE: &str = "file";
    /// A profile name from `GET /profiles`.
    pub const PROFILE: &str = "profile";
    /// Layer height override, mm.
    pub const LAYER_HEIGHT: &str = "layerHeightMm";
    /// Infill override, percent.
    pub const INFILL: &str = "infillPercent";
    /// Nozzle override, mm.
    pub const NOZZLE: &str = "nozzleDiameterMm";
    /// Filament override.
    pub const FILAMENT: &str = "filament";
}

/// Seconds a refused caller is asked to wait before retrying.
const RETRY_AFTER_SECONDS: u64 = 10;

/// `GET /profiles`: every printer with its bed, its defaults and the slicer
/// that will slice it.
pub async fn profiles(State(state): State<AppState>) -> Json<Vec<ProfileView>> {
    let views = profiles::all()
        .into_iter()
        .map(|p| {
            let (slicer, _) = state.slicer_for(&p);
            let slicer_note =
                (p.family == profiles::Family::Bambu && state.bambu.is_none()).then(|| {
                    "sliced by PrusaSlicer: no BambuStudio/OrcaSlicer is configured \
                     (SLICER_BAMBU_BIN); the gcode is plain gcode, not a .gcode.3mf"
                        .to_owned()
                });
            ProfileView {
                name: p.id(),
                printer_name: p.printer.name,
                slicer: slicer.label(),
                slicer_note,
                bed_width_mm: p.bed_width_mm(),
                bed_depth_mm: p.bed_depth_mm(),
                max_height_mm: p.max_height_mm,
                defaults: p.defaults(),
            }
        })
        .collect();
    Json(views)
}

/// A request whose fields were read but not yet checked.
#[derive(Default)]
struct SliceForm {
    file: Option<Bytes>,
    profile: Option<String>,
    overrides: RawOverrides,
    unknown: Vec<String>,
}

/// `POST /slice`: multipart `file` (STL), `profile`, optional overrides;
/// answers the gcode.
pub async fn slice(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    match slice_inner(state, multipart).await {
        Ok(response) => response,
        Err(problem) => problem.into_response(),
    }
}

async fn slice_inner(
    state: AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let multipart = multipart.map_err(|r| {
        Problem::new(r.status(), "bad-multipart", "Unreadable multipart body").detail(format!(
            "{}; send multipart/form-data with the fields file, profile and optional \
             layerHeightMm, infillPercent, nozzleDiameterMm, filament",
            r.body_text()
        ))
    })?;
    let form = read_form(multipart).await?;
    let (profile, settings, model, stl) = validate(form).await?;
    let (slicer, status) = state.slicer_for(&profile);
    if let Err(e) = status {
        return Err(Problem::unavailable(format!(
            "{} cannot be run: {e}",
            slicer.name()
        )));
    }

    let queued = Instant::now();
    let slot = state.queue.acquire().await.map_err(|full| {
        tracing::warn!(waiting = full.waiting, "slice queue full; refusing");
        QueueFullProblem(full.waiting, state.config.queue_limit)
    });
    let slot = match slot {
        Ok(slot) => slot,
        Err(full) => return Ok(full.into_response()),
    };
    let queue_wait = queued.elapsed();

    // The slice runs on its own task so that an abandoned request still
    // kills and reaps the slicer and deletes the scratch directory before
    // the slot is given to the next request; the guard cancels it.
    let cancel = CancellationToken::new();
    let _guard = cancel.clone().drop_guard();
    let work_dir = state.config.work_dir.clone();
    let timeout = state.config.timeout;
    let task_slicer = slicer.clone();
    let started = Instant::now();
    let task = tokio::spawn(async move {
        let result = run_slice(
            &*task_slicer,
            &work_dir,
            stl,
            profile,
            settings,
            timeout,
            &cancel,
        )
        .await;
        drop(slot);
        result
    });
    let result = task
        .await
        .map_err(|e| Problem::internal(format!("slice task stopped: {e}")))?;
    let elapsed = started.elapsed();
    match result {
        Ok(gcode) => {
            tracing::info!(
                profile = profile.id(),
                triangles = model.triangles,
                slice_ms = elapsed.as_millis() as u64,
                queue_ms = queue_wait.as_millis() as u64,
                gcode_bytes = gcode.bytes.len(),
                "sliced"
            );
            Ok(gcode_response(
                gcode, &*slicer, &profile, elapsed, queue_wait,
            ))
        }
        Err(e) => Err(slice_problem(e, &*slicer)),
    }
}

/// Writes the model into a fresh scratch directory and slices it there; the
/// directory is deleted when this returns, whatever the outcome.
async fn run_slice(
    slicer: &dyn Slicer,
    work_dir: &std::path::Path,
    stl: Bytes,
    profile: Profile,
    settings: Settings,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Gcode, SliceError> {
    let dir = tempfile::Builder::new()
        .prefix("slice-")
        .tempdir_in(work_dir)?;
    let model = dir.path().join("model.stl");
    tokio::fs::write(&model, &stl).await?;
    drop(stl);
    let result = slicer
        .slice(SliceJob {
            dir: dir.path(),
            model: &model,
            profile: &profile,
            settings: &settings,
            timeout,
            cancel,
        })
        .await;
    let path = dir.path().to_owned();
    // Deleting a directory with a large gcode in it is blocking work.
    let _ = tokio::task::spawn_blocking(move || dir.close()).await;
    if path.exists() {
        tracing::warn!(dir = %path.display(), "scratch directory left behind");
    }
    result
}

async fn read_form(mut multipart: Multipart) -> Result<SliceForm, Problem> {
    let mut form = SliceForm::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_problem)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            fields::FILE => form.file = Some(field.bytes().await.map_err(multipart_problem)?),
            fields::PROFILE
            | fields::LAYER_HEIGHT
            | fields::INFILL
            | fields::NOZZLE
            | fields::FILAMENT => {
                let text = field.text().await.map_err(multipart_problem)?;
                let text = text.trim().to_owned();
                // An empty optional field means "not overridden".
                let value = (!text.is_empty()).then_some(text);
                match name.as_str() {
                    fields::PROFILE => form.profile = value,
                    fields::LAYER_HEIGHT => form.overrides.layer_height_mm = value,
                    fields::INFILL => form.overrides.infill_percent = value,
                    fields::NOZZLE => form.overrides.nozzle_diameter_mm = value,
                    _ => form.overrides.filament = value,
                }
            }
            _ => form.unknown.push(name),
        }
    }
    Ok(form)
}

fn multipart_problem(e: MultipartError) -> Problem {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::new(status, "payload-too-large", "Payload too large").detail(format!(
            "the upload exceeds {} MiB",
            crate::SLICE_BODY_LIMIT / (1024 * 1024)
        ));
    }
    Problem::new(status, "bad-multipart", "Unreadable multipart body").detail(e.body_text())
}

/// Checks every field and the model; all problems are reported at once.
async fn validate(form: SliceForm) -> Result<(Profile, Settings, ModelInfo, Bytes), Problem> {
    let mut errors = Vec::new();
    for name in &form.unknown {
        errors.push(FieldError::new(
            name.clone(),
            "is not a field of /slice; expected file, profile, layerHeightMm, infillPercent, \
             nozzleDiameterMm, filament",
        ));
    }
    let profile = match form.profile.as_deref() {
        None => {
            errors.push(FieldError::new(
                fields::PROFILE,
                format!("is required; one of {}", profiles::names()),
            ));
            None
        }
        Some(name) => {
            let found = profiles::find(name);
            if found.is_none() {
                errors.push(FieldError::new(
                    fields::PROFILE,
                    format!(
                        "is {name:?}, not a known profile; one of {}",
                        profiles::names()
                    ),
                ));
            }
            found
        }
    };
    let settings = profile
        .map(|p| p.defaults())
        .map(|defaults| profiles::apply_overrides(defaults, &form.overrides));
    let settings = match settings {
        Some(Ok(s)) => Some(s),
        Some(Err(mut e)) => {
            errors.append(&mut e);
            None
        }
        // Without a profile the overrides are still checked against the
        // common defaults, so one answer names every bad field.
        None => {
            let defaults = profiles::all()
                .first()
                .map(Profile::defaults)
                .ok_or_else(|| Problem::internal("no printer profiles"))?;
            if let Err(mut e) = profiles::apply_overrides(defaults, &form.overrides) {
                errors.append(&mut e);
            }
            None
        }
    };
    let checked = match form.file {
        None => {
            errors.push(FieldError::new(
                fields::FILE,
                "is required: a binary or ASCII STL file",
            ));
            None
        }
        Some(stl) => {
            let for_check = stl.clone();
            // Parsing and proving a large mesh closed is CPU work.
            let info =
                tokio::task::spawn_blocking(move || check_model(&for_check, profile.as_ref()))
                    .await
                    .map_err(|e| Problem::internal(format!("model check stopped: {e}")))?;
            match info {
                Ok(info) => Some((info, stl)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
    };
    match (profile, settings, checked) {
        (Some(p), Some(s), Some((info, stl))) if errors.is_empty() => Ok((p, s, info, stl)),
        _ => Err(Problem::invalid(errors)),
    }
}

struct QueueFullProblem(usize, usize);

impl IntoResponse for QueueFullProblem {
    fn into_response(self) -> Response {
        let mut response = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "slice-queue-full",
            "Slice queue full",
        )
        .detail(format!(
            "all slicer slots are busy and {} requests are already waiting (limit {}); \
             retry after {RETRY_AFTER_SECONDS} s",
            self.0, self.1
        ))
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        response
    }
}

fn slice_problem(e: SliceError, slicer: &dyn Slicer) -> Problem {
    match e {
        SliceError::Rejected { reason } => {
            tracing::info!(reason = %reason, "slicer rejected the model");
            Problem::invalid_field(
                fields::FILE,
                format!("{} could not slice it: {reason}", slicer.name()),
            )
        }
        SliceError::Timeout(limit) => {
            tracing::warn!(limit_s = limit.as_secs(), "slice timed out; slicer killed");
            Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                "slice-timeout",
                "Slice timed out",
            )
            .detail(format!(
                "{} did not finish within {} s (SLICER_TIMEOUT_SECONDS) and was stopped",
                slicer.name(),
                limit.as_secs()
            ))
        }
        SliceError::Spawn { .. } => {
            tracing::error!(error = %e, "slicer cannot be started");
            Problem::unavailable(e.to_string())
        }
        SliceError::Cancelled => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "slice-cancelled",
            "Slice cancelled",
        ),
        SliceError::Failed(_) | SliceError::Io(_) => {
            tracing::error!(error = %e, "slice failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "slicer-failed",
                "Slicer failed",
            )
            .detail(e.to_string())
        }
    }
}

fn gcode_response(
    gcode: Gcode,
    slicer: &dyn Slicer,
    profile: &Profile,
    elapsed: Duration,
    queue_wait: Duration,
) -> Response {
    let mut headers = vec![
        (header::CONTENT_TYPE, "text/x-gcode".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.gcode\"", profile.id()),
        ),
        (HeaderName::from_static("x-slicer"), slicer.label()),
        (
            HeaderName::from_static("x-slice-profile"),
            profile.id().to_owned(),
        ),
        (
            HeaderName::from_static("x-slice-duration-ms"),
            elapsed.as_millis().to_string(),
        ),
        (
            HeaderName::from_static("x-queue-wait-ms"),
            queue_wait.as_millis().to_string(),
        ),
    ];
    if let Some(s) = gcode.estimated_print_seconds {
        headers.push((
            HeaderName::from_static("x-estimated-print-seconds"),
            s.to_string(),
        ));
    }
    if let Some(g) = gcode.filament_grams {
        headers.push((
            HeaderName::from_static("x-filament-grams"),
            format!("{g:.2}"),
        ));
    }
    let mut response = (StatusCode::OK, gcode.bytes).into_response();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
