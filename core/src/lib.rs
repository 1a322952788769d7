//! miniCRM's domain and sync rules.
//!
//! Everything here is pure: no IO, no async, no wall clock. The server and the app both
//! depend on this crate, so a rule written here is applied identically on both sides.

pub mod access;
pub mod api;
pub mod combine;
pub mod contact;
pub mod deadline;
pub mod duplicates;
pub mod hlc;
pub mod id;
pub mod import;
pub mod input;
pub mod keys;
pub mod merge;
pub mod phone;
pub mod polish_ids;
pub mod query;
pub mod record;
pub mod report;
pub mod schema;
pub mod sync;
pub mod text;
pub mod validate;
pub mod work;

pub use access::Role;
pub use id::UserId;
