//! `cargo xtask demo`: sets up what the demo needs, builds the extension (release) and the
//! server, prints how to load the extension, and runs the server with its Salesforce sandbox
//! and a SQLite database under `.salespane/` in the foreground (Ctrl+C stops it).

use crate::setup;
use anyhow::{bail, Context, Result};
use std::process::Command;

const LISTEN: &str = "127.0.0.1:8787";

pub fn run(args: &[String]) -> Result<()> {
    let skip_setup = match args {
        [] => false,
        [flag] if flag == "--skip-setup" => true,
        _ => bail!("usage: cargo xtask demo [--skip-setup]"),
    };
    if !skip_setup {
        setup::ensure(setup::Needs {
            wasm: true,
            npm: true,
            browsers: false,
            postgres: false,
            python: false,
        })?;
    }
    let root = setup::repo_root();
    println!("\n==> building the extension (release)");
    crate::dist::build(true)?;
    println!("\n==> building the server");
    crate::test::cargo(&root, &["build", "-p", "salespane-server"], &[])?;
    let data = root.join(".salespane");
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let database = format!("sqlite://{}", data.join("demo.db").display());
    let chrome = root.join("dist").join("chrome");
    let firefox = root.join("dist").join("firefox").join("manifest.json");
    println!(
        "\n==> load the extension\n  \
         Chrome:  chrome://extensions -> Developer mode -> Load unpacked -> {}\n  \
         Firefox: about:debugging#/runtime/this-firefox -> Load Temporary Add-on -> {}\n\n\
         ==> starting salespane-server --sandbox on http://{LISTEN} (database {database}); \
         Ctrl+C stops it\n",
        chrome.display(),
        firefox.display()
    );
    // Ctrl+C reaches the server too (same process group): wait for it to shut down cleanly
    // instead of leaving it behind.
    ctrlc::set_handler(|| {}).context("installing the Ctrl+C handler")?;
    let server = crate::test::server_bin(&root);
    let status = Command::new(&server)
        .args(["--sandbox", "--listen", LISTEN, "--database", &database])
        .current_dir(&root)
        .status()
        .with_context(|| format!("starting {}", server.display()))?;
    // Interrupted by Ctrl+C (SIGINT, 130) or stopped normally: both are a clean end.
    if status.success() || status.code() == Some(130) || status.code().is_none() {
        println!("\nsalespane-server stopped");
        return Ok(());
    }
    bail!("salespane-server exited with {status}")
}
