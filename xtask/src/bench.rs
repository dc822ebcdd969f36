//! `cargo xtask bench`: the measurements behind the budgets of DESIGN.md §7, printed (never
//! asserted).
//!
//! - `sizes`: the background WASM (raw and gzip) and the content script, from `dist/chrome`.
//! - `browser`: service worker cold start and compose-marking latency in headless Chromium
//!   (the `salespane-bench` binary of `tests/e2e`).
//! - `server`: the server's own benchmarks plug in here (see [`server`]).
//!
//! Options: `--skip-setup`, `--only <sizes|browser|server>` (repeatable).

use crate::setup;
use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};

const PARTS: [&str; 3] = ["sizes", "browser", "server"];

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
            wasm: wanted("sizes") || wanted("browser"),
            npm: wanted("sizes") || wanted("browser"),
            browsers: wanted("browser"),
            postgres: false,
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
    if !failures.is_empty() {
        bail!("could not measure: {}", failures.join(", "));
    }
    Ok(())
}

/// WASM size raw and gzipped, and the content scripts' size (DESIGN §7: <= 250 KB gzip,
/// <= 12 KB).
fn sizes(extension: &Path) -> Result<()> {
    let mut wasm_files = Vec::new();
    collect(extension, "wasm", &mut wasm_files)?;
    if wasm_files.is_empty() {
        bail!(
            "no .wasm in {}: build it with `cargo xtask dist`",
            extension.display()
        );
    }
    for file in &wasm_files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        println!(
            "  {}: {:.1} KB raw, {:.1} KB gzip (budget: <= 250 KB gzip)",
            relative(extension, file),
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

/// The server benchmarks (pixel/click hits per second and p99, hot prospects over 1 million
/// events) belong to the server's helper: they plug in here as `cargo bench -p
/// salespane-server` once `server/benches/` exists.
fn server(root: &Path) -> Result<()> {
    if !root.join("server").join("benches").is_dir() {
        println!(
            "  not measured yet: add server/benches/ (run by `cargo bench -p salespane-server`)"
        );
        return Ok(());
    }
    crate::test::cargo(root, &["bench", "-p", "salespane-server"], &[])
}

fn collect(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, extension, found)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some(extension) {
            found.push(path);
        }
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn relative(base: &Path, file: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .display()
        .to_string()
}
