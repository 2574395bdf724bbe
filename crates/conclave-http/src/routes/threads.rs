//! `/users/{uid}/teams/{tid}/threads/*`: collapsed reply threads.

use axum::Json;
use axum::extract::{Path, State};
use conclave_model::{UserThread, UserThreads};
use serde_json::Value;

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Params};

pub(crate) async fn list(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
    p: Params,
) -> ApiResult<Json<UserThreads>> {
    let unread = p.bool("unread")?.unwrap_or(false);
    let per_page = p.int("per_page", p.int("pageSize", 0)?)?;
    Ok(Json(
        s.app
            .user_threads(
                &a,
                &resolve_user_id(&a, &user_id),
                &team_id,
                unread,
                per_page,
            )
            .await?,
    ))
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, _team, thread_id)): Path<(String, String, String)>,
) -> ApiResult<Json<UserThread>> {
    Ok(Json(
        s.app
            .user_thread_by_id(&a, &resolve_user_id(&a, &user_id), &thread_id)
            .await?,
    ))
}

pub(crate) async fn follow(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, _team, thread_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .set_thread_following(&a, &resolve_user_id(&a, &user_id), &thread_id, true)
        .await?;
    Ok(ok())
}

pub(crate) async fn unfollow(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, _team, thread_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .set_thread_following(&a, &resolve_user_id(&a, &user_id), &thread_id, false)
        .await?;
    Ok(ok())
}

pub(crate) async fn read(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, _team, thread_id, timestamp)): Path<(String, String, String, String)>,
) -> ApiResult<Json<UserThread>> {
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| conclave_core::Error::invalid_param("timestamp"))?;
    Ok(Json(
        s.app
            .mark_thread_read(&a, &resolve_user_id(&a, &user_id), &thread_id, ts)
            .await?,
    ))
}

pub(crate) async fn set_unread(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, _team, thread_id, post_id)): Path<(String, String, String, String)>,
) -> ApiResult<Json<UserThread>> {
    Ok(Json(
        s.app
            .mark_thread_unread(&a, &resolve_user_id(&a, &user_id), &thread_id, &post_id)
            .await?,
    ))
}

pub(crate) async fn read_all(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .mark_all_threads_read(&a, &resolve_user_id(&a, &user_id), &team_id)
        .await?;
    Ok(ok())
}
