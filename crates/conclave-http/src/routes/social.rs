//! Preferences, statuses and built-in roles.

use axum::Json;
use axum::extract::{Path, State};
use conclave_model::{Preference, Status};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ok, resolve_user_id};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Auth, Body};

pub(crate) async fn preferences(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(
        s.app
            .preferences(&a, &resolve_user_id(&a, &user_id), None)
            .await?,
    ))
}

pub(crate) async fn preferences_in(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, category)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(
        s.app
            .preferences(&a, &resolve_user_id(&a, &user_id), Some(&category))
            .await?,
    ))
}

pub(crate) async fn preference(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path((user_id, category, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Preference>> {
    Ok(Json(
        s.app
            .preference(&a, &resolve_user_id(&a, &user_id), &category, &name)
            .await?,
    ))
}

pub(crate) async fn save_preferences(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    Body(prefs): Body<Vec<Preference>>,
) -> ApiResult<Json<Value>> {
    s.app
        .save_preferences(&a, &resolve_user_id(&a, &user_id), prefs)
        .await?;
    Ok(ok())
}

pub(crate) async fn delete_preferences(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    Body(prefs): Body<Vec<Preference>>,
) -> ApiResult<Json<Value>> {
    s.app
        .delete_preferences(&a, &resolve_user_id(&a, &user_id), prefs)
        .await?;
    Ok(ok())
}

pub(crate) async fn status(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        s.app.status(&a, &resolve_user_id(&a, &user_id)).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct StatusBody {
    status: String,
    dnd_end_time: i64,
}

pub(crate) async fn set_status(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(user_id): Path<String>,
    Body(b): Body<StatusBody>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        s.app
            .set_status(
                &a,
                &resolve_user_id(&a, &user_id),
                &b.status,
                b.dnd_end_time,
            )
            .await?,
    ))
}

pub(crate) async fn statuses_by_ids(
    State(s): State<AppState>,
    Auth(a): Auth,
    Body(ids): Body<Vec<String>>,
) -> ApiResult<Json<Vec<Status>>> {
    Ok(Json(s.app.statuses_by_ids(&a, &ids).await?))
}

/// `POST /roles/names`: the built-in roles the apps load at start-up.
pub(crate) async fn roles_by_names(
    Auth(_): Auth,
    Body(names): Body<Vec<String>>,
) -> ApiResult<Json<Vec<Value>>> {
    if names.len() > 100 {
        return Err(conclave_core::Error::invalid_param("role_names").into());
    }
    let roles = names
        .iter()
        .filter_map(|name| {
            let permissions = conclave_core::permissions::built_in_role(name)?;
            Some(json!({
                "id": name, "name": name, "display_name": name, "description": "",
                "create_at": 0, "update_at": 0, "delete_at": 0,
                "permissions": permissions, "scheme_managed": true, "built_in": true,
            }))
        })
        .collect();
    Ok(Json(roles))
}
