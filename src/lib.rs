//! Salespane extension core: the background's brain (message router, host specs, record
//! detection) and the panel's rendering. Pure logic builds natively and is unit-tested with
//! `cargo test -p salespane`; the browser glue is in `wasm` (wasm32 only).

pub mod api_client;
pub mod auth;
pub mod email;
pub mod hosts;
pub mod limits;
pub mod observation;
pub mod pages;
pub mod panel;
pub mod popup;
pub mod protocol;
pub mod router;
pub mod settings;
pub mod ui;
pub mod weburl;

#[cfg(target_arch = "wasm32")]
mod wasm;

/// Checks that tie the extension's static files to the core.
#[cfg(test)]
mod extension_files {
    use crate::hosts::HostKind;
    use serde_json::Value;

    const CONTENT_SCRIPT: &str = include_str!("../extension/content.js");
    const MANIFEST: &str = include_str!("../manifest.json");

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
