//! Accounts over the API: sign-up, login, profiles, sessions, tokens, MFA.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, PASSWORD, TestServer, user_body};

fn totp_now(secret: &str) -> String {
    let raw = conclave_core::totp::base32_decode(secret).unwrap();
    let step = (conclave_model::now_ms() / 1000 / 30) as u64;
    format!("{:06}", conclave_core::totp::code_at(&raw, step))
}

both!(signup_rules, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let first = s.signup("founder").await;
    first.expect(StatusCode::CREATED);
    assert_eq!(first.json["roles"], "system_admin system_user");
    // Open sign-up is off after the first user.
    s.signup("stranger")
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.user.create_user.no_open_server");
    // An admin can always create users; they are plain users.
    let token = s.login("founder").await;
    let r = s.post("/users", &token, user_body("hired")).await;
    r.expect(StatusCode::CREATED);
    assert_eq!(r.json["roles"], "system_user");
    // A plain user cannot create users when sign-up is closed.
    let hired = s.login("hired").await;
    s.post("/users", &hired, user_body("friend"))
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.user.create_user.no_open_server");
    s.stop().await;

    let open = TestServer::start_with(backend, |c| c.auth.enable_open_server = true).await;
    open.signup("one").await.expect(StatusCode::CREATED);
    let two = open.signup("two").await;
    two.expect(StatusCode::CREATED);
    assert_eq!(two.json["roles"], "system_user");
    open.stop().await;
});

both!(login_by_username_or_email, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (admin_id, _) = s.admin().await;
    for login_id in ["admin", "ADMIN", "admin@example.com", " Admin@Example.com "] {
        let r = s
            .call(
                Method::POST,
                "/users/login",
                None,
                Some(json!({"login_id": login_id, "password": PASSWORD, "token": null})),
            )
            .await;
        r.expect(StatusCode::OK);
        assert_eq!(r.json["id"], admin_id.as_str());
        assert!(conclave_model::is_valid_id(&r.header("token").unwrap()));
        assert!(
            r.headers.get("set-cookie").is_none(),
            "no cookies without X-Requested-With"
        );
    }
    let by_id = s
        .call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"id": admin_id, "password": PASSWORD})),
        )
        .await;
    by_id.expect(StatusCode::OK);

    let r = s
        .call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "admin", "password": "wrong"})),
        )
        .await;
    r.expect_error(
        StatusCode::UNAUTHORIZED,
        "api.user.login.invalid_credentials_email_username",
    );
    let r = s
        .call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "nobody", "password": "wrong"})),
        )
        .await;
    r.expect_error(
        StatusCode::UNAUTHORIZED,
        "api.user.login.invalid_credentials_email_username",
    );
    let r = s
        .call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "admin", "password": ""})),
        )
        .await;
    r.expect_error(
        StatusCode::BAD_REQUEST,
        "api.user.login.blank_pwd.app_error",
    );

    // Browser logins get the three cookies.
    let r = s
        .http
        .post(s.url("/users/login"))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&json!({"login_id": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let token = r.headers()["token"].to_str().unwrap().to_owned();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("MMAUTHTOKEN={token};")) && c.contains("HttpOnly"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("MMUSERID={admin_id};")) && !c.contains("HttpOnly"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("MMCSRF=") && !c.contains("HttpOnly"))
    );
    s.stop().await;
});

both!(logout_ends_the_session, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (_, token) = s.admin().await;
    s.get("/users/me", &token).await.expect(StatusCode::OK);
    let r = s.post("/users/logout", &token, json!({})).await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json, json!({"status": "OK"}));
    let expired: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        expired
            .iter()
            .any(|c| c.starts_with("MMAUTHTOKEN=;") && c.contains("Max-Age=0"))
    );
    s.get("/users/me", &token).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "api.context.session_expired.app_error",
    );
    // Logging out without a session is still OK (clients call it blindly).
    s.call(Method::POST, "/users/logout", None, None)
        .await
        .expect(StatusCode::OK);
    s.stop().await;
});

both!(user_lookups_and_visibility, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (admin_id, admin) = s.admin().await;
    let bob_id = s.create_user(&admin, "bob").await;
    s.create_user(&admin, "bobby").await;
    let bob = s.login("bob").await;

    let me = s.get("/users/me", &bob).await;
    me.expect(StatusCode::OK);
    assert_eq!(me.json["id"], bob_id.as_str());
    assert_eq!(
        me.json["notify_props"]["push"], "mention",
        "own profile is complete"
    );

    let other = s.get(&format!("/users/{admin_id}"), &bob).await;
    other.expect(StatusCode::OK);
    assert_eq!(other.json["username"], "admin");
    assert!(
        other.json.get("notify_props").is_none(),
        "others' notify_props are hidden"
    );
    assert!(other.json.get("last_password_update").is_none());
    let as_admin = s.get(&format!("/users/{bob_id}"), &admin).await;
    assert_eq!(
        as_admin.json["notify_props"]["push"], "mention",
        "admins see everything"
    );

    assert_eq!(
        s.get("/users/username/BOB", &bob).await.json["id"],
        bob_id.as_str()
    );
    assert_eq!(
        s.get("/users/email/bob@example.com", &bob).await.json["id"],
        bob_id.as_str()
    );
    s.get("/users/username/nobody", &bob)
        .await
        .expect_error(StatusCode::NOT_FOUND, "app.user.missing_account.const");

    let ids = s.post("/users/ids", &bob, json!([admin_id, bob_id])).await;
    assert_eq!(ids.json.as_array().unwrap().len(), 2);
    let names = s
        .post("/users/usernames", &bob, json!(["admin", "nobody"]))
        .await;
    assert_eq!(names.json.as_array().unwrap().len(), 1);

    let page = s.get("/users?page=0&per_page=2", &bob).await;
    let usernames: Vec<&str> = page
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(usernames, ["admin", "bob"]);
    let page2 = s.get("/users?page=1&per_page=2", &bob).await;
    assert_eq!(page2.json[0]["username"], "bobby");

    let found = s.post("/users/search", &bob, json!({"term": "bob"})).await;
    assert_eq!(found.json.as_array().unwrap().len(), 2);

    // Team and channel filters: a team with admin and bob; bobby is on no team.
    let team = s
        .post(
            "/teams",
            &admin,
            json!({"name": "lookups", "display_name": "Lookups", "type": "O"}),
        )
        .await;
    let team_id = team.json["id"].as_str().unwrap().to_owned();
    s.post(
        &format!("/teams/{team_id}/members"),
        &admin,
        json!({"team_id": team_id, "user_id": bob_id}),
    )
    .await
    .expect(StatusCode::CREATED);
    let names_of = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let in_team = s
        .post(
            "/users/search",
            &bob,
            json!({"term": "bob", "team_id": team_id}),
        )
        .await;
    assert_eq!(names_of(&in_team.json), ["bob"]);
    let not_in_team = s
        .post(
            "/users/search",
            &bob,
            json!({"term": "bob", "not_in_team_id": team_id}),
        )
        .await;
    assert_eq!(names_of(&not_in_team.json), ["bobby"]);
    let auto = s
        .get(
            &format!("/users/autocomplete?name=bob&in_team={team_id}"),
            &bob,
        )
        .await;
    assert_eq!(names_of(&auto.json["users"]), ["bob"]);
    assert!(auto.json.get("out_of_channel").is_none());
    let off_topic = s
        .get(&format!("/teams/{team_id}/channels/name/off-topic"), &admin)
        .await;
    let off_topic = off_topic.json["id"].as_str().unwrap().to_owned();
    s.call(
        Method::DELETE,
        &format!("/channels/{off_topic}/members/{bob_id}"),
        Some(&bob),
        None,
    )
    .await
    .expect(StatusCode::OK);
    let auto = s
        .get(
            &format!("/users/autocomplete?name=b&in_team={team_id}&in_channel={off_topic}"),
            &admin,
        )
        .await;
    assert_eq!(names_of(&auto.json["users"]), Vec::<String>::new());
    assert_eq!(names_of(&auto.json["out_of_channel"]), ["bob"]);
    s.stop().await;
});

both!(
    profile_patch_password_roles_active,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let (admin_id, admin) = s.admin().await;
        let carol_id = s.create_user(&admin, "carol").await;
        let carol = s.login("carol").await;
        let carol_phone = s.login("carol").await;

        let r = s
            .put(
                "/users/me/patch",
                &carol,
                json!({"nickname": "Caz", "first_name": "Carol", "position": "QA"}),
            )
            .await;
        r.expect(StatusCode::OK);
        assert_eq!(
            (r.json["nickname"].as_str(), r.json["first_name"].as_str()),
            (Some("Caz"), Some("Carol"))
        );
        s.put(
            &format!("/users/{admin_id}/patch"),
            &carol,
            json!({"nickname": "x"}),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
        s.put("/users/me/patch", &carol, json!({"username": "admin"}))
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "app.user.save.username_exists.app_error",
            );
        let r = s
            .put(
                &format!("/users/{carol_id}/patch"),
                &admin,
                json!({"last_name": "Admin-set"}),
            )
            .await;
        assert_eq!(r.json["last_name"], "Admin-set");

        // Password: current one required for oneself; other sessions end, this one stays.
        s.put(
            "/users/me/password",
            &carol,
            json!({"current_password": "nope", "new_password": "new-password-1"}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.user.update_password.incorrect.app_error",
        );
        s.put(
            "/users/me/password",
            &carol,
            json!({"current_password": PASSWORD, "new_password": "new-password-1"}),
        )
        .await
        .expect(StatusCode::OK);
        s.get("/users/me", &carol).await.expect(StatusCode::OK);
        s.get("/users/me", &carol_phone)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        let r = s
            .call(
                Method::POST,
                "/users/login",
                None,
                Some(json!({"login_id": "carol", "password": "new-password-1"})),
            )
            .await;
        r.expect(StatusCode::OK);
        // Admins reset without the current password.
        s.put(
            &format!("/users/{carol_id}/password"),
            &admin,
            json!({"new_password": PASSWORD}),
        )
        .await
        .expect(StatusCode::OK);
        let carol = s.login("carol").await;

        // Roles: admin only, validated.
        s.put(
            &format!("/users/{carol_id}/roles"),
            &carol,
            json!({"roles": "system_admin system_user"}),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
        s.put(
            &format!("/users/{carol_id}/roles"),
            &admin,
            json!({"roles": "system_user system_user_access_token"}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            s.get("/users/me", &carol).await.json["roles"],
            "system_user system_user_access_token"
        );

        // Deactivation: admin only (self-deactivation is off by default); ends sessions.
        s.put(
            &format!("/users/{admin_id}/active"),
            &carol,
            json!({"active": false}),
        )
        .await
        .expect(StatusCode::FORBIDDEN);
        s.put("/users/me/active", &carol, json!({"active": false}))
            .await
            .expect(StatusCode::FORBIDDEN);
        s.put(
            &format!("/users/{carol_id}/active"),
            &admin,
            json!({"active": false}),
        )
        .await
        .expect(StatusCode::OK);
        s.get("/users/me", &carol)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        let r = s
            .call(
                Method::POST,
                "/users/login",
                None,
                Some(json!({"login_id": "carol", "password": PASSWORD})),
            )
            .await;
        r.expect_error(
            StatusCode::UNAUTHORIZED,
            "api.user.login.inactive.app_error",
        );
        let inactive = s.get("/users?inactive=true", &admin).await;
        assert_eq!(inactive.json[0]["id"], carol_id.as_str());
        assert!(inactive.json[0]["delete_at"].as_i64().unwrap() > 0);
        s.put(
            &format!("/users/{carol_id}/active"),
            &admin,
            json!({"active": true}),
        )
        .await
        .expect(StatusCode::OK);
        s.login("carol").await;
        // DELETE /users/{id} deactivates too.
        s.call(
            Method::DELETE,
            &format!("/users/{carol_id}"),
            Some(&admin),
            Some(json!({})),
        )
        .await
        .expect(StatusCode::OK);
        assert!(
            s.get(&format!("/users/{carol_id}"), &admin).await.json["delete_at"]
                .as_i64()
                .unwrap()
                > 0
        );
        s.stop().await;
    }
);

both!(sessions_list_and_revoke, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (admin_id, admin) = s.admin().await;
    let dan_id = s.create_user(&admin, "dan").await;
    let laptop = s.login("dan").await;
    let phone = s
        .call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "dan", "password": PASSWORD, "device_id": "ios:1"})),
        )
        .await
        .header("token")
        .unwrap();

    let list = s.get("/users/me/sessions", &laptop).await;
    list.expect(StatusCode::OK);
    let sessions = list.json.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|x| x["token"] == "" && x["user_id"] == dan_id.as_str())
    );
    assert!(
        sessions
            .iter()
            .all(|x| x["props"]["csrf"].as_str().is_some_and(|c| !c.is_empty()))
    );
    assert!(
        sessions
            .iter()
            .all(|x| x["expires_at"].as_i64().unwrap() > x["create_at"].as_i64().unwrap())
    );
    let phone_session = sessions.iter().find(|x| x["device_id"] == "ios:1").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post(
        &format!("/users/{dan_id}/sessions/revoke"),
        &laptop,
        json!({"session_id": phone_session}),
    )
    .await
    .expect(StatusCode::OK);
    s.get("/users/me", &phone).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "api.context.session_expired.app_error",
    );
    s.get("/users/me", &laptop).await.expect(StatusCode::OK);
    s.post(
        &format!("/users/{dan_id}/sessions/revoke"),
        &laptop,
        json!({"session_id": phone_session}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "api.user.revoke_session.session_not_found",
    );

    // Revoking someone else's session, or a session of another user, is refused.
    let admin_sessions = s.get("/users/me/sessions", &admin).await;
    let admin_session = admin_sessions.json[0]["id"].as_str().unwrap().to_owned();
    let dan = s.login("dan").await;
    s.post(
        &format!("/users/{admin_id}/sessions/revoke"),
        &dan,
        json!({"session_id": admin_session}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.post(
        &format!("/users/{dan_id}/sessions/revoke"),
        &dan,
        json!({"session_id": admin_session}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "api.user.revoke_session.user_id_mismatch",
    );
    s.get("/users/me", &admin).await.expect(StatusCode::OK);

    // Admin revokes all of dan's sessions.
    let dan2 = s.login("dan").await;
    s.post(
        &format!("/users/{dan_id}/sessions/revoke/all"),
        &admin,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    s.get("/users/me", &dan)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    s.get("/users/me", &dan2)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.get(&format!("/users/{dan_id}/sessions"), &admin)
            .await
            .json,
        json!([])
    );

    // Device ids: a new login from the same device replaces the old session.
    let login = |device: &'static str| {
        s.call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "dan", "password": PASSWORD, "device_id": device})),
        )
    };
    let first = login("android_rn-v2:abc").await.header("token").unwrap();
    let second = login("android_rn-v2:abc").await.header("token").unwrap();
    s.get("/users/me", &first)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    s.get("/users/me", &second).await.expect(StatusCode::OK);
    let web = s.login("dan").await;
    s.put(
        "/users/sessions/device",
        &web,
        json!({"device_id": "android_rn-v2:abc"}),
    )
    .await
    .expect(StatusCode::OK);
    s.get("/users/me", &second)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    s.get("/users/me", &web).await.expect(StatusCode::OK);
    s.stop().await;
});

both!(personal_access_tokens, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (_, admin) = s.admin().await;
    let erin_id = s.create_user(&admin, "erin").await;
    let erin = s.login("erin").await;
    let path = format!("/users/{erin_id}/tokens");

    s.post(&path, &erin, json!({"description": "bot"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
    s.put(
        &format!("/users/{erin_id}/roles"),
        &admin,
        json!({"roles": "system_user system_user_access_token"}),
    )
    .await
    .expect(StatusCode::OK);
    s.post(&path, &erin, json!({"description": ""}))
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "model.user_access_token.is_valid.description.app_error",
        );
    let created = s
        .post(&path, &erin, json!({"description": "deploy bot"}))
        .await;
    created.expect(StatusCode::CREATED);
    let pat = created.json["token"].as_str().unwrap().to_owned();
    let token_id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json["is_active"], true);
    assert_eq!(created.json["user_id"], erin_id.as_str());

    let listed = s.get(&path, &erin).await;
    assert_eq!(listed.json.as_array().unwrap().len(), 1);
    assert!(
        listed.json[0].get("token").is_none(),
        "the secret is only shown once"
    );
    assert_eq!(
        s.get(&format!("/users/tokens/{token_id}"), &erin)
            .await
            .json["description"],
        "deploy bot"
    );

    // The PAT works exactly like a session token, and shows up as a session.
    assert_eq!(s.get("/users/me", &pat).await.json["id"], erin_id.as_str());
    let sessions = s.get("/users/me/sessions", &erin).await;
    assert!(
        sessions
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["props"]["type"] == "UserAccessToken" && x["expires_at"] == 0)
    );

    s.post(
        "/users/tokens/disable",
        &erin,
        json!({"token_id": token_id}),
    )
    .await
    .expect(StatusCode::OK);
    s.get("/users/me", &pat)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    s.post("/users/tokens/enable", &erin, json!({"token_id": token_id}))
        .await
        .expect(StatusCode::OK);
    s.get("/users/me", &pat).await.expect(StatusCode::OK);

    // Other plain users can neither see nor revoke it.
    let frank_id = s.create_user(&admin, "frank").await;
    s.put(
        &format!("/users/{frank_id}/roles"),
        &admin,
        json!({"roles": "system_user system_user_access_token"}),
    )
    .await
    .expect(StatusCode::OK);
    let frank = s.login("frank").await;
    s.get(&format!("/users/tokens/{token_id}"), &frank)
        .await
        .expect(StatusCode::FORBIDDEN);
    s.post(
        "/users/tokens/revoke",
        &frank,
        json!({"token_id": token_id}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.get("/users/me", &pat).await.expect(StatusCode::OK);

    s.post("/users/tokens/revoke", &erin, json!({"token_id": token_id}))
        .await
        .expect(StatusCode::OK);
    s.get("/users/me", &pat)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    s.get(&format!("/users/tokens/{token_id}"), &erin)
        .await
        .expect(StatusCode::NOT_FOUND);
    // Admins may create tokens for others.
    s.post(&path, &admin, json!({"description": "made by admin"}))
        .await
        .expect(StatusCode::CREATED);
    s.stop().await;
});

both!(multi_factor_authentication, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (admin_id, admin) = s.admin().await;
    let gina_id = s.create_user(&admin, "gina").await;
    let gina = s.login("gina").await;

    // Nobody else may generate or activate someone's secret.
    s.post(&format!("/users/{gina_id}/mfa/generate"), &admin, json!({}))
        .await
        .expect(StatusCode::FORBIDDEN);
    let generated = s.post("/users/me/mfa/generate", &gina, json!({})).await;
    generated.expect(StatusCode::OK);
    let secret = generated.json["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    let png = base64_decode(generated.json["qr_code"].as_str().unwrap());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        s.get("/users/me", &gina)
            .await
            .json
            .get("mfa_active")
            .is_none(),
        "not active until confirmed"
    );

    s.put(
        "/users/me/mfa",
        &gina,
        json!({"activate": true, "code": "000000"}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "ent.mfa.activate.authenticate.app_error",
    );
    s.put(
        "/users/me/mfa",
        &gina,
        json!({"activate": true, "code": totp_now(&secret)}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(s.get("/users/me", &gina).await.json["mfa_active"], true);
    assert_eq!(
        s.call(
            Method::POST,
            "/users/mfa",
            None,
            Some(json!({"login_id": "gina"}))
        )
        .await
        .json["mfa_required"],
        true
    );
    assert_eq!(
        s.call(
            Method::POST,
            "/users/mfa",
            None,
            Some(json!({"login_id": "nobody"}))
        )
        .await
        .json["mfa_required"],
        false
    );

    let login = |token: serde_json::Value| {
        s.call(
            Method::POST,
            "/users/login",
            None,
            Some(json!({"login_id": "gina", "password": PASSWORD, "token": token})),
        )
    };
    login(json!(null)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "mfa.validate_token.authenticate.app_error",
    );
    login(json!("")).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "mfa.validate_token.authenticate.app_error",
    );
    login(json!("123456x")).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "api.user.check_user_mfa.bad_code.app_error",
    );
    let ok = login(json!(totp_now(&secret))).await;
    ok.expect(StatusCode::OK);
    assert!(ok.header("token").is_some());
    // Wrong codes counted as failed attempts; success reset them.
    assert!(
        s.get(&format!("/users/{gina_id}"), &admin)
            .await
            .json
            .get("failed_attempts")
            .is_none()
    );

    // An admin can switch it off (lost phone); then password alone works again.
    s.put(
        &format!("/users/{gina_id}/mfa"),
        &admin,
        json!({"activate": false}),
    )
    .await
    .expect(StatusCode::OK);
    login(json!(null)).await.expect(StatusCode::OK);
    let _ = admin_id;
    s.stop().await;
});

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
