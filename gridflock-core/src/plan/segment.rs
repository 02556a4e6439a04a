//! Segmentation (placeholder).
use super::Plan;
use super::validate::Resolved;
use crate::params::Params;

pub(crate) fn layout(_params: &Params, _resolved: &Resolved) -> Plan {
    unimplemented!()
}
