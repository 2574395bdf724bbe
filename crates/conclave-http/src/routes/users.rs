//! `/users/*`: sign-up, login, profiles, passwords, roles, activation.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use conclave_core::{ClientInfo, LoginRequest, NewUser, UserListQuery, UserScope};
use conclave_model::{User, UserPatch};
use serde::Deserialize;
use serde_json::Value;

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, COOKIE_CSRF, COOKIE_TOKEN, COOKIE_USER_ID, MaybeAuth, Params};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CreateUserBody {
    username: String,
    email: String,
    password: String,
    first_name: String,
    last_name: String,
    nickname: String,
    position: String,
    locale: String,
    props: BTreeMap<String, String>,
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    Body(body): Body<CreateUserBody>,
) -> ApiResult<Response> {
    let new = NewUser {
        username: body.username,
        email: body.email,
        password: body.password,
        first_name: body.first_name,
        last_name: body.last_name,
        nickname: body.nickname,
        position: body.position,
        locale: body.locale,
        props: body.props,
        system_admin: false,
    };
    let user = state.app.create_user(actor.as_ref(), new).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

fn client_info(headers: &HeaderMap, ip: String) -> ClientInfo {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    ClientInfo { ip, user_agent }
}

/// A login body value: strings as they are, `null` and missing as empty.
fn login_field(body: &HashMap<String, Value>, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .unwrap_or("")
        .to_owned()
}

fn is_https(headers: &HeaderMap, state: &AppState) -> bool {
    state.app.config().site_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
    http_only: bool,
    secure: bool,
) {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        headers.append(header::SET_COOKIE, v);
    }
}

fn wants_cookies(headers: &HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"))
}

pub(crate) async fn login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Body(body): Body<HashMap<String, Value>>,
) -> ApiResult<Response> {
    let req = LoginRequest {
        login_id: login_field(&body, &["login_id"]),
        id: login_field(&body, &["id"]),
        password: login_field(&body, &["password"]),
        token: login_field(&body, &["token"]),
        device_id: login_field(&body, &["device_id", "deviceId"]),
    };
    let client = client_info(&headers, peer.ip().to_string());
    let (user, session) = state.app.login(req, &client).await?;
    let mut response = Json(&user).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&session.token) {
        h.insert("token", v);
    }
    if wants_cookies(&headers) {
        let max_age = (session.expires_at - session.create_at) / 1000;
        let secure = is_https(&headers, &state);
        set_cookie(h, COOKIE_TOKEN, &session.token, max_age, true, secure);
        set_cookie(h, COOKIE_USER_ID, &user.id, max_age, false, secure);
        set_cookie(h, COOKIE_CSRF, session.csrf_token(), max_age, false, secure);
    }
    Ok(response)
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(actor) = actor {
        state.app.logout(&actor).await?;
    }
    let mut response = ok().into_response();
    let secure = is_https(&headers, &state);
    for (name, http_only) in [
        (COOKIE_TOKEN, true),
        (COOKIE_USER_ID, false),
        (COOKIE_CSRF, false),
    ] {
        set_cookie(response.headers_mut(), name, "", 0, http_only, secure);
    }
    Ok(response)
}

pub(crate) async fn get_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<User>> {
    let id = resolve_user_id(&actor, &user_id);
    Ok(Json(state.app.get_user(&actor, &id).await?))
}

pub(crate) async fn get_by_username(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(username): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state.app.get_user_by_username(&actor, &username).await?,
    ))
}

pub(crate) async fn get_by_email(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(email): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.app.get_user_by_email(&actor, &email).await?))
}

pub(crate) async fn get_by_ids(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Params,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<User>>> {
    let since = params.int("since", 0)?;
    Ok(Json(state.app.get_users_by_ids(&actor, &ids, since).await?))
}

pub(crate) async fn get_by_usernames(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(names): Body<Vec<String>>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        state.app.get_users_by_usernames(&actor, &names).await?,
    ))
}

pub(crate) async fn list_users(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Params,
) -> ApiResult<Json<Vec<User>>> {
    let per_page = match params.int("per_page", 0)? {
        0 => params.int("pageSize", 0)?,
        n => n,
    };
    let active = match (params.bool("active")?, params.bool("inactive")?) {
        (Some(true), _) => Some(true),
        (_, Some(true)) => Some(false),
        _ => None,
    };
    let role = Some(params.str("role").to_owned()).filter(|r| !r.is_empty());
    let q = UserListQuery {
        page: params.int("page", 0)?,
        per_page,
        active,
        role,
    };
    Ok(Json(state.app.list_users(&actor, q).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SearchBody {
    term: String,
    allow_inactive: bool,
    limit: i64,
    team_id: String,
    not_in_team_id: String,
    in_channel_id: String,
    not_in_channel_id: String,
}

pub(crate) async fn search(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<SearchBody>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        state
            .app
            .search_users(
                &actor,
                &body.term,
                body.allow_inactive,
                body.limit,
                &UserScope {
                    in_team: body.team_id,
                    not_in_team: body.not_in_team_id,
                    in_channel: body.in_channel_id,
                    not_in_channel: body.not_in_channel_id,
                },
            )
            .await?,
    ))
}

pub(crate) async fn autocomplete(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Params,
) -> ApiResult<Json<Value>> {
    let (name, limit) = (params.str("name"), params.int("limit", 100)?);
    let in_team = params.str("in_team").to_owned();
    let in_channel = params.str("in_channel").to_owned();
    let scope = UserScope {
        in_team: in_team.clone(),
        in_channel: in_channel.clone(),
        ..UserScope::default()
    };
    let users = state
        .app
        .autocomplete_users(&actor, name, limit, &scope)
        .await?;
    let mut body = serde_json::json!({ "users": users });
    if !in_channel.is_empty() {
        // Mattermost also lists the team's people who are not in the channel yet.
        let outside = UserScope {
            in_team,
            not_in_channel: in_channel,
            ..UserScope::default()
        };
        body["out_of_channel"] = serde_json::to_value(
            state
                .app
                .autocomplete_users(&actor, name, limit, &outside)
                .await?,
        )
        .expect("users serialise");
    }
    Ok(Json(body))
}

pub(crate) async fn patch_user(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(patch): Body<UserPatch>,
) -> ApiResult<Json<User>> {
    let id = resolve_user_id(&actor, &user_id);
    Ok(Json(state.app.patch_user(&actor, &id, patch).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub(crate) async fn update_password(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<PasswordBody>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state
        .app
        .update_password(&actor, &id, &body.current_password, &body.new_password)
        .await?;
    Ok(ok())
}

#[derive(Deserialize)]
pub(crate) struct ActiveBody {
    active: bool,
}

pub(crate) async fn update_active(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<ActiveBody>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state.app.set_user_active(&actor, &id, body.active).await?;
    Ok(ok())
}

pub(crate) async fn deactivate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state.app.set_user_active(&actor, &id, false).await?;
    Ok(ok())
}

#[derive(Deserialize)]
pub(crate) struct RolesBody {
    roles: String,
}

pub(crate) async fn update_roles(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<RolesBody>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state
        .app
        .update_user_roles(&actor, &id, &body.roles)
        .await?;
    Ok(ok())
}

pub(crate) async fn reset_failed_attempts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state.app.reset_failed_attempts(&actor, &id).await?;
    Ok(ok())
}
