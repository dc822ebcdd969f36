//! Salespane's end-to-end scenarios, written once and run in Chromium and in Firefox, with the
//! extension built by `cargo xtask dist` (`$SALESPANE_DIST`) against the fixture host pages.
//! A failure names the browser and the scenario and leaves a screenshot in
//! `target/screenshots/<browser>-<scenario>.png`.

use salespane_api::sfid::SfId;
use salespane_e2e::fixtures::{FixtureServer, CLASSIC, GMAIL, LIGHTNING, OUTLOOK};
use salespane_e2e::panel::{self, PanelView};
use salespane_e2e::scenario::{ensure, open_fixture};
use salespane_e2e::{wait, Browser, Error, Result};
use serde_json::json;
use std::time::Duration;

/// The seeded fixture records (`tests/fixtures/acme.lightning.force.com/static/lightning.js`).
const LEAD_ID: &str = "00Q5e00000AbCdEEAV";
const OPPORTUNITY_ID: &str = "0065e00000XyZwQAAV";
/// A Classic record URL carries the 15-character id; the panel must show the 18-character one.
const CLASSIC_CONTACT_ID_15: &str = "0035e00000QrStU";

/// Cold start of the background, a fresh profile and a 2-core machine shared with another
/// browser: generous, since a time-out only delays a failure.
const PANEL_TIMEOUT: Duration = Duration::from_secs(30);

const LIGHTNING_PANEL: &str = "div.windowViewMode-normal.active iframe[data-salespane-panel]";
const CLASSIC_PANEL: &str = "#bodyCell iframe[data-salespane-panel]";
const GMAIL_PANEL: &str = "div.aUx iframe[data-salespane-panel]";
const OUTLOOK_PANEL: &str = "[role=complementary] iframe[data-salespane-panel]";

fn id18(id: &str) -> Result<String> {
    SfId::parse(id)
        .map(|id| id.as_str().to_string())
        .map_err(|err| Error::Expectation(format!("fixture id {id} is not a Salesforce id: {err}")))
}

fn shows_record(view: &PanelView, host: &str, object: &str, id: &str) -> bool {
    view.is_ready()
        && view.host.as_deref() == Some(host)
        && view.record_object.as_deref() == Some(object)
        && view.record_id.as_deref() == Some(id)
}

fn lists_compose(view: &PanelView, host: &str, recipients: &str, subject: &str) -> bool {
    view.is_ready()
        && view.host.as_deref() == Some(host)
        && view.composes.iter().any(|c| {
            c.recipients.as_deref() == Some(recipients) && c.subject.as_deref() == Some(subject)
        })
}

/// (1) A Lightning Lead record page: the panel shows the Lead and its 18-character id.
fn lightning_lead_page(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    let lead = id18(LEAD_ID)?;
    open_fixture(
        browser,
        &fixtures.url(LIGHTNING, &format!("/lightning/r/Lead/{lead}/view")),
    )?;
    panel::wait_for(
        browser,
        LIGHTNING_PANEL,
        &format!("Lead {lead}"),
        PANEL_TIMEOUT,
        |v| shows_record(v, "salesforce-lightning", "Lead", &lead),
    )?;
    Ok(())
}

/// (2) Lightning navigates from the Lead to an Opportunity without reloading: the panel
/// follows, and the page was not reloaded.
fn lightning_navigation_without_reload(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    let lead = id18(LEAD_ID)?;
    let opportunity = id18(OPPORTUNITY_ID)?;
    let load_id = open_fixture(
        browser,
        &fixtures.url(LIGHTNING, &format!("/lightning/r/Lead/{lead}/view")),
    )?;
    panel::wait_for(
        browser,
        LIGHTNING_PANEL,
        &format!("Lead {lead}"),
        PANEL_TIMEOUT,
        |v| shows_record(v, "salesforce-lightning", "Lead", &lead),
    )?;
    let link = browser
        .find("div.windowViewMode-normal.active a[data-fixture-nav=Opportunity]")?
        .ok_or_else(|| Error::Expectation("the Lead page has no Opportunity link".into()))?;
    browser.click(&link)?;
    panel::wait_for(
        browser,
        LIGHTNING_PANEL,
        &format!("Opportunity {opportunity} after the in-app navigation"),
        PANEL_TIMEOUT,
        |v| shows_record(v, "salesforce-lightning", "Opportunity", &opportunity),
    )?;
    let url = browser.current_url()?;
    ensure(
        url.contains(&format!("/lightning/r/Opportunity/{opportunity}/view")),
        || format!("the URL did not change to the Opportunity: {url}"),
    )?;
    let after = browser.execute(
        "return window.__fixture && window.__fixture.loadId;",
        vec![],
    )?;
    ensure(after.as_str() == Some(load_id.as_str()), || {
        format!("the page reloaded during the navigation (load id {load_id} became {after})")
    })
}

/// (3) A Classic Contact page addressed by its 15-character id: the panel shows the
/// 18-character id.
fn classic_contact_page(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    let contact = id18(CLASSIC_CONTACT_ID_15)?;
    open_fixture(
        browser,
        &fixtures.url(CLASSIC, &format!("/{CLASSIC_CONTACT_ID_15}")),
    )?;
    panel::wait_for(
        browser,
        CLASSIC_PANEL,
        &format!("Contact {contact}"),
        PANEL_TIMEOUT,
        |v| shows_record(v, "salesforce-classic", "Contact", &contact),
    )?;
    Ok(())
}

/// (4) Gmail: the user clicks Compose, two recipients are added (To and Cc) and a subject is
/// typed; the panel lists that compose.
fn gmail_compose(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    open_fixture(browser, &fixtures.url(GMAIL, "/mail/u/0/"))?;
    let compose_button = browser
        .find("[gh=cm]")?
        .ok_or_else(|| Error::Expectation("the Gmail fixture has no compose button".into()))?;
    browser.click(&compose_button)?;
    let compose_id = browser.execute("return 'c' + window.__fixture.composes;", vec![])?;
    browser.execute(
        "const [id] = arguments;
         window.__fixture.addRecipient(id, 'to', { name: 'Ann Lee', email: 'Ann.Lee@Acme.example' });
         window.__fixture.addRecipient(id, 'cc', { name: 'Bob', email: 'bob@globex.example' });",
        vec![compose_id.clone()],
    )?;
    let subject = browser
        .find(&format!(
            "[data-fixture-compose-id={}] input[name=subjectbox]",
            compose_id.as_str().unwrap_or("c1")
        ))?
        .ok_or_else(|| Error::Expectation("the compose window has no subject box".into()))?;
    browser.send_keys(&subject, "Quarterly review")?;
    panel::wait_for(
        browser,
        GMAIL_PANEL,
        "the compose to ann.lee@acme.example and bob@globex.example, \"Quarterly review\"",
        PANEL_TIMEOUT,
        |v| {
            lists_compose(
                v,
                "gmail",
                "ann.lee@acme.example,bob@globex.example",
                "Quarterly review",
            )
        },
    )?;
    compose_is_marked(browser, compose_id.as_str().unwrap_or("c1"))
}

/// (5) Outlook on the web: a compose with two To recipients and a subject is listed.
fn outlook_compose(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    open_fixture(browser, &fixtures.url(OUTLOOK, "/mail/"))?;
    let id = browser.execute(
        "return window.__fixture.openCompose(arguments[0]);",
        vec![json!({
            "to": [
                { "name": "Grace Hopper", "email": "Grace@Navy.example" },
                { "email": "alan@bletchley.example" }
            ],
            "subject": "Compiler demo"
        })],
    )?;
    panel::wait_for(
        browser,
        OUTLOOK_PANEL,
        "the compose to grace@navy.example and alan@bletchley.example, \"Compiler demo\"",
        PANEL_TIMEOUT,
        |v| {
            lists_compose(
                v,
                "outlook",
                "grace@navy.example,alan@bletchley.example",
                "Compiler demo",
            )
        },
    )?;
    compose_is_marked(browser, id.as_str().unwrap_or("o1"))
}

/// (6) A Gmail layout without the side column (`div.aUx`): the extension still sees the
/// compose, places no panel, and the page keeps working (the compose sends).
fn gmail_missing_hook_degrades_quietly(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    open_fixture(browser, &fixtures.url(GMAIL, "/mail/u/1/"))?;
    let id = browser.execute(
        "return window.__fixture.openCompose(arguments[0]);",
        vec![json!({ "to": [{ "email": "ann@acme.example" }], "subject": "Still works" })],
    )?;
    let id = id.as_str().unwrap_or("c1").to_string();
    // The content script ran (it marked the compose): so the absence of a panel is its choice.
    compose_is_marked(browser, &id)?;
    std::thread::sleep(Duration::from_secs(1));
    let panels = browser.find_all("iframe[data-salespane-panel]")?;
    ensure(panels.is_empty(), || {
        format!(
            "{} panel iframe(s) placed although the page has no div.aUx",
            panels.len()
        )
    })?;
    let send = browser
        .find(&format!(
            "[data-fixture-compose-id={id}] div[role=button][data-tooltip^=Send]"
        ))?
        .ok_or_else(|| Error::Expectation("the compose has no Send button".into()))?;
    browser.click(&send)?;
    let state = browser.execute(
        "return { sent: window.__fixture.sent.length, errors: window.__fixture.errors };",
        vec![],
    )?;
    ensure(
        state["sent"] == json!(1) && state["errors"] == json!([]),
        || format!("the page no longer works normally: {state}"),
    )
}

/// (7) A host page can load the panel frame and nothing else of the extension: the panel's
/// scripts and the UI module are not web-accessible, and in Chromium the frame's URL carries the
/// session's dynamic id, not the extension's fixed one.
fn host_pages_reach_only_the_panel(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    lightning_lead_page(browser, fixtures)?;
    let base = browser
        .extension_base()
        .ok_or_else(|| Error::Setup("the extension's origin is unknown".into()))?
        .to_string();
    let src = browser.execute(
        "return document.querySelector(arguments[0]).src;",
        vec![json!(LIGHTNING_PANEL)],
    )?;
    let src = src.as_str().unwrap_or_default();
    ensure(src.ends_with("/panel.html"), || {
        format!("the panel frame is {src}")
    })?;
    if browser.kind() == salespane_e2e::BrowserKind::Chromium {
        ensure(!src.starts_with(&base), || {
            format!("the panel frame uses the fixed id {base}, not a dynamic URL: {src}")
        })?;
    }
    // The page's own fetch of the extension's other files (what a fingerprinting or hostile
    // page would try) fails.
    for file in [
        "panel.js",
        "core_ui.js",
        "core_ui_bg.wasm",
        "adapter_trusted.js",
        "core_background_bg.wasm",
    ] {
        let outcome = browser.execute_async(
            "const [url, done] = arguments;
             fetch(url).then((r) => done('loaded ' + r.status), (e) => done('refused'));",
            vec![json!(format!("{base}/{file}"))],
        )?;
        ensure(outcome == "refused", || {
            format!("a host page fetched {base}/{file}: {outcome}")
        })?;
    }
    Ok(())
}

/// The content script marks the compose root it detected (`data-salespane-compose`).
fn compose_is_marked(browser: &Browser, compose_id: &str) -> Result<()> {
    wait::until(
        &format!("the extension to mark compose {compose_id} with data-salespane-compose"),
        PANEL_TIMEOUT,
        || {
            let marked = browser.execute(
                "const root = document.querySelector('[data-fixture-compose-id=\"' + arguments[0] + '\"]');
                 return !!root && (root.matches('[data-salespane-compose]')
                   || !!root.querySelector('[data-salespane-compose]')
                   || !!root.closest('[data-salespane-compose]'));",
                vec![json!(compose_id)],
            )?;
            Ok(marked.as_bool().filter(|m| *m))
        },
    )
    .map(drop)
}

macro_rules! in_every_browser {
    ($($scenario:ident),* $(,)?) => {
        mod chromium {
            $(
                #[test]
                fn $scenario() {
                    salespane_e2e::scenario::run(
                        salespane_e2e::BrowserKind::Chromium,
                        stringify!($scenario),
                        super::$scenario,
                    );
                }
            )*
        }
        mod firefox {
            $(
                #[test]
                fn $scenario() {
                    salespane_e2e::scenario::run(
                        salespane_e2e::BrowserKind::Firefox,
                        stringify!($scenario),
                        super::$scenario,
                    );
                }
            )*
        }
    };
}

in_every_browser!(
    lightning_lead_page,
    lightning_navigation_without_reload,
    classic_contact_page,
    gmail_compose,
    outlook_compose,
    gmail_missing_hook_degrades_quietly,
    host_pages_reach_only_the_panel,
);
