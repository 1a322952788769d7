//! The project's commands (README): `cargo xtask run`, `cargo xtask test`, and helpers.
//!
//! Every command first installs what it needs and is missing, from the package registries
//! only (crates.io, npm, Debian): the wasm32 target, Trunk, wasm-bindgen-cli at exactly the
//! lockfile's version, wasm-opt from npm, Chromium and ChromeDriver, the end2end packages.

mod modgraph;
mod precache;
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "miniCRM's build, run and test commands")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build app and server in release and start the server on 127.0.0.1:8080.
    Run {
        /// First fill an empty database with demo data (`minicrm-server demo`).
        #[arg(long)]
        demo: bool,
        /// Extra arguments for `minicrm-server serve` (e.g. -- --addr 0.0.0.0:8080).
        #[arg(last = true)]
        serve_args: Vec<String>,
    },
    /// Build the app (Trunk, release, into dist/) and the server (release).
    Build,
    /// Every check: rustfmt, clippy (native and wasm32), Rust tests, wasm tests in
    /// headless Chromium, and the Playwright end-to-end suite against the release server.
    Test,
    /// Install every tool the other commands need, without building.
    Setup,
    /// The module dependency cycles of core, server, storage and app (fails if there is
    /// one); cycles between sibling directories are printed as warnings.
    Cycles,
    /// A long run of the sync fault-injection simulation (server/tests/simulation.rs) in
    /// release; `cargo xtask test` runs its short default as one of the server tests.
    Soak {
        /// Simulation steps (the default test run takes 300).
        #[arg(long, default_value_t = 5000)]
        steps: u64,
        /// Replay a run: the seed a failed run printed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Benchmarks (not tests): server push and pull rates over HTTP and the initial sync
    /// of a large base into IndexedDB in headless Chromium; prints a table.
    Bench {
        /// Contacts in the base.
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
    },
    /// Trunk post_build hook: write the emitted files into the service worker's precache.
    Precache {
        /// The staging directory (default: $TRUNK_STAGING_DIR).
        dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let root = project_root()?;
    std::env::set_current_dir(&root)?;
    match cli.command {
        Task::Run { demo, serve_args } => run(&root, demo, &serve_args),
        Task::Build => {
            let tools = tools::ensure_build_tools(&root)?;
            build(&root, &tools)
        }
        Task::Test => test(&root),
        Task::Setup => {
            tools::ensure_build_tools(&root)?;
            tools::ensure_test_tools(&root)?;
            Ok(())
        }
        Task::Cycles => modgraph::check(&root),
        Task::Soak { steps, seed } => soak(steps, seed),
        Task::Bench { contacts } => bench(&root, contacts),
        Task::Precache { dir } => {
            let dir = match dir {
                Some(dir) => dir,
                None => std::env::var_os("TRUNK_STAGING_DIR")
                    .map(PathBuf::from)
                    .context("no directory given and TRUNK_STAGING_DIR is not set")?,
            };
            precache::write(&dir)
        }
    }
}

fn project_root() -> anyhow::Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// Prints the step and runs the command; a failure names the step.
pub(crate) fn step(name: &str, command: &mut Command) -> anyhow::Result<()> {
    step_with(name, || {
        let status = command
            .status()
            .with_context(|| format!("could not start {:?}", command.get_program()))?;
        if !status.success() {
            bail!("{status}");
        }
        Ok(())
    })
}

/// Prints the step, runs `work` and says how long it took; a failure names the step.
fn step_with(name: &str, work: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    eprintln!("\n==> {name}");
    let started = Instant::now();
    work().with_context(|| format!("{name} failed"))?;
    eprintln!("    {name}: ok in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `--target` for the app's platform.
const WASM: &str = "--target=wasm32-unknown-unknown";

/// `cargo clippy --locked <what> -- -D warnings`.
fn clippy(what: &[&str]) -> Command {
    let mut command = cargo();
    command
        .args(["clippy", "--locked"])
        .args(what)
        .args(["--", "-D", "warnings"]);
    command
}

fn build(root: &Path, tools: &tools::BuildTools) -> anyhow::Result<()> {
    step("fetch crates (locked)", cargo().args(["fetch", "--locked"]))?;
    let mut trunk = Command::new(&tools.trunk);
    trunk
        .args(["build", "--release", "--offline", "--locked"])
        .env("PATH", &tools.path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .current_dir(root);
    step("build the app (trunk, release)", &mut trunk)?;
    step(
        "build the server (release)",
        cargo().args(["build", "--release", "--locked", "-p", "minicrm-server"]),
    )?;
    Ok(())
}

fn server_binary(root: &Path) -> PathBuf {
    root.join("target/release/minicrm-server")
}

fn run(root: &Path, demo: bool, serve_args: &[String]) -> anyhow::Result<()> {
    let tools = tools::ensure_build_tools(root)?;
    build(root, &tools)?;
    if demo {
        // The same database `serve` uses: `--db` among the serve arguments, else its default.
        let db = serve_args
            .iter()
            .position(|arg| arg == "--db")
            .and_then(|i| serve_args.get(i + 1))
            .cloned()
            .or_else(|| std::env::var("MINICRM_DB").ok())
            .unwrap_or_else(|| "data/minicrm.db".to_owned());
        eprintln!("\n==> demo data into {db}");
        let status = Command::new(server_binary(root))
            .args(["demo", "--db", &db])
            .status()
            .context("starting minicrm-server demo")?;
        if !status.success() {
            eprintln!("(no demo data added: see the message above; starting anyway)");
        }
    }
    eprintln!("\n==> starting miniCRM (Ctrl-C stops it)");
    let status = Command::new(server_binary(root))
        .arg("serve")
        .args(serve_args)
        .status()
        .context("starting minicrm-server")?;
    if !status.success() {
        bail!("minicrm-server exited with {status}");
    }
    Ok(())
}

fn soak(steps: u64, seed: Option<u64>) -> anyhow::Result<()> {
    let mut command = cargo();
    command
        .args([
            "test",
            "--locked",
            "--release",
            "-p",
            "minicrm-server",
            "--test",
            "simulation",
            "--",
            "--nocapture",
        ])
        .env("MINICRM_SIM_STEPS", steps.to_string());
    // Without a seed the test draws one and prints it; an inherited one would replay it.
    match seed {
        Some(seed) => command.env("MINICRM_SIM_SEED", seed.to_string()),
        None => command.env_remove("MINICRM_SIM_SEED"),
    };
    step(
        &format!("sync simulation, {steps} steps (release)"),
        &mut command,
    )
}

fn bench(root: &Path, contacts: u64) -> anyhow::Result<()> {
    let build_tools = tools::ensure_build_tools(root)?;
    let test_tools = tools::ensure_test_tools(root)?;
    build(root, &build_tools)?;
    let node = |script: &str| {
        let mut command = Command::new("node");
        command
            .arg(script)
            .current_dir(root.join("end2end"))
            .env("MINICRM_BENCH_CONTACTS", contacts.to_string())
            .env("MINICRM_BENCH_IMPORT_ROWS", contacts.to_string())
            .env("MINICRM_SERVER_BIN", server_binary(root))
            .env("MINICRM_DIST", root.join("dist"))
            .env("CHROMIUM", &test_tools.chromium);
        command
    };
    step(
        &format!("sync benchmarks, {contacts} contacts"),
        &mut node("bench/sync.mjs"),
    )?;
    step(
        &format!("import and export benchmarks, {contacts} rows"),
        &mut node("bench/import.mjs"),
    )?;
    step(
        &format!("duplicates benchmarks, {contacts} contacts and 2% planted"),
        &mut node("bench/duplicates.mjs"),
    )?;
    step(
        &format!("reports benchmarks, {contacts} contacts, 3 activities and 1 task each"),
        &mut node("bench/reports.mjs"),
    )
}

/// The crates that only build for wasm32: linted there, left out of native builds. (The
/// worker has no tests of its own: its parts are tested in core, sheets and the app.)
const WASM_CRATES: [&str; 3] = ["minicrm-app", "minicrm-storage", "minicrm-worker"];

fn test(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let build_tools = tools::ensure_build_tools(root)?;
    let test_tools = tools::ensure_test_tools(root)?;

    step("rustfmt", cargo().args(["fmt", "--all", "--check"]))?;
    step_with("module cycles (app, storage, server, core)", || {
        modgraph::check(root)
    })?;
    let mut native = vec!["--workspace", "--all-targets"];
    let mut wasm = vec![WASM, "--all-targets"];
    for name in WASM_CRATES {
        native.extend(["--exclude", name]);
        wasm.extend(["-p", name]);
    }
    step("clippy (native)", &mut clippy(&native))?;
    step("clippy (wasm32: app, storage, worker)", &mut clippy(&wasm))?;
    // core's and sheets' tests run natively (proptest has no wasm entropy source); their
    // libraries are checked for wasm32 as the app and the worker compile them.
    step(
        "clippy (wasm32: core, sheets)",
        &mut clippy(&[WASM, "-p", "minicrm-core", "-p", "minicrm-sheets", "--lib"]),
    )?;
    step(
        "Rust tests (native)",
        cargo()
            .args(["test", "--locked", "--workspace"])
            .args(WASM_CRATES.iter().flat_map(|name| ["--exclude", name])),
    )?;
    step(
        "wasm tests in headless Chromium",
        cargo()
            .args([
                "test",
                "--locked",
                WASM,
                "-p",
                "minicrm-app",
                "-p",
                "minicrm-storage",
            ])
            .env("PATH", &build_tools.path)
            .env("CHROMEDRIVER", &test_tools.chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;
    step(
        "sheets in headless Chromium (XLSX and ODS written and read in wasm32)",
        cargo()
            .args([
                "test",
                "--locked",
                WASM,
                "-p",
                "minicrm-sheets",
                "--test",
                "wasm",
            ])
            .env("PATH", &build_tools.path)
            .env("CHROMEDRIVER", &test_tools.chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;
    build(root, &build_tools)?;
    step(
        "end-to-end tests (Playwright, headless Chromium, release server)",
        Command::new("node")
            // A test that hangs fails, named, instead of holding CI until its limit.
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-timeout=600000",
                "tests/",
            ])
            .current_dir(root.join("end2end"))
            .env("MINICRM_SERVER_BIN", server_binary(root))
            .env("MINICRM_DIST", root.join("dist"))
            .env("CHROMIUM", &test_tools.chromium),
    )?;
    eprintln!(
        "\nAll checks passed in {:.0}s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
