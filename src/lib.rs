//! Salespane extension core: the background's brain (message router, host specs, record
//! detection) and the pages' rendering. Pure logic builds natively and is unit-tested with
//! `cargo test -p salespane`; the browser glue is in `wasm` (wasm32 only).
//!
//! One crate, two WASM modules: feature `background` (the router, sign-in, the server client)
//! and feature `ui` (panel, popup, onboarding, admin and settings pages). The background module
//! is built without `ui` so the service worker compiles and starts fast; what both need (the
//! protocol and the pure logic under it) is always built. Native builds take both features.

pub mod auth;
pub mod email;
pub mod hosts;
pub mod limits;
pub mod observation;
pub mod protocol;
pub mod settings;
pub mod weburl;

#[cfg(feature = "background")]
pub mod api_client;
#[cfg(feature = "background")]
pub mod router;
#[cfg(feature = "background")]
pub mod tracking;

#[cfg(feature = "ui")]
pub mod pages;
#[cfg(feature = "ui")]
pub mod panel;
#[cfg(feature = "ui")]
pub mod popup;
#[cfg(feature = "ui")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
mod wasm;

/// Checks that tie the extension's static files to the core.
#[cfg(test)]
mod extension_files {
    use crate::hosts::HostKind;
    use serde_json::Value;

    const CONTENT_SCRIPT: &str = include_str!("../extension/content.js");
    const MANIFEST: &str = include_str!("../manifest.json");
    /// Each extension context's entry script, and which core module it must load: the
    /// background's carries no page UI (`cargo xtask dist` builds one module per feature).
    const ENTRY_SCRIPTS: [(&str, &str, &str); 6] = [
        (
            "background.js",
            include_str!("../extension/background.js"),
            "core_background",
        ),
        ("panel.js", include_str!("../extension/panel.js"), "core_ui"),
        ("popup.js", include_str!("../extension/popup.js"), "core_ui"),
        (
            "options.js",
            include_str!("../extension/options.js"),
            "core_ui",
        ),
        (
            "onboarding.js",
            include_str!("../extension/onboarding.js"),
            "core_ui",
        ),
        ("admin.js", include_str!("../extension/admin.js"), "core_ui"),
    ];

    #[test]
    fn each_context_loads_its_own_core_module() {
        for (file, source, module) in ENTRY_SCRIPTS {
            assert!(
                source.contains(&format!("from './{module}.js'")),
                "{file} must import {module}.js"
            );
            assert!(
                source.contains(&format!("module_or_path: '{module}_bg.wasm'")),
                "{file} must load {module}_bg.wasm"
            );
            let other = if module == "core_ui" {
                "core_background"
            } else {
                "core_ui"
            };
            assert!(!source.contains(other), "{file} must not load {other}");
        }
        // The panel iframe runs on host pages: it may reach the UI module, never the
        // background's.
        let manifest: Value = serde_json::from_str(MANIFEST).unwrap();
        let exposed: Vec<&str> = manifest["web_accessible_resources"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for needed in ["panel.html", "panel.js", "core_ui.js", "core_ui_bg.wasm"] {
            assert!(exposed.contains(&needed), "{needed} is not web-accessible");
        }
        assert!(
            !exposed
                .iter()
                .any(|name| name.starts_with("core_background")),
            "the background module must not be web-accessible: {exposed:?}"
        );
    }

    #[test]
    fn content_script_stays_small_and_never_writes_markup() {
        // DESIGN §7: at most 12 KB, unminified, no dependencies.
        assert!(
            CONTENT_SCRIPT.len() <= 12 * 1024,
            "content.js is {} bytes",
            CONTENT_SCRIPT.len()
        );
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "eval(",
            "new Function",
            "import ",
        ] {
            assert!(
                !CONTENT_SCRIPT.contains(forbidden),
                "content.js uses {forbidden}"
            );
        }
    }

    #[test]
    fn manifest_injects_into_exactly_the_hosts_the_specs_know() {
        let manifest: Value = serde_json::from_str(MANIFEST).unwrap();
        let mut expected: Vec<String> = HostKind::ALL
            .into_iter()
            .flat_map(|kind| kind.spec().hostnames)
            .map(|host| format!("https://{host}/*"))
            .collect();
        expected.sort();
        let sorted = |v: &Value| {
            let mut list: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            list.sort();
            list
        };
        assert_eq!(sorted(&manifest["content_scripts"][0]["matches"]), expected);
        assert_eq!(
            sorted(&manifest["web_accessible_resources"][0]["matches"]),
            expected
        );
        let hosts = sorted(&manifest["host_permissions"]);
        for pattern in &expected {
            assert!(
                hosts.contains(pattern),
                "{pattern} missing from host_permissions"
            );
        }
        assert_eq!(manifest["content_scripts"][0]["all_frames"], false);
        assert_eq!(manifest["content_scripts"][0]["run_at"], "document_idle");
        assert!(manifest["content_security_policy"]["extension_pages"]
            .as_str()
            .unwrap()
            .contains("'wasm-unsafe-eval'"));
    }
}
