//! Messaging over the API: a team's first day, bad input, and the permission matrix.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, TestServer};

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

async fn post(s: &TestServer, token: &str, channel_id: &str, message: &str) -> Value {
    let r = s
        .post(
            "/posts",
            token,
            json!({"channel_id": channel_id, "message": message}),
        )
        .await;
    r.expect(StatusCode::CREATED);
    r.json.clone()
}

async fn member(s: &TestServer, token: &str, channel_id: &str) -> Value {
    let r = s
        .get(&format!("/channels/{channel_id}/members/me"), token)
        .await;
    r.expect(StatusCode::OK);
    r.json.clone()
}

both!(team_first_day, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (alice_id, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let carol_id = s.create_user(&alice, "carol").await;
    let (bob, carol) = (s.login("bob").await, s.login("carol").await);

    // Team with its default channels.
    let team = s
        .post(
            "/teams",
            &alice,
            json!({"name": "first-day", "display_name": "First Day", "type": "O"}),
        )
        .await;
    team.expect(StatusCode::CREATED);
    let team_id = id(&team.json);
    assert_eq!(team.json["type"], "O");
    assert!(
        s.get(&format!("/teams/{team_id}/members/me"), &alice)
            .await
            .json["roles"]
            .as_str()
            .unwrap()
            .contains("team_admin")
    );
    for u in [&bob_id, &carol_id] {
        s.post(
            &format!("/teams/{team_id}/members"),
            &alice,
            json!({"team_id": team_id, "user_id": u}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    let mine = s
        .get(&format!("/users/me/teams/{team_id}/channels"), &bob)
        .await;
    let mut names: Vec<&str> = mine
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["off-topic", "town-square"]);
    let town = id(&s
        .get(&format!("/teams/{team_id}/channels/name/town-square"), &bob)
        .await
        .json);
    let town_posts = s.get(&format!("/channels/{town}/posts"), &bob).await;
    assert!(
        town_posts.json["posts"]
            .as_object()
            .unwrap()
            .values()
            .any(|p| p["type"] == "system_join_team")
    );

    // Channels: public joinable, private invisible to non-members.
    let release = s
        .post(
            "/channels",
            &alice,
            json!({"team_id": team_id, "name": "release", "display_name": "Release", "type": "O"}),
        )
        .await;
    release.expect(StatusCode::CREATED);
    let release = id(&release.json);
    let secret = id(&s
        .post(
            "/channels",
            &alice,
            json!({"team_id": team_id, "name": "secret", "display_name": "Secret", "type": "P"}),
        )
        .await
        .json);
    s.post(
        &format!("/channels/{release}/members"),
        &bob,
        json!({"user_id": bob_id}),
    )
    .await
    .expect(StatusCode::CREATED);
    s.get(&format!("/channels/{secret}"), &bob)
        .await
        .expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
    s.get(&format!("/teams/{team_id}/channels/name/secret"), &bob)
        .await
        .expect_error(
            StatusCode::NOT_FOUND,
            "app.channel.get_by_name.missing.app_error",
        );
    let auto = s
        .get(
            &format!("/teams/{team_id}/channels/autocomplete?name=sec"),
            &alice,
        )
        .await;
    assert_eq!(
        auto.json[0]["name"], "secret",
        "members find their private channels"
    );
    let auto = s
        .get(
            &format!("/teams/{team_id}/channels/autocomplete?name=sec"),
            &bob,
        )
        .await;
    assert_eq!(auto.json, json!([]));
    s.post(
        &format!("/channels/{secret}/members"),
        &bob,
        json!({"user_id": bob_id}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.post(
        "/channels",
        &alice,
        json!({"team_id": team_id, "name": "release", "display_name": "Again", "type": "O"}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "store.sql_channel.save_channel.exists.app_error",
    );

    // A post with a mention and a hashtag; unreads and view.
    let root = post(&s, &alice, &release, "hello @bob #launch").await;
    assert_eq!(root["hashtags"], "#launch");
    assert_eq!(root["user_id"], alice_id.as_str());
    let root_id = id(&root);
    let m = member(&s, &bob, &release).await;
    assert_eq!(m["mention_count"], 1);
    let channel = s.get(&format!("/channels/{release}"), &bob).await.json;
    assert!(channel["total_msg_count"].as_i64().unwrap() > m["msg_count"].as_i64().unwrap());
    assert_eq!(
        s.get(&format!("/users/me/channels/{release}/unread"), &bob)
            .await
            .json["mention_count"],
        1
    );
    let viewed = s
        .post(
            "/channels/members/me/view",
            &bob,
            json!({"channel_id": release}),
        )
        .await;
    assert_eq!(viewed.json["status"], "OK");
    assert_eq!(
        viewed.json["last_viewed_at_times"][&release],
        root["create_at"]
    );
    let m = member(&s, &bob, &release).await;
    assert_eq!(m["mention_count"], 0);
    assert_eq!(
        m["msg_count"],
        s.get(&format!("/channels/{release}"), &bob).await.json["total_msg_count"]
    );

    // Thread.
    let reply = s
        .post(
            "/posts",
            &bob,
            json!({"channel_id": release, "message": "congrats", "root_id": root_id}),
        )
        .await;
    reply.expect(StatusCode::CREATED);
    let thread = s.get(&format!("/posts/{root_id}/thread"), &alice).await;
    assert_eq!(thread.json["order"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.get(&format!("/posts/{root_id}"), &alice).await.json["reply_count"],
        1
    );

    // Reactions.
    let r = s
        .post(
            "/reactions",
            &bob,
            json!({"user_id": bob_id, "post_id": root_id, "emoji_name": "+1"}),
        )
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json["emoji_name"], "+1");
    assert_eq!(
        s.get(&format!("/posts/{root_id}/reactions"), &alice)
            .await
            .json[0]["user_id"],
        bob_id.as_str()
    );
    assert_eq!(
        s.get(&format!("/posts/{root_id}"), &alice).await.json["has_reactions"],
        true
    );
    let by_ids = s
        .post("/posts/ids/reactions", &alice, json!([root_id]))
        .await;
    assert_eq!(by_ids.json[&root_id].as_array().unwrap().len(), 1);
    s.call(
        Method::DELETE,
        &format!("/users/{bob_id}/posts/{root_id}/reactions/+1"),
        Some(&bob),
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        s.get(&format!("/posts/{root_id}"), &alice).await.json["has_reactions"],
        false
    );
    s.post(
        "/reactions",
        &bob,
        json!({"user_id": alice_id, "post_id": root_id, "emoji_name": "+1"}),
    )
    .await
    .expect(StatusCode::BAD_REQUEST);

    // Pin and save.
    s.post(&format!("/posts/{root_id}/pin"), &alice, json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        s.get(&format!("/channels/{release}/pinned"), &bob)
            .await
            .json["order"][0],
        root_id.as_str()
    );
    assert_eq!(
        s.get(&format!("/channels/{release}/stats"), &bob)
            .await
            .json["pinnedpost_count"],
        1
    );
    s.post(&format!("/posts/{root_id}/unpin"), &alice, json!({}))
        .await
        .expect(StatusCode::OK);
    assert!(
        s.get(&format!("/channels/{release}/pinned"), &bob)
            .await
            .json["order"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    s.put(
        "/users/me/preferences",
        &bob,
        json!([{"user_id": bob_id, "category": "flagged_post", "name": root_id, "value": "true"}]),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(
        s.get("/users/me/posts/flagged", &bob).await.json["order"][0],
        root_id.as_str()
    );

    // Direct and group messages.
    let dm = s
        .post("/channels/direct", &bob, json!([bob_id, carol_id]))
        .await;
    dm.expect(StatusCode::CREATED);
    let mut pair = [bob_id.clone(), carol_id.clone()];
    pair.sort();
    assert_eq!(dm.json["type"], "D");
    assert_eq!(dm.json["name"], format!("{}__{}", pair[0], pair[1]));
    let dm_id = id(&dm.json);
    assert_eq!(
        id(&s
            .post("/channels/direct", &carol, json!([carol_id, bob_id]))
            .await
            .json),
        dm_id,
        "idempotent"
    );
    post(&s, &bob, &dm_id, "psst").await;
    assert_eq!(
        member(&s, &carol, &dm_id).await["mention_count"],
        1,
        "every DM counts as a mention"
    );
    let gm = s
        .post("/channels/group", &alice, json!([bob_id, carol_id]))
        .await;
    gm.expect(StatusCode::CREATED);
    assert_eq!(gm.json["type"], "G");
    assert_eq!(gm.json["display_name"], "admin, bob, carol");
    s.post("/channels/group", &alice, json!([bob_id]))
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.channel.create_group.bad_size.app_error",
        );

    // Team unreads and search.
    post(&s, &alice, &town, "welcome all").await;
    let unread = s.get("/users/me/teams/unread", &carol).await;
    assert!(unread.json[0]["msg_count"].as_i64().unwrap() > 0);
    assert_eq!(
        s.post("/users/search", &bob, json!({"term": "car"}))
            .await
            .json[0]["id"],
        carol_id.as_str()
    );
    assert_eq!(
        s.post(
            &format!("/teams/{team_id}/channels/search"),
            &bob,
            json!({"term": "rele"})
        )
        .await
        .json[0]["id"],
        release.as_str()
    );
    assert_eq!(
        s.get(
            &format!("/teams/{team_id}/channels/autocomplete?name=rel"),
            &bob
        )
        .await
        .json[0]["name"],
        "release"
    );

    // Edits and deletes.
    let edited = s
        .put(
            &format!("/posts/{root_id}/patch"),
            &alice,
            json!({"message": "hello @bob #launch (edited)"}),
        )
        .await;
    edited.expect(StatusCode::OK);
    assert!(edited.json["edit_at"].as_i64().unwrap() > 0);
    s.put(
        &format!("/posts/{root_id}/patch"),
        &bob,
        json!({"message": "hacked"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "api.context.permissions.app_error");
    s.call(
        Method::DELETE,
        &format!("/posts/{root_id}"),
        Some(&bob),
        None,
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.call(
        Method::DELETE,
        &format!("/posts/{root_id}"),
        Some(&alice),
        None,
    )
    .await
    .expect(StatusCode::OK);
    s.get(&format!("/posts/{root_id}"), &alice)
        .await
        .expect_error(StatusCode::NOT_FOUND, "app.post.get.app_error");
    s.get(&format!("/posts/{}", id(&reply.json)), &alice)
        .await
        .expect(StatusCode::NOT_FOUND);

    // Sidebar categories the apps load at start-up.
    let cats = s
        .get(
            &format!("/users/me/teams/{team_id}/channels/categories"),
            &bob,
        )
        .await;
    let kinds: Vec<&str> = cats.json["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["favorites", "channels", "direct_messages"]);
    assert!(
        cats.json["categories"][2]["channel_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(dm_id))
    );
    s.stop().await;
});

both!(
    bad_messaging_input_changes_nothing,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let (_, admin) = s.admin().await;
        let bob_id = s.create_user(&admin, "bob").await;
        let bob = s.login("bob").await;
        let team_id = id(&s
            .post(
                "/teams",
                &admin,
                json!({"name": "t1", "display_name": "T1", "type": "O"}),
            )
            .await
            .json);
        s.post(
            &format!("/teams/{team_id}/members"),
            &admin,
            json!({"team_id": team_id, "user_id": bob_id}),
        )
        .await
        .expect(StatusCode::CREATED);
        let a = id(&s
            .post(
                "/channels",
                &admin,
                json!({"team_id": team_id, "name": "aaa", "display_name": "A", "type": "O"}),
            )
            .await
            .json);
        let b = id(&s
            .post(
                "/channels",
                &admin,
                json!({"team_id": team_id, "name": "bbb", "display_name": "B", "type": "O"}),
            )
            .await
            .json);
        let in_b = post(&s, &admin, &b, "root in b").await;
        let count = |c: String| {
            let s = &s;
            let admin = admin.clone();
            async move {
                s.get(&format!("/channels/{c}"), &admin).await.json["total_msg_count"]
                    .as_i64()
                    .unwrap()
            }
        };
        let before = count(a.clone()).await;

        let cases = [
            (
                json!({"channel_id": a, "message": "x".repeat(16384)}),
                StatusCode::BAD_REQUEST,
                "model.post.is_valid.message_length.app_error",
            ),
            (
                json!({"channel_id": a, "message": "reply", "root_id": id(&in_b)}),
                StatusCode::BAD_REQUEST,
                "api.post.create_post.channel_root_id.app_error",
            ),
            (
                json!({"channel_id": a, "message": "reply", "root_id": "not-an-id"}),
                StatusCode::BAD_REQUEST,
                "api.context.invalid_param.app_error",
            ),
            (
                json!({"channel_id": a, "message": ""}),
                StatusCode::BAD_REQUEST,
                "api.post.create_post.empty.app_error",
            ),
            (
                json!({"channel_id": a, "message": "hi", "type": "system_join_channel"}),
                StatusCode::BAD_REQUEST,
                "api.context.invalid_body_param.app_error",
            ),
            (
                json!({"channel_id": a, "message": "hi", "file_ids": ["nope"]}),
                StatusCode::BAD_REQUEST,
                "model.post.is_valid.file_ids.app_error",
            ),
            (
                json!({"channel_id": "x".repeat(26), "message": "hi"}),
                StatusCode::NOT_FOUND,
                "app.channel.get.existing.app_error",
            ),
        ];
        for (body, status, err) in cases {
            s.post("/posts", &admin, body)
                .await
                .expect_error(status, err);
        }
        // A message of exactly the limit is fine.
        post(&s, &admin, &a, &"y".repeat(16383)).await;
        assert_eq!(
            count(a.clone()).await,
            before + 1,
            "only the valid post was written"
        );

        // Group sizes 2 and 9.
        let mut ids = vec![bob_id.clone()];
        s.post("/channels/group", &admin, json!(ids))
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "api.channel.create_group.bad_size.app_error",
            );
        for i in 0..8 {
            ids.push(s.create_user(&admin, &format!("user{i}")).await);
        }
        s.post("/channels/group", &admin, json!(ids))
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "api.channel.create_group.bad_size.app_error",
            );
        s.post("/channels/direct", &bob, json!([bob_id]))
            .await
            .expect(StatusCode::BAD_REQUEST);
        s.post("/channels/direct", &bob, json!([bob_id, "x".repeat(26)]))
            .await
            .expect_error(
                StatusCode::BAD_REQUEST,
                "api.channel.create_group.bad_user.app_error",
            );

        // Archived channels refuse posts; Town Square cannot be archived or left.
        s.call(
            Method::DELETE,
            &format!("/channels/{a}"),
            Some(&admin),
            None,
        )
        .await
        .expect(StatusCode::OK);
        s.post(
            "/posts",
            &admin,
            json!({"channel_id": a, "message": "late"}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.post.create_post.can_not_post_to_deleted.error",
        );
        let town = id(&s
            .get(
                &format!("/teams/{team_id}/channels/name/town-square"),
                &admin,
            )
            .await
            .json);
        s.call(
            Method::DELETE,
            &format!("/channels/{town}"),
            Some(&admin),
            None,
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.channel.delete_channel.cannot.app_error",
        );
        s.call(
            Method::DELETE,
            &format!("/channels/{town}/members/{bob_id}"),
            Some(&bob),
            None,
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "api.channel.remove.default.app_error",
        );
        // Bad team and channel names.
        s.post(
            "/teams",
            &admin,
            json!({"name": "Bad Name", "display_name": "x"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "model.team.is_valid.url.app_error");
        s.post(
            "/teams",
            &admin,
            json!({"name": "api", "display_name": "x"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "model.team.is_valid.url.app_error");
        s.post(
            "/channels",
            &admin,
            json!({"team_id": team_id, "name": "has space", "display_name": "x", "type": "O"}),
        )
        .await
        .expect(StatusCode::BAD_REQUEST);
        s.post(
            "/channels",
            &admin,
            json!({"team_id": team_id, "name": "ok-name", "display_name": "x", "type": "Z"}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "model.channel.is_valid.type.app_error",
        );
        s.stop().await;
    }
);

/// Who acts in the permission matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    SystemAdmin,
    TeamAdmin,
    Member,
    Bystander,
    Outsider,
    Deactivated,
}

both!(permission_matrix, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (admin_id, admin) = s.admin().await;
    let names = ["lead", "member", "bystander", "outsider", "ghost", "newbie"];
    let mut ids = std::collections::HashMap::new();
    for n in names {
        ids.insert(n, s.create_user(&admin, n).await);
    }
    let team_id = id(&s
        .post(
            "/teams",
            &admin,
            json!({"name": "matrix", "display_name": "Matrix", "type": "O"}),
        )
        .await
        .json);
    for n in ["lead", "member", "bystander", "ghost", "newbie"] {
        s.post(
            &format!("/teams/{team_id}/members"),
            &admin,
            json!({"team_id": team_id, "user_id": ids[n]}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    s.put(
        &format!("/teams/{team_id}/members/{}/roles", ids["lead"]),
        &admin,
        json!({"roles": "team_user team_admin"}),
    )
    .await
    .expect(StatusCode::OK);
    let mut tokens = std::collections::HashMap::new();
    for n in names {
        tokens.insert(n, s.login(n).await);
    }
    let lead = tokens["lead"].clone();
    let mk = |name: &'static str, kind: &'static str| {
        let (s, lead, team_id) = (&s, lead.clone(), team_id.clone());
        async move {
            id(&s
                .post(
                    "/channels",
                    &lead,
                    json!({"team_id": team_id, "name": name, "display_name": name, "type": kind}),
                )
                .await
                .json)
        }
    };
    let public = mk("public", "O").await;
    let private = mk("private", "P").await;
    let archived = mk("archived", "O").await;
    for c in [&public, &private, &archived] {
        for n in ["member", "ghost"] {
            s.post(
                &format!("/channels/{c}/members"),
                &lead,
                json!({"user_id": ids[n]}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
    }
    let dm = id(&s
        .post(
            "/channels/direct",
            &tokens["member"],
            json!([ids["member"], ids["lead"]]),
        )
        .await
        .json);
    let gm = id(&s
        .post(
            "/channels/group",
            &admin,
            json!([ids["lead"], ids["member"]]),
        )
        .await
        .json);
    // Posts to edit: one by the lead and one by the member in each channel.
    let mut own_posts = std::collections::HashMap::new();
    for c in [&public, &private, &archived, &dm, &gm] {
        own_posts.insert(
            (c.clone(), "lead"),
            id(&post(&s, &lead, c, "lead says hi").await),
        );
        own_posts.insert(
            (c.clone(), "member"),
            id(&post(&s, &tokens["member"], c, "member says hi").await),
        );
    }
    s.call(
        Method::DELETE,
        &format!("/channels/{archived}"),
        Some(&lead),
        None,
    )
    .await
    .expect(StatusCode::OK);
    s.put(
        &format!("/users/{}/active", ids["ghost"]),
        &admin,
        json!({"active": false}),
    )
    .await
    .expect(StatusCode::OK);

    let token_of = |w: Who| match w {
        Who::SystemAdmin => admin.clone(),
        Who::TeamAdmin => lead.clone(),
        Who::Member => tokens["member"].clone(),
        Who::Bystander => tokens["bystander"].clone(),
        Who::Outsider => tokens["outsider"].clone(),
        Who::Deactivated => tokens["ghost"].clone(),
    };
    let channels = [
        ("public", &public),
        ("private", &private),
        ("archived", &archived),
        ("dm", &dm),
        ("gm", &gm),
    ];
    let channel = |name: &str| channels.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    use Who::*;
    // (who, channel, action, expected status)
    let matrix: &[(Who, &str, &str, u16)] = &[
        (SystemAdmin, "public", "read", 200),
        (SystemAdmin, "public", "post", 201),
        (SystemAdmin, "private", "read", 200),
        (SystemAdmin, "private", "post", 201),
        (SystemAdmin, "dm", "read", 200),
        (SystemAdmin, "public", "edit_others", 200),
        (SystemAdmin, "public", "delete_others", 200),
        (TeamAdmin, "public", "read", 200),
        (TeamAdmin, "public", "post", 201),
        (TeamAdmin, "public", "edit_own", 200),
        (TeamAdmin, "public", "edit_others", 403),
        (TeamAdmin, "public", "delete_others", 200),
        (TeamAdmin, "private", "delete_others", 200),
        (TeamAdmin, "public", "add_member", 201),
        (TeamAdmin, "private", "add_member", 201),
        (Member, "public", "read", 200),
        (Member, "public", "post", 201),
        (Member, "public", "edit_own", 200),
        (Member, "public", "edit_others", 403),
        (Member, "public", "delete_own", 200),
        (Member, "public", "delete_others", 403),
        (Member, "public", "add_member", 201),
        (Member, "private", "read", 200),
        (Member, "private", "post", 201),
        (Member, "private", "add_member", 201),
        (Member, "dm", "read", 200),
        (Member, "dm", "post", 201),
        (Member, "dm", "edit_others", 403),
        (Member, "dm", "add_member", 400),
        (Member, "gm", "read", 200),
        (Member, "gm", "post", 201),
        (Member, "archived", "read", 200),
        (Member, "archived", "post", 400),
        (Member, "archived", "edit_own", 400),
        (Bystander, "public", "read", 200),
        (Bystander, "public", "post", 403),
        (Bystander, "public", "add_member", 403),
        (Bystander, "private", "read", 403),
        (Bystander, "private", "post", 403),
        (Bystander, "dm", "read", 403),
        (Bystander, "gm", "post", 403),
        (Bystander, "public", "edit_others", 403),
        (Bystander, "public", "delete_others", 403),
        (Outsider, "public", "read", 403),
        (Outsider, "public", "post", 403),
        (Outsider, "private", "read", 403),
        (Outsider, "dm", "post", 403),
        (Outsider, "public", "add_member", 403),
        (Deactivated, "public", "read", 401),
        (Deactivated, "public", "post", 401),
        (Deactivated, "private", "read", 401),
    ];
    for (who, chan, action, expected) in matrix {
        let token = token_of(*who);
        let c = channel(chan);
        let author_of_others = if *who == Member { "lead" } else { "member" };
        let own_author = if *who == TeamAdmin { "lead" } else { "member" };
        let r = match *action {
            "read" => s.get(&format!("/channels/{c}/posts"), &token).await,
            "post" => {
                s.post(
                    "/posts",
                    &token,
                    json!({"channel_id": c, "message": "matrix"}),
                )
                .await
            }
            "edit_own" => {
                s.put(
                    &format!("/posts/{}/patch", own_posts[&(c.clone(), own_author)]),
                    &token,
                    json!({"message": "edited"}),
                )
                .await
            }
            "edit_others" => {
                s.put(
                    &format!("/posts/{}/patch", own_posts[&(c.clone(), author_of_others)]),
                    &token,
                    json!({"message": "edited"}),
                )
                .await
            }
            "delete_own" | "delete_others" => {
                // A fresh target each time, so one deletion does not hide the next check.
                let author = if *action == "delete_own" {
                    token.clone()
                } else if *who == Member {
                    lead.clone()
                } else {
                    tokens["member"].clone()
                };
                let target = id(&post(&s, &author, &c, "to delete").await);
                s.call(
                    Method::DELETE,
                    &format!("/posts/{target}"),
                    Some(&token),
                    None,
                )
                .await
            }
            "add_member" => {
                let r = s
                    .post(
                        &format!("/channels/{c}/members"),
                        &token,
                        json!({"user_id": ids["newbie"]}),
                    )
                    .await;
                if r.status == StatusCode::CREATED {
                    s.call(
                        Method::DELETE,
                        &format!("/channels/{c}/members/{}", ids["newbie"]),
                        Some(&admin),
                        None,
                    )
                    .await
                    .expect(StatusCode::OK);
                }
                r
            }
            other => panic!("unknown action {other}"),
        };
        assert_eq!(
            r.status.as_u16(),
            *expected,
            "{who:?} {action} in {chan}: {}",
            r.text
        );
    }
    let _ = admin_id;
    s.stop().await;
});

both!(collapsed_reply_threads, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (_, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let carol_id = s.create_user(&alice, "carol").await;
    let (bob, carol) = (s.login("bob").await, s.login("carol").await);
    let team_id = id(&s
        .post(
            "/teams",
            &alice,
            json!({"name": "crt", "display_name": "CRT", "type": "O"}),
        )
        .await
        .json);
    for u in [&bob_id, &carol_id] {
        s.post(
            &format!("/teams/{team_id}/members"),
            &alice,
            json!({"team_id": team_id, "user_id": u}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    let town = id(&s
        .get(
            &format!("/teams/{team_id}/channels/name/town-square"),
            &alice,
        )
        .await
        .json);
    let root = id(&post(&s, &alice, &town, "thread root").await);
    let threads = |token: String| {
        let (s, team_id) = (&s, team_id.clone());
        async move {
            s.get(&format!("/users/me/teams/{team_id}/threads"), &token)
                .await
                .json
        }
    };
    assert_eq!(
        threads(alice.clone()).await["total"],
        0,
        "no thread until the first reply"
    );

    let r1 = s
        .post(
            "/posts",
            &bob,
            json!({"channel_id": town, "message": "first reply", "root_id": root}),
        )
        .await;
    r1.expect(StatusCode::CREATED);
    let t = threads(alice.clone()).await;
    assert_eq!(
        (t["total"].as_i64(), t["total_unread_threads"].as_i64()),
        (Some(1), Some(1))
    );
    let thread = &t["threads"][0];
    assert_eq!(thread["id"], root.as_str());
    assert_eq!(
        (
            thread["reply_count"].as_i64(),
            thread["unread_replies"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(thread["post"]["message"], "thread root");
    assert_eq!(thread["participants"][0]["id"], bob_id.as_str());
    assert_eq!(
        threads(bob.clone()).await["threads"][0]["unread_replies"],
        0,
        "a replier has read up to their reply"
    );

    // A mention in a reply makes carol follow with an unread mention.
    s.post(
        "/posts",
        &bob,
        json!({"channel_id": town, "message": "@carol look", "root_id": root}),
    )
    .await
    .expect(StatusCode::CREATED);
    let c = threads(carol.clone()).await;
    assert_eq!(
        (
            c["total_unread_mentions"].as_i64(),
            c["threads"][0]["unread_mentions"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // Read, unread, unfollow, follow.
    let now = conclave_model::now_ms();
    let read = s
        .put(
            &format!("/users/me/teams/{team_id}/threads/{root}/read/{now}"),
            &alice,
            json!({}),
        )
        .await;
    read.expect(StatusCode::OK);
    assert_eq!(read.json["unread_replies"], 0);
    let unread = s
        .post(
            &format!(
                "/users/me/teams/{team_id}/threads/{root}/set_unread/{}",
                id(&r1.json)
            ),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(unread.json["unread_replies"], 2);
    s.put(
        &format!("/users/me/teams/{team_id}/threads/read"),
        &alice,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(threads(alice.clone()).await["total_unread_threads"], 0);
    s.call(
        Method::DELETE,
        &format!("/users/me/teams/{team_id}/threads/{root}/following"),
        Some(&carol),
        None,
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(threads(carol.clone()).await["total"], 0);
    s.put(
        &format!("/users/me/teams/{team_id}/threads/{root}/following"),
        &carol,
        json!({}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(threads(carol.clone()).await["total"], 1);
    // Threads in channels one cannot read stay hidden.
    let secret = id(&s
        .post(
            "/channels",
            &alice,
            json!({"team_id": team_id, "name": "secret", "display_name": "S", "type": "P"}),
        )
        .await
        .json);
    let hidden = id(&post(&s, &alice, &secret, "private root").await);
    s.get(&format!("/users/me/teams/{team_id}/threads/{hidden}"), &bob)
        .await
        .expect(StatusCode::FORBIDDEN);
    s.put(
        &format!("/users/me/teams/{team_id}/threads/{hidden}/following"),
        &bob,
        json!({}),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.stop().await;
});

both!(sidebar_categories, |backend: Backend| async move {
    let s = TestServer::start(backend).await;
    let (alice_id, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let team_id = id(&s
        .post(
            "/teams",
            &alice,
            json!({"name": "side", "display_name": "Side", "type": "O"}),
        )
        .await
        .json);
    s.post(
        &format!("/teams/{team_id}/members"),
        &alice,
        json!({"team_id": team_id, "user_id": bob_id}),
    )
    .await
    .expect(StatusCode::CREATED);
    let dm = id(&s
        .post("/channels/direct", &alice, json!([alice_id, bob_id]))
        .await
        .json);
    let town = id(&s
        .get(
            &format!("/teams/{team_id}/channels/name/town-square"),
            &alice,
        )
        .await
        .json);
    let path = format!("/users/me/teams/{team_id}/channels/categories");

    let cats = s.get(&path, &alice).await;
    cats.expect(StatusCode::OK);
    let kinds: Vec<&str> = cats.json["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["favorites", "channels", "direct_messages"]);
    assert_eq!(
        cats.json["order"][0],
        format!("favorites_{alice_id}_{team_id}")
    );
    assert!(
        cats.json["categories"][1]["channel_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(town))
    );
    assert_eq!(cats.json["categories"][2]["channel_ids"], json!([dm]));

    // A custom category takes its channels from the defaults.
    let created = s
        .post(
            &path,
            &alice,
            json!({"display_name": "Important", "channel_ids": [town]}),
        )
        .await;
    created.expect(StatusCode::CREATED);
    assert_eq!(created.json["type"], "custom");
    let custom = id(&created.json);
    let cats = s.get(&path, &alice).await.json;
    assert!(
        !cats["categories"][1]["channel_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(town))
    );
    assert_eq!(cats["categories"][3]["channel_ids"], json!([town]));

    // Move the DM to favorites, reorder, rename, delete.
    let mut fav = cats["categories"][0].clone();
    fav["channel_ids"] = json!([dm]);
    s.put(&path, &alice, json!([fav]))
        .await
        .expect(StatusCode::OK);
    let cats = s.get(&path, &alice).await.json;
    assert_eq!(cats["categories"][0]["channel_ids"], json!([dm]));
    assert_eq!(cats["categories"][2]["channel_ids"], json!([]));
    let mut order: Vec<String> = cats["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    order.reverse();
    s.put(&format!("{path}/order"), &alice, json!(order))
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        s.get(&format!("{path}/order"), &alice).await.json,
        json!(order)
    );
    s.put(&format!("{path}/order"), &alice, json!(["nope"]))
        .await
        .expect(StatusCode::BAD_REQUEST);
    let renamed = s
        .put(
            &format!("{path}/{custom}"),
            &alice,
            json!({"display_name": "Urgent", "channel_ids": [town]}),
        )
        .await;
    assert_eq!(renamed.json["display_name"], "Urgent");
    s.post(
        &path,
        &alice,
        json!({"display_name": "Bad", "channel_ids": ["x".repeat(26)]}),
    )
    .await
    .expect(StatusCode::BAD_REQUEST);
    s.call(
        Method::DELETE,
        &format!("{path}/favorites_{alice_id}_{team_id}"),
        Some(&alice),
        None,
    )
    .await
    .expect(StatusCode::BAD_REQUEST);
    s.call(
        Method::DELETE,
        &format!("{path}/{custom}"),
        Some(&alice),
        None,
    )
    .await
    .expect(StatusCode::OK);
    let cats = s.get(&path, &alice).await.json;
    assert_eq!(cats["categories"].as_array().unwrap().len(), 3);
    assert!(
        cats["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["channel_ids"].as_array().unwrap().contains(&json!(town))),
        "back in a default"
    );
    // Someone else's sidebar is off limits.
    let bob = s.login("bob").await;
    s.get(
        &format!("/users/{alice_id}/teams/{team_id}/channels/categories"),
        &bob,
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    s.stop().await;
});

both!(
    mention_keys_and_first_names,
    |backend: Backend| async move {
        let s = TestServer::start(backend).await;
        let (_, alice) = s.admin().await;
        let carol_id = s.create_user(&alice, "carol").await;
        let carol = s.login("carol").await;
        let team_id = id(&s
            .post(
                "/teams",
                &alice,
                json!({"name": "keys", "display_name": "Keys", "type": "O"}),
            )
            .await
            .json);
        s.post(
            &format!("/teams/{team_id}/members"),
            &alice,
            json!({"team_id": team_id, "user_id": carol_id}),
        )
        .await
        .expect(StatusCode::CREATED);
        let town = id(&s
            .get(
                &format!("/teams/{team_id}/channels/name/town-square"),
                &alice,
            )
            .await
            .json);
        let mentions = || async {
            member(&s, &carol, &town).await["mention_count"]
                .as_i64()
                .unwrap()
        };
        post(&s, &alice, &town, "the deploy is done").await;
        assert_eq!(mentions().await, 0, "no keys set yet");

        let mut props = s.get("/users/me", &carol).await.json["notify_props"].clone();
        props["mention_keys"] = json!("deploy,on call");
        props["first_name"] = json!("true");
        s.put(
            "/users/me/patch",
            &carol,
            json!({"first_name": "Caroline", "notify_props": props}),
        )
        .await
        .expect(StatusCode::OK);
        post(&s, &alice, &town, "the Deploy is done").await;
        assert_eq!(mentions().await, 1);
        post(&s, &alice, &town, "who is on call today?").await;
        assert_eq!(mentions().await, 2);
        post(&s, &alice, &town, "caroline, thanks").await;
        assert_eq!(mentions().await, 3);
        post(&s, &alice, &town, "redeploy and `deploy` do not count").await;
        assert_eq!(mentions().await, 3);
        s.stop().await;
    }
);
