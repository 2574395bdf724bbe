//! The service layer's one error type. Every failure carries a stable Mattermost-style `id`
//! that clients switch on; the HTTP layer maps `kind` to a status in one place.

use conclave_model::validate::FieldError;
use conclave_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UriTooLong,
    TooManyRequests,
    NotImplemented,
    Internal,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{id}: {message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub id: &'static str,
    pub message: String,
    /// Internal detail for logs; never sent to clients.
    pub detail: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, id: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            id,
            message: message.into(),
            detail: String::new(),
        }
    }
    pub fn bad_request(id: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::BadRequest, id, message)
    }
    pub fn invalid_param(name: &str) -> Error {
        Error::bad_request(
            "api.context.invalid_param.app_error",
            format!("Invalid or missing {name} parameter."),
        )
    }
    pub fn unauthorized(id: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unauthorized, id, message)
    }
    pub fn session_expired() -> Error {
        Error::unauthorized(
            "api.context.session_expired.app_error",
            "Invalid or expired session, please login again.",
        )
    }
    pub fn forbidden() -> Error {
        Error::new(
            ErrorKind::Forbidden,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        )
    }
    pub fn not_found(id: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, id, message)
    }
    pub fn user_not_found() -> Error {
        Error::not_found("app.user.missing_account.const", "Unable to find the user.")
    }
    pub fn not_implemented(id: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotImplemented, id, message)
    }
    pub fn internal(detail: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Internal,
            id: "app.internal_error",
            message: "An internal error occurred.".into(),
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound => Error::not_found(
                "app.store.not_found",
                "The requested resource was not found.",
            ),
            StoreError::Conflict(field) => Error::new(
                ErrorKind::Conflict,
                "app.store.conflict",
                format!("That {field} is already taken."),
            ),
            StoreError::Internal(detail) => Error::internal(detail),
        }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Error {
        Error::bad_request(e.id, format!("Invalid {}.", e.field.replace('_', " ")))
    }
}

/// Maps a store lookup that found nothing to a specific error, passing other errors through.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, e: fn() -> Error) -> Result<T>;
}

impl<T> OrNotFound<T> for Result<T, StoreError> {
    fn or_not_found(self, e: fn() -> Error) -> Result<T> {
        self.map_err(|err| match err {
            StoreError::NotFound => e(),
            other => other.into(),
        })
    }
}
