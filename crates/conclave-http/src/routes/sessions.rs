//! Sessions, personal access tokens and MFA set-up.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::MfaSecret;
use conclave_model::{Session, UserAccessToken};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Params};

pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<Session>>> {
    let id = resolve_user_id(&actor, &user_id);
    Ok(Json(state.app.list_sessions(&actor, &id).await?))
}

#[derive(Deserialize)]
pub(crate) struct RevokeBody {
    session_id: String,
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<RevokeBody>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state
        .app
        .revoke_session(&actor, &id, &body.session_id)
        .await?;
    Ok(ok())
}

pub(crate) async fn revoke_all(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state.app.revoke_all_sessions(&actor, &id).await?;
    Ok(ok())
}

#[derive(Deserialize)]
pub(crate) struct DeviceBody {
    device_id: String,
}

pub(crate) async fn attach_device(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<DeviceBody>,
) -> ApiResult<Json<Value>> {
    state.app.attach_device(&actor, &body.device_id).await?;
    Ok(ok())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CreateTokenBody {
    description: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<CreateTokenBody>,
) -> ApiResult<Response> {
    let id = resolve_user_id(&actor, &user_id);
    let token = state
        .app
        .create_access_token(&actor, &id, &body.description)
        .await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<UserAccessToken>>> {
    let id = resolve_user_id(&actor, &user_id);
    Ok(Json(state.app.list_access_tokens(&actor, &id).await?))
}

pub(crate) async fn list_all_tokens(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: Params,
) -> ApiResult<Json<Vec<UserAccessToken>>> {
    let (page, per_page) = (params.int("page", 0)?, params.int("per_page", 0)?);
    Ok(Json(
        state
            .app
            .list_all_access_tokens(&actor, page, per_page)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TermBody {
    term: String,
}

pub(crate) async fn search_tokens(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<TermBody>,
) -> ApiResult<Json<Vec<UserAccessToken>>> {
    Ok(Json(
        state.app.search_access_tokens(&actor, &body.term).await?,
    ))
}

pub(crate) async fn get_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(token_id): Path<String>,
) -> ApiResult<Json<UserAccessToken>> {
    Ok(Json(state.app.get_access_token(&actor, &token_id).await?))
}

#[derive(Deserialize)]
pub(crate) struct TokenIdBody {
    token_id: String,
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<TokenIdBody>,
) -> ApiResult<Json<Value>> {
    state
        .app
        .revoke_access_token(&actor, &body.token_id)
        .await?;
    Ok(ok())
}

pub(crate) async fn disable_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<TokenIdBody>,
) -> ApiResult<Json<Value>> {
    state
        .app
        .set_access_token_active(&actor, &body.token_id, false)
        .await?;
    Ok(ok())
}

pub(crate) async fn enable_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Body(body): Body<TokenIdBody>,
) -> ApiResult<Json<Value>> {
    state
        .app
        .set_access_token_active(&actor, &body.token_id, true)
        .await?;
    Ok(ok())
}

pub(crate) async fn generate_mfa(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<MfaSecret>> {
    let id = resolve_user_id(&actor, &user_id);
    Ok(Json(state.app.generate_mfa_secret(&actor, &id).await?))
}

#[derive(Deserialize)]
pub(crate) struct MfaBody {
    activate: bool,
    #[serde(default)]
    code: String,
}

pub(crate) async fn update_mfa(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    Body(body): Body<MfaBody>,
) -> ApiResult<Json<Value>> {
    let id = resolve_user_id(&actor, &user_id);
    state
        .app
        .update_mfa(&actor, &id, body.activate, &body.code)
        .await?;
    Ok(ok())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MfaCheckBody {
    login_id: String,
}

/// Deprecated pre-login check some clients still make.
pub(crate) async fn mfa_required(
    State(state): State<AppState>,
    Body(body): Body<MfaCheckBody>,
) -> ApiResult<Json<Value>> {
    let required = state.app.mfa_required(&body.login_id).await?;
    Ok(Json(json!({ "mfa_required": required })))
}
