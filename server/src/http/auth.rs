//! Login, logout, the current user, health.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use minicrm_core::api::{Health, LoginRequest, LoginResponse, User};
use minicrm_core::validate::{self, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS};

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, ClientAddr};
use super::state::AppState;
use crate::auth::{password, token};
use crate::db::{self, tokens, users};

pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    // Cheap bounds first: nothing longer than an e-mail can be is used as a key or logged.
    if request.email.len() > 4 * MAX_EMAIL_CHARS
        || request.email.trim().chars().count() > MAX_EMAIL_CHARS
    {
        return Err(ApiError::invalid(
            "invalid_email",
            format!("An e-mail address has at most {MAX_EMAIL_CHARS} characters."),
        ));
    }
    if request.password.len() > 4 * MAX_PASSWORD_CHARS
        || request.password.chars().count() > MAX_PASSWORD_CHARS
    {
        return Err(ApiError::invalid(
            "invalid_password",
            format!("A password has at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    let email = request.email.trim().to_lowercase();
    let attempt = state
        .limiter
        .begin(&email, address, Instant::now())
        .map_err(|retry_after| ApiError::TooManyAttempts { retry_after })?;
    let lookup = email.clone();
    let candidate = state
        .db
        .read(move |conn| users::find_for_login(conn, &lookup))
        .await?;
    let stored_hash = candidate.as_ref().map_or_else(
        || state.dummy_hash.to_string(),
        |found| found.password_hash.clone(),
    );
    let permit = state.password_checks.acquire().await?;
    let password_matches =
        tokio::task::spawn_blocking(move || password::verify(&request.password, &stored_hash))
            .await?;
    drop(permit);
    let user = match candidate {
        Some(found) if password_matches => found.user,
        _ => {
            state.limiter.failed(&email, attempt);
            tracing::info!(email, "failed login");
            return Err(ApiError::BadCredentials);
        }
    };
    if !user.active {
        state.limiter.failed(&email, attempt);
        return Err(ApiError::AccountDisabled);
    }
    state.limiter.succeeded(&email, address, attempt);
    let token = issue_token(&state, &user).await?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(Json(LoginResponse { token, user }))
}

/// Checks a new password against the rules and hashes it (off the async runtime).
pub(super) async fn hash_password(password: String) -> Result<String, ApiError> {
    validate::check_password(&password)?;
    Ok(tokio::task::spawn_blocking(move || password::hash(&password)).await??)
}

/// Creates a new bearer token for `user` and returns its text.
pub(super) async fn issue_token(state: &AppState, user: &User) -> Result<String, ApiError> {
    let (text, hash) = token::generate();
    let user_id = user.id;
    let now = db::now_ms();
    state
        .db
        .write(move |conn| {
            tokens::delete_expired(conn, now)?;
            tokens::insert(conn, &hash, user_id, now)
        })
        .await?;
    Ok(text)
}

pub async fn logout(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    let hash = auth.token_hash;
    state
        .db
        .write(move |conn| tokens::delete(conn, &hash))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user)
}
