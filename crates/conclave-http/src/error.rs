//! The one place service errors become HTTP responses, in Mattermost's `AppError` shape.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::{Error, ErrorKind};
use serde::Serialize;

tokio::task_local! {
    /// The current request's id, set by the request-context middleware so that error bodies
    /// carry the same `request_id` as the `X-Request-Id` header.
    pub(crate) static REQUEST_ID: String;
}

pub(crate) fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// A handler's error. Wraps the service error so handlers can use `?` on service calls.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
struct AppErrorBody<'a> {
    id: &'a str,
    message: &'a str,
    detailed_error: &'a str,
    request_id: String,
    status_code: u16,
}

pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UriTooLong => StatusCode::URI_TOO_LONG,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = status_of(e.kind);
        let request_id = current_request_id();
        if e.kind == ErrorKind::Internal {
            // The detail goes to the log with the request id, never to the client.
            tracing::error!(request_id, id = e.id, detail = %e.detail, "internal error");
        }
        let body = AppErrorBody {
            id: e.id,
            message: &e.message,
            detailed_error: "",
            request_id,
            status_code: status.as_u16(),
        };
        (status, Json(body)).into_response()
    }
}

/// An error in the `AppError` shape, for places that are not HTTP responses (WebSocket
/// replies).
pub(crate) fn app_error_json(e: &Error) -> serde_json::Value {
    serde_json::to_value(AppErrorBody {
        id: e.id,
        message: &e.message,
        detailed_error: "",
        request_id: current_request_id(),
        status_code: status_of(e.kind).as_u16(),
    })
    .expect("AppError serialises")
}

/// The 404 for API paths no route matches.
pub(crate) async fn api_not_found() -> ApiError {
    ApiError(Error::not_found(
        "api.context.404.app_error",
        "Sorry, we could not find the page.",
    ))
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError(Error::new(
        ErrorKind::MethodNotAllowed,
        "api.context.405.app_error",
        "Method not allowed.",
    ))
}
