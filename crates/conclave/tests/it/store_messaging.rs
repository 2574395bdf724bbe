//! Store conformance for teams, channels, posts and per-user state.

use conclave_model::channel::direct_channel_name;
use conclave_model::{
    Channel, ChannelMember, Post, Preference, Reaction, Status, Team, TeamMember, User, new_id,
    now_ms,
};
use conclave_store::{NewPost, PostPage, Store, StoreError};

use crate::both;
use crate::support::{Backend, TestDb};

async fn user(s: &dyn Store, name: &str) -> String {
    let u = User {
        id: new_id(),
        username: name.into(),
        email: format!("{name}@example.com"),
        roles: "system_user".into(),
        ..User::default()
    };
    s.users().create(u, false).await.unwrap().id
}

fn team(name: &str) -> Team {
    Team {
        id: new_id(),
        create_at: 1,
        update_at: 1,
        display_name: name.to_uppercase(),
        name: name.into(),
        team_type: "O".into(),
        invite_id: new_id(),
        allow_open_invite: true,
        ..Team::default()
    }
}

fn channel(team_id: &str, name: &str, kind: &str) -> Channel {
    Channel {
        id: new_id(),
        create_at: 1,
        update_at: 1,
        team_id: team_id.into(),
        channel_type: kind.into(),
        display_name: name.to_uppercase(),
        name: name.into(),
        ..Channel::default()
    }
}

fn post(channel_id: &str, user_id: &str, at: i64, root_id: &str) -> Post {
    Post {
        id: new_id(),
        create_at: at,
        update_at: at,
        user_id: user_id.into(),
        channel_id: channel_id.into(),
        root_id: root_id.into(),
        message: format!("message at {at}"),
        props: serde_json::json!({}),
        ..Post::default()
    }
}

both!(
    teams_members_and_default_channels,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        let (ann, bob) = (user(&*s, "ann").await, user(&*s, "bob").await);
        let t = team("acme");
        let town = channel(&t.id, "town-square", "O");
        let off = channel(&t.id, "off-topic", "O");
        s.teams()
            .create(
                &t,
                &TeamMember::new(&t.id, &ann, true, 1),
                &[town.clone(), off.clone()],
                &[
                    ChannelMember::new(&town.id, &ann, false, 1),
                    ChannelMember::new(&off.id, &ann, false, 1),
                ],
            )
            .await
            .unwrap();
        assert_eq!(s.teams().get_by_name("acme").await.unwrap(), t);
        assert_eq!(
            s.teams().get_by_invite_id(&t.invite_id).await.unwrap().id,
            t.id
        );
        assert_eq!(
            s.teams()
                .create(
                    &team("acme"),
                    &TeamMember::new("x", &ann, true, 1),
                    &[],
                    &[]
                )
                .await,
            Err(StoreError::Conflict("name"))
        );
        assert!(s.teams().get_member(&t.id, &ann).await.unwrap().is_admin());

        // Joining adds the default channels, idempotently.
        let joins = [
            ChannelMember::new(&town.id, &bob, false, 2),
            ChannelMember::new(&off.id, &bob, false, 2),
        ];
        s.teams()
            .add_member(&TeamMember::new(&t.id, &bob, false, 2), &joins)
            .await
            .unwrap();
        s.teams()
            .add_member(&TeamMember::new(&t.id, &bob, false, 2), &joins)
            .await
            .unwrap();
        assert_eq!(s.channels().member_count(&town.id).await.unwrap(), 2);
        assert_eq!(s.teams().list_members(&t.id, 0, 10).await.unwrap().len(), 2);
        assert_eq!(s.teams().member_counts(&t.id).await.unwrap(), (2, 2));
        assert_eq!(s.teams().list_for_user(&bob).await.unwrap().len(), 1);

        // Leaving soft-deletes the membership and removes channel memberships.
        s.teams().remove_member(&t.id, &bob, 5).await.unwrap();
        assert_eq!(
            s.teams().get_member(&t.id, &bob).await.unwrap().delete_at,
            5
        );
        assert!(s.teams().list_for_user(&bob).await.unwrap().is_empty());
        assert_eq!(s.channels().member_count(&town.id).await.unwrap(), 1);
        assert_eq!(
            s.teams()
                .members_by_ids(&t.id, &[ann.clone(), bob.clone()])
                .await
                .unwrap()
                .len(),
            1
        );
        // Re-joining re-activates.
        s.teams()
            .add_member(&TeamMember::new(&t.id, &bob, false, 6), &joins)
            .await
            .unwrap();
        assert_eq!(
            s.teams().get_member(&t.id, &bob).await.unwrap().delete_at,
            0
        );

        let mut private = team("secret");
        private.allow_open_invite = false;
        s.teams()
            .create(
                &private,
                &TeamMember::new(&private.id, &ann, true, 1),
                &[],
                &[],
            )
            .await
            .unwrap();
        assert_eq!(s.teams().list(true, 0, 10).await.unwrap().len(), 1);
        assert_eq!(s.teams().list(false, 0, 10).await.unwrap().len(), 2);
        s.close().await;
    }
);

both!(
    posts_move_counters_and_unreads,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        let (ann, bob, cat) = (
            user(&*s, "ann").await,
            user(&*s, "bob").await,
            user(&*s, "cat").await,
        );
        let ch = channel("t1", "general", "O");
        s.channels()
            .create(
                &ch,
                &[
                    ChannelMember::new(&ch.id, &ann, true, 0),
                    ChannelMember::new(&ch.id, &bob, false, 0),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            s.channels()
                .create(&channel("t1", "general", "O"), &[])
                .await,
            Err(StoreError::Conflict("name"))
        );
        assert_eq!(
            s.channels()
                .add_member(&ChannelMember::new(&ch.id, &bob, false, 0))
                .await,
            Err(StoreError::Conflict("member"))
        );

        let root = post(&ch.id, &ann, 100, "");
        s.posts()
            .create(&NewPost {
                post: root.clone(),
                mentioned: vec![bob.clone()],
                ..NewPost::default()
            })
            .await
            .unwrap();
        let reply = post(&ch.id, &bob, 200, &root.id);
        s.posts()
            .create(&NewPost {
                post: reply.clone(),
                thread_followers: vec![ann.clone(), bob.clone()],
                ..NewPost::default()
            })
            .await
            .unwrap();

        let c = s.channels().get(&ch.id).await.unwrap();
        assert_eq!(
            (
                c.total_msg_count,
                c.total_msg_count_root,
                c.last_post_at,
                c.last_root_post_at
            ),
            (2, 1, 200, 100)
        );
        let a = s.channels().get_member(&ch.id, &ann).await.unwrap();
        assert_eq!(
            (a.msg_count, a.msg_count_root, a.last_viewed_at),
            (1, 1, 100),
            "the author read up to their own post"
        );
        let b = s.channels().get_member(&ch.id, &bob).await.unwrap();
        assert_eq!(
            (
                b.msg_count,
                b.mention_count,
                b.mention_count_root,
                b.last_viewed_at
            ),
            (2, 1, 1, 200)
        );

        let got = s.posts().get(&root.id).await.unwrap();
        assert_eq!((got.reply_count, got.last_reply_at), (1, 200));
        assert_eq!(
            s.posts().get(&reply.id).await.unwrap().reply_count,
            1,
            "replies carry the thread's count"
        );
        assert_eq!(
            s.posts()
                .thread(&root.id)
                .await
                .unwrap()
                .iter()
                .map(|p| p.id.clone())
                .collect::<Vec<_>>(),
            [root.id.clone(), reply.id.clone()]
        );

        // A member joining later starts with the history read.
        s.channels()
            .add_member(&ChannelMember::new(&ch.id, &cat, false, 0))
            .await
            .unwrap();
        let joined = s.channels().get_member(&ch.id, &cat).await.unwrap();
        assert_eq!((joined.msg_count, joined.last_viewed_at), (2, 200));

        // Viewing clears mentions and catches up.
        let mut more = post(&ch.id, &ann, 300, "");
        more.message = "@bob again".into();
        s.posts()
            .create(&NewPost {
                post: more.clone(),
                mentioned: vec![bob.clone()],
                ..NewPost::default()
            })
            .await
            .unwrap();
        assert_eq!(
            s.channels()
                .get_member(&ch.id, &bob)
                .await
                .unwrap()
                .mention_count,
            2
        );
        let viewed = s
            .channels()
            .mark_viewed(&bob, &[ch.id.clone(), "nope".repeat(6)], 999)
            .await
            .unwrap();
        assert_eq!(viewed, [(ch.id.clone(), 300)]);
        let b = s.channels().get_member(&ch.id, &bob).await.unwrap();
        assert_eq!(
            (
                b.msg_count,
                b.msg_count_root,
                b.mention_count,
                b.last_viewed_at
            ),
            (3, 2, 0, 300)
        );

        // Marking unread from the reply onward.
        let b = s
            .channels()
            .mark_unread(&bob, &ch.id, 200, 1, 1)
            .await
            .unwrap();
        assert_eq!(
            (
                b.msg_count,
                b.msg_count_root,
                b.mention_count,
                b.last_viewed_at
            ),
            (1, 1, 1, 199)
        );
        assert_eq!(s.posts().count_after(&ch.id, 100).await.unwrap(), (2, 1));

        // Deleting the root deletes the thread.
        s.posts().delete(&root.id, 400).await.unwrap();
        assert_eq!(s.posts().get(&reply.id).await.unwrap().delete_at, 400);
        assert!(s.posts().thread(&root.id).await.unwrap().is_empty());
        assert_eq!(
            s.posts().delete(&root.id, 500).await,
            Err(StoreError::NotFound)
        );
        s.close().await;
    }
);

both!(post_pages_and_cursors, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let ann = user(&*s, "ann").await;
    let ch = channel("t1", "general", "O");
    s.channels()
        .create(&ch, &[ChannelMember::new(&ch.id, &ann, true, 0)])
        .await
        .unwrap();
    let mut ids = Vec::new();
    for at in 1..=10 {
        let p = post(&ch.id, &ann, at * 10, "");
        ids.push(p.id.clone());
        s.posts()
            .create(&NewPost {
                post: p,
                ..NewPost::default()
            })
            .await
            .unwrap();
    }
    let reply = post(&ch.id, &ann, 105, &ids[9]);
    s.posts()
        .create(&NewPost {
            post: reply.clone(),
            ..NewPost::default()
        })
        .await
        .unwrap();
    let order = |v: Vec<Post>| v.into_iter().map(|p| p.create_at).collect::<Vec<_>>();
    let page = |p: PostPage| {
        let s = s.clone();
        let id = ch.id.clone();
        async move { order(s.posts().channel_page(&id, &p).await.unwrap()) }
    };

    assert_eq!(
        page(PostPage {
            limit: 3,
            ..PostPage::default()
        })
        .await,
        [105, 100, 90]
    );
    assert_eq!(
        page(PostPage {
            limit: 3,
            offset: 3,
            ..PostPage::default()
        })
        .await,
        [80, 70, 60]
    );
    assert_eq!(
        page(PostPage {
            limit: 3,
            roots_only: true,
            ..PostPage::default()
        })
        .await,
        [100, 90, 80]
    );
    assert_eq!(
        page(PostPage {
            limit: 2,
            before: Some((50, ids[4].clone())),
            ..PostPage::default()
        })
        .await,
        [40, 30]
    );
    assert_eq!(
        page(PostPage {
            limit: 2,
            after: Some((50, ids[4].clone())),
            ..PostPage::default()
        })
        .await,
        [60, 70],
        "after reads oldest first"
    );

    let mut edited = s.posts().get(&ids[0]).await.unwrap();
    edited.message = "edited".into();
    edited.edit_at = 1000;
    edited.update_at = 1000;
    edited.is_pinned = true;
    s.posts().update(&edited).await.unwrap();
    s.posts().delete(&ids[1], 1001).await.unwrap();
    assert_eq!(
        page(PostPage {
            since: Some(999),
            limit: 100,
            ..PostPage::default()
        })
        .await,
        [20, 10],
        "since includes edits and deletions"
    );
    assert_eq!(s.posts().pinned(&ch.id).await.unwrap()[0].message, "edited");
    assert_eq!(s.posts().pinned_count(&ch.id).await.unwrap(), 1);
    assert_eq!(
        s.posts()
            .get_many(&[ids[2].clone(), ids[3].clone()])
            .await
            .unwrap()
            .len(),
        2
    );

    // Saved posts come from the flagged_post preference.
    let flag = |id: &str| Preference {
        user_id: ann.clone(),
        category: "flagged_post".into(),
        name: id.into(),
        value: "true".into(),
    };
    s.preferences()
        .save(&[flag(&ids[5]), flag(&ids[7])])
        .await
        .unwrap();
    assert_eq!(
        order(s.posts().flagged(&ann, None, 0, 10).await.unwrap()),
        [80, 60]
    );
    assert_eq!(
        order(
            s.posts()
                .flagged(&ann, Some(std::slice::from_ref(&ch.id)), 1, 10)
                .await
                .unwrap()
        ),
        [60]
    );
    assert!(
        s.posts()
            .flagged(&ann, Some(&["other".repeat(5)]), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.close().await;
});

both!(channels_lists_and_members, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let (ann, bob) = (user(&*s, "ann").await, user(&*s, "bob").await);
    let public = channel("t1", "release-notes", "O");
    let private = channel("t1", "secret", "P");
    let mut dm = channel("", &direct_channel_name(&ann, &bob), "D");
    dm.display_name.clear();
    let other_team = channel("t2", "elsewhere", "O");
    for (c, members) in [
        (&public, vec![&ann, &bob]),
        (&private, vec![&ann]),
        (&dm, vec![&ann, &bob]),
        (&other_team, vec![&ann]),
    ] {
        let ms: Vec<_> = members
            .into_iter()
            .map(|u| ChannelMember::new(&c.id, u, false, 0))
            .collect();
        s.channels().create(c, &ms).await.unwrap();
    }
    let names = |v: Vec<Channel>| v.into_iter().map(|c| c.name).collect::<Vec<_>>();
    assert_eq!(
        names(s.channels().list_for_user(&ann, "t1", false).await.unwrap()).len(),
        3
    );
    assert_eq!(
        names(s.channels().list_for_user(&bob, "t1", false).await.unwrap()).len(),
        2
    );
    assert_eq!(
        s.channels()
            .list_members_for_user(&ann, "t2")
            .await
            .unwrap()
            .len(),
        2,
        "team channel + the DM"
    );
    assert_eq!(
        names(s.channels().list_public("t1", false, 0, 10).await.unwrap()),
        ["release-notes"]
    );
    assert_eq!(
        names(s.channels().search_public("t1", "NOTES", 10).await.unwrap()),
        ["release-notes"]
    );
    assert!(
        s.channels()
            .search_public("t1", "secret", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.channels().get_by_name("", &dm.name).await.unwrap().id,
        dm.id
    );

    let mut archived = public.clone();
    archived.delete_at = 9;
    archived.header = "new header".into();
    s.channels().update(&archived).await.unwrap();
    assert_eq!(
        names(s.channels().list_public("t1", true, 0, 10).await.unwrap()),
        ["release-notes"]
    );
    assert_eq!(
        s.channels()
            .list_for_user(&bob, "t1", false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.channels()
            .list_for_user(&bob, "t1", true)
            .await
            .unwrap()
            .len(),
        2
    );

    let mut m = s.channels().get_member(&public.id, &bob).await.unwrap();
    m.roles = "channel_user channel_admin".into();
    m.notify_props
        .insert("mark_unread".into(), "mention".into());
    s.channels().update_member(&m).await.unwrap();
    assert_eq!(s.channels().get_member(&public.id, &bob).await.unwrap(), m);
    assert_eq!(
        s.channels()
            .members_by_ids(&public.id, std::slice::from_ref(&bob))
            .await
            .unwrap(),
        [m]
    );
    s.channels().remove_member(&public.id, &bob).await.unwrap();
    assert_eq!(
        s.channels().remove_member(&public.id, &bob).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        s.channels()
            .list_members(&public.id, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    s.close().await;
});

both!(
    reactions_preferences_statuses,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        let ann = user(&*s, "ann").await;
        let ch = channel("t1", "general", "O");
        s.channels()
            .create(&ch, &[ChannelMember::new(&ch.id, &ann, true, 0)])
            .await
            .unwrap();
        let p = post(&ch.id, &ann, 10, "");
        s.posts()
            .create(&NewPost {
                post: p.clone(),
                ..NewPost::default()
            })
            .await
            .unwrap();
        let r = |emoji: &str| Reaction {
            user_id: ann.clone(),
            post_id: p.id.clone(),
            emoji_name: emoji.into(),
            create_at: now_ms(),
            channel_id: ch.id.clone(),
            ..Reaction::default()
        };
        s.reactions().add(&r("+1")).await.unwrap();
        s.reactions().add(&r("+1")).await.unwrap();
        s.reactions().add(&r("tada")).await.unwrap();
        assert!(s.posts().get(&p.id).await.unwrap().has_reactions);
        assert_eq!(
            s.reactions()
                .list_for_posts(std::slice::from_ref(&p.id))
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(s.reactions().distinct_emoji_count(&p.id).await.unwrap(), 2);
        s.reactions().remove(&ann, &p.id, "+1", 20).await.unwrap();
        assert!(s.posts().get(&p.id).await.unwrap().has_reactions);
        s.reactions().remove(&ann, &p.id, "tada", 21).await.unwrap();
        assert!(!s.posts().get(&p.id).await.unwrap().has_reactions);
        assert_eq!(
            s.reactions().remove(&ann, &p.id, "tada", 22).await,
            Err(StoreError::NotFound)
        );

        let pref = |c: &str, n: &str, v: &str| Preference {
            user_id: ann.clone(),
            category: c.into(),
            name: n.into(),
            value: v.into(),
        };
        s.preferences()
            .save(&[
                pref("theme", "", "{}"),
                pref("display_settings", "use_military_time", "false"),
            ])
            .await
            .unwrap();
        s.preferences()
            .save(&[pref("display_settings", "use_military_time", "true")])
            .await
            .unwrap();
        assert_eq!(s.preferences().list(&ann).await.unwrap().len(), 2);
        assert_eq!(
            s.preferences()
                .get(&ann, "display_settings", "use_military_time")
                .await
                .unwrap()
                .value,
            "true"
        );
        assert_eq!(
            s.preferences()
                .list_category(&ann, "theme")
                .await
                .unwrap()
                .len(),
            1
        );
        s.preferences()
            .delete(&[pref("theme", "", "")])
            .await
            .unwrap();
        assert_eq!(
            s.preferences().get(&ann, "theme", "").await,
            Err(StoreError::NotFound)
        );

        assert_eq!(s.statuses().get(&ann).await, Err(StoreError::NotFound));
        let st = Status {
            user_id: ann.clone(),
            status: "dnd".into(),
            manual: true,
            last_activity_at: 5,
            dnd_end_time: 99,
            prev_status: "online".into(),
        };
        s.statuses().save(&st).await.unwrap();
        assert_eq!(s.statuses().get(&ann).await.unwrap(), st);
        assert_eq!(
            s.statuses()
                .get_many(&[ann.clone(), "x".repeat(26)])
                .await
                .unwrap(),
            [st]
        );
        s.close().await;
    }
);
