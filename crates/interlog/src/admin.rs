//! Tenant, client and user administration, working on the data directory directly (also
//! while a server runs on it), and the demo set-up.

use crate::setup::{runtime, DataArgs};
use interlog_app::maintenance::{retention_days, retention_status};
use interlog_app::Config;
use interlog_http::auth::{generate_secret, hash_secret};
use interlog_http::DemoTenant;
use interlog_store::{
    ClientRole, NewClient, NewTenant, NewUser, OpenOptions, Revoke, Store, StoreError, Tenant,
};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(clap::Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Key used in URLs: 1–63 characters of a-z, 0-9 and -.
        key: String,
        /// Display name [default: the key].
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone for zone-less times [default: UTC].
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// Country calling code for reading national phone numbers, e.g. 353.
        #[arg(long)]
        country_code: Option<String>,
        /// Another name the tenant answers to in one dialect, as DIALECT=ALIAS
        /// (e.g. avaya_axp=ACMEEU). Repeatable.
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List tenants as JSON lines (with their retention period and last sweep).
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Delete a tenant and everything it holds: its clients and users are revoked at once
    /// (their tokens and sessions stop working), every engagement is erased, then every
    /// other record of the tenant goes. Prints a receipt as JSON.
    Delete {
        key: String,
        /// Confirms that everything of the tenant is to be deleted, for good.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a tenant's settings.
    Update {
        key: String,
        /// Keep engagements this many days after they started; 0 keeps them forever.
        /// Older ones are deleted by the server's retention sweep.
        #[arg(long)]
        retention_days: Option<u32>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum ClientCommand {
    /// Create an API client; prints its id and secret (shown only once) as JSON.
    Create {
        #[arg(long)]
        tenant: String,
        /// admin, agent or reader.
        #[arg(long)]
        role: ClientRole,
        /// A scope the client holds (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Also issue an application key (for dialects that require one).
        #[arg(long)]
        app_key: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Delete a client: its tokens and sessions stop working on every instance.
    Delete(SubjectArgs),
    /// Disable a client until it is enabled again: its tokens and sessions stop working
    /// and it gets no new ones.
    Disable(SubjectArgs),
    /// Enable a disabled client (tokens it held before stay revoked).
    Enable(SubjectArgs),
}

/// Which client (by id) or user (by user name) of which tenant.
#[derive(clap::Args)]
pub struct SubjectArgs {
    #[arg(long)]
    tenant: String,
    /// The client id, or the user name.
    name: String,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a user who logs in with a username and password.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// admin, agent or reader.
        #[arg(long)]
        role: ClientRole,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Delete a user: their tokens and sessions stop working on every instance.
    Delete(SubjectArgs),
    /// Disable a user until enabled again: their tokens and sessions stop working and they
    /// cannot sign in.
    Disable(SubjectArgs),
    /// Enable a disabled user (what they held before stays revoked).
    Enable(SubjectArgs),
}

fn store_error(e: StoreError) -> String {
    interlog_app::store_url::error_chain(&e)
}

pub(crate) async fn find_tenant(store: &dyn Store, key: &str) -> Result<Tenant, String> {
    store
        .tenant(key)
        .await
        .map_err(store_error)?
        .ok_or_else(|| format!("no tenant {key:?} (create it with `interlog tenant create {key}`)"))
}

/// Checks a tenant definition before it is stored.
pub fn new_tenant(
    key: &str,
    name: Option<String>,
    time_zone: &str,
    country_code: Option<String>,
    aliases: &[String],
) -> Result<NewTenant, String> {
    if !interlog_store::is_valid_tenant_key(key) {
        return Err(format!(
            "tenant key {key:?} must be 1–63 characters of a-z, 0-9 and -, not starting with -"
        ));
    }
    interlog_model::time::zone(time_zone).map_err(|e| format!("--time-zone: {e}"))?;
    if name
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 200)
    {
        return Err("--name must be 1–200 characters".into());
    }
    if let Some(cc) = &country_code {
        if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "--country-code {cc:?} must be 1–3 digits, e.g. 353"
            ));
        }
    }
    let aliases = aliases
        .iter()
        .map(|a| {
            let (d, al) = a
                .split_once('=')
                .filter(|(d, al)| !d.is_empty() && !al.is_empty())
                .ok_or_else(|| format!("--alias {a:?} must be DIALECT=ALIAS"))?;
            let dialect = interlog_app::registry::dialect(d).ok_or_else(|| {
                let names: Vec<_> = interlog_app::registry::dialects().map(|d| d.name).collect();
                format!(
                    "--alias {a:?}: no dialect {d:?}; accepted: {}",
                    names.join(", ")
                )
            })?;
            dialect
                .check_alias(al)
                .map_err(|e| format!("--alias {a:?}: {e}"))?;
            Ok((d.to_owned(), al.to_owned()))
        })
        .collect::<Result<_, String>>()?;
    Ok(NewTenant {
        key: key.to_owned(),
        name: name.unwrap_or_else(|| key.to_owned()),
        time_zone: time_zone.to_owned(),
        country_code,
        aliases,
    })
}

fn tenant_json(t: &Tenant) -> serde_json::Value {
    serde_json::json!({
        "key": t.key,
        "name": t.name,
        "time_zone": t.time_zone,
        "country_code": t.country_code,
        "aliases": t.aliases.iter().map(|(d, a)| format!("{d}={a}")).collect::<Vec<_>>(),
        "created_at": t.created_at.to_string(),
    })
}

pub fn tenant(cmd: TenantCommand) -> Result<(), String> {
    let rt = runtime()?;
    match cmd {
        TenantCommand::Create {
            key,
            name,
            time_zone,
            country_code,
            aliases,
            data,
        } => {
            let new = new_tenant(&key, name, &time_zone, country_code, &aliases)?;
            let store = data.open(&rt, OpenOptions::default())?;
            let created = rt.block_on(store.create_tenant(new)).map_err(store_error);
            rt.block_on(store.close());
            println!("{}", tenant_json(&created?));
        }
        TenantCommand::List { data } => {
            let store = data.open(&rt, OpenOptions::default())?;
            let listed = rt.block_on(async {
                let mut out = Vec::new();
                for t in store.tenants().await.map_err(store_error)? {
                    let mut v = tenant_json(&t);
                    let days = retention_days(store.as_ref(), &t)
                        .await
                        .map_err(store_error)?;
                    v["retention_days"] = days.into();
                    if let Some(s) = retention_status(store.as_ref(), &t)
                        .await
                        .map_err(store_error)?
                    {
                        v["retention_last_run"] = serde_json::json!({
                            "at": s.last_run_at, "cutoff": s.cutoff,
                            "deleted": s.deleted, "total_deleted": s.total_deleted,
                        });
                    }
                    out.push(v);
                }
                Ok::<_, String>(out)
            });
            rt.block_on(store.close());
            for v in listed? {
                println!("{v}");
            }
        }
        TenantCommand::Delete { key, yes, data } => {
            if !yes {
                return Err(format!(
                    "this deletes tenant {key:?} and everything it holds, for good; \
                     run it again with --yes to go ahead"
                ));
            }
            let store = data.open(&rt, OpenOptions::default())?;
            let receipt = rt.block_on(delete_tenant(store.as_ref(), &key));
            rt.block_on(store.close());
            println!("{}", receipt?);
        }
        TenantCommand::Update {
            key,
            retention_days,
            data,
        } => {
            let store = data.open(&rt, OpenOptions::default())?;
            let updated = rt.block_on(async {
                let t = find_tenant(store.as_ref(), &key).await?;
                if let Some(days) = retention_days {
                    let value = (days > 0).then(|| days.to_string());
                    store
                        .update_setting(
                            &t,
                            interlog_app::maintenance::RETENTION,
                            "days",
                            Box::new(move |_| Ok(value)),
                        )
                        .await
                        .map_err(store_error)?;
                }
                let mut v = tenant_json(&t);
                // (`retention_days` here is the argument, not the function.)
                v["retention_days"] = interlog_app::maintenance::retention_days(store.as_ref(), &t)
                    .await
                    .map_err(store_error)?
                    .into();
                Ok::<_, String>(v)
            });
            rt.block_on(store.close());
            println!("{}", updated?);
        }
    }
    Ok(())
}

/// Deletes a tenant: revokes its clients and users first, so nothing of it is served while
/// its engagements are erased batch by batch, then removes everything else of it in one
/// transaction. Running it again after an interruption finishes the job. The receipt.
async fn delete_tenant(store: &dyn Store, key: &str) -> Result<serde_json::Value, String> {
    const BATCH: u32 = 500;
    let requested_at = jiff::Timestamp::now().to_string();
    let t = find_tenant(store, key).await?;
    let clients = store.clients(&t).await.map_err(store_error)?;
    let users = store.users(&t).await.map_err(store_error)?;
    for c in &clients {
        store
            .revoke_client(&t, &c.client_id, Revoke::Disable)
            .await
            .map_err(store_error)?;
    }
    for u in &users {
        store
            .revoke_user(&t, &u.username, Revoke::Disable)
            .await
            .map_err(store_error)?;
    }
    let mut erased = 0;
    loop {
        let page = store
            .list(
                &t,
                &interlog_store::Query {
                    limit: BATCH,
                    ..Default::default()
                },
            )
            .await
            .map_err(store_error)?;
        if page.items.is_empty() {
            break;
        }
        let ids: Vec<String> = page.items.into_iter().map(|s| s.id).collect();
        erased += store
            .delete_many(&t, &ids, interlog_store::DeleteReason::Erased)
            .await
            .map_err(store_error)?;
    }
    store.delete_tenant(&t).await.map_err(store_error)?;
    if let Err(e) = store.scrub_freed().await {
        eprintln!("warning: {}", store_error(e));
    }
    Ok(serde_json::json!({
        "tenant": t.key,
        "state": "deleted",
        "engagements_erased": erased,
        "clients_revoked": clients.len(),
        "users_revoked": users.len(),
        "requested_by": format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())),
        "requested_at": requested_at,
        "completed_at": jiff::Timestamp::now().to_string(),
    }))
}

/// Erases a customer's data and prints the receipt (or, with `--dry-run`, what would be
/// erased).
pub fn erase(args: EraseArgs) -> Result<(), String> {
    let key = interlog_app::keys::signing_key(
        &args.data.data,
        std::env::var_os("INTERLOG_SIGNING_KEY_FILE")
            .map(std::path::PathBuf::from)
            .as_deref(),
    )?;
    let digest_key = interlog_native::erasures::digest_key(&interlog_http::auth::Signer::new(key));
    let identifier = interlog_native::erasures::check_identifier(&args.identifier)
        .map_err(|e| format!("--identifier {e}"))?
        .to_owned();
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let answer = rt.block_on(async {
        let t = find_tenant(store.as_ref(), &args.tenant).await?;
        if args.dry_run {
            let d = interlog_native::erasures::dry_run(store.as_ref(), &t, &identifier)
                .await
                .map_err(|e| interlog_app::store_url::error_chain(&e))?;
            return serde_json::to_string(&d).map_err(|e| e.to_string());
        }
        let by = format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        );
        let r = interlog_native::erasures::erase(store.as_ref(), &digest_key, &t, &identifier, &by)
            .await
            .map_err(|e| interlog_app::store_url::error_chain(&e))?;
        serde_json::to_string(&r).map_err(|e| e.to_string())
    });
    rt.block_on(store.close());
    println!("{}", answer?);
    Ok(())
}

#[derive(clap::Args)]
pub struct EraseArgs {
    #[arg(long)]
    tenant: String,
    /// A customer identifier: phone (any formatting), email, account id, custom identifier.
    #[arg(long)]
    identifier: String,
    /// Only print what would be erased (every identifier reached, with its engagements).
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// A new client id: the tenant key and 16 random hex digits.
fn new_client_id(tenant: &str) -> String {
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{tenant}-{}", hex::encode(b))
}

/// Creates a client and returns (client id, secret, app key).
pub async fn create_client(
    store: &dyn Store,
    tenant: &Tenant,
    role: ClientRole,
    scopes: Vec<String>,
    app_key: bool,
) -> Result<(String, String, Option<String>), String> {
    let secret = generate_secret();
    let app = app_key.then(generate_secret);
    let client_id = new_client_id(&tenant.key);
    let (secret_hash, app_key_hash) = {
        let (s, a) = (secret.clone(), app.clone());
        tokio::task::spawn_blocking(move || (hash_secret(&s), a.as_deref().map(hash_secret)))
            .await
            .map_err(|e| e.to_string())?
    };
    let credentials: BTreeMap<String, String> = app_key_hash
        .map(|h| (interlog_http::auth::APP_KEY.to_owned(), h))
        .into_iter()
        .collect();
    store
        .create_client(
            tenant,
            NewClient {
                client_id: client_id.clone(),
                secret_hash,
                role,
                scopes,
                credentials,
            },
        )
        .await
        .map_err(store_error)?;
    Ok((client_id, secret, app))
}

/// What a revocation command does to its subject.
#[derive(Clone, Copy)]
enum Change {
    Revoke(Revoke),
    Enable,
}

/// Deletes, disables or enables a client (`users` false) or user (true); prints the result.
fn change_subject(args: SubjectArgs, users: bool, change: Change) -> Result<(), String> {
    let rt = runtime()?;
    let store = args.data.open(&rt, OpenOptions::default())?;
    let done = rt.block_on(async {
        let t = find_tenant(store.as_ref(), &args.tenant).await?;
        let s = store.as_ref();
        let found = match (users, change) {
            (false, Change::Revoke(how)) => s.revoke_client(&t, &args.name, how).await,
            (true, Change::Revoke(how)) => s.revoke_user(&t, &args.name, how).await,
            (false, Change::Enable) => s.enable_client(&t, &args.name).await,
            (true, Change::Enable) => s.enable_user(&t, &args.name).await,
        }
        .map_err(store_error)?;
        let what = if users { "user" } else { "client" };
        if !found {
            return Err(format!("tenant {} has no {what} {:?}", t.key, args.name));
        }
        let status = match change {
            Change::Revoke(Revoke::Delete) => "deleted",
            Change::Revoke(Revoke::Disable) => "disabled",
            Change::Enable => "enabled",
        };
        Ok(serde_json::json!({"tenant": t.key, what: args.name, "status": status}))
    });
    rt.block_on(store.close());
    println!("{}", done?);
    Ok(())
}

pub fn client(cmd: ClientCommand) -> Result<(), String> {
    let (tenant, role, scopes, app_key, data) = match cmd {
        ClientCommand::Create {
            tenant,
            role,
            scopes,
            app_key,
            data,
        } => (tenant, role, scopes, app_key, data),
        ClientCommand::Delete(a) => {
            return change_subject(a, false, Change::Revoke(Revoke::Delete))
        }
        ClientCommand::Disable(a) => {
            return change_subject(a, false, Change::Revoke(Revoke::Disable))
        }
        ClientCommand::Enable(a) => return change_subject(a, false, Change::Enable),
    };
    if scopes.len() > 50
        || scopes
            .iter()
            .any(|s| s.is_empty() || s.chars().count() > 128)
    {
        return Err("--scope: at most 50 scopes of 1–128 characters".into());
    }
    let rt = runtime()?;
    let store = data.open(&rt, OpenOptions::default())?;
    let out = rt.block_on(async {
        let t = find_tenant(store.as_ref(), &tenant).await?;
        let (client_id, client_secret, app) =
            create_client(store.as_ref(), &t, role, scopes.clone(), app_key).await?;
        let mut v = serde_json::json!({
            "tenant": t.key, "client_id": client_id, "client_secret": client_secret,
            "role": role.as_str(), "scopes": scopes,
        });
        if let Some(a) = app {
            v["app_key"] = a.into();
        }
        Ok::<_, String>(v)
    });
    rt.block_on(store.close());
    println!("{}", out?);
    Ok(())
}

pub fn user(cmd: UserCommand) -> Result<(), String> {
    let (tenant, username, password, role, email, display_name, data) = match cmd {
        UserCommand::Create {
            tenant,
            username,
            password,
            role,
            email,
            display_name,
            data,
        } => (tenant, username, password, role, email, display_name, data),
        UserCommand::Delete(a) => return change_subject(a, true, Change::Revoke(Revoke::Delete)),
        UserCommand::Disable(a) => return change_subject(a, true, Change::Revoke(Revoke::Disable)),
        UserCommand::Enable(a) => return change_subject(a, true, Change::Enable),
    };
    if username.is_empty() || username.len() > 128 {
        return Err("--username must be 1–128 characters".into());
    }
    if password.len() < 8 || password.len() > 1024 {
        return Err("--password must be 8–1024 characters".into());
    }
    for (name, value, max) in [
        ("--email", &email, 320),
        ("--display-name", &display_name, 200),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(format!("{name} must be at most {max} characters"));
        }
    }
    let rt = runtime()?;
    let store = data.open(&rt, OpenOptions::default())?;
    let out = rt.block_on(async {
        let t = find_tenant(store.as_ref(), &tenant).await?;
        let password_hash = tokio::task::spawn_blocking(move || hash_secret(&password))
            .await
            .map_err(|e| e.to_string())?;
        let u = store
            .create_user(
                &t,
                NewUser {
                    username,
                    password_hash,
                    email,
                    display_name,
                    role,
                },
            )
            .await
            .map_err(store_error)?;
        Ok::<_, String>(serde_json::json!({
            "tenant": t.key, "id": u.id, "username": u.username, "role": u.role.as_str(),
            "email": u.email, "display_name": u.display_name,
        }))
    });
    rt.block_on(store.close());
    println!("{}", out?);
    Ok(())
}

/// What `serve --demo` set up: the credentials and data each API's call needs.
pub struct Demo {
    total: u64,
    client_id: String,
    client_secret: String,
    app_key: String,
    username: String,
    password: String,
    /// The newest engagements, newest first.
    newest: Vec<interlog_model::Engagement>,
    end: jiff::Timestamp,
}

/// Gives each API's config section the values it takes under `--demo` (unless the file or
/// the environment gives them).
pub fn demo_settings(config: &mut Config) {
    for api in interlog_app::APIS {
        for (key, value) in api.demo.config_defaults {
            config.default_section_value(api.name, key, (*value).into());
        }
    }
}

/// Sets up tenant `demo` with generated engagements (the 180 days up to `end`, normally now)
/// and what a client of every API needs.
pub async fn demo(
    store: &dyn Store,
    config: &Config,
    count: u64,
    end: jiff::Timestamp,
) -> Result<Demo, String> {
    let tenant = match store.tenant("demo").await.map_err(store_error)? {
        Some(t) => t,
        None => {
            let aliases: Vec<String> = interlog_app::APIS
                .iter()
                .filter_map(|api| Some(format!("{}={}", api.name, api.demo.alias?)))
                .collect();
            store
                .create_tenant(new_tenant(
                    "demo",
                    Some("Demo contact center".into()),
                    "Europe/Dublin",
                    Some("353".into()),
                    &aliases,
                )?)
                .await
                .map_err(store_error)?
        }
    };
    let existing = store
        .count(&tenant, &Default::default(), None)
        .await
        .map_err(store_error)?
        .value();
    if existing == 0 {
        eprintln!("Generating {count} demo engagements…");
        let cfg = interlog_generate::GeneratorConfig::new(7, count, end).with_tenant("demo");
        let mut batch = Vec::with_capacity(2000);
        for mut e in interlog_generate::Generator::new(cfg) {
            e.normalize();
            batch.push(e);
            if batch.len() == 2000 {
                store
                    .upsert_many(&tenant, std::mem::take(&mut batch))
                    .await
                    .map_err(store_error)?;
            }
        }
        store
            .upsert_many(&tenant, batch)
            .await
            .map_err(store_error)?;
    }
    let creds = demo_credentials(store, &tenant, &config.data).await?;
    let s = |k: &str| creds[k].as_str().unwrap_or("").to_owned();
    let total = store
        .count(&tenant, &Default::default(), None)
        .await
        .map_err(store_error)?
        .value();
    let newest = store
        .list(
            &tenant,
            &interlog_store::Query {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .map_err(store_error)?
        .items
        .iter()
        .filter_map(|e| e.engagement().ok())
        .collect();
    Ok(Demo {
        total,
        client_id: s("client_id"),
        client_secret: s("client_secret"),
        app_key: s("app_key"),
        username: s("username"),
        password: s("password"),
        newest,
        end,
    })
}

impl Demo {
    /// Prints, for a server at `addr`, one call per API that works (each needs the export
    /// line printed first).
    pub fn print(&self, addr: std::net::SocketAddr) {
        let (id, secret) = (&self.client_id, &self.client_secret);
        let tenant = DemoTenant {
            key: "demo",
            app_key: &self.app_key,
            username: &self.username,
            password: &self.password,
            newest: &self.newest,
            end: self.end,
        };
        let mut text = format!(
            "\nDemo tenant `demo` is ready ({total} engagements).\n\
             \n  export BASE=http://{addr} ID={id} SECRET={secret}\n\
             \nOne call per API (each needs the export line above):\n",
            total = self.total,
        );
        for calls in interlog_app::APIS.iter().filter_map(|api| api.demo.calls) {
            text.push('\n');
            text.push_str(&calls(&tenant));
        }
        eprintln!("{text}");
    }
}

/// The demo's client (with an application key) and Genesys user, made once and kept in
/// the data directory so every `--demo` start prints the same working credentials.
async fn demo_credentials(
    store: &dyn Store,
    tenant: &Tenant,
    data: &Path,
) -> Result<serde_json::Value, String> {
    let path = data.join("demo-credentials.json");
    let saved: Option<serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    let still_valid = match saved.as_ref().and_then(|v| v["client_id"].as_str()) {
        Some(id) => {
            store.client(id).await.map_err(store_error)?.is_some()
                && store
                    .user(tenant, "demo-agent")
                    .await
                    .map_err(store_error)?
                    .is_some()
        }
        None => false,
    };
    if let Some(v) = saved.filter(|v| still_valid && v["app_key"].is_string()) {
        return Ok(v);
    }
    let (id, secret, app_key) =
        create_client(store, tenant, ClientRole::Admin, Vec::new(), true).await?;
    let password = generate_secret()[..16].to_owned();
    if store
        .user(tenant, "demo-agent")
        .await
        .map_err(store_error)?
        .is_none()
    {
        let hash = {
            let p = password.clone();
            tokio::task::spawn_blocking(move || hash_secret(&p))
                .await
                .map_err(|e| e.to_string())?
        };
        store
            .create_user(
                tenant,
                NewUser {
                    username: "demo-agent".into(),
                    password_hash: hash,
                    email: Some("demo-agent@demo.example.com".into()),
                    display_name: Some("Demo Agent".into()),
                    role: ClientRole::Agent,
                },
            )
            .await
            .map_err(store_error)?;
    }
    let v = serde_json::json!({
        "client_id": id, "client_secret": secret, "app_key": app_key,
        "username": "demo-agent", "password": password,
    });
    write_private(&path, &v.to_string())?;
    Ok(v)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
