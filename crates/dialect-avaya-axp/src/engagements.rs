//! Engagements: Get, List (a bulk get by id), Create, `:update`, `:appendIdentifiers`, and
//! participants `:add` / `:remove`.
//!
//! Writes go through the same store as every other API, so they read back through every
//! dialect. Each write stamps `updated_at` (`:update` with its `timestamp`, when that is
//! later) and is applied atomically by the store.

use crate::access::{Agent, Reader};
use crate::http::{self, accepted, ok, Pagination};
use crate::identifiers::require_configured;
use crate::identity::{self, IdentifierList};
use crate::ingest::{parse_automation, parse_channel_type, parse_role};
use crate::json::Json;
use crate::problem::{Api, AxpResult, Problem, Violation};
use crate::render;
use crate::validate::{chars, uuid_field, Check};
use axum::http::HeaderMap;
use axum::response::Response;
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::{Engagement, Participant, Role, SourcePlatform, State, Timestamp};
use interlog_store::{EditRejected, StoredEngagement};
use serde::Serialize;

const IDS_MAX: usize = 50;

/// The engagement `id` of the caller's account (404 when there is none).
pub async fn read_engagement(state: &ApiState, caller: &Reader, id: &str) -> AxpResult<Engagement> {
    check_engagement_id(id)?;
    let stored = state
        .store
        .get(&caller.tenant, id)
        .await?
        .ok_or(Problem::not_found(Api::Journey))?;
    parse(&stored)
}

/// Parses a stored engagement; a failure means a corrupted store.
pub fn parse(stored: &StoredEngagement) -> AxpResult<Engagement> {
    stored.engagement().map_err(|e| {
        Problem::server_error(
            Api::Journey,
            format!("stored engagement {}: {e}", stored.id),
        )
    })
}

pub fn check_engagement_id(id: &str) -> AxpResult<()> {
    uuid_field("engagementId", id).map_err(|v| Problem::field(Api::Journey, v))
}

/// Applies `change` to a stored engagement atomically, stamps `updated_at` with the time of
/// the change (`at`, or now) unless the stored one is later, and checks the result against
/// the model's rules.
pub async fn edit<F>(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    at: Option<Timestamp>,
    change: F,
) -> AxpResult<StoredEngagement>
where
    F: Fn(&mut Engagement) -> Result<(), EditRejected> + Send + Sync + 'static,
{
    let stamp = at.unwrap_or_else(Timestamp::now);
    state
        .store
        .update(
            &caller.tenant,
            id,
            Box::new(move |e| {
                change(e)?;
                e.updated_at = Some(e.updated_at.map_or(stamp, |u| u.max(stamp)));
                e.normalize();
                e.validate().map_err(|v| EditRejected(v.to_string()))
            }),
        )
        .await
        .map_err(Problem::store)
}

pub async fn get_one(state: &ApiState, caller: &Reader, id: &str) -> AxpResult<Response> {
    let e = read_engagement(state, caller, id).await?;
    Ok(ok(&render::engagement(&e)))
}

#[derive(Serialize)]
struct ListOut<'a> {
    pagination: Pagination,
    engagements: Vec<render::EngagementOut<'a>>,
}

/// List Engagements: the engagements with the given ids, in their order, missing ones
/// skipped, paged; 404 when none is found.
pub async fn list(state: &ApiState, caller: &Reader, query: Option<&str>) -> AxpResult<Response> {
    let params = Params::parse(query);
    let mut v = Vec::new();
    let paging = http::paging(&params, 50, 50, &mut v);
    let ids: Vec<String> = params
        .all("engagementIds")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        v.push(Violation::missing("engagementIds"));
    } else if ids.len() > IDS_MAX {
        v.push(Violation::invalid(
            "engagementIds",
            "size must be between 1 and 50",
        ));
    } else {
        for (i, id) in ids.iter().enumerate() {
            if let Err(mut bad) = uuid_field("engagementIds", id) {
                bad.field = format!("engagementIds[{i}]");
                v.push(bad);
            } else if ids[..i].contains(id) {
                v.push(Violation::invalid(
                    format!("engagementIds[{i}]"),
                    "must be unique",
                ));
            }
        }
    }
    http::check(v)?;
    let found = state.store.get_many(&caller.tenant, &ids).await?;
    if found.is_empty() {
        return Err(Problem::not_found(Api::Journey));
    }
    let total = found.len() as u64;
    let page: Vec<Engagement> = found
        .iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(paging.size as usize)
        .map(parse)
        .collect::<AxpResult<_>>()?;
    Ok(ok(&ListOut {
        pagination: Pagination::new(paging, total),
        engagements: page.iter().map(render::engagement).collect(),
    }))
}

/// `conversations` of a create or update: 0–10 strings of 3–256 characters.
fn conversations(c: &mut Check, body: &Json) -> Option<Vec<String>> {
    c.string_list(body, "conversations", (0, 10), (3, 256))
}

/// `data` of a create or update: 0–20 string values of 3–1024 characters under keys of at
/// most 64, in the order given.
fn data(c: &mut Check, body: &Json) -> Option<Vec<(String, String)>> {
    let v = body.field("data")?;
    let Some(members) = v.as_object() else {
        c.push(Violation::invalid(
            "data",
            format!("must be an object, not {}", v.kind()),
        ));
        return None;
    };
    if members.len() > 20 {
        c.push(Violation::invalid("data", "size must be between 0 and 20"));
        return None;
    }
    let mut out = Vec::with_capacity(members.len());
    for (k, val) in members {
        if !(1..=64).contains(&chars(k)) {
            c.push(Violation::invalid(
                "data",
                format!("key {k:?} must be 1 to 64 characters"),
            ));
            continue;
        }
        if let Some(s) = c.string_value(val, &format!("data.{k}"), 3, 1024) {
            out.push((k.clone(), s));
        }
    }
    Some(out)
}

fn merge_data(e: &mut Engagement, data: Vec<(String, String)>) {
    for (k, v) in data {
        e.data.insert(k, serde_json::Value::String(v));
    }
}

/// Create Engagement (`202`). Takes `id`, `startDate`, `identifiers`, `conversations` and
/// `data`; Avaya marks the rest read-only, so other fields are ignored.
pub async fn create(
    state: &ApiState,
    caller: &Agent,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let id = c.uuid(&body, "id", "id");
    let started = c.date_time(&body, "startDate", "startDate");
    let ids = identity::parse(&mut c, &body, true);
    let topics = conversations(&mut c, &body);
    let data = data(&mut c, &body);
    if let Some(list) = &ids {
        require_configured(state.store.as_ref(), &caller.tenant, list, &mut c).await?;
    }
    http::check(c.violations)?;
    let (Some(id), Some(started_at), Some(list)) = (id, started, ids) else {
        return Err(Problem::server_error(
            Api::Journey,
            "checked fields missing",
        ));
    };
    let mut e = Engagement {
        id,
        source: Some(SourcePlatform::AvayaAxp),
        started_at,
        state: Some(State::Created),
        topics: topics.unwrap_or_default(),
        ..Engagement::default()
    };
    identity::append(
        &mut e.customer,
        &list,
        caller.tenant.country_code.as_deref(),
    );
    merge_data(&mut e, data.unwrap_or_default());
    e.normalize();
    e.validate()
        .map_err(|v| Problem::field(Api::Journey, Violation::invalid("body", v.to_string())))?;
    state.store.create(&caller.tenant, e).await?;
    Ok(accepted())
}

/// `:update` (`202`): `timestamp` (required) becomes `updateDate` when it is later; each
/// identifier type given replaces that type's values; `conversations` replaces the list;
/// `data` entries are added or replaced key by key.
pub async fn update(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let at = c.date_time(&body, "timestamp", "timestamp");
    let ids = identity::parse(&mut c, &body, false);
    let topics = conversations(&mut c, &body);
    let data = data(&mut c, &body);
    if let Some(list) = &ids {
        require_configured(state.store.as_ref(), &caller.tenant, list, &mut c).await?;
    }
    http::check(c.violations)?;
    edit(state, caller, id, at, move |e| {
        if let Some(list) = &ids {
            identity::replace(&mut e.customer, list);
        }
        if let Some(t) = &topics {
            e.topics = t.clone();
        }
        merge_data(e, data.clone().unwrap_or_default());
        Ok(())
    })
    .await?;
    Ok(accepted())
}

/// `:appendIdentifiers` (`202`): adds the identifiers the engagement does not have yet.
pub async fn append_identifiers(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let ids = identity::parse(&mut c, &body, true);
    if let Some(list) = &ids {
        require_configured(state.store.as_ref(), &caller.tenant, list, &mut c).await?;
    }
    http::check(c.violations)?;
    let list: IdentifierList = ids.unwrap_or_default();
    let country = caller.tenant.country_code.clone();
    edit(state, caller, id, None, move |e| {
        identity::append(&mut e.customer, &list, country.as_deref());
        Ok(())
    })
    .await?;
    Ok(accepted())
}

fn check_participant_id(id: &str) -> AxpResult<()> {
    if (1..=36).contains(&chars(id)) {
        Ok(())
    } else {
        Err(Problem::field(
            Api::Journey,
            Violation::invalid("participantId", "size must be between 1 and 36"),
        ))
    }
}

/// Reads a `Participant` body (its fields depend on its `type`).
fn read_participant(body: &Json, id: &str) -> AxpResult<Participant> {
    let mut c = Check::default();
    let kind = c.string(body, "type", "type", 1, 20);
    let role = match kind.as_deref() {
        Some(k @ ("EXTERNAL" | "AGENT" | "TREATMENT")) => Some(parse_role(k)),
        Some(_) => {
            c.push(Violation::invalid(
                "type",
                "type must EXTERNAL, AGENT or TREATMENT",
            ));
            None
        }
        None => None,
    };
    let dialog_id = c.uuid(body, "dialogId", "dialogId");
    let channel_id = c.string(body, "channelId", "channelId", 3, 50);
    let channel_type = c.string(body, "channelType", "channelType", 3, 50);
    let joined = c.date_time(body, "timestamp", "timestamp");
    let mut p = Participant {
        id: Some(id.to_owned()),
        joined_at: joined,
        dialog_id,
        channel_id,
        channel_type: channel_type.as_deref().map(parse_channel_type),
        ..Participant::new(role.unwrap_or(Role::Other))
    };
    match role {
        Some(Role::Customer) => {
            p.calling_number = c.string(body, "callingNumber", "callingNumber", 3, 256);
            p.dialled_number = c.string(body, "dialledNumber", "dialledNumber", 3, 256);
        }
        Some(Role::Agent) => p.extension = c.string(body, "extension", "extension", 3, 256),
        Some(_) => {
            let word = c.string(body, "automationType", "automationType", 1, 20);
            p.automation_type = word.as_deref().and_then(parse_automation);
            if word.is_some() && p.automation_type.is_none() {
                c.push(Violation::invalid(
                    "automationType",
                    "must be one of SELF_SERVICE, TREATMENT, CHATBOT",
                ));
            }
        }
        None => {}
    }
    http::check(c.violations)?;
    Ok(p)
}

/// `participants/{participantId}:add` (`202`): adds the participant, or replaces the one
/// with that id.
pub async fn add_participant(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    participant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    check_participant_id(participant)?;
    let p = read_participant(&http::object_body(headers, body)?, participant)?;
    edit(state, caller, id, None, move |e| {
        match e.participants.iter_mut().find(|q| q.id == p.id) {
            Some(existing) => *existing = p.clone(),
            None => e.participants.push(p.clone()),
        }
        Ok(())
    })
    .await?;
    Ok(accepted())
}

const NO_PARTICIPANT: &str = "no such participant";

/// `participants/{participantId}:remove` (`202`): the participant leaves (its `leftAt` is
/// set, to the body's optional `timestamp` or now); engagements are history, so the
/// participant stays listed. 404 when the engagement has no such participant.
pub async fn remove_participant(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    participant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    check_participant_id(participant)?;
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let at = c.optional_date_time(&body, "timestamp", "timestamp");
    http::check(c.violations)?;
    let pid = participant.to_owned();
    let result = edit(state, caller, id, None, move |e| {
        let p = e
            .participants
            .iter_mut()
            .find(|q| q.id.as_deref() == Some(pid.as_str()))
            .ok_or_else(|| EditRejected(NO_PARTICIPANT.into()))?;
        if p.left_at.is_none() {
            let left = at.unwrap_or_else(Timestamp::now);
            p.left_at = Some(p.joined_at.map_or(left, |j| left.max(j)));
        }
        Ok(())
    })
    .await;
    match result {
        Ok(_) => Ok(accepted()),
        Err(p)
            if p.violations
                .as_ref()
                .is_some_and(|v| v.iter().any(|x| x.message == NO_PARTICIPANT)) =>
        {
            Err(Problem::not_found(Api::Journey))
        }
        Err(p) => Err(p),
    }
}
