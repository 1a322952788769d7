//! The built app at `/`: SPA fallback, content types, caching and compression.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;

/// Writes each (name, content) into the server's dist/.
fn write_files(server: &TestServer, files: &[(&str, &[u8])]) {
    for (name, content) in files {
        let path = server.dist.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

fn write_dist(server: &TestServer) {
    let js = "x".repeat(4000);
    write_files(
        server,
        &[
            ("index.html", b"<!doctype html><title>miniCRM</title>"),
            ("minicrm-app-0123456789abcdef.js", js.as_bytes()),
            ("minicrm-app-0123456789abcdef_bg.wasm", b"\0asm\x01\0\0\0"),
            ("sw.js", b"self.addEventListener('fetch', () => {});"),
            ("manifest.webmanifest", b"{}"),
        ],
    );
}

/// A fresh server whose dist/ `write` filled.
async fn serving(write: fn(&TestServer)) -> TestServer {
    let server = TestServer::start().await;
    write(&server);
    server
}

/// Each path answers `status`.
async fn assert_status(server: &TestServer, status: u16, paths: &[&str]) {
    for path in paths {
        let response = server.get_anonymous(path).await;
        assert_eq!(response.status(), status, "{path}");
    }
}

/// Each path is 404, and its body shows nothing of the strays in dist/.
async fn assert_not_served(server: &TestServer, paths: &[&str]) {
    for path in paths {
        let response = server.get_anonymous(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("SECRET") && !body.contains("[core]") && !body.contains("SQLite"));
    }
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
    let server = serving(write_dist).await;
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
        let response = server.get_anonymous(path).await;
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
    let server = serving(write_dist).await;
    assert_status(&server, 404, &["/minicrm-app-ffffffffffffffff.js"]).await;
}

#[tokio::test]
async fn compresses_with_gzip_and_brotli() {
    let server = serving(write_dist).await;
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
    let response = server.get_anonymous("/").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("cargo xtask build"));
}

/// A dist/ as a real build leaves it (the worker names the built files), plus files that
/// must never be served: secrets and repository metadata someone left there.
fn write_built_dist_with_strays(server: &TestServer) {
    write_dist(server);
    write_files(
        server,
        &[
            ("index.html", b"<!doctype html><title>miniCRM</title><script type=\"module\">import init from '/minicrm-app-0123456789abcdef.js';init();</script>"),
            ("sw.js", b"const PRECACHE = /*minicrm:precache*/ [\n  \"/index.html\",\n  \"/minicrm-app-0123456789abcdef.js\",\n  \"/minicrm-app-0123456789abcdef_bg.wasm\",\n  \"/manifest.webmanifest\",\n];"),
            (".env", b"SECRET=1"),
            (".git/config", b"[core]"),
            ("backup.db", b"SQLite format 3"),
        ],
    );
}

#[tokio::test]
async fn only_built_assets_are_served_never_dotfiles_or_strays() {
    let server = serving(write_built_dist_with_strays).await;
    let strays = [
        "/.env",
        "/.git/config",
        "/%2eenv",
        "/%2Egit/config",
        "/backup.db",
        "/.git/",
        "/%ff",
    ];
    assert_not_served(&server, &strays).await;
    let built = [
        "/",
        "/index.html",
        "/minicrm-app-0123456789abcdef.js",
        "/sw.js",
        "/records",
    ];
    assert_status(&server, 200, &built).await;
    // Without the worker's list (a build without the hook), dotfiles are still refused.
    write_files(&server, &[("sw.js", b"self.x = 1;")]);
    assert_not_served(&server, &["/.env", "/.git/config", "/%2eenv"]).await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_a_strict_policy() {
    let server = serving(write_built_dist_with_strays).await;
    for path in [
        "/",
        "/records/1",
        "/minicrm-app-0123456789abcdef.js",
        "/.env",
        "/api/health",
        "/api/me",
        "/api/nowhere",
    ] {
        let response = server.get_anonymous(path).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            "same-origin",
            "{path}"
        );
        let policy = header(&response, "content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        if path.starts_with("/api/") {
            assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
        }
    }
    let page = server.get_anonymous("/").await;
    let policy = header(&page, "content-security-policy");
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    let scripts = directive("script-src");
    assert!(
        scripts.contains("'self'") && scripts.contains("'wasm-unsafe-eval'"),
        "{scripts}"
    );
    assert!(!scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"));
    // The inline module script, by its hash.
    use base64::Engine;
    use sha2::Digest;
    let digest =
        sha2::Sha256::digest(b"import init from '/minicrm-app-0123456789abcdef.js';init();");
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    assert!(scripts.contains(&format!("'sha256-{hash}'")), "{scripts}");
    assert_eq!(directive("connect-src"), "connect-src 'self'");
}

#[tokio::test]
async fn a_path_the_file_system_cannot_take_is_404_not_500() {
    let server =
        serving(|server| write_files(server, &[("index.html", b"<title>x</title>")])).await;
    let long = format!("/{}.js", "a".repeat(300));
    assert_status(&server, 404, &["/a%00b.js", &long]).await;
}
