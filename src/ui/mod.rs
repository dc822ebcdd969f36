//! Shared helpers for the extension pages rendered in Rust (onboarding, settings, admin):
//! building elements with web-sys, `_locales` text, buttons and labelled inputs. WASM only.

#[cfg(target_arch = "wasm32")]
pub mod dom;
