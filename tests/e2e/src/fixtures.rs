//! The HTTPS fixture server: serves `tests/fixtures/<host>/…` for the hosts' real names, on
//! loopback, with a certificate made at start for those names and each host's kind of CSP
//! (read from `tests/fixtures/<host>/_csp.txt`, where `{{nonce}}` becomes a fresh nonce per
//! response, as it does in the HTML it serves).
//!
//! A path is served from the file of that name, from `index.html` in a folder of that name,
//! or else from the nearest `_shell.html` above it: single-page apps answer every route with
//! the same shell.

use crate::{env, Error, Result};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The host names the fixtures stand in for.
pub const HOSTS: [&str; 4] = [
    "mail.google.com",
    "outlook.office.com",
    "acme.lightning.force.com",
    "acme.my.salesforce.com",
];

pub const GMAIL: &str = HOSTS[0];
pub const OUTLOOK: &str = HOSTS[1];
pub const LIGHTNING: &str = HOSTS[2];
pub const CLASSIC: &str = HOSTS[3];

/// A running fixture server (it lives as long as the test process).
pub struct FixtureServer {
    port: u16,
}

impl FixtureServer {
    /// The server shared by every test of this process, started on first use.
    pub fn shared() -> Result<&'static FixtureServer> {
        static SERVER: OnceLock<std::result::Result<FixtureServer, String>> = OnceLock::new();
        SERVER
            .get_or_init(|| FixtureServer::start(env::fixtures_dir()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| Error::Setup(format!("fixture server: {message}")))
    }

    /// Starts a server for the fixtures in `root` on a free loopback port.
    pub fn start(root: PathBuf) -> Result<FixtureServer> {
        let tls = Arc::new(tls_config()?);
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(Error::io("binding the fixture server to loopback"))?;
        let port = listener
            .local_addr()
            .map_err(Error::io("reading the fixture server's port"))?
            .port();
        let root = Arc::new(root);
        std::thread::Builder::new()
            .name("fixture-server".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let tls = Arc::clone(&tls);
                    let root = Arc::clone(&root);
                    let _ = std::thread::Builder::new()
                        .name("fixture-conn".into())
                        .spawn(move || serve_connection(stream, tls, &root));
                }
            })
            .map_err(Error::io("starting the fixture server thread"))?;
        Ok(FixtureServer { port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://<host>:<port><path>` (content-script match patterns ignore the port).
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port)
    }
}

fn tls_config() -> Result<rustls::ServerConfig> {
    let names: Vec<String> = HOSTS.iter().map(|h| h.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|err| Error::Setup(format!("making the fixture certificate: {err}")))?;
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
        })
        .map_err(|err| Error::Setup(format!("configuring TLS for the fixtures: {err}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// One request per connection (`Connection: close`): simple, and browsers cope.
fn serve_connection(stream: TcpStream, tls: Arc<rustls::ServerConfig>, root: &Path) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let Ok(connection) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(connection, stream);
    let Some(request) = read_request_head(&mut stream) else {
        return;
    };
    let response = respond(root, &request);
    let _ = stream.write_all(&response);
    let _ = stream.flush();
    stream.conn.send_close_notify();
    let _ = stream.conn.complete_io(&mut stream.sock);
}

struct Request {
    method: String,
    path: String,
    host: String,
}

fn read_request_head(stream: &mut impl Read) -> Option<Request> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let host = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| {
            value
                .trim()
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    Some(Request { method, path, host })
}

fn respond(root: &Path, request: &Request) -> Vec<u8> {
    if !HOSTS.contains(&request.host.as_str()) {
        return plain(421, "Misdirected Request", "no fixtures for this host");
    }
    if request.method != "GET" && request.method != "HEAD" {
        return plain(405, "Method Not Allowed", "fixtures are read-only");
    }
    let host_dir = root.join(&request.host);
    let Some(file) = resolve(&host_dir, &request.path) else {
        return plain(404, "Not Found", "no such fixture");
    };
    let Ok(body) = std::fs::read(&file) else {
        return plain(404, "Not Found", "unreadable fixture");
    };
    let content_type = content_type(&file);
    let mut headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("Cache-Control".to_string(), "no-store".to_string()),
    ];
    let body = if content_type.starts_with("text/html") {
        let nonce = fresh_nonce();
        if let Some(csp) = read_csp(&host_dir) {
            headers.push((
                "Content-Security-Policy".to_string(),
                csp.replace("{{nonce}}", &nonce),
            ));
        }
        String::from_utf8_lossy(&body)
            .replace("{{nonce}}", &nonce)
            .into_bytes()
    } else {
        body
    };
    let body = if request.method == "HEAD" {
        Vec::new()
    } else {
        body
    };
    response(200, "OK", &headers, &body)
}

/// The file that answers `path` under `host_dir`, never outside it.
fn resolve(host_dir: &Path, path: &str) -> Option<PathBuf> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| *s == ".." || *s == "." || s.contains('\\') || s.starts_with('_'))
    {
        return None;
    }
    let mut target = host_dir.to_path_buf();
    target.extend(&segments);
    if target.is_file() {
        return Some(target);
    }
    if target.join("index.html").is_file() {
        return Some(target.join("index.html"));
    }
    (0..=segments.len()).rev().find_map(|depth| {
        let mut dir = host_dir.to_path_buf();
        dir.extend(&segments[..depth]);
        let shell = dir.join("_shell.html");
        shell.is_file().then_some(shell)
    })
}

fn read_csp(host_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(host_dir.join("_csp.txt")).ok()?;
    let policy: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    Some(policy.join(" "))
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// A per-response nonce (unpredictable enough for fixtures: the host page's own scripts only).
fn fresh_nonce() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let high = hasher.finish();
    hasher.write_u64(high);
    format!("{high:016x}{:016x}", hasher.finish())
}

fn plain(status: u16, reason: &str, text: &str) -> Vec<u8> {
    let headers = [(
        "Content-Type".to_string(),
        "text/plain; charset=utf-8".to_string(),
    )];
    response(status, reason, &headers, text.as_bytes())
}

fn response(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
