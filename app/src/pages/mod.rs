//! One module per screen.

pub mod accounts;
pub mod dialogs;
pub mod forms;
pub mod login;
pub mod placeholder;
pub mod records;
pub mod reports;
pub mod settings;
pub mod setup;
pub mod shell;
pub mod sync;
pub mod tasks;
