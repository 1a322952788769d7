//! What the server's tests share: the real server started in-process on 127.0.0.1 and a free
//! port with a fresh database ([`TestServer`]), requests to any running server ([`Api`]), the
//! JSON error shape ([`error_code`]), sync helpers ([`sync`]) and the binary as a child
//! process ([`process`]).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod process;
pub mod sync;

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::time::Duration;

use minicrm_core::Role;
use minicrm_server::auth::limiter::LoginLimiter;
use minicrm_server::auth::password;
use minicrm_server::db::{self, Db, users};
use minicrm_server::{AppState, app};
use serde_json::{Value, json};

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery";

/// A server's address and a client for it: every request the tests send goes through here.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .unwrap();
        Api { base, client }
    }

    /// The server listening on 127.0.0.1 at `port`.
    pub fn local(port: u16) -> Api {
        Api::new(format!("http://127.0.0.1:{port}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        request.send().await.unwrap()
    }

    fn with_token(
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        self.send(self.client.get(self.url(path))).await
    }

    /// A GET answered 200: its JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// A POST of `body` as JSON, with a token or without one.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let request = self.client.post(self.url(path)).json(body);
        self.send(Self::with_token(request, token)).await
    }

    /// A request whose body is sent as it is, labelled `application/json`.
    pub async fn send_json_text(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let request = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body);
        self.send(Self::with_token(request, token)).await
    }

    /// `PATCH /api/users/{id}` with `body`.
    pub async fn patch_user(
        &self,
        token: &str,
        id: impl std::fmt::Display,
        body: &Value,
    ) -> reqwest::Response {
        let request = self.client.patch(self.url(&format!("/api/users/{id}")));
        self.send(request.bearer_auth(token).json(body)).await
    }

    pub async fn login_attempt(&self, email: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// A login answered 200: its reply (the token and the user).
    pub async fn session(&self, email: &str, password: &str) -> Value {
        let response = self.login_attempt(email, password).await;
        assert_eq!(response.status(), 200, "login of {email}");
        response.json().await.unwrap()
    }

    /// A token of the account `email`, whose password is [`PASSWORD`].
    pub async fn login(&self, email: &str) -> String {
        let body = self.session(email, PASSWORD).await;
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn logout(&self, token: &str) -> reqwest::Response {
        self.send(
            self.client
                .post(self.url("/api/auth/logout"))
                .bearer_auth(token),
        )
        .await
    }

    /// Changes a user's role through the users API, as an administrator.
    pub async fn set_role(&self, admin_token: &str, user: &minicrm_core::api::User, role: Role) {
        let response = self
            .patch_user(admin_token, user.id, &json!({"role": role.as_str()}))
            .await;
        assert_eq!(response.status(), 200, "role change of {}", user.email);
    }

    /// The users list as `token` sees it (answered 200).
    pub async fn users(&self, token: &str) -> Vec<Value> {
        let list = self.get_json("/api/users", token).await;
        list["users"].as_array().unwrap().clone()
    }
}

/// The server in-process, over a fresh database in a temporary directory, and an [`Api`]
/// for it (a `TestServer` derefs to its `Api`).
pub struct TestServer {
    pub api: Api,
    pub state: AppState,
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

impl Deref for TestServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

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
        TestServer {
            api: Api::new(format!("http://{addr}")),
            state,
            db_path,
            dist,
            _dir: dir,
            task,
        }
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

    /// A fresh server with one user of `role`, logged in.
    pub async fn with_user(
        email: &str,
        role: Role,
    ) -> (TestServer, minicrm_core::api::User, String) {
        let server = TestServer::start().await;
        let (user, token) = server.user_with_token(email, role).await;
        (server, user, token)
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

    /// A user of each role (`{role}@example.com`, in the order of [`Role::ALL`]: admin first)
    /// and a token for each.
    pub async fn one_of_each_role(&self) -> [(minicrm_core::api::User, String); 4] {
        let mut users = Vec::new();
        for role in Role::ALL {
            let email = format!("{role}@example.com");
            users.push(self.user_with_token(&email, role).await);
        }
        users.try_into().unwrap()
    }

    /// The administrator `admin@example.com` and a token for them.
    pub async fn admin(&self) -> (minicrm_core::api::User, String) {
        self.user_with_token("admin@example.com", Role::Admin).await
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

/// Asserts that `response` is the JSON error `code` with `status`.
pub async fn expect_error(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(error_code(response, status).await, code);
}
