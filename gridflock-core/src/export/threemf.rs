//! 3MF writer (placeholder; replaced by the full writer).
