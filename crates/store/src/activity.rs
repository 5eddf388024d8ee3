//! A tenant's activity over time: how many engagements started on each day, by channel
//! type, and how they ended (the explorer's overview).

use crate::{Result, StoreError, Tenant};
use interlog_model::{ChannelType, Outcome};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Most days one [`crate::Engagements::activity`] call covers.
pub const MAX_ACTIVITY_DAYS: u32 = 400;

/// Engagements that started on each day of a run of days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Activity {
    /// One entry per day asked for, in order, days without engagements included.
    pub days: Vec<DayActivity>,
    /// Over the whole run: how many engagements have each outcome (`None`: no outcome
    /// recorded). Outcomes no engagement has are left out.
    pub outcomes: BTreeMap<Option<Outcome>, u64>,
}

/// The engagements that started on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayActivity {
    /// A calendar day in the tenant's time zone.
    pub date: Date,
    /// Every engagement that started that day, once.
    pub total: u64,
    /// Per channel type, the engagements that used it: one with a voice and a chat channel
    /// counts under both, one with two voice channels once, one without channels under
    /// none. Types no engagement used are left out.
    pub channels: BTreeMap<ChannelType, u64>,
}

/// Where each of `days` days from `first` begins in the tenant's time zone, and where the
/// last one ends: `days + 1` instants in milliseconds (as backends store them), ascending.
/// A day is `[bounds[i], bounds[i + 1])`; days around a daylight-saving change are 23 or 25
/// hours long. Backends count by these bounds so that every one of them cuts days the same
/// way.
pub fn day_bounds(tenant: &Tenant, first: Date, days: u32) -> Result<Vec<i64>> {
    if days == 0 || days > MAX_ACTIVITY_DAYS {
        return Err(StoreError::Invalid(format!(
            "activity covers 1 to {MAX_ACTIVITY_DAYS} days, not {days}"
        )));
    }
    let tz = interlog_model::time::zone(&tenant.time_zone)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut bounds = Vec::with_capacity(days as usize + 1);
    let mut date = first;
    for i in 0..days {
        let (start, end) = interlog_model::time::day_range(date, &tz)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        bounds.push(start.as_millisecond());
        if i + 1 == days {
            bounds.push(end.as_millisecond());
        } else {
            date = date
                .tomorrow()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
    }
    Ok(bounds)
}

impl Activity {
    /// An activity of `days` empty days from `first`, for a backend to fill in.
    pub fn empty(first: Date, days: u32) -> Activity {
        let days = std::iter::successors(Some(first), |d| d.tomorrow().ok())
            .take(days as usize)
            .map(|date| DayActivity {
                date,
                total: 0,
                channels: BTreeMap::new(),
            })
            .collect();
        Activity {
            days,
            outcomes: BTreeMap::new(),
        }
    }
}
