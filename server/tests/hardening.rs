//! Hardening of identity and the sandbox (issue 7): tokens are checked for the client they
//! were issued to, emails link users only when verified, bad tokens do not turn into
//! identity-provider traffic, the sandbox survives hostile SOQL and stays on loopback, and
//! sandbox mode leaves real CRM connections alone.

mod common;

use common::{Backend, StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::{json, Value};

/// How many times the sandbox's identity endpoints were called so far.
async fn identity_calls(server: &TestServer) -> (u64, u64) {
    let stats: Value = server
        .http
        .get(format!("{}/_sandbox/stats", server.sandbox))
        .send()
        .await
        .expect("sandbox stats")
        .json()
        .await
        .expect("stats json");
    (
        stats["userinfo"].as_u64().unwrap_or(0),
        stats["introspect"].as_u64().unwrap_or(0),
    )
}

both_backends! {
    async fn a_token_minted_for_another_client_is_refused(server) {
        // Same identity provider, same user, another application's token.
        let reply = server
            .http
            .post(format!("{}/_sandbox/token", server.sandbox))
            .json(&json!({"username": seed::ACME_ADMIN, "client_id": "someone-elses-app"}))
            .send()
            .await
            .unwrap();
        let foreign: Value = reply.json().await.unwrap();
        let foreign = foreign["access_token"].as_str().unwrap();
        let refused = server.get("/api/v1/me", foreign).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
        assert_eq!(refused.code(), "token_wrong_client");
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("someone-elses-app"));
        // The sandbox's own test client is accepted in sandbox mode.
        let ours = server.token_for(seed::ACME_ADMIN).await;
        assert_eq!(server.get("/api/v1/me", &ours).await.status, StatusCode::OK);
    }

    async fn the_same_bad_token_asks_the_identity_provider_once(server) {
        let (before, _) = identity_calls(&server).await;
        let bad = "00DAc0000000001!not-a-real-token.x";
        let replies = futures::future::join_all((0..20).map(|_| server.get("/api/v1/me", bad))).await;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
            assert_eq!(reply.code(), "invalid_token");
        }
        for _ in 0..10 {
            assert_eq!(server.get("/api/v1/me", bad).await.code(), "invalid_token");
        }
        let (after, _) = identity_calls(&server).await;
        assert_eq!(after - before, 1, "30 requests with one bad token asked userinfo {} times", after - before);
    }

    async fn hostile_soql_is_refused_and_the_server_lives_on(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        let nested = format!("SELECT Id FROM Lead WHERE {}Name = 'a'{}", "(".repeat(1000), ")".repeat(1000));
        let reply = common::read(
            server
                .http
                .get(format!("{}/services/data/v{}/query", server.sandbox, salespane_sandbox::API_VERSION))
                .query(&[("q", nested.as_str())])
                .bearer_auth(&token),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
        assert_eq!(reply.body[0]["errorCode"], "MALFORMED_QUERY", "{}", reply.text);
        assert_eq!(server.get("/api/v1/me", &token).await.status, StatusCode::OK);
    }
}

/// Many tokens from one address: past the limit, 429 with Retry-After; tokens already
/// verified keep working.
async fn verification_attempts_are_limited_per_address(backend: Backend) {
    let server = TestServer::start_with(backend, &["--token-checks-per-minute", "3"]).await;
    let admin = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &admin).await.status,
        StatusCode::OK
    );
    for i in 0..2 {
        let reply = server.get("/api/v1/me", &format!("bad-token-{i}")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    }
    let (calls, _) = identity_calls(&server).await;
    let limited = common::read(
        server
            .http
            .get(server.url("/api/v1/me"))
            .bearer_auth("bad-token-3"),
    )
    .await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.code(), "too_many_token_checks");
    let response = server
        .http
        .get(server.url("/api/v1/me"))
        .bearer_auth("bad-token-4")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(
        identity_calls(&server).await.0,
        calls,
        "a limited address still reached the identity provider"
    );
    // The verified token is answered from the cache, limit or not.
    assert_eq!(
        server.get("/api/v1/me", &admin).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_verification_attempts_are_limited_per_address() {
    verification_attempts_are_limited_per_address(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_verification_attempts_are_limited_per_address() {
    verification_attempts_are_limited_per_address(Backend::Postgres).await;
}

/// A user known only by email is linked at first sign-in only when the identity provider
/// says the email is verified.
async fn unverified_email_is_not_linked(backend: Backend) {
    let provider = TestServer::start(Backend::Sqlite).await;
    let server = TestServer::start_with(backend, &["--trusted-issuer", &provider.sandbox]).await;
    let created = server.admin_cli(&[
        "create-account",
        "--name",
        "Initech",
        "--org-id",
        &seed::acme_org_id().to_string(),
        "--idp-issuer",
        &provider.sandbox,
        "--seats",
        "2",
        "--admin-email",
        seed::ACME_SELLER,
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let set_verified = |verified: bool| {
        provider
            .http
            .post(format!("{}/_sandbox/email-verified", provider.sandbox))
            .json(&json!({"username": seed::ACME_SELLER, "verified": verified}))
            .send()
    };
    assert_eq!(
        set_verified(false).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let me = |token: String| {
        common::read(
            server
                .http
                .get(server.url("/api/v1/me"))
                .bearer_auth(token)
                .header("X-Salespane-Idp", &provider.sandbox),
        )
    };
    let refused = me(provider.token_for(seed::ACME_SELLER).await).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.code(), "not_imported");

    assert_eq!(
        set_verified(true).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let linked = me(provider.token_for(seed::ACME_SELLER).await).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.text);
    assert_eq!(linked.body["user"]["email"], seed::ACME_SELLER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_unverified_email_does_not_link_a_user() {
    unverified_email_is_not_linked(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_unverified_email_does_not_link_a_user() {
    unverified_email_is_not_linked(Backend::Postgres).await;
}

/// `--sandbox` signs anyone in: it refuses a non-loopback address unless forced.
#[test]
fn the_sandbox_refuses_a_public_address() {
    let dir = std::env::temp_dir().join(format!("salespane-public-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_salespane-server"))
        .args(["--sandbox", "--listen", "0.0.0.0:0", "--database"])
        .arg(format!("sqlite://{}/test.db", dir.display()))
        .output()
        .expect("run salespane-server");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("loopback") && said.contains("--allow-public-sandbox"),
        "{said}"
    );
}

/// Sandbox mode re-points the sandbox's own connections at this run's port and leaves a real
/// org's connection in the same database alone.
async fn sandbox_mode_leaves_real_connections_alone(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let created = server.admin_cli(&[
        "create-account",
        "--name",
        "Real Co",
        "--org-id",
        "00D5g000004ReaL",
        "--idp-issuer",
        "https://login.salesforce.com",
        "--seats",
        "2",
        "--admin-email",
        "admin@real.example",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .unwrap();
    use sqlx::Row;
    let row = sqlx::query("SELECT u.id, u.account_id FROM users u JOIN accounts a ON a.id = u.account_id WHERE a.name = 'Real Co'")
        .fetch_one(&pool).await.unwrap();
    let (user_id, account_id): (String, String) = (row.get("id"), row.get("account_id"));
    let real = "https://realco.my.salesforce.com";
    sqlx::query("INSERT INTO crm_connections (id, account_id, user_id, crm_user_id, crm_username, crm_email, instance_url, refresh_token_sealed, access_token_sealed, api_enabled, status, confirmed_at, created_at, updated_at) VALUES ('crm_real', $1, $2, '0055g00000RealAAA', 'admin@real.example', 'admin@real.example', $3, 'v2.x', NULL, 1, 'active', 1, 1, 1)")
        .bind(&account_id).bind(&user_id).bind(real)
        .execute(&pool).await.unwrap();
    pool.close().await;

    server.restart(&[]).await;
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .unwrap();
    let kept: String =
        sqlx::query("SELECT instance_url FROM crm_connections WHERE id = 'crm_real'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("instance_url");
    assert_eq!(kept, real);
    let sandbox_urls: Vec<String> =
        sqlx::query("SELECT instance_url FROM crm_connections WHERE id <> 'crm_real'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("instance_url"))
            .collect();
    assert!(!sandbox_urls.is_empty());
    for url in sandbox_urls {
        assert_eq!(
            url, server.sandbox,
            "the sandbox's connections follow this run's port"
        );
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sandbox_mode_leaves_real_connections_alone() {
    sandbox_mode_leaves_real_connections_alone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sandbox_mode_leaves_real_connections_alone() {
    sandbox_mode_leaves_real_connections_alone(Backend::Postgres).await;
}

/// Calls to the identity provider are capped: with one allowed at a time, four slow checks
/// take four times as long as one.
async fn identity_provider_calls_are_capped(backend: Backend) {
    let server = TestServer::start_with(backend, &["--idp-max-concurrent-calls", "1"]).await;
    // Discovery first, so only the userinfo calls are timed.
    let _ = server.get("/api/v1/me", "warm-up-token").await;
    let fault = server
        .http
        .post(format!("{}/_sandbox/faults", server.sandbox))
        .json(&json!({"path_contains": "oauth2/userinfo", "delay_ms": 400, "times": 4}))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());
    let started = std::time::Instant::now();
    let server = &server;
    let replies = futures::future::join_all((0..4).map(|i| async move {
        server
            .get("/api/v1/me", &format!("slow-bad-token-{i}"))
            .await
    }))
    .await;
    let elapsed = started.elapsed();
    for reply in replies {
        assert_eq!(reply.code(), "invalid_token", "{}", reply.text);
    }
    assert!(
        elapsed >= std::time::Duration::from_millis(1500),
        "four 400 ms checks ran side by side in {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_identity_provider_calls_are_capped() {
    identity_provider_calls_are_capped(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_identity_provider_calls_are_capped() {
    identity_provider_calls_are_capped(Backend::Postgres).await;
}
