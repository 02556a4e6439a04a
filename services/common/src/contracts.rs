//! Bodies of internal calls and event payloads shared by producer and
//! consumer. JSON field names are camelCase.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Print-job states (print-service owns the machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrintJobStatus {
    /// Created, not yet in the SimplyPrint queue.
    Pending,
    /// In the SimplyPrint queue.
    Queued,
    /// A printer is printing it.
    Printing,
    /// Printed.
    Completed,
    /// The print failed.
    Failed,
    /// Cancelled (by the order or an operator).
    Cancelled,
}

impl PrintJobStatus {
    /// No further transitions happen from here.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Queued => "QUEUED",
            Self::Printing => "PRINTING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => Self::Pending,
            "QUEUED" => Self::Queued,
            "PRINTING" => Self::Printing,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// One print job to create: a copy of one assembly part of a line item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintJobSpec {
    /// The assembly part (order-service id).
    pub part_id: Uuid,
    /// Which copy of the part, from 0 (quantity × part quantity copies).
    pub copy_index: u32,
    /// The SimplyPrint file id of the part's gcode.
    pub simplyprint_file_id: String,
    /// Human-readable file name, shown in the print queue.
    pub file_name: String,
}

/// `POST /internal/print-jobs`: create the jobs of one line item.
/// Idempotent on (line item, part, copy index): repeating it returns the
/// existing jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePrintJobs {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The order (order-service id).
    pub order_id: Uuid,
    /// The line item (order-service id).
    pub line_item_id: Uuid,
    /// The jobs.
    pub jobs: Vec<PrintJobSpec>,
}

/// A print job as print-service reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintJob {
    /// print-service id.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The line item.
    pub line_item_id: Uuid,
    /// The assembly part.
    pub part_id: Uuid,
    /// Which copy.
    pub copy_index: u32,
    /// Current state.
    pub status: PrintJobStatus,
    /// SimplyPrint file id.
    pub simplyprint_file_id: String,
    /// File name in the queue.
    pub file_name: String,
    /// SimplyPrint queue item, once queued.
    pub simplyprint_queue_item_id: Option<i64>,
    /// SimplyPrint job, once a printer took it.
    pub simplyprint_job_id: Option<i64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Answer of `POST /internal/print-jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintJobList {
    /// The jobs, in (part, copy) order.
    pub jobs: Vec<PrintJob>,
}

/// Payload of every `print-job.*` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintJobEvent {
    /// The job.
    pub print_job_id: Uuid,
    /// Its order.
    pub order_id: Uuid,
    /// Its line item.
    pub line_item_id: Uuid,
    /// The state before.
    pub previous_status: PrintJobStatus,
    /// The state now.
    pub status: PrintJobStatus,
    /// Failure reason, for failed jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Answer of `POST /internal/files` (gcode uploaded to SimplyPrint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// SimplyPrint's file id (hex).
    pub file_id: String,
    /// The file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// Payload of `order.created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    /// order-service id.
    pub order_id: Uuid,
    /// Shopify's order id.
    pub shopify_order_id: i64,
    /// Number of line items.
    pub line_item_count: u32,
}

/// Payload of `order.cancelled` (print-service cancels the order's jobs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    /// order-service id.
    pub order_id: Uuid,
    /// Shopify's order id.
    pub shopify_order_id: i64,
    /// Shopify's reason, if given.
    pub reason: Option<String>,
}

/// Payload of `order.ready-for-fulfillment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderReadyForFulfillment {
    /// order-service id.
    pub order_id: Uuid,
    /// Shopify's order id.
    pub shopify_order_id: i64,
    /// The shop.
    pub shop_domain: String,
}

/// Carrier states of a shipment, as shipping-service reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentStatus {
    /// Not yet announced to the carrier.
    Pending,
    /// Announced; the label exists.
    LabelCreated,
    /// The carrier has the parcel.
    InTransit,
    /// Delivered to the customer.
    Delivered,
    /// Announcement or delivery failed.
    Failed,
    /// Cancelled before pickup.
    Cancelled,
}

/// Payload of `shipment.created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentCreated {
    /// shipping-service id.
    pub shipment_id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// Carrier tracking number.
    pub tracking_number: Option<String>,
    /// Carrier tracking page.
    pub tracking_url: Option<String>,
}

/// Payload of `shipment.status-changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentStatusChanged {
    /// shipping-service id.
    pub shipment_id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The new state.
    pub status: ShipmentStatus,
}

/// A tenant's print settings (order-service stores them; every slice of
/// the tenant's plates uses them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintSettings {
    /// Printer profile id, as in gridflock-core's printer table and
    /// slicer-service's `GET /profiles` (e.g. `bambu-a1`).
    pub printer_profile: String,
    /// Nozzle diameter in mm (0.2..=1.0).
    pub nozzle_diameter_mm: f64,
    /// Layer height in mm (0.05..=0.8 × nozzle).
    pub layer_height_mm: f64,
    /// Sparse infill in percent (0..=100).
    pub infill_percent: u8,
    /// Filament type, e.g. `PLA`, `PETG`.
    pub filament: String,
}

impl Default for PrintSettings {
    fn default() -> Self {
        Self {
            printer_profile: "bambu-a1".to_owned(),
            nozzle_diameter_mm: 0.4,
            layer_height_mm: 0.2,
            infill_percent: 15,
            filament: "PLA".to_owned(),
        }
    }
}

impl PrintSettings {
    /// The canonical text the plan hash covers: a change of any setting
    /// changes the hash, so stale plates are regenerated, not printed.
    pub fn slicer_profile_key(&self) -> String {
        format!(
            "{}|nozzle={}|layer={}|infill={}|filament={}",
            self.printer_profile,
            self.nozzle_diameter_mm,
            self.layer_height_mm,
            self.infill_percent,
            self.filament
        )
    }
}

/// Baseplate connector as the GridFlock API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectorType {
    /// Jigsaw tabs at cell corners.
    IntersectionPuzzle,
    /// Dovetails along plate edges.
    EdgePuzzle,
    /// Plates are not joined.
    None,
}

/// `POST /internal/gridflock/generate-for-order` (gridflock-service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateForOrder {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The waiting order (order-service id).
    pub order_id: Uuid,
    /// The waiting line item (order-service id).
    pub line_item_id: Uuid,
    /// Drawer width in whole mm.
    pub width_mm: u32,
    /// Drawer depth in whole mm.
    pub height_mm: u32,
    /// Connector.
    pub connector_type: ConnectorType,
    /// Press-fit magnets or none.
    pub magnets: bool,
    /// The tenant's print settings at the time of the order.
    pub print_settings: PrintSettings,
}

/// Answer of generate-for-order (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationAccepted {
    /// The pipeline job the line item waits on.
    pub job_id: Uuid,
    /// The SKU being generated, e.g. `GF-450x320-IP-MAG`.
    pub sku: String,
    /// `STARTED` (a new pipeline), `JOINED` (one was running) or
    /// `MAPPING_EXISTS` (mapping-ready was published at once).
    pub status: String,
}

/// Payload of `gridflock.mapping-ready` (one per waiting line item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingReady {
    /// The waiting order.
    pub order_id: Uuid,
    /// The waiting line item.
    pub line_item_id: Uuid,
    /// The mapped SKU.
    pub sku: String,
    /// The mapping (order-service id).
    pub mapping_id: Uuid,
    /// The plan hash the mapping was made for.
    pub plan_hash: String,
}

/// Payload of `gridflock.pipeline-failed` (one per waiting line item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineFailed {
    /// The waiting order.
    pub order_id: Uuid,
    /// The waiting line item.
    pub line_item_id: Uuid,
    /// The SKU that could not be generated.
    pub sku: String,
    /// `plan`, `generate`, `slice`, `upload` or `mapping`.
    pub step: String,
    /// What went wrong.
    pub error_message: String,
}

/// The baseplate parameters of a GridFlock order: the one place order-service
/// (SKU and plan hash) and gridflock-service (the pipeline) derive them, so
/// both compute the same SKU and hash for the same order.
pub fn baseplate_params(
    width_mm: u32,
    height_mm: u32,
    connector: ConnectorType,
    magnets: bool,
    printer_profile: &str,
) -> gridflock_core::Params {
    use gridflock_core::{Connector, Magnets, Params, Printer};
    Params {
        printer: Printer::Profile {
            id: printer_profile.to_owned(),
        },
        connector: match connector {
            ConnectorType::IntersectionPuzzle => Connector::default(),
            ConnectorType::EdgePuzzle => Connector::EdgePuzzle,
            ConnectorType::None => Connector::None,
        },
        magnets: if magnets {
            Magnets::PressFit
        } else {
            Magnets::None
        },
        ..Params::new(f64::from(width_mm), f64::from(height_mm))
    }
}

impl GenerateForOrder {
    /// The baseplate parameters this request asks for.
    pub fn params(&self) -> gridflock_core::Params {
        baseplate_params(
            self.width_mm,
            self.height_mm,
            self.connector_type,
            self.magnets,
            &self.print_settings.printer_profile,
        )
    }
}
