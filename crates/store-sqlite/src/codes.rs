//! How the model's enums are stored: shared by every backend (see `interlog_store::codes`).

pub(crate) use interlog_store::codes::{channel_mask, code};
