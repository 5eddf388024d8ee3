//! What the cases share: time, tenants, building engagements, reading them back, listing.

use crate::{
    sort_value, Filter, NewTenant, Page, Position, Query, Sort, SortDir, SortKey, Start, Store,
    StoredEngagement, Tenant, TimeRange, UpsertOutcome,
};
use interlog_model::{
    Channel, ChannelType, Direction, Disposition, Engagement, Outcome, Participant, QueueVisit,
    Role, State, Timestamp,
};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

// --- time -------------------------------------------------------------------------------

pub(super) const SECOND: i64 = 1_000;
pub(super) const MINUTE: i64 = 60 * SECOND;
pub(super) const HOUR: i64 = 60 * MINUTE;
pub(super) const DAY: i64 = 24 * HOUR;

/// How long a case waits for spawned work before calling the backend stuck.
pub(super) const TASK_DEADLINE: Duration = Duration::from_secs(120);

pub(super) fn ts(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {s:?}: {e}"))
}

/// `t` moved by `delta` milliseconds.
pub(super) fn plus(t: Timestamp, delta: i64) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond() + delta).expect("timestamp in range")
}
// --- tenants ------------------------------------------------------------------------------

/// A key no other tenant in this process (or, practically, this store) has.
pub(super) fn unique_key(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clock = Timestamp::now().as_nanosecond().rem_euclid(1 << 40);
    format!("{prefix}-{clock:x}-{n}")
}

pub(super) async fn new_tenant(
    store: &dyn Store,
    prefix: &str,
    country_code: Option<&str>,
) -> Tenant {
    store
        .create_tenant(NewTenant {
            key: unique_key(prefix),
            name: format!("Conformance {prefix}"),
            time_zone: "Europe/Dublin".into(),
            country_code: country_code.map(Into::into),
            aliases: Vec::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create_tenant({prefix}): {e:?}"))
}
// --- building engagements -----------------------------------------------------------------

/// Builds the engagements of a case, field by field. `build` leaves the engagement as
/// written (derived fields absent); `normalized` fills them in as ingest does.
#[derive(Debug, Clone)]
pub(super) struct Builder(pub(super) Engagement);

pub(super) fn eng(id: &str, started_at: Timestamp) -> Builder {
    Builder(Engagement {
        id: id.into(),
        started_at,
        ..Engagement::default()
    })
}

impl Builder {
    pub(super) fn ended(mut self, t: Timestamp) -> Self {
        self.0.ended_at = Some(t);
        self
    }

    /// Ends `ms` milliseconds after the start.
    pub(super) fn lasting(self, ms: i64) -> Self {
        let end = plus(self.0.started_at, ms);
        self.ended(end)
    }

    pub(super) fn updated(mut self, t: Timestamp) -> Self {
        self.0.updated_at = Some(t);
        self
    }

    pub(super) fn duration(mut self, ms: u64) -> Self {
        self.0.duration_ms = Some(ms);
        self
    }

    pub(super) fn state(mut self, s: State) -> Self {
        self.0.state = Some(s);
        self
    }

    pub(super) fn outcome(mut self, o: Outcome) -> Self {
        self.0.outcome = Some(o);
        self
    }

    pub(super) fn direction(mut self, d: Direction) -> Self {
        self.0.direction = Some(d);
        self
    }

    pub(super) fn channel(mut self, kind: ChannelType, source: &str) -> Self {
        self.0.channels.push(Channel {
            kind,
            id: None,
            source: Some(source.into()),
            media: None,
        });
        self
    }

    pub(super) fn queue(mut self, id: &str) -> Self {
        self.0.queues.push(QueueVisit::new(id));
        self
    }

    pub(super) fn team(mut self, team: &str) -> Self {
        self.0.team = Some(team.into());
        self
    }

    pub(super) fn subject(mut self, subject: &str) -> Self {
        self.0.subject = Some(subject.into());
        self
    }

    pub(super) fn agent(mut self, id: Option<&str>, email: Option<&str>) -> Self {
        let mut p = Participant::new(Role::Agent);
        p.id = id.map(Into::into);
        p.email = email.map(Into::into);
        self.0.participants.push(p);
        self
    }

    pub(super) fn participant(mut self, role: Role, email: &str) -> Self {
        let mut p = Participant::new(role);
        p.email = Some(email.into());
        self.0.participants.push(p);
        self
    }

    pub(super) fn customer_participant(
        mut self,
        email: Option<&str>,
        calling_number: Option<&str>,
    ) -> Self {
        let mut p = Participant::new(Role::Customer);
        p.email = email.map(Into::into);
        p.calling_number = calling_number.map(Into::into);
        self.0.participants.push(p);
        self
    }

    pub(super) fn phone(mut self, phone: &str) -> Self {
        self.0.customer.phones.push(phone.into());
        self
    }

    pub(super) fn email(mut self, email: &str) -> Self {
        self.0.customer.emails.push(email.into());
        self
    }

    pub(super) fn account(mut self, account: &str) -> Self {
        self.0.customer.account_ids.push(account.into());
        self
    }

    pub(super) fn custom(mut self, kind: &str, value: &str) -> Self {
        self.0
            .customer
            .custom
            .entry(kind.into())
            .or_default()
            .push(value.into());
        self
    }

    pub(super) fn contact(mut self, contact_id: &str) -> Self {
        self.0.customer.contact_id = Some(contact_id.into());
        self
    }

    pub(super) fn disposition(mut self, id: Option<&str>, name: Option<&str>) -> Self {
        self.0.dispositions.push(Disposition {
            id: id.map(Into::into),
            name: name.map(Into::into),
        });
        self
    }

    pub(super) fn data(mut self, key: &str, value: Value) -> Self {
        self.0.data.insert(key.into(), value);
        self
    }

    pub(super) fn build(self) -> Engagement {
        self.0
    }

    pub(super) fn normalized(self) -> Engagement {
        let mut e = self.0;
        e.normalize();
        e
    }
}

// --- reading back -------------------------------------------------------------------------

/// The engagement a stored item holds, checking that the item's id is the engagement's.
pub(super) fn parse(item: &StoredEngagement) -> Engagement {
    let e = item
        .engagement()
        .unwrap_or_else(|err| panic!("stored JSON of {} does not parse: {err}", item.id));
    assert_eq!(
        item.id, e.id,
        "a stored item's id must be its engagement's id"
    );
    e
}

pub(super) fn ids(items: &[StoredEngagement]) -> Vec<String> {
    items.iter().map(|i| i.id.clone()).collect()
}

pub(super) fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

pub(super) async fn get(store: &dyn Store, tenant: &Tenant, id: &str) -> Option<StoredEngagement> {
    store
        .get(tenant, id)
        .await
        .unwrap_or_else(|e| panic!("get({id}): {e:?}"))
}

pub(super) async fn get_engagement(store: &dyn Store, tenant: &Tenant, id: &str) -> Engagement {
    let item = get(store, tenant, id)
        .await
        .unwrap_or_else(|| panic!("engagement {id} should exist"));
    parse(&item)
}

pub(super) async fn count(store: &dyn Store, tenant: &Tenant, filter: &Filter) -> u64 {
    match store
        .count(tenant, filter, None)
        .await
        .unwrap_or_else(|e| panic!("count({filter:?}): {e:?}"))
    {
        crate::Total::Exact(n) => n,
        other => panic!("count({filter:?}) without a budget is exact, not {other:?}"),
    }
}

pub(super) async fn upsert(store: &dyn Store, tenant: &Tenant, e: Engagement) -> UpsertOutcome {
    let id = e.id.clone();
    store
        .upsert(tenant, e)
        .await
        .unwrap_or_else(|err| panic!("upsert({id}): {err:?}"))
}

/// Writes engagements that are all new, in batches.
pub(super) async fn insert_all(store: &dyn Store, tenant: &Tenant, engagements: Vec<Engagement>) {
    let mut rest = engagements;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(50));
        let n = rest.len();
        let outcomes = store
            .upsert_many(tenant, rest)
            .await
            .unwrap_or_else(|e| panic!("upsert_many: {e:?}"));
        assert_eq!(outcomes, vec![UpsertOutcome::Created; n], "new engagements");
        rest = tail;
    }
}

/// The stored engagements with these ids, as the store holds them (with `updated_at`
/// stamped and whatever else it filled in).
pub(super) async fn stored_all(
    store: &dyn Store,
    tenant: &Tenant,
    ids: &[String],
) -> Vec<Engagement> {
    let items = store
        .get_many(tenant, ids)
        .await
        .unwrap_or_else(|e| panic!("get_many: {e:?}"));
    assert_eq!(items.len(), ids.len(), "every engagement written is stored");
    items.iter().map(parse).collect()
}

// --- listing ------------------------------------------------------------------------------

pub(super) fn query(filter: Filter, sort: Sort, limit: u32) -> Query {
    Query {
        filter,
        sort,
        start: Start::First,
        limit,
        with_total: false,
        count_within: None,
    }
}

/// The instants from `from` (included) to `to` (excluded).
pub(super) fn range(from: Option<Timestamp>, to: Option<Timestamp>) -> TimeRange {
    TimeRange { from, to }
}

pub(super) fn sort_of(key: SortKey, dir: SortDir) -> Sort {
    Sort { key, dir }
}

/// The position a listing sorted by `key` gives `item`.
pub(super) fn position(item: &StoredEngagement, key: SortKey) -> Position {
    Position {
        value: sort_value(&parse(item), key),
        id: item.id.clone(),
    }
}

pub(super) fn assert_in_order(items: &[StoredEngagement], sort: Sort, context: &str) {
    let keys: Vec<(i64, String)> = items
        .iter()
        .map(|i| (sort_value(&parse(i), sort.key), i.id.clone()))
        .collect();
    for w in keys.windows(2) {
        let in_order = match sort.dir {
            SortDir::Asc => w[0] < w[1],
            SortDir::Desc => w[0] > w[1],
        };
        assert!(
            in_order,
            "{context}: {:?} is listed before {:?}, against {sort:?} (ties by id)",
            w[0], w[1]
        );
    }
}

/// Checks what every page with `limit > 0` must satisfy: at most `limit` items in order,
/// `has_more` exactly when there is a `next`, and when more follow, a full page whose `next`
/// is its last item's position.
pub(super) fn check_page(page: &Page, q: &Query, context: &str) {
    assert!(q.limit > 0);
    assert!(
        page.items.len() <= q.limit as usize,
        "{context}: {} items on a page of {}",
        page.items.len(),
        q.limit
    );
    assert_in_order(&page.items, q.sort, context);
    assert_eq!(
        page.has_more(),
        page.next.is_some(),
        "{context}: a page of items has more exactly when it has a `next` ({} items, next {:?})",
        page.items.len(),
        page.next
    );
    if let Some(next) = &page.next {
        assert_eq!(
            page.items.len(),
            q.limit as usize,
            "{context}: a page followed by more matches must be full"
        );
        let last = page.items.last().expect("a full page has a last item");
        assert_eq!(
            next,
            &position(last, q.sort.key),
            "{context}: `next` must be the position of the page's last item"
        );
    }
}

pub(super) async fn list(store: &dyn Store, tenant: &Tenant, q: &Query) -> Page {
    store
        .list(tenant, q)
        .await
        .unwrap_or_else(|e| panic!("list({q:?}): {e:?}"))
}

/// Every match of `query`, following `next` from its start until a page says nothing
/// follows.
pub(super) async fn list_all(
    store: &dyn Store,
    tenant: &Tenant,
    query: &Query,
) -> Vec<StoredEngagement> {
    let mut q = query.clone();
    let mut out: Vec<StoredEngagement> = Vec::new();
    for page_no in 0..10_000 {
        let context = format!(
            "page {page_no} of {:?} with limit {} ({:?})",
            q.sort, q.limit, q.filter
        );
        let page = list(store, tenant, &q).await;
        check_page(&page, &q, &context);
        out.extend(page.items);
        match page.next {
            Some(next) => q.start = Start::After(next),
            None => {
                assert_in_order(&out, q.sort, &format!("all pages of {context}"));
                return out;
            }
        }
    }
    panic!("a listing of {query:?} did not end after 10,000 pages");
}

pub(super) async fn list_all_ids(store: &dyn Store, tenant: &Tenant, query: &Query) -> Vec<String> {
    ids(&list_all(store, tenant, query).await)
}
// --- tasks ---------------------------------------------------------------------------------

pub(super) async fn join_all<T: Send + 'static>(
    handles: Vec<tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        let joined = tokio::time::timeout(TASK_DEADLINE, handle)
            .await
            .expect("a concurrent store call did not finish in time");
        out.push(joined.expect("a concurrent store call panicked"));
    }
    out
}
