//! Serves the built app (dist/) at `/`: files as they are, the SPA's routes as index.html.
//!
//! Caching: Trunk's hashed assets never change under one name, so they are `immutable`;
//! everything else (index.html, the manifest, the service worker, icons) is `no-cache`, so a
//! new version is noticed at the next check.

use std::path::Path;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::{ApiError, AppState};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::not_found("There is no such API route.").into_response();
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let dist = state.dist_dir.as_path();
    let index = dist.join("index.html");
    if !index.is_file() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, NO_CACHE)],
            "The miniCRM app is not built. Run `cargo xtask build` and restart the server.",
        )
            .into_response();
    }
    // Keep what a second attempt (the SPA fallback) needs: method and headers.
    let mut fallback_request = Request::new(Body::empty());
    *fallback_request.method_mut() = request.method().clone();
    *fallback_request.headers_mut() = request.headers().clone();

    let file_name = path.rsplit('/').next().unwrap_or_default().to_owned();
    let Ok(response) = ServeDir::new(dist).oneshot(request).await;
    let mut response = response.map(Body::new);
    let served_file = if response.status() == StatusCode::NOT_FOUND && !has_extension(&file_name) {
        // An app route such as /records/123: the SPA decides what to show.
        let Ok(index_response) = ServeFile::new(&index).oneshot(fallback_request).await;
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
