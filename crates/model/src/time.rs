//! Time handling in one place: the instants clients send, in the forms the vendors use.
//!
//! The store keeps UTC instants with millisecond precision. Clients send RFC 3339 instants,
//! bare dates, and zone-less local date-times that mean a wall-clock time in some IANA zone
//! (the tenant's, or one named in the request). Local times that fall in a DST gap move
//! forward past it; times that occur twice (a DST fold) take the earlier instant.

use crate::Engagement;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{value:?} is not a date-time with offset (RFC 3339, e.g. 2024-03-01T09:30:00Z)")]
    NotInstant { value: String },
    #[error("{value:?} is not a date (yyyy-mm-dd)")]
    NotDate { value: String },
    #[error("{value:?} is not a local date-time (yyyy-mm-ddThh:mm:ss)")]
    NotLocal { value: String },
    #[error("{value:?} is not a known IANA time zone")]
    UnknownZone { value: String },
    #[error("{value:?} is outside the supported range of dates")]
    OutOfRange { value: String },
}

/// An RFC 3339 instant with an explicit offset (`Z` or `±hh:mm`).
pub fn parse_instant(s: &str) -> Result<Timestamp, TimeError> {
    // jiff also accepts a few ISO 8601 spellings (e.g. a space for `T`); require the date
    // part and the `T` so the accepted form is exactly what we document.
    let bytes = s.as_bytes();
    let shaped = bytes.len() >= 20 && bytes[4] == b'-' && bytes[7] == b'-' && bytes[10] == b'T';
    if !shaped {
        return Err(TimeError::NotInstant { value: s.into() });
    }
    s.parse::<Timestamp>()
        .map_err(|_| TimeError::NotInstant { value: s.into() })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The canonical form the model writes, `yyyy-mm-ddThh:mm:ss[.fff…]Z`, read directly: a
/// listing or an export reads several times per engagement and the general parser costs
/// more than the rest of the engagement. `None` for anything else, left to the general
/// parser (which reads every instant this reads as this does).
pub fn canonical_instant(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] {
        return None;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let nanos = match b.len() {
        20 => 0,
        n if (22..=30).contains(&n) && b[19] == b'.' => {
            let frac = &b[20..n - 1];
            let v = num(20..n - 1)?;
            v * 10i64.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
    Timestamp::new(secs, i32::try_from(nanos).ok()?).ok()
}

/// A calendar date written `yyyy-mm-dd`.
pub fn parse_date(s: &str) -> Result<Date, TimeError> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(TimeError::NotDate { value: s.into() });
    }
    s.parse::<Date>()
        .map_err(|_| TimeError::NotDate { value: s.into() })
}

/// A zone-less local date-time `yyyy-mm-ddThh:mm:ss` (fractional seconds allowed).
pub fn parse_local(s: &str) -> Result<DateTime, TimeError> {
    let b = s.as_bytes();
    let shaped = b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':';
    if !shaped {
        return Err(TimeError::NotLocal { value: s.into() });
    }
    s.parse::<DateTime>()
        .map_err(|_| TimeError::NotLocal { value: s.into() })
}

/// The IANA zone with that name (`UTC`, `Europe/Dublin`, …).
pub fn zone(name: &str) -> Result<TimeZone, TimeError> {
    if name.is_empty() || name.len() > 64 {
        return Err(TimeError::UnknownZone { value: name.into() });
    }
    TimeZone::get(name).map_err(|_| TimeError::UnknownZone { value: name.into() })
}

/// The instant a wall-clock time in `tz` names.
pub fn local_to_instant(dt: DateTime, tz: &TimeZone) -> Result<Timestamp, TimeError> {
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|_| TimeError::OutOfRange {
            value: dt.to_string(),
        })
}

/// The half-open range of instants `[start of day, start of next day)` of `date` in `tz`.
pub fn day_range(date: Date, tz: &TimeZone) -> Result<(Timestamp, Timestamp), TimeError> {
    let out = || TimeError::OutOfRange {
        value: date.to_string(),
    };
    let start = local_to_instant(date.to_datetime(jiff::civil::Time::midnight()), tz)?;
    let next = date.tomorrow().map_err(|_| out())?;
    let end = local_to_instant(next.to_datetime(jiff::civil::Time::midnight()), tz)?;
    Ok((start, end))
}

/// A bound a client wrote either as a date or as a local date-time, read in `tz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalBound {
    /// A whole day: `[start, end)`.
    Day(Timestamp, Timestamp),
    /// One instant.
    At(Timestamp),
}

impl LocalBound {
    /// Reads `yyyy-mm-dd` or `yyyy-mm-ddThh:mm:ss` in `tz`.
    pub fn parse(s: &str, tz: &TimeZone) -> Result<LocalBound, TimeError> {
        if s.len() == 10 {
            let (a, b) = day_range(parse_date(s)?, tz)?;
            Ok(LocalBound::Day(a, b))
        } else {
            Ok(LocalBound::At(local_to_instant(parse_local(s)?, tz)?))
        }
    }

    /// The earliest instant the bound covers (for "after" / "from" bounds).
    pub fn first(self) -> Timestamp {
        match self {
            LocalBound::Day(a, _) | LocalBound::At(a) => a,
        }
    }

    /// The exclusive end of what the bound covers (for inclusive "before" / "to" bounds: a
    /// date covers its whole day, an instant covers up to and including its millisecond).
    pub fn end_exclusive(self) -> Timestamp {
        match self {
            LocalBound::Day(_, b) => b,
            LocalBound::At(a) => a
                .checked_add(jiff::SignedDuration::from_millis(1))
                .unwrap_or(a),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn to_millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// The instant `ms` milliseconds after the Unix epoch, if representable.
pub fn from_millis(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

fn trunc(t: &mut Timestamp) {
    if let Ok(r) = t.round(
        jiff::TimestampRound::new()
            .smallest(Unit::Millisecond)
            .mode(jiff::RoundMode::Trunc),
    ) {
        *t = r;
    }
}

fn trunc_opt(t: &mut Option<Timestamp>) {
    if let Some(t) = t {
        trunc(t);
    }
}

/// Truncates every instant in the engagement to the millisecond the stores keep, so what a
/// client reads back is exactly what was stored.
pub(crate) fn truncate_all_to_millis(e: &mut Engagement) {
    trunc(&mut e.started_at);
    trunc_opt(&mut e.ended_at);
    trunc_opt(&mut e.updated_at);
    for p in &mut e.participants {
        trunc_opt(&mut p.joined_at);
        trunc_opt(&mut p.left_at);
    }
    for q in &mut e.queues {
        trunc_opt(&mut q.queued_at);
        trunc_opt(&mut q.accepted_at);
    }
    for t in &mut e.transfers {
        trunc_opt(&mut t.at);
        trunc_opt(&mut t.to_agent_joined_at);
    }
    for r in &mut e.recordings {
        trunc_opt(&mut r.created_at);
    }
    for n in &mut e.notes {
        trunc_opt(&mut n.created_at);
        trunc_opt(&mut n.updated_at);
    }
    for m in &mut e.messages {
        trunc(&mut m.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_fast_reading_agrees_with_jiff(secs in -62_135_596_800i64..253_402_300_799, nanos in 0i32..1_000_000_000, ms in any::<bool>()) {
            let nanos = if ms { nanos / 1_000_000 * 1_000_000 } else { nanos };
            let t = Timestamp::new(secs, nanos).unwrap();
            let text = t.to_string();
            prop_assert_eq!(canonical_instant(&text), Some(t), "{}", text);
        }

        #[test]
        fn odd_text_is_left_to_jiff(s in "[0-9TZ:.+-]{0,32}") {
            if let Some(t) = canonical_instant(&s) {
                prop_assert_eq!(s.parse::<Timestamp>().ok(), Some(t));
            }
        }
    }

    #[test]
    fn impossible_dates_are_not_read_fast() {
        for s in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00+01:00",
            "2024-01-01T00:00:00.Z",
        ] {
            assert_eq!(canonical_instant(s), None, "{s}");
        }
        assert!(canonical_instant("2024-02-29T23:59:59.5Z").is_some());
    }

    #[test]
    fn instants_need_an_offset() {
        assert_eq!(
            parse_instant("2024-03-01T09:30:00Z")
                .unwrap()
                .as_millisecond(),
            1_709_285_400_000
        );
        assert!(parse_instant("2024-03-01T09:30:00+02:00").is_ok());
        assert!(parse_instant("2024-03-01T09:30:00").is_err());
        assert!(parse_instant("2024-03-01").is_err());
        assert!(parse_instant("2024-02-30T09:30:00Z").is_err());
        assert!(parse_instant("").is_err());
    }

    #[test]
    fn a_date_covers_its_whole_local_day_even_across_dst() {
        let dublin = zone("Europe/Dublin").unwrap();
        // 2024-03-31 is the day Dublin springs forward: 23 hours long.
        let b = LocalBound::parse("2024-03-31", &dublin).unwrap();
        assert_eq!(b.first().to_string(), "2024-03-31T00:00:00Z");
        assert_eq!(b.end_exclusive().to_string(), "2024-03-31T23:00:00Z");
        let b = LocalBound::parse("2024-03-31", &dublin).unwrap();
        let LocalBound::Day(a, z) = b else { panic!() };
        assert_eq!((z.as_second() - a.as_second()) / 3600, 23);
    }

    #[test]
    fn local_times_in_a_gap_move_forward_and_folds_take_the_earlier() {
        let ny = zone("America/New_York").unwrap();
        let gap = local_to_instant(parse_local("2024-03-10T02:30:00").unwrap(), &ny).unwrap();
        assert_eq!(gap.to_string(), "2024-03-10T07:30:00Z");
        let fold = local_to_instant(parse_local("2024-11-03T01:30:00").unwrap(), &ny).unwrap();
        assert_eq!(fold.to_string(), "2024-11-03T05:30:00Z");
    }

    #[test]
    fn unknown_zones_and_bad_shapes_are_rejected() {
        assert!(zone("Mars/Olympus").is_err());
        assert!(zone("").is_err());
        let utc = zone("UTC").unwrap();
        for bad in [
            "2024-1-01",
            "2024-01-01 10:00:00",
            "20240101",
            "2024-13-01",
            "x",
        ] {
            assert!(LocalBound::parse(bad, &utc).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let utc = TimeZone::UTC;
            let _ = parse_instant(&s);
            let _ = LocalBound::parse(&s, &utc);
            let _ = zone(&s);
        }

        #[test]
        fn local_round_trips_in_utc(secs in 0i64..4_000_000_000) {
            let t = Timestamp::from_second(secs).unwrap();
            let local = t.to_zoned(TimeZone::UTC).datetime();
            let s = local.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            let b = LocalBound::parse(&s, &TimeZone::UTC).unwrap();
            prop_assert_eq!(b.first(), t);
        }
    }
}
