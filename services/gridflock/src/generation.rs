//! Running gridflock-core off the async runtime, a bounded number at a time.
//!
//! Building a plate is CPU-bound for up to seconds; on the runtime's own
//! threads it would stall every request. Previews and the pipeline share one
//! limit, so a burst of storefront previews cannot starve the machine of the
//! cores the pipeline needs, nor the other way round. A permit travels into
//! the blocking task: a preview whose client went away still counts until
//! its build really ends.

use gridflock_core::{Mesh, Plan};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Why a generation did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    /// gridflock-core panicked (a defect for these parameters).
    #[error("plate generation failed: {0}")]
    Panicked(String),
    /// The service is shutting down.
    #[error("plate generation was cancelled")]
    Cancelled,
}

/// The shared limit on concurrent builds.
#[derive(Clone)]
pub struct Generator {
    permits: Arc<Semaphore>,
}

impl Generator {
    /// At most `concurrency` builds at a time.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, GenerationError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| GenerationError::Cancelled)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| {
            if e.is_panic() {
                let payload = e.into_panic();
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic without a message".to_owned());
                GenerationError::Panicked(text)
            } else {
                GenerationError::Cancelled
            }
        })
    }

    /// Every plate's mesh, in plate order.
    pub async fn meshes(&self, plan: Arc<Plan>) -> Result<Vec<Mesh>, GenerationError> {
        self.run(move || gridflock_core::build(&plan)).await
    }

    /// The binary STL of plate `index`.
    pub async fn plate_stl(
        &self,
        plan: Arc<Plan>,
        index: usize,
    ) -> Result<Vec<u8>, GenerationError> {
        self.run(move || {
            let mesh = gridflock_core::build_plate(&plan, index);
            gridflock_core::export::stl::binary(&mesh)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_errors() {
        let generator = Generator::new(1);
        let e = generator
            .run(|| -> u32 { panic!("broken plate") })
            .await
            .expect_err("panic");
        assert!(e.to_string().contains("broken plate"), "{e}");
        // The permit came back: the next build runs.
        assert_eq!(generator.run(|| 7).await.expect("runs"), 7);
    }

    #[tokio::test]
    async fn builds_one_plate_as_stl() {
        let plan = gridflock_core::plan(&gridflock_core::Params::new(84.0, 84.0)).expect("plan");
        let stl = Generator::new(2)
            .plate_stl(Arc::new(plan), 0)
            .await
            .expect("stl");
        let triangles = u32::from_le_bytes(stl[80..84].try_into().expect("count"));
        assert!(triangles > 0);
        assert_eq!(stl.len(), 84 + 50 * triangles as usize);
    }
}
