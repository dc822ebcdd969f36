//! One API over two real browsers with the extension loaded: Debian's Chromium (chromedriver,
//! `--load-extension`) and Firefox ESR (geckodriver, temporary add-on). The fixture hosts'
//! real names resolve to loopback in both.

use crate::fixtures::HOSTS;
use crate::webdriver::Session;
use crate::{env, wait, Error, Result};
use serde_json::{json, Value};
use std::fs::File;
use std::net::TcpListener;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const FIREFOX: &str = "/usr/bin/firefox-esr";

/// The fixed internal UUID Firefox gives the extension, so its pages have a known origin.
const FIREFOX_EXTENSION_UUID: &str = "5a1e5a9e-e2e0-4c1e-9a1e-000000000001";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserKind {
    Chromium,
    Firefox,
}

impl BrowserKind {
    pub const ALL: [BrowserKind; 2] = [BrowserKind::Chromium, BrowserKind::Firefox];

    pub fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// The `dist/` folder holding this browser's build of the extension.
    pub fn dist_folder(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chrome",
            BrowserKind::Firefox => "firefox",
        }
    }
}

/// A running browser with the extension installed. Dropping it ends the session, the
/// browser and its driver, and deletes the profile.
pub struct Browser {
    kind: BrowserKind,
    session: Option<Session>,
    driver: Child,
    extension_base: Option<String>,
    // Removed last: the browser must be gone before its profile is deleted.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Launches `kind` with the extension built by `cargo xtask dist` (`$SALESPANE_DIST`).
    pub fn launch(kind: BrowserKind) -> Result<Browser> {
        let extension = env::extension_dir(kind.dist_folder())?;
        Browser::launch_with_extension(kind, &extension)
    }

    /// Launches `kind` with the unpacked extension in `extension` (a folder with a manifest).
    pub fn launch_with_extension(kind: BrowserKind, extension: &Path) -> Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix(&format!("salespane-e2e-{}-", kind.name()))
            .tempdir()
            .map_err(Error::io("creating a browser profile folder"))?;
        let port = free_port()?;
        let mut driver = start_driver(kind, port, profile.path())?;
        let driver_url = format!("http://127.0.0.1:{port}");
        let ready = wait::until(
            &format!("{} driver to listen on {driver_url}", kind.name()),
            Duration::from_secs(30),
            || Ok(driver_is_ready(&driver_url).then_some(())),
        );
        if let Err(err) = ready {
            let _ = driver.kill();
            let _ = driver.wait();
            return Err(err);
        }
        let mut browser = Browser {
            kind,
            session: None,
            driver,
            extension_base: None,
            _profile: profile,
        };
        let extension = std::fs::canonicalize(extension)
            .map_err(Error::io(format!("resolving {}", extension.display())))?;
        match kind {
            BrowserKind::Chromium => {
                let caps = chromium_capabilities(&extension, browser._profile.path());
                browser.session = Some(Session::create(&driver_url, caps)?);
                browser.extension_base = Some(format!(
                    "chrome-extension://{}",
                    chromium_extension_id(&extension)?
                ));
            }
            BrowserKind::Firefox => {
                let gecko_id = firefox_extension_id(&extension)?;
                let caps = firefox_capabilities(&gecko_id);
                let session = Session::create(&driver_url, caps)?;
                session.raw(
                    "POST",
                    "/moz/addon/install",
                    Some(json!({ "path": extension.to_string_lossy(), "temporary": true })),
                )?;
                browser.session = Some(session);
                browser.extension_base = Some(format!("moz-extension://{FIREFOX_EXTENSION_UUID}"));
            }
        }
        browser
            .session()?
            .set_script_timeout(Duration::from_secs(20))?;
        Ok(browser)
    }

    pub fn kind(&self) -> BrowserKind {
        self.kind
    }

    fn session(&self) -> Result<&Session> {
        self.session
            .as_ref()
            .ok_or_else(|| Error::Setup("the browser session is closed".into()))
    }

    /// The extension's own origin: `chrome-extension://<id>` (the id follows from the
    /// manifest's `key`, or else from the folder's path) or `moz-extension://<uuid>` (fixed
    /// by a preference at launch).
    pub fn extension_base(&self) -> Option<&str> {
        self.extension_base.as_deref()
    }

    /// Opens one of the extension's own pages (`popup.html`, `options.html`…) in the
    /// current tab.
    pub fn open_extension_page(&self, page: &str) -> Result<()> {
        let base = self
            .extension_base()
            .ok_or_else(|| Error::Setup("the extension's origin is unknown".into()))?;
        let url = format!("{base}/{}", page.trim_start_matches('/'));
        let session = self.session()?;
        if self.kind == BrowserKind::Chromium {
            return session.navigate(&url);
        }
        // Marionette refuses to navigate a content tab to moz-extension:// ("not allowed in
        // this context"): load it from the browser window's own (chrome) context instead.
        session.raw("POST", "/moz/context", Some(json!({ "context": "chrome" })))?;
        let opened = session.execute(
            "const [url] = arguments;
             const win = Services.wm.getMostRecentWindow('navigator:browser');
             win.openTrustedLinkIn(url, 'current');
             return true;",
            vec![json!(url)],
        );
        session.raw(
            "POST",
            "/moz/context",
            Some(json!({ "context": "content" })),
        )?;
        opened?;
        // Like a WebDriver navigation, return once the page has loaded.
        wait::until(&format!("{url} to load"), Duration::from_secs(20), || {
            if !session.current_url()?.starts_with(&url) {
                return Ok(None);
            }
            let state = session.execute("return document.readyState;", vec![])?;
            Ok((state.as_str() == Some("complete")).then_some(()))
        })
    }

    /// Chromium only: stops every service worker (the extension's background among them)
    /// through the DevTools protocol and waits until none runs, so that the next message
    /// starts the background cold.
    pub fn stop_service_workers(&self) -> Result<()> {
        if self.kind != BrowserKind::Chromium {
            return Err(Error::Setup(
                "stopping service workers is done through Chromium's DevTools protocol".into(),
            ));
        }
        let session = self.session()?;
        let cdp = |cmd: &str| {
            session.raw(
                "POST",
                "/goog/cdp/execute",
                Some(json!({ "cmd": cmd, "params": {} })),
            )
        };
        cdp("ServiceWorker.enable")?;
        cdp("ServiceWorker.stopAllWorkers")?;
        wait::until(
            "the extension's service worker to stop",
            Duration::from_secs(10),
            || {
                let targets = cdp("Target.getTargets")?;
                let running = targets["targetInfos"]
                    .as_array()
                    .map(|items| items.iter().any(|t| t["type"] == "service_worker"))
                    .unwrap_or(false);
                Ok((!running).then_some(()))
            },
        )
    }

    /// Saves a screenshot of the current window to `target/screenshots/<name>.png`.
    pub fn screenshot_named(&self, name: &str) -> Result<PathBuf> {
        let path = env::screenshots_dir().join(format!("{name}.png"));
        self.session()?.screenshot(&path)?;
        Ok(path)
    }
}

impl Deref for Browser {
    type Target = Session;

    fn deref(&self) -> &Session {
        // A Browser always holds its session until it is dropped.
        match &self.session {
            Some(session) => session,
            None => unreachable!("Browser without a session"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = session.delete();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(Error::io("finding a free loopback port"))?;
    let port = listener
        .local_addr()
        .map_err(Error::io("reading a loopback port"))?
        .port();
    Ok(port)
}

fn start_driver(kind: BrowserKind, port: u16, profile: &Path) -> Result<Child> {
    let (program, args, browser_binary) = match kind {
        BrowserKind::Chromium => (
            "chromedriver",
            vec![format!("--port={port}"), "--allowed-ips=127.0.0.1".into()],
            CHROMIUM,
        ),
        BrowserKind::Firefox => (
            "geckodriver",
            vec![
                "--port".into(),
                port.to_string(),
                "--host".into(),
                "127.0.0.1".into(),
                // Lets the harness open the extension's own pages from the browser window's
                // chrome context (see `open_extension_page`).
                "--allow-system-access".into(),
            ],
            FIREFOX,
        ),
    };
    if !Path::new(browser_binary).is_file() {
        return Err(Error::Setup(format!(
            "{browser_binary} is missing: run `cargo xtask test` (it installs Debian's \
             chromium, chromium-driver and firefox-esr)"
        )));
    }
    let driver = env::find_program(program).ok_or_else(|| {
        Error::Setup(format!(
            "`{program}` is not installed: run `cargo xtask test` (it installs it)"
        ))
    })?;
    let log_path = profile.join("driver.log");
    let log =
        File::create(&log_path).map_err(Error::io(format!("creating {}", log_path.display())))?;
    let log_err = log
        .try_clone()
        .map_err(Error::io("duplicating the driver log handle"))?;
    Command::new(&driver)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(Error::io(format!("starting {}", driver.display())))
}

fn driver_is_ready(driver_url: &str) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    agent
        .get(&format!("{driver_url}/status"))
        .call()
        .ok()
        .and_then(|response| response.into_body().read_json::<Value>().ok())
        .and_then(|status| status.pointer("/value/ready").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// `MAP <host> 127.0.0.1` for every fixture host: the URL keeps the real name (and so the
/// content scripts' match patterns apply) while the connection goes to the fixture server.
fn host_resolver_rules() -> String {
    HOSTS
        .iter()
        .map(|host| format!("MAP {host} 127.0.0.1"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn chromium_capabilities(extension: &Path, profile: &Path) -> Value {
    let args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1400,1000".into(),
        format!("--user-data-dir={}", profile.join("chromium").display()),
        format!("--load-extension={}", extension.display()),
        format!("--disable-extensions-except={}", extension.display()),
        format!("--host-resolver-rules={}", host_resolver_rules()),
        "--ignore-certificate-errors".into(),
    ];
    json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": args,
            // chromedriver's defaults would disable the extension we load.
            "excludeSwitches": ["disable-extensions", "enable-automation"],
            "enableExtensionTargets": true,
        }
    })
}

fn firefox_capabilities(gecko_id: &str) -> Value {
    let uuids = json!({ gecko_id: FIREFOX_EXTENSION_UUID }).to_string();
    json!({
        "browserName": "firefox",
        "acceptInsecureCerts": true,
        "pageLoadStrategy": "normal",
        "moz:firefoxOptions": {
            "binary": FIREFOX,
            "args": ["-headless", "-width", "1400", "-height", "1000"],
            "prefs": {
                // Every name resolves to loopback, where the fixture server listens.
                "network.dns.forceResolve": "127.0.0.1",
                "network.trr.mode": 5,
                "network.dns.disableIPv6": true,
                // The fixture certificate is self-signed; built-in pins for Google hosts
                // must not reject it.
                "security.cert_pinning.enforcement_level": 0,
                "extensions.webextensions.uuids": uuids,
                "browser.shell.checkDefaultBrowser": false,
                "datareporting.policy.dataSubmissionEnabled": false,
                "app.update.disabledForTesting": true,
            }
        }
    })
}

fn read_manifest(extension: &Path) -> Result<Value> {
    let path = extension.join("manifest.json");
    let text =
        std::fs::read_to_string(&path).map_err(Error::io(format!("reading {}", path.display())))?;
    serde_json::from_str(&text).map_err(|err| {
        Error::Setup(format!(
            "{} is not JSON ({err}): rebuild with `cargo xtask dist`",
            path.display()
        ))
    })
}

/// Chromium's id for an unpacked extension: the first 128 bits of the SHA-256 of the
/// manifest's public `key` (DER), or else of the folder's absolute path, written with the
/// letters a-p for the hex digits 0-f.
fn chromium_extension_id(extension: &Path) -> Result<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let manifest = read_manifest(extension)?;
    let digest = match manifest.get("key").and_then(Value::as_str) {
        Some(key) => {
            let der = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|err| {
                    Error::Setup(format!("the manifest's `key` is not base64: {err}"))
                })?;
            Sha256::digest(der)
        }
        None => Sha256::digest(extension.to_string_lossy().as_bytes()),
    };
    Ok(digest[..16]
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .map(|nibble| char::from(b'a' + nibble))
        .collect())
}

/// The add-on id from `browser_specific_settings.gecko.id` of the Firefox manifest.
fn firefox_extension_id(extension: &Path) -> Result<String> {
    let manifest = read_manifest(extension)?;
    manifest
        .pointer("/browser_specific_settings/gecko/id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::Setup(format!(
                "{}/manifest.json has no browser_specific_settings.gecko.id (Firefox needs a \
                 fixed add-on id)",
                extension.display()
            ))
        })
}
