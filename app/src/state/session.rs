//! The session: who is logged in on this device, kept in IndexedDB.
//!
//! A token that expires while the device is offline never locks the user out of their
//! local data: on the server's next 401 the session is marked `reauth_needed` and the user
//! is asked for their password, while everything on the device stays usable.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::api::{LoginRequest, LoginResponse, User};

use crate::api::{self, ApiError};
use crate::storage::Storage;
use crate::storage::session::StoredSession;

#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    /// Reading the device database.
    Loading,
    LoggedOut,
    LoggedIn(StoredSession),
}

/// Handle to the session; `Copy`, so closures take it freely.
#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<SessionState>,
}

fn log_error(context: &str, err: &impl std::fmt::Display) {
    web_sys::console::error_1(&format!("{context}: {err}").into());
}

/// Reads the stored session and provides the handle to every component below.
pub fn provide_session() -> Session {
    let session = Session {
        state: RwSignal::new(SessionState::Loading),
    };
    provide_context(session);
    spawn_local(async move {
        let loaded = match Storage::shared().await {
            Ok(storage) => storage.load_session().await,
            Err(err) => Err(err),
        };
        match loaded {
            Ok(Some(stored)) => {
                session.state.set(SessionState::LoggedIn(stored));
                session.refresh().await;
            }
            Ok(None) => session.state.set(SessionState::LoggedOut),
            Err(err) => {
                log_error("reading the session", &err);
                session.state.set(SessionState::LoggedOut);
            }
        }
    });
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    pub fn state(&self) -> SessionState {
        self.state.get()
    }

    /// The logged-in user (tracked).
    pub fn user(&self) -> Option<User> {
        self.state.with(|state| match state {
            SessionState::LoggedIn(stored) => Some(stored.user.clone()),
            _ => None,
        })
    }

    /// The bearer token (untracked: reading it never re-renders anything).
    pub fn token(&self) -> Option<String> {
        self.state.with_untracked(|state| match state {
            SessionState::LoggedIn(stored) => Some(stored.token.clone()),
            _ => None,
        })
    }

    /// The logged-in user, without tracking (for background work).
    pub fn user_untracked(&self) -> Option<User> {
        self.state.with_untracked(|state| match state {
            SessionState::LoggedIn(stored) => Some(stored.user.clone()),
            _ => None,
        })
    }

    pub fn reauth_needed_untracked(&self) -> bool {
        self.state.with_untracked(
            |state| matches!(state, SessionState::LoggedIn(stored) if stored.reauth_needed),
        )
    }

    pub fn reauth_needed(&self) -> bool {
        self.state
            .with(|state| matches!(state, SessionState::LoggedIn(stored) if stored.reauth_needed))
    }

    async fn store(&self, stored: StoredSession) {
        // The session is usable even if the device database refuses it; it then lasts
        // until the page is closed.
        match Storage::shared().await {
            Ok(storage) => {
                if let Err(err) = storage.save_session(&stored).await {
                    log_error("saving the session", &err);
                }
            }
            Err(err) => log_error("opening the device database", &err),
        }
        self.state.set(SessionState::LoggedIn(stored));
    }

    /// Keeps a fresh login (or setup) on the device.
    pub async fn establish(&self, response: LoginResponse) {
        self.store(StoredSession {
            token: response.token,
            user: response.user,
            reauth_needed: false,
        })
        .await;
    }

    /// Logs in with e-mail and password and keeps the session.
    pub async fn log_in(&self, email: String, password: String) -> Result<(), ApiError> {
        let response = api::login(&LoginRequest { email, password }).await?;
        self.establish(response).await;
        Ok(())
    }

    /// Ends the session: on the server when it answers, on this device always.
    pub async fn log_out(&self) {
        if let Some(token) = self.token()
            && let Err(err) = api::logout(&token).await
        {
            log_error("logging out on the server", &err);
        }
        match Storage::shared().await {
            Ok(storage) => {
                if let Err(err) = storage.clear_session().await {
                    log_error("clearing the session", &err);
                }
            }
            Err(err) => log_error("opening the device database", &err),
        }
        self.state.set(SessionState::LoggedOut);
    }

    /// Call with every error an authenticated request got: a 401 asks for the password.
    pub async fn note_api_error(&self, err: &ApiError) {
        if !matches!(err, ApiError::Unauthorized { .. }) {
            return;
        }
        let current = self.state.get_untracked();
        if let SessionState::LoggedIn(mut stored) = current
            && !stored.reauth_needed
        {
            stored.reauth_needed = true;
            self.store(stored).await;
        }
    }

    /// Asks the server who we are (name and role may have changed); a 401 asks for the
    /// password; no answer changes nothing.
    pub async fn refresh(&self) {
        let Some(token) = self.token() else {
            return;
        };
        match api::me(&token).await {
            Ok(user) => {
                if let SessionState::LoggedIn(mut stored) = self.state.get_untracked()
                    && (stored.user != user || stored.reauth_needed)
                {
                    stored.user = user;
                    stored.reauth_needed = false;
                    self.store(stored).await;
                }
            }
            Err(err) => self.note_api_error(&err).await,
        }
    }
}
