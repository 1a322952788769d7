//! Installs what the commands need and is missing, from the package registries only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::step;

pub const TRUNK_VERSION: &str = "0.21.14";

pub struct BuildTools {
    pub trunk: PathBuf,
    /// PATH with cargo's bin dir and the npm build tools (wasm-opt) in front.
    pub path: OsString,
}

pub struct TestTools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The first line a `program --version` prints, if it runs at all.
fn version_of(program: &Path) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    output.status.success().then(|| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    })
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(root: &Path, package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted
            && let Some(version) = lines
                .next()
                .and_then(|line| line.trim().strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

fn installed_targets() -> String {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

/// The wasm-bindgen version must agree in Cargo.lock, the wasm crates' Cargo.toml and
/// Trunk.toml, or Trunk would try to download another one.
fn check_wasm_bindgen_pins(root: &Path, locked: &str) -> anyhow::Result<()> {
    let trunk_toml = std::fs::read_to_string(root.join("Trunk.toml"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{locked}\"")) {
        bail!("Trunk.toml's [tools] wasm_bindgen must be \"{locked}\", the version in Cargo.lock");
    }
    for manifest in ["app/Cargo.toml", "storage/Cargo.toml", "worker/Cargo.toml"] {
        let toml = std::fs::read_to_string(root.join(manifest))?;
        if !toml.contains(&format!("wasm-bindgen = \"={locked}\"")) {
            bail!("{manifest} must pin wasm-bindgen = \"={locked}\", the version in Cargo.lock");
        }
    }
    Ok(())
}

fn npm_ci(dir: &Path, what: &str) -> anyhow::Result<()> {
    let marker = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (marker.metadata(), lock.metadata()) {
        (Ok(marker), Ok(lock)) => match (marker.modified(), lock.modified()) {
            (Ok(marker), Ok(lock)) => marker >= lock,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step(
        &format!("install {what} (npm ci)"),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}

pub fn ensure_build_tools(root: &Path) -> anyhow::Result<BuildTools> {
    let bin = cargo_bin_dir();
    if !installed_targets().contains("wasm32-unknown-unknown") {
        step(
            "install the wasm32 target",
            Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        )?;
    }

    let trunk = bin.join("trunk");
    if version_of(&trunk).as_deref() != Some(&format!("trunk {TRUNK_VERSION}")) {
        step(
            &format!("install Trunk {TRUNK_VERSION} (takes several minutes, once)"),
            Command::new("cargo").args([
                "install",
                "trunk",
                "--version",
                TRUNK_VERSION,
                "--locked",
            ]),
        )?;
    }

    let wasm_bindgen_version = locked_version(root, "wasm-bindgen")?;
    check_wasm_bindgen_pins(root, &wasm_bindgen_version)?;
    let wasm_bindgen = bin.join("wasm-bindgen");
    if version_of(&wasm_bindgen).as_deref() != Some(&format!("wasm-bindgen {wasm_bindgen_version}"))
    {
        // Without --locked: the CLI's own lockfile names a crate version the registry lacks.
        step(
            &format!("install wasm-bindgen-cli {wasm_bindgen_version} (once)"),
            Command::new("cargo").args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &wasm_bindgen_version,
                "--force",
            ]),
        )?;
    }

    let npm_tools = root.join("xtask/tools");
    npm_ci(&npm_tools, "wasm-opt (npm binaryen)")?;

    let mut paths = vec![bin, npm_tools.join("node_modules/.bin")];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    let path = std::env::join_paths(paths).context("building PATH")?;
    Ok(BuildTools { trunk, path })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

fn apt_get(args: &[&str]) -> Command {
    let mut command = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

pub fn ensure_test_tools(root: &Path) -> anyhow::Result<TestTools> {
    if which("chromium").is_none() || which("chromedriver").is_none() {
        step("update Debian's package lists", &mut apt_get(&["update"]))?;
        step(
            "install Chromium and ChromeDriver (Debian)",
            &mut apt_get(&["install", "-y", "chromium", "chromium-driver"]),
        )?;
    }
    let chromium = which("chromium").context("chromium is not on PATH after installing it")?;
    let chromedriver =
        which("chromedriver").context("chromedriver is not on PATH after installing it")?;
    npm_ci(
        &root.join("end2end"),
        "the end2end packages (playwright-core)",
    )?;
    Ok(TestTools {
        chromium,
        chromedriver,
    })
}
