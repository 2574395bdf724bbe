//! HTTP: Mattermost API v4 routes, middleware and the embedded UI. Handlers parse and shape;
//! every decision is the service layer's (`conclave-core`).

mod error;
mod extract;
mod middleware;
mod ratelimit;
mod routes;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use conclave_core::{App, Error, ErrorKind};
use tower::ServiceExt;

pub use error::{ApiError, ApiResult};
pub use ratelimit::RateLimiter;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    limiter: Option<Arc<RateLimiter>>,
    /// `X-Version-Id`: `<api version>.<build>.<config hash>.<licensed>`.
    version_id: Arc<str>,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        let rl = &app.config().rate_limit;
        let limiter = rl
            .enable
            .then(|| Arc::new(RateLimiter::new(rl.per_second, rl.max_burst)));
        let version_id = format!(
            "{}.{}.{}.false",
            conclave_core::MATTERMOST_API_VERSION,
            conclave_core::BUILD_VERSION.replace('.', "_"),
            routes::system::client_config_hash(&app),
        );
        AppState {
            app,
            limiter,
            version_id: version_id.into(),
        }
    }

    /// Applies the per-user limit; the per-address one is middleware.
    fn check_user_rate(&self, user_id: &str) -> Result<(), ApiError> {
        match &self.limiter {
            Some(l) if !l.check(&format!("user:{user_id}")).allowed => Err(ApiError(Error::new(
                ErrorKind::TooManyRequests,
                "api.context.rate_limited.app_error",
                "Too many requests; slow down.",
            ))),
            _ => Ok(()),
        }
    }
}

/// Serves until `shutdown` resolves, then stops accepting and drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = routes::router(state);
    let service = tower::service_fn(move |req: Request| {
        let router = router.clone();
        async move { router.oneshot(middleware::normalize_path(req)).await }
    });
    let make =
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(service);
    axum::serve(listener, make)
        .with_graceful_shutdown(shutdown)
        .await
}
