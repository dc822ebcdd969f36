//! The OpenAPI document: the checked-in `server/openapi.json` is exactly what the binary
//! prints, and the router and the document agree (every documented operation is answered,
//! and no undocumented method is answered on a documented path).

mod common;

use common::StatusCode;
use serde_json::Value;
use std::process::Command;

const REGENERATE: &str = "cargo run -p salespane-server -- openapi > server/openapi.json";

fn printed_document() -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_salespane-server"))
        .arg("openapi")
        .output()
        .expect("run salespane-server openapi");
    assert!(
        output.status.success(),
        "salespane-server openapi failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the openapi command prints JSON")
}

#[test]
fn checked_in_document_matches_the_binary() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let checked_in = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path} ({e}); create it with: {REGENERATE}"));
    let checked_in: Value = serde_json::from_str(&checked_in)
        .unwrap_or_else(|e| panic!("{path} is not JSON ({e}); regenerate it with: {REGENERATE}"));
    let printed = printed_document();
    if checked_in != printed {
        let paths = |doc: &Value| -> Vec<String> {
            doc["paths"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old, new) = (paths(&checked_in), paths(&printed));
        let added: Vec<&String> = new.iter().filter(|p| !old.contains(p)).collect();
        let removed: Vec<&String> = old.iter().filter(|p| !new.contains(p)).collect();
        panic!(
            "server/openapi.json is out of date with the handlers' annotations (paths added: {added:?}, removed: {removed:?}). Regenerate it from the workspace root with:\n    {REGENERATE}\nand commit the result."
        );
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

both_backends! {
    async fn every_documented_operation_is_routed_and_nothing_else(server) {
        let document = printed_document();
        let paths = document["paths"].as_object().expect("paths");
        assert!(paths.len() >= 20, "{} paths documented", paths.len());
        for (path, item) in paths {
            // Path parameters get a placeholder value.
            let concrete: String = path
                .split('/')
                .map(|segment| if segment.starts_with('{') { "placeholder" } else { segment })
                .collect::<Vec<_>>()
                .join("/");
            for method in METHODS {
                let request = server.http.request(method.to_uppercase().parse().unwrap(), server.url(&concrete));
                let reply = common::read(request).await;
                if item.get(method).is_some() {
                    assert!(
                        reply.status != StatusCode::NOT_FOUND || reply.code() != "not_found",
                        "{method} {path} is documented but not routed: {} {}", reply.status, reply.text
                    );
                    assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not routed");
                    assert!(reply.status.as_u16() < 500, "{method} {path} without credentials: {} {}", reply.status, reply.text);
                } else {
                    assert_eq!(
                        reply.status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {path} is answered but not documented: {}", reply.text
                    );
                }
            }
        }
    }
}
