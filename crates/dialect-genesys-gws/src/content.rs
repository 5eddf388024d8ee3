//! `POST /api/v2/ucs/interactions/{id}` with `GetInteractionContent`: answers a
//! `referenceId` and delivers a `GetInteractionContentMessage` with the interaction and,
//! when it has a transcript (chat, SMS and social sessions), its `messages`.

use crate::csrf::{self, Modifying};
use crate::envelope::{accepted, GwsError, GwsResult};
use crate::history::tenant_zone;
use crate::params::{self, Operation, Source};
use crate::render::{self, base_url, Interaction, RenderContext, TranscriptEntry};
use crate::shared::Gws;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use bytes::Bytes;
use interlog_http::ApiState;
use interlog_model::{is_valid_id, Engagement};
use jiff::Timestamp;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentMessage<'a> {
    reference_id: u64,
    message_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    interaction: Option<Interaction<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<TranscriptEntry<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

/// Whether `e` is in `source`: the archive holds what started before the hot window.
fn in_source(e: &Engagement, source: Source, gws: &Gws, tenant_key: &str, now: Timestamp) -> bool {
    let hot = jiff::SignedDuration::try_from(gws.config.hot_window_of(tenant_key))
        .unwrap_or(jiff::SignedDuration::MAX);
    let cutoff = now.checked_sub(hot).unwrap_or(Timestamp::MIN);
    match source {
        Source::Main => e.started_at >= cutoff,
        Source::Archive => e.started_at < cutoff,
    }
}

pub async fn post(
    Modifying(caller): Modifying,
    State(state): State<ApiState>,
    Extension(gws): Extension<Arc<Gws>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> GwsResult<Response> {
    let (_, p) = params::from_body(
        &body,
        &[Operation::GetInteractionContent],
        gws.config.max_size_limit,
    )?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let base = base_url(gws.config.base_url.as_deref(), host);
    let tenant = caller.tenant.clone();
    let g = gws.clone();
    let reference = gws
        .launch(state.store.clone(), caller.tenant.clone(), caller.session_key(), move |reference| async move {
            let message_type = "GetInteractionContentMessage";
            let failed = |message: String| ContentMessage {
                reference_id: reference,
                message_type,
                interaction: None,
                messages: None,
                error_message: Some(message),
            };
            let found = if is_valid_id(&id) {
                state
                    .store
                    .get(&tenant, &id)
                    .await
                    .map_err(GwsError::from)
                    .and_then(|s| s.map(|s| s.engagement().map_err(GwsError::internal)).transpose())
            } else {
                Ok(None)
            };
            let tz = tenant_zone(&tenant);
            let cx = RenderContext {
                base_url: &base,
                tz: &tz,
                custom_attributes: &[],
            };
            let found = found.map(|e| {
                e.filter(|e| in_source(e, p.source, &g, &tenant.key, Timestamp::now()))
            });
            let msg = match &found {
                Ok(Some(e)) => ContentMessage {
                    reference_id: reference,
                    message_type,
                    interaction: Some(render::interaction(e, &cx)),
                    messages: (!e.messages.is_empty()).then(|| {
                        e.messages
                            .iter()
                            .map(|m| render::transcript_entry(m, &tz))
                            .collect()
                    }),
                    error_message: None,
                },
                Ok(None) => failed(format!("Interaction {id} was not found")),
                Err(e) => {
                    if let Some(c) = &e.cause {
                        tracing::error!(cause = %c, "interaction content lookup failed");
                    }
                    failed(e.message.clone())
                }
            };
            serde_json::to_string(&msg).unwrap_or_else(|_| {
                format!(r#"{{"referenceId":{reference},"messageType":"{message_type}","errorMessage":"An internal error occurred"}}"#)
            })
        })
        .await?;
    let mut res = accepted(reference);
    csrf::decorate(&gws, &caller, &mut res);
    Ok(res)
}
