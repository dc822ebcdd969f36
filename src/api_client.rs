//! Calls to the Salespane server, made by the background for the extension's pages: the path
//! is checked (only `/api/v1/...` of the configured server), the user's access token goes in
//! `Authorization`, a 401 refreshes the token once and retries, and failures become typed
//! errors whose messages say what to do. The pages only ever see status and JSON body.

use serde::{Deserialize, Serialize};

/// How long one call may take before it is given up.
pub const TIMEOUT_MS: i32 = 20_000;
const MAX_PATH_CHARS: usize = 2_048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApiMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl ApiMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiMethod::Get => "GET",
            ApiMethod::Post => "POST",
            ApiMethod::Put => "PUT",
            ApiMethod::Patch => "PATCH",
            ApiMethod::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<ApiMethod> {
        Some(match text {
            "GET" => ApiMethod::Get,
            "POST" => ApiMethod::Post,
            "PUT" => ApiMethod::Put,
            "PATCH" => ApiMethod::Patch,
            "DELETE" => ApiMethod::Delete,
            _ => return None,
        })
    }
}

/// Checks a path a page asked for: `/api/v1/` then path characters and an optional query;
/// no `..`, no scheme or host, no backslash, no fragment, nothing that could make the call
/// leave the configured server or reach outside the API.
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.len() > MAX_PATH_CHARS {
        return Err(format!("longer than {MAX_PATH_CHARS} characters"));
    }
    if !path.starts_with("/api/v1/") {
        return Err("must start with /api/v1/".into());
    }
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    if route.contains("//") || route.contains(':') {
        return Err("must not name a scheme or host".into());
    }
    let decoded_dots = route.to_ascii_lowercase().contains("%2e");
    if route.split('/').any(|s| s == ".." || s == ".") || decoded_dots {
        return Err("must not contain `.` or `..` segments".into());
    }
    let allowed = |c: char, extra: &str| {
        c.is_ascii_alphanumeric() || "-._~%/".contains(c) || extra.contains(c)
    };
    if !route.chars().all(|c| allowed(c, "")) {
        return Err("holds characters not allowed in an API path".into());
    }
    if !query.chars().all(|c| allowed(c, "=&+,:@")) {
        return Err("holds characters not allowed in a query".into());
    }
    Ok(())
}

/// The path of the call that rotates the link-signing key; its answer is a bare `SigningKey`.
pub const SIGNING_KEY_ROTATE_PATH: &str = "/api/v1/me/signing-key/rotate";

/// Blanks the link-signing secret in an answer before it goes to a page: inside every
/// `signing_key` object (`GET /api/v1/me` and anything embedding `Me`), and the bare key the
/// rotation answers. The secret stays in the background, which signs links itself.
pub fn redact_for_page(path: &str, body: &mut serde_json::Value) {
    let route = path.split_once('?').map_or(path, |(route, _)| route);
    if route.trim_end_matches('/') == SIGNING_KEY_ROTATE_PATH {
        if let Some(secret) = body.get_mut("secret") {
            *secret = serde_json::Value::String(String::new());
        }
    }
    blank_signing_keys(body);
}

fn blank_signing_keys(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "signing_key" {
                    if let Some(secret) = inner.get_mut("secret") {
                        *secret = serde_json::Value::String(String::new());
                    }
                }
                blank_signing_keys(inner);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(blank_signing_keys),
        _ => {}
    }
}

/// Why a call did not get an answer from the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the Salespane server at {server} cannot be reached ({reason}); check the server URL in Salespane's options, and that the server is running")]
    Unreachable { server: String, reason: String },
    #[error("the Salespane server at {server} did not answer within {seconds} seconds; try again, and check the server URL in Salespane's options if it keeps happening")]
    Timeout { server: String, seconds: i32 },
    #[error("Salespane has no permission to reach {server}; open Salespane's options and save the server URL again to grant it")]
    NoPermission { server: String },
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unreachable { .. } => "server_unreachable",
            ApiError::Timeout { .. } => "server_timeout",
            ApiError::NoPermission { .. } => "no_host_permission",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_of_the_configured_server_pass() {
        for ok in [
            "/api/v1/me",
            "/api/v1/admin/users?limit=50&cursor=abc",
            "/api/v1/me/onboarding",
            "/api/v1/admin/users/u%40x",
        ] {
            assert_eq!(validate_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/api/v2/me",
            "api/v1/me",
            "/api/v1/../../sfdc/_sandbox/expire",
            "/api/v1/%2e%2e/health",
            "/api/v1/./me",
            "https://evil.example/api/v1/me",
            "//evil.example/api/v1/me",
            "/api/v1//evil.example",
            "/api/v1/me\\..\\x",
            "/api/v1/me#frag",
            "/api/v1/me\n",
            "/api/v1/http:evil",
            "/sfdc/services/oauth2/token",
            "",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?} passed");
        }
        assert!(validate_path(&format!("/api/v1/{}", "a".repeat(3000))).is_err());
    }

    #[test]
    fn the_signing_secret_never_reaches_a_page() {
        let mut me = serde_json::json!({
            "user": {"email": "ada.admin@acme.example"},
            "signing_key": {"id": "k1", "secret": "c2VjcmV0LXNpZ25pbmcta2V5", "created_at": 1},
            "nested": [{"signing_key": {"id": "k0", "secret": "b2xkLWtleQ"}}]
        });
        redact_for_page("/api/v1/me", &mut me);
        assert_eq!(me["signing_key"]["secret"], "");
        assert_eq!(me["signing_key"]["id"], "k1");
        assert_eq!(me["nested"][0]["signing_key"]["secret"], "");
        assert_eq!(me["user"]["email"], "ada.admin@acme.example");

        let rotated = || serde_json::json!({"id": "k2", "secret": "bmV3LWtleQ", "created_at": 2});
        for path in [
            SIGNING_KEY_ROTATE_PATH,
            "/api/v1/me/signing-key/rotate/?x=1",
        ] {
            let mut key = rotated();
            redact_for_page(path, &mut key);
            assert_eq!(key["secret"], "", "{path}");
            assert_eq!(key["id"], "k2");
        }
        // Other answers keep a field named `secret` (a SCIM token is shown once, at creation).
        let mut scim = serde_json::json!({"id": "t1", "secret": "scim-token-shown-once"});
        redact_for_page("/api/v1/admin/scim-tokens", &mut scim);
        assert_eq!(scim["secret"], "scim-token-shown-once");
    }

    #[test]
    fn methods_are_the_five_the_api_uses() {
        assert_eq!(ApiMethod::parse("PATCH"), Some(ApiMethod::Patch));
        assert_eq!(ApiMethod::parse("get"), None);
        assert_eq!(ApiMethod::parse("TRACE"), None);
        assert_eq!(ApiMethod::Delete.as_str(), "DELETE");
    }
}
