//! The command line (PROTOCOL.md, "Server command line").

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use minicrm_core::{Role, validate};

use crate::auth::password;
use crate::db::{self, Db, users};
use crate::http::{AppState, app};

#[derive(Debug, Parser)]
#[command(
    name = "minicrm-server",
    version,
    about = "miniCRM server: the API and the app"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API at /api and the built app at /.
    Serve(ServeArgs),
    /// Manage accounts from the command line.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill an empty database with a demo team and records (every account's password is
    /// printed).
    Demo(DemoArgs),
    /// Copy the database to a file, safely while the server runs and takes writes (SQLite's
    /// online backup). The copy is complete and checked before it takes the file's name.
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The database to copy.
    #[arg(long, env = "MINICRM_DB", default_value = "data/minicrm.db")]
    pub db: PathBuf,
    /// The backup file to write (replaced if it exists); its directory must exist.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, env = "MINICRM_DB", default_value = "data/minicrm.db")]
    pub db: PathBuf,
    /// How many people and companies to make.
    #[arg(long, default_value_t = 5000)]
    pub contacts: usize,
    /// The random seed (the same seed makes the same people).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SQLite database; created with its schema on first start.
    #[arg(long, env = "MINICRM_DB", default_value = "data/minicrm.db")]
    pub db: PathBuf,
    /// Where to listen.
    #[arg(long, env = "MINICRM_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The built app (Trunk's output).
    #[arg(long, env = "MINICRM_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Take backups of the database into this directory on a schedule (created if
    /// missing), named minicrm-<UTC time>.db, e.g. minicrm-20261201T120000Z.db.
    #[arg(long, env = "MINICRM_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How often to take a backup with --backup-dir: e.g. 24h, 30m, 90s, 1h30m. The first
    /// one is due this long after the newest backup already in the directory (now, if none).
    #[arg(
        long,
        env = "MINICRM_BACKUP_EVERY",
        default_value = "24h",
        requires = "backup_dir",
        value_name = "DURATION",
        value_parser = db::backup::parse_duration
    )]
    pub backup_every: std::time::Duration,
    /// How many backups to keep with --backup-dir; the oldest beyond it are deleted.
    #[arg(
        long,
        env = "MINICRM_BACKUP_KEEP",
        default_value_t = 7,
        requires = "backup_dir",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub backup_keep: u32,
    /// The reverse proxy in front of this server (an address or network, e.g. 10.0.0.0/8):
    /// only for connections from it is the client address taken from X-Forwarded-For (the
    /// login limits count per client address). Without it the header is ignored. The
    /// network must hold only proxies: a client inside it could name any address.
    #[arg(long, env = "MINICRM_TRUSTED_PROXY")]
    pub trusted_proxy: Option<crate::http::proxy::Cidr>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password comes from env MINICRM_PASSWORD, else from stdin.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long, env = "MINICRM_DB", default_value = "data/minicrm.db")]
    pub db: PathBuf,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// admin, manager, agent or restricted.
    #[arg(long)]
    pub role: String,
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let db = Db::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let state = AppState::new(db, args.dist.clone())?.with_trusted_proxy(args.trusted_proxy);
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, db = %args.db.display(), dist = %args.dist.display(), "miniCRM listening");
    if !args.dist.join("index.html").is_file() {
        tracing::warn!(dist = %args.dist.display(), "no built app here: run `cargo xtask build`");
    }
    if let Some(dir) = &args.backup_dir {
        tokio::spawn(db::backup::run_schedule(db::backup::Schedule {
            db: args.db.clone(),
            dir: dir.clone(),
            every: args.backup_every,
            keep: usize::try_from(args.backup_keep).unwrap_or(usize::MAX),
        }));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "miniCRM is running at {}", browser_url(local))?;
    if let Some(token) = state.setup_token() {
        writeln!(
            out,
            "\nThis server has no users yet. To create the administrator, open this one-time link:\n\n    {}/setup?token={token}\n\nor add one with: minicrm-server user add --db {} --email you@example.com --name \"Your Name\" --role admin\n",
            browser_url(local),
            args.db.display(),
        )?;
    }
    out.flush()?;
    drop(out);
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The address a person on this machine opens: an unspecified bind address means localhost.
fn browser_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// Registers for SIGTERM and Ctrl-C at once — before the port accepts connections, so a
/// stop request that arrives early still stops the server gracefully — and resolves when
/// one arrives.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {},
                    _ = interrupt.recv() => {},
                }
            }
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(%err, "cannot listen for SIGTERM or Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

pub fn user_add(args: UserAddArgs) -> anyhow::Result<()> {
    let role: Role = args.role.parse()?;
    let email = validate::normalize_email(&args.email)?;
    let name = validate::normalize_name(&args.name)?;
    let password = read_password()?;
    validate::check_password(&password)?;
    let hash = password::hash(&password)?;
    let db = Db::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let new = users::NewUser {
        email: &email,
        name: &name,
        role,
        password_hash: &hash,
    };
    let user = db.write_blocking(|conn| {
        db::in_transaction(conn, |tx| users::insert(tx, &new, db::now_ms()))
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Added {} <{}> as {} (id {}).",
        user.name, user.email, user.role, user.id
    )?;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("MINICRM_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (input is shown): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password: set MINICRM_PASSWORD or write it to stdin");
    }
    Ok(password.to_owned())
}

pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let db = Db::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let summary =
        db.write_blocking(|conn| crate::demo::fill(conn, args.contacts, args.seed, db::now_ms()))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Added {} records ({} changes) and these accounts, each with the password {:?}:",
        summary.contacts,
        summary.changes,
        crate::demo::DEMO_PASSWORD
    )?;
    for user in &summary.users {
        writeln!(out, "    {:<12} {}", user.role.as_str(), user.email)?;
    }
    Ok(())
}

pub fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let report = db::backup::backup(&args.db, &args.to)
        .with_context(|| format!("backing up {} to {}", args.db.display(), args.to.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Backed up {} to {} ({} bytes, {} ms).",
        args.db.display(),
        report.path.display(),
        report.bytes,
        report.elapsed.as_millis()
    )?;
    Ok(())
}
