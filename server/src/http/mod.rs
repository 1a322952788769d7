//! The HTTP API: one route table, handlers grouped by resource.
//!
//! Handlers reach what they share through `error`, `extract` and `state`, never through
//! this file, so dependencies run one way: the route table → handlers → those three.

mod auth;
mod error;
mod extract;
pub mod proxy;
mod reports;
mod setup;
mod state;
mod static_files;
mod sync;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{get, patch, post};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use extract::{ApiJson, AuthUser, BODY_LIMIT_BYTES};
pub use state::{AppState, StateError};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: the API under `/api`, the built app everywhere else.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(auth::health))
        .route("/openapi.json", get(openapi))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/setup", get(setup::status).post(setup::create_admin))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", patch(users::update))
        .route("/sync/push", post(sync::push))
        .route("/sync/pull", get(sync::pull))
        .route("/history/{entity}/{id}", get(sync::history))
        .route("/trash/purge", post(sync::purge))
        .route("/reports/changes", get(reports::changes))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(error::json_errors_only))
        // API answers hold the user's data: never kept in the browser's HTTP cache, so
        // nothing of it stays on a shared laptop after logout.
        .layer(always(header::CACHE_CONTROL, "no-store"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));

    Router::new()
        .nest("/api", api)
        .fallback(static_files::serve)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(always(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(header::REFERRER_POLICY, "same-origin"))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// A layer that sets `name: value` on every response, replacing what a handler set.
fn always(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

async fn api_not_found() -> ApiError {
    ApiError::no_such_route()
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The API's own documentation (PROTOCOL.md plus this server's extensions); like every
/// route but login and health, for logged-in users only.
async fn openapi(_auth: AuthUser) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
}
