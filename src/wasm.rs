//! The JavaScript-facing surface of the core (WASM only). The background calls
//! `handleMessage`/`forgetTab`; the panel calls `renderPanel`. Everything else stays in Rust.

use crate::auth::session;
use crate::panel;
use crate::protocol::{Response, ToContent, Versioned, PROTOCOL_VERSION};
use crate::router::{Privileged, Routed, Router, Sender};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static ROUTER: RefCell<Router> = RefCell::new(Router::for_extension(&own_origin()));
}

/// The extension's origin (`chrome-extension://<id>`, `moz-extension://<uuid>`): the
/// background's own location, which no message can change.
fn own_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|location| js_sys::Reflect::get(&location, &JsValue::from_str("origin")))
        .ok()
        .and_then(|origin| origin.as_string())
        .filter(|origin| origin.contains("-extension://"))
        .unwrap_or_default()
}

/// `performance.now()` of the global scope: a service worker has no `window`, and its time
/// origin is the worker's start.
fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .filter(|p| p.is_object())
        .map(|p| p.unchecked_into::<web_sys::Performance>().now())
        .unwrap_or_default()
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// Answers one runtime message. `message_json` is the message as JSON text; the other
/// arguments come from the browser's `MessageSender`, never from the message. The answer is
/// a plain object, or a promise of one for requests that need the network (sign-in, API).
#[wasm_bindgen(js_name = handleMessage)]
pub fn handle_message(
    message_json: &str,
    tab_id: Option<i32>,
    frame_id: Option<i32>,
    sender_url: Option<String>,
) -> JsValue {
    let sender = Sender {
        tab_id,
        frame_id,
        url: sender_url,
    };
    let routed = ROUTER.with(|router| {
        router
            .borrow_mut()
            .route_json(message_json, &sender, now_ms)
    });
    match routed {
        Routed::Answer(response) => to_js(&response),
        Routed::Privileged(request) => wasm_bindgen_futures::future_to_promise(async move {
            Ok(to_js(&Versioned::new(run_privileged(request).await)))
        })
        .into(),
    }
}

async fn run_privileged(request: Privileged) -> Response {
    match request {
        Privileged::SignIn {
            interactive,
            login_hint,
        } => session::sign_in(interactive, login_hint).await,
        Privileged::SignOut => session::sign_out().await,
        Privileged::AuthStatus => session::auth_status().await,
        Privileged::Api { method, path, body } => {
            session::api(method, &path, body).await.into_response()
        }
        Privileged::GetSettings => session::settings_response(session::load_settings().await),
        Privileged::SaveSettings(settings) => session::save_settings(settings)
            .await
            .unwrap_or_else(Response::from),
        Privileged::OpenPage(page) => session::open_page(page.path())
            .await
            .map(|()| Response::Ack { changed: true })
            .unwrap_or_else(Response::from),
    }
}

/// The message asking a tab's content script to report its page again.
#[wasm_bindgen(js_name = reobserveMessage)]
pub fn reobserve_message() -> JsValue {
    to_js(&Versioned::new(ToContent::Reobserve))
}

/// Forgets a closed tab.
#[wasm_bindgen(js_name = forgetTab)]
pub fn forget_tab(tab_id: i32) {
    ROUTER.with(|router| router.borrow_mut().forget_tab(tab_id));
}

/// Renders the panel page from a `panelState` response. `translate(name, substitutions)`
/// returns a `_locales` message (the browser adapter's i18n).
#[wasm_bindgen(js_name = renderPanel)]
pub fn render_panel(state: JsValue, translate: &js_sys::Function) -> Result<(), JsValue> {
    let response: Versioned<Response> = serde_wasm_bindgen::from_value(state)?;
    if response.v != PROTOCOL_VERSION {
        return Err(JsValue::from_str(
            "the panel and background versions differ; reload the page",
        ));
    }
    let observation = match response.body {
        Response::PanelState { observation } => observation,
        _ => None,
    };
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("renderPanel needs a document"))?;
    panel::dom::render(&document, &panel::view(observation.as_ref()), translate)
}

/// Renders the toolbar popup (popup.html) and keeps it up to date.
#[wasm_bindgen(js_name = startPopup)]
pub fn start_popup() -> Result<(), JsValue> {
    crate::popup::dom::start()
}

/// Run in headless Chromium: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
/// CHROMEDRIVER=/usr/bin/chromedriver cargo test -p salespane --target wasm32-unknown-unknown`
/// (browser options in the crate's `webdriver.json`).
#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn get(value: &JsValue, path: &[&str]) -> JsValue {
        path.iter().fold(value.clone(), |v, key| {
            js_sys::Reflect::get(&v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        })
    }

    fn ask(message: &str, tab: Option<i32>, url: Option<&str>) -> JsValue {
        handle_message(message, tab, Some(0), url.map(str::to_string))
    }

    fn document() -> web_sys::Document {
        web_sys::window().unwrap().document().unwrap()
    }

    #[wasm_bindgen_test]
    fn answers_are_plain_js_objects() {
        let answer = ask(
            r#"{"v":1,"type":"hostSpec","url":"https://mail.google.com/mail/u/0/"}"#,
            None,
            None,
        );
        assert_eq!(
            get(&answer, &["type"]).as_string().as_deref(),
            Some("hostSpec")
        );
        assert_eq!(
            get(&answer, &["spec", "host"]).as_string().as_deref(),
            Some("gmail")
        );
        assert!(js_sys::Array::is_array(&get(
            &answer,
            &["spec", "compose", "root"]
        )));
        let none = ask(
            r#"{"v":1,"type":"hostSpec","url":"https://example.com/"}"#,
            None,
            None,
        );
        assert!(get(&none, &["spec"]).is_null());
        let diag = ask(r#"{"v":1,"type":"diagnostics"}"#, None, None);
        assert!(get(&diag, &["coldStartMs"])
            .as_f64()
            .is_some_and(|ms| ms > 0.0));
    }

    #[wasm_bindgen_test]
    fn panel_renders_the_tab_state_as_text_in_a_real_document() {
        let url = "https://mail.google.com/mail/u/0/#inbox";
        let hostile = r#"<img src=x onerror=alert(1)>"#;
        let observed = serde_json::json!({"v":1,"type":"observed","url":url,"page":{"composes":[
            {"key":"compose-1","to":["Ann@X.example"],"cc":["b@y.example"],"subject":hostile}
        ]}});
        let ack = ask(&observed.to_string(), Some(41), Some(url));
        assert_eq!(get(&ack, &["changed"]).as_bool(), Some(true));
        let state = ask(r#"{"v":1,"type":"panelState"}"#, Some(41), None);

        let doc = document();
        // The test runner reports through the page's body: work in a container of our own.
        let host = doc.create_element("div").unwrap();
        host.set_inner_html(r#"<main id="salespane-panel" data-state="loading"></main>"#);
        doc.body().unwrap().append_child(&host).unwrap();
        let translate = js_sys::Function::new_with_args("name", "return 'T:' + name");
        render_panel(state, &translate).unwrap();

        let main = doc.query_selector("#salespane-panel").unwrap().unwrap();
        assert_eq!(main.get_attribute("data-state").as_deref(), Some("ready"));
        assert_eq!(
            host.child_element_count(),
            1,
            "the panel replaces its placeholder"
        );
        let value = |selector: &str| {
            doc.query_selector(selector)
                .unwrap()
                .and_then(|e| e.get_attribute("data-value"))
        };
        assert_eq!(value(r#"[data-testid="host"]"#).as_deref(), Some("gmail"));
        assert_eq!(
            value(r#"[data-testid="compose"] [data-testid="recipients"]"#).as_deref(),
            Some("ann@x.example,b@y.example")
        );
        assert_eq!(
            value(r#"[data-testid="subject"]"#).as_deref(),
            Some(hostile)
        );
        // The hostile subject is text, not an element.
        assert!(doc
            .query_selector("#salespane-panel img")
            .unwrap()
            .is_none());
        let heading = doc.query_selector("h1").unwrap().unwrap();
        assert_eq!(heading.text_content().as_deref(), Some("T:panelTitle"));

        // An unknown tab renders the waiting state.
        let empty = ask(r#"{"v":1,"type":"panelState"}"#, Some(42), None);
        render_panel(empty, &translate).unwrap();
        let main = doc.query_selector("#salespane-panel").unwrap().unwrap();
        assert_eq!(main.get_attribute("data-state").as_deref(), Some("waiting"));
        forget_tab(41);
        host.remove();
    }
}
