//! Test harness: every server test runs against the real `salespane-server` binary, started
//! as a process with `--sandbox` on a free port, over HTTP, on a fresh database: an SQLite
//! file, or a new PostgreSQL database created from `SALESPANE_TEST_POSTGRES_URL` (an admin
//! URL; `cargo xtask test` sets it up). `both_backends!` writes each test once for both.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use reqwest::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    child: Child,
    pub base: String,
    pub sandbox: String,
    pub http: reqwest::Client,
    pub database_url: String,
    pub backend: Backend,
    dir: std::path::PathBuf,
    pg_cleanup: Option<(String, String)>,
    pub secret_key: String,
}

/// The 18-character Salesforce id of a seeded sandbox user.
pub fn crm_id(username: &str) -> String {
    salespane_sandbox::seed::user_id(username)
        .expect("seeded user")
        .as_str()
        .to_string()
}

/// A response read whole: status and JSON body (Null when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The stable error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, &[]).await
    }

    pub async fn start_with(backend: Backend, extra_args: &[&str]) -> TestServer {
        let dir = std::env::temp_dir().join(format!("salespane-test-{}", random_suffix()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (database_url, pg_cleanup) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/test.db", dir.display()), None),
            Backend::Postgres => {
                let admin_url = std::env::var("SALESPANE_TEST_POSTGRES_URL").expect(
                    "PostgreSQL tests need SALESPANE_TEST_POSTGRES_URL (an admin URL such as postgres://salespane:salespane@127.0.0.1:5432/postgres); `cargo xtask test` sets up PostgreSQL and sets it",
                );
                let name = format!("salespane_test_{}", random_suffix());
                create_pg_database(&admin_url, &name).await;
                let url = with_database(&admin_url, &name);
                (url, Some((admin_url, name)))
            }
        };
        let secret_key = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=".to_string();
        let (child, base) = spawn_server(&database_url, &secret_key, &dir, extra_args);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestServer {
            child,
            sandbox: format!("{base}/sfdc"),
            base,
            http,
            database_url,
            backend,
            dir,
            pg_cleanup,
            secret_key,
        }
    }

    /// Stops the process with SIGTERM (graceful shutdown) and starts it again on the same
    /// database and port-free address; returns the new base URL.
    pub async fn restart(&mut self, extra_args: &[&str]) {
        self.stop_gracefully();
        let (child, base) =
            spawn_server(&self.database_url, &self.secret_key, &self.dir, extra_args);
        self.child = child;
        self.sandbox = format!("{base}/sfdc");
        self.base = base;
    }

    /// Ends the process at once (SIGKILL): nothing in it gets to finish or flush.
    pub fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop_gracefully(&mut self) {
        if self.terminate_within(Duration::from_secs(15)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit; how long it took, or
    /// None if it was still running (it is then left running).
    pub fn terminate_within(&mut self, limit: Duration) -> Option<Duration> {
        let started = std::time::Instant::now();
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        while started.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// An access token for a seeded sandbox user (the sandbox's test shortcut; the full
    /// OAuth code flow is tested on its own).
    pub async fn token_for(&self, username: &str) -> String {
        let reply = self
            .http
            .post(format!("{}/_sandbox/token", self.sandbox))
            .json(&json!({ "username": username }))
            .send()
            .await
            .expect("sandbox token request");
        let status = reply.status();
        let body: Value = reply.json().await.expect("sandbox token json");
        assert!(
            status.is_success(),
            "sandbox token for {username}: {status} {body}"
        );
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// Provisions a seeded Salesforce user as a sales user of Acme over SCIM (with `email` as
    /// their work email, taking a seat) and returns an access token of theirs.
    pub async fn provision_sales_user(&self, username: &str, email: &str) -> String {
        let admin = self.token_for(salespane_sandbox::seed::ACME_ADMIN).await;
        let issued = self
            .post("/api/v1/admin/scim-tokens", &admin, json!({"name": "test"}))
            .await;
        let scim = issued.body["token"]
            .as_str()
            .expect("scim token")
            .to_string();
        let created = read(
            self.http
                .post(self.url("/scim/v2/Users"))
                .bearer_auth(&scim)
                .json(&json!({
                    "userName": username,
                    "emails": [{"value": email, "primary": true}],
                    "active": true
                })),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        self.token_for(username).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        read(self.http.get(self.url(path)).bearer_auth(token)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        read(self.http.delete(self.url(path)).bearer_auth(token)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        read(
            self.http
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        read(self.http.put(self.url(path)).bearer_auth(token).json(&body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        read(
            self.http
                .patch(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    /// Runs `salespane-server admin …` against this server's database.
    pub fn admin_cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_salespane-server"))
            .args(["--database", &self.database_url, "admin"])
            .args(args)
            .env("SALESPANE_SECRET_KEY", &self.secret_key)
            .output()
            .expect("run admin cli")
    }
}

pub async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.pg_cleanup.take() {
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(async {
                        use sqlx::Executor;
                        if let Ok(pool) = pg_admin_pool(&admin_url).await {
                            let _ = pool
                                .execute(
                                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
                                        .as_str(),
                                )
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

fn spawn_server(
    database_url: &str,
    secret_key: &str,
    data_dir: &std::path::Path,
    extra_args: &[&str],
) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_salespane-server"))
        .args([
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database_url,
        ])
        // The server's files (the tracking write-ahead file) stay in the test's directory.
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra_args)
        .env("SALESPANE_SECRET_KEY", secret_key)
        .env("SALESPANE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start salespane-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("salespane-server listening on ") {
                    break url.trim().to_string();
                }
            }
            _ => panic!("salespane-server exited before listening (see its stderr above)"),
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, base)
}

async fn pg_admin_pool(admin_url: &str) -> Result<sqlx::AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await
}

async fn create_pg_database(admin_url: &str, name: &str) {
    use sqlx::Executor;
    let pool = pg_admin_pool(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connect to PostgreSQL at SALESPANE_TEST_POSTGRES_URL: {e}"));
    pool.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
    pool.close().await;
}

fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("SALESPANE_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Whether the PostgreSQL half can run. Without `SALESPANE_TEST_POSTGRES_URL` it is skipped
/// with a line saying how to run it (`cargo xtask test` sets the variable up), so a newcomer's
/// `cargo test -p salespane-server` passes on SQLite alone instead of panicking.
pub fn postgres_configured() -> bool {
    if std::env::var_os("SALESPANE_TEST_POSTGRES_URL").is_some() {
        return true;
    }
    eprintln!(
        "skipped the PostgreSQL run: set SALESPANE_TEST_POSTGRES_URL to an admin URL (e.g. postgres://salespane:salespane@127.0.0.1:5432/postgres) or run `cargo xtask test --only unit`, which sets PostgreSQL up"
    );
    false
}

fn random_suffix() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes each test once and runs it on SQLite (`sqlite::name`) and PostgreSQL
/// (`postgres::name`):
///
/// ```ignore
/// both_backends! {
///     async fn health_answers(server) { ... }
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    ($( $(#[$meta:meta])* async fn $name:ident($server:ident) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $server = $crate::common::TestServer::start($crate::common::Backend::Sqlite).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if !$crate::common::postgres_configured() {
                        return;
                    }
                    #[allow(unused_mut)]
                    let mut $server = $crate::common::TestServer::start($crate::common::Backend::Postgres).await;
                    $body
                }
            )*
        }
    };
}
