//! The one message surface between the extension's contexts and the background: one request
//! enum, one response enum, both JSON objects tagged by `type` and carrying the protocol
//! version `v`. Example: `{"v":1,"type":"hostSpec","url":"https://mail.google.com/"}`.

use crate::hosts::HostSpec;
use crate::limits::MAX_MESSAGE_BYTES;
use crate::observation::{Observation, ObservedPage};
use crate::settings::Settings;
use salespane_api::error::ErrorDetail;
use salespane_api::me::Me;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const PROTOCOL_VERSION: u32 = 1;

/// What content scripts and extension pages ask the background.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Request {
    /// The host spec for the page at `url` (`null` when Salespane does not work there).
    HostSpec { url: String },
    /// What the content script sees on its page now.
    Observed { url: String, page: ObservedPage },
    /// From the panel: what was last observed in the panel's tab.
    PanelState,
    /// Health and timing, for the benchmarks.
    Diagnostics,
    // The requests below are accepted from the extension's own pages only (popup, options,
    // onboarding, admin, panel), never from a content script.
    /// Signs in with the configured identity provider; answers `authStatus`.
    /// `loginHint` prefills the user name (else the options' one).
    SignIn {
        #[serde(default)]
        interactive: bool,
        #[serde(default)]
        login_hint: Option<String>,
    },
    /// Revokes the grant (best effort) and forgets tokens and the cached user; answers
    /// `authStatus` (signed out).
    SignOut,
    /// Who is signed in: answers `authStatus` with the server's `Me`, or the server's reason
    /// for refusing (`error`).
    AuthStatus,
    /// One call to the Salespane API with the user's token; answers `apiReply`.
    Api {
        method: String,
        path: String,
        #[serde(default)]
        body: Option<Value>,
    },
    /// The server and identity provider settings; answers `settings`.
    GetSettings,
    /// Saves them (the page asked for the host permission first); answers `settings`.
    /// Changing the server or identity provider signs out.
    SaveSettings { settings: Settings },
    /// Opens one of the extension's pages in a new tab; answers `ack`. For the panel: Firefox
    /// gives extension frames inside web pages no `tabs` API.
    OpenPage { page: ExtensionPage },
    /// From a content script (a tab's top frame) or one of the extension's pages, when the user
    /// sends a tracked mail: the body, subject and recipients; answers `trackedBody`, from the
    /// background's local state only (see `crate::tracking`).
    TrackBody {
        html: String,
        #[serde(default)]
        subject: String,
        to: Vec<String>,
        #[serde(default)]
        cc: Vec<String>,
        #[serde(default)]
        bcc: Vec<String>,
    },
}

/// One link of a `trackedBody`: its index in the click URL and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedLinkInfo {
    pub index: u32,
    pub destination: String,
}

/// Why a `trackedBody` comes back untracked (the body is then sent as the user wrote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UntrackedReason {
    /// Mail to oneself is never tracked.
    ToSelf,
    NotSignedIn,
    /// The cached user has no usable link-signing key: signing in again fetches one.
    NoSigningKey,
    /// The body could not be rewritten (too large, or the server URL is unusable).
    BodyRefused,
}

/// The extension pages a tab may be opened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtensionPage {
    Options,
    Onboarding,
    Admin,
}

impl ExtensionPage {
    pub fn path(self) -> &'static str {
        match self {
            ExtensionPage::Options => "options.html",
            ExtensionPage::Onboarding => "onboarding.html",
            ExtensionPage::Admin => "admin.html",
        }
    }
}

/// What the background answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Response {
    HostSpec {
        spec: Option<Box<HostSpec>>,
    },
    /// `changed` is false when the observation equals the one already held for the tab.
    Ack {
        changed: bool,
    },
    PanelState {
        observation: Option<Observation>,
    },
    /// `cold_start_ms`: the worker's clock when it answered its first message (its time origin
    /// is its start). `answered` counts every message answered so far, this one included.
    Diagnostics {
        cold_start_ms: f64,
        answered: u64,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// `error` is the server's refusal (`{"code":"not_imported","message":…}`), or why
    /// signing in or reaching the server failed; `me` is set when signed in and accepted.
    AuthStatus {
        signed_in: bool,
        me: Option<Box<Me>>,
        error: Option<ErrorDetail>,
    },
    /// The server's status and JSON body (`null` when empty or not JSON). When no answer came
    /// (`status` 0) or the user is not signed in (`status` 401), `error` says why.
    ApiReply {
        status: u16,
        body: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ErrorDetail>,
    },
    /// The saved settings, and the defaults (for the options page's placeholders).
    Settings {
        settings: Settings,
        defaults: Settings,
        effective_issuer: String,
        idp_name: String,
        /// `https://host/*` patterns to request with `permissions.request` (not in the manifest).
        permission_patterns: Vec<String>,
    },
    /// The body to send: tracked (links signed, the pixel added) with its message id and
    /// links, or unchanged (`tracked: false`) with the `reason`.
    TrackedBody {
        tracked: bool,
        html: String,
        message_id: Option<String>,
        links: Vec<TrackedLinkInfo>,
        reason: Option<UntrackedReason>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    TooLarge,
    Malformed,
    UnsupportedVersion,
    Invalid,
    NoTab,
    UnsupportedPage,
    /// A request only the extension's own pages may make came from elsewhere.
    Forbidden,
    /// The background could not finish (storage or browser API failure).
    Unavailable,
}

/// What the background asks a content script (sent with `tabs.sendMessage` to a tab's top frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ToContent {
    /// Report the page again even if it did not change: a restarted background has lost what
    /// it knew (an idle service worker or event page is stopped by the browser).
    Reobserve,
}

/// Why a request was refused. Messages say what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the message has {bytes} bytes, more than the {MAX_MESSAGE_BYTES} accepted; report less at once")]
    TooLarge { bytes: usize },
    #[error("the message is not a request the background knows ({0}); reload the page so the content script and background match")]
    Malformed(String),
    #[error("protocol version {0} is not supported (this background speaks {PROTOCOL_VERSION}); reload the page after an extension update")]
    UnsupportedVersion(u64),
    #[error("`{field}` was refused: {reason}")]
    Invalid { field: String, reason: String },
    #[error("this request must come from a page in a browser tab")]
    NoTab,
    #[error("Salespane does not work on this page")]
    UnsupportedPage,
    #[error("only Salespane's own pages may ask for this")]
    Forbidden,
    #[error("{0}")]
    Unavailable(String),
}

impl RequestError {
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::TooLarge { .. } => ErrorCode::TooLarge,
            RequestError::Malformed(_) => ErrorCode::Malformed,
            RequestError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            RequestError::Invalid { .. } => ErrorCode::Invalid,
            RequestError::NoTab => ErrorCode::NoTab,
            RequestError::UnsupportedPage => ErrorCode::UnsupportedPage,
            RequestError::Forbidden => ErrorCode::Forbidden,
            RequestError::Unavailable(_) => ErrorCode::Unavailable,
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl ToString) -> RequestError {
        RequestError::Invalid {
            field: field.into(),
            reason: reason.to_string(),
        }
    }
}

impl From<RequestError> for Response {
    fn from(err: RequestError) -> Response {
        Response::Error {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

/// Decodes one request from its JSON text: size first, then the version, then the shape.
pub fn decode(json: &str) -> Result<Request, RequestError> {
    if json.len() > MAX_MESSAGE_BYTES {
        return Err(RequestError::TooLarge { bytes: json.len() });
    }
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let version = value
        .get("v")
        .ok_or_else(|| RequestError::Malformed("no protocol version `v`".into()))?;
    match version.as_u64() {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => return Err(RequestError::UnsupportedVersion(v)),
        None => return Err(RequestError::Malformed("`v` is not a number".into())),
    }
    serde_json::from_value(value).map_err(|e| RequestError::Malformed(e.to_string()))
}

/// A request or response with its protocol version, as it travels.
#[derive(Debug, Serialize, Deserialize)]
pub struct Versioned<T> {
    pub v: u32,
    #[serde(flatten)]
    pub body: T,
}

impl<T> Versioned<T> {
    pub fn new(body: T) -> Versioned<T> {
        Versioned {
            v: PROTOCOL_VERSION,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_decode_from_their_wire_shape() {
        assert_eq!(
            decode(r#"{"v":1,"type":"hostSpec","url":"https://mail.google.com/"}"#),
            Ok(Request::HostSpec {
                url: "https://mail.google.com/".into()
            })
        );
        assert_eq!(
            decode(r#"{"v":1,"type":"panelState"}"#),
            Ok(Request::PanelState)
        );
        assert_eq!(
            decode(r#"{"type":"diagnostics","v":1}"#),
            Ok(Request::Diagnostics)
        );
        let observed = decode(
            &json!({"v":1,"type":"observed","url":"https://mail.google.com/","page":{
                "recordTitle": null,
                "composes":[{"key":"c1","to":["a@x.example"],"cc":[],"bcc":[],"subject":"Hi"}]
            }})
            .to_string(),
        );
        assert!(
            matches!(observed, Ok(Request::Observed { .. })),
            "{observed:?}"
        );
    }

    #[test]
    fn bad_requests_get_typed_errors() {
        let code = |json: &str| decode(json).unwrap_err().code();
        assert_eq!(code("not json"), ErrorCode::Malformed);
        assert_eq!(code(r#"{"type":"panelState"}"#), ErrorCode::Malformed);
        assert_eq!(
            code(r#"{"v":"1","type":"panelState"}"#),
            ErrorCode::Malformed
        );
        assert_eq!(
            code(r#"{"v":2,"type":"panelState"}"#),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(
            code(r#"{"v":1,"type":"launchMissiles"}"#),
            ErrorCode::Malformed
        );
        assert_eq!(code(r#"{"v":1,"type":"hostSpec"}"#), ErrorCode::Malformed);
        assert_eq!(
            code(r#"{"v":1,"type":"hostSpec","url":7}"#),
            ErrorCode::Malformed
        );
        assert_eq!(code("null"), ErrorCode::Malformed);
        let huge = format!(
            r#"{{"v":1,"type":"hostSpec","url":"{}"}}"#,
            "a".repeat(MAX_MESSAGE_BYTES)
        );
        assert_eq!(code(&huge), ErrorCode::TooLarge);
    }

    #[test]
    fn responses_carry_version_and_type() {
        let ack = serde_json::to_value(Versioned::new(Response::Ack { changed: true })).unwrap();
        assert_eq!(ack, json!({"v":1,"type":"ack","changed":true}));
        let diag = serde_json::to_value(Versioned::new(Response::Diagnostics {
            cold_start_ms: 12.5,
            answered: 3,
        }))
        .unwrap();
        assert_eq!(
            diag,
            json!({"v":1,"type":"diagnostics","coldStartMs":12.5,"answered":3})
        );
        let err =
            serde_json::to_value(Versioned::new(Response::from(RequestError::NoTab))).unwrap();
        assert_eq!(err["type"], "error");
        assert_eq!(err["code"], "noTab");
        assert!(err["message"].as_str().unwrap().contains("tab"));
        let reobserve = serde_json::to_value(Versioned::new(ToContent::Reobserve)).unwrap();
        assert_eq!(reobserve, json!({"v":1,"type":"reobserve"}));
        let back: Versioned<Response> = serde_json::from_value(diag).unwrap();
        assert_eq!(back.v, 1);
        assert!(matches!(
            back.body,
            Response::Diagnostics { answered: 3, .. }
        ));
    }

    #[test]
    fn sign_in_and_api_shapes_are_the_documented_ones() {
        assert_eq!(
            decode(r#"{"v":1,"type":"signIn","interactive":true,"loginHint":"a@b.example"}"#),
            Ok(Request::SignIn {
                interactive: true,
                login_hint: Some("a@b.example".into())
            })
        );
        assert_eq!(
            decode(r#"{"v":1,"type":"api","method":"GET","path":"/api/v1/me","body":null}"#),
            Ok(Request::Api {
                method: "GET".into(),
                path: "/api/v1/me".into(),
                body: None
            })
        );
        assert_eq!(
            decode(r#"{"v":1,"type":"openPage","page":"onboarding"}"#),
            Ok(Request::OpenPage {
                page: ExtensionPage::Onboarding
            })
        );
        let status = serde_json::to_value(Versioned::new(Response::AuthStatus {
            signed_in: false,
            me: None,
            error: Some(ErrorDetail {
                code: "not_imported".into(),
                message: "Ask your admin".into(),
            }),
        }))
        .unwrap();
        assert_eq!(
            status,
            json!({"v":1,"type":"authStatus","signedIn":false,"me":null,
                   "error":{"code":"not_imported","message":"Ask your admin"}})
        );
        let reply = serde_json::to_value(Versioned::new(Response::ApiReply {
            status: 204,
            body: Value::Null,
            error: None,
        }))
        .unwrap();
        assert_eq!(
            reply,
            json!({"v":1,"type":"apiReply","status":204,"body":null})
        );
    }
}
