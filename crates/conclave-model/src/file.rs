//! Uploaded files: Mattermost's FileInfo, and the rules for names and types.

use serde::{Deserialize, Serialize};

/// Most files one post may carry.
pub const MAX_FILES_PER_POST: usize = 10;
/// Longest stored file name, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FileInfo {
    pub id: String,
    /// The uploader.
    pub user_id: String,
    /// Empty until a post references the file.
    pub post_id: String,
    pub channel_id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub name: String,
    /// Lowercase, without the dot.
    pub extension: String,
    pub size: i64,
    pub mime_type: String,
    #[serde(default)]
    pub width: i64,
    #[serde(default)]
    pub height: i64,
    #[serde(default)]
    pub has_preview_image: bool,
    /// Base64 of a tiny JPEG, or null.
    #[serde(default)]
    pub mini_preview: Option<String>,
    #[serde(default)]
    pub remote_id: Option<String>,
    #[serde(default)]
    pub archived: bool,
    /// Where the bytes live in the object store; never sent to clients.
    #[serde(skip)]
    pub path: String,
    #[serde(skip)]
    pub thumbnail_path: String,
    #[serde(skip)]
    pub preview_path: String,
}

impl FileInfo {
    /// Images we decode, thumbnail and serve inline.
    pub fn is_image(&self) -> bool {
        is_safe_image(&self.mime_type)
    }
}

/// Raster image types a browser may render inline from our origin. SVG is deliberately not one:
/// it can carry script.
pub fn is_safe_image(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/bmp"
    )
}

/// A name safe to store and send back: the last path component, no control characters, no
/// leading dots, at most `FILE_NAME_MAX_CHARS`. `None` when nothing usable remains.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return None;
    }
    let truncated: String = cleaned.chars().take(FILE_NAME_MAX_CHARS).collect();
    Some(truncated)
}

/// The lowercase extension of a name, without the dot (`""` when there is none).
pub fn extension_of(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 16 => {
            ext.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// The MIME type for an extension; unknown ones are `application/octet-stream`.
pub fn mime_for_extension(ext: &str) -> &'static str {
    match ext {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_tricks() {
        assert_eq!(
            sanitize_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_file_name("C:\\Users\\x\\report.pdf").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(sanitize_file_name(".htaccess").as_deref(), Some("htaccess"));
        assert_eq!(
            sanitize_file_name("a\u{0}b\nc.txt").as_deref(),
            Some("abc.txt")
        );
        assert_eq!(sanitize_file_name("..").as_deref(), None);
        assert_eq!(sanitize_file_name("   ").as_deref(), None);
        assert_eq!(
            sanitize_file_name(&"x".repeat(1000))
                .unwrap()
                .chars()
                .count(),
            FILE_NAME_MAX_CHARS
        );
        assert_eq!(extension_of("Photo.JPG"), "jpg");
        assert_eq!(extension_of("README"), "");
        assert_eq!(extension_of(".bashrc"), "");
        assert!(!is_safe_image(mime_for_extension("svg")));
        assert!(is_safe_image(mime_for_extension("png")));
    }
}
