//! Exponential back-off for work retried from the database (queueing,
//! queue removals, webhooks that cannot be mapped yet).

use std::time::Duration;

/// Base and cap of a back-off schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// No delay is longer.
    pub max: Duration,
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (from 1): `base`
    /// doubled per attempt, capped at `max`, then shortened by up to a fifth
    /// (`jitter` in 0..1) so that jobs failing together do not retry together.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << doublings).min(self.max);
        full.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0))
    }

    /// [`Self::delay`] with a random jitter.
    pub(crate) fn delay_jittered(&self, attempt: u32) -> Duration {
        // The low 62 bits of a v4 UUID are random (version and variant sit
        // higher); 53 of them make a uniform float.
        let bits = (uuid::Uuid::new_v4().as_u128() as u64) & ((1u64 << 53) - 1);
        self.delay(attempt, bits as f64 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base: Duration::from_secs(2),
        max: Duration::from_secs(60),
    };

    #[test]
    fn doubles_then_caps() {
        let delays: Vec<u64> = (1..=7).map(|a| B.delay(a, 0.0).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(B.delay(0, 0.0), Duration::from_secs(2));
        assert_eq!(B.delay(u32::MAX, 0.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_shortens_by_at_most_a_fifth() {
        assert_eq!(B.delay(1, 1.0), Duration::from_millis(1600));
        for _ in 0..100 {
            let d = B.delay_jittered(3);
            assert!(
                d <= Duration::from_secs(8) && d >= Duration::from_millis(6400),
                "{d:?}"
            );
        }
    }
}
