//! Who holds a bearer token: asked of the identity provider (Salesforce UserInfo, or any
//! OpenID Connect provider's userinfo endpoint found by discovery) and cached briefly by
//! token hash, so a revoked or expired token stops working within the cache time.

use serde::Deserialize;
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
    #[error("The identity provider {issuer} could not be reached ({reason}). Try again in a minute.")]
    Unreachable { issuer: String, reason: String },
    #[error("The identity provider {issuer} answered something unexpected ({reason}). Tell your administrator.")]
    Malformed { issuer: String, reason: String },
}

#[derive(Debug, Deserialize)]
struct Discovery {
    userinfo_endpoint: String,
}

/// UserInfo fields of Salesforce and of generic OpenID providers (Okta, Entra ID...).
#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: Option<String>,
    user_id: Option<String>,
    organization_id: Option<String>,
    tid: Option<String>,
    email: Option<String>,
    name: Option<String>,
    preferred_username: Option<String>,
    active: Option<bool>,
}

struct Cached {
    identity: Identity,
    until: Instant,
}

/// Bound on cached tokens; past it, expired entries are dropped, then the oldest.
const CACHE_CAPACITY: usize = 50_000;

pub struct IdentityVerifier {
    http: reqwest::Client,
    trusted_issuers: Vec<String>,
    default_issuer: String,
    ttl: Duration,
    tokens: Mutex<HashMap<String, Cached>>,
    userinfo_endpoints: Mutex<HashMap<String, String>>,
}

impl IdentityVerifier {
    pub fn new(
        http: reqwest::Client,
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
    pub async fn verify(&self, issuer: Option<&str>, token: &str) -> Result<Identity, IdentityError> {
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
                if let Some(oldest) = tokens.iter().min_by_key(|(_, c)| c.until).map(|(k, _)| k.clone()) {
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
        let url = format!("{issuer}/.well-known/openid-configuration");
        let unreachable = |reason: String| IdentityError::Unreachable {
            issuer: issuer.to_string(),
            reason,
        };
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| unreachable(describe_reqwest(&e)))?;
        if !response.status().is_success() {
            return Err(unreachable(format!("discovery answered {}", response.status())));
        }
        let discovery: Discovery = response.json().await.map_err(|e| IdentityError::Malformed {
            issuer: issuer.to_string(),
            reason: format!("discovery document: {e}"),
        })?;
        self.userinfo_endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.to_string(), discovery.userinfo_endpoint.clone());
        Ok(discovery.userinfo_endpoint)
    }

    async fn ask_userinfo(
        &self,
        issuer: &str,
        endpoint: &str,
        token: &str,
    ) -> Result<Identity, IdentityError> {
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| IdentityError::Unreachable {
                issuer: issuer.to_string(),
                reason: describe_reqwest(&e),
            })?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(IdentityError::Rejected);
        }
        if !status.is_success() {
            return Err(IdentityError::Unreachable {
                issuer: issuer.to_string(),
                reason: format!("userinfo answered {status}"),
            });
        }
        let info: UserInfo = response.json().await.map_err(|e| IdentityError::Malformed {
            issuer: issuer.to_string(),
            reason: format!("userinfo: {e}"),
        })?;
        if info.active == Some(false) {
            return Err(IdentityError::Rejected);
        }
        let malformed = |reason: &str| IdentityError::Malformed {
            issuer: issuer.to_string(),
            reason: reason.to_string(),
        };
        let subject = info
            .user_id
            .or(info.sub)
            .ok_or_else(|| malformed("no user id (sub)"))?;
        let email = info
            .email
            .ok_or_else(|| malformed("no email: the provider must release the email claim"))?
            .trim()
            .to_lowercase();
        let org_id = info
            .organization_id
            .or(info.tid)
            .unwrap_or_else(|| issuer.to_string());
        Ok(Identity {
            issuer: issuer.to_string(),
            org_id,
            subject,
            name: info.name.unwrap_or_else(|| email.clone()),
            email,
            username: info.preferred_username,
        })
    }
}

pub fn describe_reqwest(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "connection refused or unreachable".to_string()
    } else {
        err.to_string()
    }
}
