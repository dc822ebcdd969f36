//! Where the harness finds what `cargo xtask test` built: never guessed, never skipped.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

const HOW_TO: &str = "run `cargo xtask test` (or set SALESPANE_DIST to the folder holding the \
                      built `chrome/` and `firefox/` extensions, e.g. `cargo xtask dist` then \
                      SALESPANE_DIST=$PWD/dist, and SALESPANE_SERVER_BIN to a built \
                      `salespane-server`)";

/// The repository's root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `tests/fixtures/`: one folder per host name.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests").join("fixtures")
}

/// Where screenshots go: `target/screenshots/` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("screenshots")
}

/// The built extension for one browser: `$SALESPANE_DIST/<browser>/manifest.json` must exist.
pub fn extension_dir(browser_folder: &str) -> Result<PathBuf> {
    let dist = std::env::var_os("SALESPANE_DIST")
        .map(PathBuf::from)
        .ok_or_else(|| Error::Setup(format!("SALESPANE_DIST is not set: {HOW_TO}")))?;
    let dir = dist.join(browser_folder);
    if !dir.join("manifest.json").is_file() {
        return Err(Error::Setup(format!(
            "{} has no manifest.json: {HOW_TO}",
            dir.display()
        )));
    }
    Ok(dir)
}

/// The `salespane-server` binary named by `SALESPANE_SERVER_BIN`.
pub fn server_bin() -> Result<PathBuf> {
    let bin = std::env::var_os("SALESPANE_SERVER_BIN")
        .map(PathBuf::from)
        .ok_or_else(|| Error::Setup(format!("SALESPANE_SERVER_BIN is not set: {HOW_TO}")))?;
    if !bin.is_file() {
        return Err(Error::Setup(format!(
            "SALESPANE_SERVER_BIN={} is not a file: {HOW_TO}",
            bin.display()
        )));
    }
    Ok(bin)
}

/// Finds a program on PATH, or in cargo's bin folder (where `cargo install` puts geckodriver).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        dirs.push(home.join("bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|candidate| candidate.is_file())
}
