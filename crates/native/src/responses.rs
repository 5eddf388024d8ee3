//! The error responses many operations share, said once for the OpenAPI document: the
//! refusals of the auth extractors (by the role an operation needs) and of a JSON body
//! ([`interlog_http::body::JsonBody`]). An operation lists its set first; a status it
//! says more of (a 404 naming its own resource) comes after and replaces the set's.

/// The refusals of an operation that needs a reader ([`interlog_http::auth::Reader`]):
/// every role reads, so none is refused for its role.
#[derive(utoipa::IntoResponses)]
pub enum ReaderRefusals {
    #[response(status = 401, description = "Missing, invalid or expired token")]
    Unauthorized,
    #[response(status = 404, description = "No such tenant for this token")]
    NotFound,
}

/// The refusals of an operation that needs an agent ([`interlog_http::auth::Agent`]).
#[derive(utoipa::IntoResponses)]
pub enum AgentRefusals {
    #[response(status = 401, description = "Missing, invalid or expired token")]
    Unauthorized,
    #[response(status = 403, description = "Needs the agent role")]
    Forbidden,
    #[response(status = 404, description = "No such tenant for this token")]
    NotFound,
}

/// The refusals of an operation that needs an admin ([`interlog_http::auth::Admin`]).
#[derive(utoipa::IntoResponses)]
pub enum AdminRefusals {
    #[response(status = 401, description = "Missing, invalid or expired token")]
    Unauthorized,
    #[response(status = 403, description = "Needs the admin role")]
    Forbidden,
    #[response(status = 404, description = "No such tenant for this token")]
    NotFound,
}

/// The refusals of a JSON request body ([`interlog_http::body::JsonBody`]).
#[derive(utoipa::IntoResponses)]
pub enum JsonBodyRefusals {
    #[response(
        status = 400,
        description = "The body is not JSON of the operation's shape (code malformed_body)"
    )]
    Malformed,
    #[response(
        status = 413,
        description = "The body is larger than the configured limit"
    )]
    TooLarge,
    #[response(status = 415, description = "The body is not declared as JSON")]
    NotJson,
}
