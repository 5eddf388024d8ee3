//! Where webhooks may be sent: the framework's outbound policy
//! ([`interlog_http::outbound`]) at registration and at every delivery; redirects are not
//! followed.

use interlog_http::outbound::guarded_client;

/// The HTTP client deliveries use.
pub fn client(allow_internal: bool, timeout: std::time::Duration) -> reqwest::Client {
    guarded_client(allow_internal)
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .user_agent(concat!("Interlog-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(4)
        .build()
        .expect("the webhook client builds")
}
