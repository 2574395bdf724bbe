//! `/teams/*` and the user-scoped team lists.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::NewTeam;
use conclave_model::{Team, TeamMember, TeamPatch, TeamUnread};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body, Params};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CreateTeamBody {
    name: String,
    display_name: String,
    #[serde(rename = "type")]
    team_type: String,
    description: String,
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(b): Body<CreateTeamBody>,
) -> ApiResult<Response> {
    let new = NewTeam {
        name: b.name,
        display_name: b.display_name,
        team_type: b.team_type,
        description: b.description,
    };
    let team = s.app.create_team(&a, new).await?;
    Ok((StatusCode::CREATED, Json(team)).into_response())
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Auth(a): Auth,
    p: Params,
) -> ApiResult<Response> {
    let teams = s
        .app
        .list_teams(&a, p.int("page", 0)?, p.int("per_page", 0)?)
        .await?;
    if p.bool("include_total_count")? == Some(true) {
        let total = teams.len();
        return Ok(Json(json!({"teams": teams, "total_count": total})).into_response());
    }
    Ok(Json(teams).into_response())
}

pub(crate) async fn get(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.app.get_team(&a, &team_id).await?))
}

pub(crate) async fn by_name(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.app.get_team_by_name(&a, &name).await?))
}

pub(crate) async fn name_exists(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"exists": s.app.team_name_exists(&a, &name).await?}),
    ))
}

pub(crate) async fn patch(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(b): Body<TeamPatch>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.app.patch_team(&a, &team_id, b).await?))
}

pub(crate) async fn delete(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
) -> ApiResult<Json<Value>> {
    s.app.set_team_deleted(&a, &team_id, true).await?;
    Ok(ok())
}

pub(crate) async fn restore(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.app.set_team_deleted(&a, &team_id, false).await?))
}

pub(crate) async fn members(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    p: Params,
) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(
        s.app
            .list_team_members(&a, &team_id, p.int("page", 0)?, p.int("per_page", 0)?)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MemberBody {
    user_id: String,
}

pub(crate) async fn add_member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(b): Body<MemberBody>,
) -> ApiResult<Response> {
    let user_id = resolve_user_id(&a, &b.user_id);
    let member = s.app.add_team_member(&a, &team_id, &user_id, false).await?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

pub(crate) async fn add_members(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(b): Body<Vec<MemberBody>>,
) -> ApiResult<Response> {
    if b.is_empty() || b.len() > 256 {
        return Err(conclave_core::Error::invalid_param("members").into());
    }
    let mut out = Vec::with_capacity(b.len());
    for m in b {
        out.push(
            s.app
                .add_team_member(&a, &team_id, &resolve_user_id(&a, &m.user_id), false)
                .await?,
        );
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub(crate) async fn join_by_invite(
    State(s): State<AppState>,
    Auth(a): Auth,
    p: Params,
) -> ApiResult<Response> {
    let member = s.app.join_team_by_invite(&a, p.str("invite_id")).await?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

pub(crate) async fn member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((team_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<TeamMember>> {
    Ok(Json(
        s.app
            .get_team_member(&a, &team_id, &resolve_user_id(&a, &user_id))
            .await?,
    ))
}

pub(crate) async fn remove_member(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((team_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    s.app
        .remove_team_member(&a, &team_id, &resolve_user_id(&a, &user_id))
        .await?;
    Ok(ok())
}

pub(crate) async fn members_by_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(s.app.team_members_by_ids(&a, &team_id, &ids).await?))
}

#[derive(Deserialize)]
pub(crate) struct RolesBody {
    roles: String,
}

pub(crate) async fn member_roles(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((team_id, user_id)): Path<(String, String)>,
    Body(b): Body<RolesBody>,
) -> ApiResult<Json<Value>> {
    s.app
        .update_team_member_roles(&a, &team_id, &resolve_user_id(&a, &user_id), &b.roles)
        .await?;
    Ok(ok())
}

pub(crate) async fn stats(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (total, active) = s.app.team_stats(&a, &team_id).await?;
    Ok(Json(
        json!({"team_id": team_id, "total_member_count": total, "active_member_count": active}),
    ))
}

pub(crate) async fn for_user(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(
        s.app
            .teams_for_user(&a, &resolve_user_id(&a, &user_id))
            .await?,
    ))
}

pub(crate) async fn members_for_user(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(
        s.app
            .team_members_for_user(&a, &resolve_user_id(&a, &user_id))
            .await?,
    ))
}

pub(crate) async fn unreads_for_user(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<TeamUnread>>> {
    Ok(Json(
        s.app
            .team_unreads(&a, &resolve_user_id(&a, &user_id), None)
            .await?,
    ))
}

pub(crate) async fn unread_for_user(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, team_id)): Path<(String, String)>,
) -> ApiResult<Json<TeamUnread>> {
    let mut all = s
        .app
        .team_unreads(&a, &resolve_user_id(&a, &user_id), Some(&team_id))
        .await?;
    Ok(Json(all.remove(0)))
}
