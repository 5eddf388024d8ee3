//! Buckets of time in a time zone: where each bucket of an interval begins and ends.
//!
//! Days, weeks (from Monday) and months are calendar ones of the zone, so a day around a
//! daylight-saving change is 23 or 25 hours long and still one bucket. Quarter hours, half
//! hours and hours begin on the zone's wall-clock boundary and follow one another in
//! elapsed time, so the repeated hour of a change back is two buckets and the skipped one
//! none. The first bucket begins at the range's start and the last ends at its end, so a
//! range that does not begin on a boundary has a shorter first (or last) bucket.

use interlog_model::time::local_to_instant;
use interlog_model::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Span;

/// The width of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    QuarterHour,
    HalfHour,
    Hour,
    Day,
    Week,
    Month,
    /// The whole range as one bucket.
    Total,
}

impl Interval {
    pub const ALL: &'static [Interval] = &[
        Interval::QuarterHour,
        Interval::HalfHour,
        Interval::Hour,
        Interval::Day,
        Interval::Week,
        Interval::Month,
        Interval::Total,
    ];

    /// The word a request names it by.
    pub const fn as_str(self) -> &'static str {
        match self {
            Interval::QuarterHour => "15m",
            Interval::HalfHour => "30m",
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<Interval> {
        Interval::ALL.iter().copied().find(|i| i.as_str() == s)
    }

    /// Minutes of a wall-clock interval (15m, 30m, hour).
    const fn minutes(self) -> Option<i64> {
        match self {
            Interval::QuarterHour => Some(15),
            Interval::HalfHour => Some(30),
            Interval::Hour => Some(60),
            _ => None,
        }
    }
}

/// Why a range could not be cut into buckets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundsError {
    #[error("the range holds more than {0} buckets of this interval")]
    TooMany(usize),
    #[error("the range reaches past the dates that can be represented")]
    OutOfRange,
}

/// The bounds of the buckets of `interval` that cover `[from, to)` in `tz`: `from`, every
/// boundary strictly inside the range, and `to`, ascending; bucket `i` is
/// `[bounds[i], bounds[i + 1])`. More than `max` buckets is an error (found without
/// walking further than that).
pub fn bucket_bounds(
    from: Timestamp,
    to: Timestamp,
    interval: Interval,
    tz: &TimeZone,
    max: usize,
) -> Result<Vec<Timestamp>, BoundsError> {
    let (from_ms, to_ms) = (from.as_millisecond(), to.as_millisecond());
    let mut bounds = vec![from_ms];
    let mut push = |g: i64| -> Result<(), BoundsError> {
        // A boundary that a gap in the zone's clock put on the one before adds no bucket.
        if g > *bounds.last().expect("from is there") && g < to_ms {
            if bounds.len() >= max {
                return Err(BoundsError::TooMany(max));
            }
            bounds.push(g);
        }
        Ok(())
    };
    let instant = |dt: DateTime| -> Result<i64, BoundsError> {
        local_to_instant(dt, tz)
            .map(|t| t.as_millisecond())
            .map_err(|_| BoundsError::OutOfRange)
    };
    let local = from.to_zoned(tz.clone()).datetime();
    if let Some(minutes) = interval.minutes() {
        let of_day = i64::from(local.hour()) * 60 + i64::from(local.minute());
        let floor = of_day - of_day % minutes;
        let start =
            local
                .date()
                .to_datetime(Time::constant((floor / 60) as i8, (floor % 60) as i8, 0, 0));
        let step = minutes * 60_000;
        let mut g = instant(start)?;
        while g <= from_ms {
            g += step;
        }
        while g < to_ms {
            push(g)?;
            g += step;
        }
    } else if interval != Interval::Total {
        let date = local.date();
        let oops = |_| BoundsError::OutOfRange;
        let (mut d, step) = match interval {
            Interval::Day => (date, Span::new().days(1)),
            Interval::Week => (
                date.checked_sub(
                    Span::new().days(i64::from(date.weekday().to_monday_zero_offset())),
                )
                .map_err(oops)?,
                Span::new().weeks(1),
            ),
            _ => (date.first_of_month(), Span::new().months(1)),
        };
        loop {
            d = d.checked_add(step).map_err(oops)?;
            let g = instant(midnight(d))?;
            if g >= to_ms {
                break;
            }
            push(g)?;
        }
    }
    if to_ms > from_ms {
        bounds.push(to_ms);
    }
    bounds
        .into_iter()
        .map(|ms| Timestamp::from_millisecond(ms).map_err(|_| BoundsError::OutOfRange))
        .collect()
}

fn midnight(d: Date) -> DateTime {
    d.to_datetime(Time::midnight())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn bounds(from: &str, to: &str, i: Interval, zone: &str) -> Vec<String> {
        let tz = TimeZone::get(zone).unwrap();
        bucket_bounds(t(from), t(to), i, &tz, 10_000)
            .unwrap()
            .into_iter()
            .map(|b| b.to_string())
            .collect()
    }

    #[test]
    fn days_follow_the_zones_calendar_across_daylight_saving() {
        // Dublin falls back on 2024-10-27: that day is 25 hours long.
        assert_eq!(
            bounds(
                "2024-10-25T23:00:00Z",
                "2024-10-29T00:00:00Z",
                Interval::Day,
                "Europe/Dublin"
            ),
            [
                "2024-10-25T23:00:00Z",
                "2024-10-26T23:00:00Z",
                "2024-10-28T00:00:00Z",
                "2024-10-29T00:00:00Z"
            ]
        );
    }

    #[test]
    fn a_range_off_the_boundaries_has_short_first_and_last_buckets() {
        assert_eq!(
            bounds(
                "2024-03-01T10:20:00Z",
                "2024-03-01T11:10:00Z",
                Interval::HalfHour,
                "UTC"
            ),
            [
                "2024-03-01T10:20:00Z",
                "2024-03-01T10:30:00Z",
                "2024-03-01T11:00:00Z",
                "2024-03-01T11:10:00Z"
            ]
        );
        assert_eq!(
            bounds(
                "2024-03-01T10:20:00Z",
                "2024-03-01T11:10:00Z",
                Interval::Total,
                "UTC"
            ),
            ["2024-03-01T10:20:00Z", "2024-03-01T11:10:00Z"]
        );
    }

    #[test]
    fn hours_of_a_change_back_are_two_and_weeks_begin_on_monday() {
        // New York repeats 01:00–02:00 on 2024-11-03: two hour buckets, both 60 minutes.
        assert_eq!(
            bounds(
                "2024-11-03T04:00:00Z",
                "2024-11-03T07:00:00Z",
                Interval::Hour,
                "America/New_York"
            )
            .len(),
            4
        );
        // 2024-03-06 is a Wednesday; Kathmandu is at +05:45.
        assert_eq!(
            bounds(
                "2024-03-06T00:00:00Z",
                "2024-03-20T00:00:00Z",
                Interval::Week,
                "Asia/Kathmandu"
            ),
            [
                "2024-03-06T00:00:00Z",
                "2024-03-10T18:15:00Z",
                "2024-03-17T18:15:00Z",
                "2024-03-20T00:00:00Z"
            ]
        );
        assert_eq!(
            bounds(
                "2024-01-15T00:00:00Z",
                "2024-03-15T00:00:00Z",
                Interval::Month,
                "UTC"
            ),
            [
                "2024-01-15T00:00:00Z",
                "2024-02-01T00:00:00Z",
                "2024-03-01T00:00:00Z",
                "2024-03-15T00:00:00Z"
            ]
        );
    }

    #[test]
    fn too_many_buckets_are_refused_without_walking_the_range() {
        let tz = TimeZone::UTC;
        let far = bucket_bounds(
            t("1900-01-01T00:00:00Z"),
            t("2900-01-01T00:00:00Z"),
            Interval::QuarterHour,
            &tz,
            100,
        );
        assert_eq!(far, Err(BoundsError::TooMany(100)));
        assert_eq!(
            bucket_bounds(
                t("2024-01-01T00:00:00Z"),
                t("2024-01-02T00:00:00Z"),
                Interval::Hour,
                &tz,
                24
            )
            .unwrap()
            .len(),
            25
        );
    }
}
