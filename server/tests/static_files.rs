//! The built app at `/`: SPA fallback, content types, caching and compression.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;

fn write_dist(server: &TestServer) {
    let dist = server.dist.path();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>miniCRM</title>",
    )
    .unwrap();
    std::fs::write(
        dist.join("minicrm-app-0123456789abcdef.js"),
        "x".repeat(4000),
    )
    .unwrap();
    std::fs::write(
        dist.join("minicrm-app-0123456789abcdef_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    std::fs::write(
        dist.join("sw.js"),
        "self.addEventListener('fetch', () => {});",
    )
    .unwrap();
    std::fs::write(dist.join("manifest.webmanifest"), "{}").unwrap();
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn serves_files_with_types_and_cache_policies() {
    let server = TestServer::start().await;
    write_dist(&server);
    let cases = [
        ("/", "text/html", "no-cache"),
        ("/index.html", "text/html", "no-cache"),
        (
            "/records/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "text/html",
            "no-cache",
        ),
        ("/login", "text/html", "no-cache"),
        (
            "/minicrm-app-0123456789abcdef.js",
            "text/javascript",
            "public, max-age=31536000, immutable",
        ),
        (
            "/minicrm-app-0123456789abcdef_bg.wasm",
            "application/wasm",
            "public, max-age=31536000, immutable",
        ),
        ("/sw.js", "text/javascript", "no-cache"),
        (
            "/manifest.webmanifest",
            "application/manifest+json",
            "no-cache",
        ),
    ];
    for (path, content_type, cache) in cases {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            header(&response, "content-type").starts_with(content_type),
            "{path}: {}",
            header(&response, "content-type")
        );
        assert_eq!(header(&response, "cache-control"), cache, "{path}");
    }
}

#[tokio::test]
async fn a_missing_file_is_404_not_the_app() {
    let server = TestServer::start().await;
    write_dist(&server);
    let response = server
        .client
        .get(server.url("/minicrm-app-ffffffffffffffff.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn compresses_with_gzip_and_brotli() {
    let server = TestServer::start().await;
    write_dist(&server);
    for encoding in ["gzip", "br"] {
        let response = server
            .client
            .get(server.url("/minicrm-app-0123456789abcdef.js"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, "content-encoding"), encoding);
        let body = response.bytes().await.unwrap();
        assert!(
            body.len() < 4000,
            "{encoding} body is smaller than the file"
        );
    }
}

#[tokio::test]
async fn without_a_built_app_the_root_explains_how_to_build_it() {
    let server = TestServer::start().await;
    let response = server.client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("cargo xtask build"));
}
