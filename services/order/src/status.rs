//! The order and line-item state machines.

use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Imported, not yet orchestrated.
    Pending,
    /// Line items are being turned into print jobs.
    Processing,
    /// Print jobs exist.
    Printing,
    /// Every print job is done; ready for fulfilment.
    Printed,
    /// The shipment and label exist.
    Shipping,
    /// The carrier has the parcel.
    Shipped,
    /// Delivered.
    Delivered,
    /// Cancelled in Shopify.
    Cancelled,
}

impl OrderStatus {
    /// All states, for parsing and tests.
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Processing,
        Self::Printing,
        Self::Printed,
        Self::Shipping,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Printing => "PRINTING",
            Self::Printed => "PRINTED",
            Self::Shipping => "SHIPPING",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the machine allows `self → to`. Steps may be skipped forward
    /// (a fast printer can finish before the order leaves PROCESSING, a
    /// carrier may report delivery without a transit scan), never backwards;
    /// cancelling is possible until the parcel exists.
    pub fn can_become(self, to: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Processing | Printing | Printed)
                | (Processing, Printing | Printed)
                | (Printing, Printed)
                | (Printed, Shipping | Shipped | Delivered)
                | (Shipping, Shipped | Delivered)
                | (Shipped, Delivered)
                | (Pending | Processing | Printing | Printed, Cancelled)
        )
    }
}

/// Where a line item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineItemStatus {
    /// Imported.
    Pending,
    /// No active product mapping for its SKU; an operator was notified.
    Unmapped,
    /// Its print jobs exist.
    JobsCreated,
    /// Print-service refused the jobs (bad mapping data); operator notified.
    JobsFailed,
    /// A GRID-CUSTOM item whose properties are missing or out of range.
    InvalidConfiguration,
    /// Waiting for gridflock-service to produce its mapping.
    AwaitingGeneration,
    /// The GridFlock pipeline failed; operator notified.
    GenerationFailed,
    /// Every print job completed.
    Printed,
    /// The order was cancelled.
    Cancelled,
}

impl LineItemStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Unmapped => "UNMAPPED",
            Self::JobsCreated => "JOBS_CREATED",
            Self::JobsFailed => "JOBS_FAILED",
            Self::InvalidConfiguration => "INVALID_CONFIGURATION",
            Self::AwaitingGeneration => "AWAITING_GENERATION",
            Self::GenerationFailed => "GENERATION_FAILED",
            Self::Printed => "PRINTED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// Progress rank of a print-job state: events may arrive out of order, a
/// mirror row only ever moves to a higher rank.
pub fn print_job_rank(status: &str) -> u8 {
    match status {
        "PENDING" => 0,
        "QUEUED" => 1,
        "PRINTING" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("LOST"), None);
    }

    #[test]
    fn never_moves_backwards_or_out_of_final_states() {
        let order = |s: OrderStatus| OrderStatus::ALL.iter().position(|x| *x == s);
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if from.can_become(to) && to != Cancelled {
                    assert!(order(to) > order(from), "{from:?} -> {to:?}");
                }
            }
            assert!(!Delivered.can_become(from));
            assert!(!Cancelled.can_become(from));
        }
    }

    #[test]
    fn cancelling_stops_once_a_parcel_exists() {
        assert!(Printing.can_become(Cancelled));
        assert!(Printed.can_become(Cancelled));
        assert!(!Shipping.can_become(Cancelled));
        assert!(!Shipped.can_become(Cancelled));
    }

    #[test]
    fn print_job_ranks_order_the_states() {
        assert!(print_job_rank("PENDING") < print_job_rank("QUEUED"));
        assert!(print_job_rank("QUEUED") < print_job_rank("PRINTING"));
        assert!(print_job_rank("PRINTING") < print_job_rank("COMPLETED"));
        assert_eq!(print_job_rank("FAILED"), print_job_rank("CANCELLED"));
    }
}
