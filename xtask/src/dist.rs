//! `cargo xtask dist`: builds the extension into `dist/chrome/` and `dist/firefox/` (each
//! loadable unpacked) and the store archives `dist/salespane-chrome.zip` and
//! `dist/salespane-firefox.zip`.
//!
//! Steps, once per core module ([`CORE_MODULES`]: the background's and the pages' UI, the same
//! crate with different features): the core for `wasm32-unknown-unknown` → `wasm-bindgen
//! --target web` (the CLI must be exactly the version pinned in Cargo.toml) → npm's `wasm-opt
//! -Oz` (Debian's binaryen is too old). Then `extension/` + the generated glue + one
//! `manifest.json`, adjusted per browser here.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// One WASM module built from the core crate.
#[derive(Debug, Clone, Copy)]
pub struct CoreModule {
    /// The glue's base name: `<name>.js` and `<name>_bg.wasm`, as the extension imports them.
    pub name: &'static str,
    /// The crate feature that selects this module's part of the core.
    feature: &'static str,
    /// Who loads it, for the size report.
    pub loaded_by: &'static str,
}

impl CoreModule {
    pub fn js(&self) -> String {
        format!("{}.js", self.name)
    }

    pub fn wasm(&self) -> String {
        format!("{}_bg.wasm", self.name)
    }
}

/// The background's module: what the service worker (Chrome) or event page (Firefox) compiles
/// at every start, so it carries no page UI.
pub const BACKGROUND_MODULE: CoreModule = CoreModule {
    name: "core_background",
    feature: "background",
    loaded_by: "background",
};

/// The UI module: the panel iframe, the popup, options, onboarding and admin pages.
pub const UI_MODULE: CoreModule = CoreModule {
    name: "core_ui",
    feature: "ui",
    loaded_by: "panel, popup, options, onboarding, admin",
};

pub const CORE_MODULES: [CoreModule; 2] = [BACKGROUND_MODULE, UI_MODULE];
/// Features rustc enables by default for wasm32 that wasm-opt must accept.
pub(crate) const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];
/// Files of `extension/` that are tooling, not part of the extension.
const SOURCE_ONLY_SUFFIXES: &[&str] = &[".py", ".md"];

/// Where a build put things.
#[derive(Debug, Clone)]
pub struct DistPaths {
    pub dist: PathBuf,
    pub chrome: PathBuf,
    pub firefox: PathBuf,
    pub chrome_zip: PathBuf,
    pub firefox_zip: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Browser {
    Chrome,
    Firefox,
}

impl Browser {
    fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
        }
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let mut release = true;
    for arg in args {
        match arg.as_str() {
            "--debug" => release = false,
            "--release" => release = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo xtask dist [--debug]\n  --debug  unoptimized WASM, no wasm-opt (faster builds)"
                );
                return Ok(());
            }
            other => bail!("unknown option `{other}`; usage: cargo xtask dist [--debug]"),
        }
    }
    let paths = build(release)?;
    println!(
        "dist: done in {}: load {} (Chrome) or {} (Firefox) unpacked; store archives {} and {}",
        paths.dist.display(),
        paths.chrome.display(),
        paths.firefox.display(),
        paths.chrome_zip.display(),
        paths.firefox_zip.display()
    );
    Ok(())
}

/// The workspace root (xtask lives in `<root>/xtask`), whatever the current directory.
pub fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Builds everything; `release: false` skips optimisation for quick iterations.
pub fn build(release: bool) -> Result<DistPaths> {
    let root = workspace_root();
    let pinned = pinned_wasm_bindgen(&root.join("Cargo.toml"))?;
    check_wasm_bindgen_cli(&pinned)?;

    let target_dir = cargo_target_dir(&root)?;
    let glue = target_dir.join("salespane-glue");
    recreate_dir(&glue)?;
    for module in CORE_MODULES {
        build_module(&root, &target_dir, &glue, module, release, &pinned)?;
    }

    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(root.join("manifest.json")).context("reading manifest.json")?,
    )
    .context("manifest.json is not valid JSON")?;
    let dist = root.join("dist");
    fs::create_dir_all(&dist).with_context(|| format!("creating {}", dist.display()))?;
    let mut folders = Vec::new();
    for browser in [Browser::Chrome, Browser::Firefox] {
        let folder = dist.join(browser.name());
        println!("dist: assembling {}", folder.display());
        recreate_dir(&folder)?;
        copy_tree(&root.join("extension"), &folder)?;
        for name in CORE_MODULES.iter().flat_map(|m| [m.js(), m.wasm()]) {
            fs::copy(glue.join(&name), folder.join(&name))
                .with_context(|| format!("copying {name} into {}", folder.display()))?;
        }
        write_json(
            &folder.join("manifest.json"),
            &manifest_for(&manifest, browser, false),
        )?;
        folders.push(folder);
    }
    let paths = DistPaths {
        chrome: folders[0].clone(),
        firefox: folders[1].clone(),
        chrome_zip: dist.join("salespane-chrome.zip"),
        firefox_zip: dist.join("salespane-firefox.zip"),
        dist,
    };
    // The store must not see `key`: it assigns the published id itself.
    zip_folder(
        &paths.chrome,
        &paths.chrome_zip,
        Some(manifest_for(&manifest, Browser::Chrome, true)),
    )?;
    zip_folder(&paths.firefox, &paths.firefox_zip, None)?;
    print_sizes(&paths)?;
    Ok(paths)
}

/// Builds one core module: cargo with only its feature (each build overwrites
/// `<target>/wasm32-unknown-unknown/<profile>/salespane.wasm`, so wasm-bindgen reads it at
/// once), then the glue as `<glue>/<name>.js` + `<name>_bg.wasm`, optimised in release.
fn build_module(
    root: &Path,
    target_dir: &Path,
    glue: &Path,
    module: CoreModule,
    release: bool,
    pinned: &str,
) -> Result<()> {
    // `wasm-release` (root Cargo.toml): size-optimised, unlike the native `release`.
    let profile = if release { "wasm-release" } else { "debug" };
    println!(
        "dist: building the {} module for {WASM_TARGET} ({profile}, feature `{}`)",
        module.name, module.feature
    );
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(root).args([
        "build",
        "-p",
        "salespane",
        "--lib",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        module.feature,
    ]);
    if release {
        cargo.args(["--profile", profile]);
    }
    run_command(&mut cargo)?;
    let raw_wasm = target_dir
        .join(WASM_TARGET)
        .join(profile)
        .join("salespane.wasm");

    println!(
        "dist: wasm-bindgen {pinned} --target web --out-name {}",
        module.name
    );
    run_command(
        Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                module.name,
                "--out-dir",
            ])
            .arg(glue)
            .arg(&raw_wasm),
    )?;
    if release {
        let wasm = glue.join(module.wasm());
        let wasm_opt = root.join("node_modules/.bin/wasm-opt");
        if !wasm_opt.exists() {
            bail!(
                "{} is missing: run `npm ci` in {} (npm's binaryen; Debian's wasm-opt output crashes in Chromium)",
                wasm_opt.display(),
                root.display()
            );
        }
        println!("dist: wasm-opt -Oz {}", module.wasm());
        run_command(
            Command::new(&wasm_opt)
                .arg("-Oz")
                .args(WASM_OPT_FEATURES)
                .args(["--strip-debug", "--strip-producers"])
                .arg(&wasm)
                .arg("-o")
                .arg(&wasm),
        )?;
    }
    Ok(())
}

/// The version in `wasm-bindgen = "=X"` of the root Cargo.toml.
fn pinned_wasm_bindgen(cargo_toml: &Path) -> Result<String> {
    let text = fs::read_to_string(cargo_toml)
        .with_context(|| format!("reading {}", cargo_toml.display()))?;
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("wasm-bindgen") else {
            continue;
        };
        if !rest.trim_start().starts_with('=') {
            continue;
        }
        if let Some(start) = rest.find("\"=") {
            let version = &rest[start + 2..];
            if let Some(end) = version.find('"') {
                return Ok(version[..end].to_string());
            }
        }
        bail!(
            "{}: wasm-bindgen must be pinned exactly, as `wasm-bindgen = \"=X.Y.Z\"`",
            cargo_toml.display()
        );
    }
    bail!("{} has no wasm-bindgen dependency", cargo_toml.display())
}

fn check_wasm_bindgen_cli(pinned: &str) -> Result<()> {
    let install = format!("cargo install wasm-bindgen-cli --version {pinned} --locked");
    let output = Command::new("wasm-bindgen").arg("--version").output();
    let found = match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => bail!("wasm-bindgen is not installed; install it with: {install}"),
    };
    // "wasm-bindgen 0.2.130"
    if found.split_whitespace().nth(1) != Some(pinned) {
        bail!("`{found}` does not match the pinned wasm-bindgen {pinned}; install the matching CLI with: {install}");
    }
    Ok(())
}

fn cargo_target_dir(root: &Path) -> Result<PathBuf> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata")?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// The manifest one browser gets. The source manifest serves both; each browser drops the
/// keys meant for the other (and `key`, which only pins the id of an unpacked Chrome build).
fn manifest_for(source: &Value, browser: Browser, for_store: bool) -> Value {
    let mut manifest = source.clone();
    let Some(object) = manifest.as_object_mut() else {
        return manifest;
    };
    match browser {
        Browser::Chrome => {
            object.remove("browser_specific_settings");
            if let Some(bg) = object.get_mut("background").and_then(Value::as_object_mut) {
                bg.remove("scripts");
            }
            if for_store {
                object.remove("key");
            }
        }
        Browser::Firefox => {
            object.remove("key");
            object.remove("minimum_chrome_version");
            if let Some(bg) = object.get_mut("background").and_then(Value::as_object_mut) {
                bg.remove("service_worker");
            }
        }
    }
    manifest
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn recreate_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in sorted_entries(from)? {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') || SOURCE_ONLY_SUFFIXES.iter().any(|s| name_str.ends_with(s)) {
            continue;
        }
        let source = entry.path();
        let dest = to.join(&name);
        if source.is_dir() {
            fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
            copy_tree(&source, &dest)?;
        } else {
            fs::copy(&source, &dest).with_context(|| format!("copying {}", source.display()))?;
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let mut entries = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

/// Zips a folder (stable order, fixed timestamps); `manifest` replaces its manifest.json.
fn zip_folder(folder: &Path, archive: &Path, manifest: Option<Value>) -> Result<()> {
    let file =
        fs::File::create(archive).with_context(|| format!("creating {}", archive.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut files = Vec::new();
    collect_files(folder, folder, &mut files)?;
    for (relative, path) in files {
        zip.start_file(relative.as_str(), options)?;
        match (&manifest, relative.as_str()) {
            (Some(replacement), "manifest.json") => {
                let mut text = serde_json::to_string_pretty(replacement)?;
                text.push('\n');
                zip.write_all(text.as_bytes())?;
            }
            _ => {
                let mut bytes = Vec::new();
                fs::File::open(&path)?.read_to_end(&mut bytes)?;
                zip.write_all(&bytes)?;
            }
        }
    }
    zip.finish()
        .with_context(|| format!("writing {}", archive.display()))?;
    Ok(())
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in sorted_entries(dir)? {
        let path = entry.path();
        if path.is_dir() {
            collect_files(base, &path, out)?;
        } else {
            let relative = path
                .strip_prefix(base)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, path));
        }
    }
    Ok(())
}

fn print_sizes(paths: &DistPaths) -> Result<()> {
    let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!("dist: sizes");
    for module in CORE_MODULES {
        let wasm = fs::read(paths.chrome.join(module.wasm()))?;
        println!(
            "  {:<22} {:>9} bytes raw, {:>9} bytes gzip ({})",
            module.wasm(),
            wasm.len(),
            gzip_len(&wasm)?,
            module.loaded_by
        );
        println!(
            "  {:<22} {:>9} bytes",
            module.js(),
            size(&paths.chrome.join(module.js()))
        );
    }
    for (name, path) in [
        ("content.js", paths.chrome.join("content.js")),
        ("salespane-chrome.zip", paths.chrome_zip.clone()),
        ("salespane-firefox.zip", paths.firefox_zip.clone()),
    ] {
        println!("  {name:<22} {:>9} bytes", size(&path));
    }
    Ok(())
}

/// Length of `bytes` gzipped at the best level (how the budgets are stated).
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}

fn run_command(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_browser_manifests_drop_the_other_browsers_keys() {
        let source = serde_json::json!({
            "key": "abc",
            "minimum_chrome_version": "121",
            "browser_specific_settings": {"gecko": {"id": "x@y"}},
            "background": {"service_worker": "background.js", "scripts": ["background.js"], "type": "module"}
        });
        let chrome = manifest_for(&source, Browser::Chrome, false);
        assert_eq!(chrome["key"], "abc");
        assert!(chrome.get("browser_specific_settings").is_none());
        assert!(chrome["background"].get("scripts").is_none());
        assert!(manifest_for(&source, Browser::Chrome, true)
            .get("key")
            .is_none());
        let firefox = manifest_for(&source, Browser::Firefox, false);
        assert!(firefox.get("key").is_none());
        assert_eq!(firefox["browser_specific_settings"]["gecko"]["id"], "x@y");
        assert!(firefox["background"].get("service_worker").is_none());
        assert_eq!(firefox["background"]["type"], "module");
    }

    #[test]
    fn reads_the_pinned_wasm_bindgen_version() {
        let dir = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let toml = dir.join("Cargo.toml");
        fs::write(
            &toml,
            "[dependencies]\nwasm-bindgen-futures = \"0.4\"\nwasm-bindgen = \"=0.2.130\"\n",
        )
        .unwrap();
        assert_eq!(pinned_wasm_bindgen(&toml).unwrap(), "0.2.130");
        fs::write(&toml, "[dependencies]\nwasm-bindgen = \"0.2\"\n").unwrap();
        assert!(pinned_wasm_bindgen(&toml).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
