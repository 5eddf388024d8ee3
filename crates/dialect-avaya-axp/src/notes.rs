//! Agent notes: `GET …/agent-notes`, `POST …/agent-note` (one per engagement: a second is
//! 422), `PUT …/agent-note/{noteId}`, `DELETE …/agent-note/{agentNoteId}`.
//!
//! Notes are the engagement's canonical `notes`. New ones get 20-character ids (URL-safe
//! base64 of 15 random bytes), the length Avaya's note path parameters require; the author
//! is the token's subject and name. An unknown note id is 404, a read-only note 403.

use crate::access::{Agent, Reader};
use crate::engagements::{check_engagement_id, edit, parse};
use crate::http::{self, json, ok};
use crate::problem::{Api, AxpResult, Problem, Violation};
use crate::render;
use crate::validate::{chars, Check};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use interlog_http::ApiState;
use interlog_model::{Engagement, Note, Timestamp};
use interlog_store::EditRejected;
use rand::RngCore;
use serde::Serialize;

const NOTE_EXISTS: &str = "the engagement already has a note";
const NO_NOTE: &str = "no such note";
const READ_ONLY: &str = "the note is read-only";
const NOTE_ID_LEN: usize = 20;

/// A new note id: 20 URL-safe characters.
pub fn new_note_id() -> String {
    let mut bytes = [0u8; 15];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotesOut<'a> {
    agent_notes: Vec<render::NoteOut<'a>>,
}

/// The problem an edit's rejection stands for.
fn rejection(p: Problem, account: &str, id: &str) -> Problem {
    let reason = p
        .violations
        .as_ref()
        .and_then(|v| v.first())
        .map(|v| v.message.clone());
    match reason.as_deref() {
        Some(NOTE_EXISTS) => Problem::note_exists(account, id),
        Some(NO_NOTE) => Problem::not_found(Api::Journey),
        Some(READ_ONLY) => Problem::forbidden(Api::Journey),
        _ => p,
    }
}

fn note_text(headers: &HeaderMap, body: &[u8]) -> AxpResult<String> {
    let body = http::object_body(headers, body)?;
    let mut c = Check::default();
    let text = c.string(&body, "note", "note", 1, 512);
    http::check(c.violations)?;
    text.ok_or_else(|| Problem::server_error(Api::Journey, "checked field missing"))
}

fn check_note_id(name: &str, id: &str) -> AxpResult<()> {
    if chars(id) == NOTE_ID_LEN {
        Ok(())
    } else {
        Err(Problem::field(
            Api::Journey,
            Violation::invalid(name, format!("size must be exactly {NOTE_ID_LEN}")),
        ))
    }
}

fn find<'a>(e: &'a Engagement, note_id: &str) -> AxpResult<&'a Note> {
    e.notes
        .iter()
        .find(|n| n.id.as_deref() == Some(note_id))
        .ok_or(Problem::not_found(Api::Journey))
}

pub async fn list(state: &ApiState, caller: &Reader, id: &str) -> AxpResult<Response> {
    let e = crate::engagements::read_engagement(state, caller, id).await?;
    Ok(ok(&NotesOut {
        agent_notes: e.notes.iter().map(|n| render::note(n, &e.id)).collect(),
    }))
}

fn author(caller: &Agent) -> (String, String) {
    (
        caller.claims.sub.clone(),
        caller.claims.display_name().to_owned(),
    )
}

pub async fn create(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    let text = note_text(headers, body)?;
    let note_id = new_note_id();
    let (author_id, author_name) = author(caller);
    let new_id = note_id.clone();
    let stored = edit(state, caller, id, None, move |e| {
        if !e.notes.is_empty() {
            return Err(EditRejected(NOTE_EXISTS.into()));
        }
        e.notes.push(Note {
            id: Some(new_id.clone()),
            author_id: Some(author_id.clone()),
            author_name: Some(author_name.clone()),
            created_at: Some(Timestamp::now()),
            ..Note::new(text.clone())
        });
        Ok(())
    })
    .await
    .map_err(|p| rejection(p, &caller.account, id))?;
    let e = parse(&stored)?;
    let n = find(&e, &note_id)?;
    Ok(json(StatusCode::CREATED, &render::note(n, &e.id)))
}

/// Finds note `note_id` for an edit, refusing read-only notes.
fn editable<'a>(e: &'a mut Engagement, note_id: &str) -> Result<&'a mut Note, EditRejected> {
    let n = e
        .notes
        .iter_mut()
        .find(|n| n.id.as_deref() == Some(note_id))
        .ok_or_else(|| EditRejected(NO_NOTE.into()))?;
    if n.read_only {
        return Err(EditRejected(READ_ONLY.into()));
    }
    Ok(n)
}

pub async fn update(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    note_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    check_note_id("noteId", note_id)?;
    let text = note_text(headers, body)?;
    let (by_id, by_name) = author(caller);
    let nid = note_id.to_owned();
    let stored = edit(state, caller, id, None, move |e| {
        let n = editable(e, &nid)?;
        n.text = text.clone();
        n.updated_at = Some(Timestamp::now());
        n.updated_by_id = Some(by_id.clone());
        n.updated_by_name = Some(by_name.clone());
        Ok(())
    })
    .await
    .map_err(|p| rejection(p, &caller.account, id))?;
    let e = parse(&stored)?;
    let n = find(&e, note_id)?;
    Ok(ok(&render::note(n, &e.id)))
}

pub async fn delete(
    state: &ApiState,
    caller: &Agent,
    id: &str,
    note_id: &str,
) -> AxpResult<Response> {
    check_engagement_id(id)?;
    check_note_id("agentNoteId", note_id)?;
    let nid = note_id.to_owned();
    edit(state, caller, id, None, move |e| {
        editable(e, &nid)?;
        e.notes.retain(|n| n.id.as_deref() != Some(nid.as_str()));
        Ok(())
    })
    .await
    .map_err(|p| rejection(p, &caller.account, id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_ids_are_twenty_url_safe_characters() {
        let a = new_note_id();
        assert_eq!(a.len(), NOTE_ID_LEN);
        assert!(interlog_model::is_valid_id(&a));
        assert_ne!(a, new_note_id());
    }
}
