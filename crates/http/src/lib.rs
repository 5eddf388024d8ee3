//! Interlog's HTTP framework: what the native API, the vendor dialects and the explorer
//! all register through — the shared state, the route contract, auth extractors and
//! credential checks, the one error type, query parameters, the native listing's query
//! language and signed cursors, analytics requests and answers, the ingest-format
//! registry, the metrics layer, and the builder that assembles them. Handlers translate
//! requests into store queries and render the results; they never touch SQL.

pub mod aliases;
pub mod analytics;
pub mod api;
pub mod auth;
pub mod background;
pub mod body;
pub mod builder;
pub mod bulk_streams;
pub mod config;
pub mod connector;
pub mod cursor;
pub mod error;
pub mod filter_expr;
pub mod formats;
pub mod heavy;
pub mod listing;
pub mod metrics;
pub mod names;
pub mod outbound;
pub mod params;
pub mod record_link;
pub mod routes;
pub mod session;
pub mod settings;
pub mod state;
pub mod text_query;

pub use aliases::TenantIdShape;
pub use api::{Api, Demo, DemoTenant};
pub use builder::{Apis, ApisBuilder};
pub use bulk_streams::{BulkStream, BulkStreams};
pub use config::{ConfigKey, ConfigSection, ConfigValueError};
pub use error::{ApiError, ApiResult, ErrorKind};
pub use heavy::{HeavyLimits, HeavyTurn, HeavyWork};
pub use record_link::RecordLink;
pub use routes::{Access, RouteInfo, Routes};
pub use state::{ApiConfig, ApiState, ExportConfig, MetricsServing, WebhookConfig};
