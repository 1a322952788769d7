//! The auth, users and setup API against the real server on a random port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{PASSWORD, TestServer, error_code, expect_error};
use minicrm_core::Role;
use minicrm_core::api::User;
use minicrm_server::auth::limiter::LoginLimiter;
use serde_json::{Value, json};

/// A fresh server with `admin@example.com` and the agent `agent@example.com`, both logged in.
async fn admin_and_agent() -> (TestServer, (User, String), (User, String)) {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let agent = server
        .user_with_token("agent@example.com", Role::Agent)
        .await;
    (server, admin, agent)
}

/// `/api/me` with `token` is refused as `unauthorized`.
async fn assert_signed_out(server: &TestServer, token: &str) {
    expect_error(server.get("/api/me", token).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let server = TestServer::start().await;
    let response = server.get_anonymous("/api/health").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("x-request-id"),
        "every reply carries a request id"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn login_me_and_logout() {
    let server = TestServer::start().await;
    let ada = server.add_user("ada@example.com", "Ada Lovelace", Role::Agent);

    let body = server.session("  ADA@example.com ", PASSWORD).await;
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 43, "256 bits of token");
    assert_eq!(body["user"]["id"], ada.id.to_string());
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada Lovelace");
    assert_eq!(body["user"]["role"], "agent");

    let me: Value = server.get("/api/me", &token).await.json().await.unwrap();
    assert_eq!(me["id"], ada.id.to_string());
    assert_eq!(me["role"], "agent");

    assert_eq!(server.logout(&token).await.status(), 204);
    assert_signed_out(&server, &token).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let server = TestServer::start().await;
    let no_header = server.get_anonymous("/api/me").await;
    expect_error(no_header, 401, "unauthorized").await;
    assert_signed_out(&server, "not-a-token").await;
    let basic = server
        .client
        .get(server.url("/api/users"))
        .header("authorization", "Basic YWRhOnB3")
        .send()
        .await
        .unwrap();
    expect_error(basic, 401, "unauthorized").await;
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let server = TestServer::start().await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    let refusal = |email: &'static str, password: &'static str| async {
        let response = server.login_attempt(email, password).await;
        assert_eq!(response.status(), 401);
        response.json::<Value>().await.unwrap()
    };
    let unknown = refusal("nobody@example.com", PASSWORD).await;
    let wrong = refusal("ada@example.com", "wrong password").await;
    assert_eq!(
        unknown, wrong,
        "one reply for both, so e-mails cannot be probed"
    );
    assert_eq!(unknown["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn ten_failures_for_one_email_lock_it_with_429() {
    let server = TestServer::start().await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    for attempt in 1..=10 {
        let guess = format!("guess {attempt}");
        let response = server.login_attempt("ada@example.com", &guess).await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused now: the limit is checked first.
    let response = server.login_attempt("Ada@Example.com", PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    expect_error(response, 429, "too_many_attempts").await;
    // Another account is not affected.
    server.add_user("bob@example.com", "Bob", Role::Agent);
    server.login("bob@example.com").await;
}

#[tokio::test]
async fn failures_from_one_address_across_emails_get_429() {
    let server = TestServer::start_with(LoginLimiter::new(10, 5, Duration::from_secs(900))).await;
    for i in 0..5 {
        let email = format!("user{i}@example.com");
        assert_eq!(server.login_attempt(&email, "x").await.status(), 401);
    }
    let response = server.login_attempt("someone-else@example.com", "x").await;
    expect_error(response, 429, "too_many_attempts").await;
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_blocks_login() {
    let (server, (_, admin), (agent, agent_token)) = admin_and_agent().await;
    let response = server
        .patch_user(&admin, agent.id, &json!({"active": false}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], false);
    assert_signed_out(&server, &agent_token).await;

    let login = server.login_attempt("agent@example.com", PASSWORD).await;
    expect_error(login, 403, "account_disabled").await;

    // Reactivated, the user logs in again (old tokens stay dead).
    let response = server
        .patch_user(&admin, agent.id, &json!({"active": true}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(server.get("/api/me", &agent_token).await.status(), 401);
    server.login("agent@example.com").await;
}

#[tokio::test]
async fn a_token_idle_for_30_days_expires_and_each_use_renews_it() {
    let server = TestServer::start().await;
    let (_, used) = server.user_with_token("ada@example.com", Role::Agent).await;
    let idle = server.login("ada@example.com").await;
    let days = |n: i64| n * 24 * 60 * 60 * 1000;
    // The server reads its own clock, so time moves on here by moving every token's last
    // use back by `ms`: what the API last wrote stays as it was, only older.
    let time_passes = |ms: i64| {
        let conn = rusqlite::Connection::open(&server.db_path).unwrap();
        let changed = conn
            .execute("UPDATE tokens SET last_used_at = last_used_at - ?1", [ms])
            .unwrap();
        assert!(changed >= 1, "the tokens are stored");
    };

    // 29 days after both logins: both still work; only `used` is used (and so renewed).
    time_passes(days(29));
    assert_eq!(
        server.get("/api/me", &used).await.status(),
        200,
        "29 days idle still works"
    );
    // Two more days: `idle` has now been idle 31 days; `used` only 2, thanks to that use.
    time_passes(days(2));
    assert_signed_out(&server, &idle).await;
    assert_eq!(
        server.get("/api/me", &used).await.status(),
        200,
        "renewed by its use 2 days ago"
    );
    // That use renewed it again; 30 days and a second after it, it has expired.
    time_passes(days(30) + 1000);
    assert_signed_out(&server, &used).await;
}

#[tokio::test]
async fn users_api_checks_roles() {
    let server = TestServer::start().await;
    let [
        (_, admin),
        (_, manager),
        (agent_user, agent),
        (_, restricted),
    ] = server.one_of_each_role().await;

    for token in [&agent, &restricted] {
        expect_error(server.get("/api/users", token).await, 403, "forbidden").await;
    }
    let list = server.users(&manager).await;
    assert_eq!(list.len(), 4);
    assert!(list[0].get("password_hash").is_none());

    let new_user = json!({"email": "new@example.com", "name": "New", "role": "agent", "password": "long enough"});
    for token in [&manager, &agent, &restricted] {
        let response = server.post("/api/users", Some(token), &new_user).await;
        expect_error(response, 403, "forbidden").await;
        let hacked = json!({"name": "Hacked"});
        let response = server.patch_user(token, agent_user.id, &hacked).await;
        expect_error(response, 403, "forbidden").await;
    }
    assert_eq!(server.users(&admin).await.len(), 4, "nothing was created");

    let response = server.post("/api/users", Some(&admin), &new_user).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["role"], "agent");
    assert_eq!(created["active"], true);
    let login = server.login_attempt("new@example.com", "long enough").await;
    assert_eq!(login.status(), 200, "the new account can log in");
}

#[tokio::test]
async fn creating_users_validates_input() {
    let server = TestServer::start().await;
    let (_, admin) = server.admin().await;
    // Each case: a body and the error code it gets.
    let cases = json!([
        [{"email": "admin@example.com", "name": "Dup", "role": "agent", "password": "long enough"}, "email_taken"],
        [{"email": "ADMIN@example.com ", "name": "Dup", "role": "agent", "password": "long enough"}, "email_taken"],
        [{"email": "not-an-email", "name": "X", "role": "agent", "password": "long enough"}, "invalid_email"],
        [{"email": "x@example.com", "name": "  ", "role": "agent", "password": "long enough"}, "invalid_name"],
        [{"email": "x@example.com", "name": "X", "role": "agent", "password": "short"}, "invalid_password"],
        [{"email": "x@example.com", "name": "X", "role": "root", "password": "long enough"}, "invalid_body"],
        [{"email": "x@example.com", "name": "X"}, "invalid_body"],
    ]);
    for case in cases.as_array().unwrap() {
        let (body, code) = (&case[0], case[1].as_str().unwrap());
        let response = server.post("/api/users", Some(&admin), body).await;
        assert_eq!(error_code(response, 422).await, code, "{body}");
    }
    assert_eq!(server.users(&admin).await.len(), 1, "nothing was created");
}

#[tokio::test]
async fn updating_users_changes_name_role_and_password() {
    let (server, (admin_user, admin), (agent_user, agent_token)) = admin_and_agent().await;
    let (server, admin) = (&server, &admin);
    let patch = |id: String, body: Value| async move { server.patch_user(admin, id, &body).await };
    let renamed = json!({"name": " Agnieszka ", "role": "manager"});
    let response = patch(agent_user.id.to_string(), renamed).await;
    assert_eq!(response.status(), 200);
    let me = server.get_json("/api/me", &agent_token).await;
    assert_eq!(me["name"], "Agnieszka");
    assert_eq!(
        me["role"], "manager",
        "a role change applies to live sessions at once"
    );

    let new_password = json!({"password": "a brand new one"});
    let response = patch(agent_user.id.to_string(), new_password).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        server.get("/api/me", &agent_token).await.status(),
        401,
        "old sessions end"
    );
    let login = server
        .login_attempt("agent@example.com", "a brand new one")
        .await;
    assert_eq!(login.status(), 200);

    // An admin changing their own password stays logged in here.
    let own_password = json!({"password": "admin's new one"});
    let response = patch(admin_user.id.to_string(), own_password).await;
    assert_eq!(response.status(), 200);
    assert_eq!(server.get("/api/me", admin).await.status(), 200);

    let bad = [
        (json!({"password": "short"}), 422, "invalid_password"),
        (json!({"name": ""}), 422, "invalid_name"),
        (json!({"role": "root"}), 422, "invalid_body"),
        (json!({"colour": "red"}), 422, "invalid_body"),
    ];
    for (body, status, code) in bad {
        let response = patch(agent_user.id.to_string(), body.clone()).await;
        assert_eq!(error_code(response, status).await, code, "{body}");
    }
    let unknown = patch(uuid::Uuid::now_v7().to_string(), json!({"name": "X"})).await;
    expect_error(unknown, 404, "not_found").await;
    let garbage = patch("not-a-uuid".into(), json!({"name": "X"})).await;
    expect_error(garbage, 404, "not_found").await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let server = TestServer::start().await;
    let (admin_user, admin) = server.admin().await;
    for body in [json!({"role": "manager"}), json!({"active": false})] {
        let response = server.patch_user(&admin, admin_user.id, &body).await;
        assert_eq!(error_code(response, 422).await, "last_admin", "{body}");
    }
    assert_eq!(server.get("/api/me", &admin).await.status(), 200);
    server.add_user("second@example.com", "Second admin", Role::Admin);
    let demoted = server
        .patch_user(&admin, admin_user.id, &json!({"role": "manager"}))
        .await;
    assert_eq!(demoted.status(), 200);
}

#[tokio::test]
async fn first_run_setup_creates_the_admin_once_with_the_printed_token() {
    let server = TestServer::start().await;
    let needed = || async {
        let status: Value = server
            .get_anonymous("/api/setup")
            .await
            .json()
            .await
            .unwrap();
        status["needed"].clone()
    };
    assert_eq!(needed().await, true);
    let token = server
        .state
        .setup_token()
        .expect("a setup token while there are no users");

    let server = &server;
    let setup = |token: &str, password: &str| {
        let body = json!({"token": token, "email": "boss@example.com", "name": "Boss", "password": password});
        async move { server.post("/api/setup", None, &body).await }
    };
    expect_error(setup("guess", "long enough").await, 403, "forbidden").await;
    expect_error(setup(&token, "short").await, 422, "invalid_password").await;

    let response = setup(&token, "long enough").await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["user"]["role"], "admin");
    let me = server
        .get_json("/api/me", created["token"].as_str().unwrap())
        .await;
    assert_eq!(me["email"], "boss@example.com");

    let again = setup(&token, "long enough").await;
    expect_error(again, 409, "already_set_up").await;
    assert_eq!(needed().await, false);
}
