//! The web client's entry point. Until the client is built (see the web client issue), a
//! small page says the server is up; every non-API path answers with it (SPA fallback).

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

const PLACEHOLDER: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Conclave</title></head><body><main><h1>Conclave is running</h1>\
<p>The web client is not part of this build. Mattermost apps and bots can connect to this \
server's address now.</p></main></body></html>";

pub(crate) async fn index(method: Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let mut r = PLACEHOLDER.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; object-src 'none'"),
    );
    r
}
