//! The canonical engagement model shared by every layer of Interlog.
//!
//! This crate does no I/O: it defines what an engagement is, how it is validated and
//! normalized, and how times and phone numbers are read. Dialects translate to and from it;
//! stores persist it.

mod engagement;
mod enums;
pub mod limits;
pub mod phone;
pub mod time;
pub mod unique_keys;
mod validate;

pub use engagement::*;
pub use enums::*;
pub use validate::{is_valid_id, FieldError, ValidationErrors};

pub use indexmap::IndexMap;
pub use jiff::Timestamp;
