//! What the dialect's handlers share besides the application state.

use crate::config::ZoomConfig;
use crate::rate_limit::RateLimiter;

/// What the handlers share besides the application state (an `Extension` of the routes).
pub struct Zoom {
    pub config: ZoomConfig,
    pub(crate) limiter: Option<RateLimiter>,
}

impl Zoom {
    pub fn new(config: ZoomConfig) -> Self {
        Zoom {
            limiter: config.rate_limits.map(RateLimiter::new),
            config,
        }
    }
}
