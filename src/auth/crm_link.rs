//! Connecting the user's own Salesforce user (the CRM connection, not the Salespane sign-in):
//! the server starts the OAuth flow, the browser's identity window brings the code back to
//! this extension (never to a web page or another person's browser), and the code goes to the
//! server under the user's own token, which only then exchanges it.
//!
//! The pure pieces are here and unit-tested; [`session`] (WASM background only) drives them.

use super::oidc;
use super::AuthError;
use salespane_api::me::ConnectStart;

/// `POST` these to start and finish; the finish answer is the user's `MyCrmConnection`.
pub const START_PATH: &str = "/api/v1/me/crm-connection/start";
pub const FINISH_PATH: &str = "/api/v1/me/crm-connection/finish";

/// The start request's body: where the browser's identity window must come back.
pub fn start_body(redirect_uri: &str) -> serde_json::Value {
    serde_json::json!({ "redirect_uri": redirect_uri })
}

/// The authorize URL to open, with the user name prefilled when known.
pub fn authorize_url(start: &ConnectStart, login_hint: Option<&str>) -> String {
    match login_hint.map(str::trim).filter(|h| !h.is_empty()) {
        Some(hint) => {
            let encoded: String = form_urlencoded::byte_serialize(hint.as_bytes()).collect();
            let joiner = if start.authorize_url.contains('?') {
                '&'
            } else {
                '?'
            };
            format!("{}{joiner}login_hint={encoded}", start.authorize_url)
        }
        None => start.authorize_url.clone(),
    }
}

/// The finish request's body from the URL the identity window came back to: the state must be
/// the one this start was given.
pub fn finish_body(
    returned: &str,
    redirect_uri: &str,
    start: &ConnectStart,
) -> Result<serde_json::Value, AuthError> {
    let code = oidc::read_redirect(returned, redirect_uri, &start.state)?;
    Ok(serde_json::json!({ "code": code, "state": start.state }))
}

#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod session {
    //! The flow in the background: identity window, then the two API calls.

    use super::super::session::{api, Reply};
    use super::super::AuthError;
    use crate::api_client::ApiMethod;
    use crate::protocol::Response;
    use salespane_api::error::ErrorDetail;
    use salespane_api::me::ConnectStart;
    use serde_json::Value;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        // The trusted browser adapter (extension/adapter_trusted.js), as sign-in uses it.
        #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = redirectUrl, catch)]
        fn redirect_url() -> Result<String, JsValue>;
        #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = launchWebAuthFlow, catch)]
        async fn launch_web_auth_flow(url: &str, interactive: bool) -> Result<JsValue, JsValue>;
    }

    fn failed(code: &str, message: String) -> Response {
        Response::ApiReply {
            status: 0,
            body: Value::Null,
            error: Some(ErrorDetail {
                code: code.to_string(),
                message,
            }),
        }
    }

    fn js_text(error: &JsValue) -> String {
        error
            .as_string()
            .or_else(|| {
                js_sys::Reflect::get(error, &JsValue::from_str("message"))
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| "unknown error".into())
    }

    /// Connects the signed-in user's Salesforce user; answers `apiReply` (the finish's answer,
    /// or the first step's failure).
    pub async fn connect_crm(login_hint: Option<String>) -> Response {
        let redirect = match redirect_url() {
            Ok(url) => url,
            Err(e) => {
                return failed(
                    "identity_unavailable",
                    format!(
                        "this browser does not offer sign-in windows to extensions ({}); update the browser",
                        js_text(&e)
                    ),
                )
            }
        };
        let started: Reply = api(
            ApiMethod::Post,
            super::START_PATH,
            Some(super::start_body(&redirect)),
        )
        .await;
        if started.status != 200 {
            return started.into_response();
        }
        let Ok(start) = serde_json::from_value::<ConnectStart>(started.body) else {
            return failed(
                "bad_answer",
                "The server answered in a shape this version of the extension does not know. Update the extension.".into(),
            );
        };
        let url = super::authorize_url(&start, login_hint.as_deref());
        let returned = match launch_web_auth_flow(&url, true).await {
            Ok(value) => value.as_string().unwrap_or_default(),
            Err(e) => {
                return failed(
                    AuthError::Cancelled.code(),
                    format!("{} ({})", AuthError::Cancelled, js_text(&e)),
                )
            }
        };
        match super::finish_body(&returned, &redirect, &start) {
            Ok(body) => api(ApiMethod::Post, super::FINISH_PATH, Some(body))
                .await
                .into_response(),
            Err(err) => failed(err.code(), err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> ConnectStart {
        ConnectStart {
            authorize_url: "https://login.example/services/oauth2/authorize?state=s1&x=1".into(),
            state: "s1".into(),
        }
    }

    const REDIRECT: &str = "https://abc.chromiumapp.org/";

    #[test]
    fn the_user_name_is_prefilled_when_known() {
        assert_eq!(
            authorize_url(&start(), Some("sam.seller@acme.example")),
            "https://login.example/services/oauth2/authorize?state=s1&x=1&login_hint=sam.seller%40acme.example"
        );
        assert_eq!(authorize_url(&start(), Some("  ")), start().authorize_url);
        assert_eq!(authorize_url(&start(), None), start().authorize_url);
    }

    #[test]
    fn only_this_starts_redirect_with_its_state_is_finished() {
        let body = finish_body(
            &format!("{REDIRECT}?code=c%2B1&state=s1"),
            REDIRECT,
            &start(),
        )
        .unwrap();
        assert_eq!(body, serde_json::json!({"code": "c+1", "state": "s1"}));
        assert_eq!(
            finish_body(
                &format!("{REDIRECT}?code=c&state=other"),
                REDIRECT,
                &start()
            ),
            Err(AuthError::StateMismatch)
        );
        assert!(finish_body(
            "https://attacker.example/?code=c&state=s1",
            REDIRECT,
            &start()
        )
        .is_err());
        assert!(matches!(
            finish_body(
                &format!("{REDIRECT}?error=access_denied&error_description=no&state=s1"),
                REDIRECT,
                &start()
            ),
            Err(AuthError::Refused { .. })
        ));
    }
}
