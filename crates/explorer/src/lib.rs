//! Interlog's web explorer at `/ui`: sign-in, the tenant's overview, a dashboard of the
//! contact-center figures, search with every native filter, an engagement's page, a
//! customer's journey, and (for admins) the tenant's connectors. Pages are rendered by the
//! server from templates compiled into the binary; the one stylesheet is embedded too, and
//! there is no JavaScript. Only the signed-in tenant's data is ever read.

mod connectors;
mod csv;
mod dashboard;
mod engagement;
mod journey;
mod overview;
mod page;
mod pickers;
mod search;
pub mod session;
mod view;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use interlog_http::{Api, Routes};

/// The API name of the explorer's routes (in metrics and the route list).
pub const NAME: &str = "ui";

/// The explorer, as the app serves it.
pub static API: Api = Api {
    name: NAME,
    routes: |_| Ok(routes()),
    ..Api::NONE
};

const STYLESHEET: &str = include_str!("../assets/explorer.css");

/// The explorer's routes.
pub fn routes() -> Routes {
    Routes::new(NAME)
        .public("/ui/login", get(session::login_page).post(session::login))
        .public("/ui/assets/explorer.css", get(stylesheet))
        // Only a redirect, to a page that asks for a session itself.
        .public("/ui/", get(|| async { Redirect::permanent("/ui") }))
        .route("/ui", get(overview::page))
        .route("/ui/dashboard", get(dashboard::page))
        .route("/ui/logout", post(session::logout))
        .route("/ui/engagements", get(search::page))
        .route("/ui/engagements/{id}", get(engagement::page))
        .route("/ui/journey", get(journey::page))
        .route("/ui/connectors", get(connectors::page))
        .route("/ui/engagements.csv", get(csv::download))
        // Any other address under /ui: the explorer's own "not found" page (in the signed-in
        // frame when there is a session), not the APIs' JSON.
        .public("/ui/{*rest}", get(not_found))
}

async fn not_found(
    axum::extract::State(state): axum::extract::State<interlog_http::ApiState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let f = page::Failure::not_found("There is no page at this address in the explorer.");
    match session::Session::find(&state, &headers).await {
        Ok(Some(s)) => f.within(s.chrome("")).into_response(),
        _ => f.into_response(),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
}
