//! Sync and history (PROTOCOL.md, "Push", "Pull", "History").

use axum::Json;
use axum::extract::{Path, State};
use minicrm_core::access::Actor;
use minicrm_core::hlc::is_valid_node;
use minicrm_core::schema::Entity;
use minicrm_core::sync::{
    DEFAULT_HISTORY_LIMIT, DEFAULT_PULL_LIMIT, HistoryResponse, MAX_HISTORY_LIMIT, MAX_PULL_LIMIT,
    MAX_PUSH_CHANGES, PullResponse, PushResponse, read_change,
};
use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, AuthUser, QueryShape};
use super::state::AppState;
use crate::db::{self, DbError, sync};

fn actor(auth: &AuthUser) -> Actor {
    Actor {
        user_id: auth.user.id,
        role: auth.user.role,
    }
}

fn not_a_push(message: &str) -> ApiError {
    ApiError::invalid(
        "invalid_body",
        format!("This is not a push request: {message}."),
    )
}

pub async fn push(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<PushResponse>, ApiError> {
    let client_id = body
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|id| is_valid_node(id))
        .ok_or_else(|| {
            not_a_push("`client_id` must be the device's id (lowercase letters, digits, '-')")
        })?
        .to_owned();
    let elements = body
        .get("changes")
        .and_then(Value::as_array)
        .ok_or_else(|| not_a_push("`changes` must be an array"))?;
    if elements.len() > MAX_PUSH_CHANGES {
        return Err(ApiError::PayloadTooLarge(format!(
            "A push may carry at most {MAX_PUSH_CHANGES} changes; this one has {}. Send them in smaller batches.",
            elements.len()
        )));
    }
    let changes = elements
        .iter()
        .map(read_change)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| not_a_push(&message))?;
    let actor = actor(&auth);
    let clock = state.clock.clone();
    let now = db::now_ms();
    let response = state
        .db
        .write(move |conn| {
            let mut clock = clock.lock().map_err(|_| DbError::Poisoned)?;
            // On failure the transaction rolls back; so must the clock.
            let before = clock.clone();
            let result = sync::apply_push(conn, &actor, &client_id, changes, &mut clock, now);
            if result.is_err() {
                *clock = before;
            }
            result
        })
        .await?;
    Ok(Json(response))
}

/// A page's size: `asked` (at least 1, at most `max`), else `default`.
fn page_limit(asked: Option<usize>, default: usize, max: usize) -> usize {
    asked.unwrap_or(default).clamp(1, max)
}

#[derive(Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    cursor: u64,
    limit: Option<usize>,
}

impl QueryShape for PullQuery {
    const EXPECTED: &'static str = "`cursor` and `limit` must be non-negative integers";
}

pub async fn pull(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Json<PullResponse>, ApiError> {
    let limit = page_limit(query.limit, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT);
    let actor = actor(&auth);
    let server_hlc = state.server_hlc()?;
    let response = state
        .db
        .read(move |conn| sync::pull(conn, &actor, query.cursor, limit, server_hlc))
        .await?;
    Ok(Json(response))
}

// Built like `PullQuery` and `pull` on purpose: each paged route declares its own query and
// what it must hold; the page size is `page_limit`.
#[derive(Deserialize)]
pub struct HistoryQuery {
    before: Option<String>,
    limit: Option<usize>,
}

impl QueryShape for HistoryQuery {
    const EXPECTED: &'static str = "`before` must be an HLC and `limit` a positive integer";
}

/// `GET /api/history/{entity}/{id}?before=<hlc>&limit=N`: the newest `limit` writes (default
/// 1000, also the most) older than `before`, ascending, with `more` when older ones exist.
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((entity, id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryResponse>, ApiError> {
    if let Some(before) = &query.before
        && before.parse::<minicrm_core::hlc::Hlc>().is_err()
    {
        return Err(ApiError::Malformed(
            "`before` must be an HLC, the `hlc` of the oldest entry you have.".into(),
        ));
    }
    let limit = page_limit(query.limit, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT);
    let unknown = || ApiError::not_found("There is no such row, or you may not see it.");
    let entity: Entity = entity.parse().map_err(|()| unknown())?;
    let actor = actor(&auth);
    let page = state
        .db
        .read(move |conn| -> Result<_, DbError> {
            // One snapshot for the access check and the page.
            let tx = conn.unchecked_transaction()?;
            if !sync::visible_row(&tx, &actor, entity, &id)? {
                return Ok(None);
            }
            sync::history(&tx, entity, &id, query.before.as_deref(), limit).map(Some)
        })
        .await?
        .ok_or_else(unknown)?;
    Ok(Json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    all: bool,
}

#[derive(serde::Serialize)]
pub struct PurgeResponse {
    purged: u64,
}

/// `POST /api/trash/purge` (admin): `{"ids": [...]}` or `{"all": true}` removes contacts in
/// the trash for good; devices learn of it as `visible: false`.
pub async fn purge(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<PurgeResponse>, ApiError> {
    if !auth.user.role.may_purge_trash() {
        return Err(ApiError::forbidden(
            "Only an administrator may empty the trash.",
        ));
    }
    let request: PurgeRequest = serde_json::from_value(body).map_err(|err| {
        ApiError::invalid(
            "invalid_body",
            format!("Expected {{\"ids\": [...]}} or {{\"all\": true}}: {err}."),
        )
    })?;
    let target = match (request.ids, request.all) {
        (Some(_), true) | (None, false) => {
            return Err(ApiError::invalid(
                "invalid_body",
                "Give either `ids` (the records to purge) or `all: true`, not both.",
            ));
        }
        (None, true) => sync::PurgeTarget::All,
        (Some(ids), false) => sync::PurgeTarget::Ids(ids),
    };
    let now = db::now_ms();
    let purged = state
        .db
        .write(move |conn| sync::purge(conn, &target, now))
        .await?;
    tracing::info!(purged, user = %auth.user.id, "trash purged");
    Ok(Json(PurgeResponse { purged }))
}
