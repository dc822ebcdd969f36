//! What the background keeps, and where. The access token lives in `storage.session` (memory
//! only, gone when the browser closes, not readable by content scripts); the refresh token and
//! the endpoints needed to use it live in `storage.local`. Sign-out removes every key here.

use serde::{Deserialize, Serialize};

/// `storage.session`: [`SessionTokens`].
pub const SESSION_KEY: &str = "salespane.auth.session";
/// `storage.session`: the last `GET /api/v1/me` answer (`salespane_api::me::Me`).
pub const ME_KEY: &str = "salespane.me";
/// `storage.local`: [`StoredGrant`].
pub const GRANT_KEY: &str = "salespane.auth";

/// Every key sign-out clears, by storage area.
pub const SESSION_KEYS: [&str; 2] = [SESSION_KEY, ME_KEY];
pub const LOCAL_KEYS: [&str; 1] = [GRANT_KEY];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokens {
    pub access_token: String,
    /// The issuer that granted it: a token is never sent once the settings name another.
    pub issuer: String,
}

/// The long-lived grant and what is needed to refresh or revoke it without a new discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredGrant {
    pub refresh_token: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}
