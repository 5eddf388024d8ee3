//! What a `postgres://` URL says: the server and its connection settings (passed on to
//! tokio-postgres as they are), and Interlog's own settings of the store, given as further
//! query parameters:
//!
//! | parameter | default | meaning |
//! | --- | --- | --- |
//! | `schema` | (the server's `search_path`) | the schema Interlog's tables live in; created when missing |
//! | `pool_size` | 4 × cores, at least 8 | most connections one instance opens for requests |
//! | `pool_timeout_ms` | 1000 | how long a request waits for a free connection before it is answered 503 |
//! | `statement_timeout_ms` | the read budget (`statement_budget_ms`, 5000) | longest a statement of a write or a cheap read may run (0: no limit); heavy reads always have the read budget |
//! | `copy` | `binary` | the format bulk writes are copied in: `binary` or `text` |
//! | `heavy_nice` | 10 | the scheduling priority (nice, 0-19) of the database processes serving heavy reads, when the database runs on this machine and Interlog may lower it (0: leave it) |

use std::str::FromStr;
use std::time::Duration;

/// How bulk writes reach the staging tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Binary,
    Text,
}

/// A parsed store URL.
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub pg: tokio_postgres::Config,
    pub schema: Option<String>,
    pub pool_size: usize,
    pub pool_timeout: Duration,
    /// The URL's `statement_timeout_ms`, if it has one (else the read budget applies).
    pub statement_timeout: Option<Duration>,
    pub copy: CopyFormat,
    /// The nice value of the heavy pool's backends (0: left as they are).
    pub heavy_nice: i32,
}

/// Interlog's own parameters; every other one is tokio-postgres's.
const OWN: &[&str] = &[
    "schema",
    "pool_size",
    "pool_timeout_ms",
    "statement_timeout_ms",
    "copy",
    "heavy_nice",
];

/// Whether `name` can name a schema without quoting: `a-z 0-9 _`, starting with a letter
/// or `_`, at most 63 bytes.
fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PgOptions {
    /// Reads a `postgres://` (or `postgresql://`) URL.
    pub fn parse(url: &str) -> Result<PgOptions, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut passed = Vec::new();
        let mut own = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if OWN.contains(&k) {
                own.push((k, v));
            } else {
                passed.push(pair);
            }
        }
        let pg_url = if passed.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", passed.join("&"))
        };
        let mut pg = tokio_postgres::Config::from_str(&pg_url).map_err(|e| e.to_string())?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut o = PgOptions {
            pg: tokio_postgres::Config::new(),
            schema: None,
            pool_size: (4 * cores).max(8),
            pool_timeout: Duration::from_millis(1000),
            statement_timeout: None,
            copy: CopyFormat::Binary,
            heavy_nice: 10,
        };
        let number = |k: &str, v: &str| -> Result<u64, String> {
            v.parse::<u64>()
                .map_err(|_| format!("{k}: {v:?} is not a whole number"))
        };
        for (k, v) in own {
            match k {
                "schema" => {
                    if !is_plain_identifier(v) {
                        return Err(format!(
                            "schema: {v:?} must be 1-63 characters of a-z, 0-9 and _, not starting with a digit"
                        ));
                    }
                    o.schema = Some(v.to_owned());
                }
                "pool_size" => {
                    o.pool_size = usize::try_from(number(k, v)?.max(1)).unwrap_or(usize::MAX)
                }
                "pool_timeout_ms" => o.pool_timeout = Duration::from_millis(number(k, v)?),
                "statement_timeout_ms" => {
                    o.statement_timeout = Some(Duration::from_millis(number(k, v)?))
                }
                "heavy_nice" => {
                    o.heavy_nice = match number(k, v)? {
                        n @ 0..=19 => n as i32,
                        _ => return Err(format!("heavy_nice: {v} is not a nice value (0-19)")),
                    }
                }
                "copy" => {
                    o.copy = match v {
                        "binary" => CopyFormat::Binary,
                        "text" => CopyFormat::Text,
                        _ => return Err(format!("copy: {v:?}; accepted: binary, text")),
                    }
                }
                _ => unreachable!("only own parameters are here"),
            }
        }
        if pg.get_application_name().is_none() {
            pg.application_name("interlog");
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(Duration::from_secs(5));
        }
        // Every session finds the tables in the configured schema.
        if let Some(s) = &o.schema {
            let mut options = pg.get_options().unwrap_or("").to_owned();
            options.push_str(&format!(" -c search_path={s}"));
            pg.options(options.trim());
        }
        o.pg = pg;
        Ok(o)
    }

    /// The connection settings of sessions whose statements may run at most `timeout`
    /// (0: no limit), without JIT compilation. A statement the planner costs past
    /// `jit_above_cost` (100,000) compiles itself first: ~10 ms of CPU (JIT 10.3 ms for a
    /// word's count that runs in 9.5 ms, at 100,000 with the threshold at 0). A count by a
    /// filter over engagements is costed 21,204 at 100,000, so ten times that at 1,000,000:
    /// every heavy read of a large store paid it, on the cores the cheap reads wait for.
    pub fn with_statement_timeout(&self, timeout: Duration) -> tokio_postgres::Config {
        let mut pg = self.pg.clone();
        let mut options = pg.get_options().unwrap_or("").to_owned();
        options.push_str(&format!(
            " -c statement_timeout={} -c jit=off",
            timeout.as_millis()
        ));
        pg.options(options.trim());
        pg
    }

    /// The LISTEN/NOTIFY channel of this store: one per schema, since several stores may
    /// share a database.
    pub fn channel(&self) -> String {
        match &self.schema {
            Some(s) => format!("interlog.{s}"),
            None => "interlog".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_parameters_are_taken_out_and_the_rest_passed_on() {
        let o = PgOptions::parse(
            "postgres://u:p@db.example:6432/interlog?schema=tenant_a&sslmode=disable&pool_size=3&copy=text&statement_timeout_ms=500",
        )
        .unwrap();
        assert_eq!(o.schema.as_deref(), Some("tenant_a"));
        assert_eq!(o.pool_size, 3);
        assert_eq!(o.copy, CopyFormat::Text);
        assert_eq!(o.pg.get_dbname(), Some("interlog"));
        assert_eq!(o.pg.get_user(), Some("u"));
        assert_eq!(o.statement_timeout, Some(Duration::from_millis(500)));
        let opts = o.pg.get_options().unwrap();
        assert!(opts.contains("search_path=tenant_a"), "{opts}");
        let timed = o.with_statement_timeout(Duration::from_millis(500));
        let timed = timed.get_options().unwrap();
        assert!(timed.contains("statement_timeout=500"), "{timed}");
        assert!(timed.contains("jit=off"), "{timed}");
        assert_eq!(o.channel(), "interlog.tenant_a");
        assert!(PgOptions::parse("postgres://h/db?schema=Bad-Name").is_err());
        assert!(PgOptions::parse("postgres://h/db?pool_size=many").is_err());
        assert!(PgOptions::parse("postgres://h/db?copy=csv").is_err());
        assert!(PgOptions::parse("postgres://h/db?heavy_nice=20").is_err());
        assert_eq!(
            PgOptions::parse("postgres://h/db?heavy_nice=0")
                .unwrap()
                .heavy_nice,
            0
        );
        assert_eq!(o.heavy_nice, 10);
        assert!(PgOptions::parse("postgres://h/db?nonsense_option=1").is_err());
    }
}
