//! The HTTP API: one route table, handlers grouped by resource.

mod auth;
mod error;
mod extract;
pub mod proxy;
mod setup;
mod static_files;
mod sync;
mod users;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{get, patch, post};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use extract::{ApiJson, AuthUser};

use crate::auth::gate::PasswordGate;
use crate::auth::limiter::LoginLimiter;
use crate::auth::{password, token};
use minicrm_core::hlc::Clock;

use crate::db::{self, Db, DbError};

/// The largest request body accepted (PROTOCOL.md: 1 MiB per sync request).
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    limiter: Arc<LoginLimiter>,
    /// Bounds the argon2 checks running at once.
    password_checks: PasswordGate,
    /// The reverse proxy whose `X-Forwarded-For` is believed (`serve --trusted-proxy`).
    trusted_proxy: Option<proxy::Cidr>,
    /// The one-time token that lets the first administrator be created; `None` once the
    /// server has users.
    setup_token: Arc<Mutex<Option<String>>>,
    /// A real argon2 hash checked when the e-mail is unknown, so both failures take as long.
    dummy_hash: Arc<str>,
    dist_dir: Arc<PathBuf>,
    /// The server's hybrid logical clock, saved with every push.
    clock: Arc<Mutex<Clock>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
}

impl AppState {
    /// `dist_dir` holds the built app served at `/`.
    pub fn new(db: Db, dist_dir: PathBuf) -> Result<AppState, StateError> {
        let user_count = db.write_blocking(|conn| db::users::count(conn))?;
        let clock = db.write_blocking(|conn| db::sync::load_clock(conn))?;
        let setup_token = (user_count == 0).then(|| token::generate().0);
        Ok(AppState {
            db,
            limiter: Arc::new(LoginLimiter::default()),
            password_checks: PasswordGate::default(),
            trusted_proxy: None,
            setup_token: Arc::new(Mutex::new(setup_token)),
            dummy_hash: password::hash("miniCRM timing equalizer")?.into(),
            dist_dir: Arc::new(dist_dir),
            clock: Arc::new(Mutex::new(clock)),
        })
    }

    /// Replaces the login limiter (tests use small limits).
    pub fn with_login_limiter(mut self, limiter: LoginLimiter) -> Self {
        self.limiter = Arc::new(limiter);
        self
    }

    /// Replaces the bound on password checks running at once (tests use one slot).
    pub fn with_password_gate(mut self, gate: PasswordGate) -> Self {
        self.password_checks = gate;
        self
    }

    /// Takes client addresses from `X-Forwarded-For` when the peer is in `proxy`.
    pub fn with_trusted_proxy(mut self, proxy: Option<proxy::Cidr>) -> Self {
        self.trusted_proxy = proxy;
        self
    }

    /// A fresh server HLC for a reply.
    pub fn server_hlc(&self) -> Result<String, ApiError> {
        let mut clock = self
            .clock
            .lock()
            .map_err(|_| ApiError::internal("clock lock poisoned"))?;
        Ok(clock
            .tick(u64::try_from(db::now_ms()).unwrap_or(0))
            .to_string())
    }

    /// The one-time setup token, while the server has no users.
    pub fn setup_token(&self) -> Option<String> {
        self.setup_token.lock().ok().and_then(|token| token.clone())
    }
}

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
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(error::json_errors_only))
        // API answers hold the user's data: never kept in the browser's HTTP cache, so
        // nothing of it stays on a shared laptop after logout.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));

    Router::new()
        .nest("/api", api)
        .fallback(static_files::serve)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
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

async fn api_not_found() -> ApiError {
    ApiError::not_found("There is no such API route.")
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
