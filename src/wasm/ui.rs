//! The UI module's exports: the panel (`renderPanel`) and the toolbar popup (`startPopup`).
//! The extension pages' exports (`renderOnboarding`, `renderAdmin`, `renderSettingsSections`)
//! live with them in `crate::pages`.

use crate::panel;
use crate::protocol::{Response, Versioned, PROTOCOL_VERSION};
use wasm_bindgen::prelude::*;

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
