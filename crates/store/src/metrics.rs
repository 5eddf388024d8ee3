//! The metrics every backend keeps, under the same names.

/// The gauge of writes waiting for the backend's writer: `interlog_store_write_queue_depth`.
pub const WRITE_QUEUE_DEPTH: &str = "interlog_store_write_queue_depth";

/// The histogram of how many writes one transaction commits together:
/// `interlog_store_group_commit_size`.
pub const GROUP_COMMIT_SIZE: &str = "interlog_store_group_commit_size";

/// The histogram of how long a group commit takes, in seconds:
/// `interlog_store_commit_duration_seconds`.
pub const COMMIT_DURATION: &str = "interlog_store_commit_duration_seconds";

/// The counter of cheap listings that ran past [`crate::CHEAP_READ_BUDGET`] and were read
/// again on the heavy lane: `interlog_store_reads_moved_to_heavy_total`.
pub const READS_MOVED_TO_HEAVY: &str = "interlog_store_reads_moved_to_heavy_total";

/// One write waiting in a backend's queue, counted in [`WRITE_QUEUE_DEPTH`] until dropped
/// (when it has been answered).
pub struct QueuedWrite(metrics::Gauge);

impl QueuedWrite {
    /// Counts one more write waiting. (No `Default`: making one is what counts it.)
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let gauge = metrics::gauge!(WRITE_QUEUE_DEPTH);
        gauge.increment(1.0);
        QueuedWrite(gauge)
    }
}

impl Drop for QueuedWrite {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
