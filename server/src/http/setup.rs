//! First-run setup: while the server has no users, the one-time token it printed at start
//! lets whoever holds it create the first administrator. Safe beyond localhost: without the
//! token nothing can be created, and once a user exists the route refuses.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use minicrm_core::Role;
use minicrm_core::api::{LoginResponse, SetupRequest, SetupStatus};
use minicrm_core::validate;

use super::auth::issue_token;
use super::{ApiError, ApiJson, AppState};
use crate::auth::{password, token};
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
    validate::check_password(&request.password)?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&request.password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let now = db::now_ms();
    let user = state
        .db
        .write(move |conn| {
            let tx = conn.transaction().map_err(db::DbError::from)?;
            // A `user add` beside the running server may have created the first user.
            if users::count(&tx)? > 0 {
                return Err(already_set_up());
            }
            let new = users::NewUser {
                email: &email,
                name: &name,
                role: Role::Admin,
                password_hash: &hash,
            };
            let user = users::insert(&tx, &new, now).map_err(ApiError::internal)?;
            tx.commit().map_err(db::DbError::from)?;
            Ok(user)
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
