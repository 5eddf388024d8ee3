//! `GET /ui/connectors`: the tenant's connectors and where each stands (admins only, as in
//! the API). A small table for now; the explorer's overhaul will make more of it.

use crate::page::{self, Failure};
use crate::session::Session;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use interlog_http::connector::stored::{self, Phase};
use interlog_http::ApiState;
use interlog_store::ClientRole;

/// One connector as the page shows it.
pub struct ConnectorRow {
    pub id: String,
    pub kind: String,
    pub base_url: String,
    pub state: &'static str,
    pub cursor: String,
    pub lag: String,
    /// The last run's end, outcome and counts.
    pub last_run: String,
    pub totals: String,
    pub error: Option<String>,
    pub next_run: String,
}

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Backfilling => "backfilling",
        Phase::Live => "live",
        Phase::BackingOff => "backing off",
        Phase::Failing => "failing",
        Phase::Disabled => "disabled",
    }
}

/// Seconds as the largest whole unit (`42 s`, `7 min`, `3 h`, `12 d`).
fn lag(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

pub async fn page(State(state): State<ApiState>, session: Session) -> Response {
    render(&state, &session)
        .await
        .unwrap_or_else(|f| f.within(session.chrome("connectors")).into_response())
}

async fn render(state: &ApiState, session: &Session) -> Result<Response, Failure> {
    if !session.role.allows(ClientRole::Admin) {
        return Err(Failure::forbidden(
            "Connectors are managed by the tenant's admins.",
        ));
    }
    let tenant = &session.tenant;
    let now = jiff::Timestamp::now();
    let zone = crate::view::zone(&tenant.time_zone);
    let when = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .map(|t| {
                t.to_zoned(zone.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (id, d) in stored::definitions(state.store.as_ref(), tenant).await? {
        let s = stored::state(state.store.as_ref(), tenant, &id)
            .await?
            .unwrap_or_default();
        let st = stored::status(&d, &s, now);
        let counts = |c: &stored::Counts| {
            format!(
                "{} fetched, {} created, {} updated, {} unchanged, {} rejected",
                c.fetched, c.created, c.updated, c.unchanged, c.rejected
            )
        };
        rows.push(ConnectorRow {
            kind: d.kind.clone(),
            base_url: d.base_url.clone(),
            state: phase(st.state),
            cursor: st.cursor.as_deref().map(when).unwrap_or_default(),
            lag: st.lag_secs.map(lag).unwrap_or_default(),
            last_run: st
                .last_run
                .as_ref()
                .map(|r| {
                    format!(
                        "{} {}: {}",
                        r.ended_at.as_deref().map(when).unwrap_or_default(),
                        r.outcome.as_deref().unwrap_or(""),
                        counts(&r.counts)
                    )
                })
                .unwrap_or_default(),
            totals: counts(&st.totals),
            error: st
                .last_error
                .as_ref()
                .map(|e| format!("{}: {}", when(&e.at), e.message)),
            next_run: if st.state == Phase::Disabled {
                String::new()
            } else {
                when(&st.next_run_at)
            },
            id,
        });
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(page::html(&page::Connectors {
        chrome: session.chrome("connectors"),
        rows,
    }))
}
