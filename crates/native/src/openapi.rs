//! The OpenAPI 3.1 document of the native API, generated from the handlers and types, and
//! the routes that serve it: the document and a browsable page for it (open to anyone).

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use interlog_http::Routes;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Object, Ref, RefOr, Required, Type};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Interlog native API",
        description = "Engagement history from every contact-center platform, in one canonical model. Errors are RFC 7807 problems (application/problem+json) with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::oauth::token,
        crate::listing::list,
        crate::engagements::create,
        crate::engagements::get,
        crate::engagements::put,
        crate::engagements::patch,
        crate::engagements::delete,
        crate::ingest::ingest,
        crate::changes::changes,
        crate::webhooks::routes::create,
        crate::webhooks::routes::list,
        crate::webhooks::routes::get,
        crate::webhooks::routes::delete,
        crate::webhooks::routes::deliveries,
        crate::connectors::routes::create,
        crate::connectors::routes::list,
        crate::connectors::routes::get,
        crate::connectors::routes::patch,
        crate::connectors::routes::delete,
        crate::connectors::routes::run,
        crate::erasures::create,
        crate::erasures::get,
        crate::exports::routes::create,
        crate::exports::routes::list,
        crate::exports::routes::get,
        crate::exports::routes::delete,
        crate::exports::routes::file,
        crate::access::clients,
        crate::access::delete_client,
        crate::access::disable_client,
        crate::access::enable_client,
        crate::access::users,
        crate::access::delete_user,
        crate::access::disable_user,
        crate::access::enable_user,
        crate::analytics::analytics,
        crate::names::names,
    ),
    components(schemas(
        crate::listing::EngagementPage,
        crate::oauth::TokenResponse,
        crate::oauth::TokenRequest,
        crate::oauth::OAuthError,
        crate::ingest::IngestSummary,
        crate::ingest::LineProblem,
        interlog_http::error::Problem,
        interlog_model::FieldError,
        crate::changes::ChangeFeed,
        crate::changes::ChangeDoc,
        crate::webhooks::routes::NewWebhook,
        crate::webhooks::routes::WebhookView,
        crate::webhooks::routes::WebhookList,
        crate::webhooks::routes::Deliveries,
        crate::webhooks::Attempt,
        crate::connectors::routes::ConnectorConfig,
        crate::connectors::routes::ConnectorList,
        interlog_http::connector::stored::ConnectorView,
        interlog_http::connector::stored::Status,
        interlog_http::connector::stored::Phase,
        interlog_http::connector::stored::RunView,
        interlog_http::connector::stored::ErrorView,
        interlog_http::connector::stored::Counts,
        interlog_http::connector::stored::Rejection,
        crate::erasures::ErasureRequest,
        crate::erasures::Receipt,
        crate::erasures::DryRun,
        crate::erasures::ReachedIdentifier,
        crate::exports::routes::NewExport,
        crate::exports::routes::ExportList,
        crate::exports::ExportView,
        crate::exports::Format,
        crate::exports::JobState,
        crate::exports::Progress,
        crate::access::ClientView,
        crate::access::ClientList,
        crate::access::UserView,
        crate::access::UserList,
        interlog_http::analytics::Report,
        interlog_http::analytics::Group,
        interlog_http::analytics::Bucket,
        interlog_http::analytics::Definitions,
        crate::names::NameList,
        crate::names::NameView,
    )),
    modifiers(&BearerAuth, &TenantOperations, &SharedFilters, &ProblemResponses),
    tags(
        (name = "auth", description = "Access tokens"),
        (name = "engagements", description = "Engagement history"),
        (name = "changes", description = "The change feed: every write and deletion, in order"),
        (name = "webhooks", description = "Push delivery of the change feed, signed as Standard Webhooks"),
        (name = "connectors", description = "Pulling history from a platform's own API, incrementally and live"),
        (name = "erasures", description = "Erasure of a customer's data (GDPR Art. 17)"),
        (name = "exports", description = "Export jobs: a consistent snapshot of the engagements as Parquet, CSV or NDJSON"),
        (name = "access", description = "The tenant's API clients and users: list, disable, enable, delete (revocation)"),
        (name = "analytics", description = "Contact-center figures (AHT, ASA, abandonment, service level) over the history, by bucket and group"),
    )
)]
pub struct NativeApi;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every operation on a tenant's resources (`/api/v1/tenants/{tenant}/…`) takes the tenant's
/// key in its path and a bearer token: said once here rather than on each operation.
struct TenantOperations;

impl Modify for TenantOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let tenant = ParameterBuilder::new()
            .name("tenant")
            .parameter_in(ParameterIn::Path)
            .description(Some("Tenant key"))
            .required(Required::True)
            .schema(Some(Object::with_type(Type::String)))
            .build();
        let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/tenants/{tenant}") {
                continue;
            }
            for op in operations(item) {
                // utoipa lists a path parameter an operation does not declare itself, last
                // and undescribed: this one goes first, described.
                let parameters = op.parameters.get_or_insert_with(Vec::new);
                parameters.retain(|p| p.name != "tenant");
                parameters.insert(0, tenant.clone());
                op.security = Some(vec![bearer.clone()]);
            }
        }
    }
}

/// Analytics takes every filter of the listing, by the same names and with the same
/// meaning: their documentation is copied from the listing's rather than said twice.
struct SharedFilters;

impl Modify for SharedFilters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = &mut openapi.paths.paths;
        let filters: Vec<_> = paths
            .get("/api/v1/tenants/{tenant}/engagements")
            .and_then(|item| item.get.as_ref())
            .and_then(|op| op.parameters.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| interlog_http::listing::FILTER_PARAMETERS.contains(&p.name.as_str()))
            .collect();
        if let Some(op) = paths
            .get_mut("/api/v1/tenants/{tenant}/analytics")
            .and_then(|item| item.get.as_mut())
        {
            op.parameters.get_or_insert_with(Vec::new).extend(filters);
        }
    }
}

/// The operations of a path.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// Every error response an operation declares without a body of its own is a problem:
/// said once here rather than on each status of each operation.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let error = status.starts_with('4') || status.starts_with('5');
                    if error && response.content.is_empty() {
                        response.content.insert(
                            "application/problem+json".to_owned(),
                            Content::new(Some(Ref::from_schema_name("Problem"))),
                        );
                    }
                }
            }
        }
    }
}

/// The document as pretty JSON (what is committed as `openapi.json`).
pub fn document() -> String {
    let mut doc = NativeApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json()
        .expect("the OpenAPI document serializes")
}

/// The version of Redoc embedded in the binary (`assets/README.md` says where it came from).
pub const REDOC_VERSION: &str = "2.5.4";

/// Where the embedded Redoc bundle is served.
pub const REDOC_PATH: &str = "/api/v1/docs/redoc.standalone.js";

/// Redoc's browser bundle, unchanged from the npm package (see `assets/README.md`).
const REDOC_JS: &[u8] = include_bytes!("../assets/redoc.standalone.js");

/// A browsable page for the document. Everything it loads is served by this binary, so it
/// works without internet access; the version in the script's URL makes an upgraded bundle
/// a new URL for caches.
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Interlog API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/api/v1/openapi.json"></redoc>
<script src="/api/v1/docs/redoc.standalone.js?v=2.5.4"></script>
<noscript>The API description is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
</body></html>"#;

/// The document, its page and the page's script.
pub fn routes() -> Routes {
    Routes::new("native")
        .public("/api/v1/openapi.json", get(openapi_json))
        .public("/api/v1/docs", get(|| async { Html(DOCS_PAGE) }))
        .public(REDOC_PATH, get(redoc_js))
}

async fn openapi_json() -> Response {
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(document);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOC.as_str(),
    )
        .into_response()
}

/// `GET /api/v1/docs/redoc.standalone.js`: the embedded Redoc bundle, cacheable for a year
/// (the page asks for it with the version in the query string).
async fn redoc_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        REDOC_JS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_the_embedded_redoc_of_the_stated_version() {
        let src = format!("{REDOC_PATH}?v={REDOC_VERSION}");
        assert!(DOCS_PAGE.contains(&format!("<script src=\"{src}\">")));
        let js = std::str::from_utf8(REDOC_JS).expect("the bundle is UTF-8");
        assert!(js.contains(&format!("\"{REDOC_VERSION}\"")));
    }
}
