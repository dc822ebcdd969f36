//! What the pages ask of the browser besides drawing: the extension's adapter
//! (`globalThis.salespaneBrowser`, from adapter.js), the page's URL, new tabs, the clipboard,
//! focus. WASM only.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub fn document() -> Result<web_sys::Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("this page has no document"))
}

/// The browser adapter (`globalThis.salespaneBrowser`, from adapter.js).
pub fn adapter() -> JsValue {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("salespaneBrowser"))
        .unwrap_or(JsValue::UNDEFINED)
}

/// Calls the adapter's function `name` with `args`.
pub fn call_adapter(name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let adapter = adapter();
    let function: js_sys::Function = js_sys::Reflect::get(&adapter, &JsValue::from_str(name))?
        .dyn_into()
        .map_err(|_| JsValue::from_str("the browser adapter is missing; reload the extension"))?;
    let list: js_sys::Array = args.iter().collect();
    function.apply(&adapter, &list)
}

/// A query parameter of the page's own URL.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Copies `text` to the clipboard (best effort; the text stays selectable on screen).
pub fn copy_text(text: &str) {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .unwrap_or(JsValue::UNDEFINED);
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .unwrap_or(JsValue::UNDEFINED);
    if let Ok(write) = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")) {
        if let Ok(write) = write.dyn_into::<js_sys::Function>() {
            let _ = write.call1(&clipboard, &JsValue::from_str(text));
        }
    }
}

/// Moves keyboard focus to the element `css` finds (after a screen changes).
pub fn focus(css: &str) {
    let found = document()
        .ok()
        .and_then(|d| d.query_selector(css).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = found {
        let _ = element.focus();
    }
}

/// The browser's own time zone name (a sensible default for quiet hours).
pub fn local_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".to_string())
}

/// Mounts `view` in place of the page's element `id` (the static placeholder of the page's
/// HTML), or at the end of `<body>` when the page lacks it. The view lives as long as the page.
pub fn mount_in_place_of<F, N>(id: &str, view: F) -> Result<(), JsValue>
where
    F: FnOnce() -> N + 'static,
    N: leptos::prelude::IntoView,
{
    let doc = document()?;
    let placeholder = doc.get_element_by_id(id);
    let parent: web_sys::HtmlElement = match placeholder.as_ref().and_then(|p| p.parent_element()) {
        Some(parent) => parent.dyn_into()?,
        None => doc
            .body()
            .ok_or_else(|| JsValue::from_str("the page has no <body>"))?,
    };
    if let Some(old) = placeholder {
        old.remove();
    }
    leptos::mount::mount_to(parent, view).forget();
    Ok(())
}
