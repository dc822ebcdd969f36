//! Secrets at rest: CRM refresh tokens, link-signing secrets and anything else the server
//! must be able to read back are sealed with AES-256-GCM under the server's key. Bearer
//! tokens the server only compares (SCIM tokens, the token cache) are hashed instead.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Sealed values are `v1.<base64url(nonce ‖ ciphertext)>`; the version lets the key or the
/// scheme change later without guessing.
const SEALED_PREFIX: &str = "v1.";
/// Values bound to where they are stored: the same shape, with [`Binding`] as the AES-GCM
/// associated data, so a ciphertext copied to another row, column or account fails to open.
const BOUND_PREFIX: &str = "v2.";

/// Where a sealed value lives. Sealing and opening must name the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
    pub account_id: &'a str,
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        // Length-prefixed parts: no two different bindings give the same bytes.
        let mut aad = b"salespane-sealed-v2".to_vec();
        for part in [self.table, self.column, self.row_id, self.account_id] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// Whether a stored value is bound to its row (`v2`) or an older, unbound one (`v1`).
pub fn is_bound(sealed: &str) -> bool {
    sealed.starts_with(BOUND_PREFIX)
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the server secret key must be 32 bytes, base64-encoded (generate one with `openssl rand -base64 32`)")]
    BadKey,
    #[error("a stored secret could not be decrypted: the server key changed or the database was altered; reconnect the affected CRM connection")]
    Unseal,
}

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// Separate from the encryption key so derived values reveal nothing about it.
    derivation_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_base64(key: &str) -> Result<SecretBox, CryptoError> {
        let bytes = STANDARD
            .decode(key.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(key.trim()))
            .map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        let mut derivation = Sha256::new();
        derivation.update(b"salespane-derivation-key\0");
        derivation.update(&bytes);
        Ok(SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
            derivation_key: derivation.finalize().into(),
        })
    }

    /// A fresh random key, base64.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// Seals a value not bound to a row (`v1`). Prefer [`SecretBox::seal_bound`] for
    /// anything stored in a table.
    pub fn seal(&self, plaintext: &str) -> String {
        self.seal_with(SEALED_PREFIX, plaintext, b"")
    }

    /// Seals a value for one place: it opens only with the same [`Binding`].
    pub fn seal_bound(&self, plaintext: &str, binding: &Binding<'_>) -> String {
        self.seal_with(BOUND_PREFIX, plaintext, &binding.associated_data())
    }

    fn seal_with(&self, prefix: &str, plaintext: &str, aad: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a 12-byte nonce and an in-memory buffer cannot fail.
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{prefix}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens an unbound (`v1`) value.
    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::Unseal)?;
        self.open_with(body, b"")
    }

    /// Opens a value sealed for `binding`. Unbound (`v1`) values are refused: the server
    /// re-seals them at start ([`crate::crm::access::reseal_unbound_secrets`]).
    pub fn open_bound(&self, sealed: &str, binding: &Binding<'_>) -> Result<String, CryptoError> {
        let body = sealed
            .strip_prefix(BOUND_PREFIX)
            .ok_or(CryptoError::Unseal)?;
        self.open_with(body, &binding.associated_data())
    }

    fn open_with(&self, body: &str, aad: &[u8]) -> Result<String, CryptoError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Unseal)?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Unseal)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Unseal)
    }

    /// A key for a purpose, derived from the server key (HMAC-SHA256 over the purpose), e.g.
    /// the sandbox's token-signing secret.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.derivation_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// SHA-256 hex of a bearer token: what the server keeps of tokens it only needs to compare.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_round_trip_and_are_not_plaintext() {
        let secrets = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = secrets.seal("5Aep861refresh-token");
        assert!(!sealed.contains("refresh-token"));
        assert_eq!(secrets.open(&sealed).unwrap(), "5Aep861refresh-token");
        assert_ne!(
            sealed,
            secrets.seal("5Aep861refresh-token"),
            "fresh nonce each time"
        );
    }

    #[test]
    fn tampering_or_another_key_fails_cleanly() {
        let a = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = a.seal("secret");
        assert!(b.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(a.open(&tampered).is_err());
        assert!(a.open("garbage").is_err());
        assert!(a.open("v1.").is_err());
    }

    #[test]
    fn bound_values_open_only_where_they_were_sealed() {
        let secrets = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let here = Binding {
            table: "crm_connections",
            column: "refresh_token_sealed",
            row_id: "crm_1",
            account_id: "acc_1",
        };
        let sealed = secrets.seal_bound("refresh", &here);
        assert!(is_bound(&sealed));
        assert_eq!(secrets.open_bound(&sealed, &here).unwrap(), "refresh");
        for elsewhere in [
            Binding {
                row_id: "crm_2",
                ..here
            },
            Binding {
                account_id: "acc_2",
                ..here
            },
            Binding {
                column: "access_token_sealed",
                ..here
            },
            Binding {
                table: "oauth_states",
                ..here
            },
            // Parts cannot shift into each other.
            Binding {
                row_id: "crm_1acc_1",
                account_id: "",
                ..here
            },
        ] {
            assert!(
                secrets.open_bound(&sealed, &elsewhere).is_err(),
                "{elsewhere:?}"
            );
        }
        // Bound and unbound values do not open as each other.
        assert!(secrets.open(&sealed).is_err());
        assert!(secrets.open_bound(&secrets.seal("refresh"), &here).is_err());
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
        assert!(SecretBox::from_base64("not base64 at all!").is_err());
    }

    #[test]
    fn derived_keys_depend_on_purpose_and_key() {
        let a = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        assert_eq!(a.derive("sandbox"), a.derive("sandbox"));
        assert_ne!(a.derive("sandbox"), a.derive("other"));
        assert_ne!(a.derive("sandbox"), b.derive("sandbox"));
    }
}
