//! Files: uploads (with thumbnails and previews made once, at upload), reads under the
//! channel's permissions, and the cleanup of orphaned bytes. Bytes live in an object store:
//! a local directory by default, any S3-compatible service for clusters.

use std::io::Cursor;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use conclave_model::file::{
    FileInfo, extension_of, is_safe_image, mime_for_extension, sanitize_file_name,
};
use conclave_model::{is_valid_id, new_id, now_ms};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use crate::config::Config;
use crate::error::OrNotFound;
use crate::permissions::UPLOAD_FILE;
use crate::{Actor, App, Error, ErrorKind, Result, blocking};

/// Mattermost's thumbnail box and preview width.
const THUMBNAIL_WIDTH: u32 = 120;
const THUMBNAIL_HEIGHT: u32 = 100;
const PREVIEW_WIDTH: u32 = 1920;
const MINI_PREVIEW_SIZE: u32 = 16;

/// Which rendition of a file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRendition {
    Original,
    Thumbnail,
    Preview,
}

/// Opens the configured object store.
pub(crate) fn open_storage(config: &Config) -> Result<Arc<dyn ObjectStore>> {
    let f = &config.files;
    if f.driver == "s3" {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&f.s3_bucket)
            .with_region(&f.s3_region)
            .with_virtual_hosted_style_request(!f.s3_path_style)
            .with_allow_http(f.s3_allow_http);
        if !f.s3_endpoint.is_empty() {
            b = b.with_endpoint(&f.s3_endpoint);
        }
        if !f.s3_access_key_id.is_empty() {
            b = b
                .with_access_key_id(&f.s3_access_key_id)
                .with_secret_access_key(&f.s3_secret_access_key);
        }
        return Ok(Arc::new(b.build().map_err(|e| {
            Error::internal(format!("configuring S3 storage: {e}"))
        })?));
    }
    let dir = if f.directory.is_empty() {
        config.data_dir.join("files")
    } else {
        std::path::PathBuf::from(&f.directory)
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("creating {}: {e}", dir.display())))?;
    Ok(Arc::new(
        object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| Error::internal(format!("opening {}: {e}", dir.display())))?,
    ))
}

fn storage_error(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => file_not_found(),
        other => Error::internal(format!("file storage: {other}")),
    }
}

fn file_not_found() -> Error {
    Error::not_found("app.file_info.get.app_error", "The file was not found.")
}

/// What decoding an image produced.
struct Rendered {
    width: u32,
    height: u32,
    thumbnail: Vec<u8>,
    preview: Vec<u8>,
    mini: String,
}

enum RenderError {
    /// More pixels than allowed: refused before decoding.
    TooLarge,
    /// Not decodable: kept as a plain file.
    Undecodable,
}

fn jpeg(img: &DynamicImage) -> std::result::Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|_| RenderError::Undecodable)?;
    Ok(out)
}

/// Decodes an image (after checking its size from the header alone), applies its EXIF
/// orientation, and renders the thumbnail, preview and mini preview as JPEG.
fn render(bytes: &[u8], max_pixels: u64) -> std::result::Result<Rendered, RenderError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| RenderError::Undecodable)?;
    // The decoder's own allocation limits may refuse a huge header before we can ask.
    let (w, h) = reader.into_dimensions().map_err(|e| match e {
        image::ImageError::Limits(_) => RenderError::TooLarge,
        _ => RenderError::Undecodable,
    })?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(RenderError::TooLarge);
    }
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| RenderError::Undecodable)?
        .into_decoder()
        .map_err(|_| RenderError::Undecodable)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    decoder
        .set_limits(limits)
        .map_err(|_| RenderError::TooLarge)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| RenderError::Undecodable)?;
    img.apply_orientation(orientation);
    let thumbnail = jpeg(&img.thumbnail(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT))?;
    let preview = if img.width() > PREVIEW_WIDTH {
        jpeg(&img.resize(
            PREVIEW_WIDTH,
            u32::MAX,
            image::imageops::FilterType::Triangle,
        ))?
    } else {
        jpeg(&img)?
    };
    let mini = base64::engine::general_purpose::STANDARD
        .encode(jpeg(&img.thumbnail(MINI_PREVIEW_SIZE, MINI_PREVIEW_SIZE))?);
    Ok(Rendered {
        width: img.width(),
        height: img.height(),
        thumbnail,
        preview,
        mini,
    })
}

impl App {
    /// Stores one uploaded file for `channel_id`. It stays unattached until a post names it.
    pub async fn upload_file(
        &self,
        actor: &Actor,
        channel_id: &str,
        raw_name: &str,
        data: Bytes,
    ) -> Result<FileInfo> {
        if !is_valid_id(channel_id) {
            return Err(Error::invalid_param("channel_id"));
        }
        let access = self.channel_access(actor, channel_id).await?;
        access.require(actor, UPLOAD_FILE)?;
        access.require_not_archived()?;
        self.check_upload_size(data.len() as u64)?;
        if data.is_empty() {
            return Err(Error::bad_request(
                "api.file.upload_file.read_request.app_error",
                "The file is empty.",
            ));
        }
        let name = sanitize_file_name(raw_name).ok_or_else(|| Error::invalid_param("filename"))?;
        let extension = extension_of(&name);
        let mime_type = mime_for_extension(&extension).to_owned();
        let now = now_ms();
        let id = new_id();
        let dir = format!(
            "{}/teams/{}/channels/{channel_id}/users/{}/{id}",
            day_folder(now),
            if access.channel.team_id.is_empty() {
                "noteam"
            } else {
                &access.channel.team_id
            },
            actor.user.id
        );
        let mut info = FileInfo {
            id,
            user_id: actor.user.id.clone(),
            channel_id: channel_id.to_owned(),
            create_at: now,
            update_at: now,
            size: data.len() as i64,
            path: format!("{dir}/{}", object_name(&name)),
            name,
            extension,
            mime_type,
            ..FileInfo::default()
        };
        if is_safe_image(&info.mime_type) {
            let max = self.config.files.max_image_pixels;
            let bytes = data.clone();
            match blocking(move || render(&bytes, max)).await? {
                Ok(r) => {
                    info.width = i64::from(r.width);
                    info.height = i64::from(r.height);
                    info.has_preview_image = true;
                    info.mini_preview = Some(r.mini);
                    info.thumbnail_path = format!("{dir}/thumb.jpg");
                    info.preview_path = format!("{dir}/preview.jpg");
                    self.put(&info.thumbnail_path, r.thumbnail.into()).await?;
                    self.put(&info.preview_path, r.preview.into()).await?;
                }
                Err(RenderError::TooLarge) => {
                    return Err(Error::bad_request(
                        "api.file.upload_file.large_image.app_error",
                        "The image is larger than the maximum resolution allowed.",
                    ));
                }
                // Named like an image but not one: served as a download, never inline.
                Err(RenderError::Undecodable) => {
                    info.mime_type = "application/octet-stream".into();
                }
            }
        }
        self.put(&info.path, data).await?;
        self.store.files().create(&info).await?;
        Ok(info)
    }

    /// Refuses an upload bigger than `files.max_file_size`.
    pub fn check_upload_size(&self, size: u64) -> Result<()> {
        let max = self.config.files.max_file_size;
        if size > max {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                "api.file.upload_file.too_large_detailed.app_error",
                format!("The file is larger than the {max} bytes allowed."),
            ));
        }
        Ok(())
    }

    async fn read_object(&self, path: &str) -> Result<Bytes> {
        self.files
            .get(&ObjectPath::from(path))
            .await
            .map_err(storage_error)?
            .bytes()
            .await
            .map_err(storage_error)
    }

    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        self.files
            .put(&ObjectPath::from(path), data.into())
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// A file's info, if the actor may read it: the uploader always; others once it is
    /// attached to a post in a channel they can read.
    pub async fn file_info(&self, actor: &Actor, file_id: &str) -> Result<FileInfo> {
        if !is_valid_id(file_id) {
            return Err(Error::invalid_param("file_id"));
        }
        let info = self
            .store
            .files()
            .get(file_id)
            .await
            .or_not_found(file_not_found)?;
        if info.delete_at > 0 {
            return Err(file_not_found());
        }
        if info.user_id != actor.user.id {
            if info.post_id.is_empty() {
                return Err(Error::forbidden());
            }
            self.channel_access(actor, &info.channel_id)
                .await?
                .require_read(actor)?;
        }
        Ok(info)
    }

    /// A file's bytes (or its thumbnail or preview), with its info.
    pub async fn file_content(
        &self,
        actor: &Actor,
        file_id: &str,
        rendition: FileRendition,
    ) -> Result<(FileInfo, Bytes)> {
        let info = self.file_info(actor, file_id).await?;
        let path = match rendition {
            FileRendition::Original => info.path.clone(),
            _ if !info.has_preview_image => {
                return Err(Error::bad_request(
                    "api.file.get_file_thumbnail.no_thumbnail.app_error",
                    "The file has no thumbnail or preview.",
                ));
            }
            FileRendition::Thumbnail => info.thumbnail_path.clone(),
            FileRendition::Preview => info.preview_path.clone(),
        };
        let bytes = self.read_object(&path).await?;
        Ok((info, bytes))
    }

    /// `GET /files/{id}/link`: a link anyone can open, signed so it cannot be guessed or
    /// forged for another file. Off unless `files.enable_public_links`.
    pub async fn file_link(&self, actor: &Actor, file_id: &str) -> Result<String> {
        self.require_public_links()?;
        let info = self.file_info(actor, file_id).await?;
        if info.post_id.is_empty() {
            return Err(Error::bad_request(
                "api.file.get_public_link.no_post.app_error",
                "Only files attached to a post can be shared.",
            ));
        }
        Ok(format!(
            "{}/files/{}/public?h={}",
            self.config.site_url.trim_end_matches('/'),
            info.id,
            self.link_signature(&info.id)
        ))
    }

    fn require_public_links(&self) -> Result<()> {
        if self.config.files.enable_public_links {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotImplemented,
                "api.file.get_public_link.disabled.app_error",
                "Public links have been disabled.",
            ))
        }
    }

    fn link_signature(&self, file_id: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(self.public_link_salt.as_bytes())
            .expect("HMAC takes any key length");
        mac.update(file_id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// `GET /files/{id}/public?h=…`: the bytes behind a public link, without a session.
    pub async fn public_file(&self, file_id: &str, signature: &str) -> Result<(FileInfo, Bytes)> {
        self.require_public_links()?;
        let bad_link = || {
            Error::bad_request(
                "api.file.get_file.public_invalid.app_error",
                "The public link does not appear to be valid.",
            )
        };
        if !is_valid_id(file_id) {
            return Err(bad_link());
        }
        let expected = self.link_signature(file_id);
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(bad_link());
        }
        let info = self
            .store
            .files()
            .get(file_id)
            .await
            .or_not_found(file_not_found)?;
        if info.delete_at > 0 || info.post_id.is_empty() {
            return Err(file_not_found());
        }
        let bytes = self.read_object(&info.path).await?;
        Ok((info, bytes))
    }

    /// The live files of a post the actor can read.
    pub async fn post_files(&self, actor: &Actor, post_id: &str) -> Result<Vec<FileInfo>> {
        let post = self.get_post(actor, post_id).await?;
        Ok(self
            .store
            .files()
            .list_for_posts(std::slice::from_ref(&post.id))
            .await?)
    }

    /// Removes the bytes and rows of files nobody can reach any more: uploads never attached
    /// and files of deleted posts, once `files.cleanup_after_secs` has passed.
    pub async fn clean_up_files(&self) -> Result<usize> {
        let before = now_ms() - self.config.files.cleanup_after_secs as i64 * 1000;
        let expired = self.store.files().expired(before, 500).await?;
        let mut gone = Vec::with_capacity(expired.len());
        for f in &expired {
            for p in [&f.path, &f.thumbnail_path, &f.preview_path] {
                if p.is_empty() {
                    continue;
                }
                match self.files.delete(&ObjectPath::from(p.as_str())).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(storage_error(e)),
                }
            }
            gone.push(f.id.clone());
        }
        self.store.files().purge(&gone).await?;
        Ok(gone.len())
    }
}

/// `YYYYMMDD` of a time, as Mattermost lays out its file tree.
fn day_folder(ms: i64) -> String {
    let (y, m, d) = conclave_model::time::civil_date(ms);
    format!("{y:04}{m:02}{d:02}")
}

/// The stored object's name: the file name reduced to characters every object store and
/// file system accept (the real name is in the row).
fn object_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned.chars().take(128).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_object_names() {
        assert_eq!(day_folder(0), "19700101");
        assert_eq!(day_folder(1_764_028_800_000), "20251125");
        assert_eq!(object_name("../../x y.png"), "_.._x_y.png");
        assert_eq!(object_name("日本.txt"), "__.txt");
        assert_eq!(object_name("..."), "file");
    }
}
