//! First-run setup: while the server has no users, the one-time token it printed at start
//! lets whoever holds it create the first administrator. Safe beyond localhost: without the
//! token nothing can be created, and once a user exists the route refuses.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use minicrm_core::Role;
use minicrm_core::api::{LoginResponse, SetupRequest, SetupStatus};
use minicrm_core::validate;

use super::auth::{hash_password, issue_token};
use super::error::ApiError;
use super::extract::ApiJson;
use super::state::AppState;
use crate::auth::token;
use crate::db::{self, users};

pub async fn status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let count = state.db.read(users::count).await?;
    Ok(Json(SetupStatus { needed: count == 0 }))
}

fn already_set_up() -> ApiError {
    ApiError::Conflict {
        code: "already_set_up",
        message: "This server already has users. Log in instead.".into(),
    }
}

pub async fn create_admin(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SetupRequest>,
) -> Result<(StatusCode, Json<LoginResponse>), ApiError> {
    let Some(expected) = state.setup_token() else {
        return Err(already_set_up());
    };
    if !token::secrets_equal(&request.token, &expected) {
        return Err(ApiError::forbidden(
            "This setup link is not valid. Use the link the server printed when it started.",
        ));
    }
    let email = validate::normalize_email(&request.email)?;
    let name = validate::normalize_name(&request.name)?;
    let hash = hash_password(request.password).await?;
    let now = db::now_ms();
    let user = state
        .db
        .write(move |conn| {
            db::in_transaction(conn, |tx| {
                // A `user add` beside the running server may have created the first user.
                if users::count(tx)? > 0 {
                    return Err(already_set_up());
                }
                let new = users::NewUser {
                    email: &email,
                    name: &name,
                    role: Role::Admin,
                    password_hash: &hash,
                };
                Ok(users::insert(tx, &new, now)?)
            })
        })
        .await;
    // Created now, or found already set up: either way the link has done its work.
    if matches!(user, Ok(_) | Err(ApiError::Conflict { .. }))
        && let Ok(mut token) = state.setup_token.lock()
    {
        *token = None;
    }
    let user = user?;
    tracing::info!(user_id = %user.id, "first administrator created through the setup link");
    let token = issue_token(&state, &user).await?;
    Ok((StatusCode::CREATED, Json(LoginResponse { token, user })))
}
