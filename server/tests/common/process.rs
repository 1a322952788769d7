//! The `minicrm-server` binary as a child process: commands made the same way everywhere, and
//! waiting (bounded) for a started server.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_minicrm-server");

/// A port nothing listens on now (someone may take it before the server binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `minicrm-server user add --db <db> --email <email> --name <name> --role <role>`.
pub fn user_add(db: &Path, email: &str, name: &str, role: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["user", "add", "--db"])
        .arg(db)
        .args(["--email", email, "--name", name, "--role", role]);
    command
}

/// Adds an account through the command line, as an operator would (creating the database).
pub async fn add_user(db: &Path, email: &str, name: &str, role: &str, password: &str) {
    let mut command = tokio::process::Command::from(user_add(db, email, name, role));
    let output = command
        .env("MINICRM_PASSWORD", password)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "user add {email}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `minicrm-server serve --addr 127.0.0.1:<port> --db <db> --dist <dist>`.
pub fn serve(port: u16, db: &Path, dist: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .arg("--dist")
        .arg(dist);
    command
}

/// [`serve`] with `stdout` (stderr discarded), killed when dropped, once it listens on `port`
/// (within 20 s).
pub async fn start_serve(
    port: u16,
    db: &Path,
    dist: &Path,
    stdout: Stdio,
) -> tokio::process::Child {
    let mut child = tokio::process::Command::from(serve(port, db, dist))
        .stdout(stdout)
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_listening(port, &mut child, Duration::from_secs(20), String::new).await;
    child
}

/// Waits until something listens on `port`; fails once `limit` has passed or `child` has
/// exited, with `log()` in the message.
pub async fn wait_listening(
    port: u16,
    child: &mut tokio::process::Child,
    limit: Duration,
    log: impl Fn() -> String,
) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < limit,
            "the server did not start: {}",
            log()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server exited: {}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// SIGTERM to `child` (the graceful stop), asserted sent.
pub async fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().unwrap();
    let kill = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
}

/// Asserts that the command succeeded (its stderr in the message); its stdout.
pub fn assert_success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts that the command failed; its stderr.
pub fn assert_failure(output: &Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}
