//! What the app needs to know of one API it serves — the native API, a vendor dialect, the
//! explorer — as one value. The app keeps the one list of them (its registry); routes,
//! ingest formats, config sections, tenant aliases, the links the explorer shows,
//! background work, gauges read at scrape time and the demo all come from it.

use crate::aliases::TenantIdShape;
use crate::background::Worker;
use crate::config::{ConfigKey, ConfigSection, ConfigValueError};
use crate::connector::ConnectorKind;
use crate::formats::Format;
use crate::record_link::RecordLinkFn;
use crate::routes::Routes;
use crate::state::ApiState;
use axum::http::Extensions;

/// One API of the server.
pub struct Api {
    /// Its name: the `api` label of its routes (route list, metrics). A dialect's name is
    /// also its config section `[dialects.NAME]`, its ingest format's name and the
    /// namespace of tenant aliases (`--alias NAME=ALIAS`).
    pub name: &'static str,
    /// For a vendor dialect, the vendor's shape of a tenant (account) id: an alias in the
    /// dialect must have it, and a tenant whose key has it (ignoring case) answers under
    /// its key without an alias. `None` for Interlog's own APIs.
    pub tenant_id: Option<TenantIdShape>,
    /// The keys of its config section (`[dialects.NAME]`).
    pub config_keys: &'static [ConfigKey],
    /// Builds its routes from its config section (the file with the environment applied).
    /// A bad value is an error naming the key.
    pub routes: fn(&ConfigSection) -> Result<Routes, ConfigValueError>,
    /// Its ingest format (`?format=NAME`, `interlog import --format NAME`), if it has one.
    pub format: Option<Format>,
    /// How one engagement of a tenant is read through this API (the explorer links to
    /// it); `None` when the tenant has no name in it.
    pub record_link: RecordLinkFn,
    /// Its background work (see [`crate::background`]), started with the server and
    /// stopped with it.
    pub workers: fn() -> Vec<Worker>,
    /// For a vendor dialect whose history Interlog can also read as a client: that
    /// connector kind (see [`crate::connector`]), named after the dialect.
    pub connector: Option<&'static ConnectorKind>,
    /// Runs once the app is built, with its state and the running parts the APIs exposed
    /// ([`Routes::expose`]): e.g. to read a gauge from one at every scrape.
    pub observe: fn(&ApiState, &Extensions),
    /// Its part in `interlog serve --demo`.
    pub demo: Demo,
}

impl Api {
    /// An API without routes, config keys, format, link, workers, observer or demo: the base the
    /// registered ones are written from (`Api { name, routes, ..Api::NONE }`).
    pub const NONE: Api = Api {
        name: "",
        tenant_id: None,
        config_keys: &[],
        routes: |_| Ok(Routes::new("")),
        format: None,
        record_link: |_, _| None,
        workers: Vec::new,
        connector: None,
        observe: |_, _| {},
        demo: Demo::NONE,
    };

    /// Whether it is a vendor dialect (its tenants may have aliases in it).
    pub fn is_dialect(&self) -> bool {
        self.tenant_id.is_some()
    }

    /// Whether `alias` may name a tenant in this dialect.
    pub fn check_alias(&self, alias: &str) -> Result<(), String> {
        match self.tenant_id {
            Some(shape) if (shape.accepts)(alias) => Ok(()),
            Some(shape) => Err(format!(
                "a {} alias must be {}, not {alias:?}",
                self.name, shape.description
            )),
            None => Err(format!("{} is not a dialect: it has no aliases", self.name)),
        }
    }

    /// The commented config section of this API (for `interlog config`).
    pub fn config_section(&self) -> String {
        let mut out = format!("[dialects.{}]\n", self.name);
        for s in self.config_keys {
            for line in s.doc.lines() {
                out.push_str("# ");
                out.push_str(line.trim());
                out.push('\n');
            }
            if let Some(env) = s.env {
                out.push_str(&format!("# (environment: {env})\n"));
            }
            out.push_str(&format!("# {} = {}\n", s.key, s.default));
        }
        out
    }
}

/// An API's part in `interlog serve --demo`, which creates tenant `demo` with generated
/// engagements, a client and a user, and prints one working call per API.
pub struct Demo {
    /// The demo tenant's alias in this dialect, when its key (`demo`) is not a tenant id
    /// of the vendor's shape.
    pub alias: Option<&'static str>,
    /// Values this API's config section takes under `--demo` unless the file or the
    /// environment gives them (key and text value).
    pub config_defaults: &'static [(&'static str, &'static str)],
    /// The lines `--demo` prints to call this API: a `# NAME` comment, then commands that
    /// work after the printed `export BASE=… ID=… SECRET=…` line.
    pub calls: Option<fn(&DemoTenant) -> String>,
}

impl Demo {
    pub const NONE: Demo = Demo {
        alias: None,
        config_defaults: &[],
        calls: None,
    };
}

/// What `--demo` set up, for an API's printed calls.
pub struct DemoTenant<'a> {
    /// The tenant's key.
    pub key: &'a str,
    /// The client's application key (`interlog client create --app-key`).
    pub app_key: &'a str,
    /// The user's name and password.
    pub username: &'a str,
    pub password: &'a str,
    /// The newest engagements, newest first (up to 500).
    pub newest: &'a [interlog_model::Engagement],
    /// When the demo's generated history ends.
    pub end: jiff::Timestamp,
}

/// A shell filter that prints the `access_token` of a JSON token response (for demo calls).
pub const DEMO_TOKEN: &str = r#"sed -E 's/.*"access_token":"([^"]+)".*/\1/'"#;
