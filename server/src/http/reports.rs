//! Reports: the figures only the server's history knows (`GET /api/reports/changes`).
//! The counting rule is core's (`report::count_changes`), and so is who may see whose
//! figures (`Role::may_see_team_reports`).

use axum::Json;
use axum::extract::State;
use minicrm_core::UserId;
use minicrm_core::report::{ChangesReport, check_bounds};
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{ApiQuery, AuthUser, QueryShape};
use super::state::AppState;
use crate::db::reports;

#[derive(Deserialize)]
pub struct ChangesQuery {
    bounds: String,
    user_id: Option<String>,
}

impl QueryShape for ChangesQuery {
    const EXPECTED: &'static str = "`bounds` must be the days' starts and the last day's end \
        (Unix ms, comma-separated) and `user_id` a user's id";
}

/// `bounds=<ms0>,<ms1>,...`: whole numbers, checked by core afterwards.
fn read_bounds(text: &str) -> Result<Vec<i64>, ApiError> {
    text.split(',')
        .map(|bound| {
            bound.parse::<i64>().map_err(|_| {
                ApiError::Malformed(format!(
                    "`bounds` must be whole numbers of Unix milliseconds separated by commas; \
                     {bound:?} is not one."
                ))
            })
        })
        .collect()
}

/// `GET /api/reports/changes?bounds=<ms0>,...,<msN>[&user_id=<id>]`: per user and day
/// (`[ms_i, ms_i+1)`), records created, records changed and stage changes, and how many
/// records entered each stage in the whole period. Administrators and managers get every
/// user's figures, or `user_id`'s; anyone else only their own (another's `user_id` is 403).
pub async fn changes(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<Json<ChangesReport>, ApiError> {
    let bounds = read_bounds(&query.bounds)?;
    check_bounds(&bounds)?;
    let asked = query
        .user_id
        .as_deref()
        .map(|text| {
            text.parse::<UserId>().map_err(|_| {
                ApiError::Malformed(format!(
                    "`user_id` must be a user's id; {text:?} is not one."
                ))
            })
        })
        .transpose()?;
    let me = auth.user.id;
    let only = if auth.user.role.may_see_team_reports() {
        asked
    } else {
        match asked {
            Some(user) if user != me => {
                return Err(ApiError::forbidden(
                    "You may see only your own figures; the team's are for managers and administrators.",
                ));
            }
            _ => Some(me),
        }
    };
    let report = state
        .db
        .read(move |conn| reports::changes(conn, &bounds, only.map(|user| user.0)))
        .await?;
    Ok(Json(report))
}
