//! Tracking over HTTP against the real server: the extension's sends recorded once, pixel
//! and click hits fetched as people, proxies and scanners would, classified in the
//! background and read back; tampered, foreign and malformed links; hits that come before
//! their message; the sender's own view; X-Forwarded-For only from trusted proxies; and one
//! user never seeing another's messages.

mod common;
mod tracking_support;

use common::{Backend, TestServer};
use salespane_sandbox::seed;
use serde_json::Value;
use std::time::Duration;
use tracking_support::{
    events_as_extension, events_when, fetch, fetch_raw, new_message_id, with_param, Fetcher, Sender,
};

const HOUR: Duration = Duration::from_secs(3600);
const PROXY: &[&str] = &["--trusted-proxy", "127.0.0.1/32"];

/// Each scenario on SQLite and on PostgreSQL, with the server flags it needs.
macro_rules! on_both_backends {
    ($($name:ident($args:expr);)*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_imports)]
                    use super::PROXY;
                    super::$name(super::TestServer::start_with(super::Backend::Sqlite, $args).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_imports)]
                    use super::PROXY;
                    super::$name(super::TestServer::start_with(super::Backend::Postgres, $args).await).await
                }
            )*
        }
    };
}

on_both_backends! {
    recorded_sends_count_people_not_proxies_scanners_or_repeats(PROXY);
    tampered_foreign_and_malformed_links_never_redirect(&[]);
    hits_before_the_sent_record_are_kept_and_joined(PROXY);
    the_senders_own_view_is_not_counted_and_forwarded_for_needs_a_trusted_proxy(PROXY);
    forwarded_for_is_ignored_from_untrusted_peers(&[]);
    one_user_never_sees_anothers_messages(&[]);
}

fn classes(events: &[Value]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["class"].as_str().unwrap_or("").to_string(),
                e["counted"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

async fn recorded_sends_count_people_not_proxies_scanners_or_repeats(server: TestServer) {
    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let id = new_message_id();
    let pricing = "https://northwind.example/pricing?plan=team&ref=mail";
    let first = ada
        .record(
            &server,
            &id,
            &[seed::LEAD_JANE_EMAIL],
            &[pricing, "https://acme.example/"],
            HOUR,
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["id"], id.as_str());
    assert_eq!(first.body["source"], "extension");
    assert_eq!(first.body["tracked"], true);
    assert_eq!(first.body["links"][0]["destination"], pricing);
    assert_eq!(first.body["opens"], 0);
    let again = ada
        .record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[pricing], HOUR)
        .await;
    assert_eq!(again.status, 200, "a repeat is idempotent: {}", again.text);
    assert_eq!(again.body, first.body, "the first record is kept");

    let pause = || tokio::time::sleep(Duration::from_millis(20));
    // The reader's mail client shows the pixel: the GIF, never cached.
    let pixel = fetch_raw(&server, &ada.pixel(&id), Fetcher::Browser, None).await;
    assert_eq!(pixel.status(), 200);
    assert_eq!(pixel.headers()["content-type"], "image/gif");
    let cache = pixel.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cache.contains("no-cache") && cache.contains("no-store"),
        "{cache}"
    );
    assert_eq!(
        pixel.bytes().await.unwrap().as_ref(),
        &salespane_tracking::pixel::GIF[..]
    );
    pause().await;
    // Gmail's proxy fetches when another reader opens (a real open) from Google's address.
    let proxied = fetch(
        &server,
        &ada.pixel(&id),
        Fetcher::GoogleImageProxy,
        Some("66.249.84.10"),
    )
    .await;
    assert_eq!(proxied.status, 200);
    pause().await;
    // A gateway probes the link with HEAD and a bot agent.
    let scanned = fetch(
        &server,
        &ada.click(&id, 0, pricing),
        Fetcher::Scanner,
        Some("40.94.0.5"),
    )
    .await;
    assert_eq!(scanned.status, 302, "HEAD is answered like GET");
    pause().await;
    // A reader clicks: redirected to the signed destination.
    let clicked = fetch_raw(
        &server,
        &ada.click(&id, 0, pricing),
        Fetcher::Browser,
        Some("203.0.113.20"),
    )
    .await;
    assert_eq!(clicked.status(), 302);
    assert_eq!(clicked.headers()["location"], pricing);
    pause().await;
    // The first reader opens the mail again at once: a repeat.
    fetch_raw(&server, &ada.pixel(&id), Fetcher::Browser, None).await;

    let events = events_when(&server, &ada.token, &id, 5).await;
    let seen = classes(&events);
    assert_eq!(seen.len(), 5, "{events:#?}");
    assert_eq!(
        seen[0],
        ("open".into(), "human".into(), true),
        "{events:#?}"
    );
    assert_eq!(
        seen[1],
        ("open".into(), "image_proxy".into(), true),
        "{events:#?}"
    );
    assert_eq!(
        seen[2],
        ("click".into(), "security_scanner".into(), false),
        "{events:#?}"
    );
    assert!(
        events[2]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "head_request"),
        "{events:#?}"
    );
    assert_eq!(
        seen[3],
        ("click".into(), "human".into(), true),
        "{events:#?}"
    );
    assert_eq!(events[3]["link"], 0);
    assert_eq!(events[3]["user_agent"], tracking_support::BROWSER_UA);
    assert_eq!(
        seen[4],
        ("open".into(), "duplicate".into(), false),
        "{events:#?}"
    );
    assert!(events[0]["link"].is_null());
    assert!(events[0]["at"].as_str().unwrap().ends_with('Z'));

    // Without all=true: only what counts.
    let counted = server
        .get(&format!("/api/v1/messages/{id}/events"), &ada.token)
        .await;
    let counted = counted.body["events"].as_array().unwrap().clone();
    assert!(counted.iter().all(|e| e["counted"] == true));
    assert_eq!(counted.len(), seen.iter().filter(|s| s.2).count());

    let list = server.get("/api/v1/messages", &ada.token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["total"], 1);
    let summary = &list.body["messages"][0];
    assert_eq!(summary["id"], id.as_str());
    assert_eq!(summary["opens"], 2, "{summary}");
    assert_eq!(summary["clicks"], 1, "{summary}");
    assert!(summary["last_activity_at"].is_string());
    let detail = server
        .get(&format!("/api/v1/messages/{id}"), &ada.token)
        .await;
    assert_eq!(detail.body["links"][0]["clicks"], 1);
    assert_eq!(detail.body["links"][1]["clicks"], 0);
}

async fn tampered_foreign_and_malformed_links_never_redirect(server: TestServer) {
    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let gina = Sender::signed_in(&server, &server.token_for(seed::GLOBEX_ADMIN).await).await;
    let id = new_message_id();
    let offer = "https://northwind.example/offer";
    assert_eq!(
        ada.record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[offer], HOUR)
            .await
            .status,
        201
    );

    let good = ada.click(&id, 0, offer);
    let refused = |reply: &common::Reply| {
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(reply.text.contains("cannot be followed"), "{}", reply.text);
        assert!(
            !reply.text.contains("northwind"),
            "the page does not lead on"
        );
    };
    // Another destination under the same signature.
    let tampered = with_param(&good, "u", "https://evil.example/");
    assert_ne!(tampered, good);
    refused(&fetch(&server, &tampered, Fetcher::Browser, None).await);
    // Another link index, a changed signature, an unknown key id, malformed paths.
    refused(
        &fetch(
            &server,
            &good.replace(&format!("/{id}/0?"), &format!("/{id}/1?")),
            Fetcher::Browser,
            None,
        )
        .await,
    );
    let sig_at = good.find("s=").unwrap() + 2;
    let mut forged = good.clone();
    forged.replace_range(
        sig_at..sig_at + 4,
        if &good[sig_at..sig_at + 4] == "AAAA" {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    refused(&fetch(&server, &forged, Fetcher::Browser, None).await);
    refused(
        &fetch(
            &server,
            &with_param(&good, "k", "key_000000000000000000000000"),
            Fetcher::Browser,
            None,
        )
        .await,
    );
    for path in [
        "/t/c/",
        "/t/c/x/y",
        &format!("/t/c/{id}/0"),
        &format!("/t/c/{id}/zero?u=https%3A%2F%2Fa.example&k=k&s=s"),
    ] {
        refused(&fetch(&server, &server.url(path), Fetcher::Browser, None).await);
    }
    // A link of another account signed with its own key works for that account…
    let globex_link = gina.click(&id, 0, offer);
    assert_eq!(
        fetch(&server, &globex_link, Fetcher::Browser, None)
            .await
            .status,
        302
    );
    // …but Ada's key id with Globex's secret is a forgery.
    refused(
        &fetch(
            &server,
            &with_param(&globex_link, "k", &ada.key_id),
            Fetcher::Browser,
            None,
        )
        .await,
    );
    // The pixel always answers, whatever it carries, and a bad one is not recorded.
    let bad_pixel = ada.pixel(&id).replace("s=", "s=x");
    let answered = fetch(&server, &bad_pixel, Fetcher::Browser, None).await;
    assert_eq!(answered.status, 200);
    assert_eq!(
        fetch(
            &server,
            &server.url("/t/o/garbage.gif"),
            Fetcher::Browser,
            None
        )
        .await
        .status,
        200
    );

    // A retired key still verifies.
    let rotated = server
        .post(
            "/api/v1/me/signing-key/rotate",
            &ada.token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_ne!(rotated.body["id"], ada.key_id.as_str());
    let after_rotation = fetch(&server, &good, Fetcher::Browser, None).await;
    assert_eq!(
        after_rotation.status, 302,
        "links already sent keep working"
    );

    // Ada sees her valid click (and only hers); Globex's hit on the same id is Globex's.
    let events = events_when(&server, &ada.token, &id, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let events_after = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &ada.token,
        )
        .await;
    assert_eq!(
        events_after.body["events"].as_array().unwrap().len(),
        1,
        "{}",
        events_after.text
    );
    assert_eq!(events[0]["kind"], "click");
    let theirs = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &gina.token,
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.text);
}

async fn hits_before_the_sent_record_are_kept_and_joined(server: TestServer) {
    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let id = new_message_id();
    let offer = "https://northwind.example/offer";
    // The recipient opens and clicks before the extension's record reaches the server.
    assert_eq!(
        fetch(
            &server,
            &ada.pixel(&id),
            Fetcher::Browser,
            Some("203.0.113.30")
        )
        .await
        .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        fetch(
            &server,
            &ada.click(&id, 0, offer),
            Fetcher::Browser,
            Some("203.0.113.30")
        )
        .await
        .status,
        302
    );
    let unknown = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &ada.token,
        )
        .await;
    assert_eq!(unknown.status, 404, "no message yet");
    // Let the writer store them (it is woken by every hit).
    tokio::time::sleep(Duration::from_secs(2)).await;

    let recorded = ada
        .record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[offer], HOUR)
        .await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    let events = events_when(&server, &ada.token, &id, 2).await;
    assert_eq!(
        classes(&events),
        vec![
            ("open".into(), "human".into(), true),
            ("click".into(), "human".into(), true),
        ],
        "{events:#?}"
    );
    let detail = server
        .get(&format!("/api/v1/messages/{id}"), &ada.token)
        .await;
    assert_eq!(detail.body["opens"], 1);
    assert_eq!(detail.body["links"][0]["clicks"], 1);
}

async fn the_senders_own_view_is_not_counted_and_forwarded_for_needs_a_trusted_proxy(
    server: TestServer,
) {
    let token = server.token_for(seed::ACME_ADMIN).await;
    let ada = Sender::signed_in(&server, &token).await;
    let id = new_message_id();
    assert_eq!(
        ada.record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[], HOUR)
            .await
            .status,
        201
    );
    // The extension calls the API from the sender's address, with the sender's browser.
    let me = common::read(
        server
            .http
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .header("user-agent", tracking_support::BROWSER_UA)
            .header("x-forwarded-for", "198.51.100.7"),
    )
    .await;
    assert_eq!(me.status, 200);
    // Ada looks at her sent mail; then the recipient (another address, same browser) opens it.
    fetch(
        &server,
        &ada.pixel(&id),
        Fetcher::Browser,
        Some("198.51.100.7"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    fetch(
        &server,
        &ada.pixel(&id),
        Fetcher::Browser,
        Some("203.0.113.40"),
    )
    .await;
    let events = events_as_extension(&server, &ada.token, &id, 2, "198.51.100.7").await;
    assert_eq!(
        classes(&events)[0],
        ("open".into(), "sender".into(), false),
        "{events:#?}"
    );
    assert!(
        events[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "sender_address_and_agent"),
        "{events:#?}"
    );
    assert_eq!(
        classes(&events)[1],
        ("open".into(), "human".into(), true),
        "{events:#?}"
    );

    // Mail to oneself is never tracked, and its hits never count.
    let own = new_message_id();
    let to_self = ada
        .record(&server, &own, &[seed::ACME_ADMIN], &[], HOUR)
        .await;
    assert_eq!(to_self.status, 201);
    assert_eq!(to_self.body["tracked"], false);
    fetch(
        &server,
        &ada.pixel(&own),
        Fetcher::Browser,
        Some("203.0.113.41"),
    )
    .await;
    let events = events_as_extension(&server, &ada.token, &own, 1, "198.51.100.7").await;
    assert_eq!(events[0]["counted"], false, "{events:#?}");
}

async fn forwarded_for_is_ignored_from_untrusted_peers(server: TestServer) {
    let token = server.token_for(seed::ACME_ADMIN).await;
    let ada = Sender::signed_in(&server, &token).await;
    let id = new_message_id();
    assert_eq!(
        ada.record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[], HOUR)
            .await
            .status,
        201
    );
    let me = common::read(
        server
            .http
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .header("user-agent", tracking_support::BROWSER_UA)
            .header("x-forwarded-for", "198.51.100.7"),
    )
    .await;
    assert_eq!(me.status, 200);
    // Claiming another address does not help: without --trusted-proxy the header is
    // ignored, so this is the sender's own address and browser.
    fetch(
        &server,
        &ada.pixel(&id),
        Fetcher::Browser,
        Some("203.0.113.40"),
    )
    .await;
    let events = events_as_extension(&server, &ada.token, &id, 1, "198.51.100.7").await;
    assert_eq!(
        classes(&events)[0],
        ("open".into(), "sender".into(), false),
        "{events:#?}"
    );
}

async fn one_user_never_sees_anothers_messages(server: TestServer) {
    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let sam_token = server
        .provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER)
        .await;
    let sam = Sender::signed_in(&server, &sam_token).await;
    let id = new_message_id();
    assert_eq!(
        ada.record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[], HOUR)
            .await
            .status,
        201
    );
    fetch(&server, &ada.pixel(&id), Fetcher::Browser, None).await;
    events_when(&server, &ada.token, &id, 1).await;

    for path in [
        format!("/api/v1/messages/{id}"),
        format!("/api/v1/messages/{id}/events?all=true"),
    ] {
        let reply = server.get(&path, &sam.token).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        assert_eq!(reply.code(), "message_not_found");
    }
    let list = server.get("/api/v1/messages", &sam.token).await;
    assert_eq!(list.body["total"], 0, "{}", list.text);
    // Sam cannot take Ada's message id either.
    let taken = sam
        .record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[], HOUR)
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert_eq!(taken.code(), "message_id_taken");
    // Bad records are 400s naming what is wrong.
    for (body, fragment) in [
        (
            serde_json::json!({"id": "nope", "to": ["a@b.example"], "subject": "s", "sent_at": "2026-01-01T00:00:00Z"}),
            "id",
        ),
        (
            serde_json::json!({"id": new_message_id(), "to": [], "subject": "s", "sent_at": "2026-01-01T00:00:00Z"}),
            "to",
        ),
        (
            serde_json::json!({"id": new_message_id(), "to": ["not an address"], "subject": "s", "sent_at": "2026-01-01T00:00:00Z"}),
            "email address",
        ),
        (
            serde_json::json!({"id": new_message_id(), "to": ["a@b.example"], "subject": "s", "sent_at": "yesterday"}),
            "sent_at",
        ),
        (
            serde_json::json!({"id": new_message_id(), "to": ["a@b.example"], "subject": "s", "sent_at": "2026-01-01T00:00:00Z",
            "links": [{"index": 0, "destination": "javascript:alert(1)"}]}),
            "link 0",
        ),
    ] {
        let reply = server.post("/api/v1/messages", &sam.token, body).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(reply.text.contains(fragment), "{fragment}: {}", reply.text);
    }
    let paged = server.get("/api/v1/messages?page=0", &ada.token).await;
    assert_eq!(paged.status, 400);
}

/// Newer classifier data is loaded from `--classifier-data` without a release: a folder with
/// the repository's files plus one more signature, and the server classifies by it.
async fn newer_classifier_data_is_used(backend: Backend) {
    let data = std::env::temp_dir().join(format!("salespane-classifier-{}", new_message_id()));
    std::fs::create_dir_all(&data).unwrap();
    let repo_data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tracking/data");
    std::fs::copy(
        repo_data.join("ip_ranges.json"),
        data.join("ip_ranges.json"),
    )
    .unwrap();
    let mut agents: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_data.join("user_agents.json")).unwrap())
            .unwrap();
    agents["signatures"].as_array_mut().unwrap().insert(0, serde_json::json!({
        "reason": "ua_acme_link_checker",
        "class": "security_scanner",
        "contains": ["AcmeLinkChecker/"],
        "sources": [{"url": "https://acme.example/link-checker", "note": "a test gateway", "checked": "2026-11-29"}]
    }));
    std::fs::write(data.join("user_agents.json"), agents.to_string()).unwrap();
    let data_arg = data.to_string_lossy().to_string();
    let server = TestServer::start_with(backend, &["--classifier-data", &data_arg]).await;

    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let id = new_message_id();
    assert_eq!(
        ada.record(&server, &id, &[seed::LEAD_JANE_EMAIL], &[], HOUR)
            .await
            .status,
        201
    );
    let reply = common::read(
        server
            .http
            .get(ada.pixel(&id))
            .header(
                "user-agent",
                "Mozilla/5.0 (compatible; AcmeLinkChecker/2.1)",
            )
            .header("accept", "image/*")
            .header("accept-language", "en"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let events = events_when(&server, &ada.token, &id, 1).await;
    assert_eq!(events[0]["class"], "security_scanner", "{events:#?}");
    assert_eq!(
        events[0]["reasons"][0], "ua_acme_link_checker",
        "{events:#?}"
    );
    let _ = std::fs::remove_dir_all(&data);

    // Data that does not load stops the start, saying what to do.
    let dir = std::env::temp_dir().join(format!("salespane-bad-{}", new_message_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_salespane-server"))
        .args([
            "--classifier-data",
            "/nonexistent/salespane-data",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--database")
        .arg(format!("sqlite://{}/x.db", dir.display()))
        .arg("--data-dir")
        .arg(&dir)
        .env(
            "SALESPANE_SECRET_KEY",
            "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=",
        )
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--classifier-data"), "{stderr}");
}

mod classifier_data {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_newer_classifier_data_is_used() {
        super::newer_classifier_data_is_used(super::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_newer_classifier_data_is_used() {
        super::newer_classifier_data_is_used(super::Backend::Postgres).await
    }
}
