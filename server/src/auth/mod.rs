//! Credentials: password hashes, bearer tokens, and the login attempt limiter.

pub mod limiter;
pub mod password;
pub mod token;
