//! Anonymous start-up endpoints: ping, client config, licence, plugins.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use conclave_core::{App, BUILD_VERSION, MATTERMOST_API_VERSION};
use serde_json::{Value, json};

use crate::AppState;
use crate::extract::{MaybeAuth, Params};

pub(crate) async fn ping(State(state): State<AppState>, params: Params) -> Response {
    let mut body = json!({
        "status": "OK",
        "AndroidLatestVersion": "",
        "AndroidMinVersion": "",
        "IosLatestVersion": "",
        "IosMinVersion": "",
        "ActiveSearchBackend": "database",
    });
    if !params.str("device_id").is_empty() {
        // No push proxy: tell the mobile app notifications cannot reach it.
        body["CanReceiveNotifications"] = json!("false");
    }
    if params.bool("get_server_status").ok().flatten() == Some(true) {
        let healthy = state.app.database_healthy().await;
        let db = if healthy { "OK" } else { "UNHEALTHY" };
        body["database_status"] = json!(db);
        body["filestore_status"] = json!("OK");
        if !healthy {
            body["status"] = json!("UNHEALTHY");
            let rest = params.bool("use_rest_semantics").ok().flatten() == Some(true);
            let status = if rest {
                StatusCode::OK
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            return (status, Json(body)).into_response();
        }
    }
    Json(body).into_response()
}

fn flag(b: bool) -> String {
    b.to_string()
}

/// The flat string map clients read at start-up. Anonymous callers get the subset needed to
/// draw a login page.
fn client_config(app: &App, full: bool) -> BTreeMap<&'static str, String> {
    let c = app.config();
    let a = &c.auth;
    let mut m: BTreeMap<&'static str, String> = BTreeMap::new();
    m.insert("Version", MATTERMOST_API_VERSION.into());
    m.insert("BuildNumber", BUILD_VERSION.into());
    m.insert("BuildHash", format!("conclave-{BUILD_VERSION}"));
    m.insert("BuildDate", String::new());
    m.insert("BuildEnterpriseReady", "false".into());
    m.insert("SiteURL", c.site_url.clone());
    m.insert("SiteName", c.site_name.clone());
    m.insert("DiagnosticId", app.diagnostic_id().into());
    m.insert("TelemetryId", app.diagnostic_id().into());
    m.insert("DiagnosticsEnabled", "false".into());
    m.insert("WebsocketURL", String::new());
    m.insert("WebsocketPort", "80".into());
    m.insert("WebsocketSecurePort", "443".into());
    m.insert("EnableReliableWebSockets", "true".into());
    m.insert("EnableSignInWithEmail", flag(a.enable_sign_in_with_email));
    m.insert(
        "EnableSignInWithUsername",
        flag(a.enable_sign_in_with_username),
    );
    m.insert("EnableSignUpWithEmail", "true".into());
    m.insert("EnableUserCreation", "true".into());
    m.insert("EnableOpenServer", flag(a.enable_open_server));
    for off in [
        "EnableLdap",
        "EnableSaml",
        "EnableSignUpWithGitLab",
        "EnableSignUpWithGoogle",
        "EnableSignUpWithOffice365",
        "EnableSignUpWithOpenId",
        "EnableGuestAccounts",
    ] {
        m.insert(off, "false".into());
    }
    m.insert(
        "EnableMultifactorAuthentication",
        flag(a.enable_multifactor_authentication),
    );
    m.insert(
        "EnforceMultifactorAuthentication",
        flag(a.enforce_multifactor_authentication),
    );
    m.insert(
        "PasswordMinimumLength",
        a.password_minimum_length.to_string(),
    );
    for req in [
        "PasswordRequireLowercase",
        "PasswordRequireUppercase",
        "PasswordRequireNumber",
        "PasswordRequireSymbol",
    ] {
        m.insert(req, "false".into());
    }
    m.insert("DefaultClientLocale", "en".into());
    m.insert("AvailableLocales", String::new());
    m.insert("NoAccounts", flag(false));
    if !full {
        return m;
    }
    let p = &c.privacy;
    m.insert("ShowEmailAddress", flag(p.show_email_address));
    m.insert("ShowFullName", flag(p.show_full_name));
    m.insert("EnableUserAccessTokens", flag(a.enable_user_access_tokens));
    m.insert("EnableUserDeactivation", flag(a.enable_user_deactivation));
    m.insert("CollapsedThreads", "default_on".into());
    m.insert("EnableFileAttachments", "true".into());
    m.insert("EnableMobileFileUpload", "true".into());
    m.insert("EnableMobileFileDownload", "true".into());
    m.insert("MaxFileSize", c.files.max_file_size.to_string());
    m.insert("EnablePublicLink", flag(c.files.enable_public_links));
    m.insert("MaxPostSize", "16383".into());
    m.insert("EnableCustomEmoji", "false".into());
    m.insert("EnableEmojiPicker", "true".into());
    m.insert("EnableGifPicker", "false".into());
    m.insert("EnableUserTypingMessages", "true".into());
    m.insert("TimeBetweenUserTypingUpdatesMilliseconds", "5000".into());
    m.insert("EnableChannelViewedMessages", "true".into());
    m.insert("TeammateNameDisplay", "username".into());
    m.insert("LockTeammateNameDisplay", "false".into());
    m.insert("RestrictDirectMessage", "any".into());
    for v in [
        "EnableCommands",
        "EnableIncomingWebhooks",
        "EnableOutgoingWebhooks",
        "EnablePostUsernameOverride",
        "EnablePostIconOverride",
        "EnableBotAccountCreation",
        "EnableLinkPreviews",
        "EnablePermalinkPreviews",
        "EnableSVGs",
        "PluginsEnabled",
        "SendPushNotifications",
        "SendEmailNotifications",
        "MobileJailbreakProtection",
        "MobileEnableBiometrics",
        "DataRetentionEnableMessageDeletion",
    ] {
        m.insert(v, "false".into());
    }
    m.insert("ExperimentalEnablePostMetadata", "true".into());
    m.insert("PostEditTimeLimit", "-1".into());
    m.insert("ExperimentalTimezone", "true".into());
    m.insert("EnableCustomUserStatuses", "true".into());
    m.insert("EnableLastActiveTime", "true".into());
    m.insert("EmailNotificationContentsType", "full".into());
    m.insert("ExperimentalViewArchivedChannels", "true".into());
    m.insert("AllowCustomThemes", "true".into());
    m.insert("EnableThemeSelection", "true".into());
    m
}

/// A short stable digest of the full client config, for `X-Version-Id`: clients reload when
/// it changes.
pub(crate) fn client_config_hash(app: &App) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    client_config(app, true).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

pub(crate) async fn client_config_old(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
) -> Json<Value> {
    Json(json!(client_config(&state.app, actor.is_some())))
}

pub(crate) async fn client_license() -> Json<Value> {
    Json(json!({"IsLicensed": "false"}))
}

pub(crate) async fn webapp_plugins() -> Json<Value> {
    Json(json!([]))
}
