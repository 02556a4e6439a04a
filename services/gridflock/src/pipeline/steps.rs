//! The steps of one job, each skipped when its result is already recorded.

use super::naming;
use super::upstream::{MappingPart, MappingUpsert};
use super::{Ended, StepError, Worker, step};
use crate::artefacts::Kind;
use crate::jobs::{self, Job, Plate, PlateProgress, plate_status};
use gridflock_core::Plan;
use service_common::contracts::PrintSettings;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

impl Worker {
    /// Runs the job from its first unfinished step to the mapping.
    /// `progressed` turns true once a step finished in this run.
    pub(super) async fn execute(
        &self,
        job: &Job,
        shutdown: &CancellationToken,
        progressed: &mut bool,
    ) -> Result<Ended, StepError> {
        let params = job
            .core_params()
            .map_err(|e| StepError::permanent(step::PLAN, format!("stored parameters: {e}")))?;
        let settings = job
            .settings()
            .map_err(|e| StepError::permanent(step::PLAN, format!("stored print settings: {e}")))?;
        let plan = gridflock_core::plan(&params)
            .map_err(|e| StepError::permanent(step::PLAN, format!("invalid parameters: {e}")))?;
        let hash = gridflock_core::hash::plan_hash(&plan, &settings.slicer_profile_key());
        if hash != job.plan_hash {
            // Only an upgrade of the geometry algorithm does this; the plates
            // are built with the current one and the mapping says which.
            tracing::warn!(job = %job.id, stored = %job.plan_hash, current = %hash, "plan hash changed since the job was created");
        }
        let plan = Arc::new(plan);
        let db = |e: sqlx::Error| StepError::transient(step::PLAN, format!("database: {e}"));
        if job.plate_count.is_none() {
            jobs::planned(&self.pool, job.id, plan.plates.len())
                .await
                .map_err(db)?;
            *progressed = true;
        }

        let plates = jobs::plates(&self.pool, job.id).await.map_err(db)?;
        for plate in &plates {
            if shutdown.is_cancelled() {
                return Ok(Ended::Interrupted);
            }
            self.plate(job, &plan, &settings, plate, shutdown, progressed)
                .await?;
        }
        if shutdown.is_cancelled() {
            return Ok(Ended::Interrupted);
        }

        let db = |e: sqlx::Error| StepError::transient(step::MAPPING, format!("database: {e}"));
        jobs::set_step(&self.pool, job.id, "mapping")
            .await
            .map_err(db)?;
        let plates = jobs::plates(&self.pool, job.id).await.map_err(db)?;
        let mut parts = Vec::with_capacity(plates.len());
        for p in &plates {
            let index = p.plate_index as usize;
            let (Some(file_id), Some(file_name)) = (&p.simplyprint_file_id, &p.file_name) else {
                return Err(StepError::transient(
                    step::MAPPING,
                    format!("plate {} has no uploaded file yet", index + 1),
                ));
            };
            parts.push(MappingPart {
                name: naming::part_name(&plan, index),
                simplyprint_file_id: file_id.clone(),
                file_name: file_name.clone(),
                quantity: 1,
            });
        }
        let body = MappingUpsert {
            tenant_id: job.tenant_id,
            sku: job.sku.clone(),
            product_name: naming::product_name(&plan),
            active: true,
            plan_hash: job.plan_hash.clone(),
            parts,
        };
        let mapping_id = self
            .upstream
            .put_mapping(&body)
            .await
            .map_err(|failure| StepError {
                step: step::MAPPING,
                failure,
            })?;
        Ok(Ended::Mapped(mapping_id))
    }

    /// Generate, slice and upload one plate, skipping what is recorded.
    async fn plate(
        &self,
        job: &Job,
        plan: &Arc<Plan>,
        settings: &PrintSettings,
        plate: &Plate,
        shutdown: &CancellationToken,
        progressed: &mut bool,
    ) -> Result<(), StepError> {
        if plate.status == plate_status::UPLOADED && plate.simplyprint_file_id.is_some() {
            return Ok(());
        }
        let index = plate.plate_index as usize;
        if index >= plan.plates.len() {
            return Err(StepError::permanent(
                step::PLAN,
                format!("plate {} is not in the current plan", index + 1),
            ));
        }
        let stem = naming::file_stem(&job.sku, index);
        let record = |s: &'static str| {
            move |e: sqlx::Error| StepError::transient(s, format!("database: {e}"))
        };

        let stl_hash = match &plate.stl_hash {
            Some(h) if self.store.exists(Kind::Stl, h).await => h.clone(),
            _ => {
                let started = std::time::Instant::now();
                let stl = self
                    .generator
                    .plate_stl(plan.clone(), index)
                    .await
                    .map_err(|e| StepError::permanent(step::GENERATE, e))?;
                let hash = self.store.put(Kind::Stl, stl.into()).await.map_err(|e| {
                    StepError::transient(step::GENERATE, format!("storing the STL: {e}"))
                })?;
                jobs::plate_progress(
                    &self.pool,
                    job.id,
                    index,
                    &PlateProgress::Generated(hash.clone()),
                    started.elapsed(),
                )
                .await
                .map_err(record(step::GENERATE))?;
                *progressed = true;
                tracing::info!(job = %job.id, plate = index + 1, elapsed_ms = started.elapsed().as_millis() as u64, "plate STL generated");
                hash
            }
        };
        if shutdown.is_cancelled() {
            return Ok(());
        }

        // Gcode recorded for an older STL of this plate is not this plate's.
        let gcode_hash = match (&plate.gcode_hash, &plate.stl_hash) {
            (Some(g), Some(s)) if *s == stl_hash && self.store.exists(Kind::Gcode, g).await => {
                g.clone()
            }
            _ => {
                let started = std::time::Instant::now();
                let stl = self.store.read(Kind::Stl, &stl_hash).await.map_err(|e| {
                    StepError::transient(step::SLICE, format!("reading the STL: {e}"))
                })?;
                let gcode = self
                    .upstream
                    .slice(&format!("{stem}.stl"), stl, settings)
                    .await
                    .map_err(|failure| StepError {
                        step: step::SLICE,
                        failure,
                    })?;
                if gcode.is_empty() {
                    return Err(StepError::permanent(
                        step::SLICE,
                        "slicer-service answered an empty gcode file",
                    ));
                }
                let hash = self.store.put(Kind::Gcode, gcode).await.map_err(|e| {
                    StepError::transient(step::SLICE, format!("storing the gcode: {e}"))
                })?;
                jobs::plate_progress(
                    &self.pool,
                    job.id,
                    index,
                    &PlateProgress::Sliced(hash.clone()),
                    started.elapsed(),
                )
                .await
                .map_err(record(step::SLICE))?;
                *progressed = true;
                tracing::info!(job = %job.id, plate = index + 1, elapsed_ms = started.elapsed().as_millis() as u64, "plate sliced");
                hash
            }
        };
        if shutdown.is_cancelled() {
            return Ok(());
        }

        let started = std::time::Instant::now();
        let gcode = self
            .store
            .read(Kind::Gcode, &gcode_hash)
            .await
            .map_err(|e| StepError::transient(step::UPLOAD, format!("reading the gcode: {e}")))?;
        let file_name = format!("{stem}.gcode");
        let uploaded = self
            .upstream
            .upload(&file_name, gcode)
            .await
            .map_err(|failure| StepError {
                step: step::UPLOAD,
                failure,
            })?;
        let progress = PlateProgress::Uploaded {
            file_id: uploaded.file_id,
            file_name,
        };
        jobs::plate_progress(&self.pool, job.id, index, &progress, started.elapsed())
            .await
            .map_err(record(step::UPLOAD))?;
        *progressed = true;
        tracing::info!(job = %job.id, plate = index + 1, "plate gcode uploaded");
        Ok(())
    }
}
