//! Services: every rule and every permission check of Conclave lives here, once. Handlers
//! call these with an authenticated `Actor`; stores only persist what these decide.

mod access;
mod accounts;
mod audit;
mod auth;
mod channels;
pub mod config;
pub mod error;
mod events;
mod files;
pub mod mentions;
mod mfa;
pub mod password;
pub mod permissions;
mod posts;
mod presence;
mod realtime;
mod search;
mod sessions;
mod sidebar;
mod social;
mod teams;
mod threads;
mod tokens;
pub mod totp;

use std::sync::Arc;

use conclave_model::{Session, User};
use conclave_realtime::{Event, Hub, HubConfig};
use conclave_store::Store;

pub use accounts::{NewUser, UserListQuery, UserScope};
pub use auth::{ClientInfo, LoginRequest};
pub use channels::NewChannel;
pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use files::FileRendition;
pub use mfa::MfaSecret;
pub use posts::{ChannelPostsQuery, NewPostInput};
pub use realtime::SocketAction;
pub use search::{FileInfoList, PostSearchResults, SearchPostsInput};
pub use teams::NewTeam;

/// The version of Mattermost's API we implement, reported to clients (the mobile app refuses
/// servers below 9.11.0 and flags those below 10.11.0).
pub const MATTERMOST_API_VERSION: &str = "10.11.0";
/// Conclave's own version, reported as `BuildNumber`.
pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Who is making a request: the session's user, re-read from the store for each request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub session: Session,
    pub ip: String,
}

impl Actor {
    /// The operator at the command line: a system admin with no session.
    pub fn local() -> Actor {
        Actor {
            user: User {
                roles: "system_admin system_user".into(),
                ..User::default()
            },
            session: Session {
                local: true,
                ..Session::default()
            },
            ip: "local".into(),
        }
    }

    pub fn can(&self, permission: permissions::Permission) -> bool {
        permissions::roles_grant(&self.user.roles, permission)
    }

    pub fn require(&self, permission: permissions::Permission) -> Result<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// Acting on one's own account, or holding `permission` over others'.
    pub fn require_self_or(
        &self,
        user_id: &str,
        permission: permissions::Permission,
    ) -> Result<()> {
        if self.user.id == user_id && !self.session.local {
            Ok(())
        } else {
            self.require(permission)
        }
    }
}

/// The application: shared by every request.
pub struct App {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    diagnostic_id: String,
    hub: Arc<Hub>,
    /// Where uploaded files' bytes live.
    files: Arc<dyn object_store::ObjectStore>,
    /// Signs public file links; generated once per installation.
    public_link_salt: String,
}

impl App {
    /// Builds the application over an opened store, creating the server's diagnostic id on
    /// first start.
    pub async fn new(store: Arc<dyn Store>, config: Config) -> Result<App> {
        let diagnostic_id = store
            .system()
            .get_or_insert("DiagnosticId", &conclave_model::new_id())
            .await?;
        let hub = Arc::new(Hub::new(HubConfig {
            send_queue: config.realtime.send_queue,
            replay_events: config.realtime.replay_events,
            reap_after: std::time::Duration::from_secs(config.realtime.resume_window_secs),
            server_version: MATTERMOST_API_VERSION.into(),
        }));
        let files = files::open_storage(&config)?;
        let public_link_salt = store
            .system()
            .get_or_insert("PublicLinkSalt", &conclave_model::new_random_id())
            .await?;
        Ok(App {
            store,
            config: Arc::new(config),
            diagnostic_id,
            hub,
            files,
            public_link_salt,
        })
    }

    /// The real-time hub (sockets register here; services publish to it).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Sends an event to the sockets it concerns. Called after the change committed.
    pub(crate) fn publish(&self, event: Event) {
        self.hub.publish(event);
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn diagnostic_id(&self) -> &str {
        &self.diagnostic_id
    }

    /// Database reachability, for `/system/ping?get_server_status=true`.
    pub async fn database_healthy(&self) -> bool {
        self.store.ping().await.is_ok()
    }
}

/// Runs CPU-heavy work (password hashing) off the async worker threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(e.to_string()))
}
