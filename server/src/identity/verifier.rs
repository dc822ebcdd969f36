//! Who holds a bearer token: asked of the identity provider (Salesforce UserInfo, or any
//! OpenID Connect provider's userinfo endpoint found by discovery), checked to be issued to a
//! client this server accepts, and cached briefly by token hash, so a revoked or expired token
//! stops working within the cache time.
//!
//! Bad tokens must not become identity-provider traffic: refusals are cached too (briefly),
//! concurrent checks of one token share one call, each client address may make only so many
//! checks that reach the provider per minute, and calls to the provider are capped.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use salespane_crm::{CrmError, CrmHttp, OidcMetadata};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OnceCell, Semaphore};

use crate::crypto::token_hash;

/// The caller as the identity provider describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// Salesforce organization id, else the OpenID tenant (`tid`). Never the issuer: an
    /// identity without one is refused.
    pub org_id: String,
    /// Salesforce user id, else the OpenID `sub`.
    pub subject: String,
    pub email: String,
    /// The provider vouches for the email: only then may it link a user by email.
    pub email_verified: bool,
    pub name: String,
    pub username: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum IdentityError {
    #[error("Your sign-in is no longer valid (expired or revoked). Sign in again.")]
    Rejected,
    #[error("Tokens from {0} are not accepted by this server. Sign in with your organization's identity provider.")]
    UntrustedIssuer(String),
    #[error("This token was issued to another application ({client}), not to Salespane. Sign in from the Salespane extension.")]
    WrongClient { client: String },
    #[error("Too many sign-in checks from your address. Wait {} seconds and try again.", retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: Duration },
    #[error(
        "The identity provider {issuer} could not be reached ({reason}). Try again in a minute."
    )]
    Unreachable { issuer: String, reason: String },
    #[error("The identity provider {issuer} answered something unexpected ({reason}). Tell your administrator.")]
    Malformed { issuer: String, reason: String },
}

impl IdentityError {
    /// Answers that say something about the token itself, and are cached like a success.
    fn is_about_the_token(&self) -> bool {
        matches!(
            self,
            IdentityError::Rejected | IdentityError::WrongClient { .. }
        )
    }
}

/// How the verifier is tuned (flags in `config.rs`).
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    pub default_issuer: String,
    pub trusted_issuers: Vec<String>,
    /// Client ids tokens must have been issued to.
    pub accepted_client_ids: Vec<String>,
    /// The server's own client credentials, for the introspection endpoint.
    pub client_id: String,
    pub client_secret: Option<String>,
    /// How long a verified token is trusted.
    pub ttl: Duration,
    /// Checks that reach the identity provider, per client address and minute (0: no limit).
    pub verifications_per_minute: u32,
    /// Calls to identity providers in flight at once.
    pub max_concurrent_calls: usize,
}

/// How long a refused token stays refused without asking again.
const REJECTION_TTL: Duration = Duration::from_secs(30);

type Outcome = Result<Identity, IdentityError>;

/// One token's answer, or the check under way that every concurrent caller waits for.
#[derive(Default)]
struct Slot {
    answer: OnceCell<(Outcome, Instant)>,
}

impl Slot {
    fn expired(&self, now: Instant) -> bool {
        self.answer.get().is_some_and(|(_, until)| *until <= now)
    }
}

/// Bound on cached tokens; past it, expired entries are dropped, then the oldest.
const CACHE_CAPACITY: usize = 50_000;

pub struct IdentityVerifier {
    http: CrmHttp,
    settings: VerifierSettings,
    tokens: Mutex<HashMap<String, Arc<Slot>>>,
    metadata: Mutex<HashMap<String, OidcMetadata>>,
    /// `None` when the per-address limit is off (0).
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    calls: Semaphore,
}

impl IdentityVerifier {
    pub fn new(http: CrmHttp, settings: VerifierSettings) -> IdentityVerifier {
        let per_address = NonZeroU32::new(settings.verifications_per_minute)
            .map(|per_minute| RateLimiter::keyed(Quota::per_minute(per_minute)));
        IdentityVerifier {
            http,
            per_address,
            calls: Semaphore::new(settings.max_concurrent_calls.max(1)),
            settings,
            tokens: Mutex::new(HashMap::new()),
            metadata: Mutex::new(HashMap::new()),
        }
    }

    pub fn default_issuer(&self) -> &str {
        &self.settings.default_issuer
    }

    /// Verifies `token` with `issuer` (the default issuer when `None`) for a caller at
    /// `address` (`None` when unknown: not limited per address).
    pub async fn verify(
        &self,
        issuer: Option<&str>,
        token: &str,
        address: Option<IpAddr>,
    ) -> Result<Identity, IdentityError> {
        let issuer = issuer
            .map(|i| i.trim_end_matches('/'))
            .unwrap_or(&self.settings.default_issuer)
            .to_string();
        if !self.settings.trusted_issuers.iter().any(|t| t == &issuer) {
            return Err(IdentityError::UntrustedIssuer(issuer));
        }
        let key = token_hash(&format!("{issuer}\n{token}"));
        let slot = self.slot(&key);
        let (outcome, _) = slot
            .answer
            .get_or_try_init(|| async {
                // Only the caller that really asks the provider counts against its address.
                if let (Some(limiter), Some(address)) = (&self.per_address, address) {
                    limiter.check_key(&address).map_err(|not_until| {
                        IdentityError::TooManyAttempts {
                            retry_after: not_until
                                .wait_time_from(governor::clock::Clock::now(limiter.clock())),
                        }
                    })?;
                }
                let _permit =
                    self.calls
                        .acquire()
                        .await
                        .map_err(|_| IdentityError::Unreachable {
                            issuer: issuer.clone(),
                            reason: "the server is shutting down".to_string(),
                        })?;
                match self.ask(&issuer, token).await {
                    Ok(identity) => Ok((Ok(identity), Instant::now() + self.settings.ttl)),
                    Err(err) if err.is_about_the_token() => Ok((
                        Err(err),
                        Instant::now()
                            + REJECTION_TTL.min(self.settings.ttl.max(Duration::from_secs(1))),
                    )),
                    // The provider down or the caller limited: not an answer about the token.
                    Err(err) => Err(err),
                }
            })
            .await?;
        outcome.clone()
    }

    /// The token's slot: the cached or in-flight one, else a new one.
    fn slot(&self, key: &str) -> Arc<Slot> {
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = tokens.get(key).filter(|s| !s.expired(now)) {
            return slot.clone();
        }
        if tokens.len() >= CACHE_CAPACITY {
            // Drop expired answers, and slots of failed checks nobody is waiting on.
            tokens.retain(|_, s| {
                !s.expired(now) && (s.answer.initialized() || Arc::strong_count(s) > 1)
            });
            if tokens.len() >= CACHE_CAPACITY {
                let oldest = tokens
                    .iter()
                    .filter_map(|(k, s)| s.answer.get().map(|(_, until)| (k, *until)))
                    .min_by_key(|(_, until)| *until)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    tokens.remove(&oldest);
                }
            }
            if let Some(limiter) = &self.per_address {
                limiter.retain_recent();
            }
        }
        let slot = Arc::new(Slot::default());
        tokens.insert(key.to_string(), slot.clone());
        slot
    }

    /// Forgets every cached answer for this token (sign-out).
    pub fn forget(&self, issuer: Option<&str>, token: &str) {
        let issuer = issuer
            .unwrap_or(&self.settings.default_issuer)
            .trim_end_matches('/');
        let key = token_hash(&format!("{issuer}\n{token}"));
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }

    async fn metadata(&self, issuer: &str) -> Result<OidcMetadata, IdentityError> {
        if let Some(metadata) = self
            .metadata
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
        {
            return Ok(metadata.clone());
        }
        let metadata = self
            .http
            .discover(issuer)
            .await
            .map_err(|e| upstream_error(issuer, e))?;
        self.metadata
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.to_string(), metadata.clone());
        Ok(metadata)
    }

    /// Who the token's user is, and that the token was issued to an accepted client.
    async fn ask(&self, issuer: &str, token: &str) -> Result<Identity, IdentityError> {
        let metadata = self.metadata(issuer).await?;
        let malformed = |reason: &str| IdentityError::Malformed {
            issuer: issuer.to_string(),
            reason: reason.to_string(),
        };
        let endpoint = metadata
            .userinfo_endpoint
            .as_deref()
            .ok_or_else(|| malformed("its discovery document names no userinfo_endpoint"))?;
        let info = self
            .http
            .userinfo_at(endpoint, token)
            .await
            .map_err(|e| upstream_error(issuer, e))?;
        if info.active == Some(false) {
            return Err(IdentityError::Rejected);
        }
        // The provider accepted the token, so its claims (when it is a JWT) are its own.
        let client = match crate::identity::client_check::jwt_clients(token) {
            Some(clients) => clients,
            None => self.introspected_client(issuer, &metadata, token).await?,
        };
        crate::identity::client_check::accepted(&client, &self.settings.accepted_client_ids)?;
        let email = info
            .email
            .ok_or_else(|| malformed("no email: the provider must release the email claim"))?
            .trim()
            .to_lowercase();
        let org_id = info
            .organization_id
            .or(info.tid)
            .filter(|o| !o.trim().is_empty())
            .ok_or_else(|| {
                malformed("no organization: the token's user info has neither organization_id (Salesforce) nor tid (the tenant); Salespane maps users to an account by it")
            })?;
        Ok(Identity {
            issuer: issuer.to_string(),
            org_id,
            // Salesforce's user id when given (its `sub` is a URL), else the OpenID subject.
            subject: info.user_id.unwrap_or(info.sub),
            name: info.name.unwrap_or_else(|| email.clone()),
            email_verified: info.email_verified == Some(true),
            email,
            username: info.preferred_username,
        })
    }

    /// Opaque tokens (Salesforce's): the introspection endpoint says whose client they are.
    async fn introspected_client(
        &self,
        issuer: &str,
        metadata: &OidcMetadata,
        token: &str,
    ) -> Result<crate::identity::client_check::Clients, IdentityError> {
        let endpoint = metadata.introspection_endpoint.as_deref().ok_or_else(|| {
            IdentityError::Malformed {
                issuer: issuer.to_string(),
                reason: "its access tokens are opaque and it offers no introspection endpoint, so Salespane cannot tell which application a token was issued to".to_string(),
            }
        })?;
        let answer = self
            .http
            .introspect_at(
                endpoint,
                token,
                &self.settings.client_id,
                self.settings.client_secret.as_deref(),
            )
            .await
            .map_err(|e| upstream_error(issuer, e))?;
        if !answer.active {
            return Err(IdentityError::Rejected);
        }
        Ok(crate::identity::client_check::Clients {
            client: answer.client_id,
            audiences: Vec::new(),
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
