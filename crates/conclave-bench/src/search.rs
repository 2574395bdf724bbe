//! `search`: seeds N posts of generated chat text into one channel, then times searches through
//! the service layer (parsing, membership filter, the backend's trigram index), newest first.
//!
//! Seeding writes rows straight into the database (SQLite: a second connection; PostgreSQL:
//! `COPY` with the trigram indexes rebuilt afterwards): creating a million posts through the
//! service would take hours and measure writes, which `posts` already does.

use std::time::{Duration, Instant};

use anyhow::Context;
use conclave_core::{Actor, App, SearchPostsInput};

use crate::{drop_database, fresh_config, percentile, setup};

/// A small deterministic generator, so runs seed the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Skewed towards small indexes, like word frequencies.
    fn zipfish(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64) * u * u * u) as usize
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "ro", "ti", "me", "sa", "lu", "ne", "po", "vi", "da", "ge", "mo", "ri", "ta", "ze", "bo",
    "ni", "fa", "ku", "le", "pa", "si", "tor", "ven", "mar", "lin", "dex", "qua", "pre", "str",
];
const CJK: &[&str] = &[
    "会議室を予約しました",
    "東京で会議があります",
    "データベースの移行",
    "明日のリリース",
];
const VOCABULARY: usize = 5000;

fn vocabulary() -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut words = Vec::with_capacity(VOCABULARY);
    while words.len() < VOCABULARY {
        let n = 2 + rng.below(3);
        let w: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

fn message(rng: &mut Rng, words: &[String], i: usize) -> (String, String) {
    let len = 5 + rng.below(20);
    let mut parts: Vec<String> = (0..len)
        .map(|_| words[rng.zipfish(words.len())].clone())
        .collect();
    let mut hashtags = String::new();
    match rng.below(100) {
        0..=2 => parts.push(format!(
            "https://git.example.com/team/{}/pull/{i}",
            words[rng.below(200)]
        )),
        3..=5 => parts.push(format!(
            "svc.{}.{}",
            words[rng.below(300)],
            words[rng.below(300)]
        )),
        6..=9 => {
            let tag = format!("#{}", words[rng.below(100)]);
            hashtags = tag.clone();
            parts.push(tag);
        }
        10..=14 => parts.push(CJK[rng.below(CJK.len())].to_owned()),
        _ => {}
    }
    if rng.below(1000) == 0 {
        parts.insert(1, "quarterly roadmap review".to_owned());
    }
    (parts.join(" "), hashtags)
}

/// Writes `n` posts into `channel_id` by `user_ids`, oldest first, one minute apart... ending now.
async fn seed(
    backend: &str,
    config: &conclave_core::Config,
    channel_id: &str,
    user_ids: &[String],
    n: usize,
) -> anyhow::Result<()> {
    let words = vocabulary();
    let mut rng = Rng(42);
    let now = conclave_model::now_ms();
    let start = now - n as i64 * 30_000;
    let rows = (0..n).map(move |i| {
        let (msg, tags) = message(&mut rng, &words, i);
        (
            conclave_model::new_id(),
            start + i as i64 * 30_000,
            msg,
            tags,
        )
    });
    if backend == "sqlite" {
        let path = config.data_dir.join(conclave::SQLITE_FILE);
        let channel_id = channel_id.to_owned();
        let user_ids = user_ids.to_vec();
        let rows: Vec<_> = rows.collect();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut c = rusqlite::Connection::open(path)?;
            c.busy_timeout(Duration::from_secs(30))?;
            for (chunk_no, chunk) in rows.chunks(50_000).enumerate() {
                let tx = c.transaction()?;
                {
                    let mut st = tx.prepare(
                        "INSERT INTO posts (id, create_at, update_at, user_id, channel_id, message, hashtags)
                         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)",
                    )?;
                    for (k, (id, at, msg, tags)) in chunk.iter().enumerate() {
                        let user = &user_ids[(chunk_no + k) % user_ids.len()];
                        st.execute(rusqlite::params![id, at, user, channel_id, msg, tags])?;
                    }
                }
                tx.commit()?;
            }
            c.execute_batch("ANALYZE")?;
            Ok(())
        })
        .await??;
    } else {
        let mut conn =
            <sqlx::PgConnection as sqlx::Connection>::connect(&config.database_url).await?;
        sqlx::query("DROP INDEX posts_message_trgm, posts_hashtags_trgm")
            .execute(&mut conn)
            .await?;
        let mut copy = conn
            .copy_in_raw(
                "COPY posts (id, create_at, update_at, user_id, channel_id, message, hashtags) FROM STDIN",
            )
            .await?;
        let mut buf = String::new();
        let escape = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('\t', "\\t")
                .replace('\n', "\\n")
        };
        for (k, (id, at, msg, tags)) in rows.enumerate() {
            let user = &user_ids[k % user_ids.len()];
            buf.push_str(&format!(
                "{id}\t{at}\t{at}\t{user}\t{channel_id}\t{}\t{}\n",
                escape(&msg),
                escape(&tags)
            ));
            if buf.len() > 1 << 20 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
        for sql in [
            "CREATE INDEX posts_message_trgm ON posts USING gin (message gin_trgm_ops)",
            "CREATE INDEX posts_hashtags_trgm ON posts USING gin (hashtags gin_trgm_ops)",
            "ANALYZE",
        ] {
            sqlx::query(sql).execute(&mut conn).await?;
        }
    }
    Ok(())
}

async fn time_queries(
    app: &App,
    actor: &Actor,
    team_id: &str,
    label: &str,
    queries: &[String],
) -> anyhow::Result<()> {
    let mut latencies = Vec::with_capacity(queries.len());
    let mut hits = 0usize;
    for q in queries {
        let started = Instant::now();
        let r = app
            .search_posts(
                actor,
                Some(team_id),
                SearchPostsInput {
                    terms: q.clone(),
                    per_page: 60,
                    ..SearchPostsInput::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{q}: {}", e.message))?;
        latencies.push(started.elapsed());
        hits += r.list.order.len();
    }
    latencies.sort();
    println!(
        "{label:<16} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} queries, {:.1} results each; e.g. {:?})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
        queries.len(),
        hits as f64 / queries.len().max(1) as f64,
        queries.first().map(String::as_str).unwrap_or("")
    );
    Ok(())
}

pub async fn search(backend: &str, posts: usize, queries: usize) -> anyhow::Result<()> {
    let (config, pg) = fresh_config(backend).await?;
    let dir = config.data_dir.clone();
    let app = conclave::build_app(config.clone()).await?;
    let (actors, channel_id) = setup(&app, 4).await?;
    let team_id = app
        .store()
        .channels()
        .get(&channel_id)
        .await
        .context("bench channel")?
        .team_id;
    let user_ids: Vec<String> = actors.iter().map(|a| a.user.id.clone()).collect();
    let started = Instant::now();
    seed(backend, &config, &channel_id, &user_ids, posts).await?;
    println!(
        "search: backend={backend} seeded {posts} posts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let words = vocabulary();
    let mut rng = Rng(7);
    let mid = |rng: &mut Rng| words[100 + rng.below(400)].clone();
    let n = queries.max(1);
    let keyword: Vec<String> = (0..n).map(|_| mid(&mut rng)).collect();
    let rare: Vec<String> = (0..n)
        .map(|_| words[3000 + rng.below(2000)].clone())
        .collect();
    let phrase: Vec<String> = (0..n)
        .map(|_| "\"quarterly roadmap review\"".into())
        .collect();
    let substring: Vec<String> = (0..n)
        .map(|_| {
            let w = mid(&mut rng);
            w.chars().skip(1).take(4).collect()
        })
        .collect();
    let cjk: Vec<String> = (0..n).map(|_| "会議".into()).collect();
    let url: Vec<String> = (0..n)
        .map(|_| format!("git.example.com/team/{}", words[rng.below(200)]))
        .collect();
    let modifiers: Vec<String> = (0..n)
        .map(|_| {
            format!(
                "{} -{} from:writer1 in:load after:2020-01-01",
                mid(&mut rng),
                mid(&mut rng)
            )
        })
        .collect();
    let actor = &actors[0];
    for (label, qs) in [
        ("keyword", &keyword),
        ("rare keyword", &rare),
        ("phrase", &phrase),
        ("substring", &substring),
        ("cjk (2 chars)", &cjk),
        ("url substring", &url),
        ("modifiers", &modifiers),
    ] {
        time_queries(&app, actor, &team_id, label, qs).await?;
    }
    app.store().close().await;
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(name) = pg {
        drop_database(&name).await?;
    }
    Ok(())
}
