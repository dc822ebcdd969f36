//! What the background keeps, and where.
//!
//! - `storage.session` (memory only, gone when the browser closes, not readable by content
//!   scripts): the access token, bound to the server and issuer it was obtained for.
//! - `storage.local`, which content scripts CAN read and write: the grant (refresh token,
//!   token and revocation endpoints) and the settings (`crate::settings`, which say where tokens
//!   go). Both are kept only sealed, as [`SealedValue`]: AES-GCM under a non-extractable key in
//!   the extension's own IndexedDB (see `extension/adapter_trusted.js`), with the storage key as
//!   associated data. A value that is not sealed, does not open, or was moved from another key
//!   is refused ([`Refusal`]): it is removed with every token, nothing is sent anywhere it
//!   names, and the user is asked to sign in again.
//!
//! Sign-out removes every key here.

use super::oidc::same_origin;
use super::AuthError;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `storage.session`: [`SessionTokens`].
pub const SESSION_KEY: &str = "salespane.auth.session";
/// `storage.session`: the last `GET /api/v1/me` answer (`salespane_api::me::Me`).
pub const ME_KEY: &str = "salespane.me";
/// `storage.session`: why the stored sign-in state was last refused (an `ErrorDetail`), shown
/// until the user signs in or out.
pub const NOTICE_KEY: &str = "salespane.auth.notice";
/// `storage.local`: [`StoredGrant`], sealed.
pub const GRANT_KEY: &str = "salespane.auth";

/// Every key sign-out clears, by storage area (the settings stay).
pub const SESSION_KEYS: [&str; 2] = [SESSION_KEY, ME_KEY];
pub const LOCAL_KEYS: [&str; 1] = [GRANT_KEY];

/// How a protected value sits in `storage.local`: `{"sealed": base64(iv ‖ ciphertext)}`. The
/// plaintext is the value's JSON; the associated data names its storage key, so a sealed value
/// copied under another key does not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedValue {
    pub sealed: String,
}

/// Why a protected value of `storage.local` was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The sealing key is gone (the extension's IndexedDB was cleared): nothing opens.
    KeyLost,
    /// Not a value Salespane sealed under this key: written by something else (a content
    /// script can write `storage.local`), altered, or left by an older version.
    Altered,
}

impl Refusal {
    /// What the user is told.
    pub fn error(self) -> AuthError {
        match self {
            Refusal::KeyLost => AuthError::SessionEnded,
            Refusal::Altered => AuthError::StoredStateRefused,
        }
    }
}

/// The access token and what it was obtained for: it is sent only to that server, and only
/// while the settings still name the same server and issuer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokens {
    pub access_token: String,
    /// The issuer that granted it.
    pub issuer: String,
    /// The Salespane server it was obtained for (`Settings::server_url`). A token of an older
    /// build (without it) is never sent.
    #[serde(default)]
    pub server_url: String,
}

impl SessionTokens {
    pub fn usable_with(&self, settings: &Settings) -> bool {
        !self.server_url.is_empty()
            && self.server_url == settings.server_url
            && self.issuer == settings.effective_issuer()
    }
}

impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens")
            .field("access_token", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("server_url", &self.server_url)
            .finish()
    }
}

/// The long-lived grant and what is needed to refresh or revoke it without a new discovery.
/// Kept whole inside one [`SealedValue`]: the endpoints are as protected as the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredGrant {
    /// None when the provider gave none (the session then ends with the access token).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The Salespane server the sign-in was for.
    pub server_url: String,
    pub issuer: String,
    pub client_id: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

impl StoredGrant {
    /// True when the endpoints this grant sends its tokens to are on its issuer's origin
    /// (checked at sign-in from discovery, and again whenever the grant is read).
    pub fn endpoints_on_issuer(&self) -> bool {
        same_origin(&self.issuer, &self.token_endpoint)
            && self
                .revocation_endpoint
                .as_deref()
                .is_none_or(|revoke| same_origin(&self.issuer, revoke))
    }

    /// True when the grant was obtained under these settings' server, issuer and client.
    pub fn usable_with(&self, settings: &Settings) -> bool {
        self.server_url == settings.server_url
            && self.issuer == settings.effective_issuer()
            && self.client_id == settings.effective_client_id()
            && self.endpoints_on_issuer()
    }
}

impl fmt::Debug for StoredGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredGrant")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("server_url", &self.server_url)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("token_endpoint", &self.token_endpoint)
            .field("revocation_endpoint", &self.revocation_endpoint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "http://127.0.0.1:8787";
    const ISSUER: &str = "http://127.0.0.1:8787/sfdc";

    fn settings(server: &str) -> Settings {
        Settings {
            server_url: server.into(),
            ..Settings::default()
        }
    }

    fn grant() -> StoredGrant {
        StoredGrant {
            refresh_token: Some("5Aep861.secret".into()),
            server_url: SERVER.into(),
            issuer: ISSUER.into(),
            client_id: "salespane-extension".into(),
            token_endpoint: format!("{ISSUER}/services/oauth2/token"),
            revocation_endpoint: Some(format!("{ISSUER}/services/oauth2/revoke")),
        }
    }

    #[test]
    fn only_a_sealed_envelope_is_read_from_storage_local() {
        let sealed: SealedValue =
            serde_json::from_value(serde_json::json!({"sealed": "AAECAwQFBgcICQoL3q2+7w=="}))
                .unwrap();
        assert_eq!(sealed.sealed, "AAECAwQFBgcICQoL3q2+7w==");
        // What a content script could write in its place: a grant in clear, or an envelope
        // with an extra field beside it. Neither is taken as sealed.
        let in_clear = serde_json::json!({
            "refreshTokenSealed": "AAECAwQFBgcICQoL3q2+7w==",
            "issuer": ISSUER,
            "clientId": "salespane-extension",
            "tokenEndpoint": "https://attacker.example/token"
        });
        assert!(serde_json::from_value::<SealedValue>(in_clear).is_err());
        let padded = serde_json::json!({"sealed": "AAEC", "tokenEndpoint": "https://x.example"});
        assert!(serde_json::from_value::<SealedValue>(padded).is_err());
        assert_eq!(Refusal::Altered.error(), AuthError::StoredStateRefused);
        assert_eq!(Refusal::KeyLost.error(), AuthError::SessionEnded);
    }

    #[test]
    fn the_access_token_is_sent_only_to_the_server_it_was_obtained_for() {
        let tokens = SessionTokens {
            access_token: "00D!token".into(),
            issuer: ISSUER.into(),
            server_url: SERVER.into(),
        };
        assert!(tokens.usable_with(&settings(SERVER)));
        // Another server that names the same issuer explicitly: the issuer alone would allow
        // it, the binding to the server does not.
        let elsewhere = Settings {
            issuer: ISSUER.into(),
            ..settings("http://127.0.0.1:9999")
        };
        assert_eq!(elsewhere.effective_issuer(), ISSUER);
        assert!(!tokens.usable_with(&elsewhere));
        // A token stored by an older build knows no server: never sent.
        let legacy: SessionTokens = serde_json::from_value(
            serde_json::json!({"accessToken": "00D!token", "issuer": ISSUER}),
        )
        .unwrap();
        assert!(!legacy.usable_with(&settings(SERVER)));
        assert!(!format!("{tokens:?}").contains("00D!token"));
    }

    #[test]
    fn the_grant_is_used_only_under_its_settings_and_on_its_issuer() {
        assert!(grant().usable_with(&settings(SERVER)));
        let elsewhere = Settings {
            issuer: ISSUER.into(),
            ..settings("http://127.0.0.1:9999")
        };
        assert!(!grant().usable_with(&elsewhere));
        let other_client = Settings {
            client_id: "another-app".into(),
            ..settings(SERVER)
        };
        assert!(!grant().usable_with(&other_client));
        for bad in [
            StoredGrant {
                token_endpoint: "https://attacker.example/token".into(),
                ..grant()
            },
            StoredGrant {
                revocation_endpoint: Some("http://127.0.0.1:9/revoke".into()),
                ..grant()
            },
        ] {
            assert!(!bad.endpoints_on_issuer(), "{bad:?}");
            assert!(!bad.usable_with(&settings(SERVER)));
        }
        assert!(!format!("{:?}", grant()).contains("5Aep861"));
    }
}
