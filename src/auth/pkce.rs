//! PKCE (RFC 7636) with the S256 method, and the OAuth `state` value. Randomness is passed in
//! (the browser's `crypto.getRandomValues` in the extension) so that this stays pure and testable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Bytes of randomness behind a verifier: 32 bytes give the 43-character verifier RFC 7636
/// recommends (256 bits of entropy).
pub const VERIFIER_ENTROPY_BYTES: usize = 32;

/// A code verifier and its S256 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// The verifier is the base64url text (no padding) of `entropy`, as RFC 7636 §4.1 suggests.
    pub fn from_entropy(entropy: &[u8; VERIFIER_ENTROPY_BYTES]) -> Pkce {
        Pkce::from_verifier(URL_SAFE_NO_PAD.encode(entropy))
    }

    pub fn from_verifier(verifier: String) -> Pkce {
        let challenge = s256_challenge(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }

    pub const METHOD: &'static str = "S256";
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An unguessable `state` (and nonce) value from 16 random bytes.
pub fn random_state(entropy: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(entropy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        // RFC 7636, Appendix B: the octets below, their verifier and challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pkce = Pkce::from_entropy(&octets);
        assert_eq!(pkce.verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_has_the_length_and_charset_rfc7636_requires() {
        for seed in [0u8, 7, 255] {
            let pkce = Pkce::from_entropy(&[seed; 32]);
            // 43..=128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1).
            assert_eq!(pkce.verifier.len(), 43);
            assert!(pkce
                .verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
            assert_eq!(pkce.challenge.len(), 43);
            assert!(!pkce.challenge.contains('='));
        }
        assert_ne!(
            Pkce::from_entropy(&[1; 32]).verifier,
            Pkce::from_entropy(&[2; 32]).verifier
        );
        assert_eq!(random_state(&[9; 16]).len(), 22);
    }
}
