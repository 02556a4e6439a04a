//! Plan → mesh (placeholder).
use crate::{Mesh, Plan, PlatePlan};

pub(crate) fn build_plate(_plan: &Plan, _plate: &PlatePlan) -> Mesh {
    Mesh::default()
}
