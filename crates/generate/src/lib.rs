//! Synthetic engagements (being written).
