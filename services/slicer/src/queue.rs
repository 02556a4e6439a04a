//! Admission of slices: at most `concurrency` slicer runs at once, at most
//! `queue_limit` requests waiting for one, everyone else turned away.
//!
//! A slice is CPU-bound for seconds to minutes; accepting without bound would
//! only make every caller time out together. Turning the surplus away at
//! once (503 + `Retry-After`) lets callers back off and retry.

use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slot counter shared by all requests.
#[derive(Debug, Clone)]
pub struct SliceQueue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    slots: Arc<Semaphore>,
    concurrency: usize,
    queue_limit: usize,
    waiting: AtomicUsize,
}

/// The queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull {
    /// Requests waiting when this one was refused.
    pub waiting: usize,
}

/// A running slice's slot; released when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// Counts and limits, for readiness.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    /// Slices running now.
    pub running: usize,
    /// Requests waiting for a slot.
    pub waiting: usize,
    /// Slices that may run at once.
    pub concurrency: usize,
    /// Requests that may wait.
    pub queue_limit: usize,
}

/// Decrements the waiting count however the wait ends (slot granted, or the
/// request dropped while waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SliceQueue {
    /// A queue of `concurrency` slots and `queue_limit` waiting places.
    pub fn new(concurrency: usize, queue_limit: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                slots: Arc::new(Semaphore::new(concurrency)),
                concurrency,
                queue_limit,
                waiting: AtomicUsize::new(0),
            }),
        }
    }

    /// A slot now, or after waiting in line; `QueueFull` when the line is full.
    pub async fn acquire(&self) -> Result<Slot, QueueFull> {
        let inner = &self.inner;
        if let Ok(permit) = inner.slots.clone().try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        let before = inner.waiting.fetch_add(1, Ordering::SeqCst);
        let guard = Waiting(&inner.waiting);
        if before >= inner.queue_limit {
            return Err(QueueFull { waiting: before });
        }
        let permit = inner
            .slots
            .clone()
            .acquire_owned()
            .await
            // The semaphore is never closed.
            .map_err(|_| QueueFull { waiting: before })?;
        drop(guard);
        Ok(Slot { _permit: permit })
    }

    /// Current counts.
    pub fn status(&self) -> QueueStatus {
        let inner = &self.inner;
        QueueStatus {
            running: inner.concurrency - inner.slots.available_permits(),
            waiting: inner.waiting.load(Ordering::SeqCst),
            concurrency: inner.concurrency,
            queue_limit: inner.queue_limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_then_refuses_beyond_the_limit() {
        let q = SliceQueue::new(1, 1);
        let first = q.acquire().await.expect("free slot");
        let q2 = q.clone();
        let waiter = tokio::spawn(async move { q2.acquire().await.map(|_| ()) });
        while q.status().waiting == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            q.acquire().await.expect_err("full"),
            QueueFull { waiting: 1 }
        );
        assert_eq!(q.status().running, 1);
        drop(first);
        waiter.await.expect("task").expect("got the slot");
        let s = q.status();
        assert_eq!((s.running, s.waiting), (0, 0));
    }

    #[tokio::test]
    async fn cancelled_waiter_leaves_the_line() {
        let q = SliceQueue::new(1, 4);
        let _first = q.acquire().await.expect("free slot");
        let q2 = q.clone();
        let waiter = tokio::spawn(async move { q2.acquire().await.map(|_| ()) });
        while q.status().waiting == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(q.status().waiting, 0);
    }
}
