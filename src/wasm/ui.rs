//! The UI module's exports: the panel (`renderPanel`) and the toolbar popup (`startPopup`).
//! The extension pages' exports (`renderOnboarding`, `renderAdmin`, `renderSettingsSections`)
//! live with them in `crate::pages`.

use crate::observation::Observation;
use crate::panel::Panel;
use crate::protocol::{Response, Versioned, PROTOCOL_VERSION};
use crate::ui::{browser, i18n};
use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The mounted panel's state: later reports only set it, and the panel redraws what
    /// depends on what changed.
    static PANEL: RefCell<Option<RwSignal<Option<Observation>>>> = const { RefCell::new(None) };
}

/// Renders the panel page from a `panelState` response (first call), then updates it.
/// `translate(name, substitutions)` returns a `_locales` message (the browser adapter's i18n).
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
    i18n::set_translator(translate.clone());
    let mounted = PANEL.with(|slot| *slot.borrow());
    // A panel whose element left the document (a test's container) is drawn again.
    let connected = browser::document()?
        .get_element_by_id("salespane-panel")
        .is_some_and(|main| main.get_attribute("data-state").as_deref() != Some("loading"));
    match mounted {
        Some(signal) if connected => signal.set(observation),
        _ => {
            let signal = RwSignal::new(observation);
            PANEL.with(|slot| *slot.borrow_mut() = Some(signal));
            browser::mount_in_place_of("salespane-panel", move || {
                view! { <Panel observation=signal/> }
            })?;
        }
    }
    Ok(())
}

/// Renders the toolbar popup (popup.html) and keeps it up to date.
#[wasm_bindgen(js_name = startPopup)]
pub fn start_popup() -> Result<(), JsValue> {
    crate::popup::app::start()
}
