//! `/posts/*`, reactions, saved posts.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::{NewPostInput, PostSearchResults, SearchPostsInput};
use conclave_model::{ChannelUnread, Post, PostList, PostPatch, Reaction};
use serde::Deserialize;
use serde_json::Value;

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Params};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CreatePostBody {
    channel_id: String,
    message: String,
    root_id: String,
    file_ids: Vec<String>,
    props: Value,
    pending_post_id: String,
    #[serde(rename = "type")]
    post_type: String,
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(b): Body<CreatePostBody>,
) -> ApiResult<Response> {
    let input = NewPostInput {
        channel_id: b.channel_id,
        message: b.message,
        root_id: b.root_id,
        file_ids: b.file_ids,
        props: b.props,
        pending_post_id: b.pending_post_id,
        post_type: b.post_type,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_post(&a, input).await?),
    )
        .into_response())
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Post>> {
    Ok(Json(s.app.get_post(&a, &post_id).await?))
}

pub(crate) async fn by_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<Post>>> {
    Ok(Json(s.app.get_posts_by_ids(&a, &ids).await?))
}

pub(crate) async fn patch(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
    Body(b): Body<PostPatch>,
) -> ApiResult<Json<Post>> {
    Ok(Json(s.app.update_post(&a, &post_id, b).await?))
}

pub(crate) async fn delete(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.app.delete_post(&a, &post_id).await?;
    Ok(ok())
}

pub(crate) async fn thread(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<PostList>> {
    Ok(Json(s.app.post_thread(&a, &post_id).await?))
}

pub(crate) async fn pin(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.app.set_post_pinned(&a, &post_id, true).await?;
    Ok(ok())
}

pub(crate) async fn unpin(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.app.set_post_pinned(&a, &post_id, false).await?;
    Ok(ok())
}

pub(crate) async fn flagged(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    p: Params,
) -> ApiResult<Json<PostList>> {
    let user_id = resolve_user_id(&a, &user_id);
    let list = s
        .app
        .flagged_posts(
            &a,
            &user_id,
            p.str("team_id"),
            p.str("channel_id"),
            p.int("page", 0)?,
            p.int("per_page", 0)?,
        )
        .await?;
    Ok(Json(list))
}

pub(crate) async fn set_unread(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, post_id)): Path<(String, String)>,
) -> ApiResult<Json<ChannelUnread>> {
    Ok(Json(
        s.app
            .set_post_unread(&a, &resolve_user_id(&a, &user_id), &post_id)
            .await?,
    ))
}

pub(crate) async fn add_reaction(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(b): Body<Reaction>,
) -> ApiResult<Json<Reaction>> {
    let mut b = b;
    b.user_id = resolve_user_id(&a, &b.user_id);
    Ok(Json(s.app.add_reaction(&a, b).await?))
}

pub(crate) async fn reactions(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Vec<Reaction>>> {
    let mut all = s
        .app
        .reactions_for_posts(&a, std::slice::from_ref(&post_id))
        .await?;
    if all.is_empty() {
        s.app.get_post(&a, &post_id).await?;
    }
    Ok(Json(all.remove(&post_id).unwrap_or_default()))
}

pub(crate) async fn reactions_for_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<BTreeMap<String, Vec<Reaction>>>> {
    Ok(Json(s.app.reactions_for_posts(&a, &ids).await?))
}

pub(crate) async fn remove_reaction(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, post_id, emoji)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .remove_reaction(&a, &resolve_user_id(&a, &user_id), &post_id, &emoji)
        .await?;
    Ok(ok())
}

pub(crate) async fn search_team(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(input): Body<SearchPostsInput>,
) -> ApiResult<Json<PostSearchResults>> {
    Ok(Json(s.app.search_posts(&a, Some(&team_id), input).await?))
}

pub(crate) async fn search_all(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(input): Body<SearchPostsInput>,
) -> ApiResult<Json<PostSearchResults>> {
    Ok(Json(s.app.search_posts(&a, None, input).await?))
}
