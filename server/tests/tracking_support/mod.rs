//! What the tracking tests share: signing links as a sender's extension does (with the key
//! from `GET /api/v1/me`), and fetching them as recipients, proxies and scanners do.

#![allow(dead_code)]

use crate::common::{read, Reply, TestServer};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use salespane_tracking::link::{self, LinkKey};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A sender as their extension knows itself.
pub struct Sender {
    pub token: String,
    pub email: String,
    pub key_id: String,
    pub secret: Vec<u8>,
    pub base: String,
}

impl Sender {
    pub async fn signed_in(server: &TestServer, token: &str) -> Sender {
        let me = server.get("/api/v1/me", token).await;
        assert_eq!(me.status, 200, "{}", me.text);
        let base = me.body["tracking_base_url"]
            .as_str()
            .expect("tracking_base_url");
        assert_eq!(
            base, server.base,
            "the tracking base is the server's public URL"
        );
        Sender {
            token: token.to_string(),
            email: me.body["user"]["email"]
                .as_str()
                .expect("email")
                .to_string(),
            key_id: me.body["signing_key"]["id"]
                .as_str()
                .expect("key id")
                .to_string(),
            secret: link::decode_secret(me.body["signing_key"]["secret"].as_str().expect("secret"))
                .expect("secret decodes"),
            base: base.to_string(),
        }
    }

    fn key(&self) -> LinkKey<'_> {
        LinkKey {
            id: &self.key_id,
            secret: &self.secret,
        }
    }

    pub fn pixel(&self, message_id: &str) -> String {
        link::pixel_url(&self.base, message_id, &self.key())
    }

    pub fn click(&self, message_id: &str, index: u32, destination: &str) -> String {
        link::click_url(&self.base, message_id, index, destination, &self.key())
    }

    /// Records a send the way the extension does, sent `ago` before now.
    pub async fn record(
        &self,
        server: &TestServer,
        message_id: &str,
        to: &[&str],
        links: &[&str],
        ago: Duration,
    ) -> Reply {
        let sent_at = time::OffsetDateTime::now_utc() - ago;
        let links: Vec<Value> = links
            .iter()
            .enumerate()
            .map(|(i, d)| json!({"index": i, "destination": d}))
            .collect();
        server
            .post(
                "/api/v1/messages",
                &self.token,
                json!({
                    "id": message_id,
                    "to": to,
                    "cc": [],
                    "subject": "Pricing for Northwind",
                    "links": links,
                    "sent_at": sent_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
                }),
            )
            .await
    }
}

/// `url` with query parameter `name` set to `value` (percent-encoded).
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("url");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

pub fn new_message_id() -> String {
    let mut random = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
    link::new_message_id(random)
}

/// Who fetches a tracked URL: the request headers they send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetcher {
    /// A person's browser or mail client showing the image or following the link.
    Browser,
    /// Gmail's image proxy fetching the pixel when the reader opens.
    GoogleImageProxy,
    /// A mail security gateway probing a link before delivery (HEAD, a bot agent).
    Scanner,
}

pub const BROWSER_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
pub const GOOGLE_PROXY_UA: &str =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
pub const SCANNER_UA: &str = "python-requests/2.31.0";

fn headers(fetcher: Fetcher, click: bool, client: Option<&str>) -> HeaderMap {
    let mut map = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("header"),
        );
    };
    match fetcher {
        Fetcher::Browser => {
            set("user-agent", BROWSER_UA);
            set("accept-language", "en-US,en;q=0.9");
            if click {
                set(
                    "accept",
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                );
                set("sec-fetch-mode", "navigate");
                set("sec-fetch-site", "cross-site");
                set("sec-fetch-dest", "document");
                set("sec-fetch-user", "?1");
            } else {
                set(
                    "accept",
                    "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
                );
                set("sec-fetch-mode", "no-cors");
                set("sec-fetch-site", "cross-site");
                set("sec-fetch-dest", "image");
            }
        }
        Fetcher::GoogleImageProxy => set("user-agent", GOOGLE_PROXY_UA),
        Fetcher::Scanner => set("user-agent", SCANNER_UA),
    }
    if let Some(client) = client {
        set("x-forwarded-for", client);
    }
    map
}

/// Fetches a tracked URL as `fetcher` (GET, or HEAD for a scanner), optionally claiming a
/// client address in X-Forwarded-For.
pub async fn fetch(
    server: &TestServer,
    url: &str,
    fetcher: Fetcher,
    client: Option<&str>,
) -> Reply {
    let click = url.contains("/t/c/");
    let method = if fetcher == Fetcher::Scanner {
        Method::HEAD
    } else {
        Method::GET
    };
    read(
        server
            .http
            .request(method, url)
            .headers(headers(fetcher, click, client)),
    )
    .await
}

/// Fetches (GET) and returns the raw response (status, headers and bytes).
pub async fn fetch_raw(
    server: &TestServer,
    url: &str,
    fetcher: Fetcher,
    client: Option<&str>,
) -> reqwest::Response {
    let click = url.contains("/t/c/");
    server
        .http
        .get(url)
        .headers(headers(fetcher, click, client))
        .send()
        .await
        .expect("tracking request answered")
}

/// The message's events (all of them), once `count` are there (the writer is asynchronous).
pub async fn events_when(
    server: &TestServer,
    token: &str,
    message_id: &str,
    count: usize,
) -> Vec<Value> {
    events_from(server, token, message_id, count, None).await
}

/// Like [`events_when`], asking as the sender's extension in their browser (its user agent,
/// and the address it claims in X-Forwarded-For), so asking does not move where the
/// sender was last seen.
pub async fn events_as_extension(
    server: &TestServer,
    token: &str,
    message_id: &str,
    count: usize,
    forwarded_for: &str,
) -> Vec<Value> {
    events_from(server, token, message_id, count, Some(forwarded_for)).await
}

async fn events_from(
    server: &TestServer,
    token: &str,
    message_id: &str,
    count: usize,
    extension_at: Option<&str>,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut request = server
            .http
            .get(server.url(&format!("/api/v1/messages/{message_id}/events?all=true")))
            .bearer_auth(token);
        if let Some(address) = extension_at {
            request = request
                .header("user-agent", BROWSER_UA)
                .header("x-forwarded-for", address);
        }
        let reply = read(request).await;
        let events = reply.body["events"].as_array().cloned().unwrap_or_default();
        if reply.status == 200 && events.len() >= count {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} events for {message_id}, have: {} {}",
            reply.status,
            reply.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real SMTP server on loopback (aiosmtpd) delivering into a Maildir.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
    pub maildir: std::path::PathBuf,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("addr").port()
        };
        let maildir = std::env::temp_dir().join(format!("salespane-maildir-{}", new_message_id()));
        let python = std::env::var("SALESPANE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start aiosmtpd with {python} (pip install aiosmtpd==1.4.6): {e}")
            });
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {port} (is it installed? pip install aiosmtpd==1.4.6)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The delivered messages (raw), once there are `count`.
    pub async fn delivered(&self, count: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut found: Vec<(std::time::SystemTime, Vec<u8>)> =
                std::fs::read_dir(self.maildir.join("new"))
                    .map(|dir| {
                        dir.filter_map(|e| e.ok())
                            .filter_map(|e| {
                                let modified = e.metadata().ok()?.modified().ok()?;
                                Some((modified, std::fs::read(e.path()).ok()?))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            if found.len() >= count {
                found.sort_by_key(|(t, _)| *t);
                return found.into_iter().map(|(_, m)| m).collect();
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} delivered messages, have {}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// The `href` values of the HTML's anchors and the `src` of its images, in order (a test's
/// reading of our own output; the rewriter itself uses a real HTML tokenizer).
pub fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!("{attribute}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        values.push(rest[..end].replace("&amp;", "&"));
        rest = &rest[end..];
    }
    values
}
