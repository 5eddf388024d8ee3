//! Avaya's custom methods: paths whose last segment ends in a method after a colon, as
//! Google's APIs write them (`{engagementId}:update`, `journeys:search`). axum routes whole
//! segments, so such paths share one route whose last segment is a parameter, and
//! [`custom_methods`] gives each custom method its own method router, as if it were a path
//! of its own. The method is what follows the segment's last colon; the parameter is
//! percent-decoded first, so an encoded colon is the same.

use crate::http::split_method;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::handler::Handler;
use axum::response::Response;
use axum::routing::{any, MethodRouter};
use interlog_http::ApiState;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The method routers of one route's last segment, by the segment they answer.
#[derive(Clone)]
struct CustomMethods {
    segments: Arc<[(Segment, MethodRouter<ApiState>)]>,
    /// Answers a segment that matches none (a custom method this route does not have).
    unknown: MethodRouter<ApiState>,
}

/// A segment as Avaya's paths write it: `{engagementId}` (any resource, no method),
/// `{engagementId}:update` (any resource, that method), `journeys:search` (that resource and
/// method).
#[derive(Clone, Copy)]
struct Segment {
    /// `None` for a parameter (`{…}`), which takes any resource.
    resource: Option<&'static str>,
    method: Option<&'static str>,
}

impl Segment {
    fn parse(written: &'static str) -> Segment {
        let (resource, method) = split_method(written);
        Segment {
            resource: (!resource.starts_with('{')).then_some(resource),
            method,
        }
    }

    fn matches(&self, segment: &str) -> bool {
        let (resource, method) = split_method(segment);
        self.method == method && self.resource.is_none_or(|r| r == resource)
    }
}

/// A route for the last segments `segments` (as Avaya writes them), each with its method
/// router; `unknown` answers any other.
pub fn custom_methods<const N: usize>(
    segments: [(&'static str, MethodRouter<ApiState>); N],
    unknown: MethodRouter<ApiState>,
) -> MethodRouter<ApiState> {
    let segments = segments
        .into_iter()
        .map(|(written, router)| (Segment::parse(written), router))
        .collect();
    any(CustomMethods { segments, unknown })
}

impl CustomMethods {
    fn router(&self, params: Option<&RawPathParams>) -> &MethodRouter<ApiState> {
        let last = params.and_then(|p| p.iter().last()).map(|(_, value)| value);
        last.and_then(|segment| self.segments.iter().find(|(s, _)| s.matches(segment)))
            .map_or(&self.unknown, |(_, router)| router)
    }
}

impl Handler<(), ApiState> for CustomMethods {
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, state: ApiState) -> Self::Future {
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            // A path axum cannot decode goes to `unknown`, whose extractors refuse it.
            let params = RawPathParams::from_request_parts(&mut parts, &state)
                .await
                .ok();
            let router = self.router(params.as_ref()).clone();
            router.call(Request::from_parts(parts, body), state).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_match_as_avaya_writes_them() {
        let any_id = Segment::parse("{engagementId}");
        assert!(any_id.matches("0190f1e2"));
        assert!(!any_id.matches("0190f1e2:update"));
        let update = Segment::parse("{engagementId}:update");
        assert!(update.matches("0190f1e2:update"));
        assert!(update.matches("a:b:update"));
        assert!(!update.matches("0190f1e2"));
        assert!(!update.matches("0190f1e2:updates"));
        let search = Segment::parse("journeys:search");
        assert!(search.matches("journeys:search"));
        assert!(!search.matches("identifiers:search"));
        assert!(!search.matches("journeys"));
        assert!(Segment::parse("journeys").matches("journeys"));
        assert!(!Segment::parse("journeys").matches("journeys:"));
    }
}
