//! Journeys: `journeys:search`, `journeys` (link identifiers into one customer),
//! `journeys:unlinkIdentifier` and `journeys:listAgents`.
//!
//! A customer's journey is every engagement whose customer identifiers match any identifier
//! linked with the ones searched for (phone numbers compared regardless of formatting),
//! newest first. With one identifier and no `conversation`/`channelIds` filter the store
//! pages it directly (its index of that identifier, newest first, with a count); otherwise
//! the journey is walked once, merging one keyset listing per identifier newest first and
//! applying the filters the store does not have, keeping only the requested page in memory.
//! `identifiers` is required: Avaya lists "Invalid input, 'Identifiers' must not be empty"
//! and a journey is a customer's. A search that matches nothing is 404 (a journey that is
//! not there); a page past the end of a journey is an empty page.

use crate::access::{Agent, Reader};
use crate::engagements::parse;
use crate::http::{self, accepted, ok, Pagination, Paging};
use crate::identity::{self, IdentifierList};
use crate::json::Json;
use crate::problem::{Api, AxpResult, Problem, Violation};
use crate::render::{self, Identifiers};
use crate::validate::Check;
use axum::http::HeaderMap;
use axum::response::Response;
use indexmap::IndexMap;
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::{Engagement, Role, Timestamp};
use interlog_store::terms::customer_key;
use interlog_store::{Filter, LinkedIdentifier, Query, Start, StoredEngagement, Tenant, TimeRange};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};

/// Engagements fetched per store call when walking a journey.
const WALK_PAGE: u32 = 200;

/// Every identifier linked with any of `values`, each once, in a stable order.
async fn linked(
    state: &ApiState,
    tenant: &Tenant,
    values: &[String],
) -> AxpResult<Vec<LinkedIdentifier>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for v in values {
        for l in state.store.linked_identifiers(tenant, v).await? {
            if seen.insert(l.key.clone()) {
                out.push(l);
            }
        }
    }
    Ok(out)
}

fn keys_of(linked: &[LinkedIdentifier]) -> Vec<String> {
    linked.iter().map(|l| l.key.clone()).collect()
}

/// What a journey walk reads of each engagement: its place in the order and what the
/// filters the store lacks look at.
#[derive(Deserialize)]
struct Head {
    id: String,
    started_at: Timestamp,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    channels: Vec<HeadChannel>,
    #[serde(default)]
    participants: Vec<HeadParticipant>,
}

#[derive(Deserialize)]
struct HeadChannel {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct HeadParticipant {
    #[serde(default)]
    channel_id: Option<String>,
}

/// One identifier's engagements, newest first, fetched a page at a time.
struct Stream {
    query: Query,
    buffer: VecDeque<(Head, StoredEngagement)>,
    done: bool,
}

impl Stream {
    async fn head(
        &mut self,
        state: &ApiState,
        tenant: &Tenant,
    ) -> AxpResult<Option<&(Head, StoredEngagement)>> {
        if self.buffer.is_empty() && !self.done {
            let page = state.store.list(tenant, &self.query).await?;
            for s in page.items {
                let head: Head = serde_json::from_str(&s.json).map_err(|e| {
                    Problem::server_error(Api::Journey, format!("stored engagement {}: {e}", s.id))
                })?;
                self.buffer.push_back((head, s));
            }
            match page.next {
                Some(pos) => self.query.start = Start::After(pos),
                None => self.done = true,
            }
        }
        Ok(self.buffer.front())
    }
}

/// Walks every engagement matching `filter` with any of `keys`, newest first, each once,
/// calling `visit` with it.
async fn walk(
    state: &ApiState,
    tenant: &Tenant,
    keys: &[String],
    filter: &Filter,
    mut visit: impl FnMut(&Head, StoredEngagement) -> AxpResult<()>,
) -> AxpResult<()> {
    let mut streams: Vec<Stream> = keys
        .iter()
        .map(|k| Stream {
            query: Query {
                filter: Filter {
                    customer: vec![k.clone()],
                    ..filter.clone()
                },
                limit: WALK_PAGE,
                ..Query::default()
            },
            buffer: VecDeque::new(),
            done: false,
        })
        .collect();
    let mut last: Option<(Timestamp, String)> = None;
    loop {
        let mut best: Option<(usize, Timestamp, String)> = None;
        for (i, s) in streams.iter_mut().enumerate() {
            if let Some((h, _)) = s.head(state, tenant).await? {
                let newer = best
                    .as_ref()
                    .is_none_or(|(_, t, id)| (h.started_at, &h.id) > (*t, id));
                if newer {
                    best = Some((i, h.started_at, h.id.clone()));
                }
            }
        }
        let Some((i, t, id)) = best else {
            return Ok(());
        };
        let Some((head, stored)) = streams[i].buffer.pop_front() else {
            return Ok(());
        };
        // The same engagement found through two identifiers comes out of both streams.
        if last.as_ref() == Some(&(t, id.clone())) {
            continue;
        }
        last = Some((t, id));
        visit(&head, stored)?;
    }
}

#[derive(Serialize)]
struct JourneyOut<'a> {
    pagination: Pagination,
    engagements: Vec<render::EngagementOut<'a>>,
    identifiers: Identifiers<'a>,
}

/// The filters of a search the store does not have.
struct Narrowing {
    conversation: Option<String>,
    channel_ids: Vec<String>,
}

impl Narrowing {
    fn is_empty(&self) -> bool {
        self.conversation.is_none() && self.channel_ids.is_empty()
    }

    fn admits(&self, h: &Head) -> bool {
        let conversation = self
            .conversation
            .as_ref()
            .is_none_or(|c| h.topics.iter().any(|t| t.eq_ignore_ascii_case(c)));
        let channel = self.channel_ids.is_empty()
            || h.channels
                .iter()
                .filter_map(|c| c.id.as_deref())
                .chain(
                    h.participants
                        .iter()
                        .filter_map(|p| p.channel_id.as_deref()),
                )
                .any(|id| self.channel_ids.iter().any(|w| w.eq_ignore_ascii_case(id)));
        conversation && channel
    }
}

/// Reads a `JourneyQuery`.
fn read_query(body: &Json) -> AxpResult<(IdentifierList, Filter, Narrowing)> {
    let mut c = Check::default();
    let ids = identity::parse(&mut c, body, true);
    if ids.as_ref().is_some_and(|l| identity::values(l).is_empty()) {
        c.push(Violation {
            field: "identifiers".into(),
            message: "Invalid input, 'Identifiers' must not be empty".into(),
            code: Some(crate::problem::NOT_NULL),
        });
    }
    let from = c.optional_date_time(body, "startDate", "startDate");
    let to = c.optional_date_time(body, "endDate", "endDate");
    let conversation = c.optional_string(body, "conversation", "conversation", 3, 256);
    let agent = c.optional_string(body, "agentId", "agentId", 3, 36);
    let channel_ids = c.string_list(body, "channelIds", (1, 10), (3, 20));
    if let Some(list) = &channel_ids {
        for (i, id) in list.iter().enumerate() {
            if list[..i].contains(id) {
                c.push(Violation::invalid(
                    format!("channelIds[{i}]"),
                    "must be unique",
                ));
            }
        }
    }
    http::check(c.violations)?;
    let filter = Filter {
        started: TimeRange {
            from,
            // Avaya's end is inclusive; the store's ranges are half-open.
            to: to.and_then(|t| t.checked_add(jiff::SignedDuration::from_millis(1)).ok()),
        },
        agents: agent.into_iter().collect(),
        ..Filter::default()
    };
    Ok((
        ids.unwrap_or_default(),
        filter,
        Narrowing {
            conversation,
            channel_ids: channel_ids.unwrap_or_default(),
        },
    ))
}

/// One page of a journey and the journey's size.
async fn page(
    state: &ApiState,
    tenant: &Tenant,
    keys: &[String],
    filter: Filter,
    narrowing: &Narrowing,
    paging: Paging,
) -> AxpResult<(u64, Vec<StoredEngagement>)> {
    if let ([key], true) = (keys, narrowing.is_empty()) {
        let q = Query {
            filter: Filter {
                customer: vec![key.clone()],
                ..filter
            },
            start: Start::Offset(paging.offset()),
            limit: paging.size as u32,
            ..Query::default()
        };
        let p = state.store.list(tenant, &q).await?;
        // A page that reaches the end tells the total; only others need a count.
        let total = if !p.has_more && !p.items.is_empty() {
            paging.offset() + p.items.len() as u64
        } else {
            state.store.count(tenant, &q.filter, None).await?.value()
        };
        return Ok((total, p.items));
    }
    let (first, end) = (paging.offset(), paging.offset().saturating_add(paging.size));
    let mut total = 0u64;
    let mut items = Vec::new();
    walk(state, tenant, keys, &filter, |h, s| {
        if narrowing.admits(h) {
            if (first..end).contains(&total) {
                items.push(s);
            }
            total += 1;
        }
        Ok(())
    })
    .await?;
    Ok((total, items))
}

pub async fn search(
    state: &ApiState,
    caller: &Reader,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let mut v = Vec::new();
    let paging = http::paging(&Params::parse(query), 50, 50, &mut v);
    http::check(v)?;
    let (given, filter, narrowing) = read_query(&http::object_body(headers, body)?)?;
    let tenant = &caller.tenant;
    let links = linked(state, tenant, &identity::values(&given)).await?;
    let keys = keys_of(&links);
    let (total, items) = page(state, tenant, &keys, filter, &narrowing, paging).await?;
    if total == 0 {
        return Err(Problem::not_found(Api::Journey));
    }
    let engagements: Vec<Engagement> = items.iter().map(parse).collect::<AxpResult<_>>()?;
    let identity = identity::merged(tenant, &given, &links);
    Ok(ok(&JourneyOut {
        pagination: Pagination::new(paging, total),
        engagements: engagements.iter().map(render::engagement).collect(),
        identifiers: render::identity(&identity),
    }))
}

/// `POST journeys` (`202`): links the identifiers into one customer, merging the customers
/// any of them already belonged to.
pub async fn link(
    state: &ApiState,
    caller: &Agent,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let ids = identity::parse(&mut c, &body, true);
    if ids.as_ref().is_some_and(|l| identity::values(l).is_empty()) {
        c.push(Violation::invalid(
            "identifiers",
            "Request has invalid input",
        ));
    }
    http::check(c.violations)?;
    let list = ids.unwrap_or_default();
    state
        .store
        .link_identifiers(&caller.tenant, &identity::typed(&list))
        .await?;
    Ok(accepted())
}

#[derive(Serialize)]
struct JourneyIdentity<'a> {
    identifiers: Identifiers<'a>,
}

/// `journeys:unlinkIdentifier` (`200`): takes one identifier out of its customer and
/// answers the identity that remains.
pub async fn unlink(
    state: &ApiState,
    caller: &Agent,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let ids = identity::parse(&mut c, &body, true);
    let target = match body.field("unlinkIdentifier") {
        None => {
            c.push(Violation::missing("unlinkIdentifier"));
            None
        }
        Some(u) => match u.as_object() {
            Some([(name, value)]) => c
                .string_value(value, &format!("unlinkIdentifier.{name}"), 1, 256)
                .map(|v| (name.clone(), v)),
            _ => {
                c.push(Violation::invalid(
                    "unlinkIdentifier",
                    "must be an object of exactly one identifier",
                ));
                None
            }
        },
    };
    http::check(c.violations)?;
    let (Some(given), Some((_, value))) = (ids, target) else {
        return Err(Problem::server_error(
            Api::Journey,
            "checked fields missing",
        ));
    };
    let tenant = &caller.tenant;
    state.store.unlink_identifier(tenant, &value).await?;
    let country = tenant.country_code.as_deref();
    let gone = customer_key(&value, country);
    let remaining: IdentifierList = given
        .into_iter()
        .map(|(name, values)| {
            let kept = values
                .into_iter()
                .filter(|v| customer_key(v, country) != gone)
                .collect();
            (name, kept)
        })
        .collect();
    let links: Vec<LinkedIdentifier> = linked(state, tenant, &identity::values(&remaining))
        .await?
        .into_iter()
        .filter(|l| l.key != gone)
        .collect();
    let identity = identity::merged(tenant, &remaining, &links);
    Ok(ok(&JourneyIdentity {
        identifiers: render::identity(&identity),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentOut {
    agent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_provider_id: Option<String>,
    left_at: Timestamp,
}

/// `journeys:listAgents`: the agents who handled the customer on a channel and have left,
/// one entry each (when they last left), ordered by `leftAt` (`orderBy`, default `desc`),
/// `pageSize` (1–10, default 1) of them. The channel is matched against the agent's
/// channel id or type, or the engagement's, ignoring case (Avaya's example sends `VOICE`).
/// `startDate` defaults to 30 days ago. 404 when the customer has no engagement at all.
pub async fn list_agents(
    state: &ApiState,
    caller: &Reader,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let params = Params::parse(query);
    let mut v = Vec::new();
    let size = http::paging(&params, 1, 10, &mut v).size;
    let ascending = match params.one("orderBy") {
        Ok(None) => false,
        Ok(Some(o)) if o.eq_ignore_ascii_case("desc") => false,
        Ok(Some(o)) if o.eq_ignore_ascii_case("asc") => true,
        _ => {
            v.push(Violation::invalid(
                "orderBy",
                "orderBy must have value 'asc' or 'desc'",
            ));
            false
        }
    };
    http::check(v)?;
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let ids = identity::parse(&mut c, &body, true);
    let channel = c.string(&body, "channelId", "channelId", 3, 50);
    let since = c.optional_date_time(&body, "startDate", "startDate");
    http::check(c.violations)?;
    let (Some(given), Some(channel)) = (ids, channel) else {
        return Err(Problem::server_error(
            Api::Journey,
            "checked fields missing",
        ));
    };
    let since = match since {
        Some(t) => t,
        None => Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(30 * 24))
            .map_err(|e| Problem::server_error(Api::Journey, e))?,
    };
    let tenant = &caller.tenant;
    let keys = keys_of(&linked(state, tenant, &identity::values(&given)).await?);
    // An engagement lasts at most 30 days (the model's limit), so one that started earlier
    // than that before `since` has no agent who left after it.
    let filter = Filter {
        started: TimeRange {
            from: since
                .checked_sub(jiff::SignedDuration::from_hours(30 * 24))
                .ok(),
            to: None,
        },
        ..Filter::default()
    };
    let mut any = false;
    let mut agents: IndexMap<String, AgentOut> = IndexMap::new();
    walk(state, tenant, &keys, &filter, |_, s| {
        any = true;
        collect_agents(&parse(&s)?, &channel, since, &mut agents);
        Ok(())
    })
    .await?;
    if !any && !known_customer(state, tenant, &keys).await? {
        return Err(Problem::not_found(Api::Journey));
    }
    let mut list: Vec<AgentOut> = agents.into_values().collect();
    list.sort_by(|a, b| {
        let o = a
            .left_at
            .cmp(&b.left_at)
            .then_with(|| a.agent_id.cmp(&b.agent_id));
        if ascending {
            o
        } else {
            o.reverse()
        }
    });
    list.truncate(size as usize);
    Ok(ok(&list))
}

/// Whether any engagement carries one of `keys`, at any time.
async fn known_customer(state: &ApiState, tenant: &Tenant, keys: &[String]) -> AxpResult<bool> {
    for k in keys {
        let q = Query {
            filter: Filter {
                customer: vec![k.clone()],
                ..Filter::default()
            },
            limit: 0,
            ..Query::default()
        };
        if state.store.list(tenant, &q).await?.has_more {
            return Ok(true);
        }
    }
    Ok(false)
}

fn collect_agents(
    e: &Engagement,
    channel: &str,
    since: Timestamp,
    out: &mut IndexMap<String, AgentOut>,
) {
    let on_channel = |id: Option<&str>, word: Option<&str>| {
        id.is_some_and(|i| i.eq_ignore_ascii_case(channel))
            || word.is_some_and(|w| w.eq_ignore_ascii_case(channel))
    };
    let engagement_channel = e
        .channels
        .iter()
        .any(|c| on_channel(c.id.as_deref(), Some(render::channel_word(c.kind))));
    for p in &e.participants {
        if !matches!(p.role, Role::Agent | Role::Supervisor) {
            continue;
        }
        let (Some(id), Some(left)) = (&p.id, p.left_at) else {
            continue;
        };
        if left < since {
            continue;
        }
        let own = p.channel_id.is_some() || p.channel_type.is_some();
        let matches = if own {
            on_channel(
                p.channel_id.as_deref(),
                p.channel_type.map(render::channel_word),
            )
        } else {
            engagement_channel
        };
        if !matches {
            continue;
        }
        let provider = e
            .transfers
            .iter()
            .find(|t| t.to_agent_id.as_deref() == Some(id.as_str()))
            .and_then(|t| t.channel_provider_id.clone());
        let entry = out.entry(id.clone()).or_insert(AgentOut {
            agent_id: id.clone(),
            channel_provider_id: None,
            left_at: left,
        });
        if left >= entry.left_at {
            entry.left_at = left;
            if provider.is_some() {
                entry.channel_provider_id = provider;
            }
        }
    }
}
