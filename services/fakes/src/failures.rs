//! Failures a test asks a fake to inject: queued per endpoint, each one
//! consumed by the next request to that endpoint.

use std::collections::{BTreeMap, VecDeque};

/// Queued failures of type `F` by endpoint key.
#[derive(Debug, Clone)]
pub(crate) struct FailureQueue<F>(BTreeMap<String, VecDeque<F>>);

impl<F> Default for FailureQueue<F> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<F> FailureQueue<F> {
    /// The next request to `key` fails with `failure` (after those queued before).
    pub(crate) fn push(&mut self, key: String, failure: F) {
        self.0.entry(key).or_default().push_back(failure);
    }

    /// The failure the current request to `key` must show, if one is queued.
    pub(crate) fn take(&mut self, key: &str) -> Option<F> {
        self.0.get_mut(key)?.pop_front()
    }
}
