//! Shared sandbox state: the orgs, pending authorization codes, revocations, query cursors
//! and injected faults; and the checks every authenticated endpoint makes.

use crate::faults::Fault;
use crate::idtoken::IdTokenSigner;
use crate::store::{Org, Record};
use crate::tokens::{
    new_nonce, now_micros, Claims, TokenCodec, TokenKind, ACCESS_TOKEN_LIFETIME_MICROS,
};
use crate::SandboxConfig;
use axum::http::HeaderMap;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use tokio::sync::{Mutex, RwLock};

pub const API_VERSION: &str = "66.0";

pub struct PendingCode {
    pub org_id: String,
    pub user_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub expires_at: i64,
}

#[derive(Default)]
pub struct AuthState {
    pub codes: HashMap<String, PendingCode>,
    /// Nonces of revoked tokens (a revoked refresh token also kills its access tokens).
    pub revoked: HashSet<String>,
    /// Nonces of access tokens the test hook expired.
    pub expired: HashSet<String>,
    /// Access tokens issued at or before this instant (µs) count as expired.
    pub expired_before: i64,
    /// Users (ids) whose email userinfo reports as not verified (test hook).
    pub unverified_emails: HashSet<String>,
}

/// A query's remaining rows, served page by page through `nextRecordsUrl`.
pub struct Cursor {
    pub org_id: String,
    pub records: Vec<Value>,
    pub batch_size: usize,
}

#[derive(Default)]
pub struct Cursors {
    pub by_id: HashMap<String, Cursor>,
    order: VecDeque<String>,
    pub counter: u64,
}

impl Cursors {
    const KEEP: usize = 500;

    pub fn insert(&mut self, id: String, cursor: Cursor) {
        self.by_id.insert(id.clone(), cursor);
        self.order.push_back(id);
        while self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
    }
}

pub struct Sandbox {
    /// Public base URL without trailing slash: issuer and instance URL.
    pub base: String,
    pub orgs: RwLock<Vec<Org>>,
    pub codec: TokenCodec,
    pub signer: IdTokenSigner,
    pub auth: Mutex<AuthState>,
    pub cursors: Mutex<Cursors>,
    pub faults: Mutex<Vec<Fault>>,
    /// Calls to the identity endpoints, for tests that count identity-provider traffic.
    pub identity_calls: IdentityCalls,
}

/// How often the identity endpoints were called (`GET /_sandbox/stats`).
#[derive(Debug, Default)]
pub struct IdentityCalls {
    pub userinfo: std::sync::atomic::AtomicU64,
    pub introspect: std::sync::atomic::AtomicU64,
}

/// Who an access token belongs to, once checked.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org_id: String,
    pub user_id: String,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Sandbox {
        let base = config.public_base_url.trim_end_matches('/').to_string();
        Sandbox {
            orgs: RwLock::new(crate::seed::seeded_orgs(&base)),
            base,
            codec: TokenCodec::new(&config.signing_secret),
            signer: IdTokenSigner::load(),
            auth: Mutex::new(AuthState::default()),
            cursors: Mutex::new(Cursors::default()),
            faults: Mutex::new(Vec::new()),
            identity_calls: IdentityCalls::default(),
        }
    }

    pub fn id_url(&self, org_id: &str, user_id: &str) -> String {
        format!("{}/id/{org_id}/{user_id}", self.base)
    }

    /// Checks a bearer access token: signature, kind, expiry, revocation, and that the user
    /// still exists and is active.
    pub async fn check_access_token(&self, token: &str) -> Option<Caller> {
        let claims = self.codec.decode(token)?;
        if claims.kind != TokenKind::Access || claims.exp.is_some_and(|exp| exp <= now_micros()) {
            return None;
        }
        {
            let auth = self.auth.lock().await;
            let revoked = auth.revoked.contains(&claims.nonce)
                || claims
                    .parent
                    .as_ref()
                    .is_some_and(|p| auth.revoked.contains(p));
            if revoked || auth.expired.contains(&claims.nonce) || claims.iat <= auth.expired_before
            {
                return None;
            }
        }
        let orgs = self.orgs.read().await;
        let org = orgs.iter().find(|o| o.id.as_str() == claims.org_id)?;
        let user = org.tables.get("User")?.get(&claims.user_id)?;
        if user.get("IsActive") != Some(&Value::Bool(true)) {
            return None;
        }
        Some(Caller {
            org_id: claims.org_id,
            user_id: claims.user_id,
        })
    }

    pub async fn caller_from_headers(&self, headers: &HeaderMap) -> Option<Caller> {
        let token = bearer(headers)?;
        self.check_access_token(&token).await
    }

    /// Whether the user's profile has "API Enabled".
    pub async fn api_enabled(&self, caller: &Caller) -> bool {
        let orgs = self.orgs.read().await;
        let Some(org) = orgs.iter().find(|o| o.id.as_str() == caller.org_id) else {
            return false;
        };
        org.tables
            .get("User")
            .and_then(|t| t.get(&caller.user_id))
            .and_then(|u| u.get("ProfileId"))
            .and_then(Value::as_str)
            .and_then(|p| org.get(p))
            .and_then(|(_, profile)| profile.get("PermissionsApiEnabled"))
            == Some(&Value::Bool(true))
    }

    /// Issues tokens and builds Salesforce's token response. `refresh_parent` is the refresh
    /// token an access token is minted from; without it a new refresh token is issued too.
    pub async fn issue_tokens(
        &self,
        org: &Org,
        user: &Record,
        client_id: &str,
        scope: &str,
        refresh_parent: Option<&Claims>,
        oidc_nonce: Option<&str>,
    ) -> Value {
        let user_id = user
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let org_id = org.id.to_string();
        let now = {
            let auth = self.auth.lock().await;
            now_micros().max(auth.expired_before + 1)
        };
        let refresh = match refresh_parent {
            Some(_) => None,
            None => Some(Claims {
                org_id: org_id.clone(),
                user_id: user_id.clone(),
                kind: TokenKind::Refresh,
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                iat: now,
                exp: None,
                nonce: new_nonce(),
                parent: None,
            }),
        };
        let parent_nonce = refresh_parent
            .map(|c| c.nonce.clone())
            .or_else(|| refresh.as_ref().map(|c| c.nonce.clone()));
        let access = Claims {
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            kind: TokenKind::Access,
            client_id: client_id.to_string(),
            scope: scope.to_string(),
            iat: now,
            exp: Some(now + ACCESS_TOKEN_LIFETIME_MICROS),
            nonce: new_nonce(),
            parent: parent_nonce,
        };
        let access_token = self.codec.encode(&access);
        let id_url = self.id_url(&org_id, &user_id);
        let issued_at = (now / 1000).to_string();
        let mut body = json!({
            "access_token": access_token,
            "signature": self.codec.response_signature(&id_url, &issued_at),
            "scope": scope,
            "instance_url": self.base,
            "id": id_url,
            "token_type": "Bearer",
            "issued_at": issued_at,
        });
        if let Some(refresh) = &refresh {
            body["refresh_token"] = Value::String(self.codec.encode(refresh));
        }
        if scope.split(' ').any(|s| s == "openid") {
            body["id_token"] = Value::String(self.id_token(org, user, client_id, now, oidc_nonce));
        }
        body
    }

    fn id_token(
        &self,
        org: &Org,
        user: &Record,
        client_id: &str,
        now_us: i64,
        nonce: Option<&str>,
    ) -> String {
        let text = |k: &str| user.get(k).cloned().unwrap_or(Value::Null);
        let user_id = user.get("Id").and_then(Value::as_str).unwrap_or_default();
        let iat = now_us / 1_000_000;
        let mut claims = json!({
            "iss": self.base,
            "sub": self.id_url(org.id.as_str(), user_id),
            "aud": client_id,
            "iat": iat,
            "exp": iat + 300,
            "auth_time": iat,
            "email": text("Email"),
            "email_verified": true,
            "preferred_username": text("Username"),
            "name": text("Name"),
            "given_name": text("FirstName"),
            "family_name": text("LastName"),
            "user_id": user_id,
            "organization_id": org.id.as_str(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = Value::String(nonce.to_string());
        }
        self.signer.sign(&claims)
    }
}

/// The token of an `Authorization: Bearer …` (or Salesforce's older `OAuth …`) header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case("OAuth") {
        Some(token.trim().to_string())
    } else {
        None
    }
}
