//! Store conformance: the same expectations of every backend.

use std::collections::BTreeMap;

use conclave_model::{Session, User, UserAccessToken, new_id, new_random_id, now_ms};
use conclave_store::{AuditRecord, StoreError, UserQuery};

use crate::both;
use crate::support::{Backend, TestDb};

fn user(name: &str) -> User {
    let now = now_ms();
    User {
        id: new_id(),
        create_at: now,
        update_at: now,
        username: name.into(),
        email: format!("{name}@example.com"),
        roles: "system_user".into(),
        locale: "en".into(),
        notify_props: User::default_notify_props(),
        timezone: User::default_timezone(),
        password_hash: "hash".into(),
        ..User::default()
    }
}

fn session(user_id: &str, create_at: i64, expires_at: i64) -> Session {
    Session {
        id: new_id(),
        token: new_random_id(),
        create_at,
        expires_at,
        last_activity_at: create_at,
        user_id: user_id.into(),
        roles: "system_user".into(),
        props: BTreeMap::from([("csrf".to_string(), "x".to_string())]),
        ..Session::default()
    }
}

#[test]
fn migration_versions_match_across_backends() {
    let versions = |m: &[(i64, &str, &str)]| {
        m.iter()
            .map(|(v, n, _)| (*v, n.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        versions(conclave_store_sqlite::MIGRATIONS),
        versions(conclave_store_pg::MIGRATIONS)
    );
    let v = versions(conclave_store_sqlite::MIGRATIONS);
    assert!(
        v.windows(2).all(|w| w[0].0 < w[1].0),
        "versions must increase: {v:?}"
    );
}

both!(
    users_round_trip_by_every_key,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        let mut u = user("alice");
        u.props.insert("k".into(), "v ✓".into());
        u.mfa_secret = "SECRET".into();
        let created = s.users().create(u.clone(), false).await.unwrap();
        assert_eq!(created, u);
        assert_eq!(s.users().get(&u.id).await.unwrap(), u);
        assert_eq!(s.users().get_by_username("alice").await.unwrap(), u);
        assert_eq!(
            s.users().get_by_email("alice@example.com").await.unwrap(),
            u
        );
        assert_eq!(s.users().get("nope").await, Err(StoreError::NotFound));
        assert_eq!(s.users().count().await.unwrap(), 1);
        s.close().await;
    }
);

both!(
    first_user_becomes_admin_exactly_once,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.users()
                        .create(user(&format!("u{i}")), true)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut admins = 0;
        for t in tasks {
            if t.await.unwrap().roles.contains("system_admin") {
                admins += 1;
            }
        }
        assert_eq!(admins, 1);
        let stored = s
            .users()
            .list(&UserQuery {
                limit: 100,
                ..UserQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            stored
                .iter()
                .filter(|u| u.roles.contains("system_admin"))
                .count(),
            1
        );
        s.close().await;
    }
);

both!(
    unique_names_conflict_by_field,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        s.users().create(user("bob"), false).await.unwrap();
        let mut same_name = user("bob");
        same_name.email = "other@example.com".into();
        assert_eq!(
            s.users().create(same_name, false).await,
            Err(StoreError::Conflict("username"))
        );
        let mut same_email = user("robert");
        same_email.email = "bob@example.com".into();
        assert_eq!(
            s.users().create(same_email, false).await,
            Err(StoreError::Conflict("email"))
        );
        assert_eq!(s.users().count().await.unwrap(), 1);
        s.close().await;
    }
);

both!(update_and_failed_attempts, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let mut u = s.users().create(user("carol"), false).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (s, id) = (s.clone(), u.id.clone());
            tokio::spawn(async move { s.users().add_failed_attempt(&id).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    counts.sort();
    assert_eq!(
        counts,
        (1..=20).collect::<Vec<i64>>(),
        "no increment may be lost"
    );

    // A profile update never overwrites the attempt counter.
    u.nickname = "Caz".into();
    u.delete_at = 5;
    u.mfa_active = true;
    u.failed_attempts = 0;
    s.users().update(&u).await.unwrap();
    let stored = s.users().get(&u.id).await.unwrap();
    assert_eq!(
        (
            stored.nickname.as_str(),
            stored.delete_at,
            stored.mfa_active
        ),
        ("Caz", 5, true)
    );
    assert_eq!(stored.failed_attempts, 20);
    s.users().reset_failed_attempts(&u.id).await.unwrap();
    assert_eq!(s.users().get(&u.id).await.unwrap().failed_attempts, 0);
    assert_eq!(
        s.users().update(&user("ghost")).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        s.users().add_failed_attempt("ghost").await,
        Err(StoreError::NotFound)
    );
    s.close().await;
});

both!(list_filter_page_and_search, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let mut ids = Vec::new();
    for name in ["dave", "erin", "frank", "grace", "heidi"] {
        let mut u = user(name);
        if name == "erin" {
            u.delete_at = 1;
        }
        if name == "frank" {
            u.roles = "system_admin system_user".into();
            u.first_name = "Fran%k".into();
        }
        ids.push(s.users().create(u, false).await.unwrap().id);
    }
    let names = |v: Vec<User>| v.into_iter().map(|u| u.username).collect::<Vec<_>>();
    let q = |offset, limit, active, role: Option<&str>| UserQuery {
        offset,
        limit,
        active,
        role: role.map(Into::into),
    };
    assert_eq!(
        names(s.users().list(&q(0, 2, None, None)).await.unwrap()),
        ["dave", "erin"]
    );
    assert_eq!(
        names(s.users().list(&q(2, 2, None, None)).await.unwrap()),
        ["frank", "grace"]
    );
    assert_eq!(
        names(s.users().list(&q(0, 10, Some(false), None)).await.unwrap()),
        ["erin"]
    );
    assert_eq!(
        names(s.users().list(&q(0, 10, Some(true), None)).await.unwrap()).len(),
        4
    );
    assert_eq!(
        names(
            s.users()
                .list(&q(0, 10, None, Some("system_admin")))
                .await
                .unwrap()
        ),
        ["frank"]
    );
    assert_eq!(
        names(
            s.users()
                .list(&q(0, 10, None, Some("system")))
                .await
                .unwrap()
        ),
        Vec::<String>::new()
    );

    assert_eq!(
        names(s.users().search("ra", false, false, 10).await.unwrap()),
        ["frank", "grace"]
    );
    // LIKE wildcards in the term match literally.
    assert_eq!(
        names(s.users().search("n%k", false, false, 10).await.unwrap()),
        ["frank"]
    );
    assert_eq!(
        names(s.users().search("_", false, false, 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(s.users().search("RIN", false, true, 10).await.unwrap()),
        ["erin"]
    );
    assert_eq!(
        names(s.users().search("rin", false, false, 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            s.users()
                .search("example.com", false, false, 10)
                .await
                .unwrap()
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            s.users()
                .search("example.com", true, false, 2)
                .await
                .unwrap()
        ),
        ["dave", "frank"]
    );

    let mut many = names(
        s.users()
            .get_many(&[ids[0].clone(), ids[3].clone(), "x".repeat(26)])
            .await
            .unwrap(),
    );
    many.sort();
    assert_eq!(many, ["dave", "grace"]);
    let mut by_name = names(
        s.users()
            .get_by_usernames(&["heidi".into(), "nobody".into()])
            .await
            .unwrap(),
    );
    by_name.sort();
    assert_eq!(by_name, ["heidi"]);
    s.close().await;
});

both!(sessions_lifecycle, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let u = s.users().create(user("ivan"), false).await.unwrap();
    let other = s.users().create(user("judy"), false).await.unwrap();
    let old = session(&u.id, 1000, 2000);
    let mut phone = session(&u.id, 3000, 0);
    phone.device_id = "android:abc".into();
    let web = session(&u.id, 5000, i64::MAX);
    let judy = session(&other.id, 4000, 2000);
    for x in [&old, &phone, &web, &judy] {
        s.sessions().create(x).await.unwrap();
    }
    assert_eq!(s.sessions().get_by_token(&web.token).await.unwrap(), web);
    assert_eq!(s.sessions().get(&phone.id).await.unwrap(), phone);
    let listed: Vec<String> = s
        .sessions()
        .list_for_user(&u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(
        listed,
        [web.id.clone(), phone.id.clone(), old.id.clone()],
        "newest first"
    );

    s.sessions().touch(&web.id, 9999).await.unwrap();
    assert_eq!(
        s.sessions().get(&web.id).await.unwrap().last_activity_at,
        9999
    );
    s.sessions()
        .update_roles_for_user(&u.id, "system_admin system_user")
        .await
        .unwrap();
    assert_eq!(
        s.sessions().get(&phone.id).await.unwrap().roles,
        "system_admin system_user"
    );
    assert_eq!(
        s.sessions().get(&judy.id).await.unwrap().roles,
        "system_user"
    );

    // Expired: `old` (2000) and `judy` (2000); `phone` never expires.
    assert_eq!(s.sessions().delete_expired(2500).await.unwrap(), 2);
    assert_eq!(s.sessions().get(&old.id).await, Err(StoreError::NotFound));
    assert_eq!(
        s.sessions()
            .delete_for_device(&u.id, "android:abc")
            .await
            .unwrap(),
        [phone.id.clone()]
    );
    assert_eq!(s.sessions().delete(&web.id).await.unwrap(), web.token);
    assert_eq!(
        s.sessions().delete(&web.id).await,
        Err(StoreError::NotFound)
    );

    let a = session(&u.id, 1, 0);
    let b = session(&u.id, 2, 0);
    s.sessions().create(&a).await.unwrap();
    s.sessions().create(&b).await.unwrap();
    s.sessions().delete_by_token(&a.token).await.unwrap();
    assert_eq!(
        s.sessions().delete_for_user(&u.id).await.unwrap(),
        std::slice::from_ref(&b.id)
    );
    assert!(s.sessions().list_for_user(&u.id).await.unwrap().is_empty());
    let mut dup = session(&u.id, 3, 0);
    dup.token = b.token.clone();
    s.sessions().create(&dup).await.unwrap();
    let mut dup2 = session(&u.id, 4, 0);
    dup2.token = b.token.clone();
    assert_eq!(
        s.sessions().create(&dup2).await,
        Err(StoreError::Conflict("token"))
    );
    s.close().await;
});

both!(access_tokens_lifecycle, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    let u = s.users().create(user("ken"), false).await.unwrap();
    let t = UserAccessToken {
        id: new_id(),
        token: new_random_id(),
        user_id: u.id.clone(),
        description: "ci bot".into(),
        is_active: true,
    };
    s.access_tokens().create(&t).await.unwrap();
    assert_eq!(s.access_tokens().get(&t.id).await.unwrap(), t);
    assert_eq!(s.access_tokens().get_by_token(&t.token).await.unwrap(), t);
    assert_eq!(
        s.access_tokens().list_for_user(&u.id).await.unwrap(),
        std::slice::from_ref(&t)
    );
    assert_eq!(
        s.access_tokens().list(0, 10).await.unwrap(),
        std::slice::from_ref(&t)
    );
    assert!(s.access_tokens().list(1, 10).await.unwrap().is_empty());
    assert_eq!(
        s.access_tokens().search("KE", 10).await.unwrap(),
        std::slice::from_ref(&t)
    );
    assert_eq!(
        s.access_tokens().search(&t.id[..5], 10).await.unwrap(),
        std::slice::from_ref(&t)
    );
    assert!(
        s.access_tokens().search("en", 10).await.unwrap().is_empty(),
        "prefix, not substring"
    );
    assert!(
        s.access_tokens().search("%", 10).await.unwrap().is_empty(),
        "wildcards are literal"
    );
    s.access_tokens().set_active(&t.id, false).await.unwrap();
    assert!(!s.access_tokens().get(&t.id).await.unwrap().is_active);
    assert_eq!(
        s.access_tokens().set_active("missing", true).await,
        Err(StoreError::NotFound)
    );
    s.access_tokens().delete(&t.id).await.unwrap();
    assert_eq!(
        s.access_tokens().delete(&t.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        s.access_tokens().get_by_token(&t.token).await,
        Err(StoreError::NotFound)
    );
    s.close().await;
});

both!(
    system_values_keep_the_first_write,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let s = db.store().await;
        assert_eq!(s.system().get("DiagnosticId").await.unwrap(), None);
        assert_eq!(
            s.system()
                .get_or_insert("DiagnosticId", "first")
                .await
                .unwrap(),
            "first"
        );
        assert_eq!(
            s.system()
                .get_or_insert("DiagnosticId", "second")
                .await
                .unwrap(),
            "first"
        );
        assert_eq!(
            s.system().get("DiagnosticId").await.unwrap().as_deref(),
            Some("first")
        );
        s.close().await;
    }
);

both!(audit_records_newest_first, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    for (i, action) in ["login", "logout", "login"].iter().enumerate() {
        let r = AuditRecord {
            id: new_id(),
            create_at: 100 + i as i64,
            user_id: "u1".into(),
            action: action.to_string(),
            ip_address: "127.0.0.1".into(),
            ..AuditRecord::default()
        };
        s.audits().append(&r).await.unwrap();
    }
    let got = s.audits().list_for_user("u1", 2).await.unwrap();
    assert_eq!(
        got.iter()
            .map(|r| (r.create_at, r.action.as_str()))
            .collect::<Vec<_>>(),
        [(102, "login"), (101, "logout")]
    );
    assert!(s.audits().list_for_user("u2", 10).await.unwrap().is_empty());
    s.close().await;
});

both!(migrations_are_idempotent, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let s = db.store().await;
    s.users().create(user("lena"), false).await.unwrap();
    s.close().await;
    // Opening again re-runs the migrator over an up-to-date schema and keeps the data.
    let again = db.store().await;
    assert_eq!(
        again
            .users()
            .get_by_username("lena")
            .await
            .unwrap()
            .username,
        "lena"
    );
    again.close().await;
});
