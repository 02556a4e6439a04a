//! Print jobs: the state machine, input checks and storage.

pub(crate) mod input;
pub(crate) mod repo;
pub(crate) mod state;
