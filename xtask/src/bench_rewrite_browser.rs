//! `cargo xtask bench --only rewrite-browser`: the tracking rewrite in the browser, the
//! background's WASM against a DOMParser-based JavaScript rewrite of the same mail (DESIGN §7:
//! the WASM rewrite must be faster than a DOMParser-based one).
//!
//! - builds `tracking/wasm-bench` (`salespane_tracking::rewrite` exported as is) for wasm32
//!   with the extension's `wasm-release` profile, then wasm-bindgen and, when npm's binaryen
//!   is installed, `wasm-opt -Oz`, as `cargo xtask dist` does for the background;
//! - serves the page `bench_rewrite_browser.html`, the module and the 100 KB and 1 MB bench
//!   mails (`tracking/examples/bench_mail_block.html` repeated, as the native bench does) on
//!   loopback, over plain HTTP (a loopback origin is a secure context, so WebCrypto works);
//! - opens the page in headless Debian Chromium, which posts its timings back;
//! - prints median ms and MB/s of each, and the ratios.
//!
//! The JavaScript rewrite is measured twice: with WebCrypto HMAC-SHA256 (all links of a mail
//! signed concurrently, as a JS implementation would), and with a fixed signature, which leaves
//! out WebCrypto's async cost and so is the fastest any DOMParser rewrite can be.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const PAGE: &str = include_str!("bench_rewrite_browser.html");
const CRATE: &str = "salespane-tracking-wasm-bench";
const OUT_NAME: &str = "rewrite_bench";
/// The page needs well under a minute; a loaded machine gets much more.
const RESULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Largest request the server reads (the page's result is a few KB).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub fn run(root: &Path) -> Result<()> {
    let module = build_module(root)?;
    let mails = [
        ("100k", mail_of(root, 100 * 1024)?),
        ("1m", mail_of(root, 1024 * 1024)?),
    ];
    let files = Arc::new(Files {
        js: std::fs::read(module.join(format!("{OUT_NAME}.js")))
            .context("reading the wasm-bindgen glue")?,
        wasm: std::fs::read(module.join(format!("{OUT_NAME}_bg.wasm")))
            .context("reading the bench module")?,
        mails: mails.map(|(name, html)| (name, html.into_bytes())),
    });
    let (port, results) = serve(files)?;
    let profile = std::env::temp_dir().join(format!("salespane-rewrite-bench-{}", port));
    let mut chromium = launch_chromium(&profile, &format!("http://127.0.0.1:{port}/"))?;
    let result = results.recv_timeout(RESULT_TIMEOUT);
    // Our own child, by its handle.
    let _ = chromium.kill();
    let _ = chromium.wait();
    let _ = std::fs::remove_dir_all(&profile);
    let report: Value = match result {
        Ok(body) => serde_json::from_slice(&body).context("the page's result is not JSON")?,
        Err(_) => bail!(
            "the benchmark page posted no result within {} s; open it in Chromium to see its console",
            RESULT_TIMEOUT.as_secs()
        ),
    };
    print_report(&report)
}

/// Builds the module and returns the folder holding `rewrite_bench.js` and its `_bg.wasm`.
fn build_module(root: &Path) -> Result<PathBuf> {
    let target = crate::dist::WASM_TARGET;
    crate::test::cargo(
        root,
        &[
            "build",
            "-q",
            "-p",
            CRATE,
            "--lib",
            "--target",
            target,
            "--profile",
            "wasm-release",
        ],
        &[],
    )?;
    let raw = root
        .join("target")
        .join(target)
        .join("wasm-release")
        .join(format!("{}.wasm", CRATE.replace('-', "_")));
    let out = root.join("target").join("rewrite-bench");
    let status = Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-name", OUT_NAME])
        .arg("--out-dir")
        .arg(&out)
        .arg(&raw)
        .status()
        .context("starting wasm-bindgen (cargo xtask setup installs it)")?;
    if !status.success() {
        bail!("wasm-bindgen failed on {} ({status})", raw.display());
    }
    let wasm_opt = root.join("node_modules/.bin/wasm-opt");
    let wasm = out.join(format!("{OUT_NAME}_bg.wasm"));
    if wasm_opt.exists() {
        let status = Command::new(&wasm_opt)
            .arg("-Oz")
            .args(crate::dist::WASM_OPT_FEATURES)
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm)
            .status()
            .context("starting wasm-opt")?;
        if !status.success() {
            bail!("wasm-opt failed on {} ({status})", wasm.display());
        }
    } else {
        println!("  (no node_modules/.bin/wasm-opt: measuring the module without wasm-opt; `npm ci` installs it)");
    }
    Ok(out)
}

/// The native bench's mail: its block repeated past `size`, in `<html><body>`.
fn mail_of(root: &Path, size: usize) -> Result<String> {
    let path = root.join("tracking/examples/bench_mail_block.html");
    let block =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut html = String::with_capacity(size + block.len() + 32);
    html.push_str("<html><body>");
    while html.len() < size {
        html.push_str(&block);
    }
    html.push_str("</body></html>");
    Ok(html)
}

struct Files {
    js: Vec<u8>,
    wasm: Vec<u8>,
    mails: [(&'static str, Vec<u8>); 2],
}

/// Serves the page and its files on a free loopback port; the page's posted result arrives on
/// the channel.
fn serve(files: Arc<Files>) -> Result<(u16, mpsc::Receiver<Vec<u8>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    let port = listener.local_addr()?.port();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = Arc::clone(&files);
            let sender = sender.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, &files, &sender);
            });
        }
    });
    Ok((port, receiver))
}

/// One request per connection (`Connection: close`).
fn answer(stream: TcpStream, files: &Files, results: &mpsc::Sender<Vec<u8>>) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mail = |name: &str| files.mails.iter().find(|(n, _)| *n == name).map(|(_, m)| m);
    let (status, content_type, body): (&str, &str, &[u8]) = match (method, path) {
        ("GET", "/") => ("200 OK", "text/html; charset=utf-8", PAGE.as_bytes()),
        ("GET", p) if p == format!("/pkg/{OUT_NAME}.js") => {
            ("200 OK", "text/javascript", &files.js)
        }
        ("GET", p) if p == format!("/pkg/{OUT_NAME}_bg.wasm") => {
            ("200 OK", "application/wasm", &files.wasm)
        }
        ("GET", p) if p.starts_with("/mail/") && mail(&p["/mail/".len()..]).is_some() => (
            "200 OK",
            "text/html; charset=utf-8",
            mail(&p["/mail/".len()..]).map(Vec::as_slice).unwrap_or(&[]),
        ),
        ("POST", "/result") if content_length <= MAX_REQUEST_BYTES => {
            let mut body = vec![0; content_length];
            reader.read_exact(&mut body)?;
            let _ = results.send(body);
            ("204 No Content", "text/plain", &[])
        }
        _ => ("404 Not Found", "text/plain", b"not found"),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    Ok(())
}

/// Headless Chromium with the flags the e2e suite uses, on a fresh profile.
fn launch_chromium(profile: &Path, url: &str) -> Result<Child> {
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: `cargo xtask setup` installs Debian's chromium");
    }
    Command::new(CHROMIUM)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting headless Chromium")
}

fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn samples(entry: &Value, key: &str) -> Vec<f64> {
    entry[key]
        .as_array()
        .map(|xs| xs.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn print_report(report: &Value) -> Result<()> {
    if let Some(error) = report["error"].as_str() {
        bail!("the benchmark page failed: {error}");
    }
    println!(
        "  browser: {}",
        report["userAgent"].as_str().unwrap_or("unknown")
    );
    let mails = report["mails"].as_array().cloned().unwrap_or_default();
    for entry in &mails {
        let bytes = entry["bytes"].as_f64().unwrap_or(0.0);
        let name = entry["name"].as_str().unwrap_or("?");
        let label = if name == "1m" { "1 MB" } else { "100 KB" };
        println!(
            "  rewrite in the browser, {label} mail ({bytes} bytes; links tracked: WASM {}, JS {}), median of {} runs:",
            entry["wasmLinks"], entry["jsLinks"], entry["runs"]
        );
        // Timings of rewrites that track different links would compare different work.
        if entry["wasmLinks"] != entry["jsLinks"] || entry["wasmLinks"].as_u64() == Some(0) {
            bail!(
                "the WASM and JS rewrites tracked {} and {} links of the {label} mail: the JS rewrite no longer does the same job",
                entry["wasmLinks"],
                entry["jsLinks"]
            );
        }
        let mut medians = Vec::new();
        for (key, what) in [
            ("wasm", "WASM (salespane_tracking::rewrite)"),
            ("jsWebCrypto", "JS DOMParser + WebCrypto HMAC"),
            ("jsPrecomputed", "JS DOMParser, HMAC left out"),
        ] {
            let Some(ms) = median(&samples(entry, key)) else {
                bail!("no `{key}` timings for the {label} mail");
            };
            println!(
                "    {what:<36} {ms:>9.1} ms {:>7.1} MB/s",
                bytes / 1e6 / (ms / 1e3)
            );
            medians.push(ms);
        }
        println!(
            "    WASM is {:.1}x as fast as DOMParser + WebCrypto, {:.1}x as fast as DOMParser with HMAC left out (budget: > 1x)",
            medians[1] / medians[0],
            medians[2] / medians[0]
        );
    }
    if mails.is_empty() {
        bail!("the benchmark page measured no mail");
    }
    Ok(())
}
