//! A crash between answering hits and writing them to the database loses nothing: the
//! server runs with its writer paused (hits are answered and written ahead only), is killed
//! with SIGKILL, and after a restart every answered hit is in the database, once.

mod common;
mod tracking_support;

use common::{Backend, TestServer};
use salespane_sandbox::seed;
use std::time::Duration;
use tracking_support::{events_when, fetch, new_message_id, Fetcher, Sender};

const OPENS: usize = 40;
const CLICKS: usize = 20;

async fn run(backend: Backend) {
    let mut server = TestServer::start_with(backend, &["--tracking-pause-writer"]).await;
    let ada = Sender::signed_in(&server, &server.token_for(seed::ACME_ADMIN).await).await;
    let id = new_message_id();
    let offer = "https://northwind.example/offer";
    let recorded = ada
        .record(
            &server,
            &id,
            &[seed::LEAD_JANE_EMAIL],
            &[offer],
            Duration::from_secs(3600),
        )
        .await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);

    // Hits from many readers at once, every one answered.
    let mut answered = Vec::new();
    for i in 0..OPENS + CLICKS {
        let url = if i < OPENS {
            ada.pixel(&id)
        } else {
            ada.click(&id, 0, offer)
        };
        let server = &server;
        answered.push(async move { fetch(server, &url, Fetcher::Browser, None).await.status });
    }
    let statuses = futures::future::join_all(answered).await;
    assert_eq!(statuses.iter().filter(|s| s.as_u16() == 200).count(), OPENS);
    assert_eq!(
        statuses.iter().filter(|s| s.as_u16() == 302).count(),
        CLICKS
    );

    // Nothing reached the database: the writer is paused.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &ada.token,
        )
        .await;
    assert_eq!(
        before.body["events"].as_array().map(Vec::len),
        Some(0),
        "{}",
        before.text
    );

    server.kill_now();
    server.restart(&[]).await;

    let events = events_when(&server, &ada.token, &id, OPENS + CLICKS).await;
    // Give a duplicate replay the chance to show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &ada.token,
        )
        .await;
    let events_after = again.body["events"].as_array().unwrap();
    assert_eq!(
        events_after.len(),
        OPENS + CLICKS,
        "every answered hit, once"
    );
    assert_eq!(events.iter().filter(|e| e["kind"] == "open").count(), OPENS);
    assert_eq!(
        events.iter().filter(|e| e["kind"] == "click").count(),
        CLICKS
    );

    // A graceful restart after that replays nothing twice.
    server.restart(&[]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = server
        .get(
            &format!("/api/v1/messages/{id}/events?all=true"),
            &ada.token,
        )
        .await;
    assert_eq!(
        settled.body["events"].as_array().unwrap().len(),
        OPENS + CLICKS
    );
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hits_answered_before_a_kill_are_all_stored_after_restart() {
        super::run(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hits_answered_before_a_kill_are_all_stored_after_restart() {
        super::run(super::Backend::Postgres).await
    }
}
