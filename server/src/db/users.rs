//! The `users` table, and the user directory: each account published as a read-only `user`
//! row that syncs to every device.

use minicrm_core::api::User;
use minicrm_core::hlc::{Clock, Hlc};
use minicrm_core::schema::{Entity, RowSize};
use minicrm_core::{Role, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use super::error::DbError;
use super::rows::{bump_version, row_line, store_field, stored_field};
use super::sync::{SERVER_NODE, record_role_change};

const USER_COLUMNS: &str = "id, email, name, role, active";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    Ok(User {
        id: id.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        email: row.get(1)?,
        name: row.get(2)?,
        role: role.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        active: row.get(4)?,
    })
}

/// A user with their password hash, as login needs it.
pub struct LoginCandidate {
    pub user: User,
    pub password_hash: String,
}

/// What to insert. The e-mail and name are already normalized by the caller.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// What the accounts' constraints refuse. Each boundary maps these once: `ApiError`
/// (http/error.rs), `DemoError`, and the command line (this type's text).
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// E-mails are unique.
    #[error("a user with the e-mail {0} already exists")]
    EmailTaken(String),
    /// A change would leave no active administrator.
    #[error("this is the last active administrator")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for UserError {
    fn from(err: rusqlite::Error) -> Self {
        UserError::Db(err.into())
    }
}

/// Inserts an account and publishes it as a `user` row; call inside a transaction.
pub fn insert(conn: &Connection, new: &NewUser<'_>, now_ms: i64) -> Result<User, UserError> {
    let id = UserId(uuid::Uuid::now_v7());
    let result = conn.execute(
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
        params![
            id.to_string(),
            new.email,
            new.name,
            new.role.as_str(),
            new.password_hash,
            now_ms
        ],
    );
    match result {
        Ok(_) => {
            let user = User {
                id,
                email: new.email.to_owned(),
                name: new.name.to_owned(),
                role: new.role,
                active: true,
            };
            publish_user(conn, &user, now_ms)?;
            Ok(user)
        }
        Err(rusqlite::Error::SqliteFailure(err, _))
            if err.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(UserError::EmailTaken(new.email.to_owned()))
        }
        Err(err) => Err(err.into()),
    }
}

pub fn count(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))?)
}

/// Active administrators other than `except`.
fn other_active_admins(conn: &Connection, except: UserId) -> Result<i64, DbError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?1",
        [except.to_string()],
        |row| row.get(0),
    )?)
}

pub fn get(conn: &Connection, id: UserId) -> Result<Option<User>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id.to_string()],
            user_from_row,
        )
        .optional()?)
}

pub fn find_for_login(conn: &Connection, email: &str) -> Result<Option<LoginCandidate>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?1"),
            [email],
            |row| {
                Ok(LoginCandidate {
                    user: user_from_row(row)?,
                    password_hash: row.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Every account, by name.
pub fn list(conn: &Connection) -> Result<Vec<User>, DbError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE, email"
    ))?;
    let users = stmt
        .query_map([], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// The changes to apply to one account; `None` leaves a column as it is.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub password_hash: Option<&'a str>,
    pub active: Option<bool>,
}

/// Changes an account and publishes it; a role change gives every row whose visibility it
/// changes a new version, so the user's devices learn of them on their next pull. `None`
/// when there is no such account; [`UserError::LastAdmin`] when the change would leave no
/// active administrator. Call inside a transaction.
pub fn update(
    conn: &Connection,
    id: UserId,
    changes: &UserChanges<'_>,
    now_ms: i64,
) -> Result<Option<User>, UserError> {
    let Some(before) = get(conn, id)? else {
        return Ok(None);
    };
    let stays_active_admin = changes.role.unwrap_or(before.role) == Role::Admin
        && changes.active.unwrap_or(before.active);
    if before.role == Role::Admin
        && before.active
        && !stays_active_admin
        && other_active_admins(conn, id)? == 0
    {
        return Err(UserError::LastAdmin);
    }
    conn.execute(
        "UPDATE users SET
            name = coalesce(?2, name),
            role = coalesce(?3, role),
            password_hash = coalesce(?4, password_hash),
            active = coalesce(?5, active),
            updated_at = ?6
         WHERE id = ?1",
        params![
            id.to_string(),
            changes.name,
            changes.role.map(Role::as_str),
            changes.password_hash,
            changes.active,
            now_ms
        ],
    )?;
    let Some(after) = get(conn, id)? else {
        return Ok(None);
    };
    if after != before {
        let version = publish_user(conn, &after, now_ms)?;
        if after.role != before.role {
            // (`users.scope_version`, the resend-everything mark of migration 0002, is no
            // longer read: role_changes and the re-versioned rows replace it.)
            record_role_change(conn, &after, before.role, version, now_ms)?;
        }
    }
    Ok(Some(after))
}

/// Publishes an account as a read-only `user` row, so devices offline can show owners and
/// assign work. Called in the same transaction as every change of the account.
pub fn publish_user(conn: &Connection, user: &User, now_ms: i64) -> Result<i64, DbError> {
    let id = user.id.to_string();
    let last: Option<String> = conn
        .prepare_cached("SELECT max(hlc) FROM fields WHERE entity = 'user' AND id = ?1")?
        .query_row([&id], |row| row.get(0))?;
    let last = last.and_then(|text| text.parse::<Hlc>().ok());
    let mut clock = Clock::resume(SERVER_NODE, last.as_ref());
    let hlc = clock.tick(u64::try_from(now_ms).unwrap_or(0)).to_string();
    let fields = [
        ("name", Value::from(user.name.clone())),
        ("email", Value::from(user.email.clone())),
        ("role", Value::from(user.role.as_str())),
        ("active", Value::from(user.active)),
    ];
    // Make sure the row exists so its size can be kept.
    conn.prepare_cached(
        "INSERT INTO rows (entity, id, version) VALUES ('user', ?1, 0) ON CONFLICT DO NOTHING",
    )?
    .execute([&id])?;
    let mut size = row_line(conn, Entity::User, &id)?
        .map(|line| line.size)
        .unwrap_or_default();
    for (field, value) in fields {
        let value = value.to_string();
        let old = stored_field(conn, Entity::User, &id, field)?.map(|stored| stored.bytes);
        // The directory's own fields are short and set by the server: no bound applies.
        size = size.after(old, RowSize::field_bytes(field, &value));
        store_field(conn, Entity::User, &id, field, &value, &hlc, size)?;
    }
    bump_version(conn, Entity::User, &id, now_ms)
}

/// Publishes every account that has no `user` row yet (accounts made before sync existed).
pub fn publish_missing_users(conn: &Connection, now_ms: i64) -> Result<(), DbError> {
    let missing: Vec<String> = conn
        .prepare(
            "SELECT u.id FROM users u
              WHERE NOT EXISTS (SELECT 1 FROM rows r WHERE r.entity = 'user' AND r.id = u.id)",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in missing {
        let Ok(id) = id.parse() else { continue };
        if let Some(user) = get(conn, id)? {
            publish_user(conn, &user, now_ms)?;
        }
    }
    Ok(())
}
