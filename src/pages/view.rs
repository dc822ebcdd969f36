//! Pieces every page shares: the page root, error boxes, sections, and running an action
//! with a busy state.

use super::PageError;
use crate::ui::dom::{self, el, msg, t, text, with_class};
use std::future::Future;
use wasm_bindgen::prelude::*;
use web_sys::Element;

/// The page's `#salespane-page` element (created in `<body>` if the page lacks it).
pub fn page_root() -> Result<Element, JsValue> {
    let doc = dom::document()?;
    if let Some(root) = doc.get_element_by_id("salespane-page") {
        return Ok(root);
    }
    let root = el("main")?;
    root.set_id("salespane-page");
    doc.body()
        .ok_or_else(|| JsValue::from_str("the page has no <body>"))?
        .append_child(&root)?;
    Ok(root)
}

/// An alert saying what went wrong and what to do: our advice for known codes, then the
/// server's message as text.
pub fn error_box(error: &PageError) -> Result<Element, JsValue> {
    let box_ = with_class(el("div")?, "alert");
    box_.set_attribute("role", "alert")?;
    dom::testid(&box_, "error")?;
    box_.set_attribute("data-code", &error.code)?;
    if let Some(advice) = error.advice_message() {
        box_.append_child(&*msg("p", advice)?)?;
    }
    let detail = with_class(text("p", &error.message)?, "detail");
    box_.append_child(&detail)?;
    Ok(box_)
}

/// A `<section>` with its heading (a `_locales` message) and a test id.
pub fn section(title: &str, testid: &str) -> Result<Element, JsValue> {
    let s = with_class(el("section")?, "card");
    dom::testid(&s, testid)?;
    let heading = text("h2", &t(title))?;
    let heading_id = format!("{testid}-title");
    heading.set_id(&heading_id);
    s.set_attribute("aria-labelledby", &heading_id)?;
    s.append_child(&heading)?;
    Ok(s)
}

/// A paragraph of muted explanatory text.
pub fn note(name: &str) -> Result<Element, JsValue> {
    Ok(with_class(msg("p", name)?, "note"))
}

/// A row of buttons that wraps on narrow screens.
pub fn actions(children: &[&Element]) -> Result<Element, JsValue> {
    let row = with_class(el("div")?, "button-row");
    dom::append(&row, children)?;
    Ok(row)
}

/// Runs `work` in the background of the page; its error (if any) goes to `on_error`.
pub fn spawn<F, E>(work: F, on_error: E)
where
    F: Future<Output = Result<(), PageError>> + 'static,
    E: FnOnce(PageError) + 'static,
{
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = work.await {
            on_error(error);
        }
    });
}

/// Puts `error` into the status line `line` (advice, then the server's message).
pub fn show_error_in(line: &Element, error: &PageError) {
    let text = match error.advice_message() {
        Some(advice) => format!("{} {}", t(advice), error.message),
        None => error.message.clone(),
    };
    dom::set_status(line, "error", &text);
    let _ = line.set_attribute("data-code", &error.code);
}

/// Marks a button busy (disabled, `aria-busy`) or ready again.
pub fn set_busy(button: &web_sys::HtmlButtonElement, busy: bool) {
    button.set_disabled(busy);
    let _ = if busy {
        button.set_attribute("aria-busy", "true")
    } else {
        button.remove_attribute("aria-busy")
    };
}
