//! `cargo xtask bench --only tracking`: the tracking crate's figures and a short fuzz run.
//!
//! - rewrite throughput, native, release, on a 100 KB and a 10 MB mail (DESIGN §7: >= 100 MB/s),
//!   and the classifier's precision and recall of `counted` on its labelled corpus (>= 0.95),
//!   both printed by `tracking/examples/bench.rs`;
//! - a short `cargo fuzz` run of each target in `tracking/fuzz/` (libFuzzer needs nightly: the
//!   nightly toolchain when rustup has one, else stable with `RUSTC_BOOTSTRAP=1`). cargo-fuzz is
//!   installed when missing.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// Seconds each fuzz target runs for.
const FUZZ_SECONDS: u32 = 20;
const FUZZ_TARGETS: [&str; 2] = ["rewrite", "link_parse"];

pub fn run(root: &Path) -> Result<()> {
    crate::test::cargo(
        root,
        &[
            "run",
            "-q",
            "--release",
            "-p",
            "salespane-tracking",
            "--example",
            "bench",
            "--",
            "rewrite",
            "classifier",
        ],
        &[],
    )?;
    fuzz(root)
}

fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("nightly"))
}

fn ensure_cargo_fuzz(root: &Path) -> Result<()> {
    let installed = Command::new(crate::setup::cargo())
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !installed {
        println!("  installing cargo-fuzz (`cargo install cargo-fuzz`)");
        crate::test::cargo(root, &["install", "cargo-fuzz"], &[])
            .context("installing cargo-fuzz")?;
    }
    Ok(())
}

fn fuzz(root: &Path) -> Result<()> {
    ensure_cargo_fuzz(root)?;
    let nightly = has_nightly();
    let crate_dir = root.join("tracking");
    let max_time = format!("-max_total_time={FUZZ_SECONDS}");
    for target in FUZZ_TARGETS {
        println!("  fuzzing `{target}` for {FUZZ_SECONDS} s");
        let mut command = if nightly {
            let mut rustup = Command::new("rustup");
            rustup.args(["run", "nightly", "cargo"]);
            rustup
        } else {
            // cargo-fuzz passes nightly-only sanitizer flags; stable accepts them this way.
            let mut cargo = Command::new(crate::setup::cargo());
            cargo.env("RUSTC_BOOTSTRAP", "1");
            cargo
        };
        let status = command
            .args(["fuzz", "run", target, "--", &max_time])
            .env_remove("CARGO_TARGET_DIR")
            .current_dir(&crate_dir)
            .status()
            .context("starting cargo fuzz")?;
        if !status.success() {
            bail!("fuzz target `{target}` failed ({status}): the crash input is in tracking/fuzz/artifacts/{target}/");
        }
        println!("  fuzz target `{target}`: no crash in {FUZZ_SECONDS} s");
    }
    Ok(())
}
