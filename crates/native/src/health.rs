//! `GET /healthz` (the process answers) and `GET /readyz` (the store answers): open to
//! anyone, for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use interlog_http::{ApiState, Routes};

pub fn routes() -> Routes {
    Routes::new("native")
        .public("/healthz", get(|| async { "ok" }))
        .public("/readyz", get(readyz))
}

async fn readyz(State(state): State<ApiState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}
