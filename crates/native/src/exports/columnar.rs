//! The Parquet file written by two threads of its own at low priority: one decodes the
//! stored bodies straight into Arrow batches ([`super::decode`]), the other encodes and
//! compresses them into row groups. They overlap with each other and with the snapshot's
//! reader, and the bounded channels between them keep memory to a few batches and one row
//! group whatever the size. Both run at the snapshot reader's nice value, so the API's
//! threads get the CPU first when both want it.

use super::decode::Columns;
use super::encode::{Counted, EncodeError};
use super::{memory, schema};
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use interlog_store::StoredEngagement;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, LogicalType, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnDescriptor;
use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Engagements in one Parquet row group: large enough for column statistics and
/// compression to pay, small enough that one group's pages (what the writer holds) stay
/// in tens of megabytes.
pub const ROW_GROUP_ROWS: usize = 50_000;

/// zstd level of Parquet pages: level 1 takes a tenth less of the export's CPU than zstd's
/// default 3 for a file 6% larger (50,000 engagements: 0.086x their NDJSON bytes, 0.080x
/// at level 3).
const ZSTD_LEVEL: i32 = 1;

/// Batches waiting at each stage (of [`interlog_store::SNAPSHOT_BATCH`] engagements).
const QUEUED: usize = 2;

/// Leaf columns (besides every timestamp) that hold a value of their own in nearly every
/// row (ids, durations, URIs, phone numbers, `data` values): no dictionary for them. A
/// dictionary there hashes and compares every value only to outgrow its page and fall back
/// to plain values, which zstd compresses as well.
const DISTINCT_VALUED: &[&str] = &[
    "id",
    "duration_ms",
    "parent_id",
    "participants.list.item.calling_number",
    "participants.list.item.dialog_id",
    "customer.phones.list.item",
    "timings.wait_ms",
    "timings.talk_ms",
    "timings.hold_ms",
    "timings.flow_ms",
    "timings.handling_ms",
    "timings.wrap_up_ms",
    "recordings.list.item.id",
    "recordings.list.item.uri",
    "recordings.list.item.duration_ms",
    "recordings.list.item.size_bytes",
    "notes.list.item.id",
    "data.entries.values",
];

fn distinct_valued(column: &ColumnDescriptor) -> bool {
    matches!(
        column.logical_type_ref(),
        Some(LogicalType::Timestamp { .. })
    ) || DISTINCT_VALUED.contains(&column.path().string().as_str())
}

/// How the file is written: zstd, bounded row groups, a dictionary where values repeat.
fn writer_properties(schema: &Schema) -> Result<WriterProperties, EncodeError> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
        ))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .set_created_by("interlog".into());
    for column in ArrowSchemaConverter::new().convert(schema)?.columns() {
        if distinct_valued(column) {
            props = props.set_column_dictionary_enabled(column.path().clone(), false);
        }
    }
    Ok(props.build())
}

/// A Parquet file being written: where batches of stored engagements go.
pub struct ParquetPipeline<W> {
    rows: Option<SyncSender<Vec<StoredEngagement>>>,
    building: Option<JoinHandle<Result<(), EncodeError>>>,
    encoding: Option<JoinHandle<Result<Counted<W>, EncodeError>>>,
    /// Freed pages kept for the next batches while the file is written.
    _kept: memory::Held,
}

impl<W: Write + Send + 'static> ParquetPipeline<W> {
    /// Starts the threads writing to `out`, with only the columns named in `fields` (names
    /// checked by the caller).
    pub fn start(out: Counted<W>, fields: Option<Vec<String>>) -> Result<Self, EncodeError> {
        let kept = memory::hold();
        let file_schema = schema::file_schema();
        let written_schema = match fields {
            Some(f) => {
                let kept: Vec<usize> = file_schema
                    .fields()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| f.iter().any(|n| n == c.name()))
                    .map(|(i, _)| i)
                    .collect();
                Arc::new(file_schema.project(&kept)?)
            }
            None => file_schema,
        };
        let props = writer_properties(&written_schema)?;
        let mut writer = ArrowWriter::try_new(out, written_schema.clone(), Some(props))?;

        let (batches, to_encode) = sync_channel::<RecordBatch>(QUEUED);
        let encoding = std::thread::Builder::new()
            .name("export-encode".into())
            .spawn(move || {
                interlog_store::background_cpu::lower_this_thread();
                let mut groups = 0;
                for b in to_encode {
                    writer.write(&b)?;
                    if writer.flushed_row_groups().len() > groups {
                        groups = writer.flushed_row_groups().len();
                        memory::trim();
                    }
                }
                Ok(writer.into_inner()?)
            })?;
        let (rows, to_build) = sync_channel::<Vec<StoredEngagement>>(QUEUED);
        let building = std::thread::Builder::new()
            .name("export-build".into())
            .spawn(move || {
                interlog_store::background_cpu::lower_this_thread();
                let mut columns = Columns::new(written_schema);
                for items in to_build {
                    for item in &items {
                        columns.append(&item.json)?;
                    }
                    drop(items);
                    if batches.send(columns.finish()?).is_err() {
                        // The encoder stopped; its error is the one to report.
                        break;
                    }
                }
                Ok(())
            })?;
        Ok(ParquetPipeline {
            _kept: kept,
            rows: Some(rows),
            building: Some(building),
            encoding: Some(encoding),
        })
    }

    /// Hands a batch to the threads; waits while they are [`QUEUED`] batches behind.
    pub fn write(&mut self, items: Vec<StoredEngagement>) -> Result<(), EncodeError> {
        let sent = self.rows.as_ref().is_some_and(|tx| tx.send(items).is_ok());
        if sent {
            return Ok(());
        }
        // A thread stopped: its error.
        match self.end() {
            Err(e) => Err(e),
            Ok(_) => Err(EncodeError::Stopped),
        }
    }

    /// Ends the file (footer included); the destination.
    pub fn finish(mut self) -> Result<Counted<W>, EncodeError> {
        self.end()
    }

    fn end(&mut self) -> Result<Counted<W>, EncodeError> {
        drop(self.rows.take());
        let built = join(self.building.take());
        let encoded = join(self.encoding.take());
        built?;
        encoded
    }
}

fn join<T>(handle: Option<JoinHandle<Result<T, EncodeError>>>) -> Result<T, EncodeError> {
    match handle {
        None => Err(EncodeError::Stopped),
        Some(h) => h.join().unwrap_or(Err(EncodeError::Panicked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_distinct_valued_column_is_a_leaf_of_the_file() {
        let file = ArrowSchemaConverter::new()
            .convert(&schema::file_schema())
            .unwrap();
        let leaves: Vec<String> = file.columns().iter().map(|c| c.path().string()).collect();
        for name in DISTINCT_VALUED {
            assert!(leaves.iter().any(|l| l == name), "{name} is no leaf column");
        }
    }
}
