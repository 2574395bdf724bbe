//! Security baseline: token sources, CSRF, lockout, rate limits, MFA enforcement, audit.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::{Backend, PASSWORD, Resp, TestServer};

/// Logs in as a browser does and returns (token, csrf) from the cookies.
async fn browser_login(s: &TestServer, login_id: &str) -> (String, String) {
    let r = s
        .http
        .post(s.url("/users/login"))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&json!({"login_id": login_id, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = |name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find_map(|c| {
                c.strip_prefix(&format!("{name}="))
                    .map(|rest| rest.split(';').next().unwrap().to_owned())
            })
            .unwrap()
    };
    (cookie("MMAUTHTOKEN"), cookie("MMCSRF"))
}

both!(
    token_sources_in_mattermost_order,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let (admin_id, admin) = s.admin().await;
        let bob_id = s.create_user(&admin, "bob").await;
        let bob = s.login("bob").await;
        let me = |req: reqwest::RequestBuilder| async move {
            Resp::from(req.send().await.unwrap()).await
        };

        // Bearer in any case, and the legacy Token scheme.
        for scheme in ["Bearer", "BEARER", "bearer", "Token"] {
            let r = me(s
                .http
                .get(s.url("/users/me"))
                .header("Authorization", format!("{scheme} {bob}")))
            .await;
            assert_eq!(r.json["id"], bob_id.as_str(), "{scheme}");
        }
        // The cookie wins over the header.
        let r = me(s
            .http
            .get(s.url("/users/me"))
            .header("Cookie", format!("MMAUTHTOKEN={admin}"))
            .bearer_auth(&bob))
        .await;
        assert_eq!(r.json["id"], admin_id.as_str());
        // A session token in the query string is refused.
        let r = me(s.http.get(s.url(&format!("/users/me?access_token={bob}")))).await;
        r.expect_error(
            StatusCode::UNAUTHORIZED,
            "api.context.token_provided.app_error",
        );
        // No token, garbage token, unknown well-formed token.
        me(s.http.get(s.url("/users/me"))).await.expect_error(
            StatusCode::UNAUTHORIZED,
            "api.context.session_expired.app_error",
        );
        me(s.http.get(s.url("/users/me")).bearer_auth("../../etc"))
            .await
            .expect(StatusCode::UNAUTHORIZED);
        me(s.http.get(s.url("/users/me")).bearer_auth("a".repeat(26)))
            .await
            .expect(StatusCode::UNAUTHORIZED);
        s.stop().await;
    }
);

both!(
    csrf_rules_for_cookie_sessions,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        s.admin().await;
        let (token, csrf) = browser_login(&s, "admin").await;
        let patch = |headers: Vec<(&'static str, String)>| {
            let mut req = s
                .http
                .put(s.url("/users/me/patch"))
                .header("Cookie", format!("MMAUTHTOKEN={token}"));
            for (k, v) in headers {
                req = req.header(k, v);
            }
            async move { Resp::from(req.json(&json!({"nickname": "n"})).send().await.unwrap()).await }
        };
        // Reads never need CSRF.
        let r = Resp::from(
            s.http
                .get(s.url("/users/me"))
                .header("Cookie", format!("MMAUTHTOKEN={token}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.expect(StatusCode::OK);
        patch(vec![]).await.expect_error(
            StatusCode::UNAUTHORIZED,
            "api.context.session_expired.app_error",
        );
        patch(vec![("X-CSRF-Token", "wrong".into())])
            .await
            .expect(StatusCode::UNAUTHORIZED);
        patch(vec![("X-CSRF-Token", csrf.clone())])
            .await
            .expect(StatusCode::OK);
        patch(vec![("X-Requested-With", "XMLHttpRequest".into())])
            .await
            .expect(StatusCode::OK);
        // Header tokens are never CSRF-checked.
        s.put("/users/me/patch", &token, json!({"nickname": "m"}))
            .await
            .expect(StatusCode::OK);
        s.stop().await;

        let strict =
            TestServer::start_with(backend, |c| c.auth.strict_csrf_enforcement = true).await;
        strict.admin().await;
        let (token, csrf) = browser_login(&strict, "admin").await;
        let send = |h: (&'static str, String)| {
            let req = strict
                .http
                .put(strict.url("/users/me/patch"))
                .header("Cookie", format!("MMAUTHTOKEN={token}"))
                .header(h.0, h.1);
            async move { Resp::from(req.json(&json!({"nickname": "n"})).send().await.unwrap()).await }
        };
        send(("X-Requested-With", "XMLHttpRequest".into()))
            .await
            .expect(StatusCode::UNAUTHORIZED);
        send(("X-CSRF-Token", csrf)).await.expect(StatusCode::OK);
        strict.stop().await;
    }
);

both!(
    lockout_after_failed_attempts,
    |backend: Backend| async move {
        let s = TestServer::start_with(backend, |c| c.auth.maximum_login_attempts = 3).await;
        let (_, admin) = s.admin().await;
        let hal_id = s.create_user(&admin, "hal").await;
        let attempt = |password: &'static str| {
            s.call(
                Method::POST,
                "/users/login",
                None,
                Some(json!({"login_id": "hal", "password": password})),
            )
        };
        for _ in 0..3 {
            attempt("wrong").await.expect_error(
                StatusCode::UNAUTHORIZED,
                "api.user.login.invalid_credentials_email_username",
            );
        }
        // Locked: even the right password is refused, with no time window.
        attempt(PASSWORD).await.expect_error(
            StatusCode::UNAUTHORIZED,
            "api.user.check_user_login_attempts.too_many.app_error",
        );
        assert_eq!(
            s.get(&format!("/users/{hal_id}"), &admin).await.json["failed_attempts"],
            3
        );
        // Only an admin can unlock.
        let ivy_id = s.create_user(&admin, "ivy").await;
        let ivy = s.login("ivy").await;
        s.post(
            &format!("/users/{hal_id}/reset_failed_attempts"),
            &ivy,
            json!({}),
        )
        .await
        .expect(StatusCode::FORBIDDEN);
        s.post(
            &format!("/users/{hal_id}/reset_failed_attempts"),
            &admin,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
        attempt(PASSWORD).await.expect(StatusCode::OK);
        let _ = ivy_id;
        // Every failure and the success are in the audit trail.
        let audits = s
            .app
            .store()
            .audits()
            .list_for_user(&hal_id, 50)
            .await
            .unwrap();
        let actions: Vec<&str> = audits.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "login_failure_password")
                .count(),
            3
        );
        assert!(
            actions.contains(&"login_failure_locked")
                && actions.contains(&"failed_attempts_reset")
                && actions.contains(&"login")
        );
        assert!(
            audits.iter().all(|a| !a.extra_info.contains(PASSWORD)),
            "no secret in the audit trail"
        );
        s.stop().await;
    }
);

both!(rate_limits_per_address, |backend: Backend| async move {
    let s = TestServer::start_with(backend, |c| {
        c.rate_limit.enable = true;
        c.rate_limit.per_second = 1;
        c.rate_limit.max_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let r = s.call(Method::GET, "/system/ping", None, None).await;
        statuses.push(r.status.as_u16());
        last = Some(r);
    }
    // A burst of 3 then refusals (refill is 1/s; a slow machine may refill one).
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    let r = last.unwrap();
    if r.status == StatusCode::TOO_MANY_REQUESTS {
        assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("1"));
        assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
        assert!(r.header("retry-after").is_some());
    }
    s.stop().await;
});

both!(per_user_rate_limit, |backend: Backend| async move {
    let s = TestServer::start_with(backend, |c| {
        c.rate_limit.enable = true;
        c.rate_limit.per_second = 1;
        c.rate_limit.max_burst = 30;
    })
    .await;
    let (_, token) = s.admin().await;
    let mut limited = false;
    for _ in 0..40 {
        let r = s.get("/users/me", &token).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "a user hammering the API is limited");
    s.stop().await;
});

both!(
    mfa_enforcement_gates_everything_but_setup,
    |backend: Backend| async move {
        let s = TestServer::start_with(backend, |c| {
            c.auth.enforce_multifactor_authentication = true
        })
        .await;
        let (_, admin) = s.admin().await;
        s.get("/users/me", &admin).await.expect(StatusCode::OK);
        s.get("/users", &admin)
            .await
            .expect_error(StatusCode::FORBIDDEN, "api.context.mfa_required.app_error");
        let generated = s.post("/users/me/mfa/generate", &admin, json!({})).await;
        generated.expect(StatusCode::OK);
        let secret = generated.json["secret"].as_str().unwrap();
        let raw = conclave_core::totp::base32_decode(secret).unwrap();
        let code = format!(
            "{:06}",
            conclave_core::totp::code_at(&raw, (conclave_model::now_ms() / 30_000) as u64)
        );
        s.put(
            "/users/me/mfa",
            &admin,
            json!({"activate": true, "code": code}),
        )
        .await
        .expect(StatusCode::OK);
        s.get("/users", &admin).await.expect(StatusCode::OK);
        s.put("/users/me/mfa", &admin, json!({"activate": false}))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "api.user.update_mfa.enforced");
        s.stop().await;
    }
);

both!(
    plain_users_cannot_use_admin_endpoints,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let (admin_id, admin) = s.admin().await;
        s.create_user(&admin, "joe").await;
        let joe = s.login("joe").await;
        let forbidden = [
            (
                Method::PUT,
                format!("/users/{admin_id}/roles"),
                json!({"roles": "system_user"}),
            ),
            (
                Method::PUT,
                format!("/users/{admin_id}/active"),
                json!({"active": false}),
            ),
            (
                Method::PUT,
                format!("/users/{admin_id}/password"),
                json!({"new_password": "hijacked-pass"}),
            ),
            (
                Method::PUT,
                format!("/users/{admin_id}/patch"),
                json!({"email": "joe2@example.com"}),
            ),
            (
                Method::GET,
                format!("/users/{admin_id}/sessions"),
                json!({}),
            ),
            (
                Method::POST,
                format!("/users/{admin_id}/sessions/revoke/all"),
                json!({}),
            ),
            (
                Method::POST,
                format!("/users/{admin_id}/tokens"),
                json!({"description": "x"}),
            ),
            (
                Method::POST,
                format!("/users/{admin_id}/reset_failed_attempts"),
                json!({}),
            ),
            (Method::DELETE, format!("/users/{admin_id}"), json!({})),
        ];
        for (method, path, body) in forbidden {
            let r = s.call(method.clone(), &path, Some(&joe), Some(body)).await;
            r.expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
        }
        // Nothing changed: the admin can still log in and act.
        s.login("admin").await;
        s.get("/users/me", &admin).await.expect(StatusCode::OK);
        s.stop().await;
    }
);
