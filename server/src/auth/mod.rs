//! Credentials: password hashes, bearer tokens, the login attempt limiter, and the bound on
//! password checks running at once.

pub mod gate;
pub mod limiter;
pub mod password;
pub mod token;
