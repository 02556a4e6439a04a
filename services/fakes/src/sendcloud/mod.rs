//! Fake Sendcloud: the v3 `shipments/announce` endpoint with Basic auth,
//! idempotency on `external_reference_id`, label documents, a per-minute
//! rate limit, and signed `parcel_status_changed` webhooks
//! (`specs/external-apis.md` section 3).

mod model;
mod server;
mod signature;
mod store;

pub use model::{Failure, FakeParcel, FakeShipment, WebhookDelivery};
pub use server::SendcloudFake;
pub use signature::{sign, verify};

/// The PDF every fake label consists of: small, but a real PDF header and
/// trailer so that clients checking the magic bytes accept it.
pub const FAKE_LABEL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// POST requests Sendcloud accepts per minute before answering 429.
pub const POSTS_PER_MINUTE: usize = 100;
