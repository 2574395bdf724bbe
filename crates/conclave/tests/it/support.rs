//! Test fixtures: a fresh database per test on either backend, and a real server on
//! 127.0.0.1:0 over it.

use std::path::PathBuf;
use std::sync::Arc;

use conclave_core::{App, Config};
use conclave_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on (no database name in it). These
/// machines run PostgreSQL at 127.0.0.1:5432 with trust auth; a missing server fails the
/// test, never skips it.
pub fn pg_server_url() -> String {
    std::env::var("CONCLAVE_TEST_PG_URL")
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn pg_admin_url() -> String {
    format!("{}/postgres", pg_server_url())
}

fn pg_url_for(db: &str) -> String {
    format!("{}/{db}", pg_server_url())
}

/// A database that exists for one test: a temp dir for SQLite, a fresh PostgreSQL database
/// (dropped at the end) for PostgreSQL.
pub struct TestDb {
    pub dir: PathBuf,
    pub pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = std::env::temp_dir().join(format!("conclave-test-{}", conclave_model::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg_name = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let name = format!("conclave_test_{}", conclave_model::new_id());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg_admin_url())
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL must be reachable at {} for tests: {e}",
                            pg_admin_url()
                        )
                    });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Some(name)
            }
        };
        TestDb { dir, pg_name }
    }

    pub fn config(&self) -> Config {
        let mut c = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: self.dir.clone(),
            database_url: self.pg_name.as_deref().map(pg_url_for).unwrap_or_default(),
            database_max_connections: 5,
            ..Config::default()
        };
        c.rate_limit.enable = false;
        c
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        conclave::open_store(&self.config()).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any runtime we may block; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&pg_admin_url()).await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server on a fresh database.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub app: Arc<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Kept so the database outlives the server.
    _db: TestDb,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let db = TestDb::new(backend).await;
        let mut config = db.config();
        tweak(&mut config);
        let app = conclave::build_app(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn({
            let app = app.clone();
            async move {
                conclave::run_server(app, listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            }
        });
        TestServer {
            base,
            http: reqwest::Client::new(),
            app,
            shutdown: Some(tx),
            task: Some(task),
            _db: db,
        }
    }

    /// Stops the server and waits for it to drain and close the store.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v4{path}", self.base)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Signs up a user without a session (works for the first user or with open sign-up).
    pub async fn signup(&self, username: &str) -> Resp {
        self.call(Method::POST, "/users", None, Some(user_body(username)))
            .await
    }

    /// Creates a user as `admin_token`; returns the user's id.
    pub async fn create_user(&self, admin_token: &str, username: &str) -> String {
        let r = self.post("/users", admin_token, user_body(username)).await;
        r.expect(StatusCode::CREATED);
        r.json["id"].as_str().unwrap().to_owned()
    }

    /// Logs in with the password `user_body` sets; returns the session token.
    pub async fn login(&self, login_id: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/users/login",
                None,
                Some(json!({"login_id": login_id, "password": PASSWORD})),
            )
            .await;
        r.expect(StatusCode::OK);
        r.header("token")
            .expect("login answers with a Token header")
    }

    /// Creates an open team as `token`; returns its id.
    pub async fn team(&self, token: &str, name: &str) -> String {
        let r = self
            .post(
                "/teams",
                token,
                json!({"name": name, "display_name": name, "type": "O"}),
            )
            .await;
        r.expect(StatusCode::CREATED);
        r.json["id"].as_str().unwrap().to_owned()
    }

    /// Adds users to a team as `token`.
    pub async fn join_team(&self, token: &str, team_id: &str, user_ids: &[&str]) {
        for u in user_ids {
            self.post(
                &format!("/teams/{team_id}/members"),
                token,
                json!({"team_id": team_id, "user_id": u}),
            )
            .await
            .expect(StatusCode::CREATED);
        }
    }

    /// Creates a channel (`O` or `P`) in a team as `token`; returns its id.
    pub async fn channel(&self, token: &str, team_id: &str, name: &str, kind: &str) -> String {
        let r = self
            .post(
                "/channels",
                token,
                json!({"team_id": team_id, "name": name, "display_name": name, "type": kind}),
            )
            .await;
        r.expect(StatusCode::CREATED);
        r.json["id"].as_str().unwrap().to_owned()
    }

    /// First user (admin) signed up and logged in: (user id, token).
    pub async fn admin(&self) -> (String, String) {
        let r = self.signup("admin").await;
        r.expect(StatusCode::CREATED);
        (
            r.json["id"].as_str().unwrap().to_owned(),
            self.login("admin").await,
        )
    }
}

pub const PASSWORD: &str = "correct-horse-battery";

pub fn user_body(username: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD})
}

/// A response read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub async fn from(r: reqwest::Response) -> Resp {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(&self, status: StatusCode) -> &Resp {
        assert_eq!(self.status, status, "body: {}", self.text);
        self
    }

    /// Asserts a Mattermost error: status, error id, and a well-formed `AppError` body.
    pub fn expect_error(&self, status: StatusCode, id: &str) -> &Resp {
        self.expect(status);
        assert_eq!(self.json["id"], id, "body: {}", self.text);
        assert_eq!(self.json["status_code"], status.as_u16());
        assert!(self.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            self.json["request_id"].as_str(),
            self.header("x-request-id").as_deref()
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json")
        );
        self
    }
}

/// Runs a test body once per backend: `both!(name, |backend| async move { … })` makes
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::support::Backend::Postgres).await
            }
        }
    };
}
