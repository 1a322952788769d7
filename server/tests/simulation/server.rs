//! The real server binary as a child process, over a database whose accounts
//! `common::process::add_user` made: started with `serve`, killed with SIGKILL and started
//! again on the same database.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::common::process::{self, free_port};

pub const PASSWORD: &str = "simulation password";

pub struct ServerProcess {
    db: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    pub port: u16,
    pub starts: u32,
    pub kills: u32,
}

impl ServerProcess {
    pub fn new(db: PathBuf, log: PathBuf) -> ServerProcess {
        ServerProcess {
            db,
            log,
            child: None,
            port: 0,
            starts: 0,
            kills: 0,
        }
    }

    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the server on a fresh port and waits until it answers `/api/health`.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        // A port picked free can be taken before the server binds it; try a few.
        for _attempt in 0..5 {
            let port = free_port();
            let log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .unwrap();
            let mut child =
                Command::from(process::serve(port, &self.db, Path::new("/nonexistent")))
                    // Warnings and errors only: a 5xx or a panic is logged, routine requests not.
                    .env("RUST_LOG", "warn")
                    .env("NO_COLOR", "1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::from(log.try_clone().unwrap()))
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
            drop::<File>(log);
            if wait_healthy(&mut child, port).await {
                self.child = Some(child);
                self.port = port;
                self.starts += 1;
                return;
            }
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        panic!("the server did not start; its log:\n{}", self.log_tail(40));
    }

    /// SIGKILL: no shutdown, no flush; whatever was not durable is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().unwrap();
            let waited = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            assert!(waited.is_ok(), "the killed server did not exit in 10 s");
            self.kills += 1;
        }
    }

    /// The server exited on its own (a crash, not one of our kills).
    pub fn crashed(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(format!("the server exited by itself: {status}")),
            _ => None,
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

async fn wait_healthy(child: &mut Child, port: u16) -> bool {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/health");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(response) = client.get(&url).send().await
            && response.status() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
