//! What can go wrong talking to Salesforce, each case saying what to do about it.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// The access token is expired or revoked and could not be refreshed.
    #[error("the Salesforce session has expired or was revoked: sign in to Salesforce again")]
    InvalidSession,
    /// The user's profile (or permission sets) lacks "API Enabled".
    #[error("API access is disabled for this Salesforce user: a Salesforce administrator must turn on \"API Enabled\" in the user's profile or a permission set")]
    ApiDisabled,
    #[error("Salesforce has no such record (it may have been deleted or belong to another org)")]
    NotFound,
    /// Salesforce refused the request as made (bad field, malformed query, validation rule...).
    #[error("Salesforce refused the request ({code}): {message}")]
    InvalidRequest { code: String, message: String },
    /// The OAuth endpoints refused a sign-in step (bad code, PKCE verifier, client id...).
    #[error("Salesforce sign-in failed ({error}): {description}. Start the sign-in again")]
    OAuth { error: String, description: String },
    /// Salesforce answered 5xx (or 429).
    #[error("Salesforce answered HTTP {status} ({message}): try again later")]
    Upstream { status: u16, message: String },
    #[error("Salesforce did not answer within {seconds} s: try again later")]
    Timeout { seconds: u64 },
    #[error(
        "could not reach Salesforce ({0}): check the network and the configured Salesforce URLs"
    )]
    Network(String),
    #[error("Salesforce sent a response Salespane could not read ({0}): try again later, and report it if it persists")]
    MalformedResponse(String),
}

impl CrmError {
    /// The user must sign in to Salesforce again.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, CrmError::InvalidSession)
    }

    /// Retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CrmError::Upstream { .. } | CrmError::Timeout { .. } | CrmError::Network(_)
        )
    }

    /// The Salesforce `errorCode` (or OAuth `error`) when Salesforce gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CrmError::InvalidRequest { code, .. } => Some(code),
            CrmError::OAuth { error, .. } => Some(error),
            CrmError::InvalidSession => Some("INVALID_SESSION_ID"),
            CrmError::ApiDisabled => Some("API_CURRENTLY_DISABLED"),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(e: reqwest::Error, timeout: Duration) -> CrmError {
        if e.is_timeout() {
            CrmError::Timeout {
                seconds: timeout.as_secs().max(1),
            }
        } else if e.is_decode() {
            CrmError::MalformedResponse(e.to_string())
        } else {
            CrmError::Network(e.without_url().to_string())
        }
    }
}
