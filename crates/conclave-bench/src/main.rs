//! Benchmarks that print numbers. Never run by the test suite's assertions; CI runs a smoke-sized
//! pass so the tool keeps working.
//!
//!   conclave-bench posts [--backend sqlite|postgres] [--posts N] [--reads N]
//!   conclave-bench connections [--connections N] [--users U] [--source-addrs K] …
//!   conclave-bench fanout [--members K] [--channels C] [--rate M] [--seconds S] …
//!   conclave-bench search [--backend sqlite|postgres] [--posts N] [--reads QUERIES_PER_KIND]
//!
//! `posts` drives the service layer in-process (permission checks, mention parsing, the store
//! and its group commit), not HTTP: it measures what one node's core can do per second.
//! `connections` and `fanout` drive a `conclave serve` child process over real sockets (see
//! `realtime.rs`).

mod realtime;
mod search;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use conclave_core::{
    Actor, App, ChannelPostsQuery, Config, NewChannel, NewPostInput, NewTeam, NewUser,
};

struct Args {
    backend: String,
    posts: usize,
    reads: usize,
}

fn parse_args() -> anyhow::Result<(String, Args)> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().unwrap_or_default();
    let mut args = Args {
        backend: "sqlite".into(),
        posts: 20_000,
        reads: 2_000,
    };
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => args.backend = value,
            "--posts" => args.posts = value.parse()?,
            "--reads" => args.reads = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok((mode, args))
}

/// A fresh database: a temp dir for SQLite, a new PostgreSQL database otherwise.
async fn fresh_config(backend: &str) -> anyhow::Result<(Config, Option<String>)> {
    let dir = std::env::temp_dir().join(format!("conclave-bench-{}", conclave_model::new_id()));
    let mut config = Config {
        data_dir: dir,
        ..Config::default()
    };
    config.rate_limit.enable = false;
    match backend {
        "sqlite" => Ok((config, None)),
        "postgres" => {
            let (url, name) = create_pg_database().await?;
            config.database_url = url;
            config.database_max_connections = 32;
            Ok((config, Some(name)))
        }
        other => bail!("unknown backend {other}"),
    }
}

/// A new, empty PostgreSQL database: (url, name).
pub(crate) async fn create_pg_database() -> anyhow::Result<(String, String)> {
    let server = std::env::var("CONCLAVE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("conclave_bench_{}", conclave_model::new_id());
    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    Ok((format!("{server}/{name}"), name))
}

pub(crate) async fn drop_database(name: &str) -> anyhow::Result<()> {
    let server = std::env::var("CONCLAVE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

fn parse_realtime_args() -> anyhow::Result<realtime::Options> {
    let mut o = realtime::Options::default();
    let mut it = std::env::args().skip(2);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => o.backend = value,
            "--connections" => o.connections = value.parse()?,
            "--users" => o.users = value.parse()?,
            "--source-addrs" => o.source_addrs = value.parse()?,
            "--hold-seconds" => o.hold_seconds = value.parse()?,
            "--members" => o.members = value.parse()?,
            "--channels" => o.channels = value.parse()?,
            "--rate" => o.rate = value.parse()?,
            "--seconds" => o.seconds = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(o)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A team with one channel and `writers` members who can post in it.
async fn setup(app: &App, writers: usize) -> anyhow::Result<(Vec<Actor>, String)> {
    let operator = Actor::local();
    let mut actors = Vec::new();
    for i in 0..writers {
        let u = app
            .create_user(
                Some(&operator),
                NewUser {
                    username: format!("writer{i}"),
                    email: format!("writer{i}@example.com"),
                    password: "benchmark-password".into(),
                    ..NewUser::default()
                },
            )
            .await?;
        let session = conclave_model::Session {
            id: conclave_model::new_id(),
            user_id: u.id.clone(),
            ..Default::default()
        };
        actors.push(Actor {
            user: u,
            session,
            ip: "127.0.0.1".into(),
        });
    }
    let lead = &actors[0];
    let team = app
        .create_team(
            lead,
            NewTeam {
                name: "bench".into(),
                display_name: "Bench".into(),
                ..NewTeam::default()
            },
        )
        .await?;
    let channel = app
        .create_channel(
            lead,
            NewChannel {
                team_id: team.id.clone(),
                name: "load".into(),
                display_name: "Load".into(),
                channel_type: "O".into(),
                ..NewChannel::default()
            },
        )
        .await?;
    for a in &actors[1..] {
        app.add_team_member(lead, &team.id, &a.user.id, false)
            .await?;
        app.add_channel_member(lead, &channel.id, &a.user.id)
            .await?;
    }
    Ok((actors, channel.id))
}

async fn bench_writes(
    app: &Arc<App>,
    actors: &[Actor],
    channel_id: &str,
    total: usize,
) -> anyhow::Result<()> {
    let writers = actors.len();
    let per_writer = total / writers;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (w, actor) in actors.iter().cloned().enumerate() {
        let (app, channel_id) = (app.clone(), channel_id.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_writer);
            for i in 0..per_writer {
                let mention = if i % 10 == 0 {
                    format!(" @writer{}", (w + 1) % writers)
                } else {
                    String::new()
                };
                let input = NewPostInput {
                    channel_id: channel_id.clone(),
                    message: format!(
                        "message {i} from writer {w} about the release #ship{mention}"
                    ),
                    ..NewPostInput::default()
                };
                let t = Instant::now();
                app.create_post(&actor, input).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "create-post  writers={writers:<3} posts={:<6} {:>9.0} posts/s  p50={:.2}ms p99={:.2}ms",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.99)
    );
    Ok(())
}

async fn bench_reads(
    app: &Arc<App>,
    actors: &[Actor],
    channel_id: &str,
    total: usize,
    note: &str,
) -> anyhow::Result<()> {
    let readers = actors.len().min(8);
    let per_reader = total / readers;
    // Only full pages: a smoke run's channel may hold fewer than five pages.
    let posts_in_channel = app
        .get_channel(&actors[0], channel_id)
        .await?
        .total_msg_count;
    let pages = (posts_in_channel / 60).clamp(1, 5) as usize;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for actor in &actors[..readers] {
        let (app, channel_id, actor) = (app.clone(), channel_id.to_owned(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_reader);
            for i in 0..per_reader {
                let q = ChannelPostsQuery {
                    page: (i % pages) as i64,
                    per_page: 60,
                    ..ChannelPostsQuery::default()
                };
                let t = Instant::now();
                let list = app.channel_posts(&actor, &channel_id, q).await?;
                anyhow::ensure!(!list.order.is_empty(), "a page should not be empty");
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "list-posts   readers={readers:<3} pages={:<6} {:>9.0} pages/s  p50={:.2}ms p99={:.2}ms (60 posts/page){note}",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.99)
    );
    Ok(())
}

async fn posts(args: Args) -> anyhow::Result<()> {
    println!(
        "backend={} cores={}",
        args.backend,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for writers in [1usize, 8, 64] {
        let (config, pg) = fresh_config(&args.backend).await?;
        let dir = config.data_dir.clone();
        let config_url = config.database_url.clone();
        let app = conclave::build_app(config).await?;
        let (actors, channel_id) = setup(&app, writers).await?;
        let total = if writers == 1 {
            args.posts / 4
        } else {
            args.posts
        };
        bench_writes(&app, &actors, &channel_id, total.max(writers * 2)).await?;
        if writers == 8 {
            bench_reads(&app, &actors, &channel_id, args.reads, "").await?;
            if !config_url.is_empty() {
                // Fresh tables have no planner statistics until autovacuum's first ANALYZE
                // (up to a minute); measure the steady state too.
                let mut conn =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&config_url).await?;
                sqlx::query("ANALYZE").execute(&mut conn).await?;
                bench_reads(&app, &actors, &channel_id, args.reads, " after ANALYZE").await?;
            }
        }
        app.store().close().await;
        drop(app);
        let _ = std::fs::remove_dir_all(dir);
        if let Some(name) = pg {
            drop_database(&name).await?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "posts" => posts(parse_args()?.1).await,
        "search" => {
            let a = parse_args()?.1;
            search::search(&a.backend, a.posts, a.reads).await
        }
        "connections" => realtime::connections(parse_realtime_args()?).await,
        "fanout" => realtime::fanout(parse_realtime_args()?).await,
        _ => bail!(
            "usage:\n  conclave-bench posts [--backend sqlite|postgres] [--posts N] [--reads N]\n  \
             conclave-bench search [--backend B] [--posts N] [--reads QUERIES_PER_KIND]\n  \
             conclave-bench connections [--backend B] [--connections N] [--users U] \
             [--source-addrs K] [--hold-seconds S]\n  \
             conclave-bench fanout [--backend B] [--members K] [--channels C] [--rate M] \
             [--seconds S]"
        ),
    }
}
