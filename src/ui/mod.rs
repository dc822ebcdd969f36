//! The one way the extension builds its UI: Leptos components (client-side rendering), shared
//! by the panel, the popup and the extension pages. `components` holds the shared pieces,
//! `i18n` the `_locales` text; both also build natively, so components are tested by rendering
//! them to HTML with `cargo test`. `browser` (WASM only) is what pages ask of the browser
//! besides drawing, and mounting a page in place of its HTML placeholder.

pub mod components;
pub mod i18n;

#[cfg(target_arch = "wasm32")]
pub mod browser;
