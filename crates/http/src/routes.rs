//! A router that remembers its paths, so the assembled app can list every route it serves
//! (the route sweep test calls each one without credentials and with another tenant's).

use crate::state::ApiState;
use axum::routing::MethodRouter;
use axum::Router;

/// Whether a route needs credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Needs credentials: its handlers take an auth extractor.
    Authenticated,
    /// Open to anyone: token endpoints, health, documentation.
    Public,
}

/// One route of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The API it belongs to (`native`, a dialect's name, `ui`…).
    pub api: &'static str,
    /// The path template, as given to axum (`/api/v1/tenants/{tenant}/engagements`).
    pub path: String,
    pub access: Access,
}

/// A set of routes of one API, and their paths.
pub struct Routes {
    api: &'static str,
    router: Router<ApiState>,
    infos: Vec<RouteInfo>,
    handles: axum::http::Extensions,
}

impl Routes {
    pub fn new(api: &'static str) -> Self {
        Routes {
            api,
            router: Router::new(),
            infos: Vec::new(),
            handles: axum::http::Extensions::new(),
        }
    }

    /// Makes a running part of the API (e.g. a dialect's connection hub) reachable from
    /// the assembled app, for what observes it (metrics, tests).
    pub fn expose<T: Send + Sync + 'static>(mut self, handle: std::sync::Arc<T>) -> Self {
        self.handles.insert(handle);
        self
    }

    /// A route whose handlers authenticate their caller (with an extractor).
    pub fn route(self, path: &str, method: MethodRouter<ApiState>) -> Self {
        self.add(path, method, Access::Authenticated)
    }

    /// A route open to anyone.
    pub fn public(self, path: &str, method: MethodRouter<ApiState>) -> Self {
        self.add(path, method, Access::Public)
    }

    fn add(mut self, path: &str, method: MethodRouter<ApiState>, access: Access) -> Self {
        self.router = self.router.route(path, method);
        self.infos.push(RouteInfo {
            api: self.api,
            path: path.to_owned(),
            access,
        });
        self
    }

    /// Applies a layer (e.g. an `Extension` with the API's own state) to every route so
    /// far.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Error:
            Into<std::convert::Infallible> + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// Answers requests that match none of these routes (used inside [`Routes::nest`]).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: axum::handler::Handler<T, ApiState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    /// Adds another set's routes under a path prefix; the other set's fallback answers
    /// what matches none of its routes under the prefix.
    pub fn nest(mut self, prefix: &str, other: Routes) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.infos.extend(other.infos.into_iter().map(|mut i| {
            i.path = format!("{prefix}{}", i.path);
            i
        }));
        self.handles.extend(other.handles);
        self
    }

    /// Adds another set's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.infos.extend(other.infos);
        self.handles.extend(other.handles);
        self
    }

    pub fn infos(&self) -> &[RouteInfo] {
        &self.infos
    }

    pub(crate) fn into_parts(self) -> (Router<ApiState>, Vec<RouteInfo>, axum::http::Extensions) {
        (self.router, self.infos, self.handles)
    }
}
