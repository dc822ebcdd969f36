//! Builds a panel [`Node`] tree as DOM elements. Page data becomes text nodes only: nothing
//! from a page or a record is ever parsed as markup.

use super::{Node, Text};
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// Replaces the document's `#salespane-panel` (or appends to `<body>`) with `tree`.
/// `translate(name, substitutions)` returns a `_locales` message.
pub fn render(
    document: &Document,
    tree: &Node,
    translate: &js_sys::Function,
) -> Result<(), JsValue> {
    let built = build(document, tree, translate)?;
    match document.get_element_by_id("salespane-panel") {
        Some(old) => old.replace_with_with_node_1(&built),
        None => {
            let body = document
                .body()
                .ok_or_else(|| JsValue::from_str("the panel page has no <body>"))?;
            body.append_child(&built).map(|_| ())
        }
    }
}

fn build(
    document: &Document,
    node: &Node,
    translate: &js_sys::Function,
) -> Result<Element, JsValue> {
    let element = document.create_element(node.tag)?;
    for (name, value) in &node.attributes {
        element.set_attribute(name, value)?;
    }
    if let Some(text) = &node.text {
        element.append_with_str_1(&resolve(text, translate))?;
    }
    for child in &node.children {
        let built = build(document, child, translate)?;
        element.append_child(&built)?;
    }
    Ok(element)
}

fn resolve(text: &Text, translate: &js_sys::Function) -> String {
    match text {
        Text::Data(data) => data.clone(),
        Text::Message(name, substitutions) => {
            let subs: js_sys::Array = substitutions.iter().map(|s| JsValue::from_str(s)).collect();
            translate
                .call2(&JsValue::NULL, &JsValue::from_str(name), &subs)
                .ok()
                .and_then(|v| v.as_string())
                .filter(|s| !s.is_empty())
                // A missing translation shows its name rather than nothing.
                .unwrap_or_else(|| (*name).to_string())
        }
    }
}
