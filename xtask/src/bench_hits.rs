//! Tracking hits under load (DESIGN.md §7: >= 20,000 recorded per second, p99 <= 10 ms at
//! 2,000 per second): the release server (SQLite) answers signed pixel hits, each written
//! ahead durably before its answer, against nginx from Debian's packages serving the same
//! GIF from a file on the same machine, both driven by `wrk` (Debian) on loopback, at full
//! load and paced. The server runs twice: `--hit-fsync batch` (the default: flushed to disk
//! before the answer) and `--hit-fsync off` (left to the operating system). Printed as a table
//! with the ratios, and how long the background writer took to have every hit in the database.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECONDS: u32 = 10;
const CONNECTIONS: u32 = 256;
/// wrk paces each connection with this delay between requests: 20 connections x 100/s.
const PACED_CONNECTIONS: u32 = 20;
const PACED_DELAY_MS: u32 = 10;

pub fn run(root: &Path) -> Result<()> {
    ensure_tools()?;
    println!("==> building the server (release)");
    crate::test::cargo(
        root,
        &["build", "-q", "--release", "-p", "salespane-server"],
        &[],
    )?;
    let dir = std::env::temp_dir().join(format!("salespane-bench-hits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www"))?;
    let result = measure(root, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn ensure_tools() -> Result<()> {
    let mut missing = Vec::new();
    if crate::setup::find_program("nginx").is_none() && !Path::new("/usr/sbin/nginx").exists() {
        missing.push("nginx");
    }
    if crate::setup::find_program("wrk").is_none() {
        missing.push("wrk");
    }
    crate::setup::apt_install(&missing)
}

/// A child process ended when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn measure(root: &Path, dir: &Path) -> Result<()> {
    std::fs::write(
        dir.join("www").join("pixel.gif"),
        salespane_tracking::pixel::GIF,
    )?;
    let (_nginx, nginx_url) = start_nginx(dir)?;
    println!(
        "\n==> tracking hits: {SECONDS} s each, wrk on loopback (signed pixel URL vs the same GIF from nginx)"
    );
    let nginx_max = wrk(&nginx_url, CONNECTIONS, None, dir)?;
    let nginx_paced = wrk(&nginx_url, PACED_CONNECTIONS, Some(PACED_DELAY_MS), dir)?;
    let mut rows = vec![
        ("max", "nginx (static GIF)".to_string(), nginx_max.clone()),
        (
            "paced",
            "nginx (static GIF)".to_string(),
            nginx_paced.clone(),
        ),
    ];
    let mut summary = Vec::new();
    for fsync in ["batch", "off"] {
        let run_dir = dir.join(format!("server-{fsync}"));
        std::fs::create_dir_all(&run_dir)?;
        let (server, base) = start_server(root, &run_dir, fsync)?;
        let pixel = signed_pixel(&base)?;
        let max = wrk(&pixel, CONNECTIONS, None, dir)?;
        let paced = wrk(&pixel, PACED_CONNECTIONS, Some(PACED_DELAY_MS), dir)?;
        let caught_up = writer_catch_up(&run_dir)?;
        drop(server);
        summary.push(format!(
            "  --hit-fsync {fsync}: {:.2} of nginx's rate at full load; p99 at the paced rate {:.2} ms (nginx {:.2} ms); {} hits answered, the writer's backlog was in the database {:.1} s after the last run",
            max.rate / nginx_max.rate.max(1.0),
            paced.p99_ms,
            nginx_paced.p99_ms,
            max.requests + paced.requests,
            caught_up.as_secs_f64()
        ));
        rows.push(("max", format!("salespane, --hit-fsync {fsync}"), max));
        rows.push(("paced", format!("salespane, --hit-fsync {fsync}"), paced));
    }
    println!("  | load | server | rate | p50 | p99 |");
    println!("  | --- | --- | --- | --- | --- |");
    for (load, name, r) in &rows {
        let load = if *load == "max" {
            format!("max, {CONNECTIONS} connections")
        } else {
            format!("paced, {PACED_CONNECTIONS} connections x 1 per {PACED_DELAY_MS} ms")
        };
        println!(
            "  | {load} | {name} | {:.0} req/s | {:.2} ms | {:.2} ms |",
            r.rate, r.p50_ms, r.p99_ms
        );
    }
    for line in summary {
        println!("{line}");
    }
    println!("  budget: >= 20,000 hits/s recorded; p99 <= 10 ms at 2,000/s");
    Ok(())
}

/// Every answered hit is in the write-ahead file; waits until the writer has emptied it.
fn writer_catch_up(dir: &Path) -> Result<Duration> {
    let started = Instant::now();
    let wal = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wal"))
        .context("the server wrote no write-ahead file")?;
    while std::fs::metadata(&wal)?.len() != 0 {
        if started.elapsed() > Duration::from_secs(600) {
            bail!("the tracking writer did not catch up within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(started.elapsed())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_server(root: &Path, dir: &Path, fsync: &str) -> Result<(Running, String)> {
    let binary = root.join("target").join("release").join("salespane-server");
    let mut child = Command::new(&binary)
        .args(["--sandbox", "--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}/bench.db", dir.display()))
        .arg("--data-dir")
        .arg(dir)
        .args(["--hit-fsync", fsync])
        .env(
            "SALESPANE_SECRET_KEY",
            "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI=",
        )
        .env("SALESPANE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("salespane-server listening on ") {
                    break url.trim().to_string();
                }
            }
            _ => bail!("salespane-server exited before listening"),
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok((running, base))
}

/// Signs in as the sandbox's Acme admin, records a sent message and returns its signed
/// pixel URL, as the extension would.
fn signed_pixel(base: &str) -> Result<String> {
    let token: Value = ureq::post(&format!("{base}/sfdc/_sandbox/token"))
        .send_json(json!({"username": "ada.admin@acme.example"}))?
        .into_json()?;
    let token = token["access_token"]
        .as_str()
        .context("sandbox token")?
        .to_string();
    let me: Value = ureq::get(&format!("{base}/api/v1/me"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()?
        .into_json()?;
    let key_id = me["signing_key"]["id"].as_str().context("key id")?;
    let secret = salespane_tracking::link::decode_secret(
        me["signing_key"]["secret"].as_str().context("secret")?,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tracking_base = me["tracking_base_url"].as_str().context("tracking base")?;
    let message_id = salespane_tracking::link::new_message_id(*b"bench-hits-00001");
    ureq::post(&format!("{base}/api/v1/messages"))
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(
            json!({"id": message_id, "to": ["jane.prospect@northwind.example"],
            "subject": "Bench", "sent_at": "2026-01-01T00:00:00Z"}),
        )?;
    Ok(salespane_tracking::link::pixel_url(
        tracking_base,
        &message_id,
        &salespane_tracking::link::LinkKey {
            id: key_id,
            secret: &secret,
        },
    ))
}

fn start_nginx(dir: &Path) -> Result<(Running, String)> {
    let port = free_port()?;
    let conf = format!(
        "worker_processes auto;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/tmp-body;\n  proxy_temp_path {dir}/tmp-proxy;\n\
           fastcgi_temp_path {dir}/tmp-fcgi;\n  uwsgi_temp_path {dir}/tmp-uwsgi;\n  scgi_temp_path {dir}/tmp-scgi;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {dir}/www;\n\
             location / {{ default_type image/gif; add_header Cache-Control \"no-cache, no-store\"; }}\n  }}\n}}\n",
        dir = dir.display()
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let nginx: PathBuf =
        crate::setup::find_program("nginx").unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"));
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", "daemon off; user root;"])
        .stdout(Stdio::null())
        .spawn()
        .context("starting nginx")?;
    let running = Running(child);
    let url = format!("http://127.0.0.1:{port}/pixel.gif");
    let deadline = Instant::now() + Duration::from_secs(10);
    while ureq::get(&url).call().is_err() {
        if Instant::now() > deadline {
            bail!(
                "nginx did not answer on {url}; see {}/nginx-error.log",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((running, url))
}

#[derive(Clone)]
struct WrkResult {
    rate: f64,
    requests: u64,
    p50_ms: f64,
    p99_ms: f64,
}

fn wrk(url: &str, connections: u32, delay_ms: Option<u32>, dir: &Path) -> Result<WrkResult> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{SECONDS}s"),
        "--latency",
    ]);
    if let Some(delay) = delay_ms {
        let script = dir.join("paced.lua");
        std::fs::write(
            &script,
            format!("function delay()\n  return {delay}\nend\n"),
        )?;
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if text.contains("Non-2xx") {
        bail!("some hits were not answered with 200:\n{text}");
    }
    parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Result<WrkResult> {
    let mut result = WrkResult {
        rate: 0.0,
        requests: 0,
        p50_ms: 0.0,
        p99_ms: 0.0,
    };
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(rate)) => result.rate = rate.parse()?,
            (Some("50%"), Some(time)) => result.p50_ms = millis(time)?,
            (Some("99%"), Some(time)) => result.p99_ms = millis(time)?,
            (Some(count), Some("requests")) => result.requests = count.parse()?,
            _ => {}
        }
    }
    if result.rate == 0.0 {
        bail!("no Requests/sec line");
    }
    Ok(result)
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn millis(text: &str) -> Result<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        bail!("unknown duration {text}");
    };
    Ok(number.parse::<f64>()? * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 64 connections\n  Latency Distribution\n     50%  812.00us\n     75%    1.10ms\n     90%    2.00ms\n     99%    9.43ms\n  203456 requests in 10.00s, 40.00MB read\nRequests/sec:  20345.60\nTransfer/sec:      4.00MB\n";
        let r = parse_wrk(text).unwrap();
        assert_eq!(r.requests, 203456);
        assert!((r.p50_ms - 0.812).abs() < 1e-9);
        assert!((r.p99_ms - 9.43).abs() < 1e-9);
        assert!((r.rate - 20345.6).abs() < 1e-9);
    }
}
