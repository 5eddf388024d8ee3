//! Authentication: hashed secrets, signed tokens, and who may do what.

mod secret;
mod signer;
mod throttle;
mod token;

pub use secret::{generate_secret, hash_secret, verify_secret};
pub use signer::{Signer, SignerError};
pub use throttle::FailureThrottle;
pub use token::{Claims, SubjectKind};
