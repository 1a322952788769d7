//! What every handler may reach: the database, the login limiter and password gate, the
//! trusted proxy, the one-time setup token, the built app's directory, the server's clock.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use minicrm_core::hlc::Clock;

use super::error::ApiError;
use super::proxy;
use crate::auth::gate::PasswordGate;
use crate::auth::limiter::LoginLimiter;
use crate::auth::{password, token};
use crate::db::{self, Db, DbError};

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub(super) limiter: Arc<LoginLimiter>,
    /// Bounds the argon2 checks running at once.
    pub(super) password_checks: PasswordGate,
    /// The reverse proxy whose `X-Forwarded-For` is believed (`serve --trusted-proxy`).
    pub(super) trusted_proxy: Option<proxy::Cidr>,
    /// The one-time token that lets the first administrator be created; `None` once the
    /// server has users.
    pub(super) setup_token: Arc<Mutex<Option<String>>>,
    /// A real argon2 hash checked when the e-mail is unknown, so both failures take as long.
    pub(super) dummy_hash: Arc<str>,
    pub(super) dist_dir: Arc<PathBuf>,
    /// The server's hybrid logical clock, saved with every push.
    pub(super) clock: Arc<Mutex<Clock>>,
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
