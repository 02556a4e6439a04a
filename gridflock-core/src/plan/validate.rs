//! Input validation (placeholder).
use crate::params::Params;

/// Every problem found in the input.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamErrors(pub Vec<ParamIssue>);

/// One problem with one field.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamIssue {
    /// Field path.
    pub field: String,
}

pub(crate) struct Resolved;

pub(crate) fn validate(_params: &Params) -> Result<Resolved, ParamErrors> {
    Err(ParamErrors(Vec::new()))
}

impl std::fmt::Display for ParamErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self.0.iter().map(|i| i.field.as_str()).collect();
        write!(f, "{}", fields.join("; "))
    }
}
