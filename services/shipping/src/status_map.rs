//! Sendcloud parcel statuses → [`ShipmentStatus`], and which changes a
//! shipment accepts.
//!
//! Sendcloud's webhooks carry the v2 status `{id, message}`. The ids below
//! are those of Sendcloud's status list (`GET /api/v3/parcels/statuses`);
//! ids not in the table fall back to the message text, and statuses that
//! match neither leave the shipment unchanged (they are still recorded).
//!
//! | Sendcloud id | message | status |
//! |---|---|---|
//! | 1, 13, 1000, 1001 | Announced, Announced: not collected, Ready to send, Being announced | LABEL_CREATED |
//! | 3, 4, 5, 6, 7, 8, 12, 22, 91, 92 | En route to sorting center, Delivery delayed, Sorted, Not sorted, Being sorted, Delivery attempt failed, Awaiting customer pickup, Picked up by driver, Parcel en route, Driver en route | IN_TRANSIT |
//! | 11, 93 | Delivered, Shipment collected by customer | DELIVERED |
//! | 2000 | Cancelled | CANCELLED |
//! | 15, 80, 1002 | Error collecting, Unable to deliver, Announcement failed | FAILED |
//! | other | message contains "delivered" / "cancelled" / "en route", "sort", "transit", "driver", "picked up" / "ready to send", "announced" / "error", "failed" | same order of checks |

use service_common::contracts::ShipmentStatus;

/// The shipment status a Sendcloud parcel status means, if any.
pub fn map(id: i64, message: &str) -> Option<ShipmentStatus> {
    use ShipmentStatus::*;
    let by_id = match id {
        1 | 13 | 1000 | 1001 => Some(LabelCreated),
        3 | 4 | 5 | 6 | 7 | 8 | 12 | 22 | 91 | 92 => Some(InTransit),
        11 | 93 => Some(Delivered),
        2000 => Some(Cancelled),
        15 | 80 | 1002 => Some(Failed),
        _ => None,
    };
    by_id.or_else(|| by_message(message))
}

fn by_message(message: &str) -> Option<ShipmentStatus> {
    use ShipmentStatus::*;
    let m = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&["delivered", "collected by customer"]) && !has(&["not delivered", "undelivered"]) {
        Some(Delivered)
    } else if has(&["cancelled", "canceled"]) {
        Some(Cancelled)
    } else if has(&[
        "en route",
        "sort",
        "transit",
        "driver",
        "picked up",
        "delayed",
        "pickup",
    ]) {
        Some(InTransit)
    } else if has(&["ready to send", "announced"]) {
        Some(LabelCreated)
    } else if has(&["error", "failed", "unable"]) {
        Some(Failed)
    } else {
        None
    }
}

/// The stored name.
pub fn name(status: ShipmentStatus) -> &'static str {
    use ShipmentStatus::*;
    match status {
        Pending => "PENDING",
        LabelCreated => "LABEL_CREATED",
        InTransit => "IN_TRANSIT",
        Delivered => "DELIVERED",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
    }
}

/// Parses a stored name.
pub fn parse(s: &str) -> Option<ShipmentStatus> {
    use ShipmentStatus::*;
    Some(match s {
        "PENDING" => Pending,
        "LABEL_CREATED" => LabelCreated,
        "IN_TRANSIT" => InTransit,
        "DELIVERED" => Delivered,
        "FAILED" => Failed,
        "CANCELLED" => Cancelled,
        _ => return None,
    })
}

/// Whether a shipment in `from` moves to `to`: forward only, because
/// carriers' scans arrive late and out of order; the terminal states
/// (DELIVERED, FAILED, CANCELLED) never change.
pub fn can_become(from: ShipmentStatus, to: ShipmentStatus) -> bool {
    use ShipmentStatus::*;
    let rank = |s| match s {
        Pending => 0,
        LabelCreated => 1,
        InTransit => 2,
        Delivered | Failed | Cancelled => 3,
    };
    !matches!(from, Delivered | Failed | Cancelled) && rank(to) > rank(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ShipmentStatus::*;

    #[test]
    fn ids_and_messages_map() {
        assert_eq!(map(1000, "Ready to send"), Some(LabelCreated));
        assert_eq!(map(92, "Driver en route"), Some(InTransit));
        assert_eq!(map(11, "Delivered"), Some(Delivered));
        assert_eq!(map(2000, "Cancelled"), Some(Cancelled));
        assert_eq!(map(1002, "Announcement failed"), Some(Failed));
        assert_eq!(map(424_242, "Parcel is being sorted"), Some(InTransit));
        assert_eq!(map(424_242, "Delivered at neighbour"), Some(Delivered));
        assert_eq!(map(424_242, "Exception: unable to deliver"), Some(Failed));
        assert_eq!(map(424_242, "Something new"), None);
        // The documented webhook example says id 1 "Ready to send".
        assert_eq!(map(1, "Ready to send"), Some(LabelCreated));
    }

    #[test]
    fn only_forward_and_never_out_of_terminal_states() {
        assert!(can_become(LabelCreated, InTransit));
        assert!(can_become(LabelCreated, Delivered));
        assert!(can_become(InTransit, Failed));
        assert!(!can_become(InTransit, LabelCreated));
        assert!(!can_become(Delivered, InTransit));
        assert!(!can_become(Cancelled, Delivered));
        assert!(!can_become(InTransit, InTransit));
    }

    #[test]
    fn names_round_trip() {
        for s in [
            Pending,
            LabelCreated,
            InTransit,
            Delivered,
            Failed,
            Cancelled,
        ] {
            assert_eq!(parse(name(s)), Some(s));
        }
    }
}
