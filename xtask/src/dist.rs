//! `cargo xtask dist`: builds the extension into `dist/chrome/` and `dist/firefox/` (each
//! loadable unpacked) and the store archives `dist/salespane-chrome.zip` and
//! `dist/salespane-firefox.zip` (from `dist/store/chrome/` and `dist/store/firefox/`).
//!
//! The two kinds of build differ ([`Build`]): the unpacked development builds (the demo and the
//! end-to-end tests) reach a server on this machine, so they keep the loopback host permissions
//! and the loopback default server; the store builds carry neither (the core is built with the
//! `store` feature, which has no default server) and are checked for it ([`check_store_archive`]).
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

/// Host permission patterns only a development build carries: the local server and sandbox.
const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "localhost", "[::1]"];
/// Text of the development builds' default server (`src/settings.rs`), which must not appear
/// in a store build's core.
const LOOPBACK_SERVER_TEXT: &[&str] = &["http://127.0.0.1", "http://localhost", "http://[::1]"];

/// Where a build put things.
#[derive(Debug, Clone)]
pub struct DistPaths {
    pub dist: PathBuf,
    pub chrome: PathBuf,
    pub firefox: PathBuf,
    /// The store builds, unpacked (what the zips hold).
    pub store_chrome: PathBuf,
    pub store_firefox: PathBuf,
    pub chrome_zip: PathBuf,
    pub firefox_zip: PathBuf,
}

/// Which kind of build: loadable unpacked for development and tests, or for the stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    Dev,
    Store,
}

impl Build {
    /// Crate features added to each module's own.
    fn features(self) -> &'static str {
        match self {
            Build::Dev => "",
            Build::Store => ",store",
        }
    }

    fn glue_dir(self, target_dir: &Path) -> PathBuf {
        match self {
            Build::Dev => target_dir.join("salespane-glue"),
            Build::Store => target_dir.join("salespane-glue-store"),
        }
    }
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
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(root.join("manifest.json")).context("reading manifest.json")?,
    )
    .context("manifest.json is not valid JSON")?;
    let dist = root.join("dist");
    fs::create_dir_all(&dist).with_context(|| format!("creating {}", dist.display()))?;
    let paths = DistPaths {
        chrome: dist.join(Browser::Chrome.name()),
        firefox: dist.join(Browser::Firefox.name()),
        store_chrome: dist.join("store").join(Browser::Chrome.name()),
        store_firefox: dist.join("store").join(Browser::Firefox.name()),
        chrome_zip: dist.join("salespane-chrome.zip"),
        firefox_zip: dist.join("salespane-firefox.zip"),
        dist: dist.clone(),
    };
    for build in [Build::Dev, Build::Store] {
        let glue = build.glue_dir(&target_dir);
        recreate_dir(&glue)?;
        for module in CORE_MODULES {
            build_module(&root, &target_dir, &glue, module, build, release, &pinned)?;
        }
        for browser in [Browser::Chrome, Browser::Firefox] {
            let folder = match (build, browser) {
                (Build::Dev, Browser::Chrome) => &paths.chrome,
                (Build::Dev, Browser::Firefox) => &paths.firefox,
                (Build::Store, Browser::Chrome) => &paths.store_chrome,
                (Build::Store, Browser::Firefox) => &paths.store_firefox,
            };
            println!("dist: assembling {}", folder.display());
            recreate_dir(folder)?;
            copy_tree(&root.join("extension"), folder)?;
            for name in CORE_MODULES.iter().flat_map(|m| [m.js(), m.wasm()]) {
                fs::copy(glue.join(&name), folder.join(&name))
                    .with_context(|| format!("copying {name} into {}", folder.display()))?;
            }
            write_json(
                &folder.join("manifest.json"),
                &manifest_for(&manifest, browser, build),
            )?;
        }
    }
    zip_folder(&paths.store_chrome, &paths.chrome_zip)?;
    zip_folder(&paths.store_firefox, &paths.firefox_zip)?;
    for archive in [&paths.chrome_zip, &paths.firefox_zip] {
        check_store_archive(archive)?;
    }
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
    build: Build,
    release: bool,
    pinned: &str,
) -> Result<()> {
    // `wasm-release` (root Cargo.toml): the release profile with panic = "abort", which keeps
    // the WASM small; the server's release build unwinds so one panic is one 500.
    let profile = if release { "wasm-release" } else { "debug" };
    let features = format!("{}{}", module.feature, build.features());
    println!(
        "dist: building the {} module for {WASM_TARGET} ({profile}, features `{features}`)",
        module.name
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
        &features,
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
/// keys meant for the other (and `key`, which only pins the id of an unpacked Chrome build);
/// a store build also drops the loopback host permissions.
fn manifest_for(source: &Value, browser: Browser, build: Build) -> Value {
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
            if build == Build::Store {
                // The store assigns the published id itself.
                object.remove("key");
            }
        }
        Browser::Firefox => {
            object.remove("key");
            object.remove("minimum_chrome_version");
            if let Some(bg) = object.get_mut("background").and_then(Value::as_object_mut) {
                bg.remove("service_worker");
            }
            // Firefox has no dynamic resource URLs (its moz-extension:// host is already a
            // random per-install id); `web-ext lint` flags the key.
            if let Some(entries) = object
                .get_mut("web_accessible_resources")
                .and_then(Value::as_array_mut)
            {
                for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
                    entry.remove("use_dynamic_url");
                }
            }
        }
    }
    if build == Build::Store {
        if let Some(hosts) = object
            .get_mut("host_permissions")
            .and_then(Value::as_array_mut)
        {
            hosts.retain(|pattern| !pattern.as_str().is_some_and(is_loopback_pattern));
        }
    }
    manifest
}

/// `http://127.0.0.1/*` and the like: a match pattern for this machine.
fn is_loopback_pattern(pattern: &str) -> bool {
    let rest = pattern.split_once("://").map_or(pattern, |(_, rest)| rest);
    LOOPBACK_HOSTS.iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with(['/', ':']))
    })
}

/// Checks a store archive: its manifest names no loopback host, no `key`, exposes only the
/// panel page to host pages, and covers only the Salesforce hosts actually used; its core has
/// no loopback default server. Fails naming what is wrong.
pub fn check_store_archive(archive: &Path) -> Result<()> {
    let file = fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip archive", archive.display()))?;
    let mut problems = Vec::new();
    let mut manifest_text = String::new();
    zip.by_name("manifest.json")
        .with_context(|| format!("{} has no manifest.json", archive.display()))?
        .read_to_string(&mut manifest_text)?;
    let manifest: Value = serde_json::from_str(&manifest_text)
        .with_context(|| format!("the manifest.json of {}", archive.display()))?;
    problems.extend(store_manifest_problems(&manifest));
    for module in CORE_MODULES {
        let mut bytes = Vec::new();
        zip.by_name(&module.wasm())
            .with_context(|| format!("{} has no {}", archive.display(), module.wasm()))?
            .read_to_end(&mut bytes)?;
        for text in LOOPBACK_SERVER_TEXT {
            if bytes
                .windows(text.len())
                .any(|window| window == text.as_bytes())
            {
                problems.push(format!(
                    "{} holds `{text}` (a development default server)",
                    module.wasm()
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} is not fit for a store: {}",
            archive.display(),
            problems.join("; ")
        );
    }
    Ok(())
}

/// What is wrong with a store build's manifest (nothing: empty).
fn store_manifest_problems(manifest: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let list = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if manifest.get("key").is_some() {
        problems.push("it carries `key`".to_string());
    }
    let mut patterns: Vec<(String, String)> = Vec::new();
    for field in ["host_permissions", "optional_host_permissions"] {
        patterns.extend(
            list(&manifest[field])
                .into_iter()
                .map(|p| (field.into(), p)),
        );
    }
    for (i, script) in list_of(&manifest["content_scripts"]).iter().enumerate() {
        let field = format!("content_scripts[{i}].matches");
        patterns.extend(
            list(&script["matches"])
                .into_iter()
                .map(|p| (field.clone(), p)),
        );
    }
    for (i, entry) in list_of(&manifest["web_accessible_resources"])
        .iter()
        .enumerate()
    {
        let field = format!("web_accessible_resources[{i}].matches");
        patterns.extend(
            list(&entry["matches"])
                .into_iter()
                .map(|p| (field.clone(), p)),
        );
        let resources = list(&entry["resources"]);
        if resources != ["panel.html"] {
            problems.push(format!(
                "{field}: host pages may load only panel.html, not {resources:?}"
            ));
        }
    }
    for (field, pattern) in patterns {
        if is_loopback_pattern(&pattern) {
            problems.push(format!("{field} names this machine: {pattern}"));
        }
        if pattern.contains("://*.salesforce.com") || pattern.contains("://*.force.com") {
            problems.push(format!(
                "{field} covers every Salesforce page: {pattern} (only Lightning and My Domain hosts are used)"
            ));
        }
    }
    problems
}

fn list_of(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
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

/// Zips a folder (stable order, fixed timestamps).
fn zip_folder(folder: &Path, archive: &Path) -> Result<()> {
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
        let mut bytes = Vec::new();
        fs::File::open(&path)?.read_to_end(&mut bytes)?;
        zip.write_all(&bytes)?;
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
        let chrome = manifest_for(&source, Browser::Chrome, Build::Dev);
        assert_eq!(chrome["key"], "abc");
        assert!(chrome.get("browser_specific_settings").is_none());
        assert!(chrome["background"].get("scripts").is_none());
        assert!(manifest_for(&source, Browser::Chrome, Build::Store)
            .get("key")
            .is_none());
        let firefox = manifest_for(&source, Browser::Firefox, Build::Dev);
        assert!(firefox.get("key").is_none());
        assert_eq!(firefox["browser_specific_settings"]["gecko"]["id"], "x@y");
        assert!(firefox["background"].get("service_worker").is_none());
        assert_eq!(firefox["background"]["type"], "module");
    }

    fn source_manifest() -> Value {
        serde_json::from_str(&fs::read_to_string(workspace_root().join("manifest.json")).unwrap())
            .unwrap()
    }

    #[test]
    fn store_manifests_carry_no_loopback_and_only_the_hosts_used() {
        let source = source_manifest();
        for browser in [Browser::Chrome, Browser::Firefox] {
            let store = manifest_for(&source, browser, Build::Store);
            assert_eq!(store_manifest_problems(&store), Vec::<String>::new());
            let hosts = store["host_permissions"].to_string();
            assert!(!hosts.contains("127.0.0.1") && !hosts.contains("localhost"));
            // The development build keeps what the demo and the end-to-end tests need.
            let dev = manifest_for(&source, browser, Build::Dev);
            let dev_problems = store_manifest_problems(&dev);
            assert!(
                dev_problems
                    .iter()
                    .any(|p| p.contains("http://127.0.0.1/*")),
                "{dev_problems:?}"
            );
            let war = &store["web_accessible_resources"][0];
            assert_eq!(war["resources"], serde_json::json!(["panel.html"]));
            assert_eq!(
                war.get("use_dynamic_url").is_some(),
                browser == Browser::Chrome,
                "{browser:?}"
            );
        }
        // What the check refuses.
        let wide = serde_json::json!({
            "key": "abc",
            "host_permissions": ["https://*.salesforce.com/*", "http://localhost:8787/*"],
            "content_scripts": [{"matches": ["http://[::1]/*"]}],
            "web_accessible_resources": [{"resources": ["panel.html", "core_ui_bg.wasm"], "matches": []}]
        });
        let problems = store_manifest_problems(&wide).join("\n");
        for expected in [
            "`key`",
            "every Salesforce page",
            "http://localhost:8787/*",
            "content_scripts[0].matches names this machine",
            "core_ui_bg.wasm",
        ] {
            assert!(problems.contains(expected), "{expected} not in {problems}");
        }
        assert!(!is_loopback_pattern("https://localhost.example/*"));
    }

    #[test]
    fn store_archives_are_inspected() {
        let dir = tempdir("store-zip");
        let folder = dir.join("store");
        fs::create_dir_all(&folder).unwrap();
        let manifest = manifest_for(&source_manifest(), Browser::Chrome, Build::Store);
        write_json(&folder.join("manifest.json"), &manifest).unwrap();
        for module in CORE_MODULES {
            fs::write(folder.join(module.wasm()), b"\0asm core without a default").unwrap();
        }
        let archive = dir.join("store.zip");
        zip_folder(&folder, &archive).unwrap();
        check_store_archive(&archive).unwrap();

        // A development core (default server on loopback) or manifest is refused.
        fs::write(
            folder.join(BACKGROUND_MODULE.wasm()),
            b"\0asm ... http://127.0.0.1:8787 ...",
        )
        .unwrap();
        zip_folder(&folder, &archive).unwrap();
        let err = check_store_archive(&archive).unwrap_err().to_string();
        assert!(
            err.contains("core_background_bg.wasm holds `http://127.0.0.1`"),
            "{err}"
        );
        for module in CORE_MODULES {
            fs::write(folder.join(module.wasm()), b"\0asm").unwrap();
        }
        let dev = manifest_for(&source_manifest(), Browser::Chrome, Build::Dev);
        write_json(&folder.join("manifest.json"), &dev).unwrap();
        zip_folder(&folder, &archive).unwrap();
        let err = check_store_archive(&archive).unwrap_err().to_string();
        assert!(
            err.contains("`key`") && err.contains("names this machine"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
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
