//! Who holds a bearer token: asked of the identity provider (Salesforce UserInfo, or any
//! OpenID Connect provider's userinfo endpoint found by discovery) and cached briefly by
//! token hash, so a revoked or expired token stops working within the cache time.

use salespane_crm::{CrmError, CrmHttp};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::crypto::token_hash;

/// The caller as the identity provider describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// Salesforce organization id, else the OpenID tenant (`tid`), else the issuer itself.
    pub org_id: String,
    /// Salesforce user id, else the OpenID `sub`.
    pub subject: String,
    pub email: String,
    pub name: String,
    pub username: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("Your sign-in is no longer valid (expired or revoked). Sign in again.")]
    Rejected,
    #[error("Tokens from {0} are not accepted by this server. Sign in with your organization's identity provider.")]
    UntrustedIssuer(String),
    #[error(
        "The identity provider {issuer} could not be reached ({reason}). Try again in a minute."
    )]
    Unreachable { issuer: String, reason: String },
    #[error("The identity provider {issuer} answered something unexpected ({reason}). Tell your administrator.")]
    Malformed { issuer: String, reason: String },
}

struct Cached {
    identity: Identity,
    until: Instant,
}

/// Bound on cached tokens; past it, expired entries are dropped, then the oldest.
const CACHE_CAPACITY: usize = 50_000;

pub struct IdentityVerifier {
    http: CrmHttp,
    trusted_issuers: Vec<String>,
    default_issuer: String,
    ttl: Duration,
    tokens: Mutex<HashMap<String, Cached>>,
    userinfo_endpoints: Mutex<HashMap<String, String>>,
}

impl IdentityVerifier {
    pub fn new(
        http: CrmHttp,
        default_issuer: String,
        trusted_issuers: Vec<String>,
        ttl: Duration,
    ) -> IdentityVerifier {
        IdentityVerifier {
            http,
            trusted_issuers,
            default_issuer,
            ttl,
            tokens: Mutex::new(HashMap::new()),
            userinfo_endpoints: Mutex::new(HashMap::new()),
        }
    }

    pub fn default_issuer(&self) -> &str {
        &self.default_issuer
    }

    /// Verifies `token` with `issuer` (the default issuer when `None`).
    pub async fn verify(
        &self,
        issuer: Option<&str>,
        token: &str,
    ) -> Result<Identity, IdentityError> {
        let issuer = issuer
            .map(|i| i.trim_end_matches('/'))
            .unwrap_or(&self.default_issuer)
            .to_string();
        if !self.trusted_issuers.iter().any(|t| t == &issuer) {
            return Err(IdentityError::UntrustedIssuer(issuer));
        }
        let key = token_hash(&format!("{issuer}\n{token}"));
        if let Some(identity) = self.cached(&key) {
            return Ok(identity);
        }
        let endpoint = self.userinfo_endpoint(&issuer).await?;
        let identity = self.ask_userinfo(&issuer, &endpoint, token).await?;
        self.remember(key, identity.clone());
        Ok(identity)
    }

    fn cached(&self, key: &str) -> Option<Identity> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(key)
            .filter(|c| c.until > Instant::now())
            .map(|c| c.identity.clone())
    }

    fn remember(&self, key: String, identity: Identity) {
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= CACHE_CAPACITY {
            tokens.retain(|_, c| c.until > now);
            if tokens.len() >= CACHE_CAPACITY {
                if let Some(oldest) = tokens
                    .iter()
                    .min_by_key(|(_, c)| c.until)
                    .map(|(k, _)| k.clone())
                {
                    tokens.remove(&oldest);
                }
            }
        }
        tokens.insert(
            key,
            Cached {
                identity,
                until: now + self.ttl,
            },
        );
    }

    /// Forgets every cached answer for this token (sign-out).
    pub fn forget(&self, issuer: Option<&str>, token: &str) {
        let issuer = issuer.unwrap_or(&self.default_issuer).trim_end_matches('/');
        let key = token_hash(&format!("{issuer}\n{token}"));
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }

    async fn userinfo_endpoint(&self, issuer: &str) -> Result<String, IdentityError> {
        if let Some(endpoint) = self
            .userinfo_endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
        {
            return Ok(endpoint.clone());
        }
        let metadata = self
            .http
            .discover(issuer)
            .await
            .map_err(|e| upstream_error(issuer, e))?;
        let endpoint = metadata
            .userinfo_endpoint
            .ok_or_else(|| IdentityError::Malformed {
                issuer: issuer.to_string(),
                reason: "its discovery document names no userinfo_endpoint".to_string(),
            })?;
        self.userinfo_endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.to_string(), endpoint.clone());
        Ok(endpoint)
    }

    async fn ask_userinfo(
        &self,
        issuer: &str,
        endpoint: &str,
        token: &str,
    ) -> Result<Identity, IdentityError> {
        let info = self
            .http
            .userinfo_at(endpoint, token)
            .await
            .map_err(|e| upstream_error(issuer, e))?;
        if info.active == Some(false) {
            return Err(IdentityError::Rejected);
        }
        let email = info
            .email
            .ok_or_else(|| IdentityError::Malformed {
                issuer: issuer.to_string(),
                reason: "no email: the provider must release the email claim".to_string(),
            })?
            .trim()
            .to_lowercase();
        let org_id = info
            .organization_id
            .or(info.tid)
            .unwrap_or_else(|| issuer.to_string());
        Ok(Identity {
            issuer: issuer.to_string(),
            org_id,
            // Salesforce's user id when given (its `sub` is a URL), else the OpenID subject.
            subject: info.user_id.unwrap_or(info.sub),
            name: info.name.unwrap_or_else(|| email.clone()),
            email,
            username: info.preferred_username,
        })
    }
}

fn upstream_error(issuer: &str, err: CrmError) -> IdentityError {
    match err {
        CrmError::InvalidSession => IdentityError::Rejected,
        CrmError::Timeout { .. } | CrmError::Network(_) | CrmError::Upstream { .. } => {
            IdentityError::Unreachable {
                issuer: issuer.to_string(),
                reason: err.to_string(),
            }
        }
        other => IdentityError::Malformed {
            issuer: issuer.to_string(),
            reason: other.to_string(),
        },
    }
}
