//! GWS's date forms.
//!
//! Responses write `yyyy-MM-dd HH:mm:ss.SSSZ` (`2013-11-25 21:02:22.000+0200`) in the
//! tenant's zone. Requests give `fromDate`/`toDate` as `yyyy-MM-dd` (a day in the tenant's
//! zone) or, as GWS 8.5.2 also allows, a date-time: `T`, `t` or a space between date and
//! time, seconds and fractions optional, the fraction after `.`, `,` or `:` (the docs'
//! `hh:mm:ss:ms`), then `Z`, `±hh:mm`, `±hhmm`, `±hh` or nothing (a wall-clock time in the
//! tenant's zone). So a client can send back a `startDate` it was given.

use interlog_model::time::{day_range, local_to_instant};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use std::fmt::Write;

/// A request date as written, before the tenant's zone is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateParam {
    /// A whole day.
    Day(Date),
    /// A wall-clock time without an offset.
    Local(DateTime),
    /// An instant (the text had an offset).
    Instant(Timestamp),
}

impl DateParam {
    /// The first instant the value covers, in `tz`.
    pub fn start(self, tz: &TimeZone) -> Result<Timestamp, String> {
        match self {
            DateParam::Day(d) => day_range(d, tz).map(|r| r.0).map_err(|e| e.to_string()),
            DateParam::Local(dt) => local_to_instant(dt, tz).map_err(|e| e.to_string()),
            DateParam::Instant(t) => Ok(t),
        }
    }

    /// The exclusive end of what the value covers, in `tz`: a day covers all of itself, a
    /// date-time its millisecond.
    pub fn end_exclusive(self, tz: &TimeZone) -> Result<Timestamp, String> {
        let at = match self {
            DateParam::Day(d) => return day_range(d, tz).map(|r| r.1).map_err(|e| e.to_string()),
            DateParam::Local(dt) => local_to_instant(dt, tz).map_err(|e| e.to_string())?,
            DateParam::Instant(t) => t,
        };
        Ok(at
            .checked_add(jiff::SignedDuration::from_millis(1))
            .unwrap_or(at))
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i32> {
    let s = b.get(at..at + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0')))
}

/// Reads a request date (see the module docs).
pub fn parse_date_param(s: &str) -> Result<DateParam, String> {
    let bad =
        || format!("{s:?} is not a date (yyyy-MM-dd) or a date-time (yyyy-MM-ddTHH:mm:ss.SSSZ)");
    let s_trim = s.trim();
    let b = s_trim.as_bytes();
    if b.len() > 40 {
        return Err(bad());
    }
    let (Some(y), Some(mo), Some(d)) = (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2)) else {
        return Err(bad());
    };
    if b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let date = Date::new(y as i16, mo as i8, d as i8).map_err(|_| bad())?;
    if b.len() == 10 {
        return Ok(DateParam::Day(date));
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    let (Some(h), Some(mi)) = (digits(b, 11, 2), digits(b, 14, 2)) else {
        return Err(bad());
    };
    if b[13] != b':' {
        return Err(bad());
    }
    let mut i = 16;
    let mut sec = 0;
    let mut nanos = 0i32;
    if b.get(i) == Some(&b':') {
        sec = digits(b, i + 1, 2).ok_or_else(bad)?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',' | b':')) {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return Err(bad());
            }
            let mut n = 0i32;
            for k in 0..9 {
                n = n * 10 + frac.get(k).map_or(0, |d| i32::from(d - b'0'));
            }
            nanos = n;
        }
    }
    let time = Time::new(h as i8, mi as i8, sec as i8, nanos).map_err(|_| bad())?;
    let dt = date.to_datetime(time);
    let zone = &b[i..];
    let offset_secs = match zone {
        [] => return Ok(DateParam::Local(dt)),
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, om) = match rest.len() {
                2 => (digits(rest, 0, 2), Some(0)),
                4 => (digits(rest, 0, 2), digits(rest, 2, 2)),
                5 if rest[2] == b':' => (digits(rest, 0, 2), digits(rest, 3, 2)),
                _ => (None, None),
            };
            let (Some(oh), Some(om)) = (oh, om) else {
                return Err(bad());
            };
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(bad()),
    };
    let offset = Offset::from_seconds(offset_secs).map_err(|_| bad())?;
    offset
        .to_timestamp(dt)
        .map(DateParam::Instant)
        .map_err(|_| bad())
}

/// Reads a date-time that names its offset (`2013-11-25 21:02:22.000+0200`, RFC 3339…),
/// as ingested resources carry them.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    match parse_date_param(s)? {
        DateParam::Instant(t) => Ok(t),
        _ => Err(format!(
            "{s:?} has no UTC offset (expected e.g. 2013-11-25 21:02:22.000+0200)"
        )),
    }
}

/// Writes `t` as GWS does, in `tz`: `2013-11-25 21:02:22.000+0200`.
pub fn format(t: Timestamp, tz: &TimeZone) -> String {
    let mut out = String::with_capacity(28);
    write_to(&mut out, t, tz);
    out
}

/// [`format`] appending to `out`.
pub fn write_to(out: &mut String, t: Timestamp, tz: &TimeZone) {
    // The format has no seconds of offset (some zones had them before 1972): write the
    // wall time of the offset as written, so the text still names the exact instant.
    let secs = tz.to_offset(t).seconds() / 60 * 60;
    let offset = Offset::from_seconds(secs).unwrap_or(Offset::UTC);
    let dt = offset.to_datetime(t);
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}{sign}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000,
        abs / 3600,
        (abs % 3600) / 60,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_seed_date_reads_and_writes_back() {
        let t = parse_instant("2013-11-25 21:02:22.000+0200").unwrap();
        assert_eq!(t, ts("2013-11-25T19:02:22Z"));
        let helsinki = TimeZone::get("Europe/Helsinki").unwrap();
        assert_eq!(format(t, &helsinki), "2013-11-25 21:02:22.000+0200");
        let ny = TimeZone::get("America/New_York").unwrap();
        assert_eq!(format(t, &ny), "2013-11-25 14:02:22.000-0500");
    }

    #[test]
    fn every_documented_spelling_is_read() {
        let want = ts("2015-10-01T13:02:07.120Z");
        for s in [
            "2015-10-01T16:02:07.120+03:00",
            "2015-10-01T16:02:07.120+0300",
            "2015-10-01T16:02:07:120+0300",
            "2015-10-01t16:02:07,12+03",
            "2015-10-01 16:02:07.120+0300",
            "2015-10-01T13:02:07.120Z",
            " 2015-10-01T13:02:07.120z ",
        ] {
            assert_eq!(parse_date_param(s), Ok(DateParam::Instant(want)), "{s}");
        }
        assert_eq!(
            parse_date_param("2015-10-01"),
            Ok(DateParam::Day(Date::new(2015, 10, 1).unwrap()))
        );
        assert!(matches!(
            parse_date_param("2015-10-01T16:02"),
            Ok(DateParam::Local(_))
        ));
        for bad in [
            "",
            "2015-10-1",
            "2015/10/01",
            "2015-13-01",
            "2015-02-30",
            "2015-10-01X16:02:07",
            "2015-10-01T25:00:00",
            "2015-10-01T16:02:07.",
            "2015-10-01T16:02:07.1234567890Z",
            "2015-10-01T16:02:07+3",
            "2015-10-01T16:02:07+24:00",
            "2015-10-01T16:02:07 UTC",
            "２０１５-10-01",
        ] {
            assert!(parse_date_param(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn days_follow_the_tenant_zone_across_dst() {
        let dublin = TimeZone::get("Europe/Dublin").unwrap();
        // Dublin springs forward on 2024-03-31: that day is 23 hours long.
        let day = parse_date_param("2024-03-31").unwrap();
        assert_eq!(day.start(&dublin).unwrap(), ts("2024-03-31T00:00:00Z"));
        assert_eq!(
            day.end_exclusive(&dublin).unwrap(),
            ts("2024-03-31T23:00:00Z")
        );
        // Summer time is +0100, winter +0000.
        assert_eq!(
            format(ts("2024-07-01T12:00:00Z"), &dublin),
            "2024-07-01 13:00:00.000+0100"
        );
        assert_eq!(
            format(ts("2024-01-01T12:00:00Z"), &dublin),
            "2024-01-01 12:00:00.000+0000"
        );
        let local = parse_date_param("2024-07-01T13:00:00").unwrap();
        assert_eq!(local.start(&dublin).unwrap(), ts("2024-07-01T12:00:00Z"));
        assert_eq!(
            local.end_exclusive(&dublin).unwrap(),
            ts("2024-07-01T12:00:00.001Z")
        );
    }

    proptest! {
        #[test]
        fn anything_parses_without_panicking(s in "\\PC{0,48}") {
            let _ = parse_date_param(&s);
            let _ = parse_instant(&s);
        }

        #[test]
        fn near_misses_of_the_format_never_panic(s in "[0-9:+\\-. TtZz]{0,32}") {
            let _ = parse_date_param(&s);
        }

        #[test]
        fn what_is_written_reads_back_as_the_same_millisecond(
            ms in -2_000_000_000_000i64..4_000_000_000_000i64,
            zone in prop::sample::select(vec![
                "UTC", "Europe/Dublin", "America/New_York", "Asia/Kolkata",
                "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns",
            ]),
        ) {
            let tz = TimeZone::get(zone).unwrap();
            let t = Timestamp::from_millisecond(ms).unwrap();
            let text = format(t, &tz);
            prop_assert_eq!(text.len(), 28);
            prop_assert_eq!(parse_instant(&text).unwrap(), t);
        }

        #[test]
        fn a_day_covers_its_local_midnights(
            days in 0i32..40_000,
            zone in prop::sample::select(vec!["UTC", "Europe/Dublin", "America/Sao_Paulo"]),
        ) {
            let tz = TimeZone::get(zone).unwrap();
            let d = Date::new(1970, 1, 1).unwrap()
                .checked_add(jiff::Span::new().days(i64::from(days))).unwrap();
            let p = parse_date_param(&d.to_string()).unwrap();
            let (a, b) = (p.start(&tz).unwrap(), p.end_exclusive(&tz).unwrap());
            prop_assert!(a < b);
            prop_assert_eq!(a.to_zoned(tz.clone()).date(), d);
            prop_assert_eq!(b.to_zoned(tz.clone()).date(), d.tomorrow().unwrap());
            let hours = (b.as_second() - a.as_second()) / 3600;
            prop_assert!((22..=25).contains(&hours));
        }
    }
}
