//! The behaviour every [`Store`] backend must have, as a suite of tests.
//!
//! A backend runs the whole suite from one integration test:
//!
//! ```text
//! // crates/store-sqlite/tests/conformance.rs
//! interlog_store::conformance_tests!(crate::fresh_store().await);
//! ```
//!
//! The macro expands to one `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`
//! per case, so the backend needs `tokio` (features `macros` and `rt-multi-thread`) as a
//! dev-dependency. The expression is evaluated once in every test, so each test gets a fresh,
//! empty store. It must give a [`Fixture`]: an `Arc<Backend>`, an `Arc<dyn Store>`, or a
//! guard of the backend's own (e.g. a store with its temporary directory) that implements
//! [`Fixture`]. The value lives until its test ends.
//!
//! Every case is also a plain `pub async fn` taking the store (`&dyn Store`, or
//! `Arc<dyn Store>` for the cases that spawn tasks), so a backend can call cases directly.
//! Each case creates its own tenants, with keys unique to the process.
//!
//! The cases live in one file per trait or capability they hold a backend to (`directory`,
//! `engagements`, `filters`, `paging`, `counts`, `isolation`, `concurrency`, `links`,
//! `records`, `settings`, `notifications`, `changes`, `activity`, `revocation`, `analytics`,
//! `names`),
//! on the vocabulary of `support`
//! (times, tenants, engagement builders, reading back, listing). The one list of cases that
//! every backend runs is [`conformance_tests!`](crate::conformance_tests), below.
//!
//! # Where the trait's documentation leaves a choice, the suite decides
//!
//! - Derived values count: filters and sorts use [`Engagement::effective_duration_ms`](interlog_model::Engagement::effective_duration_ms) (an
//!   explicit `duration_ms` wins over end minus start) and [`Engagement::effective_state`](interlog_model::Engagement::effective_state)
//!   (no state: `completed` once ended, else `active`), whether or not the engagement was
//!   normalized before it was written.
//! - An engagement without an end never matches a set `ended` range, and one without a
//!   duration never matches a duration bound, whatever sentinel the backend sorts them by.
//! - `channel_types` matches when any of the engagement's channels has one of the types.
//! - Ids, queue ids, teams, channel sources, dispositions and `data` values match exactly
//!   (case-sensitively); only emails and customer identifiers ignore case, as
//!   [`crate::terms`] computes them. Customer phone numbers are read with the tenant's
//!   country code, on both the stored and the searched side.
//! - `get_many` returns one item per requested id that exists, so a repeated id is repeated.
//! - A page with items has `has_more` exactly when it has `next`; such a page is full
//!   (`limit` items, unless its engagements reached the byte cap of a keyset page,
//!   [`ReadLimits::max_page_bytes`](crate::ReadLimits::max_page_bytes)) and `next` is the
//!   position of its last item, also for offset pages;
//!   following it with [`Start::After`](crate::Start::After) continues the listing. `total`, when asked for,
//!   counts every match, not only those after the start.
//! - A page with `limit: 0` has no items and no `next`; its `has_more` tells whether any
//!   match follows the start (for `First`, whether anything matches; for `Offset(n)`,
//!   whether more than `n` match; for `After(p)`, whether a match sorts after `p`).
//! - Tenant aliases are looked up exactly, and only in their own dialect's namespace.
//! - An upsert after a delete creates the engagement afresh (no tombstone makes it stale).
//! - `update` may or may not bump `updated_at`; the suite compares everything else.
//! - A client id is unique across tenants: a second client with a taken id is a
//!   [`StoreError::Conflict`](crate::StoreError::Conflict) even in another tenant.
//! - The tenant, client and user a `create_*` call returns equal what reads return later.

mod activity;
mod analytics;
mod changes;
mod concurrency;
mod counts;
mod directory;
mod engagements;
mod expressions;
mod filters;
mod isolation;
mod links;
mod names;
mod notifications;
mod paging;
mod records;
mod revocation;
mod search;
mod settings;
mod snapshots;
mod support;
mod upkeep;

pub use activity::*;
pub use analytics::*;
pub use changes::*;
pub use concurrency::*;
pub use counts::*;
pub use directory::*;
pub use engagements::*;
pub use expressions::*;
pub use filters::*;
pub use isolation::*;
pub use links::*;
pub use names::*;
pub use notifications::*;
pub use paging::*;
pub use records::*;
pub use revocation::*;
pub use search::*;
pub use settings::*;
pub use snapshots::*;
pub use upkeep::*;

use crate::Store;
use std::sync::Arc;

// --- the harness ---------------------------------------------------------------------------

/// What a backend's test hands the suite: one fresh, empty store.
pub trait Fixture {
    /// The store, for the cases that borrow it.
    fn store(&self) -> &dyn Store;
    /// A shared handle on the same store, for the cases that spawn tasks.
    fn shared(&self) -> Arc<dyn Store>;
}

impl<S: Store> Fixture for Arc<S> {
    fn store(&self) -> &dyn Store {
        &**self
    }

    fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(self) as Arc<dyn Store>
    }
}

impl Fixture for Arc<dyn Store> {
    fn store(&self) -> &dyn Store {
        &**self
    }

    fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(self)
    }
}

/// Expands to one `#[tokio::test]` per conformance case; each test evaluates `$fixture` (a
/// [`conformance::Fixture`](crate::conformance::Fixture)) to get a fresh store.
///
/// ```text
/// interlog_store::conformance_tests!(crate::fresh_store().await);
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (@borrowed ($fixture:expr) $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $fixture;
                $crate::conformance::$case($crate::conformance::Fixture::store(&fixture)).await;
            }
        )+
    };
    (@shared ($fixture:expr) $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $fixture;
                $crate::conformance::$case($crate::conformance::Fixture::shared(&fixture)).await;
            }
        )+
    };
    ($fixture:expr $(,)?) => {
        $crate::conformance_tests!(@borrowed ($fixture)
            identity_links_join_customers_and_unlink,
            settings_hold_connector_state_byte_for_byte_by_namespace,
            records_expire_and_take_once,
            tenants_are_created_found_listed_and_unique,
            clients_and_users_are_stored_and_scoped,
            upsert_round_trips_every_field,
            upsert_replays_are_idempotent_and_never_regress,
            upsert_many_reports_each_outcome_in_order,
            create_refuses_an_existing_id,
            update_applies_edits_atomically,
            get_many_keeps_order_and_skips_missing,
            delete_removes_from_every_read,
            filter_time_ranges_are_half_open,
            filter_states_outcomes_directions_and_channels,
            filter_queues_teams_and_dispositions,
            filter_agents_and_participant_emails,
            filter_customer_identifiers,
            filter_duration_bounds_are_inclusive,
            filter_data_pairs_must_all_match,
            filters_combine_with_and,
            filter_expressions_combine_with_and_or_not,
            filter_expressions_agree_with_the_in_memory_matcher,
            expressions_counted_by_days_agree_with_the_in_memory_matcher,
            full_text_finds_words_phrases_prefixes_and_identifiers,
            full_text_follows_every_write_and_deletion,
            full_text_counts_are_the_tenants_own,
            full_text_agrees_with_the_in_memory_matcher,
            sorts_break_ties_by_id_in_the_same_direction,
            keyset_paging_has_no_gaps_or_duplicates,
            offset_paging_matches_the_sorted_slice,
            keyset_paging_survives_concurrent_writes,
            tenants_are_isolated,
            oversized_filters_are_refused_as_invalid,
            the_change_feed_shows_each_write_once_at_its_latest_position,
            deletions_leave_tombstones_with_their_reason,
            tombstones_past_the_horizon_are_trimmed,
            notifications_reach_the_topics_subscribers,
            activity_counts_days_of_the_tenants_zone_by_channel_and_outcome,
            revocations_disable_enable_and_delete_subjects,
            deleting_a_tenant_removes_everything_it_holds,
            a_search_value_comes_back_after_its_last_reference_went,
            figures_follow_the_definitions,
            figures_cut_buckets_at_the_zones_days,
            figures_follow_every_write_and_deletion,
            figures_take_the_listings_filters,
            buckets_add_up_to_the_whole_range,
            queue_visits_are_the_figures_of_their_queues,
            queue_visits_follow_every_write_and_deletion,
            totals_follow_every_write,
            budgeted_totals_are_exact_or_a_lower_bound,
            a_store_checks_whole_after_every_write_and_a_rebuild_changes_no_answer,
            a_snapshot_is_consistent_with_its_feed_position,
            names_are_suggested_by_word_prefix_and_resolve_to_ids,
            names_follow_every_write_and_deletion,
            phones_are_found_by_their_last_digits,
        );
        $crate::conformance_tests!(@shared ($fixture)
            concurrent_upserts_are_all_durable,
            concurrent_updates_lose_no_edit,
            concurrent_writes_and_deletes_of_one_tenant_all_succeed,
            settings_are_per_tenant_and_edited_atomically,
            a_feed_reader_sees_every_concurrent_write_once_and_in_order,
        );
    };
}
