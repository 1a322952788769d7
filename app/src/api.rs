//! The server's HTTP API as the app calls it (shared/PROTOCOL.md).

use gloo_net::http::{Request, RequestBuilder, Response};
use minicrm_core::api::{
    CreateUserRequest, ErrorBody, LoginRequest, LoginResponse, SetupRequest, SetupStatus,
    UpdateUserRequest, User, UserList,
};
use minicrm_core::sync::{HistoryResponse, PullResponse, PushRequest, PushResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer: offline, server down, connection dropped.
    #[error("the server cannot be reached")]
    Unreachable,
    /// 401: not logged in, or the token expired or was revoked.
    #[error("{message}")]
    Unauthorized { message: String },
    /// Any other error reply, with the server's code and message.
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// A reply that is not what the contract says.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}

impl ApiError {
    /// The message to show a person.
    pub fn user_message(&self) -> String {
        match self {
            ApiError::Unreachable => crate::t!("error-offline"),
            ApiError::Unauthorized { message } | ApiError::Server { message, .. } => {
                message.clone()
            }
            ApiError::Unexpected(message) => crate::t!("error-unexpected", message = message),
        }
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|err| ApiError::Unexpected(err.to_string()));
    }
    let status = response.status();
    let body = response.json::<ErrorBody>().await.ok();
    let (code, message) = match body {
        Some(body) => (body.error.code, body.error.message),
        None => ("unknown".to_owned(), format!("HTTP {status}")),
    };
    if status == 401 {
        Err(ApiError::Unauthorized { message })
    } else {
        Err(ApiError::Server {
            status,
            code,
            message,
        })
    }
}

async fn send<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    let request = request.map_err(|err| ApiError::Unexpected(err.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    read(response).await
}

fn authorized(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

fn with_json<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
    builder.json(body)
}

pub async fn login(request: &LoginRequest) -> Result<LoginResponse, ApiError> {
    send(with_json(Request::post("/api/auth/login"), request)).await
}

pub async fn logout(token: &str) -> Result<(), ApiError> {
    let request = authorized(Request::post("/api/auth/logout"), token)
        .build()
        .map_err(|err| ApiError::Unexpected(err.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    if response.ok() {
        Ok(())
    } else {
        read::<serde_json::Value>(response).await.map(|_| ())
    }
}

pub async fn me(token: &str) -> Result<User, ApiError> {
    send(authorized(Request::get("/api/me"), token).build()).await
}

pub async fn setup_status() -> Result<SetupStatus, ApiError> {
    send(Request::get("/api/setup").build()).await
}

pub async fn setup(request: &SetupRequest) -> Result<LoginResponse, ApiError> {
    send(with_json(Request::post("/api/setup"), request)).await
}

pub async fn list_users(token: &str) -> Result<UserList, ApiError> {
    send(authorized(Request::get("/api/users"), token).build()).await
}

pub async fn create_user(token: &str, request: &CreateUserRequest) -> Result<User, ApiError> {
    send(with_json(
        authorized(Request::post("/api/users"), token),
        request,
    ))
    .await
}

pub async fn update_user(
    token: &str,
    id: &str,
    request: &UpdateUserRequest,
) -> Result<User, ApiError> {
    send(with_json(
        authorized(Request::patch(&format!("/api/users/{id}")), token),
        request,
    ))
    .await
}

pub async fn push(token: &str, request: &PushRequest) -> Result<PushResponse, ApiError> {
    send(with_json(
        authorized(Request::post("/api/sync/push"), token),
        request,
    ))
    .await
}

pub async fn pull(token: &str, cursor: u64, limit: usize) -> Result<PullResponse, ApiError> {
    let url = format!("/api/sync/pull?cursor={cursor}&limit={limit}");
    send(authorized(Request::get(&url), token).build()).await
}

/// One page of a row's history (`GET /api/history/{entity}/{id}?before=&limit=`): entries
/// in ascending HLC order, the newest `limit` before `before`; `more` when older ones
/// exist (a server that does not page sends every entry and no `more`: read as false).
pub async fn history_page(
    token: &str,
    entity: &str,
    id: &str,
    before: Option<&str>,
    limit: usize,
) -> Result<HistoryResponse, ApiError> {
    let mut url = format!("/api/history/{entity}/{id}?limit={limit}");
    if let Some(before) = before {
        url.push_str("&before=");
        url.push_str(&String::from(js_sys::encode_uri_component(before)));
    }
    send(authorized(Request::get(&url), token).build()).await
}

/// The server's reply to a purge.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PurgeResponse {
    pub purged: u64,
}

/// Admin: removes these contacts (in the trash) for good.
pub async fn purge(token: &str, ids: &[String]) -> Result<PurgeResponse, ApiError> {
    send(with_json(
        authorized(Request::post("/api/trash/purge"), token),
        &serde_json::json!({ "ids": ids }),
    ))
    .await
}

/// The server's part of a report (`GET /api/reports/changes`): records created and changed
/// and stage changes per user per day of `bounds` (day starts, then the end), for `only`
/// one user or everyone the caller may see.
pub async fn report_changes(
    token: &str,
    bounds: &[i64],
    only: Option<uuid::Uuid>,
) -> Result<minicrm_core::report::ChangesReport, ApiError> {
    let bounds: Vec<String> = bounds.iter().map(i64::to_string).collect();
    let mut url = format!("/api/reports/changes?bounds={}", bounds.join(","));
    if let Some(user) = only {
        url.push_str(&format!("&user_id={user}"));
    }
    send(authorized(Request::get(&url), token).build()).await
}
