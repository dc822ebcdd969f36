//! The harness checks itself with a tiny probe extension (`tests/fixtures/probe-extension`),
//! independent of Salespane's own build: in both browsers, a content script runs on every
//! fixture host under its real name (on the fixture server's port), the host's CSP is
//! served, an extension iframe in the page can be read, and the background answers a
//! message sent from it.

use salespane_e2e::fixtures::{FixtureServer, HOSTS};
use salespane_e2e::scenario::{ensure, open_fixture, run_with};
use salespane_e2e::{env, panel, wait, Browser, BrowserKind, Result};
use std::time::Duration;

fn fixture_path(host: &str) -> &'static str {
    match host {
        "mail.google.com" => "/mail/u/0/",
        "outlook.office.com" => "/mail/",
        "acme.lightning.force.com" => "/lightning/r/Lead/00Q5e00000AbCdEEAV/view",
        _ => "/0035e00000QrStU",
    }
}

fn probe_every_host(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    for host in HOSTS {
        let url = fixtures.url(host, fixture_path(host));
        open_fixture(browser, &url)?;
        let view = panel::wait_for(
            browser,
            panel::PANEL_IFRAME,
            &format!("the probe's host {host}"),
            Duration::from_secs(20),
            |view| view.is_ready() && view.host.as_deref() == Some(host),
        )?;
        ensure(view.host.as_deref() == Some(host), || format!("{view:?}"))?;
        panel_is_from_the_extension(browser)?;
        let answer = panel::diagnostics(browser, panel::PANEL_IFRAME)?;
        let cold = answer.get("coldStartMs").and_then(|v| v.as_f64());
        ensure(cold.is_some(), || {
            format!("diagnostics answer without coldStartMs: {answer}")
        })?;
    }
    Ok(())
}

/// The panel iframe's origin is the one the harness computed for the extension.
fn panel_is_from_the_extension(browser: &Browser) -> Result<()> {
    let frame = browser.find(panel::PANEL_IFRAME)?;
    let src = match frame {
        Some(frame) => browser.attribute(&frame, "src")?.unwrap_or_default(),
        None => String::new(),
    };
    let base = browser.extension_base().unwrap_or("(unknown)");
    ensure(src.starts_with(&format!("{base}/")), || {
        format!("the panel's src {src} is not under the computed extension origin {base}")
    })
}

/// The page's own CSP is in force (a page script cannot eval on Lightning).
fn host_csp_is_served(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    let url = fixtures.url(
        "acme.lightning.force.com",
        "/lightning/r/Lead/00Q5e00000AbCdEEAV/view",
    );
    open_fixture(browser, &url)?;
    let blocked = browser.execute(
        "const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
         document.head.append(s); return window.__inline === undefined;",
        vec![],
    )?;
    ensure(blocked.as_bool() == Some(true), || {
        "an inline script ran on the Lightning fixture: its CSP is not applied".into()
    })
}

fn probe(kind: BrowserKind, name: &str, scenario: salespane_e2e::scenario::Scenario) {
    let dir = env::fixtures_dir().join("probe-extension");
    run_with(kind, name, Some(&dir), scenario);
}

#[test]
fn chromium_probe_runs_on_every_fixture_host() {
    probe(BrowserKind::Chromium, "probe_every_host", probe_every_host);
}

#[test]
fn firefox_probe_runs_on_every_fixture_host() {
    probe(BrowserKind::Firefox, "probe_every_host", probe_every_host);
}

#[test]
fn chromium_fixture_csp_is_enforced() {
    probe(BrowserKind::Chromium, "host_csp", host_csp_is_served);
}

#[test]
fn firefox_fixture_csp_is_enforced() {
    probe(BrowserKind::Firefox, "host_csp", host_csp_is_served);
}

/// The harness opens the extension's own pages in both browsers (Firefox refuses a plain
/// WebDriver navigation to moz-extension://).
fn opens_extension_pages(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    browser.open_extension_page("panel.html?host=direct")?;
    wait::until(
        "the probe's panel.html to render as a page",
        Duration::from_secs(20),
        || {
            let host = browser.execute(
                "const el = document.querySelector('[data-testid=host]');
                 return el && el.getAttribute('data-value');",
                vec![],
            )?;
            Ok((host.as_str() == Some("direct")).then_some(()))
        },
    )
}

#[test]
fn chromium_opens_extension_pages() {
    probe(
        BrowserKind::Chromium,
        "extension_page",
        opens_extension_pages,
    );
}

#[test]
fn firefox_opens_extension_pages() {
    probe(
        BrowserKind::Firefox,
        "extension_page",
        opens_extension_pages,
    );
}
