//! The users API: list (admin, manager), create and change (admin).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use minicrm_core::api::{CreateUserRequest, UpdateUserRequest, User, UserList};
use minicrm_core::{UserId, validate};

use super::auth::hash_password;
use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use super::state::AppState;
use crate::db::{self, tokens, users};

fn require_admin(auth: &AuthUser) -> Result<(), ApiError> {
    if auth.user.role.may_manage_users() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only an administrator may create or change accounts.",
        ))
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<UserList>, ApiError> {
    if !auth.user.role.may_list_users() {
        return Err(ApiError::forbidden(
            "Only administrators and managers may list accounts.",
        ));
    }
    let users = state.db.read(users::list).await?;
    Ok(Json(UserList { users }))
}

pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    require_admin(&auth)?;
    let email = validate::normalize_email(&request.email)?;
    let name = validate::normalize_name(&request.name)?;
    let hash = hash_password(request.password).await?;
    let role = request.role;
    let now = db::now_ms();
    let user = state
        .db
        .write(move |conn| {
            let new = users::NewUser {
                email: &email,
                name: &name,
                role,
                password_hash: &hash,
            };
            db::in_transaction(conn, |tx| -> Result<User, ApiError> {
                Ok(users::insert(tx, &new, now)?)
            })
        })
        .await?;
    tracing::info!(user_id = %user.id, by = %auth.user.id, role = %user.role, "user created");
    Ok((StatusCode::CREATED, Json(user)))
}

pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> Result<Json<User>, ApiError> {
    require_admin(&auth)?;
    let unknown = || ApiError::not_found("There is no user with this id.");
    let id: UserId = id.parse().map_err(|_| unknown())?;
    let name = request
        .name
        .as_deref()
        .map(validate::normalize_name)
        .transpose()?;
    let password_hash = match request.password {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let role = request.role;
    let active = request.active;
    let caller_token = auth.token_hash;
    let caller = auth.user.id;
    let now = db::now_ms();
    let user = state
        .db
        .write(move |conn| {
            db::in_transaction(conn, |tx| -> Result<User, ApiError> {
                let changes = users::UserChanges {
                    name: name.as_deref(),
                    role,
                    password_hash: password_hash.as_deref(),
                    active,
                };
                let updated = users::update(tx, id, &changes, now)?.ok_or_else(unknown)?;
                if active == Some(false) {
                    tokens::delete_for_user(tx, id, None)?;
                } else if password_hash.is_some() {
                    // A new password ends every other session; the admin changing their own
                    // password stays logged in on this device.
                    let keep = (id == caller).then_some(&caller_token);
                    tokens::delete_for_user(tx, id, keep)?;
                }
                Ok(updated)
            })
        })
        .await?;
    tracing::info!(user_id = %user.id, by = %caller, "user changed");
    Ok(Json(user))
}
