//! Extractors whose rejections use the API's error shape.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use minicrm_core::api::User;

use super::error::ApiError;
use super::state::AppState;
use crate::auth::token;
use crate::db::{self, tokens};

/// The largest request body accepted (PROTOCOL.md: 1 MiB per sync request).
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// `Json<T>` whose every rejection (not JSON, wrong content type, too large, wrong shape)
/// is an [`ApiError`] with the API's error body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::Malformed(format!(
                    "The request body could not be read: {}",
                    rejection.body_text()
                ))
            }
        })?;
        // Every request body of this API is a JSON object; serde would also take an array
        // for a struct, which no client means.
        let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(
                if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
                    ApiError::invalid("invalid_body", "The request body must be a JSON object.")
                } else {
                    ApiError::Malformed("The request body is not valid JSON.".into())
                },
            );
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(json_rejection)
    }
}

fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "The request body is larger than the limit of {} bytes.",
        BODY_LIMIT_BYTES
    ))
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::JsonDataError(err) => ApiError::invalid(
            "invalid_body",
            format!("The request body is not valid: {}", err.body_text()),
        ),
        JsonRejection::JsonSyntaxError(err) => ApiError::Malformed(format!(
            "The request body is not valid JSON: {}",
            err.body_text()
        )),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => ApiError::Malformed(format!(
            "The request body could not be read: {}",
            other.body_text()
        )),
    }
}

/// What a route's query string must hold, said in the 400 when it does not.
pub trait QueryShape {
    const EXPECTED: &'static str;
}

/// `Query<T>` whose rejection is a 400 with the API's error body: what the query must hold
/// ([`QueryShape::EXPECTED`]) and what was wrong.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned + QueryShape,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(query) =
            Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|rejection| {
                    ApiError::Malformed(format!("{}: {}", T::EXPECTED, rejection.body_text()))
                })?;
        Ok(ApiQuery(query))
    }
}

/// The client's address, when the server was started with connection info: the peer, or,
/// behind the trusted proxy, the address it forwarded (`proxy::client_address`).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| {
                    super::proxy::client_address(addr.ip(), &parts.headers, state.trusted_proxy)
                }),
        ))
    }
}

/// The logged-in user of a request, from its `Authorization: Bearer` token.
pub struct AuthUser {
    pub user: User,
    pub token_hash: tokens::TokenHash,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let (scheme, text) = header
            .trim()
            .split_once(' ')
            .ok_or(ApiError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") || text.trim().is_empty() {
            return Err(ApiError::Unauthorized);
        }
        let token_hash = token::hash(text.trim());
        let now = db::now_ms();
        let owner = state
            .db
            .read(move |conn| tokens::owner(conn, &token_hash, now))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if now - owner.last_used_at >= tokens::TOUCH_INTERVAL_MS {
            state
                .db
                .write(move |conn| tokens::touch(conn, &token_hash, now))
                .await?;
        }
        Ok(AuthUser {
            user: owner.user,
            token_hash,
        })
    }
}
