//! miniCRM server: the HTTP API and sync over SQLite.
//!
//! The server is a library so tests can run it in-process on a random port; `main.rs` only
//! parses the command line and calls into here.

pub mod auth;
pub mod cli;
pub mod db;
pub mod demo;
pub mod http;

pub use http::{AppState, app};
