//! The BroadcastChannel every tab (and the import worker) tells the others on: its name and
//! the messages about the device's data. The tabs' own messages (logout, session, synced)
//! are the app's; these are written by whoever writes rows.

/// The channel's name.
pub const CHANNEL_NAME: &str = "minicrm-sync";
/// Something waits in the outbox: the leading tab's sync loop should run now.
pub const SYNC_MESSAGE: &str = "sync";
/// The device's counts (outbox, refusals) changed.
pub const CHANGED_MESSAGE: &str = "changed";
/// Prefix of the message naming the rows a writer changed (`rows:*`: too many to name).
pub const ROWS_PREFIX: &str = "rows:";
/// Beyond this many rows one message says "everything" instead.
pub const MAX_NAMED_ROWS: usize = 3000;

/// The message telling the other tabs that `keys` changed.
pub fn rows_message(keys: &[(String, String)]) -> String {
    if keys.len() > MAX_NAMED_ROWS {
        return format!("{ROWS_PREFIX}*");
    }
    let json = serde_json::to_string(keys).unwrap_or_else(|_| "*".to_owned());
    format!("{ROWS_PREFIX}{json}")
}

/// The rows a `rows:` message names: `Some(None)` for everything, `None` when the message
/// is not about rows.
pub fn rows_of_message(message: &str) -> Option<Option<Vec<(String, String)>>> {
    let rest = message.strip_prefix(ROWS_PREFIX)?;
    Some(serde_json::from_str(rest).ok())
}
