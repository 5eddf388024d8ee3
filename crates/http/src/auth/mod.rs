//! Authentication: hashed secrets, signed tokens, and who may do what.

pub mod caller;
pub mod credentials;
pub mod guard;
pub mod revocation;
pub(crate) mod schemes;
mod secret;
pub(crate) mod signer;
pub(crate) mod throttle;
pub(crate) mod token;

pub use caller::{Admin, Agent, Caller, Reader};
pub use guard::{CredentialGuard, GuardLimits};
pub use schemes::{basic_credentials, bearer_token};
pub use secret::{generate_secret, hash_secret, random_id, verify_secret};
pub use signer::{Signer, SignerError};
pub use throttle::FailureThrottle;
pub use token::{now_secs, Claims, SubjectKind};

/// The name, among a client's credentials, of an application key: a second secret that
/// some dialects ask for beside the token (`interlog client create --app-key`).
pub const APP_KEY: &str = "app_key";
