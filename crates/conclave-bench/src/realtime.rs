//! WebSocket benchmarks against a real `conclave serve` child process, over loopback.
//!
//!   connections: N idle authenticated sockets from several 127.0.0.x source addresses;
//!                reports the server's RSS per connection.
//!   fanout:      M posts/s into channels whose K members are all online; reports
//!                deliveries/s and post→delivery latency (p50/p99/max).
//!
//! The server runs as its own process so its memory is measured alone; both processes share
//! this machine's cores.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

pub struct Options {
    pub backend: String,
    pub connections: usize,
    pub users: usize,
    pub source_addrs: u8,
    pub members: usize,
    pub channels: usize,
    pub rate: u64,
    pub seconds: u64,
    pub hold_seconds: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            backend: "sqlite".into(),
            connections: 1000,
            users: 100,
            source_addrs: 8,
            members: 200,
            channels: 1,
            rate: 100,
            seconds: 10,
            hold_seconds: 3,
        }
    }
}

/// Raises this process's open-file limit to the hard limit (children inherit it).
fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit read and write a plain struct we own.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        lim.rlim_cur
    }
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// Resident memory of a process, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

struct Server {
    child: Child,
    base: String,
    dir: PathBuf,
    pg_db: Option<String>,
    http: reqwest::Client,
    admin: String,
}

impl Server {
    async fn start(backend: &str) -> anyhow::Result<Server> {
        let bin = std::env::var("CONCLAVE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                std::env::current_exe()
                    .expect("current exe")
                    .with_file_name("conclave")
            });
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!("conclave-bench-{}", conclave_model::new_id()));
        let mut cmd = Command::new(&bin);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("CONCLAVE_DATA_DIR", &dir)
            .env("CONCLAVE_RATE_LIMIT_ENABLE", "false")
            .env("CONCLAVE_LOG_LEVEL", "warn")
            .env("CONCLAVE_AUTH_ENABLE_OPEN_SERVER", "true")
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let mut pg_db = None;
        if backend == "postgres" {
            let (url, name) = crate::create_pg_database().await?;
            cmd.env("CONCLAVE_DATABASE_URL", url)
                .env("CONCLAVE_DATABASE_MAX_CONNECTIONS", "32");
            pg_db = Some(name);
        } else if backend != "sqlite" {
            bail!("unknown backend {backend}");
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if http
                .get(format!("{base}/api/v4/system/ping"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server did not come up at {base}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut server = Server {
            child,
            base,
            dir,
            pg_db,
            http,
            admin: String::new(),
        };
        server
            .call("POST", "/users", None, user_body("admin"))
            .await?;
        let login = server
            .http
            .post(server.url("/users/login"))
            .json(&json!({"login_id": "admin", "password": PASSWORD}))
            .send()
            .await?;
        server.admin = login
            .headers()
            .get("token")
            .context("login gave no token")?
            .to_str()?
            .to_owned();
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v4{path}", self.base)
    }

    fn ws_url(&self) -> String {
        format!(
            "{}/api/v4/websocket",
            self.base.replacen("http://", "ws://", 1)
        )
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        self.clone_handle().call(method, path, token, body).await
    }

    /// `n` users in one team, each with a personal access token: (user id, token).
    async fn users(&self, n: usize) -> anyhow::Result<(String, Vec<(String, String)>)> {
        let team = self
            .call(
                "POST",
                "/teams",
                None,
                json!({"name": "bench", "display_name": "Bench", "type": "O"}),
            )
            .await?;
        let team_id = team["id"].as_str().context("team id")?.to_owned();
        let gate = Arc::new(Semaphore::new(4));
        let mut tasks = Vec::new();
        for i in 0..n {
            let gate = gate.clone();
            let this = self.clone_handle();
            let team_id = team_id.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire().await?;
                let u = this
                    .call("POST", "/users", None, user_body(&format!("user{i}")))
                    .await?;
                let uid = u["id"].as_str().context("user id")?.to_owned();
                this.call(
                    "POST",
                    &format!("/teams/{team_id}/members"),
                    None,
                    json!({"team_id": team_id, "user_id": uid}),
                )
                .await?;
                let t = this
                    .call(
                        "POST",
                        &format!("/users/{uid}/tokens"),
                        None,
                        json!({"description": "bench"}),
                    )
                    .await?;
                Ok::<_, anyhow::Error>((uid, t["token"].as_str().context("token")?.to_owned()))
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await??);
        }
        Ok((team_id, out))
    }

    /// A cheap handle for concurrent setup calls.
    fn clone_handle(&self) -> Arc<Handle> {
        Arc::new(Handle {
            base: self.base.clone(),
            http: self.http.clone(),
            admin: self.admin.clone(),
        })
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = self.pg_db.take() {
            let _ = crate::drop_database(&db).await;
        }
    }
}

struct Handle {
    base: String,
    http: reqwest::Client,
    admin: String,
}

impl Handle {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let r = self
            .http
            .request(method.parse()?, format!("{}/api/v4{path}", self.base))
            .bearer_auth(token.unwrap_or(&self.admin))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }
}

const PASSWORD: &str = "benchmark-password";

fn user_body(name: &str) -> Value {
    json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD})
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens an authenticated socket from `source` and waits for `hello`.
async fn open_socket(url: &str, token: &str, source: [u8; 4]) -> anyhow::Result<Socket> {
    let socket = TcpSocket::new_v4()?;
    socket.bind((std::net::Ipv4Addr::from(source), 0).into())?;
    let addr: std::net::SocketAddr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .context("address")?
        .parse()?;
    let tcp = socket.connect(addr).await?;
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    // Client buffers sized for chat frames, so the load generator fits beside the server.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.contains("\"hello\"") => return Ok(ws),
            Some(Ok(_)) => continue,
            other => bail!("no hello: {other:?}"),
        }
    }
}

fn source_addr(i: usize, spread: u8) -> [u8; 4] {
    [127, 0, 0, 1 + (i % spread.max(1) as usize) as u8]
}

pub async fn connections(o: Options) -> anyhow::Result<()> {
    let limit = raise_fd_limit();
    println!(
        "connections: backend={} target={} users={} source_addrs={} fd_limit={limit}",
        o.backend, o.connections, o.users, o.source_addrs
    );
    let server = Server::start(&o.backend).await?;
    let (_, users) = server.users(o.users.max(1)).await?;
    let pid = server.pid();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_bytes(pid);
    let url = server.ws_url();
    let opened = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(Semaphore::new(128));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(o.connections);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    for i in 0..o.connections {
        let (url, token) = (url.clone(), users[i % users.len()].1.clone());
        let (gate, opened, closed) = (gate.clone(), opened.clone(), closed.clone());
        let source = source_addr(i, o.source_addrs);
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.ok()?;
            let ws = open_socket(&url, &token, source).await;
            drop(permit);
            let mut ws = match ws {
                Ok(ws) => ws,
                Err(e) => return Some(e.to_string()),
            };
            opened.fetch_add(1, Ordering::Relaxed);
            // Idle, but reading: answers the server's pings until told to stop.
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(_)) => continue,
                        _ => { closed.fetch_add(1, Ordering::Relaxed); return None; }
                    },
                    _ = stop.changed() => { let _ = ws.close(None).await; return None; }
                }
            }
        }));
    }
    // Wait for every open attempt to finish.
    loop {
        let done = tasks.iter().filter(|t| t.is_finished()).count() as u64;
        let up = opened.load(Ordering::Relaxed);
        if up + done >= o.connections as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let connect_secs = started.elapsed().as_secs_f64();
    let up = opened.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_bytes(pid);
    tokio::time::sleep(Duration::from_secs(o.hold_seconds)).await;
    let dropped = closed.load(Ordering::Relaxed);
    let rss_held = rss_bytes(pid);
    let _ = stop_tx.send(true);
    let mut errors = Vec::new();
    for t in tasks {
        if let Ok(Some(e)) = t.await {
            errors.push(e);
        }
    }
    let per_conn = (rss_after.saturating_sub(rss_before)) as f64 / up.max(1) as f64;
    println!(
        "opened {up}/{} sockets in {connect_secs:.1} s ({:.0}/s); {} failed{}",
        o.connections,
        up as f64 / connect_secs,
        errors.len(),
        errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    println!(
        "server RSS: {:.1} MiB idle before, {:.1} MiB with sockets, {:.1} MiB after {} s held; \
         {:.2} KiB per connection; {dropped} dropped while held",
        rss_before as f64 / 1048576.0,
        rss_after as f64 / 1048576.0,
        rss_held as f64 / 1048576.0,
        o.hold_seconds,
        per_conn / 1024.0
    );
    server.stop().await;
    Ok(())
}

/// Latency samples and counts from all readers.
#[derive(Default)]
struct Deliveries {
    count: AtomicU64,
    samples: std::sync::Mutex<Vec<u64>>,
}

/// The send time a fan-out post carries in its message (`bench t=<micros>`).
fn sent_at(frame: &str) -> Option<u64> {
    let i = frame.find("bench t=")? + "bench t=".len();
    let digits: String = frame[i..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

pub async fn fanout(o: Options) -> anyhow::Result<()> {
    raise_fd_limit();
    println!(
        "fanout: backend={} members={} channels={} rate={}/s for {} s",
        o.backend, o.members, o.channels, o.rate, o.seconds
    );
    let server = Server::start(&o.backend).await?;
    let (team_id, users) = server.users(o.members.max(1)).await?;
    let mut channels = Vec::new();
    for c in 0..o.channels.max(1) {
        let ch = server
            .call(
                "POST",
                "/channels",
                None,
                json!({"team_id": team_id, "name": format!("fan{c}"), "display_name": format!("Fan {c}"), "type": "O"}),
            )
            .await?;
        let cid = ch["id"].as_str().context("channel id")?.to_owned();
        for (uid, _) in &users {
            server
                .call(
                    "POST",
                    &format!("/channels/{cid}/members"),
                    None,
                    json!({"user_id": uid}),
                )
                .await?;
        }
        channels.push(cid);
    }
    let url = server.ws_url();
    let deliveries = Arc::new(Deliveries::default());
    let mut readers = Vec::new();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    for (i, (_, token)) in users.iter().enumerate() {
        let mut ws = open_socket(&url, token, source_addr(i, o.source_addrs)).await?;
        let deliveries = deliveries.clone();
        let mut stop = stop_rx.clone();
        readers.push(tokio::spawn(async move {
            let mut local = Vec::new();
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(Message::Text(t))) => {
                            if let Some(sent) = sent_at(&t) {
                                local.push(now_micros().saturating_sub(sent));
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = stop.changed() => break,
                }
            }
            deliveries
                .count
                .fetch_add(local.len() as u64, Ordering::Relaxed);
            deliveries.samples.lock().unwrap().extend(local);
        }));
    }
    println!(
        "{} sockets online; posting for {} s",
        readers.len(),
        o.seconds
    );
    let handle = server.clone_handle();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / o.rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut posts = 0u64;
    let failures = Arc::new(AtomicU64::new(0));
    let mut inflight = Vec::new();
    while started.elapsed() < Duration::from_secs(o.seconds) {
        tick.tick().await;
        let channel = channels[posts as usize % channels.len()].clone();
        let token = users[posts as usize % users.len()].1.clone();
        let (handle, failures) = (handle.clone(), failures.clone());
        inflight.push(tokio::spawn(async move {
            let body =
                json!({"channel_id": channel, "message": format!("bench t={}", now_micros())});
            if handle
                .call("POST", "/posts", Some(&token), body)
                .await
                .is_err()
            {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }));
        posts += 1;
    }
    for t in inflight {
        let _ = t.await;
    }
    let posting = started.elapsed().as_secs_f64();
    // Let the last deliveries land.
    let expected = (posts - failures.load(Ordering::Relaxed)) * users.len() as u64;
    let drain_start = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    let _ = drain_start;
    let mut samples = std::mem::take(&mut *deliveries.samples.lock().unwrap());
    samples.sort_unstable();
    let pct = |p: f64| -> f64 {
        if samples.is_empty() {
            return 0.0;
        }
        samples[((samples.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
    };
    let got = deliveries.count.load(Ordering::Relaxed);
    println!(
        "posts: {posts} sent ({:.0}/s achieved), {} failed",
        posts as f64 / posting,
        failures.load(Ordering::Relaxed)
    );
    println!(
        "deliveries: {got} of {expected} expected ({:.0}/s over the posting window)",
        got as f64 / posting
    );
    println!(
        "post→delivery latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.99),
        samples.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    server.stop().await;
    Ok(())
}
