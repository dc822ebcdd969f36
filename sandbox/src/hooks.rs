//! Test hooks under `/_sandbox/`: not part of Salesforce's API, kept apart on purpose.
//! Token shortcut, forced expiry, fault injection and call counts.

use crate::faults::Fault;
use crate::state::Sandbox;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The client id tokens from `/_sandbox/token` carry unless one is given.
pub const TEST_CLIENT_ID: &str = "salespane-sandbox-tests";

#[derive(Deserialize)]
pub struct TokenRequest {
    pub username: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `POST /_sandbox/token {"username"}`: the token response the code flow would give.
pub async fn token(State(s): State<Arc<Sandbox>>, Json(req): Json<TokenRequest>) -> Response {
    let orgs = s.orgs.read().await;
    let Some((org, user)) = orgs
        .iter()
        .find_map(|o| o.user_by_username(&req.username).map(|u| (o, u)))
    else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_user", "error_description": format!("no sandbox user {}", req.username)}))).into_response();
    };
    if user.get("IsActive") != Some(&Value::Bool(true)) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "inactive_user", "error_description": "this sandbox user is inactive"}))).into_response();
    }
    let client_id = req.client_id.as_deref().unwrap_or(TEST_CLIENT_ID);
    let scope = req.scope.as_deref().unwrap_or("api refresh_token openid");
    Json(
        s.issue_tokens(org, user, client_id, scope, None, None)
            .await,
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct ExpireRequest {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub all: bool,
}

/// `POST /_sandbox/expire`: the access token (or all issued so far) now answer 401; refresh
/// tokens keep working.
pub async fn expire(State(s): State<Arc<Sandbox>>, Json(req): Json<ExpireRequest>) -> Response {
    let mut auth = s.auth.lock().await;
    if req.all {
        auth.expired_before = crate::tokens::now_micros();
        return Json(json!({"expired": "all"})).into_response();
    }
    match req.access_token.as_deref().and_then(|t| s.codec.decode(t)) {
        Some(claims) => {
            auth.expired.insert(claims.nonce);
            Json(json!({"expired": 1})).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "send {\"access_token\": \"...\"} or {\"all\": true}"})),
        )
            .into_response(),
    }
}

/// `POST /_sandbox/faults {"path_contains","status","times","delay_ms"}`.
pub async fn add_fault(State(s): State<Arc<Sandbox>>, Json(fault): Json<Fault>) -> Response {
    s.faults.lock().await.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /_sandbox/faults`: clears every pending fault.
pub async fn clear_faults(State(s): State<Arc<Sandbox>>) -> Response {
    s.faults.lock().await.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_sandbox/stats`: how many times the identity endpoints were called.
pub async fn stats(State(s): State<Arc<Sandbox>>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    Json(json!({
        "userinfo": s.identity_calls.userinfo.load(Relaxed),
        "introspect": s.identity_calls.introspect.load(Relaxed),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct EmailVerifiedRequest {
    pub username: String,
    pub verified: bool,
}

/// `POST /_sandbox/email-verified {"username","verified"}`: what userinfo says of the user's
/// email from now on (verified by default).
pub async fn email_verified(
    State(s): State<Arc<Sandbox>>,
    Json(req): Json<EmailVerifiedRequest>,
) -> Response {
    let user_id = {
        let orgs = s.orgs.read().await;
        orgs.iter()
            .find_map(|o| o.user_by_username(&req.username))
            .and_then(|u| u.get("Id").and_then(Value::as_str).map(str::to_string))
    };
    let Some(user_id) = user_id else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown_user"})),
        )
            .into_response();
    };
    let mut auth = s.auth.lock().await;
    if req.verified {
        auth.unverified_emails.remove(&user_id);
    } else {
        auth.unverified_emails.insert(user_id);
    }
    StatusCode::NO_CONTENT.into_response()
}
