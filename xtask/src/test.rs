//! `cargo xtask test`: the project's one test command (CI runs it through `.ci/run`).
//!
//! Stages, each with a heading and a pass/fail line with its time; every stage runs even
//! after another failed (except what needs a failed build), and the command fails if any did:
//!
//! 1. `lint`: rustfmt, clippy (native, all targets) and clippy for wasm32, for the background
//!    module and the UI module alone as well (each is built with only its feature).
//! 2. `unit`: `cargo test` for the workspace but the browser tests, with a real PostgreSQL
//!    (`SALESPANE_TEST_POSTGRES_URL`) for the server's tests.
//! 3. `wasm`: the core's `wasm-bindgen-test` tests in headless Chromium (chromedriver).
//! 4. `dist`: the release build of the extension, then `web-ext lint` on the Firefox build.
//! 5. `e2e`: the server binary, then the end-to-end tests in Chromium and Firefox.
//!
//! Options: `--skip-setup` (do not check or install tools), `--only <stage>` (repeatable).

use crate::setup;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const STAGES: [&str; 5] = ["lint", "unit", "wasm", "dist", "e2e"];

struct Options {
    skip_setup: bool,
    only: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        skip_setup: false,
        only: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--skip-setup" => options.skip_setup = true,
            "--only" => match args.next() {
                Some(stage) if STAGES.contains(&stage.as_str()) => options.only.push(stage.clone()),
                other => bail!(
                    "--only needs one of {}, got {:?}",
                    STAGES.join(", "),
                    other.map(String::as_str).unwrap_or("nothing")
                ),
            },
            other => bail!(
                "unknown option `{other}`; usage: cargo xtask test [--skip-setup] [--only {}]",
                STAGES.join("|")
            ),
        }
    }
    Ok(options)
}

/// One stage's outcome.
struct Outcome {
    stage: &'static str,
    result: Result<()>,
    seconds: f64,
}

pub fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let wanted = |stage: &str| options.only.is_empty() || options.only.iter().any(|s| s == stage);
    let started = Instant::now();
    if !options.skip_setup {
        setup::ensure(setup::Needs {
            wasm: wanted("lint") || wanted("wasm") || wanted("dist") || wanted("e2e"),
            npm: wanted("dist") || wanted("e2e"),
            browsers: wanted("wasm") || wanted("e2e"),
            postgres: wanted("unit"),
            python: wanted("unit"),
        })?;
    }
    let root = setup::repo_root();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut dist_ok = true;
    for stage in STAGES {
        if !wanted(stage) {
            continue;
        }
        println!("\n==> {stage}: {}", describe(stage));
        let stage_started = Instant::now();
        let result = match stage {
            "lint" => lint(&root),
            "unit" => unit(&root),
            "wasm" => wasm_browser_tests(&root),
            "dist" => {
                let result = dist(&root);
                dist_ok = result.is_ok();
                result
            }
            _ if !dist_ok => Err(anyhow::anyhow!(
                "not run: the extension did not build (see the dist stage)"
            )),
            _ => e2e(&root, !wanted("dist")),
        };
        let outcome = Outcome {
            stage,
            result,
            seconds: stage_started.elapsed().as_secs_f64(),
        };
        println!(
            "==> {stage}: {} in {:.0}s",
            if outcome.result.is_ok() {
                "passed"
            } else {
                "FAILED"
            },
            outcome.seconds
        );
        if let Err(err) = &outcome.result {
            println!("    {err:#}");
        }
        outcomes.push(outcome);
    }
    println!(
        "\n==> summary ({:.0}s in all)",
        started.elapsed().as_secs_f64()
    );
    for outcome in &outcomes {
        match &outcome.result {
            Ok(()) => println!("  {:<5} passed  {:>5.0}s", outcome.stage, outcome.seconds),
            Err(err) => println!(
                "  {:<5} FAILED  {:>5.0}s  {}",
                outcome.stage,
                outcome.seconds,
                format!("{err:#}").lines().next().unwrap_or_default()
            ),
        }
    }
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    println!(
        "stages: {} passed, {failed} failed",
        outcomes.len() - failed
    );
    if failed > 0 {
        bail!("{failed} stage(s) failed");
    }
    Ok(())
}

fn describe(stage: &str) -> &'static str {
    match stage {
        "lint" => "rustfmt, clippy (native and wasm32)",
        "unit" => "cargo test (workspace; server on SQLite and PostgreSQL, with scim2-tester and schemathesis)",
        "wasm" => "the core's wasm-bindgen tests in headless Chromium",
        "dist" => "release build of the extension, web-ext lint",
        _ => "end to end in Chromium and Firefox",
    }
}

fn lint(root: &Path) -> Result<()> {
    let mut failures = Vec::new();
    for (name, args) in [
        ("cargo fmt --all --check", vec!["fmt", "--all", "--check"]),
        (
            "cargo clippy --workspace --all-targets",
            vec![
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        (
            "cargo clippy (wasm32: salespane, salespane-api)",
            vec![
                "clippy",
                "-p",
                "salespane",
                "-p",
                "salespane-api",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
        ),
        (
            "cargo clippy (wasm32: salespane, background module only)",
            wasm_clippy_for("background"),
        ),
        (
            "cargo clippy (wasm32: salespane, UI module only)",
            wasm_clippy_for("ui"),
        ),
    ] {
        if let Err(err) = cargo(root, &args, &[]) {
            println!("    {name}: FAILED ({err:#})");
            failures.push(name);
        }
    }
    if !failures.is_empty() {
        bail!("{} failed", failures.join(", "));
    }
    Ok(())
}

/// Clippy on the core for wasm32 with one feature alone, as `cargo xtask dist` builds it.
fn wasm_clippy_for(feature: &'static str) -> Vec<&'static str> {
    vec![
        "clippy",
        "-p",
        "salespane",
        "--all-targets",
        "--target",
        "wasm32-unknown-unknown",
        "--no-default-features",
        "--features",
        feature,
        "--",
        "-D",
        "warnings",
    ]
}

/// `cargo test` of the core for wasm32, run by wasm-bindgen-test-runner in headless Chromium
/// (browser options in the crate's `webdriver.json`), with both features.
fn wasm_browser_tests(root: &Path) -> Result<()> {
    cargo(
        root,
        &[
            "test",
            "-p",
            "salespane",
            "--target",
            "wasm32-unknown-unknown",
        ],
        &[
            (
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            ),
            ("CHROMEDRIVER", "/usr/bin/chromedriver"),
        ],
    )
}

/// The workspace's tests. The server's conformance tests (server/tests/conformance.rs) run
/// scim2-tester and schemathesis from the set-up's virtualenv, given as
/// `SALESPANE_TEST_PYTHON`; they fail here if it is missing rather than skip.
fn unit(root: &Path) -> Result<()> {
    let postgres = setup::ensure_postgres()?;
    let python = setup::test_python();
    if !python.is_file() {
        bail!(
            "{} is missing: run `cargo xtask test --only unit` without --skip-setup (it installs tests/python-requirements.txt there)",
            python.display()
        );
    }
    let envs = [
        ("SALESPANE_TEST_POSTGRES_URL", postgres.as_str()),
        ("SALESPANE_TEST_PYTHON", &python.to_string_lossy()),
        ("SALESPANE_TEST_REQUIRE_PYTHON", "1"),
    ];
    let workspace = cargo(
        root,
        &[
            "test",
            "--workspace",
            "--exclude",
            "salespane-e2e",
            "--no-fail-fast",
        ],
        &envs,
    );
    // The panic test again on the release build, whose panic strategy is the one deployed
    // (root Cargo.toml): a handler panic must answer 500 and leave the server serving.
    let release_panic = cargo(
        root,
        &[
            "test",
            "-p",
            "salespane-server",
            "--release",
            "--test",
            "http_limits",
            "--",
            "panic",
        ],
        &envs,
    );
    // The store build's core (no default server) has tests of its own.
    let store_core = cargo(
        root,
        &["test", "-p", "salespane", "--lib", "--features", "store"],
        &[],
    );
    workspace.and(release_panic).and(store_core)
}

fn dist(root: &Path) -> Result<()> {
    let paths = crate::dist::build(true)?;
    // The unpacked build the tests load, and the store build the zip holds.
    web_ext_lint(root, &paths.firefox)?;
    web_ext_lint(root, &paths.store_firefox)
}

/// `web-ext lint` on a Firefox build; fails on any error (warnings are printed).
pub fn web_ext_lint(root: &Path, source: &Path) -> Result<()> {
    let web_ext = root.join("node_modules").join(".bin").join("web-ext");
    println!("    web-ext lint --source-dir {}", source.display());
    let status = Command::new(&web_ext)
        .arg("lint")
        .arg("--source-dir")
        .arg(source)
        .arg("--no-config-discovery")
        .current_dir(root)
        .status()
        .map_err(|err| {
            anyhow::anyhow!(
                "could not start {} ({err}): run `npm ci` at the repository root",
                web_ext.display()
            )
        })?;
    if !status.success() {
        bail!("web-ext lint found errors in {}", source.display());
    }
    Ok(())
}

fn e2e(root: &Path, build_dist: bool) -> Result<()> {
    let dist = if build_dist {
        crate::dist::build(true)?.dist
    } else {
        root.join("dist")
    };
    let server_built = cargo(root, &["build", "-p", "salespane-server"], &[]);
    let server_bin = server_bin(root);
    let tests = cargo(
        root,
        &[
            "test",
            "-p",
            "salespane-e2e",
            "--no-fail-fast",
            "--",
            "--test-threads=2",
        ],
        &[
            ("SALESPANE_DIST", &dist.to_string_lossy()),
            ("SALESPANE_SERVER_BIN", &server_bin.to_string_lossy()),
        ],
    );
    server_built.map_err(|err| err.context("building salespane-server"))?;
    tests
}

/// `target/debug/salespane-server` of the workspace.
pub fn server_bin(root: &Path) -> PathBuf {
    root.join("target").join("debug").join("salespane-server")
}

/// Runs cargo in the workspace with inherited output, in the workspace's own `target/`.
pub fn cargo(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    println!("    cargo {}", args.join(" "));
    let status = Command::new(setup::cargo())
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("CARGO_TARGET_DIR")
        .current_dir(root)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo: {err}"))?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}
