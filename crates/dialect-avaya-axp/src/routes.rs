//! The dialect's routes: one method router per path, as Avaya's OpenAPI documents list
//! them, and the handlers that take a request apart for its operation.
//!
//! Every journey handler's first extractor is the [`Account`] (in a [`Call`]), so that a
//! caller is let in (401, 400, 404) before anything about the operation is said: a custom method the path
//! does not have is then 404, another HTTP method 405, a body too large 413, and the role
//! (403) is asked last, by the operation's signature.

use crate::access::{Account, Axp};
use crate::custom_method::custom_methods;
use crate::http::{AxpBody, AxpPath, Resource};
use crate::problem::{Api, AxpResult, Problem};
use crate::{engagements, identifiers, journeys, notes, token, NAME};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
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

/// What every journey operation is given: the caller let into the account (extracted
/// first, see the module docs), the state, and the request's headers and query.
struct Call {
    account: Account,
    state: ApiState,
    headers: HeaderMap,
    query: Option<String>,
}

impl FromRequestParts<ApiState> for Call {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> AxpResult<Self> {
        Ok(Call {
            account: Account::from_request_parts(parts, state).await?,
            state: state.clone(),
            headers: parts.headers.clone(),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

/// `{accountId}` and one more path parameter.
type Ids = AxpPath<(String, String)>;

async fn list_engagements(call: Call) -> AxpResult<Response> {
    engagements::list(&call.state, &call.account.allow()?, call.query.as_deref()).await
}

async fn create_engagement(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    engagements::create(&call.state, &call.account.allow()?, &call.headers, &b).await
}

async fn get_engagement(call: Call, AxpPath((_, id)): Ids) -> AxpResult<Response> {
    engagements::get_one(&call.state, &call.account.allow()?, &id).await
}

async fn update_engagement(
    call: Call,
    AxpPath((_, Resource(id))): AxpPath<(String, Resource)>,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    engagements::update(&call.state, &call.account.allow()?, &id, &call.headers, &b).await
}

async fn append_identifiers(
    call: Call,
    AxpPath((_, Resource(id))): AxpPath<(String, Resource)>,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    engagements::append_identifiers(&call.state, &call.account.allow()?, &id, &call.headers, &b)
        .await
}

async fn list_notes(call: Call, AxpPath((_, id)): Ids) -> AxpResult<Response> {
    notes::list(&call.state, &call.account.allow()?, &id).await
}

async fn create_note(
    call: Call,
    AxpPath((_, id)): Ids,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    notes::create(&call.state, &call.account.allow()?, &id, &call.headers, &b).await
}

async fn update_note(
    call: Call,
    AxpPath((_, id, note)): AxpPath<(String, String, String)>,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    notes::update(
        &call.state,
        &call.account.allow()?,
        &id,
        &note,
        &call.headers,
        &b,
    )
    .await
}

async fn delete_note(
    call: Call,
    AxpPath((_, id, note)): AxpPath<(String, String, String)>,
) -> AxpResult<Response> {
    notes::delete(&call.state, &call.account.allow()?, &id, &note).await
}

async fn add_participant(
    call: Call,
    AxpPath((_, id, Resource(participant))): AxpPath<(String, String, Resource)>,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    let caller = call.account.allow()?;
    engagements::add_participant(&call.state, &caller, &id, &participant, &call.headers, &b).await
}

async fn remove_participant(
    call: Call,
    AxpPath((_, id, Resource(participant))): AxpPath<(String, String, Resource)>,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    let caller = call.account.allow()?;
    engagements::remove_participant(&call.state, &caller, &id, &participant, &call.headers, &b)
        .await
}

async fn list_identifiers(call: Call) -> AxpResult<Response> {
    identifiers::list(&call.state, &call.account.allow()?).await
}

async fn create_identifier(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    identifiers::create(&call.state, &call.account.allow()?, &call.headers, &b).await
}

async fn get_identifier(call: Call, AxpPath((_, id)): Ids) -> AxpResult<Response> {
    identifiers::get_one(&call.state, &call.account.allow()?, &id).await
}

async fn update_identifier(
    call: Call,
    AxpPath((_, id)): Ids,
    AxpBody(b): AxpBody,
) -> AxpResult<Response> {
    identifiers::update(&call.state, &call.account.allow()?, &id, &call.headers, &b).await
}

async fn link_journeys(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    journeys::link(&call.state, &call.account.allow()?, &call.headers, &b).await
}

async fn search_journeys(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    let q = call.query.as_deref();
    journeys::search(&call.state, &call.account.allow()?, q, &call.headers, &b).await
}

async fn unlink_identifier(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    journeys::unlink(&call.state, &call.account.allow()?, &call.headers, &b).await
}

async fn list_agents(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    let q = call.query.as_deref();
    journeys::list_agents(&call.state, &call.account.allow()?, q, &call.headers, &b).await
}

async fn delete_identifiers(call: Call, AxpBody(b): AxpBody) -> AxpResult<Response> {
    identifiers::delete(&call.state, &call.account.allow()?, &call.headers, &b).await
}
