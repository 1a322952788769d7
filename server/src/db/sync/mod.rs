//! Sync storage: applying pushes, serving pulls and history. The rules come from core
//! (validation, access, the LWW decision); this module only stores what they decide.
//!
//! `push` writes, `pull` and `history` read, `scopes` decides who sees a row (now and at
//! earlier versions) and settles role changes, `purge` empties the trash, `clock` keeps the
//! server's HLC. The rows themselves are stored through `db::rows`.

mod clock;
mod history;
mod pull;
mod purge;
mod push;
mod scopes;

pub use clock::{SERVER_NODE, load_clock};
pub use history::history;
pub use pull::pull;
pub use purge::{PurgeTarget, purge};
pub use push::apply_push;
pub use scopes::{record_role_change, settle_legacy_role_changes, visible_row};
