//! The OpenAPI 3.1 document of the native API, generated from the handlers and types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        crate::native::listing::list,
        crate::native::engagements::create,
        crate::native::engagements::get,
        crate::native::engagements::put,
        crate::native::engagements::patch,
        crate::native::engagements::delete,
        crate::native::ingest,
    ),
    components(schemas(crate::native::listing::EngagementPage, crate::oauth::TokenResponse, crate::ingest::IngestSummary, crate::ingest::LineProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Access tokens"),
        (name = "engagements", description = "Engagement history"),
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

/// The document as pretty JSON (what is committed as `openapi.json`).
pub fn document() -> String {
    let mut doc = NativeApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json()
        .expect("the OpenAPI document serializes")
}

/// A browsable page for the document (loads the Redoc viewer from its CDN).
pub const DOCS_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Interlog API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/api/v1/openapi.json"></redoc>
<script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
<noscript>The API description is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
</body></html>"#;
