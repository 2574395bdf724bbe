//! The real binary: acknowledged writes survive `kill -9`, and the operator CLI works.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::{Backend, PASSWORD, TestDb, user_body};

const BIN: &str = env!("CARGO_BIN_EXE_conclave");

fn command(db: &TestDb) -> Command {
    let config = db.config();
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(&config.data_dir);
    if !config.database_url.is_empty() {
        cmd.arg("--database-url").arg(&config.database_url);
    }
    cmd.env("CONCLAVE_RATE_LIMIT_ENABLE", "false")
        .current_dir(&config.data_dir);
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `conclave serve` and waits until it answers ping.
async fn spawn_server(db: &TestDb, port: u16) -> Child {
    let mut child = command(db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("http://127.0.0.1:{port}/api/v4/system/ping");
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status() == StatusCode::OK
        {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both!(
    acknowledged_signup_survives_kill_9,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let port = free_port();
        let mut server = spawn_server(&db, port).await;
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}/api/v4");
        let r = http
            .post(format!("{base}/users"))
            .json(&user_body("survivor"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let diagnostic: serde_json::Value = http
            .get(format!("{base}/config/client?format=old"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // SIGKILL: no shutdown hook runs, nothing is flushed after the 201.
        server.kill().unwrap();
        server.wait().unwrap();

        let mut server = spawn_server(&db, port).await;
        let r = http
            .post(format!("{base}/users/login"))
            .json(&json!({"login_id": "survivor", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let again: serde_json::Value = http
            .get(format!("{base}/config/client?format=old"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            again["DiagnosticId"], diagnostic["DiagnosticId"],
            "the server keeps its identity"
        );
        server.kill().unwrap();
        server.wait().unwrap();
    }
);

fn run(db: &TestDb, args: &[&str]) -> (bool, String) {
    let out = command(db).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

both!(operator_cli, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    let (ok, text) = run(&db, &["--version"]);
    assert!(ok && text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    let (ok, text) = run(&db, &["migrate"]);
    assert!(ok, "{text}");

    let (ok, text) = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password",
            PASSWORD,
            "--system-admin",
        ],
    );
    assert!(ok && text.contains("system_admin"), "{text}");
    let (ok, text) = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "root",
            "--email",
            "other@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert!(!ok && text.contains("username already exists"), "{text}");
    let (ok, text) = run(
        &db,
        &[
            "user",
            "create",
            "--username",
            "pat",
            "--email",
            "pat@example.com",
            "--password",
            "short",
        ],
    );
    assert!(!ok && text.contains("password"), "{text}");

    let (ok, text) = run(
        &db,
        &[
            "user",
            "reset-password",
            "root@example.com",
            "--password",
            "brand-new-pass",
        ],
    );
    assert!(ok, "{text}");

    let port = free_port();
    let mut server = spawn_server(&db, port).await;
    let http = reqwest::Client::new();
    let login = |password: &'static str| {
        http.post(format!("http://127.0.0.1:{port}/api/v4/users/login"))
            .json(&json!({"login_id": "root", "password": password}))
            .send()
    };
    assert_eq!(
        login("brand-new-pass").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        login(PASSWORD).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let (ok, text) = run(&db, &["user", "deactivate", "root"]);
    assert!(ok, "{text}");
    let r = login("brand-new-pass").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["id"], "api.user.login.inactive.app_error");
    let (ok, text) = run(&db, &["user", "deactivate", "nobody"]);
    assert!(!ok && text.contains("Unable to find the user"), "{text}");
    server.kill().unwrap();
    server.wait().unwrap();
});

#[test]
fn invalid_config_stops_startup_naming_the_key() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:1"])
        .env("CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth.maximum_login_attempts"), "{err}");
    assert!(
        err.contains("CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS"),
        "{err}"
    );
}
