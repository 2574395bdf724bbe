//! Wiring: configuration, store selection and the server's lifetime. `main.rs` is the CLI;
//! this library is what tests start servers with.

pub mod config_load;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use conclave_core::{App, Config};
use conclave_http::AppState;
use conclave_store::Store;
use conclave_store_pg::PgStore;
use conclave_store_sqlite::SqliteStore;

/// SQLite's file inside the data directory.
pub const SQLITE_FILE: &str = "conclave.db";

/// Opens the configured store (running migrations): PostgreSQL when `database_url` is set,
/// otherwise SQLite under `data_dir`.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    if config.database_url.is_empty() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        let path = config.data_dir.join(SQLITE_FILE);
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(path))
            .await?
            .context("opening the SQLite database")?;
        Ok(Arc::new(store))
    } else {
        let store = PgStore::connect(&config.database_url, config.database_max_connections)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Arc::new(store))
    }
}

/// Opens the store and builds the application on it.
pub async fn build_app(config: Config) -> anyhow::Result<Arc<App>> {
    let store = open_store(&config).await?;
    Ok(Arc::new(App::new(store, config).await?))
}

/// Serves HTTP on `listener` until `shutdown` resolves; then drains requests, stops
/// background jobs and closes the store (committing queued writes).
pub async fn run_server(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let janitor = tokio::spawn(expire_sessions(app.clone()));
    app.start_background();
    let state = AppState::new(app.clone());
    conclave_http::serve(listener, state, shutdown).await?;
    app.hub().close_all();
    janitor.abort();
    app.store().close().await;
    Ok(())
}

/// Deletes expired sessions once an hour (they are refused on use anyway).
async fn expire_sessions(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match app
            .store()
            .sessions()
            .delete_expired(conclave_model::now_ms())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "deleted expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}
