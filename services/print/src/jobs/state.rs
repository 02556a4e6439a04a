//! The print-job state machine, free of I/O so that every rule is tested here.
//!
//! ```text
//! PENDING ──► QUEUED ──► PRINTING ──► COMPLETED
//!    │           │  └──────┼─────────► COMPLETED   (job.started may be lost)
//!    │           │         ├─────────► FAILED
//!    ├───────────┴─────────┴─────────► CANCELLED
//!    └─────────► FAILED                 (queueing gave up)
//! ```
//!
//! Terminal states (COMPLETED, FAILED, CANCELLED) never change, not even by
//! an operator: events about them have been published and acted upon. An
//! operator may move a stuck non-terminal job to any other state.

use service_common::contracts::PrintJobStatus;
use std::fmt;

/// Who or what asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The queue worker (queued, or gave up).
    Queueing,
    /// A SimplyPrint webhook.
    SimplyPrint,
    /// The order was cancelled.
    OrderCancelled,
    /// An operator forced the state.
    Operator,
}

impl Cause {
    /// Stored in the transition history.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Queueing => "queueing",
            Self::SimplyPrint => "simplyprint",
            Self::OrderCancelled => "order-cancelled",
            Self::Operator => "operator",
        }
    }
}

/// What to do with a requested transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Change the state.
    Apply,
    /// The job is already there (a repeated webhook or request): nothing to do.
    Unchanged,
}

/// A transition the machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransitionError {
    /// Terminal states never change.
    #[error("the job is {} and a terminal state never changes", .0.as_str())]
    Terminal(PrintJobStatus),
    /// Not an edge of the machine.
    #[error("{} -> {} is not a legal transition", .from.as_str(), .to.as_str())]
    Illegal {
        /// Current state.
        from: PrintJobStatus,
        /// Requested state.
        to: PrintJobStatus,
    },
}

/// Decides whether `from → to` may happen for `cause`.
pub(crate) fn check(
    from: PrintJobStatus,
    to: PrintJobStatus,
    cause: Cause,
) -> Result<Decision, TransitionError> {
    use PrintJobStatus::{Cancelled, Completed, Failed, Pending, Printing, Queued};
    if from == to {
        return Ok(Decision::Unchanged);
    }
    if from.is_terminal() {
        return Err(TransitionError::Terminal(from));
    }
    if cause == Cause::Operator {
        return Ok(Decision::Apply);
    }
    let legal = matches!(
        (from, to),
        (Pending, Queued | Failed | Cancelled)
            | (Queued, Printing | Completed | Failed | Cancelled)
            | (Printing, Completed | Failed | Cancelled)
    );
    if legal {
        Ok(Decision::Apply)
    } else {
        Err(TransitionError::Illegal { from, to })
    }
}

/// Whether the job's SimplyPrint queue item must be removed: it was waiting
/// in the queue and we no longer want it printed. When SimplyPrint itself
/// reported the change, the queue item is SimplyPrint's business.
pub(crate) fn withdraws_queue_item(from: PrintJobStatus, to: PrintJobStatus, cause: Cause) -> bool {
    from == PrintJobStatus::Queued
        && matches!(
            to,
            PrintJobStatus::Cancelled | PrintJobStatus::Failed | PrintJobStatus::Pending
        )
        && cause != Cause::SimplyPrint
}

/// The extra event published besides `print-job.status-changed`.
pub(crate) fn outcome_event(to: PrintJobStatus) -> Option<&'static str> {
    use service_common::events::names;
    match to {
        PrintJobStatus::Completed => Some(names::PRINT_JOB_COMPLETED),
        PrintJobStatus::Failed => Some(names::PRINT_JOB_FAILED),
        PrintJobStatus::Cancelled => Some(names::PRINT_JOB_CANCELLED),
        _ => None,
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrintJobStatus::{Cancelled, Completed, Failed, Pending, Printing, Queued};

    const ALL: [PrintJobStatus; 6] = [Pending, Queued, Printing, Completed, Failed, Cancelled];
    const CAUSES: [Cause; 4] = [
        Cause::Queueing,
        Cause::SimplyPrint,
        Cause::OrderCancelled,
        Cause::Operator,
    ];

    #[test]
    fn the_happy_path_is_legal() {
        let path = [Pending, Queued, Printing, Completed];
        for pair in path.windows(2) {
            assert_eq!(
                check(pair[0], pair[1], Cause::SimplyPrint),
                Ok(Decision::Apply)
            );
        }
    }

    #[test]
    fn terminal_states_never_change_whoever_asks() {
        for from in [Completed, Failed, Cancelled] {
            for to in ALL {
                for cause in CAUSES {
                    let result = check(from, to, cause);
                    if from == to {
                        assert_eq!(result, Ok(Decision::Unchanged));
                    } else {
                        assert_eq!(
                            result,
                            Err(TransitionError::Terminal(from)),
                            "{from:?}->{to:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn repeats_are_unchanged_not_errors() {
        for s in ALL {
            for cause in CAUSES {
                assert_eq!(check(s, s, cause), Ok(Decision::Unchanged));
            }
        }
    }

    #[test]
    fn backwards_and_skipping_edges_are_illegal() {
        for (from, to) in [
            (Queued, Pending),
            (Printing, Queued),
            (Printing, Pending),
            (Pending, Printing),
            (Pending, Completed),
        ] {
            assert_eq!(
                check(from, to, Cause::SimplyPrint),
                Err(TransitionError::Illegal { from, to })
            );
        }
    }

    #[test]
    fn a_lost_started_webhook_does_not_block_completion() {
        assert_eq!(
            check(Queued, Completed, Cause::SimplyPrint),
            Ok(Decision::Apply)
        );
        assert_eq!(
            check(Queued, Failed, Cause::SimplyPrint),
            Ok(Decision::Apply)
        );
    }

    #[test]
    fn operators_may_unstick_any_non_terminal_job() {
        for from in [Pending, Queued, Printing] {
            for to in ALL {
                let expected = if from == to {
                    Decision::Unchanged
                } else {
                    Decision::Apply
                };
                assert_eq!(check(from, to, Cause::Operator), Ok(expected));
            }
        }
    }

    #[test]
    fn exactly_the_legal_edges_are_accepted() {
        let mut accepted = Vec::new();
        for from in ALL {
            for to in ALL {
                if from != to && check(from, to, Cause::Queueing).is_ok() {
                    accepted.push((from, to));
                }
            }
        }
        assert_eq!(
            accepted,
            vec![
                (Pending, Queued),
                (Pending, Failed),
                (Pending, Cancelled),
                (Queued, Printing),
                (Queued, Completed),
                (Queued, Failed),
                (Queued, Cancelled),
                (Printing, Completed),
                (Printing, Failed),
                (Printing, Cancelled),
            ]
        );
    }

    #[test]
    fn queue_items_are_withdrawn_only_when_we_abandon_a_queued_job() {
        assert!(withdraws_queue_item(
            Queued,
            Cancelled,
            Cause::OrderCancelled
        ));
        assert!(withdraws_queue_item(Queued, Failed, Cause::Operator));
        assert!(withdraws_queue_item(Queued, Pending, Cause::Operator));
        assert!(!withdraws_queue_item(Queued, Cancelled, Cause::SimplyPrint));
        assert!(!withdraws_queue_item(
            Printing,
            Cancelled,
            Cause::OrderCancelled
        ));
        assert!(!withdraws_queue_item(
            Pending,
            Cancelled,
            Cause::OrderCancelled
        ));
        assert!(!withdraws_queue_item(Queued, Printing, Cause::Operator));
    }

    #[test]
    fn outcome_events_name_the_terminal_state() {
        assert_eq!(outcome_event(Completed), Some("print-job.completed"));
        assert_eq!(outcome_event(Failed), Some("print-job.failed"));
        assert_eq!(outcome_event(Cancelled), Some("print-job.cancelled"));
        assert_eq!(outcome_event(Queued), None);
        assert_eq!(outcome_event(Printing), None);
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            TransitionError::Terminal(Completed).to_string(),
            "the job is COMPLETED and a terminal state never changes"
        );
        assert_eq!(
            TransitionError::Illegal {
                from: Printing,
                to: Queued
            }
            .to_string(),
            "PRINTING -> QUEUED is not a legal transition"
        );
    }
}
