//! The route table. One line per endpoint, grouped as Mattermost's API reference groups them.

mod channels;
mod files;
mod posts;
pub(crate) mod sessions;
mod social;
pub(crate) mod system;
mod teams;
mod threads;
mod ui;
mod users;

use axum::Router;
use axum::routing::{delete, get, post, put};
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
        .route("/websocket", get(crate::websocket::upgrade))
        .route("/websocket/", get(crate::websocket::upgrade))
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
        .merge(messaging())
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

fn messaging() -> Router<AppState> {
    Router::new()
        // Teams
        .route("/teams", post(teams::create).get(teams::list))
        .route("/teams/members/invite", post(teams::join_by_invite))
        .route("/teams/name/{name}", get(teams::by_name))
        .route("/teams/name/{name}/exists", get(teams::name_exists))
        .route(
            "/teams/{team_id}",
            get(teams::get).put(teams::patch).delete(teams::delete),
        )
        .route("/teams/{team_id}/patch", put(teams::patch))
        .route("/teams/{team_id}/restore", post(teams::restore))
        .route("/teams/{team_id}/stats", get(teams::stats))
        .route(
            "/teams/{team_id}/members",
            get(teams::members).post(teams::add_member),
        )
        .route("/teams/{team_id}/members/batch", post(teams::add_members))
        .route("/teams/{team_id}/members/ids", post(teams::members_by_ids))
        .route(
            "/teams/{team_id}/members/{user_id}",
            get(teams::member).delete(teams::remove_member),
        )
        .route(
            "/teams/{team_id}/members/{user_id}/roles",
            put(teams::member_roles),
        )
        .route("/users/{user_id}/teams", get(teams::for_user))
        .route(
            "/users/{user_id}/teams/members",
            get(teams::members_for_user),
        )
        .route(
            "/users/{user_id}/teams/unread",
            get(teams::unreads_for_user),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/unread",
            get(teams::unread_for_user),
        )
        // Channels
        .route("/channels", post(channels::create))
        .route("/channels/direct", post(channels::direct))
        .route("/channels/group", post(channels::group))
        .route("/channels/members/{user_id}/view", post(channels::view))
        .route(
            "/channels/members/{user_id}/mark_read",
            post(channels::mark_read),
        )
        .route(
            "/channels/{channel_id}",
            get(channels::get)
                .put(channels::patch)
                .delete(channels::archive),
        )
        .route("/channels/{channel_id}/patch", put(channels::patch))
        .route("/channels/{channel_id}/restore", post(channels::restore))
        .route("/channels/{channel_id}/privacy", put(channels::privacy))
        .route("/channels/{channel_id}/convert", post(channels::convert))
        .route("/channels/{channel_id}/stats", get(channels::stats))
        .route("/channels/{channel_id}/pinned", get(channels::pinned))
        .route("/channels/{channel_id}/posts", get(channels::posts))
        .route(
            "/channels/{channel_id}/members",
            get(channels::members).post(channels::add_member),
        )
        .route(
            "/channels/{channel_id}/members/ids",
            post(channels::members_by_ids),
        )
        .route(
            "/channels/{channel_id}/members/{user_id}",
            get(channels::member).delete(channels::remove_member),
        )
        .route(
            "/channels/{channel_id}/members/{user_id}/roles",
            put(channels::member_roles),
        )
        .route(
            "/channels/{channel_id}/members/{user_id}/notify_props",
            put(channels::member_notify_props),
        )
        .route("/teams/{team_id}/channels", get(channels::public_for_team))
        .route(
            "/teams/{team_id}/channels/deleted",
            get(channels::archived_for_team),
        )
        .route("/teams/{team_id}/channels/ids", post(channels::by_ids))
        .route("/teams/{team_id}/channels/search", post(channels::search))
        .route(
            "/teams/{team_id}/channels/autocomplete",
            get(channels::autocomplete),
        )
        .route(
            "/teams/{team_id}/channels/name/{channel_name}",
            get(channels::by_name),
        )
        .route(
            "/teams/name/{team_name}/channels/name/{channel_name}",
            get(channels::by_team_and_name),
        )
        .route("/users/{user_id}/channels", get(channels::all_for_user))
        .route(
            "/users/{user_id}/teams/{team_id}/channels",
            get(channels::for_user_in_team),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/channels/members",
            get(channels::members_for_user_in_team),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/channels/categories",
            get(channels::categories)
                .post(channels::create_category)
                .put(channels::update_categories),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/channels/categories/order",
            get(channels::category_order).put(channels::set_category_order),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/channels/categories/{category_id}",
            get(channels::category)
                .put(channels::update_category)
                .delete(channels::delete_category),
        )
        .route(
            "/users/{user_id}/channels/{channel_id}/unread",
            get(channels::unread),
        )
        .route(
            "/users/{user_id}/channels/{channel_id}/posts/unread",
            get(channels::posts_around_unread),
        )
        // Collapsed reply threads
        .route(
            "/users/{user_id}/teams/{team_id}/threads",
            get(threads::list),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/threads/read",
            put(threads::read_all),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/threads/{thread_id}",
            get(threads::get),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/threads/{thread_id}/following",
            put(threads::follow).delete(threads::unfollow),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/threads/{thread_id}/read/{timestamp}",
            put(threads::read),
        )
        .route(
            "/users/{user_id}/teams/{team_id}/threads/{thread_id}/set_unread/{post_id}",
            post(threads::set_unread),
        )
        // Posts and reactions
        .route("/posts", post(posts::create))
        .route("/posts/ids", post(posts::by_ids))
        .route("/posts/ids/reactions", post(posts::reactions_for_ids))
        .route(
            "/posts/{post_id}",
            get(posts::get).put(posts::patch).delete(posts::delete),
        )
        .route("/posts/{post_id}/patch", put(posts::patch))
        .route("/posts/{post_id}/thread", get(posts::thread))
        .route("/posts/{post_id}/files/info", get(files::post_files))
        .route("/files/{file_id}", get(files::get_file))
        .route("/files/{file_id}/thumbnail", get(files::thumbnail))
        .route("/files/{file_id}/preview", get(files::preview))
        .route("/files/{file_id}/info", get(files::info))
        .route("/files/{file_id}/link", get(files::link))
        .route("/teams/{team_id}/files/search", post(files::search))
        .route("/posts/{post_id}/pin", post(posts::pin))
        .route("/posts/{post_id}/unpin", post(posts::unpin))
        .route("/posts/{post_id}/reactions", get(posts::reactions))
        .route("/reactions", post(posts::add_reaction))
        .route(
            "/users/{user_id}/posts/{post_id}/reactions/{emoji_name}",
            delete(posts::remove_reaction),
        )
        .route("/users/{user_id}/posts/flagged", get(posts::flagged))
        .route("/posts/search", post(posts::search_all))
        .route("/teams/{team_id}/posts/search", post(posts::search_team))
        .route(
            "/users/{user_id}/posts/{post_id}/set_unread",
            post(posts::set_unread),
        )
        // Preferences, statuses, roles
        .route(
            "/users/{user_id}/preferences",
            get(social::preferences).put(social::save_preferences),
        )
        .route(
            "/users/{user_id}/preferences/delete",
            post(social::delete_preferences),
        )
        .route(
            "/users/{user_id}/preferences/{category}",
            get(social::preferences_in),
        )
        .route(
            "/users/{user_id}/preferences/{category}/name/{name}",
            get(social::preference),
        )
        .route(
            "/users/{user_id}/status",
            get(social::status).put(social::set_status),
        )
        .route("/users/status/ids", post(social::statuses_by_ids))
        .route("/roles/names", post(social::roles_by_names))
}

pub(crate) fn router(state: AppState) -> Router {
    // Uploads may carry up to 10 files of `files.max_file_size` each, plus form overhead;
    // each file's own size is checked as it streams in.
    let upload_limit = usize::try_from(state.app.config().files.max_file_size)
        .unwrap_or(usize::MAX)
        .saturating_mul(conclave_model::file::MAX_FILES_PER_POST)
        .saturating_add(1 << 20);
    let files = Router::new().route(
        "/files",
        post(files::upload).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
    );
    Router::new()
        .nest("/api/v4", api().merge(files))
        .route("/files/{file_id}/public", get(files::public))
        .route("/api/v4", get(api_not_found))
        .fallback(ui::index)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .with_state(state)
}
