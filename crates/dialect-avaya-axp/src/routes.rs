//! The dialect's routes: one method router per path, as Avaya's OpenAPI documents list
//! them, and the handlers that take a request apart for its operation.
//!
//! Every journey handler's first extractor is the [`Account`], so that a caller is let in
//! (401, 400, 404) before anything about the operation is said: a custom method the path
//! does not have is then 404, another HTTP method 405, a body too large 413, and the role
//! (403) is asked last, by the operation's signature.

use crate::access::{Account, Axp};
use crate::custom_method::custom_methods;
use crate::http::{AxpBody, AxpPath, Resource};
use crate::problem::{Api, AxpResult, Problem};
use crate::{engagements, identifiers, journeys, notes, token, NAME};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{any, get, post, put, MethodRouter};
use axum::Extension;
use interlog_http::{ApiState, Routes};

const BASE: &str = "/accounts/{accountId}";

/// The dialect's routes, with their own caches (one set per router). Paths under the two
/// prefixes that match no operation get Avaya's 404 problem.
pub fn routes() -> Routes {
    let r = |p: &str| format!("{BASE}{p}");
    let auth = Routes::new(NAME)
        .public(
            "/{accountId}/protocol/openid-connect/token",
            post(token::token).fallback(auth_method_not_allowed),
        )
        .public(
            "/{accountId}/protocol/openid-connect/revoke",
            post(token::revoke).fallback(auth_method_not_allowed),
        )
        .fallback(auth_not_found);
    let journey = Routes::new(NAME)
        .route(
            &r("/engagements"),
            journey(get(list_engagements).post(create_engagement)),
        )
        .route(
            &r("/engagements/{engagementId}"),
            custom_methods(
                [
                    ("{engagementId}", journey(get(get_engagement))),
                    ("{engagementId}:update", journey(post(update_engagement))),
                    (
                        "{engagementId}:appendIdentifiers",
                        journey(post(append_identifiers)),
                    ),
                ],
                any(unknown_method),
            ),
        )
        .route(
            &r("/engagements/{engagementId}/agent-notes"),
            journey(get(list_notes)),
        )
        .route(
            &r("/engagements/{engagementId}/agent-note"),
            journey(post(create_note)),
        )
        .route(
            &r("/engagements/{engagementId}/agent-note/{noteId}"),
            journey(put(update_note).delete(delete_note)),
        )
        .route(
            &r("/engagements/{engagementId}/participants/{participantId}"),
            custom_methods(
                [
                    ("{participantId}:add", journey(post(add_participant))),
                    ("{participantId}:remove", journey(post(remove_participant))),
                ],
                any(unknown_method),
            ),
        )
        .route(
            &r("/identifiers"),
            journey(get(list_identifiers).post(create_identifier)),
        )
        .route(
            &r("/identifiers/{identifierId}"),
            journey(get(get_identifier).put(update_identifier)),
        )
        .route(
            &r("/{segment}"),
            custom_methods(
                [
                    ("journeys", journey(post(link_journeys))),
                    ("journeys:search", journey(post(search_journeys))),
                    (
                        "journeys:unlinkIdentifier",
                        journey(post(unlink_identifier)),
                    ),
                    ("journeys:listAgents", journey(post(list_agents))),
                    ("identifiers:delete", journey(post(delete_identifiers))),
                ],
                any(unknown_method),
            ),
        )
        .fallback(journey_not_found);
    Routes::new(NAME)
        .nest("/api/auth/v1", auth)
        .nest("/api/journey/v1", journey)
        .layer(Extension(Axp::default()))
}

/// A journey path's operations; any other method is Avaya's 405, once the caller is let in.
fn journey(operations: MethodRouter<ApiState>) -> MethodRouter<ApiState> {
    operations.fallback(method_not_allowed)
}

async fn method_not_allowed(_: Account) -> Problem {
    Problem::method_not_allowed(Api::Journey)
}

async fn unknown_method(_: Account) -> Problem {
    Problem::not_found(Api::Journey)
}

async fn journey_not_found() -> Problem {
    Problem::not_found(Api::Journey)
}

async fn auth_method_not_allowed() -> Problem {
    Problem::method_not_allowed(Api::Auth)
}

async fn auth_not_found() -> Problem {
    Problem::not_found(Api::Auth)
}

/// `{accountId}` and one more path parameter.
type Ids = AxpPath<(String, String)>;

async fn list_engagements(
    account: Account,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> AxpResult<Response> {
    engagements::list(&state, &account.allow()?, query.as_deref()).await
}

async fn create_engagement(
    account: Account,
    State(state): State<ApiState>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    engagements::create(&state, &account.allow()?, &headers, &b).await
}

async fn get_engagement(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id)): Ids,
) -> AxpResult<Response> {
    engagements::get_one(&state, &account.allow()?, &id).await
}

async fn update_engagement(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, Resource(id))): AxpPath<(String, Resource)>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    engagements::update(&state, &account.allow()?, &id, &headers, &b).await
}

async fn append_identifiers(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, Resource(id))): AxpPath<(String, Resource)>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    engagements::append_identifiers(&state, &account.allow()?, &id, &headers, &b).await
}

async fn list_notes(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id)): Ids,
) -> AxpResult<Response> {
    notes::list(&state, &account.allow()?, &id).await
}

async fn create_note(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id)): Ids,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    notes::create(&state, &account.allow()?, &id, &headers, &b).await
}

async fn update_note(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id, note)): AxpPath<(String, String, String)>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    notes::update(&state, &account.allow()?, &id, &note, &headers, &b).await
}

async fn delete_note(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id, note)): AxpPath<(String, String, String)>,
) -> AxpResult<Response> {
    notes::delete(&state, &account.allow()?, &id, &note).await
}

async fn add_participant(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id, Resource(participant))): AxpPath<(String, String, Resource)>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    let caller = account.allow()?;
    engagements::add_participant(&state, &caller, &id, &participant, &headers, &b).await
}

async fn remove_participant(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id, Resource(participant))): AxpPath<(String, String, Resource)>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    let caller = account.allow()?;
    engagements::remove_participant(&state, &caller, &id, &participant, &headers, &b).await
}

async fn list_identifiers(account: Account, State(state): State<ApiState>) -> AxpResult<Response> {
    identifiers::list(&state, &account.allow()?).await
}

async fn create_identifier(
    account: Account,
    State(state): State<ApiState>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    identifiers::create(&state, &account.allow()?, &headers, &b).await
}

async fn get_identifier(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id)): Ids,
) -> AxpResult<Response> {
    identifiers::get_one(&state, &account.allow()?, &id).await
}

async fn update_identifier(
    account: Account,
    State(state): State<ApiState>,
    AxpPath((_, id)): Ids,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    identifiers::update(&state, &account.allow()?, &id, &headers, &b).await
}

async fn link_journeys(
    account: Account,
    State(state): State<ApiState>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    journeys::link(&state, &account.allow()?, &headers, &b).await
}

async fn search_journeys(
    account: Account,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    journeys::search(&state, &account.allow()?, query.as_deref(), &headers, &b).await
}

async fn unlink_identifier(
    account: Account,
    State(state): State<ApiState>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    journeys::unlink(&state, &account.allow()?, &headers, &b).await
}

async fn list_agents(
    account: Account,
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    journeys::list_agents(&state, &account.allow()?, query.as_deref(), &headers, &b).await
}

async fn delete_identifiers(
    account: Account,
    State(state): State<ApiState>,
    headers: HeaderMap,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    identifiers::delete(&state, &account.allow()?, &headers, &b).await
}
