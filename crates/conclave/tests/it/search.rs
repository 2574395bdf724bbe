//! Post search: the same corpus and the same queries — ordinary and hostile — on SQLite and
//! on PostgreSQL, expecting the same answers from both and never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, TestServer};

/// A corpus on one server; `msgs[i]` is the text of post `i`.
struct Corpus {
    s: TestServer,
    alice: String,
    carol: String,
    team_id: String,
}

const MESSAGES: &[(&str, &str, &str)] = &[
    // (author, channel, message)
    (
        "alice",
        "town-square",
        "Deploying the release to production tonight",
    ),
    (
        "bob",
        "town-square",
        "The deployment failed: see https://ci.example.com/build/1234?step=deploy",
    ),
    (
        "alice",
        "town-square",
        "config lives in foo.bar.baz and foo.bar.qux",
    ),
    ("bob", "off-topic", "東京で会議があります"),
    ("alice", "off-topic", "会議室を予約しました"),
    ("bob", "town-square", "We use #rustlang and #postgres here"),
    ("alice", "off-topic", "Concatenate the strings"),
    ("bob", "off-topic", "I like my cat"),
    ("alice", "town-square", "Quarterly report: revenue up 15%"),
    ("bob", "town-square", "under_score_name and 100% done"),
    ("alice", "off-topic", "שלום עולם"),
    ("bob", "off-topic", "Emoji party 🎉🎉 tonight"),
    ("alice", "secret", "secret plans for launch"),
    ("bob", "town-square", "URGENT: Server DOWN"),
    ("alice", "town-square", "Don't forget the \"quoted\" words"),
    ("bob", "town-square", "launch checklist is ready"),
    ("alice", "town-square", "Öl und #Überstunden"),
];

async fn corpus(backend: Backend) -> Corpus {
    let s = TestServer::start(backend).await;
    let (_, alice) = s.admin().await;
    let bob_id = s.create_user(&alice, "bob").await;
    let carol_id = s.create_user(&alice, "carol").await;
    let (bob, carol) = (s.login("bob").await, s.login("carol").await);
    let team_id = s.team(&alice, "search").await;
    s.join_team(&alice, &team_id, &[&bob_id, &carol_id]).await;
    let secret = s.channel(&alice, &team_id, "secret", "P").await;
    let mut channel_ids = std::collections::HashMap::new();
    for name in ["town-square", "off-topic"] {
        let c = s
            .get(&format!("/teams/{team_id}/channels/name/{name}"), &alice)
            .await;
        channel_ids.insert(name, c.json["id"].as_str().unwrap().to_owned());
    }
    channel_ids.insert("secret", secret);
    for (author, channel, message) in MESSAGES {
        let token = if *author == "alice" { &alice } else { &bob };
        s.post(
            "/posts",
            token,
            json!({"channel_id": channel_ids[channel], "message": message}),
        )
        .await
        .expect(StatusCode::CREATED);
        // Distinct creation times, so newest-first order is the same on every backend.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    // A deleted post never matches.
    let gone = s
        .post(
            "/posts",
            &bob,
            json!({"channel_id": channel_ids["town-square"], "message": "deleted words about launch"}),
        )
        .await;
    let gone_id = gone.json["id"].as_str().unwrap().to_owned();
    s.call(
        Method::DELETE,
        &format!("/posts/{gone_id}"),
        Some(&bob),
        None,
    )
    .await
    .expect(StatusCode::OK);
    Corpus {
        s,
        alice,
        carol,
        team_id,
    }
}

impl Corpus {
    /// `(status, messages newest first)` for a team search as `token`.
    async fn search(&self, token: &str, terms: &str, or: bool) -> (StatusCode, Vec<String>) {
        let r = self
            .s
            .post(
                &format!("/teams/{}/posts/search", self.team_id),
                token,
                json!({"terms": terms, "is_or_search": or, "time_zone_offset": 0, "page": 0, "per_page": 60}),
            )
            .await;
        let messages = if r.status == StatusCode::OK {
            r.json["order"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| {
                    r.json["posts"][id.as_str().unwrap()]["message"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        } else {
            Vec::new()
        };
        (r.status, messages)
    }
}

fn idx(messages: &[String]) -> Vec<usize> {
    messages
        .iter()
        .map(|m| {
            MESSAGES
                .iter()
                .position(|(_, _, t)| t == m)
                .unwrap_or_else(|| panic!("unexpected result {m:?}"))
        })
        .collect()
}

/// Queries with the posts (indexes into MESSAGES, newest first) Alice must get.
fn expectations(today: &str) -> Vec<(String, bool, Vec<usize>)> {
    let q = |s: &str, v: Vec<usize>| (s.to_owned(), false, v);
    vec![
        q("deploy", vec![1, 0]),
        q("DEPLOY", vec![1, 0]),
        q("\"release to production\"", vec![0]),
        q("deploy -failed", vec![0]),
        q("foo.bar.baz", vec![2]),
        q("ci.example.com/build", vec![1]),
        q("https://ci.example.com/build/1234?step=deploy", vec![1]),
        q("会議", vec![4, 3]),
        q("東京", vec![3]),
        q("会議室", vec![4]),
        q("#rustlang", vec![5]),
        q("#rust", vec![]),
        q("-#postgres release", vec![0]),
        q("cat", vec![7, 6]),
        q("15%", vec![8]),
        q("100%", vec![9]),
        q("_score_", vec![9]),
        q("%", vec![9, 8]),
        q("שלום", vec![10]),
        q("🎉", vec![11]),
        q("launch", vec![15, 12]),
        q("launch from:bob", vec![15]),
        q("from:admin in:off-topic", vec![10, 6, 4]),
        q("in:secret plans", vec![12]),
        q("in:no-such-channel launch", vec![]),
        q("from:nobody launch", vec![]),
        q("urgent", vec![13]),
        q("\"quoted\"", vec![14]),
        q("don't", vec![14]),
        q("deploy after:2000-01-01", vec![1, 0]),
        q("deploy before:2000-01-01", vec![]),
        q(&format!("deploy on:{today}"), vec![1, 0]),
        ("cat production".to_owned(), true, vec![7, 6, 0]),
        q("cat production", vec![]),
        q("tonight", vec![11, 0]),
        q("tonight -emoji", vec![0]),
        // Unicode case folding, in short terms (no trigram) and hashtags too.
        q("öl", vec![16]),
        q("ÖL", vec![16]),
        q("#überstunden", vec![16]),
        q("ÜBERSTUNDEN", vec![16]),
    ]
}

/// Input that must never break anything.
const HOSTILE: &[&str] = &[
    "\"unbalanced phrase",
    "-",
    "*",
    "\"\"",
    "' OR 1=1 --",
    "\" OR 1=1 --",
    "'; DROP TABLE posts; --",
    "NEAR(a b)",
    "message:deploy",
    "{message hashtags}: deploy",
    "^deploy",
    "deploy*",
    "a\"b",
    "\\",
    "%_%",
    ") OR (",
    "AND OR NOT",
    "from:",
    "in:",
    "on:yesterday",
    "before:2026-02-30",
    "🎉🔥💥",
    "שלום -עולם",
    "#",
    "@",
    "- - - *",
    "\u{0}",
];

fn today_utc() -> String {
    let (y, m, d) = conclave_model::time::civil_date(conclave_model::now_ms());
    format!("{y:04}-{m:02}-{d:02}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_parity_on_sqlite_and_postgres() {
    let (lite, pg) = tokio::join!(corpus(Backend::Sqlite), corpus(Backend::Postgres));
    let today = today_utc();
    for (terms, or, want) in expectations(&today) {
        for (name, c) in [("sqlite", &lite), ("postgres", &pg)] {
            let (status, got) = c.search(&c.alice, &terms, or).await;
            assert_eq!(status, StatusCode::OK, "{name}: {terms:?}");
            assert_eq!(idx(&got), want, "{name}: {terms:?} gave {got:?}");
        }
    }
    for terms in HOSTILE {
        let a = lite.search(&lite.alice, terms, false).await;
        let b = pg.search(&pg.alice, terms, false).await;
        assert!(
            a.0 == StatusCode::OK || a.0 == StatusCode::BAD_REQUEST,
            "sqlite {terms:?}: {}",
            a.0
        );
        assert_eq!(a, b, "backends disagree on {terms:?}");
    }
    // A 10,000-character term is refused cleanly, the same way on both.
    let long = "x".repeat(10_000);
    for c in [&lite, &pg] {
        let r =
            c.s.post(
                &format!("/teams/{}/posts/search", c.team_id),
                &c.alice,
                json!({"terms": long}),
            )
            .await;
        r.expect_error(
            StatusCode::BAD_REQUEST,
            "api.post.search_posts.invalid_terms.app_error",
        );
    }
    // Carol is not in the private channel: its posts never reach her, by any query.
    for c in [&lite, &pg] {
        let (_, got) = c.search(&c.carol, "launch", false).await;
        assert_eq!(idx(&got), vec![15]);
        let (_, got) = c.search(&c.carol, "in:secret plans", false).await;
        assert!(got.is_empty());
    }
    lite.s.stop().await;
    pg.s.stop().await;
}

crate::both!(
    search_results_shape_and_permissions,
    |backend: Backend| async move {
        let c = corpus(backend).await;
        // Cross-team search, pages, and the highlight words.
        let r =
            c.s.post(
                "/posts/search",
                &c.alice,
                json!({"terms": "deploy tonight", "per_page": 1, "page": 0}),
            )
            .await;
        r.expect(StatusCode::OK);
        let order = r.json["order"].as_array().unwrap();
        assert_eq!(order.len(), 1);
        let id = order[0].as_str().unwrap();
        assert_eq!(r.json["posts"][id]["message"], MESSAGES[0].2);
        assert_eq!(r.json["matches"][id], json!(["deploy", "tonight"]));
        let page2 =
            c.s.post(
                "/posts/search",
                &c.alice,
                json!({"terms": "deploy", "per_page": 1, "page": 1}),
            )
            .await;
        let id2 = page2.json["order"][0].as_str().unwrap();
        assert_eq!(page2.json["posts"][id2]["message"], MESSAGES[0].2);

        // Edits are searchable at once, and the old text no longer matches.
        let edited =
            c.s.post("/posts/search", &c.alice, json!({"terms": "Concatenate"}))
                .await;
        let pid = edited.json["order"][0].as_str().unwrap().to_owned();
        c.s.put(
            &format!("/posts/{pid}/patch"),
            &c.alice,
            json!({"message": "Interpolate the strings"}),
        )
        .await
        .expect(StatusCode::OK);
        let (_, got) = c.search(&c.alice, "interpolate", false).await;
        assert_eq!(got, vec!["Interpolate the strings"]);
        let (_, got) = c.search(&c.alice, "concatenate", false).await;
        assert!(got.is_empty());

        // Empty input: no results, not an error.
        let (status, got) = c.search(&c.alice, "   ", false).await;
        assert_eq!((status, got.len()), (StatusCode::OK, 0));

        // Someone outside the team cannot search it.
        let dave_id = c.s.create_user(&c.alice, "dave").await;
        let _ = dave_id;
        let dave = c.s.login("dave").await;
        let r =
            c.s.post(
                &format!("/teams/{}/posts/search", c.team_id),
                &dave,
                json!({"terms": "deploy"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        // Across teams he finds nothing of theirs.
        let r =
            c.s.post("/posts/search", &dave, json!({"terms": "deploy"}))
                .await;
        r.expect(StatusCode::OK);
        assert_eq!(r.json["order"], json!([]));
        let bad: Value =
            c.s.post(
                &format!("/teams/{}/posts/search", c.team_id),
                &c.alice,
                json!({"terms": "x", "time_zone_offset": 10_000_000}),
            )
            .await
            .json
            .clone();
        assert_eq!(bad["status_code"], 400);
    }
);
