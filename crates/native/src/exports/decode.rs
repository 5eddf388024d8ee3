//! Stored engagement bodies decoded straight into the Arrow columns of the file's schema
//! ([`super::schema::file_schema`], or the columns an export keeps): a serde visitor walks
//! each body and appends every value to its column's builder as it is read, with no model
//! structs and no owned strings in between. The columns are laid out from the schema
//! itself, each field looked up by its JSON name, so a column the schema leaves out is
//! skipped unread.
//!
//! The model's validation is left out: the bodies were written by the store from
//! validated engagements. The values are those of the canonical JSON form, which leaves
//! out every absent value and every empty list: an absent value, an empty list or map is
//! null (an empty list kept as it is only as a map's value); a top-level struct
//! (`customer`, `timings`) with nothing in it is null, as the model skips it; enums are
//! their wire words; times are UTC milliseconds; a `data` value that is not a string is
//! its JSON text; map keys are sorted within each row. `false` flags are null, as the JSON
//! form leaves them out.

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, ListArray, MapArray, RecordBatch, StructArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, FieldRef, Fields, SchemaRef};
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// The columns of a batch being decoded: [`Columns::append`] each body, then
/// [`Columns::finish`] the batch (the builders keep their capacity for the next one).
pub struct Columns {
    schema: SchemaRef,
    top: StructCols,
}

impl Columns {
    /// Builders for every column of `schema` (the file's schema, or columns of it).
    pub fn new(schema: SchemaRef) -> Self {
        let top = StructCols::new(schema.fields(), Validity::Never, Validity::Empty);
        Columns { schema, top }
    }

    /// Appends one stored body as a row.
    pub fn append(&mut self, json: &str) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        (&mut de).deserialize_map(StructVisitor(&mut self.top))?;
        de.end()
    }

    /// The rows appended since the last batch, as a batch of the schema.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns = self.top.finish_columns()?;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

/// When a struct value is null.
#[derive(Clone, Copy, PartialEq)]
enum Validity {
    /// Never (the rows themselves; a list's items).
    Never,
    /// When its key is absent or null.
    Absent,
    /// When absent or holding nothing (the model skips an empty customer or timings).
    Empty,
}

/// One column's builder, by the column's type.
enum Col {
    Text(StringBuilder),
    Dictionary(StringDictionaryBuilder<Int32Type>),
    Time(TimestampMillisecondBuilder),
    Int(Int64Builder),
    Flag(BooleanBuilder),
    Struct(Box<StructCols>),
    List(Box<ListCols>),
    Map(Box<MapCols>),
}

impl Col {
    /// The builder of a column of `data_type`; `validity` says when a struct is null and
    /// `empty_is_null` whether an empty list is.
    fn new(data_type: &DataType, validity: Validity, empty_is_null: bool) -> Col {
        match data_type {
            DataType::Utf8 => Col::Text(StringBuilder::new()),
            DataType::Dictionary(..) => Col::Dictionary(StringDictionaryBuilder::new()),
            DataType::Timestamp(_, zone) => {
                Col::Time(TimestampMillisecondBuilder::new().with_timezone_opt(zone.clone()))
            }
            DataType::Int64 => Col::Int(Int64Builder::new()),
            DataType::Boolean => Col::Flag(BooleanBuilder::new()),
            DataType::Struct(fields) => Col::Struct(Box::new(StructCols::new(
                fields,
                validity,
                Validity::Absent,
            ))),
            DataType::List(item) => Col::List(Box::new(ListCols {
                item: item.clone(),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                empty_is_null,
                values: Col::new(item.data_type(), Validity::Never, true),
            })),
            DataType::Map(entries, ordered) => {
                let DataType::Struct(kv) = entries.data_type() else {
                    unreachable!("a map's entries are a struct")
                };
                let values = match kv[1].data_type() {
                    DataType::Utf8 => MapValues::JsonText(StringBuilder::new()),
                    DataType::List(item) => MapValues::TextLists {
                        item: item.clone(),
                        offsets: vec![0],
                        values: StringBuilder::new(),
                    },
                    other => unreachable!("no map of {other} in the schema"),
                };
                Col::Map(Box::new(MapCols {
                    entries: entries.clone(),
                    ordered: *ordered,
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    keys: StringBuilder::new(),
                    values,
                }))
            }
            other => unreachable!("no column of {other} in the schema"),
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::Text(b) => b.len(),
            Col::Dictionary(b) => b.len(),
            Col::Time(b) => b.len(),
            Col::Int(b) => b.len(),
            Col::Flag(b) => b.len(),
            Col::Struct(s) => s.len,
            Col::List(l) => l.offsets.len() - 1,
            Col::Map(m) => m.offsets.len() - 1,
        }
    }

    fn append_null(&mut self) {
        match self {
            Col::Text(b) => b.append_null(),
            Col::Dictionary(b) => b.append_null(),
            Col::Time(b) => b.append_null(),
            Col::Int(b) => b.append_null(),
            Col::Flag(b) => b.append_null(),
            Col::Struct(s) => s.append_null(),
            Col::List(l) => l.end_row(0),
            Col::Map(m) => m.end_row(0),
        }
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Col::Text(b) => Arc::new(b.finish()),
            Col::Dictionary(b) => Arc::new(b.finish()),
            Col::Time(b) => Arc::new(b.finish()),
            Col::Int(b) => Arc::new(b.finish()),
            Col::Flag(b) => Arc::new(b.finish()),
            Col::Struct(s) => Arc::new(s.finish()?),
            Col::List(l) => l.finish()?,
            Col::Map(m) => m.finish()?,
        })
    }
}

/// A struct's fields (or the rows' columns), found by their JSON names.
struct StructCols {
    fields: Fields,
    cols: Vec<Col>,
    validity: Validity,
    nulls: NullBufferBuilder,
    len: usize,
}

impl StructCols {
    /// The fields' builders; `structs` says when a struct among them is null.
    fn new(fields: &Fields, validity: Validity, structs: Validity) -> Self {
        StructCols {
            fields: fields.clone(),
            cols: fields
                .iter()
                .map(|f| Col::new(f.data_type(), structs, true))
                .collect(),
            validity,
            nulls: NullBufferBuilder::new(0),
            len: 0,
        }
    }

    /// The field named `key`, looked for first where the last one was found plus one
    /// (bodies hold their fields in the schema's order).
    fn position(&self, key: &str, from: usize) -> Option<usize> {
        let n = self.fields.len();
        (0..n)
            .map(|i| (from + i) % n)
            .find(|&i| self.fields[i].name() == key)
    }

    /// Fills the fields a row left out with nulls; ends the row.
    fn end_row(&mut self, valid: bool) {
        self.len += 1;
        for c in &mut self.cols {
            if c.len() < self.len {
                c.append_null();
            }
        }
        if self.validity != Validity::Never {
            self.nulls.append(valid);
        }
    }

    fn append_null(&mut self) {
        self.end_row(false);
    }

    fn finish_columns(&mut self) -> Result<Vec<ArrayRef>, ArrowError> {
        self.len = 0;
        self.cols.iter_mut().map(Col::finish).collect()
    }

    fn finish(&mut self) -> Result<StructArray, ArrowError> {
        let nulls = self.nulls.finish();
        let columns = self.finish_columns()?;
        StructArray::try_new(self.fields.clone(), columns, nulls)
    }
}

/// A list column: each row's items in `values`.
struct ListCols {
    item: FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    empty_is_null: bool,
    values: Col,
}

impl ListCols {
    fn end_row(&mut self, items: usize) {
        let last = *self.offsets.last().expect("offsets start at 0");
        self.offsets.push(last + items as i32);
        self.nulls.append(items > 0 || !self.empty_is_null);
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let offsets = offsets(&mut self.offsets);
        let nulls = self.nulls.finish();
        let values = self.values.finish()?;
        Ok(Arc::new(ListArray::try_new(
            self.item.clone(),
            offsets,
            values,
            nulls,
        )?))
    }
}

/// A map column (`data`, a customer's `custom` identifiers).
struct MapCols {
    entries: FieldRef,
    ordered: bool,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    keys: StringBuilder,
    values: MapValues,
}

/// A map's values: text (`data`) or lists of text (`custom`, an empty list kept).
enum MapValues {
    JsonText(StringBuilder),
    TextLists {
        item: FieldRef,
        offsets: Vec<i32>,
        values: StringBuilder,
    },
}

/// One map entry's value, held until the row's keys are sorted.
enum MapValue<'de> {
    Text(Cow<'de, str>),
    Texts(Vec<Cow<'de, str>>),
}

impl MapCols {
    fn end_row(&mut self, entries: usize) {
        let last = *self.offsets.last().expect("offsets start at 0");
        self.offsets.push(last + entries as i32);
        // An empty map is null, as the JSON form leaves it out.
        self.nulls.append(entries > 0);
    }

    fn push(&mut self, key: &str, value: MapValue<'_>) {
        self.keys.append_value(key);
        match (&mut self.values, value) {
            (MapValues::JsonText(b), MapValue::Text(t)) => b.append_value(t),
            (
                MapValues::TextLists {
                    offsets, values, ..
                },
                MapValue::Texts(items),
            ) => {
                for t in &items {
                    values.append_value(t);
                }
                let last = *offsets.last().expect("offsets start at 0");
                offsets.push(last + items.len() as i32);
            }
            _ => unreachable!("a map's values are decoded by the map's kind"),
        }
    }

    fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let DataType::Struct(fields) = self.entries.data_type() else {
            unreachable!("a map's entries are a struct")
        };
        let values: ArrayRef = match &mut self.values {
            MapValues::JsonText(b) => Arc::new(b.finish()),
            MapValues::TextLists {
                item,
                offsets: o,
                values,
            } => Arc::new(ListArray::try_new(
                item.clone(),
                offsets(o),
                Arc::new(values.finish()),
                None,
            )?),
        };
        let entries = StructArray::try_new(
            fields.clone(),
            vec![Arc::new(self.keys.finish()), values],
            None,
        )?;
        Ok(Arc::new(MapArray::try_new(
            self.entries.clone(),
            offsets(&mut self.offsets),
            entries,
            self.nulls.finish(),
            self.ordered,
        )?))
    }
}

/// The offsets gathered so far, leaving `[0]` for the next batch.
fn offsets(gathered: &mut Vec<i32>) -> OffsetBuffer<i32> {
    let all = std::mem::replace(gathered, vec![0]);
    OffsetBuffer::new(ScalarBuffer::from(all))
}

/// Appends the value being read to its column; whether it was something (not null, not
/// an empty list or map, not `false`).
struct AppendTo<'c>(&'c mut Col);

impl<'de> DeserializeSeed<'de> for AppendTo<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        match self.0 {
            Col::Text(b) => d.deserialize_any(TextVisitor(b)),
            Col::Dictionary(b) => d.deserialize_any(TextVisitor(b)),
            Col::Time(b) => d.deserialize_any(TimeVisitor(b)),
            Col::Int(b) => d.deserialize_any(IntVisitor(b)),
            Col::Flag(b) => d.deserialize_any(FlagVisitor(b)),
            Col::Struct(s) => d.deserialize_any(StructVisitor(s)),
            Col::List(l) => d.deserialize_any(ListVisitor(l)),
            Col::Map(m) => d.deserialize_any(MapVisitor(m)),
        }
    }
}

/// What a column of a kind expects, for decoding errors.
macro_rules! expecting {
    ($what:literal) => {
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str($what)
        }
    };
}

/// A null where a value may be absent.
macro_rules! null_is_absent {
    () => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
            self.0.append_null();
            Ok(false)
        }
    };
}

/// A builder of string values (plain or dictionary-encoded).
trait TextBuilder {
    fn append_text(&mut self, s: &str);
    fn append_null(&mut self);
}

impl TextBuilder for StringBuilder {
    fn append_text(&mut self, s: &str) {
        self.append_value(s);
    }
    fn append_null(&mut self) {
        StringBuilder::append_null(self);
    }
}

impl TextBuilder for StringDictionaryBuilder<Int32Type> {
    fn append_text(&mut self, s: &str) {
        self.append_value(s);
    }
    fn append_null(&mut self) {
        StringDictionaryBuilder::append_null(self);
    }
}

struct TextVisitor<'c, B>(&'c mut B);

impl<B: TextBuilder> Visitor<'_> for TextVisitor<'_, B> {
    type Value = bool;
    expecting!("a string");
    null_is_absent!();

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<bool, E> {
        self.0.append_text(s);
        Ok(true)
    }
}

struct TimeVisitor<'c>(&'c mut TimestampMillisecondBuilder);

impl Visitor<'_> for TimeVisitor<'_> {
    type Value = bool;
    expecting!("an RFC 3339 instant");
    null_is_absent!();

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<bool, E> {
        let t = match interlog_model::time::canonical_instant(s) {
            Some(t) => t,
            None => s
                .parse::<jiff::Timestamp>()
                .map_err(|e| E::custom(format!("{s:?}: {e}")))?,
        };
        self.0.append_value(t.as_millisecond());
        Ok(true)
    }
}

struct IntVisitor<'c>(&'c mut Int64Builder);

impl Visitor<'_> for IntVisitor<'_> {
    type Value = bool;
    expecting!("an unsigned integer");
    null_is_absent!();

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<bool, E> {
        self.0.append_value(i64::try_from(n).unwrap_or(i64::MAX));
        Ok(true)
    }
}

struct FlagVisitor<'c>(&'c mut BooleanBuilder);

impl Visitor<'_> for FlagVisitor<'_> {
    type Value = bool;
    expecting!("a boolean");
    null_is_absent!();

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<bool, E> {
        match b {
            true => self.0.append_value(true),
            false => self.0.append_null(),
        }
        Ok(b)
    }
}

/// A `data` value as the file holds it: a string as it is, anything else its JSON text
/// (`serde_json`'s, as the model's `Value` writes it).
struct JsonTextVisitor;

impl JsonTextVisitor {
    fn text<'de>(v: serde_json::Value) -> Cow<'de, str> {
        Cow::Owned(v.to_string())
    }
}

impl<'de> Visitor<'de> for JsonTextVisitor {
    type Value = Cow<'de, str>;
    expecting!("a JSON value");

    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Self::text(b.into()))
    }
    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Self::text(n.into()))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Self::text(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Self::text(n.into()))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::text(serde_json::Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Self::text(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Self::text(v))
    }
}

/// A list of strings held as read (a `custom` identifier type's values).
struct TextsVisitor;

impl<'de> Visitor<'de> for TextsVisitor {
    type Value = Vec<Cow<'de, str>>;
    expecting!("a list of strings");

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(s) = seq.next_element_seed(BorrowedText)? {
            items.push(s);
        }
        Ok(items)
    }
}

/// A string, borrowed from the body where it has no escapes.
struct BorrowedText;

impl<'de> DeserializeSeed<'de> for BorrowedText {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for BorrowedText {
    type Value = Cow<'de, str>;
    expecting!("a string");

    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// A map's value, by the map's kind.
struct MapValueSeed<'c>(&'c MapValues);

impl<'de> DeserializeSeed<'de> for MapValueSeed<'_> {
    type Value = MapValue<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Ok(match self.0 {
            MapValues::JsonText(_) => MapValue::Text(d.deserialize_any(JsonTextVisitor)?),
            MapValues::TextLists { .. } => MapValue::Texts(d.deserialize_seq(TextsVisitor)?),
        })
    }
}

struct MapVisitor<'c>(&'c mut MapCols);

impl<'de> Visitor<'de> for MapVisitor<'_> {
    type Value = bool;
    expecting!("an object");

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        self.0.end_row(0);
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, MapValue<'de>)> = Vec::new();
        while let Some(key) = map.next_key_seed(BorrowedText)? {
            let value = map.next_value_seed(MapValueSeed(&self.0.values))?;
            entries.push((key, value));
        }
        // Keys are unique in a stored body (the model refuses duplicates).
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = entries.len();
        for (key, value) in entries {
            self.0.push(&key, value);
        }
        self.0.end_row(n);
        Ok(n > 0)
    }
}

struct ListVisitor<'c>(&'c mut ListCols);

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = bool;
    expecting!("a list");

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        self.0.end_row(0);
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut n = 0;
        while seq
            .next_element_seed(AppendTo(&mut self.0.values))?
            .is_some()
        {
            n += 1;
        }
        self.0.end_row(n);
        Ok(n > 0)
    }
}

struct StructVisitor<'c>(&'c mut StructCols);

impl<'de> Visitor<'de> for StructVisitor<'_> {
    type Value = bool;
    expecting!("an object");

    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        self.0.append_null();
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let cols = self.0;
        let mut next = 0;
        let mut any = false;
        while let Some(key) = map.next_key_seed(FieldSeed(cols, next))? {
            match key {
                Some(i) => {
                    if cols.cols[i].len() > cols.len {
                        return Err(A::Error::custom(format!(
                            "duplicate field `{}`",
                            cols.fields[i].name()
                        )));
                    }
                    any |= map.next_value_seed(AppendTo(&mut cols.cols[i]))?;
                    next = i + 1;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let valid = match cols.validity {
            Validity::Empty => any,
            Validity::Never | Validity::Absent => true,
        };
        cols.end_row(valid);
        Ok(valid)
    }
}

/// A struct's key: the position of its field, `None` for a field the schema leaves out.
struct FieldSeed<'c>(&'c StructCols, usize);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldSeed<'_> {
    type Value = Option<usize>;
    expecting!("a field name");

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.position(key, self.1))
    }
}

#[cfg(test)]
mod tests {
    //! The decoder's batches equal those of the path it replaced (the bodies decoded into
    //! the model, then [`super::super::batch`]), column by column.

    use super::*;
    use interlog_generate::{Generator, GeneratorConfig};
    use interlog_model::{Engagement, Timestamp};

    fn assert_same(engagements: &[Engagement], schema: &SchemaRef) {
        let (bodies, decoded) = super::super::batch::stored(engagements);
        let full = super::super::schema::file_schema();
        let old = super::super::batch::batch(&full, &decoded).unwrap();
        let mut columns = Columns::new(schema.clone());
        // Twice through the same builders: what one batch leaves must not reach the next.
        for _ in 0..2 {
            for b in &bodies {
                columns.append(b).unwrap();
            }
            let new = columns.finish().unwrap();
            assert_eq!(new.num_rows(), engagements.len());
            assert_eq!(new.schema(), *schema);
            for (i, field) in schema.fields().iter().enumerate() {
                let at = full.index_of(field.name()).unwrap();
                let (n, o) = (new.column(i).to_data(), old.column(at).to_data());
                assert!(n == o, "column {}: {n:?}\n!=\n{o:?}", field.name());
            }
        }
    }

    #[test]
    fn generated_engagements_decode_to_the_columns_the_model_path_built() {
        let end: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        for seed in [1, 7, 42] {
            let engagements: Vec<Engagement> =
                Generator::new(GeneratorConfig::new(seed, 2000, end)).collect();
            assert_same(&engagements, &super::super::schema::file_schema());
        }
    }

    #[test]
    fn a_projection_decodes_only_its_columns_and_skips_the_others() {
        let end: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let engagements: Vec<Engagement> =
            Generator::new(GeneratorConfig::new(3, 500, end)).collect();
        let full = super::super::schema::file_schema();
        let names = ["id", "state", "participants", "timings", "data"];
        let picked: Vec<usize> = names.iter().map(|n| full.index_of(n).unwrap()).collect();
        assert_same(&engagements, &Arc::new(full.project(&picked).unwrap()));
    }

    /// Odd shapes: escapes and unicode in values and keys, `data` values of every JSON
    /// type, empty lists and maps, a customer of nothing but an empty identifier type,
    /// a sender with nothing known, flags false and true, times before 1970 and with
    /// fewer fraction digits.
    #[test]
    fn odd_engagements_decode_to_the_columns_the_model_path_built() {
        let odd: Vec<Engagement> = [
            serde_json::json!({"id": "e-bare", "started_at": "1969-12-31T23:59:59.999Z"}),
            serde_json::json!({
                "id": "é\"\\\n\u{1F600}", "started_at": "2024-02-29T23:59:59.5Z",
                "ended_at": "2024-03-01T00:00:00.05Z", "source": "genesys_gws",
                "participants": [{"role": "agent", "owner": false, "display_name": "Zoë \t"},
                                 {"role": "customer", "owner": true, "source_type": "x"}],
                "customer": {"custom": {"zz": [], "ä": ["1", "\u{0}"], "a": ["x"]}},
                "data": {"ü": "ü", "\"q\"": {"b": [1, {"c": null}], "a": -1.25e-7},
                         "big": 18446744073709551615u64, "neg": -3, "t": false, "n": null,
                         "s": "\u{1F600}\\"},
                "messages": [{"index": 0, "at": "1900-01-01T00:00:00Z", "type": "x", "sender": {}}],
                "topics": ["", "ß"], "timings": {"wait_ms": 0},
                "recordings": [{"size_bytes": 9223372036854775808u64}]
            }),
            serde_json::json!({"id": "e-empty-customer-lists", "started_at": "2026-01-01T00:00:00Z",
                               "customer": {"custom": {"only-empty": []}}}),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
        assert_same(&odd, &super::super::schema::file_schema());
    }

    #[test]
    fn a_body_that_is_not_an_engagement_is_an_error() {
        let mut columns = Columns::new(super::super::schema::file_schema());
        for bad in [
            "",
            "[]",
            r#"{"id": "x", "started_at": 5}"#,
            r#"{"id": "x", "started_at": "yesterday"}"#,
            r#"{"id": "x", "id": "y", "started_at": "2026-01-01T00:00:00Z"}"#,
            r#"{"id": "x", "started_at": "2026-01-01T00:00:00Z"} trailing"#,
        ] {
            assert!(columns.append(bad).is_err(), "{bad:?} decoded");
        }
    }
}
