//! Daily activity counts ([`crate::Engagements::activity`]).

use super::support::*;
use crate::{Activity, Store, StoreError};
use interlog_model::{ChannelType, Outcome};
use std::collections::BTreeMap;

pub async fn activity_counts_days_of_the_tenants_zone_by_channel_and_outcome(store: &dyn Store) {
    // Europe/Dublin leaves summer time on 2024-10-27 at 02:00, so that day is 25 hours
    // long: from 2024-10-26T23:00Z to 2024-10-28T00:00Z.
    let t = new_tenant(store, "activity", None).await;
    let other = new_tenant(store, "activity-other", None).await;
    let day = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
    let e = |id: &str, at: &str| eng(id, ts(at)).lasting(MINUTE);
    insert_all(
        store,
        &t,
        vec![
            e("before", "2024-10-25T22:59:59.999Z")
                .channel(ChannelType::Voice, "pstn")
                .normalized(),
            e("last-ms-of-26th", "2024-10-26T22:59:59.999Z")
                .channel(ChannelType::Voice, "pstn")
                .outcome(Outcome::Successful)
                .normalized(),
            e("first-ms-of-27th", "2024-10-26T23:00:00Z")
                .channel(ChannelType::Voice, "pstn")
                .channel(ChannelType::Chat, "web_chat")
                .outcome(Outcome::Unsuccessful)
                .normalized(),
            e("hour-25-of-27th", "2024-10-27T23:30:00Z")
                .channel(ChannelType::Voice, "pstn")
                .channel(ChannelType::Voice, "sip")
                .normalized(),
            e("no-channel", "2024-10-28T00:00:00Z")
                .outcome(Outcome::Successful)
                .normalized(),
            e("email", "2024-10-28T23:59:59.999Z")
                .channel(ChannelType::Email, "email_address")
                .outcome(Outcome::Successful)
                .normalized(),
            e("after", "2024-10-30T00:00:00Z")
                .channel(ChannelType::Sms, "sms")
                .normalized(),
        ],
    )
    .await;
    insert_all(
        store,
        &other,
        vec![e("elsewhere", "2024-10-27T12:00:00Z")
            .channel(ChannelType::Video, "app")
            .outcome(Outcome::Unsuccessful)
            .normalized()],
    )
    .await;

    // `after_edit`: the email engagement deleted, the 25th-hour one moved to chat.
    let expected = |after_edit: bool| {
        let mut a = Activity::empty(day("2024-10-26"), 4);
        a.days[0].total = 1;
        a.days[0].channels = BTreeMap::from([(ChannelType::Voice, 1)]);
        a.days[1].total = 2;
        a.days[1].channels = if after_edit {
            BTreeMap::from([(ChannelType::Voice, 1), (ChannelType::Chat, 2)])
        } else {
            BTreeMap::from([(ChannelType::Voice, 2), (ChannelType::Chat, 1)])
        };
        if after_edit {
            a.days[2].total = 1;
        } else {
            a.days[2].total = 2;
            a.days[2].channels = BTreeMap::from([(ChannelType::Email, 1)]);
        }
        a.outcomes = BTreeMap::from([
            (Some(Outcome::Successful), if after_edit { 2 } else { 3 }),
            (Some(Outcome::Unsuccessful), 1),
            (None, 1),
        ]);
        a
    };
    let t = &t;
    let activity =
        |first: &'static str, days: u32| async move { store.activity(t, day(first), days).await };
    let got = activity("2024-10-26", 4).await.unwrap();
    assert_eq!(
        got.days.iter().map(|d| d.date).collect::<Vec<_>>(),
        [
            day("2024-10-26"),
            day("2024-10-27"),
            day("2024-10-28"),
            day("2024-10-29")
        ],
        "every day asked for, empty ones too"
    );
    assert_eq!(got, expected(false));

    // Counts follow writes: a changed channel moves, a deleted engagement goes.
    assert!(store.delete(t, "email").await.unwrap());
    store
        .upsert(
            t,
            e("hour-25-of-27th", "2024-10-27T23:30:00Z")
                .channel(ChannelType::Chat, "web_chat")
                .updated(ts("2030-01-01T00:00:00Z"))
                .normalized(),
        )
        .await
        .unwrap();
    assert_eq!(activity("2024-10-26", 4).await.unwrap(), expected(true));

    // One day alone, and the limits on the number of days.
    let one = activity("2024-10-27", 1).await.unwrap();
    assert_eq!(one.days.len(), 1);
    assert_eq!(one.days[0].total, 2);
    for days in [0, crate::MAX_ACTIVITY_DAYS + 1] {
        assert!(
            matches!(
                activity("2024-10-26", days).await,
                Err(StoreError::Invalid(_))
            ),
            "{days} days"
        );
    }
    let _ = store.activity(&other, day("2024-10-27"), 1).await.unwrap();
}
