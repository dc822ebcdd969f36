//! The JavaScript-facing surface of the core (WASM only). The background calls
//! `handleMessage`/`forgetTab`; the panel calls `renderPanel`. Everything else stays in Rust.

use crate::panel;
use crate::protocol::{Response, Versioned, PROTOCOL_VERSION};
use crate::router::{Router, Sender};
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static ROUTER: RefCell<Router> = RefCell::new(Router::new());
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
/// arguments come from the browser's `MessageSender`, never from the message.
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
    let response = ROUTER.with(|router| {
        router
            .borrow_mut()
            .handle_json(message_json, &sender, now_ms)
    });
    to_js(&response)
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
