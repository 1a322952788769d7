//! Serves the built app (dist/) at `/`: files as they are, the SPA's routes as index.html.
//!
//! Caching: Trunk's hashed assets never change under one name, so they are `immutable`;
//! everything else (index.html, the manifest, the service worker, icons) is `no-cache`, so a
//! new version is noticed at the next check.
//!
//! Only built assets are served: the files the service worker's precache list names (written
//! from Trunk's output by `cargo xtask precache`) and the worker itself. Without that list (a
//! build without the hook), any file but those under a dot-named segment. Every answer here
//! carries the app's Content-Security-Policy, with the hashes of index.html's inline scripts.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::error::ApiError;
use super::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let raw_path = request.uri().path().to_owned();
    if raw_path == "/api" || raw_path.starts_with("/api/") {
        return ApiError::no_such_route().into_response();
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let dist = state.dist_dir.as_path();
    let index = dist.join("index.html");
    let Ok(index_html) = std::fs::read_to_string(&index) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, NO_CACHE)],
            "The miniCRM app is not built. Run `cargo xtask build` and restart the server.",
        )
            .into_response();
    };
    let policy = content_security_policy(&index_html);
    let mut response = serve_built(dist, &index, &raw_path, request).await;
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The file for `raw_path` if it is a built asset, index.html for an app route, else 404.
async fn serve_built(dist: &Path, index: &Path, raw_path: &str, request: Request) -> Response {
    // Keep what a second attempt (the SPA fallback) needs: method and headers.
    let mut fallback_request = Request::new(Body::empty());
    *fallback_request.method_mut() = request.method().clone();
    *fallback_request.headers_mut() = request.headers().clone();
    let Some(path) = percent_decode(raw_path) else {
        return not_found();
    };
    let file_name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let built = match built_assets(dist) {
        Some(assets) => path == "/" || path == "/sw.js" || assets.contains(&path),
        None => !path.split('/').any(|segment| segment.starts_with('.')),
    };
    let mut response = if built {
        let Ok(response) = ServeDir::new(dist).oneshot(request).await;
        if response.status().is_server_error() {
            // A path the file system cannot take (a NUL, a name too long): no such file.
            not_found()
        } else {
            response.map(Body::new)
        }
    } else {
        not_found()
    };
    let is_app_route =
        !has_extension(&file_name) && !path.split('/').any(|segment| segment.starts_with('.'));
    let served_file = if response.status() == StatusCode::NOT_FOUND && is_app_route {
        // An app route such as /records/123: the SPA decides what to show.
        let Ok(index_response) = ServeFile::new(index).oneshot(fallback_request).await;
        response = index_response.map(Body::new);
        "index.html".to_owned()
    } else if file_name.is_empty() {
        "index.html".to_owned()
    } else {
        file_name
    };
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if is_hashed_asset(&served_file) {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, NO_CACHE)],
        "Not found.",
    )
        .into_response()
}

/// `%XX` decoded, as the file server decodes it; `None` when it is not UTF-8 or malformed.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The URLs the service worker's precache list names, if the build wrote one.
fn built_assets(dist: &Path) -> Option<Vec<String>> {
    let worker = std::fs::read_to_string(dist.join("sw.js")).ok()?;
    let (_, after) = worker.split_once(PRECACHE_MARKER)?;
    let (_, list) = after.split_once('[')?;
    let (list, _) = list.split_once(']')?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .filter_map(|item| serde_json::from_str::<String>(item).ok())
            .collect(),
    )
}

const PRECACHE_MARKER: &str = "/*minicrm:precache*/";

/// The app's policy: its own scripts (and wasm) only, index.html's inline scripts by hash,
/// requests to its own origin only, never framed.
fn content_security_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of each `<script>` element without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let tag_end = start + rest[start..].find('>')?;
            let tag = &rest[start..tag_end];
            let body_start = tag_end + 1;
            let body_end = body_start + rest[body_start..].find("</script")?;
            let body = &rest[body_start..body_end];
            rest = &rest[body_end..];
            if !tag.contains(" src=") && !tag.contains(" src =") {
                return Some(body);
            }
        }
    })
}

fn has_extension(file_name: &str) -> bool {
    Path::new(file_name).extension().is_some()
}

/// Trunk names its outputs `<name>-<16 hex digits>[_bg].<ext>`.
fn is_hashed_asset(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_each_inline_script_by_hash() {
        let html = r#"<html><head><script type="module">import init from '/a.js';init();</script>
            <script src="/b.js"></script></head></html>"#;
        let policy = content_security_policy(html);
        let digest = Sha256::digest(b"import init from '/a.js';init();");
        let expected = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 1, "only the inline one");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-eval'") || policy.contains("'wasm-unsafe-eval'"));
    }

    #[test]
    fn paths_decode_like_the_file_server() {
        assert_eq!(percent_decode("/%2eenv").as_deref(), Some("/.env"));
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/%ff"), None);
        assert_eq!(percent_decode("/%zz"), None);
        assert_eq!(percent_decode("/%2"), None);
    }

    #[test]
    fn recognizes_trunk_hashed_names() {
        for name in [
            "minicrm-app-1a2b3c4d5e6f7a8b.js",
            "minicrm-app-1a2b3c4d5e6f7a8b_bg.wasm",
            "main-0123456789abcdef.css",
        ] {
            assert!(is_hashed_asset(name), "{name}");
        }
        for name in [
            "index.html",
            "sw.js",
            "manifest.webmanifest",
            "icon-192.png",
            "app-12.js",
        ] {
            assert!(!is_hashed_asset(name), "{name}");
        }
    }
}
