//! `conclave`: the server and its operator commands.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use conclave::config_load::{self, Overrides};
use conclave_core::{Actor, App, Config, NewUser};

#[derive(Parser)]
#[command(
    name = "conclave",
    version,
    about = "Self-hosted team chat, Mattermost-compatible"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// Config file (default: ./conclave.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory for the SQLite database and local files (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 0.0.0.0:8065).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Make the user a system admin.
        #[arg(long)]
        system_admin: bool,
    },
    /// Set a new password (also unlocks an account locked by failed logins).
    ResetPassword {
        /// Username or email.
        user: String,
        #[arg(long)]
        password: String,
    },
    /// Deactivate a user and end their sessions.
    Deactivate {
        /// Username or email.
        user: String,
    },
}

fn load_config(common: &CommonArgs, listen: Option<String>) -> anyhow::Result<Config> {
    let overrides = Overrides {
        config_file: common.config.clone(),
        listen,
        data_dir: common.data_dir.clone(),
        database_url: common.database_url.clone(),
    };
    config_load::load(&overrides, std::env::vars())
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: draining requests");
}

#[tokio::main]
async fn main() {
    keep_big_buffers_out_of_the_heap();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { listen } => {
            let config = load_config(&cli.common, listen)?;
            init_logging(&config);
            let listen = config.listen.clone();
            let backend = if config.database_url.is_empty() {
                "sqlite"
            } else {
                "postgres"
            };
            let data_dir = config.data_dir.display().to_string();
            let app = conclave::build_app(config).await?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(
                address = %listener.local_addr()?,
                backend,
                data_dir,
                version = env!("CARGO_PKG_VERSION"),
                "conclave is listening"
            );
            conclave::run_server(app, listener, shutdown_signal()).await
        }
        Command::Migrate => {
            let config = load_config(&cli.common, None)?;
            init_logging(&config);
            let store = conclave::open_store(&config).await?;
            println!("migrations applied ({})", store.backend());
            store.close().await;
            Ok(())
        }
        Command::User(cmd) => {
            let config = load_config(&cli.common, None)?;
            let app = conclave::build_app(config).await?;
            let result = user_command(&app, cmd).await;
            app.store().close().await;
            result
        }
    }
}

async fn user_command(app: &Arc<App>, cmd: UserCommand) -> anyhow::Result<()> {
    let operator = Actor::local();
    match cmd {
        UserCommand::Create {
            username,
            email,
            password,
            system_admin,
        } => {
            let new = NewUser {
                username,
                email,
                password,
                system_admin,
                ..NewUser::default()
            };
            let user = app.create_user(Some(&operator), new).await?;
            println!(
                "created user {} ({}) roles: {}",
                user.username, user.id, user.roles
            );
        }
        UserCommand::ResetPassword { user, password } => {
            let target = app.find_user(&user).await?;
            app.update_password(&operator, &target.id, "", &password)
                .await?;
            app.reset_failed_attempts(&operator, &target.id).await?;
            println!("password reset for {}", target.username);
        }
        UserCommand::Deactivate { user } => {
            let target = app.find_user(&user).await?;
            if !target.is_active() {
                bail!("{} is already deactivated", target.username);
            }
            app.set_user_active(&operator, &target.id, false).await?;
            println!("deactivated {}", target.username);
        }
    }
    Ok(())
}

/// Password hashing allocates 19 MiB per hash on the blocking pool. glibc raises its mmap
/// threshold after the first such buffer is freed, so later ones come from per-thread heaps
/// that never shrink: the server kept hundreds of MiB after a burst of logins. A fixed
/// threshold keeps buffers this big in their own mappings, returned to the system on free.
fn keep_big_buffers_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any thread starts work.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
