//! Cross-cutting request handling: request ids, Mattermost's standard headers, URL limits,
//! per-address rate limits, and path normalisation.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use conclave_core::{Error, ErrorKind};

use crate::AppState;
use crate::error::{ApiError, REQUEST_ID};

/// Collapses runs of `/` in the path (the Python driver requests `/posts/{id}//reactions`).
pub(crate) fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") {
        return req;
    }
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    let rebuilt = match req.uri().query() {
        Some(q) => format!("{collapsed}?{q}"),
        None => collapsed,
    };
    if let Ok(uri) = rebuilt.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    req
}

fn peer_ip(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// Runs every request inside its request id, refuses oversized URLs and over-limit clients,
/// and stamps the headers every Mattermost response carries.
pub(crate) async fn request_context(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let request_id = conclave_model::new_id();
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let is_get = method == Method::GET;
    let url_len = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    let max_url = state.app.config().limits.max_url_bytes;
    let ip = peer_ip(&req);

    let mut rate_headers = None;
    let response = REQUEST_ID
        .scope(request_id.clone(), async {
            if url_len > max_url {
                return ApiError(Error::new(
                    ErrorKind::UriTooLong,
                    "api.context.url_too_long.app_error",
                    format!("The URL is longer than {max_url} bytes."),
                ))
                .into_response();
            }
            if let Some(limiter) = &state.limiter {
                let decision = limiter.check(&format!("ip:{ip}"));
                rate_headers = Some(decision);
                if !decision.allowed {
                    return too_many_requests(decision.reset_secs);
                }
            }
            next.run(req).await
        })
        .await;

    let mut response = response;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(headers, "x-request-id", &request_id);
    set(headers, "x-version-id", &state.version_id);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    if let Some(d) = rate_headers {
        set(headers, "x-ratelimit-limit", &d.limit.to_string());
        set(headers, "x-ratelimit-remaining", &d.remaining.to_string());
        set(headers, "x-ratelimit-reset", &d.reset_secs.to_string());
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json");
    if is_get && is_json && !headers.contains_key(header::EXPIRES) {
        set(headers, "expires", "0");
    }
    tracing::debug!(
        request_id,
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

fn too_many_requests(retry_after: u64) -> Response {
    let mut r = (
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "limit exceeded\n",
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}
