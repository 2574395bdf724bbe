//! Request extractors: authentication (with Mattermost's token order and CSRF rules),
//! JSON bodies with size limits, and lenient query parameters.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use conclave_core::{Actor, Error, ErrorKind};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

pub const COOKIE_TOKEN: &str = "MMAUTHTOKEN";
pub const COOKIE_USER_ID: &str = "MMUSERID";
pub const COOKIE_CSRF: &str = "MMCSRF";

/// Where a request's token came from: cookie tokens are subject to CSRF checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenSource {
    Cookie,
    Header,
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// The token, in Mattermost's order: cookie, `Authorization: Bearer`, `Authorization: Token`.
/// A token in the query string is refused (only OAuth sessions may use it).
fn find_token(parts: &Parts) -> Result<Option<(String, TokenSource)>, Error> {
    if let Some(t) = cookie(&parts.headers, COOKIE_TOKEN).filter(|t| !t.is_empty()) {
        return Ok(Some((t.to_owned(), TokenSource::Cookie)));
    }
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some((scheme, token)) = authorization.and_then(|v| v.trim().split_once(' '))
        && (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
    {
        return Ok(Some((token.trim().to_owned(), TokenSource::Header)));
    }
    let query = parts.uri.query().unwrap_or("");
    if serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .iter()
        .any(|(k, _)| k == "access_token")
    {
        return Err(Error::unauthorized(
            "api.context.token_provided.app_error",
            "Session is not OAuth but token was provided in the query string.",
        ));
    }
    Ok(None)
}

/// Mattermost's CSRF rule for cookie-authenticated writes: the `X-CSRF-Token` header must
/// match the session, or (unless strict) `X-Requested-With: XMLHttpRequest` must be present.
fn check_csrf(parts: &Parts, actor: &Actor, strict: bool) -> Result<(), Error> {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return Ok(());
    }
    let header_token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    let expected = actor.session.csrf_token();
    if !expected.is_empty() && header_token == Some(expected) {
        return Ok(());
    }
    let xhr = parts
        .headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if xhr && !strict {
        return Ok(());
    }
    Err(Error::session_expired())
}

pub(crate) fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// Paths (below `/api/v4`) a user who must set up MFA may still reach.
fn allowed_without_mfa(path: &str) -> bool {
    path.ends_with("/mfa")
        || path.ends_with("/mfa/generate")
        || path == "/users/me"
        || path == "/users/logout"
        || path.starts_with("/system/")
        || path.starts_with("/config/")
        || path.starts_with("/license/")
}

/// The request path below `/api/v4`, whether or not a nested router already stripped it.
fn api_path(parts: &Parts) -> &str {
    let full = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.path())
        .unwrap_or_else(|| parts.uri.path());
    full.strip_prefix("/api/v4").unwrap_or(full)
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    let Some((token, source)) = find_token(parts)? else {
        return Ok(None);
    };
    let actor = state.app.authenticate(&token, &client_ip(parts)).await?;
    let auth = &state.app.config().auth;
    if source == TokenSource::Cookie {
        check_csrf(parts, &actor, auth.strict_csrf_enforcement)?;
    }
    if auth.enforce_multifactor_authentication
        && !actor.user.mfa_active
        && !actor.session.is_access_token()
        && !allowed_without_mfa(api_path(parts))
    {
        return Err(Error::new(
            ErrorKind::Forbidden,
            "api.context.mfa_required.app_error",
            "Multi-factor authentication is required on this server.",
        )
        .into());
    }
    state.check_user_rate(&actor.user.id)?;
    Ok(Some(actor))
}

/// A request that must carry a valid session.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        match authenticate(parts, state).await? {
            Some(actor) => Ok(Auth(actor)),
            None => Err(Error::session_expired().into()),
        }
    }
}

/// A request that may carry a session (sign-up, logout, client config).
pub struct MaybeAuth(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeAuth, ApiError> {
        // As in Mattermost, a bad token on a session-optional route means "anonymous".
        match authenticate(parts, state).await {
            Ok(actor) => Ok(MaybeAuth(actor)),
            Err(ApiError(e)) if e.kind == ErrorKind::Unauthorized => Ok(MaybeAuth(None)),
            Err(e) => Err(e),
        }
    }
}

/// Query parameters as a lenient string map (unknown keys ignored, repeated keys: last wins).
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
                .map_err(|_| Error::invalid_param("query"))?;
        Ok(Params(pairs.into_iter().collect()))
    }
}

impl Params {
    pub fn str(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// An integer parameter; absent or empty gives `default`, garbage is a 400.
    pub fn int(&self, key: &str, default: i64) -> Result<i64, ApiError> {
        match self.str(key) {
            "" => Ok(default),
            v => v.parse().map_err(|_| Error::invalid_param(key).into()),
        }
    }

    /// A boolean parsed as leniently as Go's `strconv.ParseBool`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key) {
            "" => Ok(None),
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
            _ => Err(Error::invalid_param(key).into()),
        }
    }
}

/// A JSON body of at most `limits.max_body_bytes`; malformed or mistyped JSON is a 400 with
/// Mattermost's `invalid_body_param` id. An empty body reads as `null`, which `Option` and
/// types with `#[serde(default)]` accept.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Body<T>, ApiError> {
        let limit = state.app.config().limits.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::PayloadTooLarge,
                    "api.context.request_body_too_large.app_error",
                    format!("The request body is larger than {limit} bytes."),
                )
            })?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(text).map(Body).map_err(|e| {
            ApiError(Error::bad_request(
                "api.context.invalid_body_param.app_error",
                format!("Invalid or missing body parameter: {e}."),
            ))
        })
    }
}
