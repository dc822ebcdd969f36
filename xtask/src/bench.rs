//! `cargo xtask bench`: the measurements behind the budgets of DESIGN.md §7, printed (never
//! asserted).
//!
//! - `sizes`: the background WASM and the UI WASM (raw and gzip) and the content script, from
//!   `dist/chrome`.
//! - `browser`: service worker cold start and compose-marking latency in headless Chromium
//!   (the `salespane-bench` binary of `tests/e2e`).
//! - `server`: requests/s and p99 of the server's authenticated read and user import, on
//!   SQLite and PostgreSQL (see [`server`]).
//! - `tracking`: rewrite throughput, classifier precision/recall and a short fuzz run
//!   (see [`crate::bench_tracking`]).
//! - `rewrite-browser`: the tracking rewrite in headless Chromium, the background's WASM
//!   against a DOMParser-based JavaScript rewrite (see [`crate::bench_rewrite_browser`]).
//!
//! - `hits`: tracking hits recorded per second and p99 against nginx (see
//!   [`crate::bench_hits`]).
//!
//! Options: `--skip-setup`, `--only <sizes|browser|server|tracking|rewrite-browser|hits>`
//! (repeatable).

use crate::dist::gzip_len;
use crate::setup;
use anyhow::{bail, Context, Result};
use std::path::Path;

const PARTS: [&str; 6] = [
    "sizes",
    "browser",
    "server",
    "tracking",
    "rewrite-browser",
    "hits",
];

pub fn run(args: &[String]) -> Result<()> {
    let mut skip_setup = false;
    let mut only: Vec<String> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--skip-setup" => skip_setup = true,
            "--only" => match iter.next() {
                Some(part) if PARTS.contains(&part.as_str()) => only.push(part.clone()),
                _ => bail!("--only needs one of {}", PARTS.join(", ")),
            },
            other => bail!(
                "unknown option `{other}`; usage: cargo xtask bench [--skip-setup] [--only {}]",
                PARTS.join("|")
            ),
        }
    }
    let wanted = |part: &str| only.is_empty() || only.iter().any(|p| p == part);
    if !skip_setup {
        setup::ensure(setup::Needs {
            wasm: wanted("sizes") || wanted("browser") || wanted("rewrite-browser"),
            npm: wanted("sizes") || wanted("browser") || wanted("rewrite-browser"),
            browsers: wanted("browser") || wanted("rewrite-browser"),
            postgres: false,
            python: false,
        })?;
    }
    let root = setup::repo_root();
    if wanted("sizes") || wanted("browser") {
        println!("==> building the extension (release)");
        crate::dist::build(true)?;
    }
    let mut failures = Vec::new();
    if wanted("sizes") {
        println!("\n==> sizes (dist/chrome)");
        if let Err(err) = sizes(&root.join("dist").join("chrome")) {
            println!("  sizes: {err:#}");
            failures.push("sizes");
        }
    }
    if wanted("browser") {
        println!("\n==> browser (headless Chromium)");
        let dist = root.join("dist");
        let result = crate::test::cargo(
            &root,
            &[
                "run",
                "-q",
                "-p",
                "salespane-e2e",
                "--bin",
                "salespane-bench",
                "--",
                "--launches",
                "7",
                "--composes",
                "20",
            ],
            &[("SALESPANE_DIST", &dist.to_string_lossy())],
        );
        if let Err(err) = result {
            println!("  browser: {err:#}");
            failures.push("browser");
        }
    }
    if wanted("server") {
        println!("\n==> server");
        if let Err(err) = server(&root) {
            println!("  server: {err:#}");
            failures.push("server");
        }
    }
    if wanted("tracking") {
        println!("\n==> tracking");
        if let Err(err) = crate::bench_tracking::run(&root) {
            println!("  tracking: {err:#}");
            failures.push("tracking");
        }
    }
    if wanted("rewrite-browser") {
        println!("\n==> tracking rewrite in the browser (headless Chromium)");
        if let Err(err) = crate::bench_rewrite_browser::run(&root) {
            println!("  rewrite-browser: {err:#}");
            failures.push("rewrite-browser");
        }
    }
    if wanted("hits") {
        println!("\n==> tracking hits");
        if let Err(err) = crate::bench_hits::run(&root) {
            println!("  hits: {err:#}");
            failures.push("hits");
        }
    }
    if !failures.is_empty() {
        bail!("could not measure: {}", failures.join(", "));
    }
    Ok(())
}

/// The two core modules' sizes, raw and gzipped, and the content scripts' size (DESIGN §7:
/// background WASM <= 250 KB gzip, content script <= 12 KB). The UI module has no budget: it
/// loads with a page, not at every background start.
fn sizes(extension: &Path) -> Result<()> {
    for module in crate::dist::CORE_MODULES {
        let file = extension.join(module.wasm());
        let bytes = std::fs::read(&file).with_context(|| {
            format!(
                "reading {}: build it with `cargo xtask dist`",
                file.display()
            )
        })?;
        let (label, budget) = if module.name == crate::dist::BACKGROUND_MODULE.name {
            ("background WASM", " (budget: <= 250 KB gzip)")
        } else {
            ("UI WASM", "")
        };
        println!(
            "  {label} ({}): {:.1} KB raw, {:.1} KB gzip{budget}",
            module.wasm(),
            kb(bytes.len()),
            kb(gzip_len(&bytes)?)
        );
    }
    let manifest_path = extension.join("manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )
    .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let scripts: Vec<String> = manifest["content_scripts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["js"].as_array().into_iter().flatten())
        .filter_map(|js| js.as_str().map(str::to_string))
        .collect();
    let mut total = 0usize;
    let mut total_gzip = 0usize;
    for script in &scripts {
        let bytes = std::fs::read(extension.join(script))
            .with_context(|| format!("reading content script {script}"))?;
        total += bytes.len();
        total_gzip += gzip_len(&bytes)?;
    }
    println!(
        "  content script ({}): {:.1} KB raw, {:.1} KB gzip (budget: <= 12 KB)",
        scripts.join(", "),
        kb(total),
        kb(total_gzip)
    );
    Ok(())
}

/// The server's load figures: requests/s and p99 of an authenticated read (token cache warm)
/// and of a user import, on SQLite and PostgreSQL, against a real server process on loopback
/// (`server/tests/bench_me_import.rs`, an ignored test so `cargo test` does not run it).
fn server(root: &Path) -> Result<()> {
    let postgres = crate::setup::ensure_postgres()?;
    crate::test::cargo(
        root,
        &[
            "test",
            "-p",
            "salespane-server",
            "--release",
            "--test",
            "bench_me_import",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ],
        &[("SALESPANE_TEST_POSTGRES_URL", postgres.as_str())],
    )
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}
