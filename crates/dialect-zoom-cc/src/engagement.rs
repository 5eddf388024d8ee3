//! One engagement: get, events, recordings (list, delete, status, control) and survey.
//! Only completed engagements are visible, as on Zoom: any other answers as a missing one.

use crate::auth::ZoomCaller;
use crate::channels::VIDEO_SOURCES;
use crate::error::{ZoomError, ZoomResult};
use crate::page_token::{self, fingerprint, Listing};
use crate::params::{one, page_size};
use crate::render::{self, recording_start, Clock, Shape};
use crate::scopes::op;
use crate::time::{floor_second, render_utc, Window};
use crate::view::View;
use crate::{json_response, Zoom};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::params::Params;
use interlog_http::ApiState;
use interlog_model::time::parse_instant;
use interlog_model::{is_valid_id, ChannelType, Engagement, State as Lifecycle};
use interlog_store::{EditRejected, StoreError, Tenant};
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Serialize;
use std::sync::Arc;

/// The completed engagement `id` of the tenant.
pub async fn load(state: &ApiState, tenant: &Tenant, id: &str) -> ZoomResult<Option<Engagement>> {
    if !is_valid_id(id) {
        return Ok(None);
    }
    let Some(stored) = state.store.get(tenant, id).await? else {
        return Ok(None);
    };
    let e = stored.engagement().map_err(|e| ZoomError::internal(&e))?;
    Ok((e.effective_state() == Lifecycle::Completed).then_some(e))
}

async fn found(state: &ApiState, tenant: &Tenant, id: &str) -> ZoomResult<Engagement> {
    load(state, tenant, id)
        .await?
        .ok_or_else(|| ZoomError::no_engagement(id))
}

fn to_json<T: Serialize>(status: StatusCode, value: &T) -> ZoomResult<Response> {
    let body = serde_json::to_vec(value).map_err(|e| ZoomError::internal(&e))?;
    Ok(json_response(status, body))
}

/// Whether the engagement is a call (voice or video). One with no channel recorded gets the
/// benefit of the doubt.
fn is_call(e: &Engagement) -> bool {
    e.channels.is_empty()
        || e.channels.iter().any(|c| {
            matches!(
                c.kind,
                ChannelType::Voice | ChannelType::Video | ChannelType::Kiosk
            )
        })
}

pub async fn get(
    caller: ZoomCaller<op::GetEngagement>,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Response {
    let result = match found(&state, &caller.tenant, &id).await {
        Ok(e) => to_json(
            StatusCode::OK,
            &render::engagement(&View::of(&e), &Clock::utc(), Shape::Get),
        ),
        Err(err) => Err(err),
    };
    caller.respond(result)
}

#[derive(Serialize)]
struct Events<'a> {
    engagement_id: &'a str,
    /// Interlog holds no event timeline: Zoom's answer when there are none.
    events: [(); 0],
}

pub async fn events(
    caller: ZoomCaller<op::GetEvents>,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Response {
    let result = match found(&state, &caller.tenant, &id).await {
        Ok(e) if !is_call(&e) => Err(ZoomError::new(
            StatusCode::BAD_REQUEST,
            7001,
            "Only voice and video channels are currently supported.",
        )),
        Ok(e) => to_json(
            StatusCode::OK,
            &Events {
                engagement_id: &e.id,
                events: [],
            },
        ),
        Err(err) => Err(err),
    };
    caller.respond(result)
}

fn no_recordings(id: &str) -> ZoomError {
    ZoomError::new(
        StatusCode::NOT_FOUND,
        2805,
        format!("Engagement recordings does not exist or you do not have the corresponding operation authority: {id}."),
    )
}

/// The span of the default recordings window.
const DEFAULT_SPAN: SignedDuration = SignedDuration::from_hours(30 * 24);

/// An ISO 8601 instant with `Z` (UTC) or an offset, to the second.
fn instant(field: &'static str, v: &str) -> ZoomResult<Timestamp> {
    let b = v.as_bytes();
    let shaped = (b.len() == 20 && b[19] == b'Z') || (b.len() == 25 && b[22] == b':');
    shaped
        .then(|| parse_instant(v).ok())
        .flatten()
        .ok_or_else(|| {
            ZoomError::field(
                field,
                format!(
                    "must be yyyy-MM-dd'T'HH:mm:ss'Z' or yyyy-MM-dd'T'HH:mm:ss±HH:mm, not {v:?}"
                ),
            )
        })
}

/// The recordings window: `from`..`to` (inclusive to the second, at most a month), or the
/// past 30 days.
fn recordings_window(from: Option<&str>, to: Option<&str>, now: Timestamp) -> ZoomResult<Window> {
    let Some(from) = from else {
        if to.is_some() {
            return Err(ZoomError::field("from", "is required when to is given"));
        }
        let end = floor_second(now) + SignedDuration::from_secs(1);
        let start = end.checked_sub(DEFAULT_SPAN).unwrap_or(Timestamp::MIN);
        return Ok(Window { start, end });
    };
    let to = to.ok_or_else(|| ZoomError::field("to", "is required when from is given"))?;
    let start = instant("from", from)?;
    let end = instant("to", to)?
        .checked_add(SignedDuration::from_secs(1))
        .map_err(|_| ZoomError::field("to", "is outside the supported range of dates"))?;
    if end <= start {
        return Err(ZoomError::field("to", "must not be before from"));
    }
    let month = start
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(1.month())
        .map(|z| z.timestamp())
        .unwrap_or(end);
    Ok(Window {
        start,
        end: end.min(month),
    })
}

#[derive(Serialize)]
struct RecordingPage<'a> {
    next_page_token: String,
    page_size: u32,
    from: String,
    to: String,
    recordings: Vec<render::ZRecording<'a>>,
}

async fn list_recordings_inner(
    state: &ApiState,
    zoom: &Zoom,
    tenant: &Tenant,
    id: &str,
    raw: Option<&str>,
) -> ZoomResult<Response> {
    let p = Params::parse(raw);
    let size = page_size(&p, 30, 300)?;
    let channel_words = ["voice", "video"];
    let pick = |name: &str| -> ZoomResult<Option<&'static str>> {
        match one(&p, name)? {
            None => Ok(None),
            Some(v) => channel_words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(v))
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    ZoomError::field(name, format!("{v:?} is not one of: voice, video"))
                }),
        }
    };
    // `channel` replaces the deprecated `channel_type`, which is then not processed.
    let channel = match pick("channel")? {
        Some(c) => Some(c),
        None => pick("channel_type")?,
    };
    let from = one(&p, "from")?;
    let to = one(&p, "to")?;
    let token = one(&p, "next_page_token")?;
    let now = Timestamp::now();
    let fp = fingerprint(&[
        id,
        channel.unwrap_or(""),
        from.unwrap_or(""),
        to.unwrap_or(""),
    ]);
    // A token carries the offset, and the start of a default window (which moves with the
    // clock); an explicit window is read again from the unchanged `from` and `to`.
    let (window, offset) = match token {
        Some(t) => {
            let (o, default_start): (usize, Option<i64>) = page_token::open(
                &state.signer,
                &tenant.key,
                Listing::Recordings,
                &fp,
                now.as_second(),
                t,
            )?;
            let w = match default_start {
                Some(s) => {
                    let start = Timestamp::from_second(s)
                        .map_err(|_| ZoomError::field("next_page_token", "is damaged"))?;
                    Window {
                        start,
                        end: start.checked_add(DEFAULT_SPAN).unwrap_or(start),
                    }
                }
                None => recordings_window(from, to, now)?,
            };
            (w, o)
        }
        None => (recordings_window(from, to, now)?, 0),
    };
    let e = load(state, tenant, id)
        .await?
        .filter(|e| !e.recordings.is_empty())
        .ok_or_else(|| no_recordings(id))?;
    let view = View::of(&e);
    let matching: Vec<&interlog_model::Recording> = e
        .recordings
        .iter()
        .filter(|r| {
            let at = recording_start(&view, r);
            at >= window.start
                && at < window.end
                && channel.is_none_or(|c| render::recording_channel(&view, r.media) == Some(c))
        })
        .collect();
    let end = offset.saturating_add(size as usize).min(matching.len());
    let items = matching.get(offset.min(end)..end).unwrap_or_default();
    let next = if end < matching.len() {
        let default_start = from.is_none().then(|| window.start.as_second());
        page_token::seal(
            &state.signer,
            &tenant.key,
            Listing::Recordings,
            &fp,
            now.as_second(),
            zoom.config.page_token_ttl_secs,
            (end, default_start),
        )
    } else {
        String::new()
    };
    to_json(
        StatusCode::OK,
        &RecordingPage {
            next_page_token: next,
            page_size: size,
            from: render_utc(window.start),
            to: render_utc(window.last_second()),
            recordings: items.iter().map(|r| render::recording(&view, r)).collect(),
        },
    )
}

pub async fn list_recordings(
    caller: ZoomCaller<op::ListRecordings>,
    State(state): State<ApiState>,
    Extension(zoom): Extension<Arc<Zoom>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = list_recordings_inner(&state, &zoom, &caller.tenant, &id, raw.as_deref()).await;
    caller.respond(result)
}

pub async fn delete_recordings(
    caller: ZoomCaller<op::DeleteRecordings>,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let result = delete_recordings_inner(&state, &caller.tenant, &id, raw.as_deref()).await;
    caller.respond(result)
}

async fn delete_recordings_inner(
    state: &ApiState,
    tenant: &Tenant,
    id: &str,
    raw: Option<&str>,
) -> ZoomResult<Response> {
    let p = Params::parse(raw);
    if let Some(v) = one(&p, "delete_all_recordings")? {
        if !v.eq_ignore_ascii_case("true") {
            return Err(ZoomError::field(
                "delete_all_recordings",
                "the only accepted value is true",
            ));
        }
    }
    let missing = || {
        ZoomError::new(
            StatusCode::NOT_FOUND,
            2805,
            format!("Engagement recordings does not exist: {id}."),
        )
    };
    if !is_valid_id(id) {
        return Err(missing());
    }
    let edit = Box::new(|e: &mut Engagement| {
        if e.effective_state() != Lifecycle::Completed || e.recordings.is_empty() {
            return Err(EditRejected("no recordings".into()));
        }
        e.recordings.clear();
        e.updated_at = Some(Timestamp::now());
        Ok(())
    });
    match state.store.update(tenant, id, edit).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::NotFound | StoreError::Rejected(_)) => Err(missing()),
        Err(other) => Err(other.into()),
    }
}

#[derive(Serialize)]
struct StatusEntry {
    status: &'static str,
    last_modified_time: String,
}

#[derive(Serialize)]
struct RecordingStatus<'a> {
    statuses: Vec<StatusEntry>,
    engagement_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_source: Option<&'static str>,
}

fn wrong_channel(message: &str) -> ZoomError {
    ZoomError::new(StatusCode::BAD_REQUEST, 2814, message)
}

pub async fn recording_status(
    caller: ZoomCaller<op::RecordingStatus>,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Response {
    let result = match found(&state, &caller.tenant, &id).await {
        Ok(e) => status_of(&e),
        Err(err) => Err(err),
    };
    caller.respond(result)
}

/// A recording's history as Zoom's statuses: it started when it was made and stopped when
/// its duration ran out.
fn status_of(e: &Engagement) -> ZoomResult<Response> {
    if !is_call(e) {
        return Err(wrong_channel(
            "The engagement's channel type is invalid for this recording control command.",
        ));
    }
    if e.recordings.is_empty() {
        return Err(ZoomError::new(
            StatusCode::NOT_FOUND,
            2817,
            "There is no recording for this engagement.",
        ));
    }
    let mut statuses: Vec<(Timestamp, &'static str)> = Vec::new();
    for r in &e.recordings {
        let Some(start) = r.created_at else { continue };
        statuses.push((start, "start"));
        if let Some(ms) = r.duration_ms.and_then(|ms| i64::try_from(ms).ok()) {
            if let Ok(stop) = start.checked_add(SignedDuration::from_millis(ms)) {
                statuses.push((stop, "stop"));
            }
        }
    }
    statuses.sort_by_key(|(t, _)| *t);
    let video = e
        .channels
        .iter()
        .find(|c| matches!(c.kind, ChannelType::Video | ChannelType::Kiosk));
    let channel = match (video, e.channels.first()) {
        (Some(_), _) => Some("video"),
        (None, Some(c)) if c.kind == ChannelType::Voice => Some("voice"),
        _ => None,
    };
    let channel_source = video.and_then(|c| {
        if c.kind == ChannelType::Kiosk {
            return Some("kiosk_video");
        }
        VIDEO_SOURCES
            .iter()
            .copied()
            .find(|s| c.source.as_deref() == Some(*s))
    });
    to_json(
        StatusCode::OK,
        &RecordingStatus {
            statuses: statuses
                .into_iter()
                .map(|(t, status)| StatusEntry {
                    status,
                    last_modified_time: render_utc(t),
                })
                .collect(),
            engagement_id: &e.id,
            channel,
            channel_source,
        },
    )
}

pub async fn recording_control(
    caller: ZoomCaller<op::RecordingControl>,
    State(state): State<ApiState>,
    Path((id, command)): Path<(String, String)>,
) -> Response {
    let result: ZoomResult<Response> = if command != "pause" && command != "resume" {
        Err(ZoomError::field("command", "must be pause or resume"))
    } else {
        match found(&state, &caller.tenant, &id).await {
            Ok(e) if !is_call(&e) => Err(wrong_channel(
                "Cannot use this recording control command with this engagement's channel type.",
            )),
            // Interlog holds completed engagements only: none has a live session.
            Ok(_) => Err(ZoomError::new(
                StatusCode::NOT_FOUND,
                2816,
                "The system could not find the session for the engagement.",
            )),
            Err(err) => Err(err),
        }
    };
    caller.respond(result)
}

pub async fn survey(
    caller: ZoomCaller<op::GetSurvey>,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Response {
    let result: ZoomResult<Response> = match found(&state, &caller.tenant, &id).await {
        // Interlog holds no surveys: Zoom's answer for an engagement without one.
        Ok(_) => Err(ZoomError::new(
            StatusCode::NOT_FOUND,
            404,
            "The engagement does not trigger survey.",
        )),
        Err(err) => Err(err),
    };
    caller.respond(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_windows_default_to_thirty_days_and_read_offsets() {
        let now: Timestamp = "2024-05-31T10:00:00.5Z".parse().unwrap();
        let w = recordings_window(None, None, now).unwrap();
        assert_eq!(render_utc(w.start), "2024-05-01T10:00:01Z");
        assert_eq!(render_utc(w.last_second()), "2024-05-31T10:00:00Z");
        let w = recordings_window(
            Some("2023-01-01T00:00:00-08:00"),
            Some("2023-01-01T01:00:00-08:00"),
            now,
        )
        .unwrap();
        assert_eq!(render_utc(w.start), "2023-01-01T08:00:00Z");
        assert_eq!(render_utc(w.last_second()), "2023-01-01T09:00:00Z");
        let w = recordings_window(
            Some("2023-01-01T00:00:00Z"),
            Some("2023-06-01T00:00:00Z"),
            now,
        )
        .unwrap();
        assert_eq!(render_utc(w.end), "2023-02-01T00:00:00Z");
        for (f, t, field) in [
            (Some("2023-01-01"), Some("2023-01-02T00:00:00Z"), "from"),
            (Some("2023-01-01T00:00:00Z"), None, "to"),
            (None, Some("2023-01-01T00:00:00Z"), "from"),
            (
                Some("2023-01-02T00:00:00Z"),
                Some("2023-01-01T00:00:00Z"),
                "to",
            ),
        ] {
            assert_eq!(
                recordings_window(f, t, now).unwrap_err().errors[0].field,
                field
            );
        }
    }
}
