//! Size limits on an engagement. They keep one engagement's stored form bounded (well under
//! a megabyte) and are documented in the README; a value over a limit is a validation error.

/// Ids: 1–128 characters of `A-Z a-z 0-9 . _ ~ : @ + -` (safe in a URL path segment).
pub const ID_MAX: usize = 128;
/// Short strings: names, numbers, reasons, sources, subjects.
pub const SHORT_TEXT_MAX: usize = 1_024;
/// Long text: note bodies, transcript message text and a raw context.
pub const LONG_TEXT_MAX: usize = 32_768;
/// Channels, participants, queues, transfers, recordings, dispositions, notes, flows,
/// topics, attributes, and each identifier list.
pub const LIST_MAX: usize = 200;
/// Transcript messages.
pub const MESSAGES_MAX: usize = 5_000;
/// Keys of `data` and of `customer.custom`.
pub const MAP_KEYS_MAX: usize = 100;
/// Characters in a `data` value, serialized as JSON.
pub const DATA_VALUE_MAX: usize = 8_192;
/// Nesting depth of a `data` value.
pub const DATA_DEPTH_MAX: usize = 8;
/// Any duration, in milliseconds (about 30 days): longer ones are data errors.
pub const DURATION_MS_MAX: u64 = 30 * 24 * 3600 * 1000;
