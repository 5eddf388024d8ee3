//! Heavy reads yield the CPU where the database runs on this machine: the server processes
//! (backends) of the heavy pool's connections get a lower scheduling priority (nice), as
//! SQLite's heavy readers do, so that when both want the cores the kernel gives the cheap
//! reads' backends nearly all of them. It takes the right to lower another user's process
//! (root or `CAP_SYS_NICE`, or the database running as Interlog's own user); without it, or
//! with a database elsewhere, heavy reads run at the database's normal priority (logged
//! once).

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether every host of the connection settings is this machine (a Unix socket or a
/// loopback address): only then is a backend's process id one of this machine's.
pub(crate) fn is_local(pg: &tokio_postgres::Config) -> bool {
    use tokio_postgres::config::Host;
    let hosts = pg.get_hosts();
    !hosts.is_empty()
        && hosts.iter().all(|h| match h {
            Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|a| a.is_loopback())
            }
            #[cfg(unix)]
            Host::Unix(_) => true,
        })
}

/// Lowers the priority of the backend `pid` to `nice`, when it is a PostgreSQL process of
/// this machine (another PID namespace could give the number to another process).
pub(crate) fn lower_backend(pid: i32, nice: i32) {
    static REFUSED: AtomicBool = AtomicBool::new(false);
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if !comm.trim_end().starts_with("postgres") {
        if !REFUSED.swap(true, Ordering::Relaxed) {
            tracing::info!(
                pid,
                "heavy reads run at the database's normal priority: its backend is not a process of this machine"
            );
        }
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority changes only the nice value of the process named, checked above
    // to be a PostgreSQL backend.
    unsafe {
        if libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, nice) != 0
            && !REFUSED.swap(true, Ordering::Relaxed)
        {
            tracing::info!(
                pid,
                error = %std::io::Error::last_os_error(),
                "heavy reads run at the database's normal priority: Interlog may not lower its backends' priority"
            );
        }
    }
}
