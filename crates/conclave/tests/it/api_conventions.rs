//! Mattermost's wire conventions: headers, error shape, ids, limits, routing quirks.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::{Backend, TestServer};

fn is_id(v: &serde_json::Value) -> bool {
    v.as_str().is_some_and(conclave_model::is_valid_id)
}

both!(ping_and_standard_headers, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let r = s
        .call(Method::GET, "/system/ping?time=123", None, None)
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json["status"], "OK");
    assert_eq!(r.json["ActiveSearchBackend"], "database");
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(r.header("expires").as_deref(), Some("0"));
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(conclave_model::is_valid_id(
        &r.header("x-request-id").unwrap()
    ));
    let version = r.header("x-version-id").unwrap();
    assert!(version.starts_with("10.11.0."), "{version}");
    assert!(version.ends_with(".false"), "{version}");
    assert_eq!(
        version.split('.').count(),
        6,
        "version.build.hash.licensed: {version}"
    );

    let r = s
        .call(
            Method::GET,
            "/system/ping?get_server_status=true&device_id=abc",
            None,
            None,
        )
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json["database_status"], "OK");
    assert_eq!(r.json["filestore_status"], "OK");
    assert_eq!(r.json["CanReceiveNotifications"], "false");
    s.stop().await;
});

both!(client_config_and_license, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let anon = s
        .call(Method::GET, "/config/client?format=old", None, None)
        .await;
    anon.expect(StatusCode::OK);
    let diagnostic = anon.json["DiagnosticId"].as_str().unwrap().to_owned();
    assert!(conclave_model::is_valid_id(&diagnostic));
    assert_eq!(anon.json["Version"], "10.11.0");
    assert_eq!(anon.json["SiteName"], "Conclave");
    assert_eq!(anon.json["EnableSignInWithEmail"], "true");
    assert_eq!(anon.json["EnableSignInWithUsername"], "true");
    assert!(
        anon.json.get("EnableUserAccessTokens").is_none(),
        "anonymous callers get the login subset"
    );
    assert!(
        anon.json
            .as_object()
            .unwrap()
            .values()
            .all(|v| v.is_string()),
        "all values are strings"
    );

    let (_, token) = s.admin().await;
    let full = s.get("/config/client?format=old", &token).await;
    full.expect(StatusCode::OK);
    assert_eq!(full.json["EnableUserAccessTokens"], "true");
    assert_eq!(full.json["DiagnosticId"], diagnostic.as_str());
    // A stale token does not break the anonymous config.
    let stale = s
        .get("/config/client?format=old", "abcdefghijklmnopqrstuvwxyz")
        .await;
    stale.expect(StatusCode::OK);
    assert_eq!(stale.json["DiagnosticId"], diagnostic.as_str());

    let lic = s
        .call(Method::GET, "/license/client?format=old", None, None)
        .await;
    lic.expect(StatusCode::OK);
    assert_eq!(lic.json, json!({"IsLicensed": "false"}));
    let plugins = s.call(Method::GET, "/plugins/webapp", None, None).await;
    assert_eq!(plugins.json, json!([]));

    s.stop().await;
});

both!(
    unknown_routes_and_methods_answer_json,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        s.call(Method::GET, "/no/such/route", None, None)
            .await
            .expect_error(StatusCode::NOT_FOUND, "api.context.404.app_error");
        s.call(Method::DELETE, "/system/ping", None, None)
            .await
            .expect_error(StatusCode::METHOD_NOT_ALLOWED, "api.context.405.app_error");
        // Doubled slashes (the Python driver writes `//reactions`) route normally.
        s.call(Method::GET, "//system//ping", None, None)
            .await
            .expect(StatusCode::OK);
        // GET with a JSON `{}` body, as `requests`-based drivers send.
        let r = s
            .http
            .get(s.url("/system/ping"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // The web root answers HEAD and GET (mobile apps probe it) with HTML.
        let root = s.http.head(&s.base).send().await.unwrap();
        assert_eq!(root.status(), StatusCode::OK);
        let page = s
            .http
            .get(format!("{}/some/client/route", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.headers().contains_key("content-security-policy"));
        s.stop().await;
    }
);

both!(
    bad_input_is_refused_and_changes_nothing,
    |backend: Backend| async move {
        let s = TestServer::start_with(backend, |c| c.limits.max_body_bytes = 4096).await;
        let (admin_id, token) = s.admin().await;
        let count = || async { s.app.store().users().count().await.unwrap() };
        assert_eq!(count().await, 1);

        let raw = |body: &'static str| {
            s.http
                .post(s.url("/users"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let r = crate::support::Resp::from(raw("{not json").await.unwrap()).await;
        r.expect_error(
            StatusCode::BAD_REQUEST,
            "api.context.invalid_body_param.app_error",
        );
        let r = crate::support::Resp::from(raw(r#"{"username": 5}"#).await.unwrap()).await;
        r.expect_error(
            StatusCode::BAD_REQUEST,
            "api.context.invalid_body_param.app_error",
        );
        let r = crate::support::Resp::from(raw("42").await.unwrap()).await;
        r.expect_error(
            StatusCode::BAD_REQUEST,
            "api.context.invalid_body_param.app_error",
        );

        let big =
            json!({"username": "big", "email": "big@example.com", "password": "x".repeat(5000)});
        s.post("/users", &token, big).await.expect_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "api.context.request_body_too_large.app_error",
        );

        let cases = [
            (
                json!({"username": "Bad Name", "email": "a@b.c", "password": "long-enough"}),
                "model.user.is_valid.username.app_error",
            ),
            (
                json!({"username": "all", "email": "a@b.c", "password": "long-enough"}),
                "model.user.is_valid.username.app_error",
            ),
            (
                json!({"username": "okname", "email": "not-an-email", "password": "long-enough"}),
                "model.user.is_valid.email.app_error",
            ),
            (
                json!({"username": "okname", "email": "a@b.c", "password": "short"}),
                "model.user.is_valid.pwd.app_error",
            ),
            (
                json!({"username": "okname", "email": "a@b.c", "password": "x".repeat(73)}),
                "model.user.is_valid.pwd.app_error",
            ),
            (
                json!({"username": "okname", "email": "a@b.c", "password": "long-enough", "nickname": "n".repeat(65)}),
                "model.user.is_valid.nickname.app_error",
            ),
            (
                json!({"username": "admin", "email": "new@example.com", "password": "long-enough"}),
                "app.user.save.username_exists.app_error",
            ),
            (
                json!({"username": "newname", "email": "ADMIN@example.com", "password": "long-enough"}),
                "app.user.save.email_exists.app_error",
            ),
        ];
        for (body, id) in cases {
            s.post("/users", &token, body)
                .await
                .expect_error(StatusCode::BAD_REQUEST, id);
        }
        assert_eq!(count().await, 1, "no refused request wrote a user");

        s.get("/users/not-an-id", &token).await.expect_error(
            StatusCode::BAD_REQUEST,
            "api.context.invalid_param.app_error",
        );
        s.get(&format!("/users/{}", "a".repeat(26)), &token)
            .await
            .expect_error(StatusCode::NOT_FOUND, "app.user.missing_account.const");
        s.get("/users?page=abc", &token).await.expect_error(
            StatusCode::BAD_REQUEST,
            "api.context.invalid_param.app_error",
        );
        s.post("/users/ids", &token, json!(["bad id"]))
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "api.context.invalid_param.app_error",
            );
        s.put(
            &format!("/users/{admin_id}/roles"),
            &token,
            json!({"roles": "system_user root"}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.user.update_user_roles.invalid_roles",
        );
        let long_url = format!("/system/ping?pad={}", "x".repeat(9000));
        s.call(Method::GET, &long_url, None, None)
            .await
            .expect_error(
                StatusCode::URI_TOO_LONG,
                "api.context.url_too_long.app_error",
            );
        s.stop().await;
    }
);

both!(
    ids_and_timestamps_have_mattermost_shapes,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let before = conclave_model::now_ms();
        let r = s.signup("first").await;
        r.expect(StatusCode::CREATED);
        assert!(is_id(&r.json["id"]));
        let create_at = r.json["create_at"].as_i64().unwrap();
        assert!(
            create_at >= before && create_at < before + 60_000,
            "milliseconds: {create_at}"
        );
        assert_eq!(r.json["delete_at"], 0);
        assert!(r.json.get("password").is_none() && r.json.get("password_hash").is_none());
        assert!(r.json.get("mfa_secret").is_none());
        assert_eq!(r.json["auth_data"], "");
        assert_eq!(r.json["notify_props"]["desktop"], "mention");
        assert_eq!(r.json["timezone"]["useAutomaticTimezone"], "true");
        s.stop().await;
    }
);
