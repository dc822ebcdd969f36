//! `POST /api/v1/messages/send` through a real SMTP server (aiosmtpd on loopback): the
//! delivered MIME is parsed, it comes from the sender with their signature, its pixel and
//! links are tracked and signed; recipients and scanners then open and click it, and the
//! classified events are read back. Mail to oneself and track=false go out untracked.

mod common;
mod tracking_support;

use common::{Backend, TestServer};
use mailparse::MailHeaderMap;
use salespane_sandbox::seed;
use serde_json::json;
use std::time::Duration;
use tracking_support::{attribute_values, events_when, fetch, Fetcher, SmtpServer};

async fn run(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let server = TestServer::start_with(backend, &["--smtp-url", &smtp.url()]).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    let signature =
        "<p>Ada Admin, Acme<br><a href=\"https://acme.example/about\">acme.example</a></p>";
    let saved = server
        .put(
            "/api/v1/me/profile",
            &token,
            json!({"signature": signature}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);

    let offer = "https://northwind.example/offer?id=7&ref=mail";
    let html = format!(
        "<p>Hello Jane,</p><p>Our <a href=\"{}\">offer</a>. Call <a href=\"tel:+15550100\">us</a> or <a href=\"mailto:ada.admin@acme.example\">write</a>.</p>",
        offer.replace('&', "&amp;")
    );
    let sent = server
        .post(
            "/api/v1/messages/send",
            &token,
            json!({"to": [seed::LEAD_JANE_EMAIL], "cc": [seed::CONTACT_MARIA_EMAIL], "subject": "Our offer", "html": html, "track": true}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let id = sent.body["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("msg_"), "{id}");
    assert_eq!(sent.body["source"], "server");
    assert_eq!(sent.body["tracked"], true);
    assert_eq!(sent.body["links"][0]["destination"], offer);
    assert_eq!(
        sent.body["links"][1]["destination"], "https://acme.example/about",
        "the signature's link too"
    );

    let delivered = smtp.delivered(1).await;
    let mail = mailparse::parse_mail(&delivered[0]).expect("MIME parses");
    let from = mail.headers.get_first_value("From").expect("From");
    assert!(from.contains("ada.admin@acme.example"), "{from}");
    assert!(from.contains("Ada"), "sent with the user's name: {from}");
    assert!(mail
        .headers
        .get_first_value("To")
        .unwrap()
        .contains(seed::LEAD_JANE_EMAIL));
    assert!(mail
        .headers
        .get_first_value("Cc")
        .unwrap()
        .contains(seed::CONTACT_MARIA_EMAIL));
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        "Our offer"
    );
    let body = mail.get_body().expect("body decodes");
    assert!(
        body.contains("Ada Admin, Acme"),
        "the signature is appended: {body}"
    );
    let hrefs = attribute_values(&body, "href");
    assert_eq!(hrefs.len(), 4, "{hrefs:?}");
    let tracked_prefix = format!("{}/t/c/{id}/", server.base);
    assert!(hrefs[0].starts_with(&tracked_prefix), "{hrefs:?}");
    assert_eq!(hrefs[1], "tel:+15550100", "tel: stays");
    assert_eq!(hrefs[2], "mailto:ada.admin@acme.example", "mailto: stays");
    assert!(hrefs[3].starts_with(&tracked_prefix), "{hrefs:?}");
    let pixel = attribute_values(&body, "src")
        .into_iter()
        .find(|s| s.starts_with(&format!("{}/t/o/{id}.gif", server.base)))
        .expect("the pixel is in the delivered body");

    // A gateway probes the link before the reader; the reader's client shows the image
    // through Google's proxy; the reader clicks.
    let probe = fetch(&server, &hrefs[0], Fetcher::Scanner, None).await;
    assert_eq!(probe.status, 302);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        fetch(&server, &pixel, Fetcher::GoogleImageProxy, None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    let click = fetch(&server, &hrefs[0], Fetcher::Browser, None).await;
    assert_eq!(click.status, 302);
    let events = events_when(&server, &token, &id, 3).await;
    let classes: Vec<&str> = events
        .iter()
        .map(|e| e["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes[0], "security_scanner", "{events:#?}");
    assert_eq!(events[0]["counted"], false);
    assert_eq!(classes[1], "image_proxy", "{events:#?}");
    assert_eq!(events[1]["counted"], true);
    assert_eq!(events[2]["kind"], "click");
    assert_eq!(events[2]["link"], 0);

    // Mail to oneself, and track=false, go out as written.
    for (to, track) in [(seed::ACME_ADMIN, true), (seed::LEAD_JANE_EMAIL, false)] {
        let plain = server
            .post("/api/v1/messages/send", &token, json!({"to": [to], "subject": "Note", "html": "<p>See <a href=\"https://northwind.example/\">this</a></p>", "track": track}))
            .await;
        assert_eq!(plain.status, 201, "{}", plain.text);
        assert_eq!(plain.body["tracked"], false);
        assert_eq!(plain.body["links"], json!([]));
    }
    let delivered = smtp.delivered(3).await;
    for raw in &delivered[1..] {
        let body = mailparse::parse_mail(raw).unwrap().get_body().unwrap();
        assert!(!body.contains("/t/"), "untracked: {body}");
        assert!(
            body.contains("href=\"https://northwind.example/\""),
            "{body}"
        );
    }

    // Bad input and no relay.
    let bad = server
        .post(
            "/api/v1/messages/send",
            &token,
            json!({"to": ["nobody"], "subject": "x", "html": "x"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let list = server.get("/api/v1/messages", &token).await;
    assert_eq!(list.body["total"], 3);
}

async fn without_relay(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.token_for(seed::ACME_ADMIN).await;
    let reply = server
        .post(
            "/api/v1/messages/send",
            &token,
            json!({"to": [seed::LEAD_JANE_EMAIL], "subject": "x", "html": "<p>x</p>"}),
        )
        .await;
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.code(), "smtp_not_configured");
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_tracked_mail_as_the_user_through_a_real_relay() {
        super::run(super::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sending_without_a_relay_says_what_to_configure() {
        super::without_relay(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_tracked_mail_as_the_user_through_a_real_relay() {
        super::run(super::Backend::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sending_without_a_relay_says_what_to_configure() {
        super::without_relay(super::Backend::Postgres).await
    }
}
