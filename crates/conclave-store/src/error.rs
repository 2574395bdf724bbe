/// Errors every backend maps its driver errors into.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint failed; names the field (`"username"`, `"email"`, …).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Anything else: connection loss, bad SQL, corrupt rows. Logged, never shown to clients.
    #[error("database error: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
