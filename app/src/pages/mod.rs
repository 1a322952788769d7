//! One module per screen.

pub mod login;
pub mod placeholder;
pub mod settings;
pub mod setup;
pub mod shell;
