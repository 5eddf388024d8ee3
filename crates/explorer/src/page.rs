//! The pages' templates (in `templates/`, compiled into the binary) and the error page.

use crate::view::{ChartView, EngagementView, JourneyView, OutcomeRow, Row, SearchForm};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use interlog_http::{ApiError, ErrorKind};
use interlog_store::StoreError;

/// What every signed-in page shows in its header.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tenant: String,
    pub tenant_name: String,
    pub time_zone: String,
    pub user: String,
    pub role: &'static str,
    pub csrf: String,
    /// The navigation entry of this page.
    pub here: &'static str,
}

/// A rendered page, with the headers every explorer page carries.
pub fn html<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(body) => {
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::HeaderName::from_static("content-security-policy"),
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            h.insert(
                header::HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::HeaderName::from_static("referrer-policy"),
                HeaderValue::from_static("same-origin"),
            );
            res
        }
        Err(e) => Failure::internal(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    pub csrf: String,
    pub next: String,
    pub tenant: String,
    pub username: String,
    pub client_id: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct Overview {
    pub chrome: Chrome,
    pub form: crate::overview::RangeForm,
    /// The days' figures (none when the range was refused).
    pub view: Option<OverviewView>,
}

pub struct OverviewView {
    pub last: String,
    pub total: u64,
    /// What `total` and the chart count, said plainly.
    pub counted: String,
    /// The queue chosen, whose visits the chart draws.
    pub queue: Option<String>,
    /// The dashboard of the same range (and queue).
    pub dashboard: String,
    pub chart: ChartView,
    pub outcomes: Vec<OutcomeRow>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct Search {
    pub chrome: Chrome,
    pub form: SearchForm,
    pub rows: Vec<Row>,
    /// Where the page is and the links to the others (none when the search was refused).
    pub paging: Option<Paging>,
    /// The download of the whole search as CSV.
    pub csv: String,
    /// The search itself, from its first page: the URL to keep or share (a saved search).
    pub link: String,
    /// The names its name-taking fields suggest.
    pub pickers: crate::pickers::Pickers,
}

/// A page's place in its search: rows `from`–`to` of `total`, and the links either side.
pub struct Paging {
    pub from: u64,
    pub to: u64,
    pub total: u64,
    /// The total is a lower bound: counting took longer than the server allows.
    pub at_least: bool,
    pub first: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "engagement.html")]
pub struct Engagement {
    pub chrome: Chrome,
    pub e: EngagementView,
}

#[derive(Template)]
#[template(path = "journey.html")]
pub struct Journey {
    pub chrome: Chrome,
    pub customer: String,
    /// Why the identifier given was refused, shown next to its field.
    pub error: Option<String>,
    pub journey: Option<JourneyView>,
}

#[derive(Template)]
#[template(path = "connectors.html")]
pub struct Connectors {
    pub chrome: Chrome,
    pub rows: Vec<crate::connectors::ConnectorRow>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Option<Chrome>,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

/// Why a page could not be shown: rendered as an HTML error page. Server-side causes are
/// logged, never shown.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// The request parameter the message is about, if one: a form shows the message next
    /// to that field, under the field's label.
    pub field: Option<String>,
    /// The header of the signed-in page it is shown in. Boxed: a failure travels in
    /// `Result`s, and the header is large.
    pub chrome: Option<Box<Chrome>>,
    /// `Retry-After` seconds, when trying again later will help (429, 503).
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            field: None,
            chrome: None,
            retry_after: None,
        }
    }

    pub fn forbidden(message: &str) -> Self {
        Failure::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: &str) -> Self {
        Failure::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "explorer page failed");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; it has been logged.",
        )
    }

    /// A failure about one request parameter.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut f = Failure::new(StatusCode::BAD_REQUEST, message);
        f.field = Some(field.to_owned());
        f
    }

    /// The message as a page without the form shows it: with the field's label first.
    pub fn text(&self) -> String {
        match &self.field {
            Some(f) => format!("{}: {}", crate::view::label(f), self.message),
            None => self.message.clone(),
        }
    }

    /// The same failure shown inside a signed-in page's frame (see `Session::chrome`).
    pub fn within(mut self, chrome: Chrome) -> Self {
        self.chrome = Some(Box::new(chrome));
        self
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::from(ApiError::from(e))
    }
}

impl Failure {
    /// A refused turn at heavy work (see [`interlog_http::heavy`]): the tenant's searches
    /// and overviews are many at once.
    pub fn busy(e: ApiError) -> Self {
        if e.kind != ErrorKind::TooManyRequests {
            return Failure::from(e);
        }
        let retry = e.retry_after.unwrap_or(1);
        let mut f = Failure::new(
            e.kind.status(),
            format!(
                "Many searches of this organisation are running. Try again in {retry} seconds."
            ),
        );
        f.retry_after = Some(retry);
        f
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let status = e.kind.status();
        match e.kind {
            // Too busy, or a dependency is down: the reader is told to try again, and when.
            ErrorKind::Unavailable | ErrorKind::TooManyRequests => {
                let retry = e.retry_after.unwrap_or(1);
                tracing::warn!(
                    status = status.as_u16(),
                    detail = %e.detail,
                    cause = e.cause.as_ref().map(|c| c.to_string()),
                    "explorer page refused for now"
                );
                let message = if e.kind == ErrorKind::TooManyRequests {
                    format!("Too many attempts from your address. Try again in {retry} seconds.")
                } else {
                    format!("The server is busy or cannot reach its store. Try again in {retry} seconds.")
                };
                let mut f = Failure::new(status, message);
                f.retry_after = Some(retry);
                return f;
            }
            _ => {}
        }
        if status.is_server_error() {
            let cause = e
                .cause
                .as_ref()
                .map(|c| format!("{}: {c}", e.detail))
                .unwrap_or_else(|| e.detail.clone());
            let mut f = Failure::internal(cause);
            f.status = status;
            return f;
        }
        // The detail names the parameter first ("p: …"), and may name others: a person
        // reads the fields' labels instead.
        let mut f = match &e.parameter {
            Some(p) => {
                let detail = e
                    .detail
                    .strip_prefix(&format!("{p}: "))
                    .unwrap_or(&e.detail);
                let mut f = Failure::new(status, crate::view::labelled(detail));
                f.field = Some(p.clone());
                f
            }
            None => Failure::new(status, crate::view::labelled(&e.detail)),
        };
        f.status = status;
        f
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let message = self.text();
        let page = ErrorPage {
            chrome: self.chrome.map(|c| *c),
            status: self.status.as_u16(),
            title: self.status.canonical_reason().unwrap_or("Error"),
            message,
        };
        let mut res = html(&page);
        *res.status_mut() = self.status;
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
