//! The server holds up against slow, many or odd clients, over real sockets to the real
//! process: stalled headers and bodies are cut, connections are capped, shutdown has a
//! deadline, a panicking handler is one 500, a busy SQLite answers 503 quickly, CORS admits
//! only the configured extensions, oversized bodies get the JSON error, and database files
//! are owner-only.

mod common;

use common::{Backend, StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server's `host:port`.
fn address(server: &TestServer) -> String {
    server
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Reads until the server closes the connection (or `limit` passes): what it sent, and
/// when it closed (None if still open at the limit).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
        }
    }
}

async fn stalled_headers_are_cut(backend: Backend) {
    let server = TestServer::start_with(backend, &["--header-read-timeout-seconds", "2"]).await;
    let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")
        .await
        .expect("send half a request");
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let closed = closed.expect("a request whose headers stall is closed");
    assert!(closed < Duration::from_secs(6), "closed after {closed:?}");

    // A connection that sends nothing at all is closed as well.
    let mut idle = TcpStream::connect(address(&server)).await.expect("connect");
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "an idle connection is closed");
}

async fn stalled_bodies_are_cut(backend: Backend) {
    let server = TestServer::start_with(backend, &["--body-read-timeout-seconds", "2"]).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &token).await.status,
        StatusCode::OK
    );
    let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
    let head = format!(
        "POST /api/v1/admin/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\""
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let closed = closed.expect("a request whose body stalls is closed");
    assert!(closed < Duration::from_secs(6), "closed after {closed:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_timeout\""), "{answer}");
}

async fn connections_are_capped(backend: Backend) {
    let server = TestServer::start_with(
        backend,
        &[
            "--max-connections",
            "2",
            "--header-read-timeout-seconds",
            "3",
        ],
    )
    .await;
    // Two silent clients take both slots...
    let _first = TcpStream::connect(address(&server)).await.expect("connect");
    let _second = TcpStream::connect(address(&server)).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // ...so a third is served only once the header time-out has closed one of them.
    let started = Instant::now();
    let reply = common::read(server.http.get(server.url("/healthz"))).await;
    let waited = started.elapsed();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        waited >= Duration::from_millis(1500),
        "served after {waited:?} although both slots were taken"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}

async fn shutdown_has_a_deadline(backend: Backend) {
    let mut server = TestServer::start_with(
        backend,
        &[
            "--shutdown-timeout-seconds",
            "2",
            "--body-read-timeout-seconds",
            "120",
        ],
    )
    .await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &token).await.status,
        StatusCode::OK
    );
    // A request whose body never completes is in flight when the signal lands.
    let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
    let head = format!(
        "POST /api/v1/admin/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let exited = server.terminate_within(Duration::from_secs(15));
    let exited = exited.expect("the server exits after SIGTERM despite a stalled request");
    assert!(
        exited < Duration::from_secs(5),
        "exited {exited:?} after SIGTERM with a 2 s deadline"
    );
}

async fn a_panicking_handler_is_one_500(backend: Backend) {
    let server = TestServer::start_with(backend, &["--enable-test-panic-route"]).await;
    for _ in 0..3 {
        let reply = common::read(server.http.get(server.url("/api/v1/_test/panic"))).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(reply.code(), "internal", "{}", reply.text);
    }
    let health = common::read(server.http.get(server.url("/healthz"))).await;
    assert_eq!(health.status, StatusCode::OK, "the server still serves");
}

async fn cors_admits_only_configured_extensions(backend: Backend) {
    let preflight = |server: &TestServer, origin: &str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.url("/api/v1/me"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let allowed = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let ours = "chrome-extension://fhjdpaofeopnedbooopnkmdeclfpmkmd";
    let other = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    let server = TestServer::start(backend).await;
    let reply = preflight(&server, ours).await.expect("preflight");
    assert_eq!(allowed(&reply).as_deref(), Some(ours));
    for stranger in [
        other,
        "moz-extension://0a1b2c3d-1111-2222-3333-444455556666",
        "https://evil.example",
    ] {
        let reply = preflight(&server, stranger).await.expect("preflight");
        assert_eq!(allowed(&reply), None, "{stranger} must not be allowed");
    }
    drop(server);

    let firefox = "moz-extension://0a1b2c3d-1111-2222-3333-444455556666";
    let server = TestServer::start_with(
        backend,
        &["--extension-origin", other, "--extension-origin", firefox],
    )
    .await;
    for origin in [other, firefox] {
        let reply = preflight(&server, origin).await.expect("preflight");
        assert_eq!(allowed(&reply).as_deref(), Some(origin));
    }
    let reply = preflight(&server, ours).await.expect("preflight");
    assert_eq!(allowed(&reply), None, "the default is replaced by the flag");
}

async fn oversized_bodies_answer_json(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let reply = read_early_answer(
        server
            .http
            .post(server.url("/api/v1/admin/teams"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(huge.clone()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "payload_too_large", "{}", reply.text);

    let reply = read_early_answer(
        server
            .http
            .post(server.url("/scim/v2/Users"))
            .bearer_auth("spscim_unknown")
            .header("content-type", "application/scim+json")
            .body(huge),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{}",
        reply.text
    );
}

/// Sends a request the server answers before reading its whole body (413 on the declared
/// length). The server then closes the connection, and when that close overtakes the client's
/// upload the client sees the connection end instead of the answer (HTTP/1.1 has no way to
/// stop an upload); such a send is tried again, a few times, so the test reads the answer.
async fn read_early_answer(request: reqwest::RequestBuilder) -> common::Reply {
    for _ in 0..4 {
        let attempt = request.try_clone().expect("a request with a buffered body");
        match attempt.send().await {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                return common::Reply { status, body, text };
            }
            Err(err) if err.is_request() => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("request failed: {err}"),
        }
    }
    panic!("the connection ended before the answer four times in a row");
}

/// Runs a check that starts its own server (with flags) once per backend.
macro_rules! on_both_backends {
    ($($name:ident => $check:ident;)*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$check(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if super::common::postgres_configured() {
                        super::$check(super::Backend::Postgres).await;
                    }
                }
            )*
        }
    };
}

on_both_backends! {
    stalled_headers_are_closed => stalled_headers_are_cut;
    stalled_bodies_answer_408_and_close => stalled_bodies_are_cut;
    connections_beyond_the_limit_wait => connections_are_capped;
    shutdown_ends_within_its_deadline => shutdown_has_a_deadline;
    a_handler_panic_answers_500_and_the_server_keeps_serving => a_panicking_handler_is_one_500;
    cors_allows_only_the_configured_extension_origins => cors_admits_only_configured_extensions;
    bodies_over_the_limit_answer_the_json_error => oversized_bodies_answer_json;
}

/// A write that cannot get SQLite's lock answers 503 with Retry-After within a few
/// seconds (it used to wait 10 s and answer 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_busy_database_answers_503_with_retry_after() {
    use sqlx::Connection;
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &token).await.status,
        StatusCode::OK
    );

    // Another process's writer holds the lock.
    let mut locker = sqlx::SqliteConnection::connect(&server.database_url)
        .await
        .expect("open the test database");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut locker)
        .await
        .expect("take the write lock");

    let started = Instant::now();
    let reply = server
        .post("/api/v1/admin/teams", &token, json!({"name": "Blocked"}))
        .await;
    let waited = started.elapsed();
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    assert_eq!(reply.code(), "database_busy");
    assert!(waited < Duration::from_secs(6), "answered after {waited:?}");
    let retry = server
        .http
        .post(server.url("/api/v1/admin/teams"))
        .bearer_auth(&token)
        .json(&json!({"name": "Blocked again"}))
        .send()
        .await
        .expect("request");
    assert_eq!(retry.status(), StatusCode::SERVICE_UNAVAILABLE);
    let after: u64 = retry
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=30).contains(&after));

    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("release the lock");
    let reply = server
        .post("/api/v1/admin/teams", &token, json!({"name": "Now"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

/// The SQLite database and its WAL and shared-memory files are readable by the owner only.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    let reply = server
        .post("/api/v1/admin/teams", &token, json!({"name": "Written"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let path = server
        .database_url
        .strip_prefix("sqlite://")
        .expect("sqlite URL")
        .to_string();
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} has mode {:o}", mode & 0o777);
    }
}
