//! The `tokens` table: bearer tokens, stored only as SHA-256 hashes.

use minicrm_core::UserId;
use minicrm_core::api::User;
use rusqlite::{Connection, OptionalExtension, params};

use super::error::DbError;

/// A token stops working this long after it was last used. A salesperson may be offline
/// for weeks and must still be able to sync when they come back.
pub const IDLE_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// `last_used_at` is refreshed at most this often, so reads stay reads.
pub const TOUCH_INTERVAL_MS: i64 = 60 * 60 * 1000;

pub type TokenHash = [u8; 32];

pub fn insert(
    conn: &Connection,
    hash: &TokenHash,
    user: UserId,
    now_ms: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO tokens (token_hash, user_id, created_at, last_used_at) VALUES (?1, ?2, ?3, ?3)",
        params![&hash[..], user.to_string(), now_ms],
    )?;
    Ok(())
}

/// A live token's user and when the token was last used.
pub struct TokenOwner {
    pub user: User,
    pub last_used_at: i64,
}

/// The active user a token belongs to, if the token exists and has not expired.
pub fn owner(
    conn: &Connection,
    hash: &TokenHash,
    now_ms: i64,
) -> Result<Option<TokenOwner>, DbError> {
    let found = conn
        .query_row(
            "SELECT u.id, u.email, u.name, u.role, u.active, t.last_used_at
               FROM tokens t JOIN users u ON u.id = t.user_id
              WHERE t.token_hash = ?1 AND u.active = 1 AND t.last_used_at > ?2",
            params![&hash[..], now_ms - IDLE_LIFETIME_MS],
            |row| {
                let id: String = row.get(0)?;
                let role: String = row.get(3)?;
                Ok((id, row.get(1)?, row.get(2)?, role, row.get(4)?, row.get(5)?))
            },
        )
        .optional()?;
    let Some((id, email, name, role, active, last_used_at)) = found else {
        return Ok(None);
    };
    // A row we cannot parse is a token nobody can use, not a server error.
    let (Ok(id), Ok(role)) = (id.parse(), role.parse()) else {
        return Ok(None);
    };
    Ok(Some(TokenOwner {
        user: User {
            id,
            email,
            name,
            role,
            active,
        },
        last_used_at,
    }))
}

pub fn touch(conn: &Connection, hash: &TokenHash, now_ms: i64) -> Result<(), DbError> {
    conn.execute(
        "UPDATE tokens SET last_used_at = ?2 WHERE token_hash = ?1",
        params![&hash[..], now_ms],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, hash: &TokenHash) -> Result<(), DbError> {
    conn.execute("DELETE FROM tokens WHERE token_hash = ?1", [&hash[..]])?;
    Ok(())
}

/// Revokes every token of `user` except `keep` (the caller's own, when they change their
/// own password).
pub fn delete_for_user(
    conn: &Connection,
    user: UserId,
    keep: Option<&TokenHash>,
) -> Result<usize, DbError> {
    let keep: &[u8] = keep.map(|hash| &hash[..]).unwrap_or(&[]);
    Ok(conn.execute(
        "DELETE FROM tokens WHERE user_id = ?1 AND token_hash != ?2",
        params![user.to_string(), keep],
    )?)
}

/// Removes tokens that can no longer be used.
pub fn delete_expired(conn: &Connection, now_ms: i64) -> Result<usize, DbError> {
    Ok(conn.execute(
        "DELETE FROM tokens WHERE last_used_at <= ?1",
        [now_ms - IDLE_LIFETIME_MS],
    )?)
}
