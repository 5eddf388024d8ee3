//! Zoom's times: the `from`/`to` forms of the list endpoint and the `timezone` they are
//! read in, the one-month and 24-hour windows, and times rendered in a zone.
//!
//! `from`/`to` take three forms:
//! - `yyyy-MM-dd`: a whole day in `timezone`;
//! - `yyyy-MM-dd'T'HH:mm:ss'Z'`: a wall-clock time in `timezone`; the `Z` is a literal, not
//!   UTC (Zoom's rule);
//! - `yyyy-MM-dd'T'HH:mm:ss±HH:mm`: that instant; `timezone` only formats the response.
//!
//! A window is half-open `[start, end)`. `to` is inclusive of what it names: a date covers
//! its whole day, a time covers its whole second (Zoom's times have whole seconds), so
//! echoing a window's `from`/`to` back selects the same window.

use interlog_model::time::{local_to_instant, parse_date, parse_instant, parse_local};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::fmt::Write;

/// How a `from`/`to` value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoomTime {
    Date(Date),
    /// Wall-clock time in the request's `timezone` (the literal-`Z` form).
    Local(DateTime),
    /// An instant (the offset form).
    Instant(Timestamp),
}

/// Why a time or window could not be read: the parameter and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> TimeProblem {
    TimeProblem {
        field,
        message: message.into(),
    }
}

const FORMS: &str = "must be yyyy-MM-dd, yyyy-MM-dd'T'HH:mm:ss'Z' or yyyy-MM-dd'T'HH:mm:ss±HH:mm";

impl ZoomTime {
    pub fn parse(field: &'static str, s: &str) -> Result<ZoomTime, TimeProblem> {
        let b = s.as_bytes();
        let bad = || problem(field, format!("{FORMS}, not {s:?}"));
        match b.len() {
            10 => parse_date(s).map(ZoomTime::Date).map_err(|_| bad()),
            20 if b[19] == b'Z' => parse_local(&s[..19])
                .ok()
                .filter(|_| b[16] == b':' && b[13] == b':')
                .map(ZoomTime::Local)
                .ok_or_else(bad),
            25 if (b[19] == b'+' || b[19] == b'-') && b[22] == b':' && b[16] == b':' => {
                parse_local(&s[..19]).map_err(|_| bad())?;
                parse_instant(s).map(ZoomTime::Instant).map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    /// The first instant the value names.
    fn first(self, field: &'static str, tz: &TimeZone) -> Result<Timestamp, TimeProblem> {
        let out = |_| problem(field, "is outside the supported range of dates");
        match self {
            ZoomTime::Date(d) => {
                local_to_instant(d.to_datetime(jiff::civil::Time::midnight()), tz).map_err(out)
            }
            ZoomTime::Local(dt) => local_to_instant(dt, tz).map_err(out),
            ZoomTime::Instant(t) => Ok(t),
        }
    }

    /// The instant just after what the value names (a whole day, or a whole second).
    fn end_exclusive(self, field: &'static str, tz: &TimeZone) -> Result<Timestamp, TimeProblem> {
        let out = || problem(field, "is outside the supported range of dates");
        match self {
            ZoomTime::Date(d) => {
                let next = d.tomorrow().map_err(|_| out())?;
                ZoomTime::Date(next).first(field, tz)
            }
            other => other
                .first(field, tz)?
                .checked_add(SignedDuration::from_secs(1))
                .map_err(|_| out()),
        }
    }
}

/// The instants a list request covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    /// Exclusive.
    pub end: Timestamp,
}

impl Window {
    /// The last whole second the window covers, for echoing as an inclusive `to`.
    pub fn last_second(&self) -> Timestamp {
        self.end
            .checked_sub(SignedDuration::from_secs(1))
            .unwrap_or(self.end)
            .max(self.start)
    }
}

/// Truncates to the whole second.
pub fn floor_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// The window of a list request: `from`..`to` (at most one month from `from`, in
/// `timezone`'s calendar), or the past 24 hours when there is no `from`.
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Window, TimeProblem> {
    let Some(from) = from else {
        if to.is_some() {
            return Err(problem("from", "is required when to is given"));
        }
        let last = floor_second(now);
        let start = last
            .checked_sub(SignedDuration::from_hours(24))
            .map_err(|_| problem("from", "is outside the supported range of dates"))?;
        return Ok(Window {
            start,
            end: last + SignedDuration::from_secs(1),
        });
    };
    let to = to.ok_or_else(|| problem("to", "is required when from is given"))?;
    let start = ZoomTime::parse("from", from)?.first("from", tz)?;
    let end = ZoomTime::parse("to", to)?.end_exclusive("to", tz)?;
    if end <= start {
        return Err(problem("to", "must not be before from"));
    }
    let month_later = start
        .to_zoned(tz.clone())
        .checked_add(1.month())
        .map(|z| z.timestamp())
        .unwrap_or(end);
    Ok(Window {
        start,
        end: end.min(month_later),
    })
}

/// Whether `tz` is UTC, so that times render with `Z`.
pub fn is_utc(tz: &TimeZone) -> bool {
    matches!(
        tz.iana_name(),
        Some(
            "UTC"
                | "Etc/UTC"
                | "Etc/UCT"
                | "UCT"
                | "Etc/Universal"
                | "Universal"
                | "Etc/Zulu"
                | "Zulu"
        )
    ) || tz == &TimeZone::UTC
}

/// Appends `v` as `width` decimal digits (zero-padded).
fn digits(out: &mut impl Write, v: i32, width: usize) {
    let mut buf = [b'0'; 4];
    let mut n = v.unsigned_abs();
    for i in (4 - width..4).rev() {
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for &b in &buf[4 - width..] {
        let _ = out.write_char(b as char);
    }
}

/// `yyyy-MM-ddTHH:mm:ss`, written by hand: this runs for every time of every listed
/// engagement, and the formatting machinery costs more than the rest of the rendering.
fn push_datetime(out: &mut impl Write, dt: DateTime) {
    if !(0..=9999).contains(&dt.year()) {
        let _ = write!(out, "{}", dt.strftime("%Y-%m-%dT%H:%M:%S"));
        return;
    }
    for (v, width, sep) in [
        (i32::from(dt.year()), 4, '-'),
        (i32::from(dt.month()), 2, '-'),
        (i32::from(dt.day()), 2, 'T'),
        (i32::from(dt.hour()), 2, ':'),
        (i32::from(dt.minute()), 2, ':'),
    ] {
        digits(out, v, width);
        let _ = out.write_char(sep);
    }
    digits(out, i32::from(dt.second()), 2);
}

/// `t` in `tz` to the second: `...Z` in UTC, `...±HH:mm` elsewhere (Zoom's two forms).
pub fn render(out: &mut impl Write, t: Timestamp, tz: &TimeZone, utc: bool) {
    if utc {
        push_datetime(out, TimeZone::UTC.to_datetime(t));
        let _ = out.write_char('Z');
        return;
    }
    let offset = tz.to_offset(t);
    push_datetime(out, offset.to_datetime(t));
    let secs = offset.seconds();
    let _ = out.write_char(if secs < 0 { '-' } else { '+' });
    let abs = secs.unsigned_abs() as i32;
    digits(out, abs / 3600, 2);
    let _ = out.write_char(':');
    digits(out, (abs % 3600) / 60, 2);
}

/// A rendered time on the stack (the longest, with a six-digit year and an offset, is 28
/// bytes).
pub struct TimeText {
    buf: [u8; 40],
    len: usize,
}

impl TimeText {
    pub fn new(t: Timestamp, tz: &TimeZone, utc: bool) -> TimeText {
        let mut out = TimeText {
            buf: [0; 40],
            len: 0,
        };
        render(&mut out, t, tz, utc);
        out
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl Write for TimeText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `t` as a wall-clock time in `tz` with a literal `Z`: the form of the list envelope's
/// `from`/`to`, which a client can send back unchanged.
pub fn render_local_z(t: Timestamp, tz: &TimeZone) -> String {
    let mut out = String::with_capacity(20);
    push_datetime(&mut out, tz.to_datetime(t));
    out.push('Z');
    out
}

/// `t` in UTC with `Z`.
pub fn render_utc(t: Timestamp) -> String {
    let mut out = String::with_capacity(20);
    render(&mut out, t, &TimeZone::UTC, true);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_model::time::zone;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_literal_z_is_local_and_the_offset_form_is_an_instant() {
        let dublin = zone("Europe/Dublin").unwrap();
        let now = ts("2024-06-01T00:00:00Z");
        // Summer in Dublin is UTC+1: a literal-Z 10:00 is 09:00 UTC.
        let w = window(
            Some("2024-06-10T10:00:00Z"),
            Some("2024-06-10T11:00:00Z"),
            &dublin,
            now,
        )
        .unwrap();
        assert_eq!(w.start, ts("2024-06-10T09:00:00Z"));
        assert_eq!(w.end, ts("2024-06-10T10:00:01Z"));
        let w = window(
            Some("2024-06-10T10:00:00+00:00"),
            Some("2024-06-10T11:00:00-02:00"),
            &dublin,
            now,
        )
        .unwrap();
        assert_eq!(w.start, ts("2024-06-10T10:00:00Z"));
        assert_eq!(w.end, ts("2024-06-10T13:00:01Z"));
    }

    #[test]
    fn dates_cover_whole_local_days_across_a_dst_change() {
        let dublin = zone("Europe/Dublin").unwrap();
        let w = window(
            Some("2024-03-30"),
            Some("2024-03-31"),
            &dublin,
            ts("2024-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(w.start, ts("2024-03-30T00:00:00Z"));
        // 2024-03-31 is 23 hours long in Dublin.
        assert_eq!(w.end, ts("2024-03-31T23:00:00Z"));
        assert_eq!(
            render_local_z(w.last_second(), &dublin),
            "2024-03-31T23:59:59Z"
        );
    }

    #[test]
    fn windows_are_at_most_a_month_and_default_to_the_past_day() {
        let utc = TimeZone::UTC;
        let now = ts("2024-05-05T12:34:56.789Z");
        let w = window(Some("2024-01-31"), Some("2024-12-31"), &utc, now).unwrap();
        assert_eq!(w.start, ts("2024-01-31T00:00:00Z"));
        assert_eq!(w.end, ts("2024-02-29T00:00:00Z"));
        let w = window(Some("2024-01-01"), Some("2024-01-31"), &utc, now).unwrap();
        assert_eq!(w.end, ts("2024-02-01T00:00:00Z"));
        let w = window(None, None, &utc, now).unwrap();
        assert_eq!(w.start, ts("2024-05-04T12:34:56Z"));
        assert_eq!(w.end, ts("2024-05-05T12:34:57Z"));
        assert_eq!(w.last_second(), ts("2024-05-05T12:34:56Z"));
    }

    #[test]
    fn bad_windows_name_the_parameter() {
        let utc = TimeZone::UTC;
        let now = Timestamp::UNIX_EPOCH;
        let field = |f: Option<&str>, t: Option<&str>| window(f, t, &utc, now).unwrap_err().field;
        assert_eq!(field(Some("2024-01-01"), None), "to");
        assert_eq!(field(None, Some("2024-01-01")), "from");
        assert_eq!(
            field(Some("2024-01-02"), Some("2024-01-01T00:00:00Z")),
            "to"
        );
        for bad in [
            "2024-1-01",
            "2024-01-01 10:00:00",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.000Z",
            "2024-02-30",
            "2024-01-01T10:00:00+0100",
            "2024-01-01T25:00:00Z",
        ] {
            assert_eq!(field(Some(bad), Some("2024-02-01")), "from", "{bad}");
        }
    }

    #[test]
    fn years_outside_four_digits_still_render() {
        let mut s = String::new();
        render(&mut s, Timestamp::MIN, &TimeZone::UTC, true);
        assert!(s.starts_with("-9999-01-0"), "{s}");
        let mut s = String::new();
        render(&mut s, ts("0987-06-05T04:03:02Z"), &TimeZone::UTC, true);
        assert_eq!(s, "0987-06-05T04:03:02Z");
    }

    #[test]
    fn rendering_uses_z_in_utc_and_an_offset_elsewhere() {
        let la = zone("America/Los_Angeles").unwrap();
        let t = ts("2021-12-03T13:07:46.900Z");
        let mut s = String::new();
        render(&mut s, t, &la, is_utc(&la));
        assert_eq!(s, "2021-12-03T05:07:46-08:00");
        assert_eq!(render_utc(t), "2021-12-03T13:07:46Z");
        let kolkata = zone("Asia/Kolkata").unwrap();
        let mut s = String::new();
        render(&mut s, t, &kolkata, false);
        assert_eq!(s, "2021-12-03T18:37:46+05:30");
        assert!(is_utc(&zone("UTC").unwrap()));
        assert!(!is_utc(&zone("Europe/London").unwrap()));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,30}", t in "[0-9T:+Z-]{0,26}") {
            let utc = TimeZone::UTC;
            let _ = window(Some(&s), Some(&t), &utc, Timestamp::UNIX_EPOCH);
            let _ = window(Some(&t), Some(&s), &utc, Timestamp::UNIX_EPOCH);
        }

        #[test]
        fn an_echoed_window_selects_itself(
            start in 0i64..4_000_000_000,
            len in 1i64..2_000_000,
            zi in 0usize..4,
        ) {
            let tz = zone(["UTC", "Europe/Dublin", "America/New_York", "Australia/Lord_Howe"][zi]).unwrap();
            let a = Timestamp::from_second(start).unwrap();
            let b = Timestamp::from_second(start + len).unwrap();
            let w = Window { start: a, end: b + SignedDuration::from_secs(1) };
            let from = render_local_z(w.start, &tz);
            let to = render_local_z(w.last_second(), &tz);
            let again = window(Some(&from), Some(&to), &tz, Timestamp::UNIX_EPOCH).unwrap();
            // Wall-clock times that occur twice (a DST fold) read as the earlier instant,
            // so only unambiguous instants round-trip exactly.
            let unambiguous = |t: Timestamp| {
                let dt = tz.to_datetime(t);
                !tz.to_ambiguous_zoned(dt).is_ambiguous()
            };
            if unambiguous(w.start) && unambiguous(w.last_second()) {
                let month = w.start.to_zoned(tz.clone()).checked_add(1.month()).unwrap().timestamp();
                prop_assert_eq!(again.start, w.start);
                prop_assert_eq!(again.end, w.end.min(month));
            }
        }

        #[test]
        fn offset_renderings_read_back_as_the_same_second(secs in 0i64..4_000_000_000, zi in 0usize..4) {
            let tz = zone(["UTC", "Europe/Dublin", "America/St_Johns", "Asia/Kathmandu"][zi]).unwrap();
            let t = Timestamp::from_second(secs).unwrap();
            let mut s = String::new();
            render(&mut s, t, &tz, false);
            prop_assert_eq!(ZoomTime::parse("from", &s).unwrap(), ZoomTime::Instant(t));
        }
    }
}
