//! Plan hashes for caching (placeholder).
