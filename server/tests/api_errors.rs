//! Bad requests of every kind get the JSON error shape and never a 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, error_code, expect_error};
use minicrm_core::Role;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn malformed_json_is_400() {
    let server = TestServer::start().await;
    let response = server
        .send_json_text(Method::POST, "/api/auth/login", None, "{\"email\": ")
        .await;
    expect_error(response, 400, "malformed_request").await;
}

#[tokio::test]
async fn missing_or_wrong_content_type_is_415() {
    let server = TestServer::start().await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = server
            .client
            .post(server.url("/api/auth/login"))
            .body(r#"{"email":"a@b.pl","password":"x"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            error_code(response, 415).await,
            "unsupported_media_type",
            "{content_type:?}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let (server, _, admin) = TestServer::with_user("admin@example.com", Role::Admin).await;
    let huge = format!(
        r#"{{"email":"x@example.com","name":"{}","role":"agent","password":"long enough"}}"#,
        "x".repeat(1024 * 1024 + 1)
    );
    let response = server
        .send_json_text(Method::POST, "/api/users", Some(&admin), huge)
        .await;
    expect_error(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_api_routes_and_methods_use_the_error_shape() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    for path in ["/api/nope", "/api/", "/api", "/api/users/x/y"] {
        let response = server.get(path, &token).await;
        assert_eq!(error_code(response, 404).await, "not_found", "{path}");
    }
    let request = server.client.delete(server.url("/api/me"));
    let response = request.bearer_auth(&token).send().await.unwrap();
    expect_error(response, 405, "method_not_allowed").await;
}

/// Many wrong bodies on every route that takes one: each is a 4xx with our error shape.
#[tokio::test]
async fn no_bad_body_yields_a_5xx() {
    let (server, admin_user, admin) = TestServer::with_user("admin@example.com", Role::Admin).await;
    let bodies = [
        "",
        "null",
        "[]",
        "42",
        "\"text\"",
        "{}",
        "{\"email\": null, \"password\": null}",
        "{\"email\": 5, \"password\": []}",
        "{\"email\": \"a@b.pl\", \"password\": \"\\ud800\"}",
        "{\"name\": {\"nested\": true}}",
        "{\"active\": \"yes\"}",
        "{\"role\": 7}",
        "\u{0}\u{1}\u{2}",
        "{\"email\": \"\u{202e}@x.pl\", \"name\": \"\u{0}\", \"role\": \"agent\", \"password\": \"12345678\"}",
    ];
    let routes = [
        (Method::POST, "/api/auth/login".to_owned()),
        (Method::POST, "/api/users".to_owned()),
        (Method::PATCH, format!("/api/users/{}", admin_user.id)),
        (Method::POST, "/api/setup".to_owned()),
    ];
    for (method, path) in &routes {
        for body in bodies {
            let response = server
                .send_json_text(method.clone(), path, Some(&admin), body)
                .await;
            let status = response.status().as_u16();
            if *method == Method::PATCH && body == "{}" {
                assert_eq!(status, 200, "an empty patch changes nothing and succeeds");
                continue;
            }
            assert!(
                (400..500).contains(&status),
                "{method} {path} {body:?}: {status}"
            );
            let reply: Value = response.json().await.unwrap();
            assert!(
                reply["error"]["code"].is_string(),
                "{method} {path} {body:?}: {reply}"
            );
        }
    }
    // Nothing changed: the admin is still the only user and still an admin.
    let me: Value = server.get("/api/me", &admin).await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(server.users(&admin).await.len(), 1);
}

#[tokio::test]
async fn openapi_needs_a_token_and_documents_every_route() {
    let server = TestServer::start().await;
    let anonymous = server.get_anonymous("/api/openapi.json").await;
    expect_error(anonymous, 401, "unauthorized").await;
    let (_, token) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let spec = server.get_json("/api/openapi.json", &token).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/health",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/me",
        "/api/setup",
        "/api/users",
        "/api/users/{id}",
        "/api/sync/push",
        "/api/sync/pull",
        "/api/history/{entity}/{id}",
        "/api/trash/purge",
        "/api/reports/changes",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} documented");
    }
}

#[tokio::test]
async fn a_path_or_query_the_router_cannot_read_still_gets_the_json_error_shape() {
    let (server, _, token) = TestServer::with_user("agnes@example.com", Role::Agent).await;
    for path in [
        "/api/history/contact/%ff",
        "/api/history/%c3%28/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "/api/users/%ff%fe",
        "/api/sync/pull?cursor=%ff",
        "/api/sync/pull?cursor=-1",
    ] {
        let response = server.get(path, &token).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        let code = error_code(response, status).await;
        assert!(!code.is_empty(), "{path}");
    }
}
