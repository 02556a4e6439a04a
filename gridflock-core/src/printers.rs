//! Built-in printer profiles (placeholder).
