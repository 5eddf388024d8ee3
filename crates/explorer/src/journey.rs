//! `GET /ui/journey?customer=ID`: every engagement of a customer, found by any of the
//! identifiers linked with the one given: on a timeline (oldest on the left) and in a list
//! (newest first).

use crate::page::{self, Failure};
use crate::session::Session;
use crate::view::{self, zone};
use axum::extract::{Query as QueryString, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use interlog_http::cursor;
use interlog_http::ApiState;
use interlog_store::{Filter, Query, Sort, Start};
use serde::Deserialize;

/// Engagements a journey page shows (more are a click away).
const PAGE: u32 = 200;

#[derive(Deserialize)]
pub struct Params {
    customer: Option<String>,
    cursor: Option<String>,
}

pub async fn page(
    State(state): State<ApiState>,
    session: Session,
    QueryString(p): QueryString<Params>,
) -> Response {
    let given = p.customer.clone().unwrap_or_default();
    match render(&state, &session, p).await {
        Ok(res) => res,
        // The form stays, with the identifier given and why it was refused next to it.
        Err(f) if f.status == StatusCode::BAD_REQUEST => {
            let mut res = page::html(&page::Journey {
                chrome: session.chrome("journey"),
                customer: given,
                error: Some(if f.field.as_deref() == Some("customer") {
                    f.message
                } else {
                    f.text()
                }),
                journey: None,
            });
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        }
        Err(f) => f.within(session.chrome("")).into_response(),
    }
}

async fn render(state: &ApiState, session: &Session, p: Params) -> Result<Response, Failure> {
    let chrome = session.chrome("journey");
    let customer = p.customer.as_deref().map(str::trim).unwrap_or_default();
    if customer.is_empty() {
        return Ok(page::html(&page::Journey {
            chrome,
            customer: String::new(),
            error: None,
            journey: None,
        }));
    }
    if customer.len() > 1024 {
        return Err(Failure::field(
            "customer",
            format!("at most 1024 characters, not {}", customer.chars().count()),
        ));
    }
    let tenant = &session.tenant;
    let linked = state.store.linked_identifiers(tenant, customer).await?;
    let filter = Filter {
        customer: linked.iter().map(|l| l.key.clone()).collect(),
        ..Filter::default()
    };
    let sort = Sort::default();
    let start = match p.cursor.as_deref() {
        Some(c) => Start::After(cursor::decode(
            &state.signer,
            &tenant.key,
            &filter,
            &sort,
            c,
        )?),
        None => Start::First,
    };
    let query = Query {
        filter,
        sort,
        start,
        limit: PAGE,
        with_total: false,
        count_within: None,
    };
    let found = state.store.list(tenant, &query).await?;
    let engagements = found
        .items
        .iter()
        .map(|s| s.engagement())
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::internal)?;
    let next = found.next.as_ref().map(|pos| {
        let c = cursor::encode(&state.signer, &tenant.key, &query.filter, &query.sort, pos);
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("customer", customer)
            .append_pair("cursor", &c);
        format!("/ui/journey?{}", q.finish())
    });
    let identifiers = linked
        .into_iter()
        .map(|l| (l.kind.unwrap_or_else(|| "identifier".into()), l.value))
        .collect();
    let journey = view::journey(identifiers, &engagements, &zone(&tenant.time_zone), next);
    Ok(page::html(&page::Journey {
        chrome,
        customer: customer.to_owned(),
        error: None,
        journey: Some(journey),
    }))
}
