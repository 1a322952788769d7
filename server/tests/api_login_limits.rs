//! Login under pressure: parallel bursts, oversized input, a bound on password checks, and
//! client addresses behind a trusted proxy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{PASSWORD, TestServer, error_code, expect_error};
use minicrm_core::Role;
use minicrm_server::auth::gate::PasswordGate;
use minicrm_server::auth::limiter::LoginLimiter;
use serde_json::json;

/// A wrong password for `email`, sent through a proxy for `forwarded_for`.
async fn login_from(server: &TestServer, forwarded_for: &str, email: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "wrong"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_get_at_most_ten_answers_other_than_429() {
    // Enough password-check slots and wait that the bound on checks does not interfere.
    let server = TestServer::start_configured(|state| {
        state.with_password_gate(PasswordGate::new(64, Duration::from_secs(60)))
    })
    .await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    let burst = (0..40).map(|i| {
        let server = &server;
        async move {
            server
                .login_attempt("ada@example.com", &format!("guess {i}"))
                .await
                .status()
        }
    });
    let statuses = futures_join_all(burst).await;
    let not_limited: Vec<_> = statuses.iter().filter(|s| s.as_u16() != 429).collect();
    assert_eq!(
        not_limited.len(),
        10,
        "exactly the per-e-mail limit gets an answer: {statuses:?}"
    );
    assert!(
        not_limited.iter().all(|s| s.as_u16() == 401),
        "{statuses:?}"
    );
    // The right password is refused too now: the attempts were counted.
    let response = server.login_attempt("ada@example.com", PASSWORD).await;
    expect_error(response, 429, "too_many_attempts").await;
}

/// Runs the futures concurrently on this task and collects their outputs in order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[tokio::test]
async fn a_megabyte_email_is_refused_cheaply_and_not_counted() {
    let server = TestServer::start_with(LoginLimiter::new(1, 1, Duration::from_secs(900))).await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    let huge = format!("{}@example.com", "a".repeat(1_000_000));
    let long = format!("{}@example.com", "b".repeat(255));
    let (ada, password_257, huge_password) =
        ("ada@example.com", "p".repeat(257), "p".repeat(100_000));
    let started = Instant::now();
    for (email, password, code) in [
        (huge.as_str(), "whatever", "invalid_email"),
        (&long, "x", "invalid_email"),
        // 257 characters: longer than any password can be.
        (ada, &password_257, "invalid_password"),
        (ada, &huge_password, "invalid_password"),
    ] {
        let response = server.login_attempt(email, password).await;
        assert_eq!(error_code(response, 422).await, code, "{}…", &email[..10]);
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused without hashing"
    );
    // None of them used the address's single attempt: a real login still works.
    server.login("ada@example.com").await;
}

#[tokio::test]
async fn password_checks_beyond_the_bound_get_503_with_retry_after() {
    let gate = PasswordGate::new(1, Duration::from_millis(50));
    let held = gate.clone();
    let server = TestServer::start_configured(|state| state.with_password_gate(gate)).await;
    server.add_user("ada@example.com", "Ada", Role::Agent);
    // Another check holds the only slot for the whole wait.
    let permit = held.acquire().await.unwrap();
    let response = server.login_attempt("ada@example.com", PASSWORD).await;
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(error_code(response, 503).await, "busy");
    drop(permit);
    server.login("ada@example.com").await;
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_the_trusted_proxy() {
    let limits = || LoginLimiter::new(100, 3, Duration::from_secs(900));
    let behind_proxy = TestServer::start_configured(|state| {
        state
            .with_login_limiter(limits())
            .with_trusted_proxy(Some("127.0.0.0/8".parse().unwrap()))
    })
    .await;
    for i in 0..3 {
        let response = login_from(&behind_proxy, "203.0.113.7", &format!("u{i}@x.pl")).await;
        assert_eq!(response.status(), 401);
    }
    let blocked = login_from(&behind_proxy, "203.0.113.7", "other@x.pl").await;
    assert_eq!(error_code(blocked, 429).await, "too_many_attempts");
    let other_client = login_from(&behind_proxy, "198.51.100.2", "other@x.pl").await;
    assert_eq!(
        other_client.status(),
        401,
        "a different client behind the proxy"
    );

    // Without a trusted proxy the header is ignored: every request is the peer's.
    let direct = TestServer::start_with(limits()).await;
    for i in 0..3 {
        let spoofed = format!("198.51.100.{i}");
        assert_eq!(login_from(&direct, &spoofed, "a@x.pl").await.status(), 401);
    }
    let response = login_from(&direct, "198.51.100.99", "b@x.pl").await;
    assert_eq!(error_code(response, 429).await, "too_many_attempts");
}
