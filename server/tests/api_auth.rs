//! The auth, users and setup API against the real server on a random port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{PASSWORD, TestServer, error_code};
use minicrm_core::Role;
use minicrm_server::auth::limiter::LoginLimiter;
use serde_json::{Value, json};

#[tokio::test]
async fn health_answers_without_a_token() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap();
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

    let response = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "  ADA@example.com ", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 43, "256 bits of token");
    assert_eq!(body["user"]["id"], ada.id.to_string());
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada Lovelace");
    assert_eq!(body["user"]["role"], "agent");

    let me: Value = server.get("/api/me", &token).await.json().await.unwrap();
    assert_eq!(me["id"], ada.id.to_string());
    assert_eq!(me["role"], "agent");

    let response = server
        .client
        .post(server.url("/api/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        error_code(server.get("/api/me", &token).await, 401).await,
        "unauthorized"
    );
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let server = TestServer::start().await;
    let no_header = server
        .client
        .get(server.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(no_header, 401).await, "unauthorized");
    let wrong = server.get("/api/me", "not-a-token").await;
    assert_eq!(error_code(wrong, 401).await, "unauthorized");
    let basic = server
        .client
        .get(server.url("/api/users"))
        .header("authorization", "Basic YWRhOnB3")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(basic, 401).await, "unauthorized");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let server = TestServer::start().await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    let attempt = |email: &'static str, password: &'static str| {
        server
            .client
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let unknown: Value = {
        let response = attempt("nobody@example.com", PASSWORD).await.unwrap();
        assert_eq!(response.status(), 401);
        response.json().await.unwrap()
    };
    let wrong: Value = {
        let response = attempt("ada@example.com", "wrong password").await.unwrap();
        assert_eq!(response.status(), 401);
        response.json().await.unwrap()
    };
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
        let response = server
            .client
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": "ada@example.com", "password": format!("guess {attempt}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    // Even the right password is refused now: the limit is checked first.
    let response = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "Ada@Example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    assert_eq!(error_code(response, 429).await, "too_many_attempts");
    // Another account is not affected.
    server.add_user("bob@example.com", "Bob", Role::Agent);
    server.login("bob@example.com").await;
}

#[tokio::test]
async fn failures_from_one_address_across_emails_get_429() {
    let server = TestServer::start_with(LoginLimiter::new(10, 5, Duration::from_secs(900))).await;
    for i in 0..5 {
        let response = server
            .client
            .post(server.url("/api/auth/login"))
            .json(&json!({"email": format!("user{i}@example.com"), "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let response = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "someone-else@example.com", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 429).await, "too_many_attempts");
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_blocks_login() {
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (agent, agent_token) = server
        .user_with_token("agent@example.com", Role::Agent)
        .await;
    let response = server
        .client
        .patch(server.url(&format!("/api/users/{}", agent.id)))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], false);
    assert_eq!(
        error_code(server.get("/api/me", &agent_token).await, 401).await,
        "unauthorized"
    );

    let login = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "agent@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(login, 403).await, "account_disabled");

    // Reactivated, the user logs in again (old tokens stay dead).
    let response = server
        .client
        .patch(server.url(&format!("/api/users/{}", agent.id)))
        .bearer_auth(&admin)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
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
    assert_eq!(
        error_code(server.get("/api/me", &idle).await, 401).await,
        "unauthorized"
    );
    assert_eq!(
        server.get("/api/me", &used).await.status(),
        200,
        "renewed by its use 2 days ago"
    );
    // That use renewed it again; 30 days and a second after it, it has expired.
    time_passes(days(30) + 1000);
    assert_eq!(
        error_code(server.get("/api/me", &used).await, 401).await,
        "unauthorized"
    );
}

#[tokio::test]
async fn users_api_checks_roles() {
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (_, manager) = server
        .user_with_token("manager@example.com", Role::Manager)
        .await;
    let (agent_user, agent) = server
        .user_with_token("agent@example.com", Role::Agent)
        .await;
    let (_, restricted) = server
        .user_with_token("r@example.com", Role::Restricted)
        .await;

    for token in [&agent, &restricted] {
        assert_eq!(
            error_code(server.get("/api/users", token).await, 403).await,
            "forbidden"
        );
    }
    let list: Value = server
        .get("/api/users", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["users"].as_array().unwrap().len(), 4);
    assert!(list["users"][0].get("password_hash").is_none());

    let new_user = json!({"email": "new@example.com", "name": "New", "role": "agent", "password": "long enough"});
    for token in [&manager, &agent, &restricted] {
        let response = server
            .client
            .post(server.url("/api/users"))
            .bearer_auth(token)
            .json(&new_user)
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(response, 403).await, "forbidden");
        let response = server
            .client
            .patch(server.url(&format!("/api/users/{}", agent_user.id)))
            .bearer_auth(token)
            .json(&json!({"name": "Hacked"}))
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(response, 403).await, "forbidden");
    }
    let list: Value = server.get("/api/users", &admin).await.json().await.unwrap();
    assert_eq!(
        list["users"].as_array().unwrap().len(),
        4,
        "nothing was created"
    );

    let response = server
        .client
        .post(server.url("/api/users"))
        .bearer_auth(&admin)
        .json(&new_user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["email"], "new@example.com");
    assert_eq!(created["role"], "agent");
    assert_eq!(created["active"], true);
    let login = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "new@example.com", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the new account can log in");
}

#[tokio::test]
async fn creating_users_validates_input() {
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let cases = [
        (
            json!({"email": "admin@example.com", "name": "Dup", "role": "agent", "password": "long enough"}),
            "email_taken",
        ),
        (
            json!({"email": "ADMIN@example.com ", "name": "Dup", "role": "agent", "password": "long enough"}),
            "email_taken",
        ),
        (
            json!({"email": "not-an-email", "name": "X", "role": "agent", "password": "long enough"}),
            "invalid_email",
        ),
        (
            json!({"email": "x@example.com", "name": "  ", "role": "agent", "password": "long enough"}),
            "invalid_name",
        ),
        (
            json!({"email": "x@example.com", "name": "X", "role": "agent", "password": "short"}),
            "invalid_password",
        ),
        (
            json!({"email": "x@example.com", "name": "X", "role": "root", "password": "long enough"}),
            "invalid_body",
        ),
        (
            json!({"email": "x@example.com", "name": "X"}),
            "invalid_body",
        ),
    ];
    for (body, code) in cases {
        let response = server
            .client
            .post(server.url("/api/users"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(response, 422).await, code, "{body}");
    }
    let list: Value = server.get("/api/users", &admin).await.json().await.unwrap();
    assert_eq!(
        list["users"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
}

#[tokio::test]
async fn updating_users_changes_name_role_and_password() {
    let server = TestServer::start().await;
    let (admin_user, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (agent_user, agent_token) = server
        .user_with_token("agent@example.com", Role::Agent)
        .await;
    let patch = |id: String, body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/users/{id}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let response = patch(
        agent_user.id.to_string(),
        json!({"name": " Agnieszka ", "role": "manager"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let me: Value = server
        .get("/api/me", &agent_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Agnieszka");
    assert_eq!(
        me["role"], "manager",
        "a role change applies to live sessions at once"
    );

    let response = patch(
        agent_user.id.to_string(),
        json!({"password": "a brand new one"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        server.get("/api/me", &agent_token).await.status(),
        401,
        "old sessions end"
    );
    let login = server
        .client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": "agent@example.com", "password": "a brand new one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    // An admin changing their own password stays logged in here.
    let response = patch(
        admin_user.id.to_string(),
        json!({"password": "admin's new one"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.get("/api/me", &admin).await.status(), 200);

    let bad = [
        (json!({"password": "short"}), 422, "invalid_password"),
        (json!({"name": ""}), 422, "invalid_name"),
        (json!({"role": "root"}), 422, "invalid_body"),
        (json!({"colour": "red"}), 422, "invalid_body"),
    ];
    for (body, status, code) in bad {
        let response = patch(agent_user.id.to_string(), body.clone())
            .await
            .unwrap();
        assert_eq!(error_code(response, status).await, code, "{body}");
    }
    let unknown = patch(uuid::Uuid::now_v7().to_string(), json!({"name": "X"}))
        .await
        .unwrap();
    assert_eq!(error_code(unknown, 404).await, "not_found");
    let garbage = patch("not-a-uuid".into(), json!({"name": "X"}))
        .await
        .unwrap();
    assert_eq!(error_code(garbage, 404).await, "not_found");
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let server = TestServer::start().await;
    let (admin_user, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/users/{}", admin_user.id)))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    for body in [json!({"role": "manager"}), json!({"active": false})] {
        let response = patch(body.clone()).await.unwrap();
        assert_eq!(error_code(response, 422).await, "last_admin", "{body}");
    }
    assert_eq!(server.get("/api/me", &admin).await.status(), 200);
    server.add_user("second@example.com", "Second admin", Role::Admin);
    assert_eq!(
        patch(json!({"role": "manager"})).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn first_run_setup_creates_the_admin_once_with_the_printed_token() {
    let server = TestServer::start().await;
    let status: Value = server
        .client
        .get(server.url("/api/setup"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["needed"], true);
    let token = server
        .state
        .setup_token()
        .expect("a setup token while there are no users");

    let body = |token: &str| json!({"token": token, "email": "boss@example.com", "name": "Boss", "password": "long enough"});
    let wrong = server
        .client
        .post(server.url("/api/setup"))
        .json(&body("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(wrong, 403).await, "forbidden");

    let weak = server
        .client
        .post(server.url("/api/setup"))
        .json(&json!({"token": token, "email": "boss@example.com", "name": "Boss", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(weak, 422).await, "invalid_password");

    let response = server
        .client
        .post(server.url("/api/setup"))
        .json(&body(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["user"]["role"], "admin");
    let me: Value = server
        .get("/api/me", created["token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "boss@example.com");

    let again = server
        .client
        .post(server.url("/api/setup"))
        .json(&body(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(again, 409).await, "already_set_up");
    let status: Value = server
        .client
        .get(server.url("/api/setup"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["needed"], false);
}
