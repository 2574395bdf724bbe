//! Real time over the wire: the WebSocket handshake and actions, every event (who gets it,
//! who doesn't, payload shape), resume, slow consumers, revocation, presence and typing.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::support::{Backend, TestServer};
use crate::ws::{Ws, inner, names, open, read_json, send_json, try_open};

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Alice (admin), Bob and Carol on one open team; `chat` is a public channel with Alice
/// and Bob, not Carol.
struct World {
    s: TestServer,
    alice: (String, String),
    bob: (String, String),
    carol: (String, String),
    team_id: String,
    chat: String,
    town_square: String,
}

async fn world(s: TestServer) -> World {
    let (alice_id, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let carol_id = s.create_user(&alice, "carol").await;
    let (bob, carol) = (s.login("bob").await, s.login("carol").await);
    let team_id = s.team(&alice, "rt").await;
    s.join_team(&alice, &team_id, &[&bob_id, &carol_id]).await;
    let chat = s.channel(&alice, &team_id, "chat", "O").await;
    s.post(
        &format!("/channels/{chat}/members"),
        &alice,
        json!({"user_id": bob_id}),
    )
    .await
    .expect(StatusCode::CREATED);
    let town_square = id(&s
        .get(
            &format!("/teams/{team_id}/channels/name/town-square"),
            &alice,
        )
        .await
        .json);
    World {
        s,
        alice: (alice_id, alice),
        bob: (bob_id, bob),
        carol: (carol_id, carol),
        team_id,
        chat,
        town_square,
    }
}

impl World {
    async fn ws(&self, who: &(String, String)) -> Ws {
        Ws::connect(&self.s, &who.1).await
    }

    async fn post(&self, who: &(String, String), channel: &str, message: &str) -> Value {
        let r = self
            .s
            .post(
                "/posts",
                &who.1,
                json!({"channel_id": channel, "message": message}),
            )
            .await;
        r.expect(StatusCode::CREATED);
        r.json.clone()
    }

    /// Events `who` received up to now (see `Ws::drain`).
    async fn drain(&self, ws: &mut Ws, who: &(String, String)) -> Vec<Value> {
        ws.drain(&self.s, &who.1, &who.0).await
    }
}

fn find<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(events)))
}

fn lacks(events: &[Value], name: &str) {
    assert!(
        !events.iter().any(|e| e["event"] == name),
        "unexpected {name} in {:?}",
        names(events)
    );
}

both!(handshake_and_actions, |backend: Backend| async move {
    let s = TestServer::start_with(backend, |c| c.realtime.auth_timeout_secs = 1).await;
    let (me, token) = s.admin().await;

    // Header authentication: hello first, seq 0, with our id in the broadcast.
    let mut stream = open(&s, Some(&token), "").await;
    let hello = read_json(&mut stream).await.unwrap();
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["seq"], 0);
    assert_eq!(hello["broadcast"]["user_id"], me.as_str());
    assert_eq!(hello["data"]["server_version"], "10.11.0");
    let conn_id = hello["data"]["connection_id"].as_str().unwrap().to_owned();
    let mut ws = Ws::resumed(stream, &conn_id, 1);

    let pong = ws.request("ping", json!({})).await;
    assert_eq!(pong["status"], "OK");
    assert_eq!(pong["data"]["text"], "pong");
    assert!(pong["data"]["server_time"].as_i64().unwrap() > 0);
    assert!(pong.get("seq").is_none() && pong.get("event").is_none());

    let bad = ws.request("no_such_action", json!({})).await;
    assert_eq!(bad["status"], "FAIL");
    assert_eq!(
        bad["error"]["id"],
        "api.web_socket_router.bad_action.app_error"
    );
    ws.send(json!({"seq": 0, "action": "ping"})).await;
    let bad_seq = read_json(&mut ws.stream).await.unwrap();
    assert_eq!(
        bad_seq["error"]["id"],
        "api.web_socket_router.bad_seq.app_error"
    );

    let statuses = ws
        .request("get_statuses_by_ids", json!({"user_ids": [me]}))
        .await;
    assert_eq!(statuses["data"][&me], "online");
    let all = ws.request("get_statuses", json!({})).await;
    assert_eq!(all["data"][&me], "online");

    // A second challenge on an authenticated socket is ignored: the next reply is the ping's.
    ws.send(json!({"seq": 50, "action": "authentication_challenge", "data": {"token": token}}))
        .await;
    let after = ws.request("ping", json!({})).await;
    assert_eq!(after["data"]["text"], "pong");

    // Challenge authentication: reply OK and hello, in either order.
    let mut stream = open(&s, None, "").await;
    send_json(&mut stream, json!({"seq": 1, "action": "ping"})).await;
    let refused = read_json(&mut stream).await.unwrap();
    assert_eq!(
        refused["error"]["id"],
        "api.web_socket_router.not_authenticated.app_error"
    );
    send_json(
        &mut stream,
        json!({"seq": 2, "action": "authentication_challenge", "data": {"token": token}}),
    )
    .await;
    let a = read_json(&mut stream).await.unwrap();
    let b = read_json(&mut stream).await.unwrap();
    let (reply, hello) = if a.get("seq_reply").is_some() {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(reply, json!({"status": "OK", "seq_reply": 2}));
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["seq"], 0);

    // A bad token closes the socket without a reply.
    let mut stream = open(&s, None, "").await;
    send_json(
        &mut stream,
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": "nope"}}),
    )
    .await;
    assert!(read_json(&mut stream).await.is_none());

    // Silence past the authentication deadline closes the socket.
    let mut stream = open(&s, None, "").await;
    assert!(read_json(&mut stream).await.is_none());

    // Cookie authentication, as browsers do it.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        crate::ws::ws_url(&s, ""),
    )
    .unwrap();
    req.headers_mut()
        .insert("cookie", format!("MMAUTHTOKEN={token}").parse().unwrap());
    let (cookie_stream, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    Ws::after_hello(cookie_stream).await;

    // A browser page from another origin may not open a socket with our cookie.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        crate::ws::ws_url(&s, ""),
    )
    .unwrap();
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");

    // Frames above the size limit close the socket.
    ws.send(json!({"seq": 9, "action": "ping", "data": {"pad": "x".repeat(9000)}}))
        .await;
    assert!(read_json(&mut ws.stream).await.is_none());

    // Malformed resume parameters are refused before the upgrade.
    assert!(
        try_open(&s, Some(&token), "?connection_id=bad")
            .await
            .is_err()
    );
});

both!(
    message_events_reach_members_only,
    |backend: Backend| async move {
        let w = world(TestServer::start(backend).await).await;
        let (mut a, mut b, mut c) = (
            w.ws(&w.alice).await,
            w.ws(&w.bob).await,
            w.ws(&w.carol).await,
        );

        let p = w.post(&w.alice, &w.chat, "hello @bob").await;
        let posted = b.wait_for("posted").await;
        let post = inner(&posted, "post");
        assert_eq!(post["id"], p["id"]);
        assert_eq!(post["message"], "hello @bob");
        let d = &posted["data"];
        assert_eq!(d["channel_type"], "O");
        assert_eq!(d["channel_display_name"], "chat");
        assert_eq!(d["channel_name"], "chat");
        assert_eq!(d["sender_name"], "@admin");
        assert_eq!(d["team_id"], w.team_id.as_str());
        assert_eq!(inner(&posted, "mentions"), json!([w.bob.0]));
        assert_eq!(posted["broadcast"]["channel_id"], w.chat.as_str());
        a.wait_for("posted").await;

        let pid = id(&p);
        w.s.put(
            &format!("/posts/{pid}/patch"),
            &w.alice.1,
            json!({"message": "edited"}),
        )
        .await
        .expect(StatusCode::OK);
        let edited = b.wait_for("post_edited").await;
        assert_eq!(inner(&edited, "post")["message"], "edited");

        w.s.post(&format!("/posts/{pid}/pin"), &w.bob.1, json!({}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            inner(&a.wait_for("post_edited").await, "post")["message"],
            "edited"
        );
        assert_eq!(
            inner(&a.wait_for("post_edited").await, "post")["is_pinned"],
            true
        );

        w.s.post(
            "/reactions",
            &w.bob.1,
            json!({"user_id": w.bob.0, "post_id": pid, "emoji_name": "smile"}),
        )
        .await
        .expect(StatusCode::OK);
        let added = a.wait_for("reaction_added").await;
        assert_eq!(inner(&added, "reaction")["emoji_name"], "smile");
        assert_eq!(inner(&added, "reaction")["user_id"], w.bob.0.as_str());
        w.s.call(
            Method::DELETE,
            &format!("/users/{}/posts/{pid}/reactions/smile", w.bob.0),
            Some(&w.bob.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            inner(&a.wait_for("reaction_removed").await, "reaction")["emoji_name"],
            "smile"
        );

        // Typing reaches the channel, not the typer, and not non-members.
        let r = b
            .request(
                "user_typing",
                json!({"channel_id": w.chat, "parent_id": ""}),
            )
            .await;
        assert_eq!(r["status"], "OK");
        let typing = a.wait_for("typing").await;
        assert_eq!(typing["data"]["user_id"], w.bob.0.as_str());
        assert_eq!(typing["data"]["parent_id"], "");
        assert_eq!(typing["broadcast"]["omit_users"][&w.bob.0], true);
        // Typing where one may not post is refused.
        let denied = c
            .request(
                "user_typing",
                json!({"channel_id": w.chat, "parent_id": ""}),
            )
            .await;
        assert_eq!(denied["status"], "FAIL");

        // Marking unread and viewing go to the user alone.
        w.s.post(
            &format!("/users/{}/posts/{pid}/set_unread", w.bob.0),
            &w.bob.1,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
        let unread = b.wait_for("post_unread").await;
        assert_eq!(unread["data"]["post_id"], pid.as_str());
        assert_eq!(unread["data"]["msg_count"], 1);
        // The post no longer mentions Bob (it was edited), so no mention is unread.
        assert_eq!(unread["data"]["mention_count"], 0);
        assert_eq!(unread["broadcast"]["user_id"], w.bob.0.as_str());
        w.s.post(
            &format!("/channels/members/{}/view", w.bob.0),
            &w.bob.1,
            json!({"channel_id": w.chat}),
        )
        .await
        .expect(StatusCode::OK);
        let viewed = b.wait_for("multiple_channels_viewed").await;
        assert!(viewed["data"]["channel_times"][&w.chat].as_i64().unwrap() > 0);

        // Channel edits and member settings.
        w.s.put(
            &format!("/channels/{}/patch", w.chat),
            &w.alice.1,
            json!({"header": "new header"}),
        )
        .await
        .expect(StatusCode::OK);
        let updated = b.wait_for("channel_updated").await;
        assert_eq!(inner(&updated, "channel")["header"], "new header");
        let header_post = b.wait_for("posted").await;
        assert_eq!(inner(&header_post, "post")["type"], "system_header_change");
        w.s.put(
            &format!("/channels/{}/members/{}/notify_props", w.chat, w.bob.0),
            &w.bob.1,
            json!({"desktop": "none"}),
        )
        .await
        .expect(StatusCode::OK);
        let member = b.wait_for("channel_member_updated").await;
        assert_eq!(
            inner(&member, "channelMember")["notify_props"]["desktop"],
            "none"
        );

        w.s.call(
            Method::DELETE,
            &format!("/posts/{pid}"),
            Some(&w.alice.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            inner(&b.wait_for("post_deleted").await, "post")["id"],
            pid.as_str()
        );

        // Alice saw the channel's events but not Bob's private ones; Carol saw none of them.
        let seen_a = w.drain(&mut a, &w.alice).await;
        for private in [
            "post_unread",
            "multiple_channels_viewed",
            "channel_member_updated",
            "typing",
        ] {
            lacks(&seen_a, private);
        }
        find(&seen_a, "post_deleted");
        let seen_c = w.drain(&mut c, &w.carol).await;
        for name in [
            "posted",
            "post_edited",
            "post_deleted",
            "reaction_added",
            "reaction_removed",
            "typing",
            "channel_updated",
            "post_unread",
        ] {
            lacks(&seen_c, name);
        }
    }
);

both!(
    membership_changes_take_effect_at_once,
    |backend: Backend| async move {
        let w = world(TestServer::start(backend).await).await;
        let (mut a, mut b, mut c) = (
            w.ws(&w.alice).await,
            w.ws(&w.bob).await,
            w.ws(&w.carol).await,
        );

        // Carol joins: the channel hears it, Carol included, and she gets posts from then on.
        w.s.post(
            &format!("/channels/{}/members", w.chat),
            &w.alice.1,
            json!({"user_id": w.carol.0}),
        )
        .await
        .expect(StatusCode::CREATED);
        let added = c.wait_for("user_added").await;
        assert_eq!(added["data"]["user_id"], w.carol.0.as_str());
        assert_eq!(added["data"]["team_id"], w.team_id.as_str());
        assert_eq!(
            b.wait_for("user_added").await["data"]["user_id"],
            w.carol.0.as_str()
        );
        let added_post = c.wait_for("posted").await;
        assert_eq!(inner(&added_post, "post")["type"], "system_add_to_channel");
        w.post(&w.bob, &w.chat, "welcome").await;
        assert_eq!(
            inner(&c.wait_for("posted").await, "post")["message"],
            "welcome"
        );

        // Carol is removed: the channel and Carol hear it, then nothing more reaches her.
        w.s.call(
            Method::DELETE,
            &format!("/channels/{}/members/{}", w.chat, w.carol.0),
            Some(&w.alice.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        let to_channel = b.wait_for("user_removed").await;
        assert_eq!(to_channel["data"]["user_id"], w.carol.0.as_str());
        assert_eq!(to_channel["data"]["remover_id"], w.alice.0.as_str());
        let to_carol = c.wait_for("user_removed").await;
        assert_eq!(to_carol["data"]["channel_id"], w.chat.as_str());
        assert_eq!(to_carol["broadcast"]["user_id"], w.carol.0.as_str());
        w.post(&w.bob, &w.chat, "after carol left").await;
        let seen_c = w.drain(&mut c, &w.carol).await;
        assert!(
            !seen_c.iter().any(
                |e| e["event"] == "posted" && inner(e, "post")["channel_id"] == w.chat.as_str()
            ),
            "{seen_c:?}"
        );

        // A private channel: its creator hears of it and then of its posts; others don't.
        let secret = w
        .s
        .post(
            "/channels",
            &w.bob.1,
            json!({"team_id": w.team_id, "name": "secret", "display_name": "Secret", "type": "P"}),
        )
        .await;
        secret.expect(StatusCode::CREATED);
        let secret = id(&secret.json);
        let created = b.wait_for("channel_created").await;
        assert_eq!(created["data"]["channel_id"], secret.as_str());
        assert_eq!(created["data"]["team_id"], w.team_id.as_str());
        w.post(&w.bob, &secret, "psst").await;
        assert_eq!(
            inner(&b.wait_for("posted").await, "post")["message"],
            "psst"
        );
        let seen_a = w.drain(&mut a, &w.alice).await;
        lacks(&seen_a, "channel_created");
        assert!(
            !seen_a.iter().any(
                |e| e["event"] == "posted" && inner(e, "post")["channel_id"] == secret.as_str()
            )
        );

        // Direct and group messages.
        let dm =
            w.s.post(
                "/channels/direct",
                &w.alice.1,
                json!([w.alice.0, w.carol.0]),
            )
            .await;
        dm.expect(StatusCode::CREATED);
        let dm = id(&dm.json);
        let direct = c.wait_for("direct_added").await;
        assert_eq!(direct["data"]["creator_id"], w.alice.0.as_str());
        assert_eq!(direct["data"]["teammate_id"], w.carol.0.as_str());
        assert_eq!(direct["broadcast"]["channel_id"], dm.as_str());
        a.wait_for("direct_added").await;
        w.post(&w.alice, &dm, "hi carol").await;
        let dm_post = c.wait_for("posted").await;
        assert_eq!(dm_post["data"]["channel_type"], "D");
        assert_eq!(dm_post["data"]["channel_display_name"], "@admin");
        assert_eq!(dm_post["data"]["team_id"], "");
        assert_eq!(inner(&dm_post, "mentions"), json!([w.carol.0]));

        let gm =
            w.s.post(
                "/channels/group",
                &w.bob.1,
                json!([w.alice.0, w.bob.0, w.carol.0]),
            )
            .await;
        gm.expect(StatusCode::CREATED);
        let group = c.wait_for("group_added").await;
        let mut mates: Vec<String> = serde_json::from_value(inner(&group, "teammate_ids")).unwrap();
        mates.sort();
        let mut expected = vec![w.alice.0.clone(), w.bob.0.clone(), w.carol.0.clone()];
        expected.sort();
        assert_eq!(mates, expected);

        // Archive, restore and convert a public channel: the whole team hears.
        w.s.call(
            Method::DELETE,
            &format!("/channels/{}", w.chat),
            Some(&w.alice.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        let deleted = c.wait_for("channel_deleted").await;
        assert_eq!(deleted["data"]["channel_id"], w.chat.as_str());
        assert!(deleted["data"]["delete_at"].as_i64().unwrap() > 0);
        w.s.post(
            &format!("/channels/{}/restore", w.chat),
            &w.alice.1,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            c.wait_for("channel_restored").await["data"]["channel_id"],
            w.chat.as_str()
        );
        w.s.put(
            &format!("/channels/{}/privacy", w.chat),
            &w.alice.1,
            json!({"privacy": "P"}),
        )
        .await
        .expect(StatusCode::OK);
        let converted = c.wait_for("channel_converted").await;
        assert_eq!(converted["data"]["channel_id"], w.chat.as_str());
        assert_eq!(converted["data"]["channel_type"], "P");
    }
);

both!(
    team_user_and_settings_events,
    |backend: Backend| async move {
        let w =
            world(TestServer::start_with(backend, |c| c.privacy.show_email_address = false).await)
                .await;
        let (mut a, mut b, mut c) = (
            w.ws(&w.alice).await,
            w.ws(&w.bob).await,
            w.ws(&w.carol).await,
        );

        // A new user is announced to everyone.
        let dave_id = w.s.create_user(&w.alice.1, "dave").await;
        assert_eq!(
            c.wait_for("new_user").await["data"]["user_id"],
            dave_id.as_str()
        );
        let dave = w.s.login("dave").await;
        let mut d = Ws::connect(&w.s, &dave).await;

        // Joining the team: Dave hears it and from then on gets the team's channel events.
        w.s.post(
            &format!("/teams/{}/members", w.team_id),
            &w.alice.1,
            json!({"team_id": w.team_id, "user_id": dave_id}),
        )
        .await
        .expect(StatusCode::CREATED);
        let joined = d.wait_for("added_to_team").await;
        assert_eq!(joined["data"]["team_id"], w.team_id.as_str());
        assert_eq!(joined["data"]["user_id"], dave_id.as_str());
        w.post(&w.bob, &w.town_square, "hi all").await;
        loop {
            let e = d.wait_for("posted").await;
            if inner(&e, "post")["message"] == "hi all" {
                break;
            }
        }

        // Team settings reach members.
        w.s.put(
            &format!("/teams/{}/patch", w.team_id),
            &w.alice.1,
            json!({"display_name": "Real Time"}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            inner(&d.wait_for("update_team").await, "team")["display_name"],
            "Real Time"
        );

        w.s.put(
            &format!("/teams/{}/members/{}/roles", w.team_id, w.bob.0),
            &w.alice.1,
            json!({"roles": "team_user team_admin"}),
        )
        .await
        .expect(StatusCode::OK);
        let role = b.wait_for("memberrole_updated").await;
        assert_eq!(inner(&role, "member")["roles"], "team_user team_admin");

        // Leaving: the team (the leaver included) hears it, then the leaver hears no more.
        w.s.call(
            Method::DELETE,
            &format!("/teams/{}/members/{dave_id}", w.team_id),
            Some(&dave),
            None,
        )
        .await
        .expect(StatusCode::OK);
        let left = b.wait_for("leave_team").await;
        assert_eq!(left["data"]["user_id"], dave_id.as_str());
        assert_eq!(
            d.wait_for("leave_team").await["data"]["team_id"],
            w.team_id.as_str()
        );
        w.post(&w.bob, &w.town_square, "after dave").await;
        let seen_d = d.drain(&w.s, &dave, &dave_id).await;
        lacks(&seen_d, "posted");

        // User updates: everyone hears, with the email only for admins and the user.
        w.s.put(
            &format!("/users/{}/patch", w.bob.0),
            &w.bob.1,
            json!({"nickname": "bobby"}),
        )
        .await
        .expect(StatusCode::OK);
        let for_admin = a.wait_for("user_updated").await;
        assert!(for_admin["data"]["user"].is_object());
        assert_eq!(for_admin["data"]["user"]["nickname"], "bobby");
        assert_eq!(for_admin["data"]["user"]["email"], "bob@example.com");
        let for_self = b.wait_for("user_updated").await;
        assert_eq!(for_self["data"]["user"]["email"], "bob@example.com");
        let for_other = c.wait_for("user_updated").await;
        assert_eq!(for_other["data"]["user"]["nickname"], "bobby");
        assert_eq!(for_other["data"]["user"]["email"], "");

        w.s.put(
            &format!("/users/{}/roles", w.carol.0),
            &w.alice.1,
            json!({"roles": "system_user system_admin"}),
        )
        .await
        .expect(StatusCode::OK);
        let role = c.wait_for("user_role_updated").await;
        assert_eq!(role["data"]["user_id"], w.carol.0.as_str());
        assert_eq!(role["data"]["roles"], "system_user system_admin");
        // Carol is an admin now: she sees emails in user updates.
        w.s.put(
            &format!("/users/{}/patch", w.bob.0),
            &w.bob.1,
            json!({"nickname": "rob"}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            c.wait_for("user_updated").await["data"]["user"]["email"],
            "bob@example.com"
        );

        // Preferences go to their owner only.
        let prefs = json!([{"user_id": w.bob.0, "category": "display_settings", "name": "theme", "value": "dark"}]);
        w.s.put(
            &format!("/users/{}/preferences", w.bob.0),
            &w.bob.1,
            prefs.clone(),
        )
        .await
        .expect(StatusCode::OK);
        let changed = b.wait_for("preferences_changed").await;
        assert_eq!(inner(&changed, "preferences")[0]["value"], "dark");
        w.s.post(
            &format!("/users/{}/preferences/delete", w.bob.0),
            &w.bob.1,
            prefs,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            inner(&b.wait_for("preferences_deleted").await, "preferences")[0]["name"],
            "theme"
        );

        // Sidebar categories.
        let base = format!("/users/{}/teams/{}/channels/categories", w.bob.0, w.team_id);
        w.s.get(&base, &w.bob.1).await.expect(StatusCode::OK);
        let cat =
            w.s.post(
                &base,
                &w.bob.1,
                json!({"display_name": "Work", "channel_ids": []}),
            )
            .await;
        cat.expect(StatusCode::CREATED);
        let cat_id = id(&cat.json);
        let created = b.wait_for("sidebar_category_created").await;
        assert_eq!(created["data"]["category_id"], cat_id.as_str());
        assert_eq!(created["broadcast"]["team_id"], w.team_id.as_str());
        let mut updated = cat.json.clone();
        updated["display_name"] = json!("Work stuff");
        w.s.put(&base, &w.bob.1, json!([updated]))
            .await
            .expect(StatusCode::OK);
        let upd = b.wait_for("sidebar_category_updated").await;
        assert_eq!(
            inner(&upd, "updatedCategories")[0]["display_name"],
            "Work stuff"
        );
        let order = w.s.get(&format!("{base}/order"), &w.bob.1).await;
        let mut ids: Vec<String> = serde_json::from_value(order.json.clone()).unwrap();
        ids.reverse();
        w.s.put(&format!("{base}/order"), &w.bob.1, json!(ids))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            b.wait_for("sidebar_category_order_updated").await["data"]["order"],
            json!(ids)
        );
        w.s.call(
            Method::DELETE,
            &format!("{base}/{cat_id}"),
            Some(&w.bob.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(
            b.wait_for("sidebar_category_deleted").await["data"]["category_id"],
            cat_id.as_str()
        );
        let seen_c = w.drain(&mut c, &w.carol).await;
        for name in [
            "preferences_deleted",
            "sidebar_category_created",
            "memberrole_updated",
        ] {
            lacks(&seen_c, name);
        }
    }
);

both!(
    thread_events_reach_followers,
    |backend: Backend| async move {
        let w = world(TestServer::start(backend).await).await;
        let (mut a, mut b) = (w.ws(&w.alice).await, w.ws(&w.bob).await);
        let root = w.post(&w.alice, &w.chat, "root").await;
        let root_id = id(&root);
        let reply =
            w.s.post(
                "/posts",
                &w.bob.1,
                json!({"channel_id": w.chat, "message": "reply @admin", "root_id": root_id}),
            )
            .await;
        reply.expect(StatusCode::CREATED);

        let posted = loop {
            let e = a.wait_for("posted").await;
            if inner(&e, "post")["root_id"] == root_id.as_str() {
                break e;
            }
        };
        let followers: Vec<String> = serde_json::from_value(inner(&posted, "followers")).unwrap();
        assert!(followers.contains(&w.alice.0) && followers.contains(&w.bob.0));
        let updated = a.wait_for("thread_updated").await;
        let thread = inner(&updated, "thread");
        assert_eq!(thread["id"], root_id.as_str());
        assert_eq!(thread["reply_count"], 1);
        assert_eq!(thread["unread_replies"], 1);
        assert_eq!(thread["unread_mentions"], 1);
        assert_eq!(updated["data"]["previous_unread_replies"], 0);
        assert_eq!(updated["data"]["previous_unread_mentions"], 0);
        assert_eq!(updated["broadcast"]["user_id"], w.alice.0.as_str());
        assert_eq!(updated["broadcast"]["team_id"], w.team_id.as_str());

        let base = format!("/users/{}/teams/{}/threads/{root_id}", w.alice.0, w.team_id);
        let now = conclave_model::now_ms();
        w.s.put(&format!("{base}/read/{now}"), &w.alice.1, json!({}))
            .await
            .expect(StatusCode::OK);
        let read = a.wait_for("thread_read_changed").await;
        assert_eq!(read["data"]["thread_id"], root_id.as_str());
        assert_eq!(read["data"]["unread_replies"], 0);
        assert_eq!(read["data"]["unread_mentions"], 0);
        assert_eq!(read["data"]["previous_unread_replies"], 1);
        assert_eq!(read["data"]["previous_unread_mentions"], 1);
        assert_eq!(read["data"]["channel_id"], w.chat.as_str());

        w.s.call(
            Method::DELETE,
            &format!("{base}/following"),
            Some(&w.alice.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        let follow = a.wait_for("thread_follow_changed").await;
        assert_eq!(follow["data"]["thread_id"], root_id.as_str());
        assert_eq!(follow["data"]["state"], false);
        assert_eq!(follow["data"]["reply_count"], 1);

        w.s.put(
            &format!("/users/{}/teams/{}/threads/read", w.alice.0, w.team_id),
            &w.alice.1,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
        assert!(
            a.wait_for("thread_read_changed").await["data"]["timestamp"]
                .as_i64()
                .unwrap()
                > 0
        );

        // Bob's own thread state is his alone.
        let seen_b = w.drain(&mut b, &w.bob).await;
        lacks(&seen_b, "thread_read_changed");
        lacks(&seen_b, "thread_follow_changed");
    }
);

both!(
    resume_replays_or_starts_afresh,
    |backend: Backend| async move {
        let w =
            world(TestServer::start_with(backend, |c| c.realtime.replay_events = 8).await).await;
        let mut b = w.ws(&w.bob).await;
        w.post(&w.alice, &w.chat, "before").await;
        b.wait_for("posted").await;
        let (conn_id, next) = (b.connection_id.clone(), b.next_seq);
        drop(b);

        // Missed while away: replayed with the original numbers, no hello.
        for i in 0..3 {
            w.post(&w.alice, &w.chat, &format!("missed {i}")).await;
        }
        let stream = open(
            &w.s,
            Some(&w.bob.1),
            &format!("?connection_id={conn_id}&sequence_number={next}"),
        )
        .await;
        let mut b = Ws::resumed(stream, &conn_id, next);
        for i in 0..3 {
            let e = b.next_event().await;
            assert_eq!(e["event"], "posted", "{e}");
            assert_eq!(inner(&e, "post")["message"], format!("missed {i}"));
        }
        // Live again on the same numbering.
        w.post(&w.alice, &w.chat, "live").await;
        assert_eq!(
            inner(&b.wait_for("posted").await, "post")["message"],
            "live"
        );
        let next = b.next_seq;
        drop(b);

        // Fully caught up: nothing replayed, no hello, events continue.
        let stream = open(
            &w.s,
            Some(&w.bob.1),
            &format!("?connection_id={conn_id}&sequence_number={next}"),
        )
        .await;
        let mut b = Ws::resumed(stream, &conn_id, next);
        w.post(&w.alice, &w.chat, "next").await;
        assert_eq!(inner(&b.next_event().await, "post")["message"], "next");
        let next = b.next_seq;
        drop(b);

        // More missed than the replay buffer holds: a new connection and a fresh hello.
        for i in 0..12 {
            w.post(&w.alice, &w.chat, &format!("flood {i}")).await;
        }
        let stream = open(
            &w.s,
            Some(&w.bob.1),
            &format!("?connection_id={conn_id}&sequence_number={next}"),
        )
        .await;
        let fresh = Ws::after_hello(stream).await;
        assert_ne!(fresh.connection_id, conn_id);

        // Someone else's connection id is not resumable either.
        let stream = open(
            &w.s,
            Some(&w.carol.1),
            &format!("?connection_id={}&sequence_number=1", fresh.connection_id),
        )
        .await;
        let other = Ws::after_hello(stream).await;
        assert_ne!(other.connection_id, fresh.connection_id);
    }
);

both!(
    slow_consumer_is_cut_off_alone,
    |backend: Backend| async move {
        let w = world(TestServer::start_with(backend, |c| c.realtime.send_queue = 16).await).await;
        let mut fast = w.ws(&w.alice).await;
        // A client that stops reading, with a tiny receive window so the server's writes stall.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(1024).unwrap();
        let addr = w.s.base.trim_start_matches("http://").parse().unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                crate::ws::ws_url(&w.s, ""),
            )
            .unwrap();
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", w.bob.1).parse().unwrap(),
        );
        let (slow_stream, _) =
            tokio_tungstenite::client_async(req, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .unwrap();
        let mut slow = Ws::after_hello(slow_stream).await;

        let big = "x".repeat(8000);
        let mut sent = 0;
        let mut cut_off = false;
        while sent < 2000 && !cut_off {
            for _ in 0..20 {
                w.post(&w.bob, &w.chat, &big).await;
                sent += 1;
            }
            // The fast reader keeps up with every event, in order.
            for _ in 0..20 {
                fast.wait_for("posted").await;
            }
            cut_off = w.s.app.hub().stats().active_connections < 2;
        }
        assert!(
            cut_off,
            "the slow socket was never cut off after {sent} posts"
        );
        // The slow client reads what was written, then the close.
        let mut got = 0;
        loop {
            match read_json(&mut slow.stream).await {
                Some(v) if v.get("seq").is_some() => {
                    assert_eq!(v["seq"].as_u64(), Some(slow.next_seq));
                    slow.next_seq += 1;
                    got += 1;
                }
                Some(_) => {}
                None => break,
            }
        }
        assert!(got < sent, "the slow socket received everything ({got})");
        // It may come back: either a replay from where it stopped or a fresh start.
        let stream = open(
            &w.s,
            Some(&w.bob.1),
            &format!(
                "?connection_id={}&sequence_number={}",
                slow.connection_id, slow.next_seq
            ),
        )
        .await;
        let mut back = stream;
        let first = read_json(&mut back).await.unwrap();
        assert!(
            first["event"] == "hello" || first["seq"].as_u64() == Some(slow.next_seq),
            "{first}"
        );
        // The fast one was never disturbed.
        w.post(&w.alice, &w.chat, "still here").await;
        loop {
            let e = fast.wait_for("posted").await;
            if inner(&e, "post")["message"] == "still here" {
                break;
            }
        }
    }
);

both!(
    ended_sessions_close_their_sockets,
    |backend: Backend| async move {
        let w = world(TestServer::start(backend).await).await;

        // Logout.
        let token = w.s.login("bob").await;
        let mut ws = Ws::connect(&w.s, &token).await;
        w.s.call(Method::POST, "/users/logout", Some(&token), Some(json!({})))
            .await
            .expect(StatusCode::OK);
        assert_eq!(ws.closed().await, Some(1008));

        // Revoking one session closes only its sockets.
        let (t1, t2) = (w.s.login("bob").await, w.s.login("bob").await);
        let (mut s1, mut s2) = (Ws::connect(&w.s, &t1).await, Ws::connect(&w.s, &t2).await);
        let sid1 = w.s.app.authenticate(&t1, "test").await.unwrap().session.id;
        w.s.post(
            &format!("/users/{}/sessions/revoke", w.bob.0),
            &t2,
            json!({"session_id": sid1}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(s1.closed().await, Some(1008));
        let pong = s2.request("ping", json!({})).await;
        assert_eq!(pong["data"]["text"], "pong");

        // Deactivation closes every socket of the user; resuming is refused.
        let conn = s2.connection_id.clone();
        let next = s2.next_seq;
        w.s.call(
            Method::DELETE,
            &format!("/users/{}", w.bob.0),
            Some(&w.alice.1),
            None,
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(s2.closed().await, Some(1008));
        // The ended session's token opens nothing: the upgrade is anonymous and the challenge
        // with that token closes the socket.
        let mut stale = open(
            &w.s,
            Some(&t2),
            &format!("?connection_id={conn}&sequence_number={next}"),
        )
        .await;
        send_json(
            &mut stale,
            json!({"seq": 1, "action": "authentication_challenge", "data": {"token": t2}}),
        )
        .await;
        assert!(read_json(&mut stale).await.is_none());

        // A personal access token's socket closes when the token is revoked.
        let pat =
            w.s.post(
                &format!("/users/{}/tokens", w.carol.0),
                &w.alice.1,
                json!({"description": "bot"}),
            )
            .await;
        pat.expect(StatusCode::CREATED);
        let mut bot = Ws::connect(&w.s, pat.json["token"].as_str().unwrap()).await;
        w.s.post(
            "/users/tokens/revoke",
            &w.alice.1,
            json!({"token_id": pat.json["id"]}),
        )
        .await
        .expect(StatusCode::OK);
        assert_eq!(bot.closed().await, Some(1008));
    }
);

/// Polls a user's status until it is `want` (presence changes run in the background).
async fn status_becomes(s: &TestServer, token: &str, user_id: &str, want: &str) {
    for _ in 0..100 {
        let r = s.get(&format!("/users/{user_id}/status"), token).await;
        if r.json["status"] == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = s.get(&format!("/users/{user_id}/status"), token).await;
    panic!("status never became {want}: {}", r.text);
}

both!(
    presence_follows_sockets_and_activity,
    |backend: Backend| async move {
        let w = world(
            TestServer::start_with(backend, |c| {
                c.realtime.offline_grace_secs = 0;
                c.realtime.away_timeout_secs = 1;
            })
            .await,
        )
        .await;
        let (bob_id, alice) = (w.bob.0.clone(), w.alice.1.clone());
        status_becomes(&w.s, &alice, &bob_id, "offline").await;

        // Two devices: online with either, offline only when both are gone.
        let mut phone = w.ws(&w.bob).await;
        let laptop = w.ws(&w.bob).await;
        let change = phone.wait_for("status_change").await;
        assert_eq!(change["data"]["user_id"], bob_id.as_str());
        assert_eq!(change["data"]["status"], "online");
        assert_eq!(change["broadcast"]["user_id"], bob_id.as_str());
        status_becomes(&w.s, &alice, &bob_id, "online").await;
        drop(laptop);
        let r = phone
            .request("get_statuses_by_ids", json!({"user_ids": [bob_id]}))
            .await;
        assert_eq!(r["data"][&bob_id], "online");

        // Idle past the away timeout: away; activity brings him back.
        let away = phone.wait_for("status_change").await;
        assert_eq!(away["data"]["status"], "away");
        status_becomes(&w.s, &alice, &bob_id, "away").await;
        phone
            .request(
                "user_update_active_status",
                json!({"user_is_active": true, "manual": false}),
            )
            .await;
        assert_eq!(
            phone.wait_for("status_change").await["data"]["status"],
            "online"
        );
        status_becomes(&w.s, &alice, &bob_id, "online").await;
        drop(phone);
        status_becomes(&w.s, &alice, &bob_id, "offline").await;

        // A status set by hand survives sockets opening and closing.
        w.s.put(
            &format!("/users/{bob_id}/status"),
            &w.bob.1,
            json!({"user_id": bob_id, "status": "dnd"}),
        )
        .await
        .expect(StatusCode::OK);
        let mut again = w.ws(&w.bob).await;
        let r = again
            .request("get_statuses_by_ids", json!({"user_ids": [bob_id]}))
            .await;
        assert_eq!(r["data"][&bob_id], "dnd");
        drop(again);
        // Wait for the disconnect to be processed, then check DND stood.
        for _ in 0..50 {
            if !w.s.app.hub().is_active(&bob_id) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let r = w.s.get(&format!("/users/{bob_id}/status"), &alice).await;
        assert_eq!(r.json["status"], "dnd");
    }
);

both!(
    keepalive_closes_silent_sockets,
    |backend: Backend| async move {
        let w = world(
            TestServer::start_with(backend, |c| {
                c.realtime.ping_interval_secs = 1;
                c.realtime.read_timeout_secs = 2;
            })
            .await,
        )
        .await;
        // A client that answers pings (tungstenite does while reading) stays connected; an
        // unsolicited pong is accepted.
        let mut live = w.ws(&w.alice).await;
        {
            use futures_util::SinkExt;
            live.stream
                .send(tokio_tungstenite::tungstenite::Message::Pong(
                    Default::default(),
                ))
                .await
                .unwrap();
        }
        // A client that never reads never answers pings: closed after the read timeout.
        let mut silent = w.ws(&w.bob).await;
        let started = std::time::Instant::now();
        let reader = tokio::spawn(async move {
            // Keeps the live socket reading (and so answering pings) for a while.
            for _ in 0..4 {
                live.request("ping", json!({})).await;
                tokio::time::sleep(Duration::from_millis(900)).await;
            }
            live
        });
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let mut live = reader.await.unwrap();
        let pong = live.request("ping", json!({})).await;
        assert_eq!(
            pong["data"]["text"], "pong",
            "the answering socket stays open"
        );
        let code = silent.closed().await;
        assert!(started.elapsed() >= Duration::from_secs(2));
        assert_eq!(code, Some(1001));
    }
);
