//! What the background keeps, and where. The access token lives in `storage.session` (memory
//! only, gone when the browser closes, not readable by content scripts); the refresh token and
//! the endpoints needed to use it live in `storage.local`, which content scripts CAN read, so
//! the refresh token is only ever there sealed (AES-GCM under a key kept in the extension's own
//! IndexedDB, see `extension/adapter.js`). Sign-out removes every key here.

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
    /// The refresh token sealed by the adapter's `sealLocal`: base64 of iv‖ciphertext. None
    /// when the provider gave none, or sealing was impossible (the session then ends with the
    /// access token). A plaintext `refreshToken` of an older build is ignored, so dropped.
    #[serde(default)]
    pub refresh_token_sealed: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_grant_holds_no_plaintext_refresh_token() {
        let grant = StoredGrant {
            refresh_token_sealed: Some("AAECAwQFBgcICQoL3q2+7w==".into()),
            issuer: "http://127.0.0.1:8787/sfdc".into(),
            client_id: "salespane-extension".into(),
            token_endpoint: "http://127.0.0.1:8787/sfdc/services/oauth2/token".into(),
            revocation_endpoint: None,
        };
        let json = serde_json::to_value(&grant).unwrap();
        assert!(json.get("refreshToken").is_none(), "{json}");
        assert_eq!(json["refreshTokenSealed"], "AAECAwQFBgcICQoL3q2+7w==");

        // A grant written by a build that kept the token in clear is read without it: the
        // session then ends and the clear token is removed, rather than used.
        let legacy = serde_json::json!({
            "refreshToken": "5Aep861.plaintext",
            "issuer": "http://127.0.0.1:8787/sfdc",
            "clientId": "salespane-extension",
            "tokenEndpoint": "http://127.0.0.1:8787/sfdc/services/oauth2/token"
        });
        let read: StoredGrant = serde_json::from_value(legacy).unwrap();
        assert_eq!(read.refresh_token_sealed, None);
    }
}
