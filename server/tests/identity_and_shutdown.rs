//! Identity checks that need special server flags or several servers, and the promise of
//! graceful shutdown: every write the server accepted is there after a restart.

mod common;

use common::{Backend, StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::json;

const IDP_HEADER: &str = "X-Salespane-Idp";

/// A token revoked at the identity provider stops working once the cache time has passed.
async fn revoked_tokens_stop_working(backend: Backend) {
    let server = TestServer::start_with(backend, &["--token-cache-seconds", "1"]).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &token).await.status,
        StatusCode::OK
    );

    let revoked = server
        .http
        .post(format!("{}/services/oauth2/revoke", server.sandbox))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("revoke reaches the sandbox");
    assert!(
        revoked.status().is_success(),
        "revoke: {}",
        revoked.status()
    );

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let reply = server.get("/api/v1/me", &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_token");
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("Sign in again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_revoked_tokens_stop_working_within_the_cache_time() {
    revoked_tokens_stop_working(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_revoked_tokens_stop_working_within_the_cache_time() {
    if !common::postgres_configured() {
        return;
    }
    revoked_tokens_stop_working(Backend::Postgres).await;
}

/// An account whose users sign in with another OpenID Connect provider: the server finds
/// the provider by discovery, asks its userinfo endpoint, and maps the user to that account.
async fn other_openid_provider(backend: Backend) {
    // The other provider: a second server's sandbox, a different issuer URL.
    let provider = TestServer::start(Backend::Sqlite).await;
    let server = TestServer::start_with(backend, &["--trusted-issuer", &provider.sandbox]).await;
    let org_id = seed::acme_org_id().to_string();
    let created = server.admin_cli(&[
        "create-account",
        "--name",
        "Initech",
        "--org-id",
        &org_id,
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

    let token = provider.token_for(seed::ACME_SELLER).await;
    let reply = common::read(
        server
            .http
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .header(IDP_HEADER, &provider.sandbox),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["account"]["name"], "Initech");
    assert_eq!(reply.body["user"]["email"], seed::ACME_SELLER);
    assert_eq!(reply.body["user"]["role"], "admin");

    // An issuer the server was not told to trust is refused before anything is asked of it.
    let reply = common::read(
        server
            .http
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .header(IDP_HEADER, "https://idp.attacker.example"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.code(), "untrusted_issuer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_users_of_another_trusted_openid_provider_sign_in_to_their_account() {
    other_openid_provider(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_users_of_another_trusted_openid_provider_sign_in_to_their_account() {
    if !common::postgres_configured() {
        return;
    }
    other_openid_provider(Backend::Postgres).await;
}

/// Writes race a SIGTERM; whatever the server answered with success must survive it.
async fn graceful_shutdown(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    assert_eq!(
        server.get("/api/v1/me", &token).await.status,
        StatusCode::OK
    );

    let writes: Vec<_> = (0..60)
        .map(|i| {
            let request = server
                .http
                .post(server.url("/api/v1/admin/teams"))
                .bearer_auth(&token)
                .json(&json!({ "name": format!("Team {i:02}") }));
            tokio::spawn(async move {
                // Stagger so some writes are in flight when the signal lands.
                tokio::time::sleep(std::time::Duration::from_millis(i * 5)).await;
                let name = format!("Team {i:02}");
                match request.send().await {
                    Ok(response) => (name, Some(response.status())),
                    Err(_) => (name, None),
                }
            })
        })
        .collect();
    // One request is certainly in flight when the signal lands: its body is still being
    // uploaded. Graceful shutdown must let it finish and answer; a hard stop would cut it.
    let slow_body = futures::stream::unfold(0u8, |step| async move {
        let chunk = match step {
            0 => "{\"name\": \"Slow team\"",
            1 => {
                tokio::time::sleep(std::time::Duration::from_millis(800)).await;
                "}"
            }
            _ => return None,
        };
        Some((Ok::<_, std::io::Error>(chunk.as_bytes().to_vec()), step + 1))
    });
    let slow = tokio::spawn(
        server
            .http
            .post(server.url("/api/v1/admin/teams"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(slow_body))
            .send(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    server.stop_gracefully();
    let slow = slow.await.expect("slow task");
    let slow_status = slow.as_ref().map(|r| r.status()).ok();
    assert_eq!(
        slow_status,
        Some(StatusCode::CREATED),
        "a request in flight at SIGTERM must complete: {slow:?}"
    );
    let mut accepted = vec!["Slow team".to_string()];

    for write in writes {
        let (name, status) = write.await.expect("write task");
        if status == Some(StatusCode::CREATED) {
            accepted.push(name);
        }
    }
    assert!(
        !accepted.is_empty(),
        "some writes were accepted before the signal"
    );

    server.restart(&[]).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    let teams = server.get("/api/v1/admin/teams", &token).await;
    assert_eq!(teams.status, StatusCode::OK, "{}", teams.text);
    let stored: Vec<String> = teams
        .body
        .as_array()
        .expect("team list")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    for name in &accepted {
        assert!(
            stored.contains(name),
            "{name} was answered 201 before shutdown but is gone after restart"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_graceful_shutdown_keeps_every_accepted_write() {
    graceful_shutdown(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_graceful_shutdown_keeps_every_accepted_write() {
    if !common::postgres_configured() {
        return;
    }
    graceful_shutdown(Backend::Postgres).await;
}
