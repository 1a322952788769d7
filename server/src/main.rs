use clap::Parser;
use minicrm_server::cli::{self, Cli, Command, UserCommand};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => cli::serve(args).await,
        Command::Demo(args) => tokio::task::spawn_blocking(move || cli::demo(args)).await?,
        Command::Backup(args) => tokio::task::spawn_blocking(move || cli::backup(args)).await?,
        Command::User(UserCommand::Add(args)) => {
            tokio::task::spawn_blocking(move || cli::user_add(args)).await?
        }
    }
}
