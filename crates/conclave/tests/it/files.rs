//! Files over the API: uploads (multipart and raw), downloads and their safety headers,
//! thumbnails and previews, EXIF orientation, every limit, the permission rule, attachment to
//! posts, deletion and cleanup.

use std::io::Cursor;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, Resp, TestServer};

struct Setup {
    s: TestServer,
    alice: String,
    bob: String,
    carol: String,
    channel: String,
}

async fn setup(s: TestServer) -> Setup {
    let (_, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let carol_id = s.create_user(&alice, "carol").await;
    let (bob, carol) = (s.login("bob").await, s.login("carol").await);
    let team_id = s.team(&alice, "filehub").await;
    s.join_team(&alice, &team_id, &[&bob_id, &carol_id]).await;
    let channel = s.channel(&alice, &team_id, "vault", "P").await;
    s.post(
        &format!("/channels/{channel}/members"),
        &alice,
        json!({"user_id": bob_id}),
    )
    .await
    .expect(StatusCode::CREATED);
    Setup {
        s,
        alice,
        bob,
        carol,
        channel,
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6).
fn rotated_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let jpeg = out.into_inner();
    let tiff: [u8; 34] = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation, SHORT, 1, value 6
        0, 0, 0, 0, // no next IFD
        0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut app1 = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&app1);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that claims to be 100,000 × 100,000 pixels: decoding it would need 30 GB.
fn png_bomb() -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A token compressed stream: decoders read the header up to the first IDAT.
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&idat);
    out.extend_from_slice(&crc32(&idat).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    out
}

impl Setup {
    async fn upload(&self, token: &str, files: &[(&str, Vec<u8>)], client_ids: &[&str]) -> Resp {
        let mut form = reqwest::multipart::Form::new().text("channel_id", self.channel.clone());
        for c in client_ids {
            form = form.text("client_ids", c.to_string());
        }
        for (name, data) in files {
            form = form.part(
                "files",
                reqwest::multipart::Part::bytes(data.clone()).file_name(name.to_string()),
            );
        }
        let r = self
            .s
            .http
            .post(self.s.url("/files"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        Resp::from(r).await
    }

    async fn raw(&self, token: &str, path: &str) -> reqwest::Response {
        self.s
            .http
            .get(self.s.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

both!(
    upload_read_attach_and_delete,
    |backend: Backend| async move {
        let t = setup(TestServer::start(backend).await).await;
        let picture = png(300, 200);
        let r = t
            .upload(&t.alice, &[("chart.png", picture.clone())], &["client-1"])
            .await;
        r.expect(StatusCode::CREATED);
        assert_eq!(r.json["client_ids"], json!(["client-1"]));
        let info = r.json["file_infos"][0].clone();
        let fid = info["id"].as_str().unwrap().to_owned();
        assert_eq!(fid.len(), 26);
        assert_eq!(info["name"], "chart.png");
        assert_eq!(info["extension"], "png");
        assert_eq!(info["mime_type"], "image/png");
        assert_eq!(info["size"], picture.len());
        assert_eq!(
            (info["width"].as_i64(), info["height"].as_i64()),
            (Some(300), Some(200))
        );
        assert_eq!(info["has_preview_image"], true);
        assert_eq!(info["post_id"], "");
        assert_eq!(info["channel_id"], t.channel.as_str());
        assert!(info["mini_preview"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(info.get("path").is_none(), "storage paths stay private");

        // The uploader reads it back, byte for byte, inline (a safe image).
        let got = t.raw(&t.alice, &format!("/files/{fid}")).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(header(&got, "content-type"), "image/png");
        assert!(header(&got, "content-disposition").starts_with("inline"));
        assert_eq!(header(&got, "x-content-type-options"), "nosniff");
        assert_eq!(got.bytes().await.unwrap().to_vec(), picture);
        let dl = t.raw(&t.alice, &format!("/files/{fid}?download=1")).await;
        assert!(header(&dl, "content-disposition").starts_with("attachment"));

        // Thumbnail (fits 120×100) and preview (full size here), both JPEG.
        let thumb = t.raw(&t.alice, &format!("/files/{fid}/thumbnail")).await;
        assert_eq!(header(&thumb, "content-type"), "image/jpeg");
        let img = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
        assert!(
            img.width() <= 120 && img.height() <= 100,
            "{}x{}",
            img.width(),
            img.height()
        );
        assert_eq!(img.width(), 120);
        let prev = t.raw(&t.alice, &format!("/files/{fid}/preview")).await;
        let img = image::load_from_memory(&prev.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (300, 200));

        // Unattached, it is the uploader's alone.
        t.s.get(&format!("/files/{fid}/info"), &t.bob)
            .await
            .expect(StatusCode::FORBIDDEN);

        // Attached to a post: channel members read it, others don't.
        let post =
            t.s.post(
                "/posts",
                &t.alice,
                json!({"channel_id": t.channel, "message": "see chart", "file_ids": [fid]}),
            )
            .await;
        post.expect(StatusCode::CREATED);
        let pid = post.json["id"].as_str().unwrap().to_owned();
        assert_eq!(post.json["file_ids"], json!([fid]));
        assert_eq!(post.json["metadata"]["files"][0]["id"], fid.as_str());
        let page =
            t.s.get(&format!("/channels/{}/posts", t.channel), &t.bob)
                .await;
        assert_eq!(
            page.json["posts"][&pid]["metadata"]["files"][0]["name"],
            "chart.png"
        );
        let infos = t.s.get(&format!("/posts/{pid}/files/info"), &t.bob).await;
        infos.expect(StatusCode::OK);
        assert_eq!(infos.json[0]["id"], fid.as_str());
        assert_eq!(infos.json[0]["post_id"], pid.as_str());
        let as_bob = t.raw(&t.bob, &format!("/files/{fid}")).await;
        assert_eq!(as_bob.status(), StatusCode::OK);
        let as_carol = t.raw(&t.carol, &format!("/files/{fid}")).await;
        assert_eq!(as_carol.status(), StatusCode::FORBIDDEN);
        t.s.get(&format!("/posts/{pid}/files/info"), &t.carol)
            .await
            .expect(StatusCode::FORBIDDEN);

        // A file attaches once, and only by its uploader.
        let again =
            t.s.post(
                "/posts",
                &t.alice,
                json!({"channel_id": t.channel, "message": "again", "file_ids": [fid]}),
            )
            .await;
        again.expect_error(
            StatusCode::BAD_REQUEST,
            "api.post.create_post.file_ids.app_error",
        );
        let mine = t
            .upload(&t.alice, &[("a.txt", b"hello".to_vec())], &[])
            .await;
        let mine_id = mine.json["file_infos"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        t.s.post(
            "/posts",
            &t.bob,
            json!({"channel_id": t.channel, "message": "stolen", "file_ids": [mine_id]}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.post.create_post.file_ids.app_error",
        );

        // Non-members cannot upload into the channel.
        t.upload(&t.carol, &[("x.txt", b"x".to_vec())], &[])
            .await
            .expect(StatusCode::FORBIDDEN);

        // File search finds attached files by (partial) name, in channels the searcher is in.
        let team_id =
            t.s.get(&format!("/channels/{}", t.channel), &t.alice)
                .await
                .json["team_id"]
                .as_str()
                .unwrap()
                .to_owned();
        let found =
            t.s.post(
                &format!("/teams/{team_id}/files/search"),
                &t.bob,
                json!({"terms": "CHAR"}),
            )
            .await;
        found.expect(StatusCode::OK);
        assert_eq!(found.json["order"], json!([fid]));
        assert_eq!(found.json["file_infos"][&fid]["name"], "chart.png");
        let unattached =
            t.s.post(
                &format!("/teams/{team_id}/files/search"),
                &t.alice,
                json!({"terms": "a.txt"}),
            )
            .await;
        assert_eq!(unattached.json["order"], json!([]));
        let outsider =
            t.s.post(
                &format!("/teams/{team_id}/files/search"),
                &t.carol,
                json!({"terms": "chart"}),
            )
            .await;
        assert_eq!(outsider.json["order"], json!([]));

        // Public links are off by default.
        t.s.get(&format!("/files/{fid}/link"), &t.alice)
            .await
            .expect_error(
                StatusCode::NOT_IMPLEMENTED,
                "api.file.get_public_link.disabled.app_error",
            );

        // Deleting the post takes its files with it.
        t.s.call(
            Method::DELETE,
            &format!("/posts/{pid}"),
            Some(&t.alice),
            None,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            t.raw(&t.alice, &format!("/files/{fid}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
);

both!(
    downloads_are_safe_and_limits_hold,
    |backend: Backend| async move {
        let t = setup(
            TestServer::start_with(backend, |c| {
                c.files.max_file_size = 64 * 1024;
                c.files.cleanup_after_secs = 0;
            })
            .await,
        )
        .await;

        // Raw-body upload with the name in the query.
        let r =
            t.s.http
                .post(t.s.url(&format!(
                    "/files?channel_id={}&filename=notes.txt",
                    t.channel
                )))
                .bearer_auth(&t.alice)
                .body("plain notes")
                .send()
                .await
                .unwrap();
        let r = Resp::from(r).await;
        r.expect(StatusCode::CREATED);
        assert_eq!(r.json["file_infos"][0]["mime_type"], "text/plain");

        // HTML, SVG and a fake image never render inline from our origin.
        let up = t
            .upload(
                &t.alice,
                &[
                    ("evil.html", b"<script>alert(1)</script>".to_vec()),
                    ("logo.svg", b"<svg onload=alert(1)></svg>".to_vec()),
                    ("fake.png", b"not a png at all".to_vec()),
                ],
                &[],
            )
            .await;
        up.expect(StatusCode::CREATED);
        for f in up.json["file_infos"].as_array().unwrap() {
            assert_eq!(f["has_preview_image"], false, "{f}");
            let got = t
                .raw(&t.alice, &format!("/files/{}", f["id"].as_str().unwrap()))
                .await;
            assert_eq!(
                header(&got, "content-type"),
                "application/octet-stream",
                "{f}"
            );
            assert!(
                header(&got, "content-disposition").starts_with("attachment"),
                "{f}"
            );
            assert_eq!(header(&got, "x-content-type-options"), "nosniff");
            assert!(header(&got, "content-security-policy").contains("sandbox"));
            let thumb =
                t.s.get(
                    &format!("/files/{}/thumbnail", f["id"].as_str().unwrap()),
                    &t.alice,
                )
                .await;
            thumb.expect_error(
                StatusCode::BAD_REQUEST,
                "api.file.get_file_thumbnail.no_thumbnail.app_error",
            );
        }

        // Path tricks in names are dropped.
        let up = t
            .upload(&t.alice, &[("../../etc/passwd", b"root:x".to_vec())], &[])
            .await;
        assert_eq!(up.json["file_infos"][0]["name"], "passwd");

        // EXIF orientation is applied: a 40×20 photo shot sideways is 20×40.
        let up = t
            .upload(&t.alice, &[("photo.jpg", rotated_jpeg(40, 20))], &[])
            .await;
        up.expect(StatusCode::CREATED);
        let info = &up.json["file_infos"][0];
        assert_eq!(
            (info["width"].as_i64(), info["height"].as_i64()),
            (Some(20), Some(40))
        );

        // Limits: size, count, pixels, empty, unknown fields, client ids.
        t.upload(&t.alice, &[("big.bin", vec![7u8; 100 * 1024])], &[])
            .await
            .expect_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "api.file.upload_file.too_large_detailed.app_error",
            );
        let many: Vec<(&str, Vec<u8>)> = (0..11).map(|_| ("n.txt", b"n".to_vec())).collect();
        t.upload(&t.alice, &many, &[]).await.expect_error(
            StatusCode::BAD_REQUEST,
            "api.file.upload_file.too_many_files.app_error",
        );
        t.upload(&t.alice, &[("bomb.png", png_bomb())], &[])
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "api.file.upload_file.large_image.app_error",
            );
        t.upload(&t.alice, &[("empty.txt", Vec::new())], &[])
            .await
            .expect(StatusCode::BAD_REQUEST);
        t.upload(
            &t.alice,
            &[("a.txt", b"a".to_vec()), ("b.txt", b"b".to_vec())],
            &["only-one"],
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.file.upload_file.incorrect_number_of_client_ids.app_error",
        );
        let form = reqwest::multipart::Form::new()
            .text("channel_id", t.channel.clone())
            .text("surprise", "x")
            .part(
                "files",
                reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
            );
        let r =
            t.s.http
                .post(t.s.url("/files"))
                .bearer_auth(&t.alice)
                .multipart(form)
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // A post may carry at most 10 files.
        let ids: Vec<Value> = (0..11).map(|_| json!(conclave_model::new_id())).collect();
        t.s.post(
            "/posts",
            &t.alice,
            json!({"channel_id": t.channel, "message": "m", "file_ids": ids}),
        )
        .await
        .expect(StatusCode::BAD_REQUEST);

        // Cleanup removes unattached uploads (the window is 0 s here) and their bytes.
        let files_dir = t.s.app.config().data_dir.join("files");
        let count_files = |dir: &std::path::Path| -> usize {
            fn walk(d: &std::path::Path) -> usize {
                std::fs::read_dir(d)
                    .map(|rd| {
                        rd.flatten()
                            .map(|e| {
                                let p = e.path();
                                if p.is_dir() { walk(&p) } else { 1 }
                            })
                            .sum()
                    })
                    .unwrap_or(0)
            }
            walk(dir)
        };
        assert!(count_files(&files_dir) > 0);
        let removed = t.s.app.clean_up_files().await.unwrap();
        assert_eq!(removed, 6, "every upload above that was stored");
        assert_eq!(count_files(&files_dir), 0);
    }
);

/// The S3-compatible server `tests/with-s3.sh` starts (moto). Missing means the suite was not
/// run the way `make test` runs it: a failure, never a skip.
fn s3_url() -> String {
    std::env::var("CONCLAVE_TEST_S3_URL").unwrap_or_else(|_| {
        panic!("CONCLAVE_TEST_S3_URL is not set: run the tests through `bash tests/with-s3.sh` (make test does)")
    })
}

/// Keys in a bucket, by listing it over plain HTTP (the S3 server accepts unsigned requests).
async fn bucket_keys(bucket: &str) -> Vec<String> {
    let body = reqwest::get(format!("{}/{bucket}?list-type=2", s3_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.split("<Key>")
        .skip(1)
        .map(|s| s.split("</Key>").next().unwrap().to_owned())
        .collect()
}

both!(files_on_s3, |backend: Backend| async move {
    let bucket = format!("conclave-{}", conclave_model::new_id());
    let made = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3_url()))
        .send()
        .await
        .expect("the S3 test server must be reachable");
    assert!(
        made.status().is_success(),
        "creating bucket: {}",
        made.status()
    );
    let t = setup(
        TestServer::start_with(backend, |c| {
            c.files.driver = "s3".into();
            c.files.s3_endpoint = s3_url();
            c.files.s3_bucket = bucket.clone();
            c.files.s3_access_key_id = "test".into();
            c.files.s3_secret_access_key = "test".into();
            c.files.s3_allow_http = true;
            c.files.s3_path_style = true;
            c.files.cleanup_after_secs = 0;
        })
        .await,
    )
    .await;
    let picture = png(640, 480);
    let up = t
        .upload(&t.alice, &[("s3.png", picture.clone())], &[])
        .await;
    up.expect(StatusCode::CREATED);
    let fid = up.json["file_infos"][0]["id"].as_str().unwrap().to_owned();
    // Original, thumbnail and preview are objects in the bucket, under the file's id.
    let keys = bucket_keys(&bucket).await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k.contains(&fid)), "{keys:?}");
    let got = t.raw(&t.alice, &format!("/files/{fid}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().to_vec(), picture);
    let thumb = t.raw(&t.alice, &format!("/files/{fid}/thumbnail")).await;
    let img = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (120, 90));
    let post =
        t.s.post(
            "/posts",
            &t.alice,
            json!({"channel_id": t.channel, "message": "on s3", "file_ids": [fid]}),
        )
        .await;
    post.expect(StatusCode::CREATED);
    assert_eq!(
        t.raw(&t.bob, &format!("/files/{fid}")).await.status(),
        StatusCode::OK
    );
    // Deleted with its post, then cleaned out of the bucket.
    let pid = post.json["id"].as_str().unwrap().to_owned();
    t.s.call(
        Method::DELETE,
        &format!("/posts/{pid}"),
        Some(&t.alice),
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(t.s.app.clean_up_files().await.unwrap(), 1);
    assert!(bucket_keys(&bucket).await.is_empty());
});

both!(public_links_are_signed, |backend: Backend| async move {
    let t = setup(
        TestServer::start_with(backend, |c| {
            c.files.enable_public_links = true;
            c.site_url = "http://chat.example.com".into();
        })
        .await,
    )
    .await;
    let up = t
        .upload(&t.alice, &[("share.txt", b"shared".to_vec())], &[])
        .await;
    let fid = up.json["file_infos"][0]["id"].as_str().unwrap().to_owned();
    // Only attached files can be shared.
    t.s.get(&format!("/files/{fid}/link"), &t.alice)
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.file.get_public_link.no_post.app_error",
        );
    t.s.post(
        "/posts",
        &t.alice,
        json!({"channel_id": t.channel, "message": "shared", "file_ids": [fid]}),
    )
    .await
    .expect(StatusCode::CREATED);
    let link = t.s.get(&format!("/files/{fid}/link"), &t.alice).await;
    link.expect(StatusCode::OK);
    let url = link.json["link"].as_str().unwrap().to_owned();
    let path = url
        .strip_prefix("http://chat.example.com")
        .expect("absolute, on the site URL");
    assert!(path.starts_with(&format!("/files/{fid}/public?h=")));
    // Anyone with the link, no session needed.
    let got = reqwest::get(format!("{}{path}", t.s.base)).await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(
        header(&got, "content-disposition").split(';').next(),
        Some("attachment")
    );
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"shared");
    // A forged or altered signature gets nothing.
    let forged = reqwest::get(format!("{}/files/{fid}/public?h=AAAA", t.s.base))
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let other = t
        .upload(&t.alice, &[("other.txt", b"other".to_vec())], &[])
        .await;
    let other_id = other.json["file_infos"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let h = path.split("h=").nth(1).unwrap();
    let reused = reqwest::get(format!("{}/files/{other_id}/public?h={h}", t.s.base))
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
});
