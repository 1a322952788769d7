//! Writes the app shell's file list into the service worker, from the files Trunk emitted,
//! so the precache is never kept by hand and changes whenever any file changes.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

const SERVICE_WORKER: &str = "sw.js";
const VERSION_PLACEHOLDER: &str = "__MINICRM_VERSION__";
const LIST_PLACEHOLDER: &str = "/*__MINICRM_PRECACHE__*/ []";
/// Marks the written list: the server serves only the files it names (and the worker).
const LIST_MARKER: &str = "/*minicrm:precache*/";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// FNV-1a, 64 bit: stable across Rust versions, unlike std's hasher.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The URL paths to precache and a version that changes with any file's name or content.
pub fn shell_files(dir: &Path) -> anyhow::Result<(Vec<String>, String)> {
    let mut files = Vec::new();
    files_under(dir, &mut files)?;
    let mut urls = Vec::new();
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut entries: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            (relative != SERVICE_WORKER).then(|| (format!("/{relative}"), path))
        })
        .collect();
    entries.sort();
    for (url, path) in entries {
        hash = fnv1a(hash, url.as_bytes());
        hash = fnv1a(hash, &std::fs::read(&path)?);
        urls.push(url);
    }
    Ok((urls, format!("{hash:016x}")))
}

pub fn write(dir: &Path) -> anyhow::Result<()> {
    let worker_path = dir.join(SERVICE_WORKER);
    let worker = std::fs::read_to_string(&worker_path)
        .with_context(|| format!("reading {}", worker_path.display()))?;
    if !worker.contains(VERSION_PLACEHOLDER) || !worker.contains(LIST_PLACEHOLDER) {
        bail!("{} lacks the precache placeholders", worker_path.display());
    }
    let (urls, version) = shell_files(dir)?;
    if !urls.iter().any(|url| url == "/index.html") {
        bail!(
            "no index.html in {}: is this Trunk's staging directory?",
            dir.display()
        );
    }
    let list = format!(
        "{LIST_MARKER} [\n{}\n]",
        urls.iter()
            // JSON strings: what the service worker and the server both read.
            .map(|url| format!("  {},", serde_json::Value::from(url.as_str())))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let worker = worker
        .replace(VERSION_PLACEHOLDER, &version)
        .replace(LIST_PLACEHOLDER, &list);
    std::fs::write(&worker_path, worker)?;
    eprintln!(
        "service worker precache: {} files, version {version}",
        urls.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_file_but_the_worker_and_versions_by_content() {
        let dir = std::env::temp_dir().join(format!("minicrm-precache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("icons")).unwrap();
        std::fs::write(dir.join("index.html"), "<html>").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef.js"), "js").unwrap();
        std::fs::write(dir.join("icons/icon-192.png"), "png").unwrap();
        std::fs::write(
            dir.join("sw.js"),
            format!("const V = '{VERSION_PLACEHOLDER}';\nconst P = {LIST_PLACEHOLDER};"),
        )
        .unwrap();
        let (urls, first) = shell_files(&dir).unwrap();
        assert_eq!(
            urls,
            [
                "/app-0123456789abcdef.js",
                "/icons/icon-192.png",
                "/index.html"
            ]
        );
        std::fs::write(dir.join("index.html"), "<html lang=en>").unwrap();
        let (_, second) = shell_files(&dir).unwrap();
        assert_ne!(first, second, "a changed file gives a new version");

        write(&dir).unwrap();
        let worker = std::fs::read_to_string(dir.join("sw.js")).unwrap();
        assert!(worker.contains("\"/index.html\","));
        assert!(
            worker.contains(LIST_MARKER),
            "the server finds the list by its marker"
        );
        assert!(worker.contains(&second));
        assert!(write(&dir).is_err(), "placeholders are gone after writing");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
