//! Small DOM helpers for the extension pages. Text from a server or a CRM is always set as
//! text (`textContent`), never parsed as markup. Every control is a real `<button>`,
//! `<input>` with its `<label>`, or `<select>`: keyboard use comes from the browser.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, HtmlButtonElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement,
};

pub fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("this page has no document"))
}

/// The browser adapter (`globalThis.salespaneBrowser`, from adapter.js).
pub fn adapter() -> JsValue {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("salespaneBrowser"))
        .unwrap_or(JsValue::UNDEFINED)
}

/// A `_locales` message with substitutions; its name when the locale lacks it.
pub fn t_with(name: &str, substitutions: &[&str]) -> String {
    let adapter = adapter();
    let text = js_sys::Reflect::get(&adapter, &JsValue::from_str("message"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| {
            let subs: js_sys::Array = substitutions.iter().map(|s| JsValue::from_str(s)).collect();
            f.call2(&adapter, &JsValue::from_str(name), &subs).ok()
        })
        .and_then(|v| v.as_string())
        .filter(|s| !s.is_empty());
    text.unwrap_or_else(|| name.to_string())
}

pub fn t(name: &str) -> String {
    t_with(name, &[])
}

/// A new element (panics never: a failing `createElement` is reported as an error).
pub fn el(tag: &str) -> Result<Element, JsValue> {
    document()?.create_element(tag)
}

/// An element holding `text` as text.
pub fn text(tag: &str, text: &str) -> Result<Element, JsValue> {
    let element = el(tag)?;
    element.set_text_content(Some(text));
    Ok(element)
}

/// An element holding a `_locales` message.
pub fn msg(tag: &str, name: &str) -> Result<Element, JsValue> {
    text(tag, &t(name))
}

pub fn with_class(element: Element, class: &str) -> Element {
    element.set_class_name(class);
    element
}

pub fn testid(element: &Element, id: &str) -> Result<(), JsValue> {
    element.set_attribute("data-testid", id)
}

/// Removes every child of `element`.
pub fn clear(element: &Element) {
    element.set_text_content(None);
}

/// Appends children in order.
pub fn append(parent: &Element, children: &[&Element]) -> Result<(), JsValue> {
    for child in children {
        parent.append_child(child)?;
    }
    Ok(())
}

/// Runs `handler` on `event`. Pages live as long as their document, so the closure is kept
/// for the page's lifetime.
pub fn on(element: &Element, event: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    if element
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .is_ok()
    {
        closure.forget();
    }
}

/// A `type="button"` button with visible text; `handler` runs on click (Enter and Space
/// included, as browsers do for buttons).
pub fn button(
    label: &str,
    testid_value: &str,
    handler: impl FnMut() + 'static,
) -> Result<HtmlButtonElement, JsValue> {
    let b: HtmlButtonElement = el("button")?.dyn_into()?;
    b.set_type("button");
    b.set_text_content(Some(label));
    if !testid_value.is_empty() {
        testid(&b, testid_value)?;
    }
    let mut handler = handler;
    on(&b, "click", move |_| handler());
    Ok(b)
}

/// The main action of a group, styled as such.
pub fn primary(
    label: &str,
    testid_value: &str,
    handler: impl FnMut() + 'static,
) -> Result<HtmlButtonElement, JsValue> {
    let b = button(label, testid_value, handler)?;
    b.set_class_name("primary");
    Ok(b)
}

/// A labelled field: `<div class="field"><label for=id>…</label><input id=id>
/// <p class="field-error" id="id-error"></p></div>`; the input is described by its error.
pub fn input_field(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
) -> Result<(Element, HtmlInputElement), JsValue> {
    let wrapper = with_class(el("div")?, "field");
    let label_el = text("label", label)?;
    label_el.set_attribute("for", id)?;
    let input: HtmlInputElement = el("input")?.dyn_into()?;
    input.set_id(id);
    input.set_type(kind);
    // The attribute too: it is the baseline that tells what the user changed.
    input.set_default_value(value);
    input.set_value(value);
    input.set_attribute("aria-describedby", &format!("{id}-error"))?;
    let error = error_slot(id)?;
    append(&wrapper, &[&label_el, &input, &error])?;
    Ok((wrapper, input))
}

/// A labelled text area, like [`input_field`].
pub fn textarea_field(
    id: &str,
    label: &str,
    value: &str,
    rows: u32,
) -> Result<(Element, HtmlTextAreaElement), JsValue> {
    let wrapper = with_class(el("div")?, "field");
    let label_el = text("label", label)?;
    label_el.set_attribute("for", id)?;
    let area: HtmlTextAreaElement = el("textarea")?.dyn_into()?;
    area.set_id(id);
    area.set_rows(rows);
    area.set_value(value);
    area.set_attribute("aria-describedby", &format!("{id}-error"))?;
    let error = error_slot(id)?;
    append(&wrapper, &[&label_el, &area, &error])?;
    Ok((wrapper, area))
}

/// A checkbox inside its label (the whole text is clickable).
pub fn checkbox(
    id: &str,
    label: &str,
    checked: bool,
) -> Result<(Element, HtmlInputElement), JsValue> {
    let wrapper = with_class(el("label")?, "check");
    wrapper.set_attribute("for", id)?;
    let input: HtmlInputElement = el("input")?.dyn_into()?;
    input.set_type("checkbox");
    input.set_id(id);
    input.set_checked(checked);
    wrapper.append_child(&input)?;
    wrapper.append_with_str_1(label)?;
    Ok((wrapper, input))
}

/// A radio button inside its label.
pub fn radio(
    name: &str,
    id: &str,
    value: &str,
    label: &str,
    checked: bool,
) -> Result<(Element, HtmlInputElement), JsValue> {
    let wrapper = with_class(el("label")?, "check");
    wrapper.set_attribute("for", id)?;
    let input: HtmlInputElement = el("input")?.dyn_into()?;
    input.set_type("radio");
    input.set_name(name);
    input.set_id(id);
    input.set_value(value);
    input.set_checked(checked);
    wrapper.append_child(&input)?;
    wrapper.append_with_str_1(label)?;
    Ok((wrapper, input))
}

/// A labelled `<select>` of `(value, label)` options.
pub fn select_field(
    id: &str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
) -> Result<(Element, HtmlSelectElement), JsValue> {
    let wrapper = with_class(el("div")?, "field");
    let label_el = text("label", label)?;
    label_el.set_attribute("for", id)?;
    let select: HtmlSelectElement = el("select")?.dyn_into()?;
    select.set_id(id);
    for (value, shown) in options {
        let option = text("option", shown)?;
        option.set_attribute("value", value)?;
        if value == selected {
            option.set_attribute("selected", "")?;
        }
        select.append_child(&option)?;
    }
    append(&wrapper, &[&label_el, &select])?;
    Ok((wrapper, select))
}

fn error_slot(id: &str) -> Result<Element, JsValue> {
    let error = with_class(el("p")?, "field-error");
    error.set_id(&format!("{id}-error"));
    error.set_attribute("aria-live", "polite")?;
    Ok(error)
}

/// Shows `message` beside the field `id` (empty clears it) and marks the field invalid.
pub fn set_field_error(id: &str, message: &str) {
    let Ok(doc) = document() else { return };
    if let Some(slot) = doc.get_element_by_id(&format!("{id}-error")) {
        slot.set_text_content(Some(message));
    }
    if let Some(field) = doc.get_element_by_id(id) {
        let _ = if message.is_empty() {
            field.remove_attribute("aria-invalid")
        } else {
            field.set_attribute("aria-invalid", "true")
        };
    }
}

/// A status line (`role="status"`): results of an action, read out by screen readers.
pub fn status_line(testid_value: &str) -> Result<Element, JsValue> {
    let p = with_class(el("p")?, "status");
    p.set_attribute("role", "status")?;
    testid(&p, testid_value)?;
    Ok(p)
}

/// Sets a status line's text and kind (`ok`, `error`, `busy` or `` for neutral).
pub fn set_status(line: &Element, kind: &str, text: &str) {
    line.set_text_content(Some(text));
    let _ = line.set_attribute("data-kind", kind);
}

/// A link that opens in a new tab, styled as a button.
pub fn link_button(label: &str, href: &str, testid_value: &str) -> Result<Element, JsValue> {
    let a = with_class(text("a", label)?, "button");
    a.set_attribute("href", href)?;
    a.set_attribute("target", "_blank")?;
    a.set_attribute("rel", "noopener")?;
    testid(&a, testid_value)?;
    Ok(a)
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

/// Moves keyboard focus to `element` (after a screen changes, to its heading).
pub fn focus(element: &Element) {
    if let Some(html) = element.dyn_ref::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
}

/// Copies each column's heading into its cells' `data-label`, so that a narrow screen (or
/// 200% zoom) can show the rows as stacked cards that still name each value.
pub fn label_cells(table: &Element) -> Result<(), JsValue> {
    let mut labels = Vec::new();
    let mut heading = table
        .query_selector("thead tr")?
        .and_then(|row| row.first_element_child());
    while let Some(th) = heading {
        // A heading holding a control (select all) names no value.
        let holds_control = th.query_selector("input")?.is_some();
        labels.push(if holds_control {
            String::new()
        } else {
            th.text_content().unwrap_or_default()
        });
        heading = th.next_element_sibling();
    }
    let rows = table.query_selector_all("tbody tr")?;
    for i in 0..rows.length() {
        let Some(row) = rows.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let mut cell = row.first_element_child();
        let mut column = 0;
        while let Some(td) = cell {
            if let Some(label) = labels.get(column).filter(|l| !l.is_empty()) {
                td.set_attribute("data-label", label)?;
            }
            column += 1;
            cell = td.next_element_sibling();
        }
    }
    Ok(())
}

/// After a save: each text input's current value becomes its baseline (`defaultValue`).
pub fn mark_saved(form: &Element) {
    let Ok(inputs) = form.query_selector_all("input") else {
        return;
    };
    for i in 0..inputs.length() {
        if let Some(input) = inputs
            .item(i)
            .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
        {
            input.set_default_value(&input.value());
        }
    }
}
