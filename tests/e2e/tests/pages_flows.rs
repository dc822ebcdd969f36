//! The extension's own pages end to end, in Chromium and Firefox, against a real
//! `salespane-server --sandbox`: a new sales user goes through onboarding; an admin imports
//! users up to the seat limit and sees the next import refused with its reason; a sales user
//! gets no admin page. Sign-in goes through the background's `signIn` message (the sandbox
//! signs in the `loginHint` user at once). Screenshots (Chromium only, so they do not change
//! with the browser) go to `target/screenshots/`; with `SALESPANE_UPDATE_SCREENSHOTS=1` they
//! replace the README's in `docs/screenshots/`.

use salespane_e2e::fixtures::FixtureServer;
use salespane_e2e::scenario::{ensure, run};
use salespane_e2e::server::ServerProcess;
use salespane_e2e::webdriver::Session;
use salespane_e2e::{env, wait, Browser, BrowserKind, Error, Result};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "ada.admin@acme.example";
const SELLER: &str = "sam.seller@acme.example";
const WAIT: Duration = Duration::from_secs(30);

/// Sends one runtime message from the current extension page and returns the answer.
fn send(browser: &Browser, message: Value) -> Result<Value> {
    let answer = browser.execute_async(
        "const done = arguments[arguments.length - 1];
         globalThis.salespaneBrowser.send(arguments[0]).then(done, (e) => done({sendError: String(e)}));",
        vec![message],
    )?;
    if let Some(error) = answer.get("sendError") {
        return Err(Error::Expectation(format!(
            "runtime message failed: {error}"
        )));
    }
    Ok(answer)
}

/// Points the extension at `server` (what a user does on the options page).
fn use_server(browser: &Browser, server: &ServerProcess) -> Result<()> {
    browser.open_extension_page("popup.html")?;
    let answer = send(
        browser,
        json!({"v": 1, "type": "saveSettings", "settings": {"serverUrl": server.base_url()}}),
    )?;
    ensure(answer["type"] == "settings", || {
        format!("saveSettings answered {answer}")
    })
}

fn sign_in(browser: &Browser, username: &str) -> Result<Value> {
    let status = send(
        browser,
        json!({"v": 1, "type": "signIn", "interactive": true, "loginHint": username}),
    )?;
    ensure(status["signedIn"] == true, || {
        format!("signing in as {username} failed: {status}")
    })?;
    Ok(status)
}

fn api(browser: &Browser, method: &str, path: &str, body: Value) -> Result<Value> {
    let reply = send(
        browser,
        json!({"v": 1, "type": "api", "method": method, "path": path, "body": body}),
    )?;
    ensure(
        reply["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s)),
        || format!("{method} {path} answered {reply}"),
    )?;
    Ok(reply["body"].clone())
}

/// As the admin, through the extension: imports `username` from the CRM.
fn import_as_admin(browser: &Browser, username: &str) -> Result<()> {
    sign_in(browser, ADMIN)?;
    let local = username.split('@').next().unwrap_or(username);
    let page = api(
        browser,
        "GET",
        &format!("/api/v1/admin/crm/users?search={local}&page=1&page_size=10"),
        Value::Null,
    )?;
    let id = page["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == username)
        .and_then(|u| u["crm_user_id"].as_str())
        .ok_or_else(|| Error::Expectation(format!("{username} not in the CRM list: {page}")))?
        .to_string();
    let result = api(
        browser,
        "POST",
        "/api/v1/admin/users/import",
        json!({"crm_user_ids": [id]}),
    )?;
    ensure(
        result["imported"].as_array().is_some_and(|a| a.len() == 1),
        || format!("import of {username}: {result}"),
    )?;
    send(browser, json!({"v": 1, "type": "signOut"}))?;
    Ok(())
}

fn attr(browser: &Browser, css: &str, name: &str) -> Result<Option<String>> {
    let value = browser.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
        vec![json!(css), json!(name)],
    )?;
    Ok(value.as_str().map(str::to_string))
}

fn wait_attr(browser: &Browser, css: &str, name: &str, want: &str) -> Result<()> {
    let mut last = None;
    wait::until(&format!("{css} [{name}={want}]"), WAIT, || {
        last = attr(browser, css, name)?;
        Ok((last.as_deref() == Some(want)).then_some(()))
    })
    .map_err(|e| Error::Expectation(format!("{e}; last {name}={last:?}")))
}

fn click(browser: &Browser, css: &str) -> Result<()> {
    let element = wait::until(&format!("{css} to be enabled"), WAIT, || {
        let enabled = browser.execute(
            "const e = document.querySelector(arguments[0]); return !!e && !e.disabled;",
            vec![json!(css)],
        )?;
        if enabled != true {
            return Ok(None);
        }
        browser.find(css)
    })?;
    browser.click(&element)
}

fn text_of(browser: &Browser, css: &str) -> Result<String> {
    let value = browser.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
        vec![json!(css)],
    )?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

/// Replaces the value of an input the way a user would: select all, type.
fn type_into(browser: &Browser, css: &str, text: &str) -> Result<()> {
    browser.execute(
        "const e = document.querySelector(arguments[0]); e.focus(); e.select();",
        vec![json!(css)],
    )?;
    let element = browser
        .find(css)?
        .ok_or_else(|| Error::Expectation(format!("{css} missing")))?;
    browser.execute(
        "document.querySelector(arguments[0]).value = '';",
        vec![json!(css)],
    )?;
    browser.send_keys(&element, text)
}

/// Screenshots for the README: Chromium only; also at 200% zoom (a viewport half as wide at
/// twice the pixel density) to check that the page reflows.
fn screenshots(browser: &Browser, name: &str) -> Result<()> {
    screenshots_sized(browser, name, 900, 1000, true)
}

/// `zoom`: also at 200%, failing if the page then scrolls sideways.
fn screenshots_sized(
    browser: &Browser,
    name: &str,
    width: u32,
    height: u32,
    zoom: bool,
) -> Result<()> {
    if browser.kind() != BrowserKind::Chromium {
        return Ok(());
    }
    let dir = if std::env::var_os("SALESPANE_UPDATE_SCREENSHOTS").is_some() {
        env::repo_root().join("docs/screenshots")
    } else {
        env::repo_root().join("target/screenshots")
    };
    std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    let cdp = |cmd: &str, params: Value| {
        browser.raw(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    };
    cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
    )?;
    Session::screenshot(browser, &dir.join(format!("{name}.png")))?;
    if !zoom {
        cdp("Emulation.clearDeviceMetricsOverride", json!({}))?;
        return Ok(());
    }
    cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width / 2, "height": height / 2, "deviceScaleFactor": 2, "mobile": false}),
    )?;
    let overflow = browser.execute(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1;",
        vec![],
    )?;
    Session::screenshot(browser, &dir.join(format!("{name}-zoom200.png")))?;
    cdp("Emulation.clearDeviceMetricsOverride", json!({}))?;
    ensure(overflow == false, || {
        format!("{name} scrolls sideways at 200% zoom")
    })
}

// ----- (1) a new sales user completes onboarding --------------------------------------

fn onboarding(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    import_as_admin(browser, SELLER)?;

    browser.open_extension_page(&format!("onboarding.html?login_hint={SELLER}"))?;
    wait_attr(browser, "#salespane-page", "data-step", "welcome")?;
    click(browser, "[data-testid=start]")?;
    wait_attr(browser, "#salespane-page", "data-step", "activate")?;
    click(browser, "[data-testid=sign-in]")?;
    wait_attr(browser, "#salespane-page", "data-step", "authorize")?;
    screenshots(browser, "onboarding-authorize")?;
    click(browser, "[data-testid=authorize-skip]")?;
    wait_attr(browser, "#salespane-page", "data-step", "email-client")?;

    // A mailbox that is not the Salesforce user's address is refused with the reason.
    type_into(browser, "#onb-mailbox", "someone.else@other.example")?;
    click(browser, "[data-testid=email-continue]")?;
    wait_attr(
        browser,
        "[data-testid=error]",
        "data-code",
        "mailbox_mismatch",
    )?;
    ensure(
        attr(browser, "#onb-mailbox", "aria-invalid")?.as_deref() == Some("true"),
        || "the mailbox field is not marked invalid".into(),
    )?;
    screenshots(browser, "onboarding-mailbox-mismatch")?;
    click(browser, "#onb-client-outlook")?;
    type_into(browser, "#onb-mailbox", SELLER)?;
    click(browser, "[data-testid=email-continue]")?;
    wait_attr(browser, "#salespane-page", "data-step", "signature")?;

    type_into(browser, "#onb-signature", "Sam Seller <b>Acme</b>")?;
    click(browser, "[data-testid=signature-save]")?;
    wait_attr(browser, "#salespane-page", "data-step", "finish")?;

    // Reloading resumes where the user left.
    browser.open_extension_page("onboarding.html")?;
    wait_attr(browser, "#salespane-page", "data-step", "finish")?;
    click(browser, "[data-testid=finish]")?;
    wait_attr(browser, "#salespane-page", "data-step", "tour")?;
    wait_attr(browser, "[data-testid=tour-slide]", "data-slide", "1")?;
    click(browser, "[data-testid=tour-next]")?;
    wait_attr(browser, "[data-testid=tour-slide]", "data-slide", "2")?;
    screenshots(browser, "onboarding-tour")?;
    click(browser, "[data-testid=tour-next]")?;
    wait_attr(browser, "[data-testid=tour-slide]", "data-slide", "3")?;
    click(browser, "[data-testid=tour-next]")?;
    wait_attr(browser, "#salespane-page", "data-step", "done")?;
    ensure(
        attr(browser, "[data-testid=open-mail]", "href")?.as_deref()
            == Some("https://outlook.office.com/mail/"),
        || "the last step does not open Outlook".into(),
    )?;
    screenshots(browser, "onboarding-done")?;

    // The server holds every step.
    let state = api(browser, "GET", "/api/v1/me/onboarding", Value::Null)?;
    ensure(
        state["authorized"] == "skipped"
            && state["email_client"] == "outlook"
            && state["mailbox"] == SELLER
            && state["signature"] == "done"
            && state["finished_at"].is_i64()
            && state["tour"] == "done",
        || format!("stored onboarding state: {state}"),
    )?;
    let profile = api(browser, "GET", "/api/v1/me/profile", Value::Null)?;
    ensure(profile["signature"] == "Sam Seller <b>Acme</b>", || {
        format!("signature not saved: {profile}")
    })
}

#[test]
fn chromium_new_user_completes_onboarding() {
    run(BrowserKind::Chromium, "pages_onboarding", onboarding);
}

#[test]
fn firefox_new_user_completes_onboarding() {
    run(BrowserKind::Firefox, "pages_onboarding", onboarding);
}

// ----- (2) an admin imports up to the seat limit ----------------------------------------

/// Ticks the first `n` CRM users that can still be imported.
fn select_importable(browser: &Browser, n: usize) -> Result<Vec<String>> {
    let picked = browser.execute(
        "const boxes = [...document.querySelectorAll('[data-testid=crm-user-check]:not(:disabled)')]
           .slice(0, arguments[0]);
         for (const b of boxes) b.click();
         return boxes.map((b) => b.value);",
        vec![json!(n)],
    )?;
    let ids: Vec<String> = picked
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    ensure(ids.len() == n, || {
        format!("only {} importable users", ids.len())
    })?;
    Ok(ids)
}

fn admin_imports_to_the_seat_limit(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    sign_in(browser, ADMIN)?;
    browser.open_extension_page("admin.html")?;
    wait_attr(browser, "#salespane-page", "data-state", "ready")?;
    wait_attr(browser, "[data-testid=seats]", "data-left", "4")?;

    // Search narrows the CRM list.
    type_into(browser, "#admin-crm-search", "rep0")?;
    click(browser, "[data-testid=crm-search]")?;
    wait::until("the searched CRM list", WAIT, || {
        Ok(text_of(browser, "[data-testid=crm-page]")?
            .contains("(9 ")
            .then_some(()))
    })?;
    select_importable(browser, 4)?;
    click(browser, "[data-testid=import]")?;
    wait_attr(browser, "[data-testid=import-status]", "data-imported", "4")?;
    let progress = text_of(browser, ".progress [data-testid=progress-text]")?;
    ensure(progress.contains('4'), || {
        format!("progress text: {progress:?}")
    })?;
    wait_attr(browser, "[data-testid=seats]", "data-left", "0")?;
    wait::until("the no-seats explanation", WAIT, || {
        browser.find("[data-testid=no-seats]")
    })?;

    // The next import is refused, and the page says why and what to do.
    wait::until("the refreshed CRM list", WAIT, || {
        let n = browser.execute(
            "return document.querySelectorAll('[data-testid=crm-user-check]:disabled').length;",
            vec![],
        )?;
        Ok((n.as_u64() == Some(4)).then_some(()))
    })?;
    select_importable(browser, 1)?;
    click(browser, "[data-testid=import]")?;
    wait_attr(browser, "[data-testid=import-status]", "data-refused", "1")?;
    wait_attr(browser, "[data-testid=refusals] li", "data-code", "no_seat")?;
    let why = text_of(browser, "[data-testid=refusals] li")?;
    ensure(why.to_lowercase().contains("seat"), || {
        format!("the refusal does not say why: {why:?}")
    })?;
    // The list reloads after each import: wait for the five seat holders.
    wait::until("the five sales users to be listed", WAIT, || {
        let users = browser.execute(
            "return document.querySelectorAll('[data-testid=sales-users] tbody tr').length;",
            vec![],
        )?;
        Ok((users.as_u64() == Some(5)).then_some(()))
    })?;
    browser.execute("window.scrollTo(0, 0);", vec![])?;
    screenshots(browser, "admin-users")?;
    // The other sections, each loaded on its own (one missing endpoint says so in place).
    wait_attr(browser, "[data-testid=crm-state]", "data-connected", "true")?;
    browser.execute(
        "document.getElementById('admin-crm').scrollIntoView();",
        vec![],
    )?;
    screenshots(browser, "admin-sections")
}

#[test]
fn chromium_admin_imports_to_the_seat_limit() {
    run(
        BrowserKind::Chromium,
        "pages_admin_import",
        admin_imports_to_the_seat_limit,
    );
}

#[test]
fn firefox_admin_imports_to_the_seat_limit() {
    run(
        BrowserKind::Firefox,
        "pages_admin_import",
        admin_imports_to_the_seat_limit,
    );
}

// ----- (3) a sales user gets no admin page ----------------------------------------------

fn sales_user_sees_no_admin_page(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    import_as_admin(browser, SELLER)?;
    sign_in(browser, SELLER)?;
    browser.open_extension_page("admin.html")?;
    wait_attr(browser, "#salespane-page", "data-state", "not-admin")?;
    let leaked = browser.execute(
        "return document.querySelectorAll('[data-testid=seats], table, [data-testid=crm-users]').length;",
        vec![],
    )?;
    ensure(leaked.as_u64() == Some(0), || {
        format!("{leaked} admin elements shown to a sales user")
    })?;
    let text = text_of(browser, "[data-testid=not-admin]")?;
    ensure(!text.is_empty(), || "no explanation shown".into())?;
    screenshots(browser, "admin-not-admin")?;
    browser.open_extension_page("popup.html")?;
    std::thread::sleep(Duration::from_millis(500));
    screenshots_sized(browser, "popup", 360, 320, false)
}

#[test]
fn chromium_sales_user_sees_no_admin_page() {
    run(
        BrowserKind::Chromium,
        "pages_not_admin",
        sales_user_sees_no_admin_page,
    );
}

#[test]
fn firefox_sales_user_sees_no_admin_page() {
    run(
        BrowserKind::Firefox,
        "pages_not_admin",
        sales_user_sees_no_admin_page,
    );
}

// ----- before sign-in --------------------------------------------------------------------

fn signed_out_pages(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    browser.open_extension_page("onboarding.html")?;
    wait_attr(browser, "#salespane-page", "data-step", "welcome")?;
    screenshots(browser, "onboarding-welcome")?;
    // Keyboard: Tab reaches the start button, Enter presses it.
    let start = browser
        .find("[data-testid=start]")?
        .ok_or_else(|| Error::Expectation("no start button".into()))?;
    browser.send_keys(&start, "\u{E007}")?;
    wait_attr(browser, "#salespane-page", "data-step", "activate")?;
    let steps = browser.execute(
        "return [...document.querySelectorAll('ol.steps li')].map((li) => li.getAttribute('aria-current'));",
        vec![],
    )?;
    ensure(steps[1] == "step", || format!("step markers: {steps}"))?;
    screenshots(browser, "onboarding-activate")?;
    browser.open_extension_page("admin.html")?;
    wait::until("the admin page to refuse", WAIT, || {
        let state = attr(browser, "#salespane-page", "data-state")?;
        Ok(matches!(state.as_deref(), Some("signed-out" | "error")).then_some(()))
    })?;
    let leaked = browser.execute(
        "return document.querySelectorAll('[data-testid=seats], table').length;",
        vec![],
    )?;
    ensure(leaked.as_u64() == Some(0), || {
        "admin data shown signed out".into()
    })?;
    screenshots(browser, "admin-signed-out")
}

#[test]
fn chromium_pages_before_sign_in() {
    run(BrowserKind::Chromium, "pages_signed_out", signed_out_pages);
}

#[test]
fn firefox_pages_before_sign_in() {
    run(BrowserKind::Firefox, "pages_signed_out", signed_out_pages);
}

// ----- profile and settings on the options page -------------------------------------------

fn settings_sections(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    import_as_admin(browser, SELLER)?;
    sign_in(browser, SELLER)?;
    browser.open_extension_page("options.html")?;
    wait_attr(browser, "#profile-settings", "data-settings", "ready")?;

    // The server's validation error is shown beside the field it names.
    type_into(
        browser,
        "#set-never-log",
        "competitor.example\nnot-a-domain",
    )?;
    click(browser, "[data-testid=settings-never-log-save]")?;
    wait_attr(browser, "#set-never-log", "aria-invalid", "true")?;
    let beside = text_of(browser, "#set-never-log-error")?;
    ensure(beside.contains("not-a-domain"), || {
        format!("field error: {beside:?}")
    })?;
    type_into(
        browser,
        "#set-never-log",
        "competitor.example\nAnn@Partner.example",
    )?;
    click(browser, "[data-testid=settings-never-log-save]")?;
    wait_attr(
        browser,
        "[data-testid=settings-never-log-status]",
        "data-kind",
        "ok",
    )?;

    // Alerts with quiet hours, and default tracking off.
    click(browser, "#set-alert-visit")?;
    click(browser, "#set-quiet-on")?;
    type_into(browser, "#set-quiet-tz", "Europe/Paris")?;
    click(browser, "[data-testid=settings-alerts-save]")?;
    wait_attr(
        browser,
        "[data-testid=settings-alerts-status]",
        "data-kind",
        "ok",
    )?;
    click(browser, "#set-default-track")?;
    click(browser, "[data-testid=settings-tracking-save]")?;
    wait_attr(
        browser,
        "[data-testid=settings-tracking-status]",
        "data-kind",
        "ok",
    )?;
    // Personal details: a refused photo address is said beside its field...
    let photo = browser.execute("return document.querySelector('#set-photo').value;", vec![])?;
    type_into(browser, "#set-photo", "http://photos.example/sam.png")?;
    click(browser, "[data-testid=settings-details-save]")?;
    wait_attr(browser, "#set-photo", "aria-invalid", "true")?;
    let beside = text_of(browser, "#set-photo-error")?;
    ensure(beside.contains("https://"), || {
        format!("photo field error: {beside:?}")
    })?;
    // ...and unchanged fields are not sent again.
    type_into(browser, "#set-photo", photo.as_str().unwrap_or_default())?;
    type_into(browser, "#set-title", "Senior Account Executive")?;
    click(browser, "[data-testid=settings-details-save]")?;
    wait_attr(
        browser,
        "[data-testid=settings-details-status]",
        "data-kind",
        "ok",
    )?;
    let me = api(browser, "GET", "/api/v1/me", Value::Null)?;
    ensure(me["user"]["title"] == "Senior Account Executive", || {
        format!("title not saved: {}", me["user"])
    })?;
    let profile = api(browser, "GET", "/api/v1/me/profile", Value::Null)?;
    ensure(
        profile["never_log"] == json!(["competitor.example", "ann@partner.example"])
            && profile["alerts"]["on_website_visit"] == true
            && profile["alerts"]["quiet_hours"]["time_zone"] == "Europe/Paris"
            && profile["default_track"] == false,
        || format!("stored profile: {profile}"),
    )?;
    browser.execute("window.scrollTo(0, 0);", vec![])?;
    screenshots(browser, "options-settings")
}

#[test]
fn chromium_settings_sections_save_and_show_field_errors() {
    run(BrowserKind::Chromium, "pages_settings", settings_sections);
}

#[test]
fn firefox_settings_sections_save_and_show_field_errors() {
    run(BrowserKind::Firefox, "pages_settings", settings_sections);
}

// ----- admin settings: teams, privileges, SCIM tokens -------------------------------------

fn admin_settings(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    sign_in(browser, ADMIN)?;
    browser.open_extension_page("admin.html")?;
    wait_attr(browser, "#salespane-page", "data-state", "ready")?;

    // Teams: create, then put the admin on it.
    wait::until("the teams section", WAIT, || browser.find("#team-new-name"))?;
    type_into(browser, "#team-new-name", "West <b>Coast</b>")?;
    click(browser, "[data-testid=team-create]")?;
    wait::until("the new team", WAIT, || {
        browser.find("#admin-teams fieldset[data-team-id]")
    })?;
    let legend = text_of(browser, "#admin-teams fieldset[data-team-id] legend")?;
    ensure(legend == "West <b>Coast</b>", || {
        format!("team name shown as {legend:?}")
    })?;
    browser.execute(
        "document.querySelector('#admin-teams fieldset[data-team-id] input[type=checkbox]').click();",
        vec![],
    )?;
    click(browser, "[data-testid=team-members-save]")?;
    wait::until("the saved members", WAIT, || {
        let teams = api(browser, "GET", "/api/v1/admin/teams", Value::Null)?;
        Ok((teams[0]["members"].as_array().map(Vec::len) == Some(1)).then_some(()))
    })?;

    // Privileges: hide the score from sales users.
    click(browser, "#priv-compScore")?;
    click(browser, "[data-testid=privileges-save]")?;
    wait_attr(
        browser,
        "[data-testid=privileges-status]",
        "data-kind",
        "ok",
    )?;
    let privileges = api(browser, "GET", "/api/v1/admin/privileges", Value::Null)?;
    ensure(privileges["hidden_components"] == json!(["score"]), || {
        format!("privileges: {privileges}")
    })?;

    // SCIM: a token is shown once, then revoked.
    type_into(browser, "#scim-name", "Okta")?;
    click(browser, "[data-testid=scim-create]")?;
    wait::until("the issued token", WAIT, || {
        browser.find("#scim-token-value")
    })?;
    let token = browser.execute(
        "return document.querySelector('#scim-token-value').value;",
        vec![],
    )?;
    ensure(token.as_str().is_some_and(|t| t.len() > 20), || {
        format!("token shown: {token}")
    })?;
    browser.execute(
        "document.getElementById('admin-scim').scrollIntoView();",
        vec![],
    )?;
    screenshots(browser, "admin-scim")?;
    click(browser, "[data-testid=scim-revoke]")?;
    wait::until("the token to be revoked", WAIT, || {
        let tokens = api(browser, "GET", "/api/v1/admin/scim-tokens", Value::Null)?;
        let revoked = tokens[0]["revoked_at"].is_i64();
        let listed = browser.find("[data-token-id]")?.is_some();
        Ok((revoked && !listed).then_some(()))
    })
}

#[test]
fn chromium_admin_manages_teams_privileges_and_scim_tokens() {
    run(
        BrowserKind::Chromium,
        "pages_admin_settings",
        admin_settings,
    );
}

#[test]
fn firefox_admin_manages_teams_privileges_and_scim_tokens() {
    run(BrowserKind::Firefox, "pages_admin_settings", admin_settings);
}

// ----- a user without API access is told what the admin must change -----------------------

const NO_API: &str = "nora.noapi@acme.example";

fn user_without_api_access(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    import_as_admin(browser, NO_API)?;
    browser.open_extension_page(&format!("onboarding.html?login_hint={NO_API}"))?;
    click(browser, "[data-testid=start]")?;
    click(browser, "[data-testid=sign-in]")?;
    wait_attr(browser, "#salespane-page", "data-step", "authorize")?;

    // Authorizing opens Salesforce's sign-in in the browser's identity window (the user name
    // prefilled, so the sandbox signs her in at once); the code comes back to the extension,
    // which hands it to the server under her own token.
    click(browser, "[data-testid=authorize-connect]")?;
    wait::until("the connection to be stored", WAIT, || {
        Ok(browser.find("[data-testid=connected-as]")?.map(|_| ()))
    })?;
    let connected = text_of(browser, "[data-testid=connected-as]")?;
    ensure(connected.contains(NO_API), || {
        format!("connected as someone else: {connected:?}")
    })?;
    ensure(browser.window_handles()?.len() == 1, || {
        "the connection left a Salesforce tab open".into()
    })?;

    click(browser, "[data-testid=authorize-check]")?;
    wait_attr(browser, "[data-testid=error]", "data-code", "no_api_access")?;
    let said = text_of(browser, "[data-testid=error]")?;
    ensure(said.contains("API Enabled"), || {
        format!("the page does not say what to change: {said:?}")
    })?;
    // Not authorized: the step stays until the admin fixes the profile (or she skips).
    ensure(
        attr(browser, "#salespane-page", "data-step")?.as_deref() == Some("authorize"),
        || "onboarding moved on without API access".into(),
    )?;
    screenshots(browser, "onboarding-no-api-access")
}

#[test]
fn chromium_user_without_api_access_is_told_what_to_change() {
    run(
        BrowserKind::Chromium,
        "pages_no_api",
        user_without_api_access,
    );
}

#[test]
fn firefox_user_without_api_access_is_told_what_to_change() {
    run(
        BrowserKind::Firefox,
        "pages_no_api",
        user_without_api_access,
    );
}

// ----- select all on a page, import in chunks with progress, paging ----------------------

fn import_a_whole_page_in_chunks(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    use_server(browser, &server)?;
    sign_in(browser, ADMIN)?;
    browser.open_extension_page("admin.html")?;
    wait_attr(browser, "#salespane-page", "data-state", "ready")?;
    type_into(browser, "#admin-crm-search", "rep")?;
    click(browser, "[data-testid=crm-search]")?;
    // The 40 generated reps and sara.rep: two pages of 25.
    wait::until("two pages of reps", WAIT, || {
        Ok(text_of(browser, "[data-testid=crm-page]")?
            .contains("of 2")
            .then_some(()))
    })?;
    click(browser, "[data-testid=crm-next]")?;
    wait::until("page 2", WAIT, || {
        let shown = browser.execute(
            "return document.querySelectorAll('[data-testid=crm-user-check]').length;",
            vec![],
        )?;
        Ok(shown
            .as_u64()
            .is_some_and(|n| (1..25).contains(&n))
            .then_some(()))
    })?;
    click(browser, "[data-testid=crm-prev]")?;
    wait::until("page 1 again", WAIT, || {
        let shown = browser.execute(
            "return document.querySelectorAll('[data-testid=crm-user-check]').length;",
            vec![],
        )?;
        Ok((shown.as_u64() == Some(25)).then_some(()))
    })?;
    click(browser, "#crm-select-all")?;
    click(browser, "[data-testid=import]")?;
    // 25 ids in chunks of 10: the seats run out after four; the rest are refused, each
    // saying why.
    wait_attr(browser, "[data-testid=import-status]", "data-imported", "4")?;
    wait_attr(browser, "[data-testid=import-status]", "data-refused", "21")?;
    let progress = text_of(browser, ".progress [data-testid=progress-text]")?;
    ensure(progress.starts_with("25"), || {
        format!("progress text: {progress:?}")
    })?;
    let max = browser.execute(
        "return document.querySelector('.progress progress').max;",
        vec![],
    )?;
    let value = browser.execute(
        "return document.querySelector('.progress progress').value;",
        vec![],
    )?;
    ensure(
        max.as_f64() == Some(25.0) && value.as_f64() == Some(25.0),
        || format!("progress {value} of {max}"),
    )?;
    wait_attr(browser, "[data-testid=seats]", "data-left", "0")
}

#[test]
fn chromium_admin_imports_a_whole_page_in_chunks() {
    run(
        BrowserKind::Chromium,
        "pages_import_chunks",
        import_a_whole_page_in_chunks,
    );
}

#[test]
fn firefox_admin_imports_a_whole_page_in_chunks() {
    run(
        BrowserKind::Firefox,
        "pages_import_chunks",
        import_a_whole_page_in_chunks,
    );
}
