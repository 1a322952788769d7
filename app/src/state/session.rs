//! The session: who is logged in on this device, kept in IndexedDB.
//!
//! A token that expires while the device is offline never locks the user out of their
//! local data: on the server's next 401 the session is marked `reauth_needed` and the user
//! is asked for their password, while everything on the device stays usable.
//!
//! "Log out" is the opposite: the device forgets the user (session, rows, outbox,
//! refusals, sync state, the in-memory replica) and tells the other tabs, which forget
//! them too and return to the login page. Every tab follows the session stored on the
//! device: a message from another tab, or the tab becoming visible again, makes it re-read
//! it ([`Session::recheck`]).

use futures::FutureExt;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::api::{LoginRequest, LoginResponse, User};

use crate::api::{self, ApiError};
use crate::storage::session::StoredSession;
use crate::storage::{Storage, StorageError};
use crate::t;

/// How long logging out waits for the server to end the session before the device forgets
/// it anyway (the token then lasts on the server until it expires).
const LOGOUT_WAIT_MS: u32 = 5_000;

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
    /// Logging out is under way: nothing saves the session any more.
    leaving: RwSignal<bool>,
    /// The user logged out (here or in another tab) rather than never being logged in: the
    /// login page then opens without the page the last user was on.
    ended: StoredValue<bool>,
    /// Logging out could not empty the device (the message to show, with a retry): the
    /// login page then never says that nothing is left.
    clear_failed: RwSignal<Option<String>>,
}

fn log_error(context: &str, err: &impl std::fmt::Display) {
    web_sys::console::error_1(&format!("{context}: {err}").into());
}

/// Reads the stored session and provides the handle to every component below.
pub fn provide_session() -> Session {
    let session = Session {
        state: RwSignal::new(SessionState::Loading),
        leaving: RwSignal::new(false),
        ended: StoredValue::new(false),
        clear_failed: RwSignal::new(None),
    };
    provide_context(session);
    // A tab that was hidden or frozen (and so may have missed a message) re-reads the
    // session when it is shown again. The app lives as long as the page.
    let recheck = move |_| spawn_local(async move { session.recheck().await });
    let _ = window_event_listener_untyped("visibilitychange", recheck);
    let _ = window_event_listener_untyped("pageshow", recheck);
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

/// The logged-in user's id (tracked), if any.
pub fn my_id() -> Option<uuid::Uuid> {
    use_session().user().map(|user| user.id.0)
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

    /// Logging out is under way (tracked).
    pub fn leaving(&self) -> bool {
        self.leaving.get()
    }

    /// Whether the last session ended by logging out (here or in another tab).
    pub fn ended_untracked(&self) -> bool {
        self.ended.get_value()
    }

    /// Keeps a login's session (the only way a session is created on the device) and
    /// shows it.
    /// Why the last logout could not empty the device, if it could not (tracked).
    pub fn clear_failed(&self) -> Option<String> {
        self.clear_failed.get()
    }

    /// Logging out (here or in another tab) left data on the device: say so, with a retry.
    pub fn note_clear_failed(&self, message: String) {
        self.clear_failed.set(Some(message));
    }

    async fn store_login(&self, stored: StoredSession) {
        if self.leaving.get_untracked() {
            return;
        }
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
        if self.leaving.get_untracked() {
            return;
        }
        self.clear_failed.set(None);
        self.ended.set_value(false);
        self.state.set(SessionState::LoggedIn(stored));
        // The other tabs follow the stored session.
        crate::tabs::post(crate::tabs::SESSION_MESSAGE);
    }

    /// Updates the session in use (a 401's `reauth_needed`, the user as the server knows
    /// them now): written only over the stored session with the same token, so a late 401
    /// or refresh never brings back a session another tab logged out of, nor overwrites
    /// another user's login. Shown only while this tab still holds that same session.
    async fn store_update(&self, stored: StoredSession) {
        if self.leaving.get_untracked() {
            // A late 401 or refresh must not bring back a session being removed.
            return;
        }
        let written = match Storage::shared().await {
            Ok(storage) => storage.update_session(&stored).await,
            Err(err) => Err(err),
        };
        // The tab may have logged out (or followed another login) during the wait.
        let still_current = self.state.with_untracked(|state| {
            matches!(state, SessionState::LoggedIn(current) if current.token == stored.token)
        });
        if self.leaving.get_untracked() || !still_current {
            return;
        }
        match written {
            Ok(true) => {
                self.state.set(SessionState::LoggedIn(stored));
                crate::tabs::post(crate::tabs::SESSION_MESSAGE);
            }
            // The device no longer holds this session (a logout, another login): follow
            // what it holds instead.
            Ok(false) => self.recheck().await,
            Err(err) => {
                // The session stays usable in this tab until the page is closed.
                log_error("saving the session", &err);
                self.state.set(SessionState::LoggedIn(stored));
            }
        }
    }

    /// Keeps a fresh login (or setup) on the device. Before the session shows, the device's
    /// stores become this user's: anything another user left (or rows no user claimed) is
    /// removed first, so nothing of theirs is ever on screen. Entering the password again
    /// for the session in use keeps everything.
    pub async fn establish(&self, response: LoginResponse) {
        let user_id = response.user.id.to_string();
        let same_user = self
            .user_untracked()
            .is_some_and(|user| user.id == response.user.id);
        match Storage::shared().await {
            Ok(storage) => {
                let claimed = if same_user {
                    match storage.adopt_if_unowned(&user_id).await {
                        // Held by someone else after all: theirs goes.
                        Ok(owner) => Ok(owner != user_id),
                        // Nobody holds it and the session is gone (a logout in another
                        // tab): whatever is left goes, as at any login.
                        Err(StorageError::NotOwner) => Ok(true),
                        Err(err) => Err(err),
                    }
                } else {
                    Ok(true)
                };
                let claimed = match claimed {
                    Ok(true) => storage.claim_for_user(&user_id).await,
                    other => other,
                };
                match claimed {
                    Ok(true) => crate::storage::changes::forget_everything(),
                    Ok(false) => {}
                    Err(err) => log_error("preparing the device for the user", &err),
                }
            }
            Err(err) => log_error("opening the device database", &err),
        }
        self.store_login(StoredSession {
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

    /// Logs out: ends the session on the server when it answers (online, within
    /// `LOGOUT_WAIT_MS`), then removes everything of the user from this device — session,
    /// rows, outbox, refusals, sync state and the in-memory replica — and tells the other
    /// tabs, which do the same and return to the login page. Offline, the device is cleared
    /// all the same. Unsent changes are lost: the caller asks first.
    pub async fn log_out(&self) {
        if self.leaving.get_untracked() {
            return;
        }
        self.leaving.set(true);
        let online = web_sys::window().is_none_or(|window| window.navigator().on_line());
        if let Some(token) = self.token()
            && online
        {
            futures::select! {
                result = api::logout(&token).fuse() => {
                    if let Err(err) = result {
                        log_error("logging out on the server", &err);
                    }
                }
                () = TimeoutFuture::new(LOGOUT_WAIT_MS).fuse() => {
                    log_error("logging out on the server", &"no answer in time");
                }
            }
        }
        let cleared = match Storage::shared().await {
            Ok(storage) => {
                let cleared = storage.clear_device().await;
                if let Err(err) = &cleared {
                    log_error("removing the user's data from the device", err);
                    // At the least the session goes; the next login removes the rest
                    // (claim_for_user).
                    if let Err(err) = storage.clear_session().await {
                        log_error("clearing the session", &err);
                    }
                }
                cleared
            }
            Err(err) => {
                log_error("opening the device database", &err);
                Err(err)
            }
        };
        self.forget_here();
        match cleared {
            Ok(()) => crate::tabs::post(crate::tabs::LOGGED_OUT_MESSAGE),
            Err(err) => {
                // Never claim that nothing is left: say what failed and offer a retry.
                self.note_clear_failed(t!("logout-clear-failed", message = err.to_string()));
                crate::tabs::post(crate::tabs::LOGOUT_INCOMPLETE_MESSAGE);
            }
        }
        self.leaving.set(false);
    }

    /// Tries again to empty the device after a logout that could not (the login page's
    /// retry). Only while this tab is logged out: a login since owns the device.
    pub async fn retry_clear(&self) {
        if self.leaving.get_untracked()
            || !matches!(self.state.get_untracked(), SessionState::LoggedOut)
        {
            return;
        }
        self.leaving.set(true);
        let cleared = match Storage::shared().await {
            Ok(storage) => storage.clear_device().await,
            Err(err) => Err(err),
        };
        match cleared {
            Ok(()) => {
                crate::storage::changes::forget_everything();
                self.ended.set_value(true);
                self.clear_failed.set(None);
                crate::tabs::post(crate::tabs::LOGGED_OUT_MESSAGE);
            }
            Err(err) => {
                log_error("removing the user's data from the device", &err);
                self.note_clear_failed(t!("logout-clear-failed", message = err.to_string()));
            }
        }
        self.leaving.set(false);
    }

    /// Another tab logged out: this tab drops the replica and the session at once (the
    /// device's stores are already empty) and shows the login page.
    pub fn forget_here(&self) {
        crate::storage::changes::forget_everything();
        self.ended.set_value(true);
        self.clear_failed.set(None);
        self.state.set(SessionState::LoggedOut);
    }

    /// Follows the session stored on the device (another tab logged in, out, or entered
    /// the password again): another user's session first drops this tab's replica.
    pub async fn recheck(&self) {
        if self.leaving.get_untracked() {
            return;
        }
        let stored = match Storage::shared().await {
            Ok(storage) => storage.load_session().await,
            Err(err) => Err(err),
        };
        let stored = match stored {
            Ok(stored) => stored,
            Err(err) => {
                log_error("reading the session", &err);
                return;
            }
        };
        let current = self.state.get_untracked();
        match (current, stored) {
            (SessionState::Loading, _) => {}
            (SessionState::LoggedIn(_), None) => self.forget_here(),
            (SessionState::LoggedOut, None) => {}
            (SessionState::LoggedIn(current), Some(stored))
                if current.user.id == stored.user.id =>
            {
                if current != stored {
                    self.state.set(SessionState::LoggedIn(stored));
                }
            }
            (current, Some(stored)) => {
                if matches!(current, SessionState::LoggedIn(_)) {
                    crate::storage::changes::forget_everything();
                }
                self.ended.set_value(false);
                self.state.set(SessionState::LoggedIn(stored));
            }
        }
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
            self.store_update(stored).await;
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
                    self.store_update(stored).await;
                }
            }
            Err(err) => self.note_api_error(&err).await,
        }
    }
}
