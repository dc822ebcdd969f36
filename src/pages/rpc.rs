//! The pages' one way to the server: runtime messages to the background, which holds the
//! tokens and calls the API (the pages never see a token). Contract with the background:
//! `{"v":1,"type":"api","method","path","body"}` → `{"v":1,"type":"apiReply","status","body"}`,
//! `authStatus`, `signIn`, `signOut` → `{"type":"authStatus","signedIn","me","error"}`.

use super::PageError;
use salespane_api::error::ErrorDetail;
use salespane_api::me::Me;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const VERSION: u64 = 1;

/// What the background says about sign-in.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatus {
    #[serde(default)]
    pub signed_in: bool,
    #[serde(default)]
    pub me: Option<Me>,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// Sends one message to the background and returns its answer as JSON.
pub(crate) async fn send(message: Value) -> Result<Value, PageError> {
    let adapter = crate::ui::browser::adapter();
    let send = js_sys::Reflect::get(&adapter, &JsValue::from_str("send"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| {
            PageError::local(
                "no_adapter",
                "The extension is not loaded on this page. Reload it.",
            )
        })?;
    let message = js_sys::JSON::parse(&message.to_string())
        .map_err(|_| PageError::local("bad_message", "Could not build the request."))?;
    let promise: js_sys::Promise = send
        .call1(&adapter, &message)
        .and_then(|p| p.dyn_into::<js_sys::Promise>())
        .map_err(|e| PageError::unreachable(&e))?;
    let answer = JsFuture::from(promise)
        .await
        .map_err(|e| PageError::unreachable(&e))?;
    if answer.is_undefined() || answer.is_null() {
        return Err(PageError::local(
            "no_answer",
            "The extension's background did not answer. Reload the page, or restart the browser.",
        ));
    }
    let text = js_sys::JSON::stringify(&answer)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|_| {
        PageError::local(
            "bad_answer",
            "The extension's background answered something unexpected. Reload the page.",
        )
    })
}

/// The background's answer as an auth status; a top-level `error` is kept in it.
fn auth_status(answer: Value) -> Result<AuthStatus, PageError> {
    serde_json::from_value(answer).map_err(|_| {
        PageError::local(
            "bad_answer",
            "The extension's background answered something unexpected. Reload the page.",
        )
    })
}

pub async fn status() -> Result<AuthStatus, PageError> {
    auth_status(send(json!({"v": VERSION, "type": "authStatus"})).await?)
}

/// Signs in with Salesforce (a window the user completes). `login_hint` prefills the user.
pub async fn sign_in(login_hint: Option<&str>) -> Result<AuthStatus, PageError> {
    let mut message = json!({"v": VERSION, "type": "signIn", "interactive": true});
    if let Some(hint) = login_hint {
        message["loginHint"] = Value::from(hint);
    }
    auth_status(send(message).await?)
}

pub async fn sign_out() -> Result<(), PageError> {
    send(json!({"v": VERSION, "type": "signOut"}))
        .await
        .map(|_| ())
}

/// Calls the API through the background. A 2xx answer is decoded as `T`; anything else
/// becomes a [`PageError`] with the server's code and message.
pub async fn api<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<T, PageError> {
    let answer = send(json!({
        "v": VERSION,
        "type": "api",
        "method": method,
        "path": path,
        "body": body,
    }))
    .await?;
    api_answer(answer)
}

/// Connects the signed-in user's own Salesforce user (the background runs Salesforce's
/// sign-in window and hands the code to the server); the user's CRM connection on success.
pub async fn connect_crm<T: DeserializeOwned>(login_hint: Option<&str>) -> Result<T, PageError> {
    let mut message = json!({"v": VERSION, "type": "connectCrm"});
    if let Some(hint) = login_hint {
        message["loginHint"] = Value::from(hint);
    }
    api_answer(send(message).await?)
}

/// An `apiReply`: a 2xx body decoded as `T`, else the server's (or background's) error.
fn api_answer<T: DeserializeOwned>(answer: Value) -> Result<T, PageError> {
    let status = answer.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
    let body = answer.get("body").cloned().unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        // 204 has no body: let `()` and `Value` decode from null.
        return serde_json::from_value(body).map_err(|_| {
            PageError::local(
                "bad_answer",
                "The server answered in a shape this version of the extension does not know. Update the extension.",
            )
        });
    }
    if let Some(detail) = answer.get("error").or_else(|| body.get("error")) {
        if let Ok(detail) = serde_json::from_value::<ErrorDetail>(detail.clone()) {
            return Err(PageError {
                status,
                code: detail.code,
                message: detail.message,
            });
        }
    }
    Err(PageError::from_status(status))
}
