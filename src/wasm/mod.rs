//! The JavaScript-facing surface of the core (WASM only), one part per module that
//! `cargo xtask dist` builds: `background` (core_background.js, loaded by the service worker /
//! event page) and `ui` (core_ui.js, loaded by the panel, the popup and the extension pages).
//! Everything else stays in Rust.

#[cfg(feature = "background")]
mod background;
#[cfg(feature = "ui")]
mod ui;

/// Run in headless Chromium: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
/// CHROMEDRIVER=/usr/bin/chromedriver cargo test -p salespane --target wasm32-unknown-unknown`
/// (browser options in the crate's `webdriver.json`).
#[cfg(all(test, feature = "background", feature = "ui"))]
mod tests {
    use super::background::{forget_tab, handle_message};
    use super::ui::render_panel;
    use wasm_bindgen::prelude::*;
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

    /// Lets the page's pending work run (the panel redraws after a change in a microtask).
    async fn next_tick() {
        let tick = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(tick).await;
    }

    #[wasm_bindgen_test]
    async fn panel_renders_the_tab_state_as_text_in_a_real_document() {
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
        next_tick().await;
        let main = doc.query_selector("#salespane-panel").unwrap().unwrap();
        assert_eq!(main.get_attribute("data-state").as_deref(), Some("waiting"));
        forget_tab(41);
        host.remove();
    }
}
