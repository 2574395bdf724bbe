//! `/channels/*`, team channel lists and the user-scoped channel lists.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::{ChannelPostsQuery, NewChannel};
use conclave_model::{
    Channel, ChannelMember, ChannelPatch, ChannelUnread, PostList, SidebarCategories,
    SidebarCategory,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Params};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CreateChannelBody {
    team_id: String,
    name: String,
    display_name: String,
    #[serde(rename = "type")]
    channel_type: String,
    header: String,
    purpose: String,
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(b): Body<CreateChannelBody>,
) -> ApiResult<Response> {
    let new = NewChannel {
        team_id: b.team_id,
        name: b.name,
        display_name: b.display_name,
        channel_type: b.channel_type,
        header: b.header,
        purpose: b.purpose,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_channel(&a, new).await?),
    )
        .into_response())
}

pub(crate) async fn direct(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Response> {
    let (channel, _) = s.app.create_direct_channel(&a, &ids).await?;
    Ok((StatusCode::CREATED, Json(channel)).into_response())
}

pub(crate) async fn group(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Response> {
    let (channel, _) = s.app.create_group_channel(&a, &ids).await?;
    Ok((StatusCode::CREATED, Json(channel)).into_response())
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.app.get_channel(&a, &channel_id).await?))
}

pub(crate) async fn patch(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    Body(b): Body<ChannelPatch>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.app.patch_channel(&a, &channel_id, b).await?))
}

pub(crate) async fn archive(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.app.archive_channel(&a, &channel_id).await?;
    Ok(ok())
}

pub(crate) async fn restore(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.app.restore_channel(&a, &channel_id).await?))
}

#[derive(Deserialize)]
pub(crate) struct PrivacyBody {
    privacy: String,
}

pub(crate) async fn privacy(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    Body(b): Body<PrivacyBody>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        s.app
            .set_channel_privacy(&a, &channel_id, &b.privacy)
            .await?,
    ))
}

pub(crate) async fn convert(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(s.app.set_channel_privacy(&a, &channel_id, "P").await?))
}

pub(crate) async fn stats(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (members, pinned) = s.app.channel_stats(&a, &channel_id).await?;
    Ok(Json(
        json!({"channel_id": channel_id, "member_count": members, "guest_count": 0, "pinnedpost_count": pinned, "files_count": 0}),
    ))
}

pub(crate) async fn pinned(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
) -> ApiResult<Json<PostList>> {
    Ok(Json(s.app.pinned_posts(&a, &channel_id).await?))
}

pub(crate) async fn members(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    p: Params,
) -> ApiResult<Json<Vec<ChannelMember>>> {
    Ok(Json(
        s.app
            .channel_members(&a, &channel_id, p.int("page", 0)?, p.int("per_page", 0)?)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AddMemberBody {
    user_id: String,
    user_ids: Vec<String>,
}

pub(crate) async fn add_member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    Body(b): Body<AddMemberBody>,
) -> ApiResult<Response> {
    if !b.user_ids.is_empty() {
        if b.user_ids.len() > 256 {
            return Err(conclave_core::Error::invalid_param("user_ids").into());
        }
        let mut out = Vec::new();
        for u in &b.user_ids {
            out.push(
                s.app
                    .add_channel_member(&a, &channel_id, &resolve_user_id(&a, u))
                    .await?,
            );
        }
        return Ok((StatusCode::CREATED, Json(out)).into_response());
    }
    let member = s
        .app
        .add_channel_member(&a, &channel_id, &resolve_user_id(&a, &b.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

pub(crate) async fn members_by_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<ChannelMember>>> {
    Ok(Json(
        s.app.channel_members_by_ids(&a, &channel_id, &ids).await?,
    ))
}

pub(crate) async fn member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((channel_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<ChannelMember>> {
    Ok(Json(
        s.app
            .channel_member(&a, &channel_id, &resolve_user_id(&a, &user_id))
            .await?,
    ))
}

pub(crate) async fn remove_member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((channel_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .remove_channel_member(&a, &channel_id, &resolve_user_id(&a, &user_id))
        .await?;
    Ok(ok())
}

#[derive(Deserialize)]
pub(crate) struct RolesBody {
    roles: String,
}

pub(crate) async fn member_roles(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((channel_id, user_id)): Path<(String, String)>,
    Body(b): Body<RolesBody>,
) -> ApiResult<Json<Value>> {
    s.app
        .update_channel_member_roles(&a, &channel_id, &resolve_user_id(&a, &user_id), &b.roles)
        .await?;
    Ok(ok())
}

pub(crate) async fn member_notify_props(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((channel_id, user_id)): Path<(String, String)>,
    Body(b): Body<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    s.app
        .update_channel_member_notify_props(&a, &channel_id, &resolve_user_id(&a, &user_id), b)
        .await?;
    Ok(ok())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ViewBody {
    channel_id: String,
}

pub(crate) async fn view(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    Body(b): Body<ViewBody>,
) -> ApiResult<Json<Value>> {
    let times = s
        .app
        .view_channels(&a, &resolve_user_id(&a, &user_id), &[b.channel_id])
        .await?;
    Ok(Json(json!({"status": "OK", "last_viewed_at_times": times})))
}

pub(crate) async fn mark_read(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Value>> {
    let times = s
        .app
        .view_channels(&a, &resolve_user_id(&a, &user_id), &ids)
        .await?;
    Ok(Json(json!({"status": "OK", "last_viewed_at_times": times})))
}

pub(crate) async fn public_for_team(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    p: Params,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(
        s.app
            .public_channels(
                &a,
                &team_id,
                false,
                p.int("page", 0)?,
                p.int("per_page", 0)?,
            )
            .await?,
    ))
}

pub(crate) async fn archived_for_team(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    p: Params,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(
        s.app
            .public_channels(&a, &team_id, true, p.int("page", 0)?, p.int("per_page", 0)?)
            .await?,
    ))
}

pub(crate) async fn by_name(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((team_id, name)): Path<(String, String)>,
    p: Params,
) -> ApiResult<Json<Channel>> {
    let include_deleted = p.bool("include_deleted")?.unwrap_or(false);
    Ok(Json(
        s.app
            .get_channel_by_name(&a, &team_id, &name, include_deleted)
            .await?,
    ))
}

pub(crate) async fn by_team_and_name(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((team_name, name)): Path<(String, String)>,
    p: Params,
) -> ApiResult<Json<Channel>> {
    let include_deleted = p.bool("include_deleted")?.unwrap_or(false);
    Ok(Json(
        s.app
            .get_channel_by_team_and_channel_name(&a, &team_name, &name, include_deleted)
            .await?,
    ))
}

pub(crate) async fn by_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(s.app.channels_by_ids(&a, &team_id, &ids).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SearchBody {
    term: String,
}

pub(crate) async fn search(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(b): Body<SearchBody>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(s.app.search_channels(&a, &team_id, &b.term, 0).await?))
}

pub(crate) async fn autocomplete(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    p: Params,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(
        s.app
            .autocomplete_channels(&a, &team_id, p.str("name"))
            .await?,
    ))
}

pub(crate) async fn for_user_in_team(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
    p: Params,
) -> ApiResult<Json<Vec<Channel>>> {
    let include_deleted = p.bool("include_deleted")?.unwrap_or(false);
    Ok(Json(
        s.app
            .channels_for_user(
                &a,
                &resolve_user_id(&a, &user_id),
                &team_id,
                include_deleted,
            )
            .await?,
    ))
}

pub(crate) async fn members_for_user_in_team(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ChannelMember>>> {
    Ok(Json(
        s.app
            .channel_members_for_user(&a, &resolve_user_id(&a, &user_id), &team_id)
            .await?,
    ))
}

pub(crate) async fn all_for_user(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(
        s.app
            .all_channels_for_user(&a, &resolve_user_id(&a, &user_id))
            .await?,
    ))
}

pub(crate) async fn unread(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, channel_id)): Path<(String, String)>,
) -> ApiResult<Json<ChannelUnread>> {
    Ok(Json(
        s.app
            .channel_unread(&a, &resolve_user_id(&a, &user_id), &channel_id)
            .await?,
    ))
}

pub(crate) async fn posts(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(channel_id): Path<String>,
    p: Params,
) -> ApiResult<Json<PostList>> {
    let since = match p.int("since", 0)? {
        0 => None,
        n => Some(n),
    };
    let q = ChannelPostsQuery {
        since,
        before: p.str("before").to_owned(),
        after: p.str("after").to_owned(),
        page: p.int("page", 0)?,
        per_page: p.int("per_page", 0)?,
        collapsed_threads: p.bool("collapsedThreads")?.unwrap_or(false),
        skip_fetch_threads: p.bool("skipFetchThreads")?.unwrap_or(false),
    };
    Ok(Json(s.app.channel_posts(&a, &channel_id, q).await?))
}

pub(crate) async fn posts_around_unread(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, channel_id)): Path<(String, String)>,
    p: Params,
) -> ApiResult<Json<PostList>> {
    let (before, after) = (p.int("limit_before", 60)?, p.int("limit_after", 60)?);
    Ok(Json(
        s.app
            .posts_around_unread(
                &a,
                &resolve_user_id(&a, &user_id),
                &channel_id,
                before,
                after,
            )
            .await?,
    ))
}

pub(crate) async fn categories(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
) -> ApiResult<Json<SidebarCategories>> {
    Ok(Json(
        s.app
            .sidebar_categories(&a, &resolve_user_id(&a, &user_id), &team_id)
            .await?,
    ))
}

pub(crate) async fn create_category(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
    Body(b): Body<SidebarCategory>,
) -> ApiResult<Response> {
    let cat = s
        .app
        .create_sidebar_category(&a, &resolve_user_id(&a, &user_id), &team_id, b)
        .await?;
    Ok((StatusCode::CREATED, Json(cat)).into_response())
}

pub(crate) async fn update_categories(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
    Body(b): Body<Vec<SidebarCategory>>,
) -> ApiResult<Json<Vec<SidebarCategory>>> {
    Ok(Json(
        s.app
            .update_sidebar_categories(&a, &resolve_user_id(&a, &user_id), &team_id, b)
            .await?,
    ))
}

pub(crate) async fn category_order(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(
        s.app
            .sidebar_categories(&a, &resolve_user_id(&a, &user_id), &team_id)
            .await?
            .order,
    ))
}

pub(crate) async fn set_category_order(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
    Body(order): Body<Vec<String>>,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(
        s.app
            .set_sidebar_order(&a, &resolve_user_id(&a, &user_id), &team_id, order)
            .await?,
    ))
}

pub(crate) async fn category(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id, category_id)): Path<(String, String, String)>,
) -> ApiResult<Json<SidebarCategory>> {
    Ok(Json(
        s.app
            .sidebar_category(&a, &resolve_user_id(&a, &user_id), &team_id, &category_id)
            .await?,
    ))
}

pub(crate) async fn update_category(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id, category_id)): Path<(String, String, String)>,
    Body(mut b): Body<SidebarCategory>,
) -> ApiResult<Json<SidebarCategory>> {
    b.id = category_id;
    let mut saved = s
        .app
        .update_sidebar_categories(&a, &resolve_user_id(&a, &user_id), &team_id, vec![b])
        .await?;
    Ok(Json(saved.remove(0)))
}

pub(crate) async fn delete_category(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id, category_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .delete_sidebar_category(&a, &resolve_user_id(&a, &user_id), &team_id, &category_id)
        .await?;
    Ok(ok())
}
