//! The storage interface every backend implements. Split by domain so each service sees only
//! the part it needs; `Arc<dyn Store>` crosses crate boundaries, never a generic.
//!
//! Backends keep their methods in the order of these traits, with the same names, so the
//! SQLite and PostgreSQL crates diff cleanly against each other.

mod error;
mod messaging;
mod search_plan;

use async_trait::async_trait;
use conclave_model::{Session, User, UserAccessToken};

pub use error::{StoreError, StoreResult};
pub use messaging::{
    ChannelStore, FileStore, NewPost, PostPage, PostSearch, PostStore, PreferenceStore,
    ReactionStore, SidebarStore, StatusStore, TRIGRAM_MIN_CHARS, TeamStore, ThreadStore,
    ThreadView,
};
pub use search_plan::{SearchDialect, post_search_clauses};

/// The whole store. Backends return `self` from the domain accessors.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    fn users(&self) -> &dyn UserStore;
    fn sessions(&self) -> &dyn SessionStore;
    fn access_tokens(&self) -> &dyn AccessTokenStore;
    fn system(&self) -> &dyn SystemStore;
    fn audits(&self) -> &dyn AuditStore;
    fn teams(&self) -> &dyn TeamStore;
    fn channels(&self) -> &dyn ChannelStore;
    fn posts(&self) -> &dyn PostStore;
    fn reactions(&self) -> &dyn ReactionStore;
    fn preferences(&self) -> &dyn PreferenceStore;
    fn statuses(&self) -> &dyn StatusStore;
    fn threads(&self) -> &dyn ThreadStore;
    fn sidebar(&self) -> &dyn SidebarStore;
    fn files(&self) -> &dyn FileStore;
    /// Cheap round trip to the database, for health checks.
    async fn ping(&self) -> StoreResult<()>;
    /// Waits for queued writes to commit and releases connections.
    async fn close(&self);
}

/// Filters for `GET /users`.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub offset: i64,
    pub limit: i64,
    /// `Some(true)`: active only; `Some(false)`: deactivated only.
    pub active: Option<bool>,
    /// Only users holding this system role.
    pub role: Option<String>,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user. With `admin_if_first`, the user becomes system admin when (and only
    /// when) no user existed before; the check and the insert are one atomic step.
    /// Fails with `Conflict("username" | "email")` on a taken name.
    async fn create(&self, user: User, admin_if_first: bool) -> StoreResult<User>;
    async fn count(&self) -> StoreResult<i64>;
    async fn get(&self, id: &str) -> StoreResult<User>;
    /// `username` must already be lowercase.
    async fn get_by_username(&self, username: &str) -> StoreResult<User>;
    /// `email` must already be lowercase.
    async fn get_by_email(&self, email: &str) -> StoreResult<User>;
    /// Users with these ids, in no particular order; unknown ids are skipped.
    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<User>>;
    async fn get_by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>>;
    /// Ordered by username.
    async fn list(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Users whose username, names, nickname (and, with `include_email`, email) contain `term`
    /// case-insensitively, ordered by username.
    async fn search(
        &self,
        term: &str,
        include_email: bool,
        allow_inactive: bool,
        limit: i64,
    ) -> StoreResult<Vec<User>>;
    /// Writes every column of the user except `failed_attempts`, which only the two attempt
    /// methods below change so concurrent logins cannot lose a count.
    async fn update(&self, user: &User) -> StoreResult<()>;
    /// Adds one failed login attempt and returns the new count.
    async fn add_failed_attempt(&self, id: &str) -> StoreResult<i64>;
    async fn reset_failed_attempts(&self, id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create(&self, session: &Session) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<Session>;
    async fn get_by_token(&self, token: &str) -> StoreResult<Session>;
    /// Newest first.
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    async fn touch(&self, id: &str, last_activity_at: i64) -> StoreResult<()>;
    async fn update_roles_for_user(&self, user_id: &str, roles: &str) -> StoreResult<()>;
    /// Deletes one session; returns its token.
    async fn delete(&self, id: &str) -> StoreResult<String>;
    async fn delete_by_token(&self, token: &str) -> StoreResult<()>;
    /// Deletes all of a user's sessions; returns their ids.
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// Deletes the user's sessions registered for a push device; returns their ids.
    async fn delete_for_device(&self, user_id: &str, device_id: &str) -> StoreResult<Vec<String>>;
    async fn delete_expired(&self, now: i64) -> StoreResult<u64>;
}

#[async_trait]
pub trait AccessTokenStore: Send + Sync {
    async fn create(&self, token: &UserAccessToken) -> StoreResult<()>;
    async fn get(&self, id: &str) -> StoreResult<UserAccessToken>;
    async fn get_by_token(&self, token: &str) -> StoreResult<UserAccessToken>;
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<UserAccessToken>>;
    /// Every user's tokens, ordered by id.
    async fn list(&self, offset: i64, limit: i64) -> StoreResult<Vec<UserAccessToken>>;
    /// Tokens whose id, owner id or owner's username starts with `term` (case-insensitive).
    async fn search(&self, term: &str, limit: i64) -> StoreResult<Vec<UserAccessToken>>;
    async fn set_active(&self, id: &str, active: bool) -> StoreResult<()>;
    async fn delete(&self, id: &str) -> StoreResult<()>;
}

/// Server-wide key/value settings (diagnostic id, install time).
#[async_trait]
pub trait SystemStore: Send + Sync {
    async fn get(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless the key exists; returns whichever value is stored.
    async fn get_or_insert(&self, name: &str, value: &str) -> StoreResult<String>;
}

/// An audit-trail entry for a security-relevant action.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditRecord {
    pub id: String,
    pub create_at: i64,
    pub user_id: String,
    pub action: String,
    pub extra_info: String,
    pub ip_address: String,
    pub session_id: String,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append(&self, record: &AuditRecord) -> StoreResult<()>;
    /// Newest first.
    async fn list_for_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<AuditRecord>>;
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE … ESCAPE '\'`;
/// the result matches the lowercased term anywhere.
pub fn like_pattern(term: &str) -> String {
    format!("%{}", like_prefix(term))
}

/// Like `like_pattern`, but the term must start the value.
pub fn like_prefix(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 1);
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
