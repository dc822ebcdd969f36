//! Self-contained access and refresh tokens: `{org id}!{payload}.{mac}` where the payload is
//! base64url JSON and the mac an HMAC-SHA256 with the sandbox's signing secret. Because the
//! token carries everything, tokens survive a server restart; revocation and the test hook's
//! forced expiry are kept in memory.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};

/// Access tokens live two hours, like a default Salesforce session.
pub const ACCESS_TOKEN_LIFETIME_MICROS: i64 = 2 * 3600 * 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "o")]
    pub org_id: String,
    #[serde(rename = "u")]
    pub user_id: String,
    #[serde(rename = "k")]
    pub kind: TokenKind,
    #[serde(rename = "c")]
    pub client_id: String,
    #[serde(rename = "s")]
    pub scope: String,
    /// Issued at, microseconds since the epoch.
    pub iat: i64,
    /// Expiry in microseconds; `None` for refresh tokens (valid until revoked).
    pub exp: Option<i64>,
    /// Unique per token, the handle revocation uses.
    #[serde(rename = "n")]
    pub nonce: String,
    /// For an access token, the nonce of the refresh token it came from (if any), so revoking
    /// the refresh token revokes its access tokens too.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn new_nonce() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:04x}", now_micros(), n & 0xffff)
}

pub struct TokenCodec {
    secret: Vec<u8>,
}

impl TokenCodec {
    pub fn new(secret: &[u8]) -> TokenCodec {
        TokenCodec {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn encode(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let org15 = claims.org_id.get(..15).unwrap_or(&claims.org_id);
        let head = format!("{org15}!{}", URL_SAFE_NO_PAD.encode(payload));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(head.as_bytes()));
        format!("{head}.{mac}")
    }

    /// The claims of a token this sandbox signed; `None` for anything else.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        let (head, mac) = token.trim().rsplit_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let mut check = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).ok()?;
        check.update(head.as_bytes());
        check.verify_slice(&given).ok()?;
        let (_, payload) = head.split_once('!')?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The token response's `signature`: base64 HMAC-SHA256 of `id + issued_at`, as Salesforce
    /// computes with the connected app's secret.
    pub fn response_signature(&self, id_url: &str, issued_at: &str) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(self.mac(format!("{id_url}{issued_at}").as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            org_id: "00DAc0000000001AAA".into(),
            user_id: "005Ac0000000001AAA".into(),
            kind: TokenKind::Access,
            client_id: "c".into(),
            scope: "api".into(),
            iat: 1,
            exp: Some(2),
            nonce: new_nonce(),
            parent: None,
        }
    }

    #[test]
    fn tokens_round_trip_and_tampering_is_detected() {
        let codec = TokenCodec::new(b"secret");
        let token = codec.encode(&claims());
        assert!(token.starts_with("00DAc0000000001!"));
        assert_eq!(
            codec.decode(&token).map(|c| c.user_id),
            Some(claims().user_id)
        );
        let mut forged = token.clone();
        forged.insert(20, 'x');
        assert!(codec.decode(&forged).is_none());
        assert!(TokenCodec::new(b"other").decode(&token).is_none());
    }
}
