//! Typed server configuration. Loaded by the binary from `conclave.toml`, `CONCLAVE_*`
//! environment variables and flags; every service reads it from here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds, `host:port`.
    pub listen: String,
    /// Where the SQLite database and local files live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; empty for the embedded SQLite database.
    pub database_url: String,
    /// Pool size for PostgreSQL.
    pub database_max_connections: u32,
    /// Public URL of the site, if known (used in links and cookies).
    pub site_url: String,
    pub site_name: String,
    pub auth: AuthConfig,
    pub privacy: PrivacyConfig,
    pub limits: LimitsConfig,
    pub rate_limit: RateLimitConfig,
    pub realtime: RealtimeConfig,
    pub files: FilesConfig,
    pub log: LogConfig,
}

/// Uploaded files: where they live and how big they may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// `local` (a directory) or `s3` (any S3-compatible service).
    pub driver: String,
    /// For `local`: the directory; empty means `<data_dir>/files`.
    pub directory: String,
    /// Largest upload, in bytes.
    pub max_file_size: u64,
    /// Largest image (width × height) we decode for previews; bigger ones are refused.
    pub max_image_pixels: u64,
    /// Unattached uploads and deleted posts' files are removed after this long.
    pub cleanup_after_secs: u64,
    /// `GET /files/{id}/link` hands out public links only when enabled.
    pub enable_public_links: bool,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// Address buckets as `endpoint/bucket` (MinIO, moto) instead of `bucket.endpoint`.
    pub s3_path_style: bool,
    /// Allow a plain-HTTP endpoint (a local test server); never for real deployments.
    pub s3_allow_http: bool,
}

/// WebSocket and presence timings (Mattermost's values by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RealtimeConfig {
    /// A socket that has not authenticated by then is closed.
    pub auth_timeout_secs: u64,
    /// How often the server pings each socket.
    pub ping_interval_secs: u64,
    /// A socket that sends no pong for this long is closed.
    pub read_timeout_secs: u64,
    /// Online users with no activity for this long become away.
    pub away_timeout_secs: u64,
    /// A user whose last socket closed becomes offline after this long (0: at once).
    pub offline_grace_secs: u64,
    /// A dropped connection can be resumed for this long.
    pub resume_window_secs: u64,
    /// Unsent events a socket may fall behind by before it is closed as too slow.
    pub send_queue: usize,
    /// Events kept per connection for replay on resume.
    pub replay_events: usize,
    /// Largest client frame; a bigger one closes the socket.
    pub max_message_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Anyone may sign up (the very first user always may, and becomes system admin).
    pub enable_open_server: bool,
    pub enable_sign_in_with_email: bool,
    pub enable_sign_in_with_username: bool,
    /// Failed logins before the account locks until an admin resets it.
    pub maximum_login_attempts: i64,
    pub session_length_web_hours: i64,
    pub session_length_mobile_hours: i64,
    pub enable_user_access_tokens: bool,
    pub enable_multifactor_authentication: bool,
    /// Users without MFA may only reach the endpoints needed to set it up.
    pub enforce_multifactor_authentication: bool,
    pub password_minimum_length: usize,
    /// Users may deactivate their own account.
    pub enable_user_deactivation: bool,
    /// Reject cookie-authenticated writes that only carry `X-Requested-With`.
    pub strict_csrf_enforcement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    pub show_email_address: bool,
    pub show_full_name: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest request URL (path and query), in bytes.
    pub max_url_bytes: usize,
    /// Most ids or names accepted in one batch lookup.
    pub max_batch_items: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enable: bool,
    /// Sustained requests per second allowed for each client address and each user.
    pub per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub max_burst: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter such as `info` or `conclave=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "0.0.0.0:8065".into(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            database_max_connections: 20,
            site_url: String::new(),
            site_name: "Conclave".into(),
            auth: AuthConfig::default(),
            privacy: PrivacyConfig::default(),
            limits: LimitsConfig::default(),
            rate_limit: RateLimitConfig::default(),
            realtime: RealtimeConfig::default(),
            files: FilesConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for FilesConfig {
    fn default() -> FilesConfig {
        FilesConfig {
            driver: "local".into(),
            directory: String::new(),
            max_file_size: 100 << 20,
            max_image_pixels: 24_000_000,
            cleanup_after_secs: 24 * 3600,
            enable_public_links: false,
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_path_style: true,
            s3_allow_http: false,
        }
    }
}

impl Default for RealtimeConfig {
    fn default() -> RealtimeConfig {
        RealtimeConfig {
            auth_timeout_secs: 5,
            ping_interval_secs: 60,
            read_timeout_secs: 100,
            away_timeout_secs: 300,
            offline_grace_secs: 5,
            resume_window_secs: 300,
            send_queue: 256,
            replay_events: 128,
            max_message_bytes: 8 * 1024,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            enable_open_server: false,
            enable_sign_in_with_email: true,
            enable_sign_in_with_username: true,
            maximum_login_attempts: 10,
            session_length_web_hours: 720,
            session_length_mobile_hours: 720,
            enable_user_access_tokens: true,
            enable_multifactor_authentication: true,
            enforce_multifactor_authentication: false,
            password_minimum_length: 8,
            enable_user_deactivation: false,
            strict_csrf_enforcement: false,
        }
    }
}

impl Default for PrivacyConfig {
    fn default() -> PrivacyConfig {
        PrivacyConfig {
            show_email_address: true,
            show_full_name: true,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_body_bytes: 1 << 20,
            max_url_bytes: 8192,
            max_batch_items: 1000,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> RateLimitConfig {
        RateLimitConfig {
            enable: true,
            per_second: 20,
            max_burst: 200,
        }
    }
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// A setting that is present but unusable; `key` is its dotted name (`auth.maximum_login_attempts`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid config key `{key}`: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn invalid(key: &str, message: &str) -> Result<(), ConfigError> {
    Err(ConfigError {
        key: key.into(),
        message: message.into(),
    })
}

impl Config {
    /// Checks values that parse but make no sense, naming the offending key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return invalid("listen", "expected host:port such as 0.0.0.0:8065");
        }
        if !self.database_url.is_empty()
            && !self.database_url.starts_with("postgres://")
            && !self.database_url.starts_with("postgresql://")
        {
            return invalid(
                "database_url",
                "expected postgres://… (leave empty for SQLite)",
            );
        }
        if !(1..=1000).contains(&self.database_max_connections) {
            return invalid("database_max_connections", "must be between 1 and 1000");
        }
        if self.site_name.trim().is_empty() || self.site_name.chars().count() > 30 {
            return invalid("site_name", "must be 1 to 30 characters");
        }
        if self.auth.maximum_login_attempts < 1 {
            return invalid("auth.maximum_login_attempts", "must be at least 1");
        }
        if self.auth.session_length_web_hours < 1 {
            return invalid("auth.session_length_web_hours", "must be at least 1");
        }
        if self.auth.session_length_mobile_hours < 1 {
            return invalid("auth.session_length_mobile_hours", "must be at least 1");
        }
        if !(5..=72).contains(&self.auth.password_minimum_length) {
            return invalid("auth.password_minimum_length", "must be between 5 and 72");
        }
        if self.limits.max_body_bytes < 1024 {
            return invalid("limits.max_body_bytes", "must be at least 1024");
        }
        if self.limits.max_url_bytes < 256 {
            return invalid("limits.max_url_bytes", "must be at least 256");
        }
        if self.limits.max_batch_items < 1 {
            return invalid("limits.max_batch_items", "must be at least 1");
        }
        if self.rate_limit.enable
            && (self.rate_limit.per_second < 1 || self.rate_limit.max_burst < 1)
        {
            return invalid(
                "rate_limit.per_second",
                "per_second and max_burst must be at least 1",
            );
        }
        let rt = &self.realtime;
        for (key, value) in [
            ("realtime.auth_timeout_secs", rt.auth_timeout_secs),
            ("realtime.ping_interval_secs", rt.ping_interval_secs),
            ("realtime.away_timeout_secs", rt.away_timeout_secs),
            ("realtime.resume_window_secs", rt.resume_window_secs),
        ] {
            if value < 1 {
                return invalid(key, "must be at least 1");
            }
        }
        if rt.read_timeout_secs <= rt.ping_interval_secs {
            return invalid(
                "realtime.read_timeout_secs",
                "must be longer than realtime.ping_interval_secs",
            );
        }
        if !(16..=65_536).contains(&rt.send_queue) {
            return invalid("realtime.send_queue", "must be between 16 and 65536");
        }
        if !(1..=65_536).contains(&rt.replay_events) {
            return invalid("realtime.replay_events", "must be between 1 and 65536");
        }
        if !(1024..=1 << 20).contains(&rt.max_message_bytes) {
            return invalid(
                "realtime.max_message_bytes",
                "must be between 1024 and 1048576",
            );
        }
        let f = &self.files;
        match f.driver.as_str() {
            "local" => {}
            "s3" if f.s3_bucket.is_empty() => {
                return invalid("files.s3_bucket", "the s3 driver needs a bucket");
            }
            "s3" => {}
            _ => return invalid("files.driver", "expected local or s3"),
        }
        if !(1024..=(10u64 << 30)).contains(&f.max_file_size) {
            return invalid("files.max_file_size", "must be between 1 KiB and 10 GiB");
        }
        if f.max_image_pixels < 1 {
            return invalid("files.max_image_pixels", "must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return invalid("log.format", "expected text or json");
        }
        Ok(())
    }
}
