//! Starts the real server in-process on 127.0.0.1 and a free port, with a fresh database.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use minicrm_core::Role;
use minicrm_server::auth::limiter::LoginLimiter;
use minicrm_server::auth::password;
use minicrm_server::db::{self, Db, users};
use minicrm_server::{AppState, app};
use serde_json::{Value, json};

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db_path: PathBuf,
    pub dist: tempfile::TempDir,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub const PASSWORD: &str = "correct horse battery";

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(LoginLimiter::default()).await
    }

    pub async fn start_with(limiter: LoginLimiter) -> TestServer {
        TestServer::start_configured(|state| state.with_login_limiter(limiter)).await
    }

    /// A server whose state `configure` adjusts first (limits, trusted proxy).
    pub async fn start_configured(configure: impl FnOnce(AppState) -> AppState) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let dist = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("crm.db");
        let db = Db::open(&db_path).unwrap();
        let state = configure(AppState::new(db, dist.path().to_owned()).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .unwrap();
        TestServer {
            base: format!("http://{addr}"),
            state,
            client,
            db_path,
            dist,
            _dir: dir,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds an account directly in the database, as `minicrm-server user add` does.
    pub fn add_user(&self, email: &str, name: &str, role: Role) -> minicrm_core::api::User {
        let hash = password::hash(PASSWORD).unwrap();
        let new = users::NewUser {
            email,
            name,
            role,
            password_hash: &hash,
        };
        self.state
            .db
            .write_blocking(|conn| users::insert(conn, &new, db::now_ms()))
            .unwrap()
    }

    pub async fn login(&self, email: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {email}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// A user of `role` and a token for them.
    pub async fn user_with_token(
        &self,
        email: &str,
        role: Role,
    ) -> (minicrm_core::api::User, String) {
        let user = self.add_user(email, &format!("{role} user"), role);
        let token = self.login(email).await;
        (user, token)
    }

    /// Changes a user's role through the users API, as an administrator.
    pub async fn set_role(&self, admin_token: &str, user: &minicrm_core::api::User, role: Role) {
        let response = self
            .client
            .patch(self.url(&format!("/api/users/{}", user.id)))
            .bearer_auth(admin_token)
            .json(&json!({"role": role.as_str()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "role change of {}", user.email);
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// Asserts the JSON error shape and returns the code.
pub async fn error_code(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "a message for humans in {body}");
    body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned()
}
