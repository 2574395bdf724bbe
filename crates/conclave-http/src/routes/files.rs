//! `/files/*`: uploads (multipart or a raw body), downloads with safe headers, thumbnails,
//! previews, infos.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use conclave_core::{Error, FileRendition};
use conclave_model::file::{FileInfo, MAX_FILES_PER_POST, is_safe_image};
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, Params};

#[derive(Serialize)]
pub(crate) struct UploadResponse {
    file_infos: Vec<FileInfo>,
    client_ids: Vec<String>,
}

fn bad_form(message: &str) -> ApiError {
    Error::bad_request("api.file.upload_file.read_form.app_error", message).into()
}

/// `POST /files`: multipart (`channel_id`, optional `client_ids`, then the files), or the raw
/// bytes of one file with `?channel_id=…&filename=…`.
pub(crate) async fn upload(
    State(s): State<AppState>,
    auth: Result<Auth, ApiError>,
    Params(params): Params,
    req: Request,
) -> ApiResult<(StatusCode, Json<UploadResponse>)> {
    let a = match auth {
        Ok(Auth(a)) => a,
        Err(e) => {
            // Like Go's server, read a little of what the client is sending before refusing,
            // so it reads our error rather than a reset connection.
            let _ = axum::body::to_bytes(req.into_body(), 256 * 1024).await;
            return Err(e);
        }
    };
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut channel_id = params.get("channel_id").cloned().unwrap_or_default();
    let mut client_ids = Vec::new();
    let mut files: Vec<(String, Bytes)> = Vec::new();
    if is_multipart {
        let mut form = Multipart::from_request(req, &s)
            .await
            .map_err(|_| bad_form("The upload is not a valid multipart form."))?;
        if let Err(e) = read_form(&s, &mut form, &mut channel_id, &mut client_ids, &mut files).await
        {
            // Read what the client is still sending (up to the route's limit) before
            // answering, so it gets the error instead of a connection reset mid-upload.
            while let Ok(Some(mut field)) = form.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {}
            }
            return Err(e);
        }
    } else {
        let file_name = params
            .get("filename")
            .cloned()
            .ok_or_else(|| Error::invalid_param("filename"))?;
        let data = Bytes::from_request(req, &s)
            .await
            .map_err(|_| s.app.check_upload_size(u64::MAX).unwrap_err())?;
        files.push((file_name, data));
    }
    if files.is_empty() {
        return Err(Error::bad_request(
            "api.file.upload_file.incorrect_number_of_files.app_error",
            "No file was uploaded.",
        )
        .into());
    }
    if !client_ids.is_empty() && client_ids.len() != files.len() {
        return Err(Error::bad_request(
            "api.file.upload_file.incorrect_number_of_client_ids.app_error",
            "There must be one client id per file.",
        )
        .into());
    }
    let mut file_infos = Vec::with_capacity(files.len());
    for (name, data) in files {
        file_infos.push(s.app.upload_file(&a, &channel_id, &name, data).await?);
    }
    Ok((
        StatusCode::CREATED,
        Json(UploadResponse {
            file_infos,
            client_ids,
        }),
    ))
}

/// Reads the multipart form into its parts, refusing oversized files as they stream in.
async fn read_form(
    s: &AppState,
    form: &mut Multipart,
    channel_id: &mut String,
    client_ids: &mut Vec<String>,
    files: &mut Vec<(String, Bytes)>,
) -> Result<(), ApiError> {
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|_| bad_form("The upload form could not be read."))?
    {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                if files.len() >= MAX_FILES_PER_POST {
                    return Err(Error::bad_request(
                        "api.file.upload_file.too_many_files.app_error",
                        format!("At most {MAX_FILES_PER_POST} files per upload."),
                    )
                    .into());
                }
                // Read in chunks so an oversized file is refused without buffering it all.
                let mut data = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|_| bad_form("The upload form could not be read."))?
                {
                    data.extend_from_slice(&chunk);
                    s.app.check_upload_size(data.len() as u64)?;
                }
                files.push((file_name, Bytes::from(data)));
            }
            None => {
                let value = field
                    .text()
                    .await
                    .map_err(|_| bad_form("The upload form could not be read."))?;
                match name.as_str() {
                    "channel_id" => *channel_id = value,
                    "client_ids" => client_ids.push(value),
                    _ => return Err(bad_form("Unknown field in the upload form.")),
                }
            }
        }
    }
    Ok(())
}

/// The bytes of a file with headers that keep our origin safe: only raster images render
/// inline; everything else is an attachment, never sniffed, never scripted.
fn serve(info: &FileInfo, bytes: Bytes, mime: &str, download: bool) -> Response {
    let inline = is_safe_image(mime) && !download;
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        info.name
            .replace(['"', '\\'], "_")
            .replace(|c: char| !c.is_ascii(), "_"),
        percent_encode(&info.name)
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    let content_type = if inline {
        mime
    } else {
        "application/octet-stream"
    };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    resp
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) async fn get_file(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(file_id): Path<String>,
    p: Params,
) -> ApiResult<Response> {
    let (info, bytes) = s
        .app
        .file_content(&a, &file_id, FileRendition::Original)
        .await?;
    let download = p.bool("download")?.unwrap_or(false);
    let mime = info.mime_type.clone();
    Ok(serve(&info, bytes, &mime, download))
}

/// Thumbnails and previews are JPEG renditions made at upload.
async fn rendition(
    s: &AppState,
    a: &conclave_core::Actor,
    file_id: &str,
    which: FileRendition,
) -> ApiResult<Response> {
    let (info, bytes) = s.app.file_content(a, file_id, which).await?;
    Ok(serve(&info, bytes, "image/jpeg", false))
}

pub(crate) async fn thumbnail(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    rendition(&s, &a, &file_id, FileRendition::Thumbnail).await
}

pub(crate) async fn preview(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    rendition(&s, &a, &file_id, FileRendition::Preview).await
}

pub(crate) async fn info(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(file_id): Path<String>,
) -> ApiResult<Json<FileInfo>> {
    Ok(Json(s.app.file_info(&a, &file_id).await?))
}

pub(crate) async fn link(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(file_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let link = s.app.file_link(&a, &file_id).await?;
    Ok(Json(json!({ "link": link })))
}

pub(crate) async fn post_files(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(post_id): Path<String>,
) -> ApiResult<Json<Vec<FileInfo>>> {
    Ok(Json(s.app.post_files(&a, &post_id).await?))
}

pub(crate) async fn search(
    State(s): State<AppState>,
    Auth(a): Auth,
    Path(team_id): Path<String>,
    crate::extract::Body(input): crate::extract::Body<conclave_core::SearchPostsInput>,
) -> ApiResult<Json<conclave_core::FileInfoList>> {
    Ok(Json(s.app.search_files(&a, &team_id, input).await?))
}

/// `GET /files/{id}/public?h=…` (outside `/api/v4`, no session): a shared file.
pub(crate) async fn public(
    State(s): State<AppState>,
    Path(file_id): Path<String>,
    p: Params,
) -> ApiResult<Response> {
    let (info, bytes) = s.app.public_file(&file_id, p.str("h")).await?;
    let mime = info.mime_type.clone();
    Ok(serve(&info, bytes, &mime, false))
}
