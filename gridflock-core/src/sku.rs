//! SKUs (placeholder).
