//! `_locales` text for the components. In the extension it comes from the browser adapter's
//! i18n (`salespaneBrowser.message`), or from the translator a page hands in (the panel's
//! `renderPanel`). Natively (component tests) a message shows as its name, followed by its
//! substitutions, so rendered HTML says which message and values it holds.

/// A `_locales` message with substitutions; its name when the locale lacks it.
pub fn t_with(name: &str, substitutions: &[&str]) -> String {
    match imp::lookup(name, substitutions).filter(|text| !text.is_empty()) {
        Some(text) => text,
        None => imp::missing(name, substitutions),
    }
}

/// A `_locales` message without substitutions.
pub fn t(name: &str) -> String {
    t_with(name, &[])
}

#[cfg(target_arch = "wasm32")]
pub use imp::set_translator;

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    thread_local! {
        static TRANSLATOR: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    }

    /// Makes `translate(name, substitutions)` the source of every message on this page.
    pub fn set_translator(translate: js_sys::Function) {
        TRANSLATOR.with(|slot| *slot.borrow_mut() = Some(translate));
    }

    pub fn lookup(name: &str, substitutions: &[&str]) -> Option<String> {
        let subs: js_sys::Array = substitutions.iter().map(|s| JsValue::from_str(s)).collect();
        let given = TRANSLATOR.with(|slot| slot.borrow().clone());
        let answer = match given {
            Some(translate) => translate.call2(&JsValue::NULL, &JsValue::from_str(name), &subs),
            None => {
                let adapter = crate::ui::browser::adapter();
                let message = js_sys::Reflect::get(&adapter, &JsValue::from_str("message"))
                    .ok()?
                    .dyn_into::<js_sys::Function>()
                    .ok()?;
                message.call2(&adapter, &JsValue::from_str(name), &subs)
            }
        };
        answer.ok()?.as_string()
    }

    /// A missing translation shows its name rather than nothing.
    pub fn missing(name: &str, _substitutions: &[&str]) -> String {
        name.to_string()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn lookup(_name: &str, _substitutions: &[&str]) -> Option<String> {
        None
    }

    pub fn missing(name: &str, substitutions: &[&str]) -> String {
        if substitutions.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", substitutions.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_a_message_shows_its_name_and_values() {
        assert_eq!(t("panelTitle"), "panelTitle");
        assert_eq!(t_with("progressOf", &["4", "25"]), "progressOf(4,25)");
    }
}
