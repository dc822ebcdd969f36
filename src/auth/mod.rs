//! Signing in with the account's identity provider (Salesforce by default, or any OpenID
//! Connect provider): authorization code with PKCE S256, endpoints from OIDC discovery, the
//! token exchange, storage, refresh and revocation. Everything here runs in the background
//! only; no token ever leaves it (pages get the user's `Me`, content scripts nothing).
//!
//! - [`pkce`]: the verifier/challenge pair and the `state` value.
//! - [`oidc`]: discovery documents, the authorize URL, the redirect the browser hands back.
//! - [`tokens`]: token endpoint requests and answers (Salesforce's: no `expires_in`).
//! - [`store`]: what is kept in `storage.session` / `storage.local` (sealed), under which keys.
//! - [`single_flight`]: concurrent 401s share one refresh.
//! - [`crm_link`]: connecting the user's own Salesforce user through the identity window.
//! - `session` (WASM only): the flows themselves, with the browser's identity and storage.

pub mod crm_link;
pub mod oidc;
pub mod pkce;
pub mod single_flight;
pub mod store;
pub mod tokens;

// The flows drive the browser and the server client: the background module's only.
#[cfg(all(target_arch = "wasm32", feature = "background"))]
pub mod session;

/// Why signing in (or staying signed in) failed. Messages say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the identity provider's discovery document at {url} is unusable ({reason}); check the identity provider in Salespane's options")]
    Discovery { url: String, reason: String },
    #[error(
        "sign-in was cancelled or the sign-in window was closed; click \"Sign in\" to try again"
    )]
    Cancelled,
    #[error("the identity provider refused the sign-in ({code}: {description}); try again, or ask your administrator to check Salespane's access")]
    Refused { code: String, description: String },
    #[error("the sign-in answer did not match the request (state mismatch); click \"Sign in\" to start again")]
    StateMismatch,
    #[error("the identity provider's token answer is unusable ({0}); try again, or ask your administrator")]
    BadTokenResponse(String),
    #[error("you are not signed in; click \"Sign in\" in Salespane's toolbar popup")]
    NotSignedIn,
    #[error("your session has ended; sign in again from Salespane's toolbar popup")]
    SessionEnded,
    #[error("Salespane's saved sign-in or server settings were changed outside Salespane (or saved by an older version), so they were not used and you were signed out; check the server in Salespane's options, then sign in again")]
    StoredStateRefused,
    #[error("Salespane has no server yet: open Salespane's options and enter your company's Salespane server address")]
    NoServer,
}

impl AuthError {
    /// The stable code pages branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Discovery { .. } => "idp_discovery_failed",
            AuthError::Cancelled => "sign_in_cancelled",
            AuthError::Refused { .. } => "sign_in_refused",
            AuthError::StateMismatch => "sign_in_state_mismatch",
            AuthError::BadTokenResponse(_) => "bad_token_response",
            AuthError::NotSignedIn => "not_signed_in",
            AuthError::SessionEnded => "session_ended",
            AuthError::StoredStateRefused => "stored_state_refused",
            AuthError::NoServer => "no_server",
        }
    }
}

/// True when an error `code` means the user must sign in again (the call answers 401); other
/// failures while renewing a token (the provider down, a 5xx) keep the session for a retry.
pub fn ends_session(code: &str) -> bool {
    [
        AuthError::SessionEnded,
        AuthError::NotSignedIn,
        AuthError::StoredStateRefused,
    ]
    .iter()
    .any(|ended| ended.code() == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refused_grant_or_no_grant_ends_the_session() {
        assert!(ends_session(AuthError::SessionEnded.code()));
        assert!(ends_session(AuthError::NotSignedIn.code()));
        assert!(ends_session(AuthError::StoredStateRefused.code()));
        assert!(!ends_session(AuthError::NoServer.code()));
        let passing = AuthError::Refused {
            code: "server_error".into(),
            description: "Injected sandbox fault: HTTP 500".into(),
        };
        assert!(!ends_session(passing.code()));
        assert!(!ends_session(
            AuthError::BadTokenResponse("HTTP status 502".into()).code()
        ));
        assert!(!ends_session("server_unreachable"));
    }
}
