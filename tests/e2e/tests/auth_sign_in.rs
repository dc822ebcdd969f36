//! Sign-in end to end, in Chromium and Firefox: the options page points the extension at a
//! real `salespane-server --sandbox`, the popup signs in through `identity.launchWebAuthFlow`
//! against the sandbox's Salesforce stand-in (the options' user name is sent as `login_hint`,
//! so no login page needs clicking), and the popup shows the user. Then no token may appear in
//! a host page (DOM, `window`, web storage, cookies) or in the panel frame, and the refresh token
//! is in `storage.local` (which content scripts can read) only sealed; an expired access token is
//! refreshed once, and calls that hit 401 together share one refresh; a new sign-in revokes the
//! previous grant; sign-out clears both storage areas and revokes the grant; a lost sealing key
//! signs the user out instead of breaking. And the stored sign-in state cannot be redirected:
//! settings and grant written into `storage.local` the way a content script can are refused
//! (nothing reaches the endpoint they name, and the user is asked to sign in again), and the
//! access token is never sent to another server than the one it was obtained for.

use salespane_e2e::fixtures::{FixtureServer, LIGHTNING};
use salespane_e2e::listener::Listener;
use salespane_e2e::panel::PANEL_IFRAME;
use salespane_e2e::scenario::{ensure, open_fixture};
use salespane_e2e::server::ServerProcess;
use salespane_e2e::{wait, Browser, BrowserKind, Error, Result};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "ada.admin@acme.example";
/// Seeded in the sandbox's org but not imported into Salespane by its admin.
const SELLER: &str = "sam.seller@acme.example";
const LEAD_PAGE: &str = "/lightning/r/Lead/00Q5e00000AbCdEEAV/view";
const TIMEOUT: Duration = Duration::from_secs(30);

/// Reads `storage.<area>[key]` from an extension page (the current browsing context).
fn stored(browser: &Browser, area: &str, key: &str) -> Result<Value> {
    browser.execute_async(
        "const [area, key, done] = arguments;
         salespaneBrowser.storageGet(area, key).then((v) => done(v === undefined ? null : v),
           (e) => done({ storageError: String(e) }));",
        vec![json!(area), json!(key)],
    )
}

/// All of `storage.local`, as JSON text, read from an extension page.
fn local_storage_text(browser: &Browser) -> Result<String> {
    let all = browser.execute_async(
        "const done = arguments[0];
         const api = salespaneBrowser.name === 'firefox' ? browser : chrome;
         api.storage.local.get(null).then(done, (e) => done({ storageError: String(e) }));",
        vec![],
    )?;
    ensure(all.get("storageError").is_none(), || {
        format!("storage.local not readable: {all}")
    })?;
    Ok(all.to_string())
}

/// The refresh token, opened from the sealed grant by an extension page (the extension's own
/// origin holds the key; a content script, in the host page's origin, does not).
fn unsealed_refresh_token(browser: &Browser) -> Result<String> {
    let grant = stored(browser, "local", "salespane.auth")?;
    let fields: Vec<&String> = grant
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    ensure(fields == ["sealed"], || {
        format!("storage.local holds the grant other than sealed whole: {grant}")
    })?;
    let sealed = grant["sealed"].as_str().unwrap_or_default();
    let opened = browser.execute_async(
        "const [sealed, done] = arguments;
         salespaneBrowser.openLocal(sealed, 'salespane.auth').then((t) => done({ grant: JSON.parse(t) }),
           (e) => done({ openError: String(e) }));",
        vec![json!(sealed)],
    )?;
    let token = opened["grant"]["refreshToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure(token.len() > 20 && !sealed.contains(&token), || {
        format!("the sealed grant does not open to a refresh token: {opened}")
    })?;
    let local = local_storage_text(browser)?;
    ensure(!local.contains(&token), || {
        "the refresh token is readable in clear in storage.local".into()
    })?;
    Ok(token)
}

fn send_from_page(browser: &Browser, message: Value) -> Result<Value> {
    browser.execute_async(
        "const [message, done] = arguments;
         salespaneBrowser.send(message).then(done, (e) => done({ sendError: String(e) }));",
        vec![message],
    )
}

fn popup_state(browser: &Browser) -> Result<Option<String>> {
    let state = browser.execute(
        "const m = document.getElementById('salespane-popup');
         return m ? m.getAttribute('data-state') : null;",
        vec![],
    )?;
    Ok(state.as_str().map(str::to_string))
}

fn wait_popup(browser: &Browser, want: &str) -> Result<()> {
    wait::until(&format!("the popup to show `{want}`"), TIMEOUT, || {
        Ok((popup_state(browser)?.as_deref() == Some(want)).then_some(()))
    })
    .map_err(|err| {
        let shown = browser
            .execute(
                "const m = document.getElementById('salespane-popup'); return m ? m.innerText : document.body.innerText;",
                vec![],
            )
            .unwrap_or_default();
        Error::Expectation(format!("{err}; the popup shows: {shown}"))
    })
}

/// Reloads the popup and waits for the NEW document to show `want` (the old one may show the
/// same state until the reload lands, and its buttons then go stale under a click).
fn reload_popup(browser: &Browser, want: &str) -> Result<()> {
    browser.execute(
        "document.documentElement.setAttribute('data-before-reload', ''); location.reload();",
        vec![],
    )?;
    wait::until("the popup to reload", TIMEOUT, || {
        let old = browser.execute(
            "return document.documentElement.hasAttribute('data-before-reload');",
            vec![],
        )?;
        Ok((old == false).then_some(()))
    })?;
    wait_popup(browser, want)
}

fn click(browser: &Browser, css: &str) -> Result<()> {
    let element = wait::until(&format!("{css} to appear"), TIMEOUT, || browser.find(css))?;
    browser.click(&element)
}

/// Opens the options page in a new tab and makes it current. Firefox's WebDriver may not
/// navigate to moz-extension:// URLs, so the tab is opened by an extension page already shown:
/// the panel frame of a host page (it asks the background: Firefox gives extension frames
/// inside web pages no `tabs` API).
fn open_options_tab(browser: &Browser, fixtures: &FixtureServer) -> Result<String> {
    let page = "options.html";
    open_fixture(browser, &fixtures.url(LIGHTNING, LEAD_PAGE))?;
    let frame = wait::until("the panel iframe", TIMEOUT, || {
        browser.find(&format!("div.windowViewMode-normal.active {PANEL_IFRAME}"))
    })?;
    let before = browser.window_handles()?;
    browser.switch_to_frame(&frame)?;
    wait::until("the panel's adapter", TIMEOUT, || {
        Ok(browser
            .execute(
                "return typeof globalThis.salespaneBrowser === 'object';",
                vec![],
            )?
            .as_bool()
            .filter(|ready| *ready))
    })?;
    browser.execute(
        "salespaneBrowser.send({v: 1, type: 'openPage', page: 'options'}); return true;",
        vec![],
    )?;
    browser.switch_to_top()?;
    let handle = wait::until("the extension tab to open", TIMEOUT, || {
        Ok(browser
            .window_handles()?
            .into_iter()
            .find(|h| !before.contains(h)))
    })?;
    browser.switch_to_window(&handle)?;
    wait::until(&format!("{page} to load"), TIMEOUT, || {
        let url = browser.current_url()?;
        Ok(url.ends_with(page).then_some(()))
    })?;
    Ok(handle)
}

/// Fills the options form's server URL and user name and saves it with a real click.
fn save_options(browser: &Browser, server_url: &str, login_hint: &str) -> Result<()> {
    wait::until("the options form to be filled", TIMEOUT, || {
        let value = browser.execute(
            "const e = document.getElementById('server-url'); return e ? e.value : null;",
            vec![],
        )?;
        Ok(value.as_str().filter(|v| !v.is_empty()).map(str::to_string))
    })?;
    browser.execute(
        "document.getElementById('settings-status').removeAttribute('data-state');
         document.getElementById('server-url').value = arguments[0];
         document.getElementById('login-hint').value = arguments[1];",
        vec![json!(server_url), json!(login_hint)],
    )?;
    click(browser, "#save-connection")?;
    wait::until("the options to be saved", TIMEOUT, || {
        let state = browser.execute(
            "const s = document.getElementById('settings-status'); return [s.getAttribute('data-state'), s.textContent];",
            vec![],
        )?;
        match state[0].as_str() {
            Some("saved") => Ok(Some(())),
            Some("error") => Err(Error::Expectation(format!(
                "options not saved: {}",
                state[1]
            ))),
            _ => Ok(None),
        }
    })
}

fn problem_code(browser: &Browser) -> Result<Option<String>> {
    let code = browser.execute(
        "const p = document.querySelector('[data-testid=problem]'); return p ? p.getAttribute('data-code') : null;",
        vec![],
    )?;
    Ok(code.as_str().map(str::to_string))
}

/// Errors say what to do: an unreachable server, then a user the admin has not imported
/// (a sales user, who never sees the admin entry).
fn sign_in_errors_say_what_to_do(browser: &Browser, fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start_sandbox()?;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(Error::io("finding a closed port"))?;
    open_options_tab(browser, fixtures)?;
    save_options(browser, &format!("http://{dead}"), ADMIN)?;
    browser.execute("location.href = 'popup.html';", vec![])?;
    wait_popup(browser, "signed-out")?;
    click(browser, "[data-testid=sign-in]")?;
    let code = wait::until("the popup to show a problem", TIMEOUT, || {
        problem_code(browser)
    })?;
    ensure(code == "server_unreachable", || {
        format!("an unreachable server shows problem `{code}`")
    })?;
    ensure(
        popup_state(browser)?.as_deref() == Some("signed-out"),
        || "signed in without a server?".into(),
    )?;

    browser.execute("location.href = 'options.html';", vec![])?;
    save_options(browser, server.base_url(), SELLER)?;
    browser.execute("location.href = 'popup.html';", vec![])?;
    wait_popup(browser, "signed-out")?;
    click(browser, "[data-testid=sign-in]")?;
    wait_popup(browser, "refused")?;
    let code = problem_code(browser)?;
    ensure(code.as_deref() == Some("not_imported"), || {
        format!("a user not imported sees problem {code:?}")
    })?;
    ensure(browser.find("[data-testid=open-admin]")?.is_none(), || {
        "a sales user sees the admin entry".into()
    })?;
    click(browser, "[data-testid=sign-out]")?;
    wait_popup(browser, "signed-out")?;
    Ok(())
}

fn sandbox_post(server: &ServerProcess, path: &str, body: Value) -> Result<Value> {
    let url = format!("{}/sfdc{path}", server.base_url());
    ureq::post(&url)
        .send_json(&body)
        .map_err(|e| Error::Expectation(format!("POST {url}: {e}")))?
        .into_body()
        .read_json::<Value>()
        .map_err(|e| Error::Expectation(format!("POST {url} answered no JSON: {e}")))
}

/// Queues a fault at the sandbox (answered 204, no body).
fn sandbox_fault(server: &ServerProcess, fault: Value) -> Result<()> {
    let url = format!("{}/sfdc/_sandbox/faults", server.base_url());
    ureq::post(&url)
        .send_json(&fault)
        .map(|_| ())
        .map_err(|e| Error::Expectation(format!("POST {url}: {e}")))
}

fn token_active(server: &ServerProcess, token: &str) -> Result<bool> {
    let url = format!("{}/sfdc/services/oauth2/introspect", server.base_url());
    let answer: Value = ureq::post(&url)
        .send_form([("token", token)])
        .map_err(|e| Error::Expectation(format!("POST {url}: {e}")))?
        .into_body()
        .read_json()
        .map_err(|e| Error::Expectation(format!("introspect answered no JSON: {e}")))?;
    Ok(answer["active"] == true)
}

/// Everything a host page (or anything running in it) can read, as one text.
const HOST_PAGE_VIEW: &str = "
    const parts = [document.documentElement.outerHTML, document.cookie];
    for (const store of [localStorage, sessionStorage]) {
      for (let i = 0; i < store.length; i++) parts.push(store.key(i), store.getItem(store.key(i)));
    }
    for (const name of Object.getOwnPropertyNames(window)) {
      try {
        const value = window[name];
        if (typeof value === 'string') parts.push(value);
        else if (value && typeof value === 'object' && !(value instanceof Node) && value !== window) {
          parts.push(JSON.stringify(value));
        }
      } catch (_) { /* cross-origin or cyclic: not readable as text */ }
    }
    for (const entry of performance.getEntries()) parts.push(entry.name);
    return parts.join('\\n');";

fn sign_in_shows_the_user_and_no_token_leaks(
    browser: &Browser,
    fixtures: &FixtureServer,
) -> Result<()> {
    // No identity cache on the server, so an expired access token is refused at once.
    let server = ServerProcess::start(&["--sandbox", "--token-cache-seconds", "0"])?;
    let host_tab = browser
        .window_handles()?
        .first()
        .cloned()
        .unwrap_or_default();

    // 1. Options: the server URL and the user name (sent as login_hint).
    open_options_tab(browser, fixtures)?;
    save_options(browser, server.base_url(), ADMIN)?;

    // 2. The popup, signed out, then signed in through the identity window.
    browser.execute("location.href = 'popup.html';", vec![])?;
    wait_popup(browser, "signed-out")?;
    let label = browser.execute(
        "return document.querySelector('[data-testid=sign-in]').textContent;",
        vec![],
    )?;
    ensure(
        label.as_str().is_some_and(|l| l.contains("Salesforce")),
        || format!("the sign-in button says {label}"),
    )?;
    click(browser, "[data-testid=sign-in]")?;
    wait_popup(browser, "signed-in")?;
    let shown = browser.execute(
        "return ['user-email','user-name','account-name'].map((id) => document.querySelector(`[data-testid=${id}]`).getAttribute('data-value'));",
        vec![],
    )?;
    ensure(shown[0] == ADMIN, || format!("the popup shows {shown}"))?;
    ensure(browser.find("[data-testid=open-admin]")?.is_some(), || {
        "an admin does not see the admin entry".into()
    })?;
    // For the README and a look at 200% zoom: target/screenshots/<browser>-auth-popup*.png.
    let name = browser.kind().name();
    browser.screenshot_named(&format!("{name}-auth-popup"))?;
    browser.execute("document.documentElement.style.zoom = '2';", vec![])?;
    browser.screenshot_named(&format!("{name}-auth-popup-200"))?;
    browser.execute("document.documentElement.style.zoom = '';", vec![])?;

    // 3. The tokens are where they belong: access in session storage, refresh in local but
    //    only sealed (content scripts can read storage.local).
    let session = stored(browser, "session", "salespane.auth.session")?;
    let access = session["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ensure(access.len() > 20, || {
        format!("no access token in storage.session: {session}")
    })?;
    let refresh = unsealed_refresh_token(browser)?;
    ensure(token_active(&server, &refresh)?, || {
        "the unsealed refresh token is not one the identity provider issued".into()
    })?;
    let local = local_storage_text(browser)?;
    ensure(!local.contains(&access), || {
        "the access token is in storage.local".into()
    })?;
    let me_answer = browser.execute_async(
        "salespaneBrowser.send({v:1,type:'authStatus'}).then(arguments[0]);",
        vec![],
    )?;
    let page_view = serde_json::to_string(&me_answer).unwrap_or_default();
    ensure(
        !page_view.contains(&access) && !page_view.contains(&refresh),
        || "authStatus handed a token to an extension page".into(),
    )?;
    ensure(me_answer["me"]["signing_key"]["secret"] == "", || {
        format!("authStatus handed the link-signing secret to a page: {me_answer}")
    })?;

    // 4. A host page with the panel, while signed in: no token anywhere it can read.
    let popup_tab = browser
        .window_handles()?
        .last()
        .cloned()
        .unwrap_or_default();
    browser.switch_to_window(&host_tab)?;
    open_fixture(browser, &fixtures.url(LIGHTNING, LEAD_PAGE))?;
    let frame = wait::until("the panel iframe", TIMEOUT, || {
        browser.find(&format!("div.windowViewMode-normal.active {PANEL_IFRAME}"))
    })?;
    let host_view = browser.execute(HOST_PAGE_VIEW, vec![])?;
    let host_text = host_view.as_str().unwrap_or_default();
    ensure(host_text.len() > 1000, || {
        "the host page view is empty".into()
    })?;
    browser.switch_to_frame(&frame)?;
    let panel_text = browser
        .execute("return document.documentElement.outerHTML;", vec![])?
        .as_str()
        .unwrap_or_default()
        .to_string();
    browser.switch_to_top()?;
    for (place, text) in [
        ("host page", host_text),
        ("panel frame", panel_text.as_str()),
    ] {
        for (name, token) in [("access", &access), ("refresh", &refresh)] {
            ensure(!text.contains(token.as_str()), || {
                format!("the {name} token is readable in the {place}")
            })?;
        }
    }

    // 5. An expired access token is refreshed once and the call retried.
    browser.switch_to_window(&popup_tab)?;
    sandbox_post(&server, "/_sandbox/expire", json!({"all": true}))?;
    let reply = browser.execute_async(
        "salespaneBrowser.send({v:1,type:'api',method:'GET',path:'/api/v1/me',body:null}).then(arguments[0]);",
        vec![],
    )?;
    ensure(
        reply["type"] == "apiReply" && reply["status"] == 200,
        || format!("after expiry the API call answered {reply}"),
    )?;
    ensure(reply["body"]["user"]["email"] == ADMIN, || {
        format!("{reply}")
    })?;
    // The link-signing secret stays in the background, in API answers too.
    ensure(reply["body"]["signing_key"]["secret"] == "", || {
        format!("GET /api/v1/me handed the link-signing secret to a page: {reply}")
    })?;
    let rotated = send_from_page(
        browser,
        json!({"v":1,"type":"api","method":"POST","path":"/api/v1/me/signing-key/rotate","body":null}),
    )?;
    ensure(
        rotated["status"] == 200 && rotated["body"]["secret"] == "",
        || format!("the key rotation answered a page with {rotated}"),
    )?;
    let cached = stored(browser, "session", "salespane.me")?;
    ensure(
        cached["signing_key"]["id"] == rotated["body"]["id"]
            && cached["signing_key"]["secret"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
        || "the background did not keep the rotated signing key".into(),
    )?;
    let renewed = stored(browser, "session", "salespane.auth.session")?;
    ensure(
        renewed["accessToken"].as_str().is_some_and(|t| t != access),
        || "the access token was not refreshed".into(),
    )?;

    // 5b. Calls that hit 401 together share ONE refresh: the token endpoint answers the first
    //     refresh slowly and fails any further one, which would end the session.
    let token_path = "/services/oauth2/token";
    sandbox_fault(
        &server,
        json!({"path_contains": token_path, "delay_ms": 1500}),
    )?;
    sandbox_fault(
        &server,
        json!({"path_contains": token_path, "status": 500, "times": 5}),
    )?;
    sandbox_post(&server, "/_sandbox/expire", json!({"all": true}))?;
    let replies = browser.execute_async(
        "const done = arguments[0];
         const call = () => salespaneBrowser.send({v:1,type:'api',method:'GET',path:'/api/v1/me',body:null});
         Promise.all([call(), call(), call()]).then(done, (e) => done([{ sendError: String(e) }]));",
        vec![],
    )?;
    let cleared = ureq::delete(&format!("{}/sfdc/_sandbox/faults", server.base_url()))
        .call()
        .map_err(|e| Error::Expectation(format!("clearing sandbox faults: {e}")));
    cleared?;
    let statuses: Vec<Value> = replies
        .as_array()
        .map(|all| all.iter().map(|r| r["status"].clone()).collect())
        .unwrap_or_default();
    ensure(statuses == vec![json!(200); 3], || {
        format!("concurrent calls after expiry answered {replies}")
    })?;

    // 5c. The identity provider failing for a moment (a 5xx on refresh) does not sign the user
    //     out: the call says so, and the next one refreshes and succeeds.
    sandbox_fault(
        &server,
        json!({"path_contains": token_path, "status": 503, "times": 1}),
    )?;
    sandbox_post(&server, "/_sandbox/expire", json!({"all": true}))?;
    let me_call = json!({"v":1,"type":"api","method":"GET","path":"/api/v1/me","body":null});
    let failed = send_from_page(browser, me_call.clone())?;
    ensure(
        failed["status"] == 0 && failed["error"]["code"] == "sign_in_refused",
        || format!("a refresh answered 503 gave the page {failed}"),
    )?;
    let retried = send_from_page(browser, me_call)?;
    ensure(retried["status"] == 200, || {
        format!("after the provider's 503 the session was lost: {retried}")
    })?;

    // 6. A new sign-in revokes the grant it replaces.
    let signed_again = send_from_page(browser, json!({"v":1,"type":"signIn","interactive":true}))?;
    ensure(signed_again["signedIn"] == true, || {
        format!("signing in again answered {signed_again}")
    })?;
    let second_refresh = unsealed_refresh_token(browser)?;
    ensure(second_refresh != refresh, || {
        "a new sign-in kept the old refresh token".into()
    })?;
    ensure(!token_active(&server, &refresh)?, || {
        "the previous refresh token is still active after a new sign-in".into()
    })?;
    ensure(token_active(&server, &second_refresh)?, || {
        "the new refresh token is not active".into()
    })?;
    let refresh = second_refresh;

    // 7. Sign-out: both storage areas are cleared and the grant is revoked.
    reload_popup(browser, "signed-in")?;
    click(browser, "[data-testid=sign-out]")?;
    wait_popup(browser, "signed-out")?;
    for (area, key) in [
        ("session", "salespane.auth.session"),
        ("session", "salespane.me"),
        ("local", "salespane.auth"),
    ] {
        let left = stored(browser, area, key)?;
        ensure(left.is_null(), || {
            format!("storage.{area} still holds {key}: {left}")
        })?;
    }
    ensure(!token_active(&server, &refresh)?, || {
        "the refresh token is still active after sign-out".into()
    })?;

    // 8. The sealing key is lost (the extension's IndexedDB wiped) while the browser was
    //    closed (storage.session gone): the user is asked to sign in again, nothing breaks.
    click(browser, "[data-testid=sign-in]")?;
    wait_popup(browser, "signed-in")?;
    let wiped = browser.execute_async(
        "const done = arguments[0];
         salespaneBrowser.storageRemove('session', ['salespane.auth.session', 'salespane.me']).then(() => {
           const req = indexedDB.deleteDatabase('salespane-keys');
           req.onsuccess = () => done('deleted');
           req.onerror = () => done('error: ' + req.error);
           req.onblocked = () => done('blocked');
         }, (e) => done('storage: ' + e));",
        vec![],
    )?;
    ensure(wiped == "deleted", || {
        format!("wiping the sealing key: {wiped}")
    })?;
    reload_popup(browser, "signed-out")?;
    let code = problem_code(browser)?;
    ensure(code.as_deref() == Some("session_ended"), || {
        format!("a lost sealing key shows problem {code:?}")
    })?;
    let left = stored(browser, "local", "salespane.auth")?;
    ensure(left.is_null(), || {
        format!("a grant that can no longer be opened is kept: {left}")
    })?;
    Ok(())
}

/// Writes `value` at `storage.local[key]` with the browser's own API, exactly the call a
/// content script can make (`storage.local` is open to content scripts in both browsers).
fn content_script_write(browser: &Browser, key: &str, value: Value) -> Result<()> {
    let done = browser.execute_async(
        "const [key, value, done] = arguments;
         const api = salespaneBrowser.name === 'firefox' ? browser : chrome;
         api.storage.local.set({ [key]: value }).then(() => done('ok'), (e) => done(String(e)));",
        vec![json!(key), value],
    )?;
    ensure(done == "ok", || {
        format!("writing storage.local[{key}]: {done}")
    })
}

fn save_settings(browser: &Browser, settings: Value) -> Result<()> {
    let answer = send_from_page(
        browser,
        json!({"v":1,"type":"saveSettings","settings":settings}),
    )?;
    ensure(answer["type"] == "settings", || {
        format!("saveSettings answered {answer}")
    })
}

fn sign_in_as(browser: &Browser, user: &str) -> Result<()> {
    let status = send_from_page(
        browser,
        json!({"v":1,"type":"signIn","interactive":true,"loginHint":user}),
    )?;
    ensure(
        status["signedIn"] == true && status["error"].is_null(),
        || format!("signing in answered {status}"),
    )
}

/// An API call from the page after tampering (`what`): refused as not signed in, with `code`.
fn me_is_refused_with(browser: &Browser, what: &str, code: &str) -> Result<()> {
    let reply = send_from_page(
        browser,
        json!({"v":1,"type":"api","method":"GET","path":"/api/v1/me","body":null}),
    )?;
    ensure(
        reply["status"] == 401 && reply["error"]["code"] == code,
        || format!("after {what}, GET /api/v1/me answered {reply} (wanted 401 `{code}`)"),
    )
}

/// The popup asks to sign in again, saying why.
fn popup_asks_to_sign_in(browser: &Browser, code: &str) -> Result<()> {
    browser.open_extension_page("popup.html")?;
    wait_popup(browser, "signed-out")?;
    let shown = problem_code(browser)?;
    ensure(shown.as_deref() == Some(code), || {
        format!("the popup shows problem {shown:?}, not `{code}`")
    })
}

fn nothing_reached(listener: &Listener, after: &str) -> Result<()> {
    let requests = listener.requests();
    ensure(requests.is_empty(), || {
        format!(
            "after {after}, the tampered endpoint received {} request(s):
{}",
            requests.len(),
            requests.join("\n---\n")
        )
    })
}

fn stored_state_cannot_be_redirected(browser: &Browser, _fixtures: &FixtureServer) -> Result<()> {
    let server = ServerProcess::start(&["--sandbox", "--token-cache-seconds", "0"])?;
    let attacker = Listener::start()?;
    let issuer = format!("{}/sfdc", server.base_url());
    let ours = json!({"serverUrl": server.base_url(), "loginHint": ADMIN});
    browser.open_extension_page("popup.html")?;
    save_settings(browser, ours.clone())?;
    sign_in_as(browser, ADMIN)?;

    // Nothing in storage.local says where tokens go, in clear.
    let local = local_storage_text(browser)?;
    for clear in [server.base_url(), "tokenEndpoint", ADMIN] {
        ensure(!local.contains(clear), || {
            format!("storage.local shows `{clear}` in clear: {local}")
        })?;
    }

    // 1. The settings, pointed at the attacker's server (keeping the real issuer, so the
    //    access token's issuer still matches).
    content_script_write(
        browser,
        "salespane.settings",
        json!({"serverUrl": attacker.base_url(), "issuer": issuer, "loginHint": ADMIN}),
    )?;
    me_is_refused_with(browser, "redirecting the server", "stored_state_refused")?;
    nothing_reached(&attacker, "redirecting the server")?;
    popup_asks_to_sign_in(browser, "stored_state_refused")?;
    for key in ["salespane.settings", "salespane.auth"] {
        let left = stored(browser, "local", key)?;
        ensure(left.is_null(), || {
            format!("the refused state kept storage.local[{key}]: {left}")
        })?;
    }

    // 2. The grant, pointed at the attacker's token and revocation endpoints, once its access
    //    token has expired (so the next call must refresh). Then sign-out must not revoke there.
    save_settings(browser, ours.clone())?;
    sign_in_as(browser, ADMIN)?;
    let mut grant = stored(browser, "local", "salespane.auth")?;
    if let Some(fields) = grant.as_object_mut() {
        fields.insert(
            "tokenEndpoint".into(),
            json!(format!("{}/token", attacker.base_url())),
        );
        fields.insert(
            "revocationEndpoint".into(),
            json!(format!("{}/revoke", attacker.base_url())),
        );
    }
    content_script_write(browser, "salespane.auth", grant)?;
    sandbox_post(&server, "/_sandbox/expire", json!({"all": true}))?;
    me_is_refused_with(browser, "redirecting the grant", "stored_state_refused")?;
    send_from_page(browser, json!({"v":1,"type":"signOut"}))?;
    nothing_reached(&attacker, "redirecting the grant's endpoints")?;

    // 3. Sealed values altered or moved: a flipped byte, the settings' seal under the grant's
    //    key. Both are refused.
    for tamper in ["a flipped byte", "a moved seal"] {
        save_settings(browser, ours.clone())?;
        sign_in_as(browser, ADMIN)?;
        let grant = stored(browser, "local", "salespane.auth")?;
        let settings = stored(browser, "local", "salespane.settings")?;
        let value = if tamper == "a flipped byte" {
            let sealed = grant["sealed"].as_str().unwrap_or_default();
            let flipped: String = sealed
                .char_indices()
                .map(|(i, c)| match (i == sealed.len() / 2, c) {
                    (true, 'A') => 'B',
                    (true, _) => 'A',
                    (false, c) => c,
                })
                .collect();
            json!({ "sealed": flipped })
        } else {
            settings
        };
        content_script_write(browser, "salespane.auth", value)?;
        sandbox_post(&server, "/_sandbox/expire", json!({"all": true}))?;
        me_is_refused_with(browser, tamper, "stored_state_refused")?;
        popup_asks_to_sign_in(browser, "stored_state_refused")?;
    }

    // 4. A sealed value replayed: settings the user once saved for another server (naming our
    //    issuer) come back. They open, but the access token and the grant belong to the server
    //    they were obtained for: nothing is sent to the other one; the user signs in again.
    save_settings(
        browser,
        json!({"serverUrl": attacker.base_url(), "issuer": issuer, "loginHint": ADMIN}),
    )?;
    let earlier = stored(browser, "local", "salespane.settings")?;
    save_settings(browser, ours)?;
    sign_in_as(browser, ADMIN)?;
    content_script_write(browser, "salespane.settings", earlier)?;
    me_is_refused_with(browser, "replaying settings", "not_signed_in")?;
    browser.open_extension_page("popup.html")?;
    wait_popup(browser, "signed-out")?;
    nothing_reached(&attacker, "replaying settings for another server")?;
    Ok(())
}

#[test]
fn auth_storage_tamper_chromium() {
    salespane_e2e::scenario::run(
        BrowserKind::Chromium,
        "auth-storage-tamper",
        stored_state_cannot_be_redirected,
    );
}

#[test]
fn auth_storage_tamper_firefox() {
    salespane_e2e::scenario::run(
        BrowserKind::Firefox,
        "auth-storage-tamper",
        stored_state_cannot_be_redirected,
    );
}

#[test]
fn auth_sign_in_chromium() {
    salespane_e2e::scenario::run(
        BrowserKind::Chromium,
        "auth-sign-in",
        sign_in_shows_the_user_and_no_token_leaks,
    );
}

#[test]
fn auth_sign_in_firefox() {
    salespane_e2e::scenario::run(
        BrowserKind::Firefox,
        "auth-sign-in",
        sign_in_shows_the_user_and_no_token_leaks,
    );
}

#[test]
fn auth_errors_chromium() {
    salespane_e2e::scenario::run(
        BrowserKind::Chromium,
        "auth-errors",
        sign_in_errors_say_what_to_do,
    );
}

#[test]
fn auth_errors_firefox() {
    salespane_e2e::scenario::run(
        BrowserKind::Firefox,
        "auth-errors",
        sign_in_errors_say_what_to_do,
    );
}
