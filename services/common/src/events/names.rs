//! Event type names (the stream names' last part).

/// An order was imported from Shopify.
pub const ORDER_CREATED: &str = "order.created";
/// An order was cancelled in Shopify.
pub const ORDER_CANCELLED: &str = "order.cancelled";
/// Every print job of an order is done; shipping may start.
pub const ORDER_READY_FOR_FULFILLMENT: &str = "order.ready-for-fulfillment";
/// A print job was created (PENDING).
pub const PRINT_JOB_CREATED: &str = "print-job.created";
/// A print job changed state (any transition).
pub const PRINT_JOB_STATUS_CHANGED: &str = "print-job.status-changed";
/// A print job finished successfully.
pub const PRINT_JOB_COMPLETED: &str = "print-job.completed";
/// A print job failed.
pub const PRINT_JOB_FAILED: &str = "print-job.failed";
/// A print job was cancelled.
pub const PRINT_JOB_CANCELLED: &str = "print-job.cancelled";
/// A GridFlock product mapping exists for a waiting line item.
pub const GRIDFLOCK_MAPPING_READY: &str = "gridflock.mapping-ready";
/// The GridFlock pipeline failed for a waiting line item.
pub const GRIDFLOCK_PIPELINE_FAILED: &str = "gridflock.pipeline-failed";
/// A shipment and its label were created.
pub const SHIPMENT_CREATED: &str = "shipment.created";
/// A shipment's carrier status changed.
pub const SHIPMENT_STATUS_CHANGED: &str = "shipment.status-changed";
