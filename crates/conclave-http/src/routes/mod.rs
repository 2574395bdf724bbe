//! The route table. One line per endpoint, grouped as Mattermost's API reference groups them.

pub(crate) mod sessions;
pub(crate) mod system;
mod ui;
mod users;

use axum::Router;
use axum::routing::{get, post, put};
use conclave_core::Actor;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{api_not_found, method_not_allowed};
use crate::middleware::request_context;

/// Mattermost's `{"status":"OK"}` body.
pub(crate) fn ok() -> axum::Json<Value> {
    axum::Json(json!({"status": "OK"}))
}

/// The literal `me` stands for the acting user in user-scoped paths.
pub(crate) fn resolve_user_id(actor: &Actor, id: &str) -> String {
    if id == "me" {
        actor.user.id.clone()
    } else {
        id.to_owned()
    }
}

fn api() -> Router<AppState> {
    Router::new()
        .route("/system/ping", get(system::ping))
        .route("/config/client", get(system::client_config_old))
        .route("/license/client", get(system::client_license))
        .route("/plugins/webapp", get(system::webapp_plugins))
        .route("/users", post(users::create_user).get(users::list_users))
        .route("/users/login", post(users::login))
        .route("/users/logout", post(users::logout))
        .route("/users/ids", post(users::get_by_ids))
        .route("/users/usernames", post(users::get_by_usernames))
        .route("/users/search", post(users::search))
        .route("/users/autocomplete", get(users::autocomplete))
        .route("/users/mfa", post(sessions::mfa_required))
        .route("/users/username/{username}", get(users::get_by_username))
        .route("/users/email/{email}", get(users::get_by_email))
        .route("/users/sessions/device", put(sessions::attach_device))
        .route("/users/tokens", get(sessions::list_all_tokens))
        .route("/users/tokens/search", post(sessions::search_tokens))
        .route("/users/tokens/revoke", post(sessions::revoke_token))
        .route("/users/tokens/disable", post(sessions::disable_token))
        .route("/users/tokens/enable", post(sessions::enable_token))
        .route("/users/tokens/{token_id}", get(sessions::get_token))
        .route(
            "/users/{user_id}",
            get(users::get_user)
                .put(users::patch_user)
                .delete(users::deactivate),
        )
        .route("/users/{user_id}/patch", put(users::patch_user))
        .route("/users/{user_id}/password", put(users::update_password))
        .route("/users/{user_id}/active", put(users::update_active))
        .route("/users/{user_id}/roles", put(users::update_roles))
        .route(
            "/users/{user_id}/reset_failed_attempts",
            post(users::reset_failed_attempts),
        )
        .route("/users/{user_id}/sessions", get(sessions::list))
        .route("/users/{user_id}/sessions/revoke", post(sessions::revoke))
        .route(
            "/users/{user_id}/sessions/revoke/all",
            post(sessions::revoke_all),
        )
        .route(
            "/users/{user_id}/tokens",
            post(sessions::create_token).get(sessions::list_tokens),
        )
        .route(
            "/users/{user_id}/mfa/generate",
            post(sessions::generate_mfa),
        )
        .route("/users/{user_id}/mfa", put(sessions::update_mfa))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v4", api())
        .route("/api/v4", get(api_not_found))
        .fallback(ui::index)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .with_state(state)
}
