//! Notes: the account's notes, an engagement's notes, one note, and updating one.
//!
//! The store indexes no notes, so the account-wide list walks the completed engagements
//! newest first and takes their notes in order; a page token holds the engagement it
//! stopped in and how many of its notes were given.

use crate::auth::ZoomCaller;
use crate::engagement::load;
use crate::error::{ZoomError, ZoomResult, VALIDATION};
use crate::page_token::{self, fingerprint, Listing};
use crate::params::{one, page_size};
use crate::render;
use crate::scopes::op;
use crate::view::View;
use crate::{json_response, Zoom};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use interlog_http::auth::SubjectKind;
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::unique_keys::UniqueKeys;
use interlog_model::{is_valid_id, Engagement, State as Lifecycle};
use interlog_store::{
    EditRejected, Filter, Position, Query, Sort, SortDir, SortKey, Start, StoreError, Tenant,
};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

/// Engagements read per store call while walking for notes.
const BATCH: u32 = 500;
/// Engagements one request walks at most before answering with what it found (and a
/// token to go on), so one request's work stays bounded however sparse notes are.
const WALK_BUDGET: usize = 20_000;
const DEFAULT_SIZE: u32 = 30;
const MAX_SIZE: u32 = 300;

#[derive(Serialize)]
struct NotePage<'a> {
    next_page_token: String,
    page_size: u32,
    total_records: u64,
    notes: Vec<render::ZNote<'a>>,
}

fn walk_query(start: Start) -> Query {
    Query {
        filter: Filter {
            states: vec![Lifecycle::Completed],
            ..Filter::default()
        },
        sort: Sort {
            key: SortKey::StartedAt,
            dir: SortDir::Desc,
        },
        start,
        limit: BATCH,
        with_total: false,
        count_within: None,
    }
}

/// A cheap test on the stored JSON before parsing it: canonical JSON leaves out empty
/// lists, so an engagement without `"notes":[` has none.
fn may_have_notes(json: &str) -> bool {
    json.contains("\"notes\":[")
}

/// Every note of the account's completed engagements (one pass over them).
async fn count_all(state: &ApiState, tenant: &Tenant) -> ZoomResult<u64> {
    let mut start = Start::First;
    let mut n = 0u64;
    loop {
        let page = state.store.list(tenant, &walk_query(start)).await?;
        for item in page.items.iter().filter(|i| may_have_notes(&i.json)) {
            n += item
                .engagement()
                .map_err(|e| ZoomError::internal(&e))?
                .notes
                .len() as u64;
        }
        match page.next {
            Some(pos) if page.has_more => start = Start::After(pos),
            _ => return Ok(n),
        }
    }
}

/// Where the account-wide list goes on: after the engagement at `v`/`i`, of which `k`
/// notes were given; `d` notes given in all, of `n`.
#[derive(Serialize, Deserialize)]
struct AllNotesState {
    v: i64,
    i: String,
    k: usize,
    d: u64,
    n: u64,
}

async fn all_notes_inner(
    state: &ApiState,
    zoom: &Zoom,
    tenant: &Tenant,
    raw: Option<&str>,
) -> ZoomResult<Response> {
    let p = Params::parse(raw);
    let size = page_size(&p, DEFAULT_SIZE, MAX_SIZE)? as usize;
    let now = jiff::Timestamp::now().as_second();
    let fp = fingerprint(&["all-notes"]);
    let resume: Option<AllNotesState> = match one(&p, "next_page_token")? {
        Some(t) => Some(page_token::open(
            &state.signer,
            &tenant.key,
            Listing::Notes,
            &fp,
            now,
            t,
        )?),
        None => None,
    };
    let (total, delivered) = match &resume {
        Some(s) => (s.n, s.d),
        None => (count_all(state, tenant).await?, 0),
    };
    // Each engagement walked with notes, and the range of its notes this page gives.
    let mut out: Vec<(Engagement, Range<usize>)> = Vec::new();
    let mut taken = 0usize;
    // Where the next page starts: an engagement, and how many of its notes have been
    // given (`usize::MAX`: all of them, whatever their number).
    let mut cursor: Option<(Position, usize)> = None;
    let mut start = Start::First;
    if let Some(s) = &resume {
        let pos = Position {
            value: s.v,
            id: s.i.clone(),
        };
        cursor = Some((pos.clone(), usize::MAX));
        if let Some(e) = load(state, tenant, &s.i).await? {
            let from = s.k.min(e.notes.len());
            let to = from.saturating_add(size).min(e.notes.len());
            taken += to - from;
            cursor = Some((pos.clone(), to));
            out.push((e, from..to));
        }
        start = Start::After(pos);
    }
    let mut exhausted = false;
    let mut walked = 0usize;
    'walk: while taken < size && delivered + (taken as u64) < total {
        let page = state.store.list(tenant, &walk_query(start.clone())).await?;
        walked += page.items.len();
        for item in &page.items {
            if !may_have_notes(&item.json) {
                continue;
            }
            let e = item.engagement().map_err(|e| ZoomError::internal(&e))?;
            let given = (size - taken).min(e.notes.len());
            taken += given;
            let pos = Position {
                value: e.started_at.as_millisecond(),
                id: e.id.clone(),
            };
            cursor = Some((pos, given));
            out.push((e, 0..given));
            if taken == size {
                break 'walk;
            }
        }
        match page.next {
            Some(pos) if page.has_more => {
                cursor = Some((pos.clone(), usize::MAX));
                start = Start::After(pos);
                if walked >= WALK_BUDGET {
                    break;
                }
            }
            _ => {
                exhausted = true;
                break;
            }
        }
    }
    let given = delivered + taken as u64;
    let next = match cursor {
        Some((pos, k)) if !exhausted && given < total => page_token::seal(
            &state.signer,
            &tenant.key,
            Listing::Notes,
            &fp,
            now,
            zoom.config.page_token_ttl_secs,
            AllNotesState {
                v: pos.value,
                i: pos.id,
                k,
                d: given,
                n: total,
            },
        ),
        _ => String::new(),
    };
    let views: Vec<View> = out.iter().map(|(e, _)| View::of(e)).collect();
    let notes = views
        .iter()
        .zip(&out)
        .flat_map(|(v, (_, range))| {
            v.notes[range.clone()]
                .iter()
                .map(move |n| render::note(v, n, false))
        })
        .collect();
    to_json(&NotePage {
        next_page_token: next,
        page_size: size as u32,
        total_records: total,
        notes,
    })
}

fn to_json<T: Serialize>(value: &T) -> ZoomResult<Response> {
    let body = serde_json::to_vec(value).map_err(|e| ZoomError::internal(&e))?;
    Ok(json_response(StatusCode::OK, body))
}

pub async fn all_notes(
    caller: ZoomCaller<op::ListAllNotes>,
    State(state): State<ApiState>,
    Extension(zoom): Extension<Arc<Zoom>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = all_notes_inner(&state, &zoom, &caller.tenant, raw.as_deref()).await;
    caller.respond(result)
}

async fn engagement_notes_inner(
    state: &ApiState,
    zoom: &Zoom,
    tenant: &Tenant,
    id: &str,
    raw: Option<&str>,
) -> ZoomResult<Response> {
    let p = Params::parse(raw);
    let size = page_size(&p, DEFAULT_SIZE, MAX_SIZE)? as usize;
    let now = jiff::Timestamp::now().as_second();
    let fp = fingerprint(&["engagement-notes", id]);
    let offset: usize = match one(&p, "next_page_token")? {
        Some(t) => page_token::open(&state.signer, &tenant.key, Listing::Notes, &fp, now, t)?,
        None => 0,
    };
    let e = load(state, tenant, id)
        .await?
        .ok_or_else(|| ZoomError::no_engagement(id))?;
    let view = View::of(&e);
    let end = offset.saturating_add(size).min(view.notes.len());
    let page = view.notes.get(offset.min(end)..end).unwrap_or_default();
    let next = if end < e.notes.len() {
        page_token::seal(
            &state.signer,
            &tenant.key,
            Listing::Notes,
            &fp,
            now,
            zoom.config.page_token_ttl_secs,
            end,
        )
    } else {
        String::new()
    };
    to_json(&NotePage {
        next_page_token: next,
        page_size: size as u32,
        total_records: e.notes.len() as u64,
        notes: page.iter().map(|n| render::note(&view, n, false)).collect(),
    })
}

pub async fn engagement_notes(
    caller: ZoomCaller<op::ListNotes>,
    State(state): State<ApiState>,
    Extension(zoom): Extension<Arc<Zoom>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = engagement_notes_inner(&state, &zoom, &caller.tenant, &id, raw.as_deref()).await;
    caller.respond(result)
}

fn no_note(note_id: &str) -> ZoomError {
    ZoomError::new(
        StatusCode::NOT_FOUND,
        2701,
        format!("Note does not exist: {note_id}"),
    )
}

/// The note was not under the engagement named: Zoom's 2704 naming the engagement that has
/// it, or 2701. Notes are not indexed, so this walks the account's engagements; it runs
/// only on this error path.
async fn misplaced(state: &ApiState, tenant: &Tenant, note_id: &str) -> ZoomError {
    match find_note(state, tenant, note_id).await {
        Ok(Some(owner)) => ZoomError::new(
            StatusCode::BAD_REQUEST,
            2704,
            format!("The engagementId that matches this noteId is: {owner}."),
        ),
        Ok(None) => no_note(note_id),
        Err(e) => e,
    }
}

async fn find_note(state: &ApiState, tenant: &Tenant, note_id: &str) -> ZoomResult<Option<String>> {
    if !is_valid_id(note_id) {
        return Ok(None);
    }
    // Valid ids need no JSON escaping, so the id appears verbatim in the stored JSON.
    let needle = format!("\"id\":\"{note_id}\"");
    let mut start = Start::First;
    loop {
        let page = state.store.list(tenant, &walk_query(start)).await?;
        for item in page.items.iter().filter(|i| i.json.contains(&needle)) {
            let e = item.engagement().map_err(|e| ZoomError::internal(&e))?;
            if e.notes.iter().any(|n| n.id.as_deref() == Some(note_id)) {
                return Ok(Some(e.id));
            }
        }
        match page.next {
            Some(pos) if page.has_more => start = Start::After(pos),
            _ => return Ok(None),
        }
    }
}

async fn get_note_inner(
    state: &ApiState,
    tenant: &Tenant,
    id: &str,
    note_id: &str,
) -> ZoomResult<Response> {
    let e = load(state, tenant, id).await?;
    let Some(e) = e else {
        return Err(misplaced(state, tenant, note_id).await);
    };
    let view = View::of(&e);
    match view.notes.iter().find(|n| n.id.as_deref() == Some(note_id)) {
        Some(n) => to_json(&render::note(&view, n, true)),
        None => Err(misplaced(state, tenant, note_id).await),
    }
}

pub async fn get_note(
    caller: ZoomCaller<op::GetNote>,
    State(state): State<ApiState>,
    Path((id, note_id)): Path<(String, String)>,
) -> Response {
    let result = get_note_inner(&state, &caller.tenant, &id, &note_id).await;
    caller.respond(result)
}

const MISSING: &str = "missing";
const NOT_YOURS: &str = "not yours";

/// Applies a note update: the text changes and the note (and engagement) are stamped as
/// modified now by the caller. Read-only notes, and other users' notes for a user's
/// token, are refused (Zoom's 2702).
fn edit_note(
    e: &mut Engagement,
    note_id: &str,
    text: Option<&str>,
    who: &str,
    is_user: bool,
) -> Result<(), EditRejected> {
    if e.effective_state() != Lifecycle::Completed {
        return Err(EditRejected(MISSING.into()));
    }
    let Some(n) = e
        .notes
        .iter_mut()
        .find(|n| n.id.as_deref() == Some(note_id))
    else {
        return Err(EditRejected(MISSING.into()));
    };
    let foreign = is_user && n.author_id.as_deref().is_some_and(|a| a != who);
    if n.read_only || foreign {
        return Err(EditRejected(NOT_YOURS.into()));
    }
    let Some(text) = text else {
        return Ok(());
    };
    let now = jiff::Timestamp::now();
    n.text = text.to_owned();
    n.updated_at = Some(now);
    n.updated_by_id = Some(who.to_owned());
    n.updated_by_name = None;
    e.updated_at = Some(now);
    e.normalize();
    e.validate().map_err(|v| EditRejected(v.to_string()))
}

async fn update_note_inner(
    state: &ApiState,
    caller: &ZoomCaller<op::UpdateNote>,
    id: &str,
    note_id: &str,
    body: &[u8],
) -> ZoomResult<Response> {
    let doc: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice::<UniqueKeys>(body)
            .map_err(|e| match e.classify() {
                // Well-formed, but a key is given twice: say which.
                serde_json::error::Category::Data => ZoomError::field("body", e.to_string()),
                _ => ZoomError::bad_body(),
            })?
            .0
    };
    let obj = doc.as_object().ok_or_else(ZoomError::bad_body)?;
    let text = match obj.get("note") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ZoomError::field("note", "must be a string")),
    };
    let tenant = &caller.tenant;
    if !is_valid_id(id) || !is_valid_id(note_id) {
        return Err(misplaced(state, tenant, note_id).await);
    }
    let who = caller.claims.sub.clone();
    let is_user = caller.claims.kind == SubjectKind::User;
    let nid = note_id.to_owned();
    let edit =
        Box::new(move |e: &mut Engagement| edit_note(e, &nid, text.as_deref(), &who, is_user));
    match state.store.update(tenant, id, edit).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::NotFound) => Err(misplaced(state, tenant, note_id).await),
        Err(StoreError::Rejected(r)) if r.0 == MISSING => {
            Err(misplaced(state, tenant, note_id).await)
        }
        Err(StoreError::Rejected(r)) if r.0 == NOT_YOURS => Err(ZoomError::new(
            StatusCode::BAD_REQUEST,
            2702,
            "Note can not be updated. You can only update the note that belongs to you.",
        )),
        Err(StoreError::Rejected(r)) => {
            let mut e = ZoomError::new(StatusCode::BAD_REQUEST, VALIDATION, "Validation Failed.");
            e.errors.push(crate::error::FieldProblem {
                field: "note".into(),
                message: r.0,
            });
            Err(e)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn update_note(
    caller: ZoomCaller<op::UpdateNote>,
    State(state): State<ApiState>,
    Path((id, note_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = update_note_inner(&state, &caller, &id, &note_id, &body).await;
    caller.respond(result)
}
