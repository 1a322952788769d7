//! App-wide state behind `provide_*()` / `use_*()`. Components read from here; only the
//! functions in these modules write.

pub mod measure;
pub mod now;
pub mod online;
pub mod session;
pub mod zone;
