//! Salesforce as an OAuth 2.0 / OpenID Connect provider: the authorization-code flow with
//! PKCE, refresh, revoke and UserInfo; plus discovery and UserInfo for any OIDC provider.

use crate::http::{oauth_error, parse_json, CrmHttp};
use crate::CrmError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use salespane_api::sfid::SfId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Scopes Salespane asks for: REST access, a refresh token, and an id token.
pub const DEFAULT_SCOPE: &str = "api refresh_token openid";

/// A PKCE verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct PkcePair {
    pub verifier: String,
    pub challenge: String,
}

/// A fresh PKCE pair: 32 random bytes as the verifier (43 characters), S256 challenge.
pub fn pkce_pair() -> PkcePair {
    let mut bytes = [0u8; 32];
    // The OS random source failing leaves nothing sensible to do; it does not happen in practice.
    getrandom::getrandom(&mut bytes).expect("the OS random number generator is available");
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = pkce_challenge(&verifier);
    PkcePair {
        verifier,
        challenge,
    }
}

pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A token endpoint answer. Salesforce sends no `expires_in`: refresh when a call answers 401.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    /// Where the org's REST API lives (Salesforce only).
    #[serde(default)]
    pub instance_url: Option<String>,
    /// The identity URL `…/id/{orgId}/{userId}` (Salesforce only).
    #[serde(default)]
    pub id: Option<String>,
    /// Milliseconds since the epoch, as a string.
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// Sent by generic OIDC providers, never by Salesforce.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl TokenSet {
    /// Org and user ids from the identity URL.
    pub fn org_and_user(&self) -> Option<(SfId, SfId)> {
        let id = self.id.as_deref()?;
        let mut parts = id.trim_end_matches('/').rsplit('/');
        let user = SfId::parse(parts.next()?).ok()?;
        let org = SfId::parse(parts.next()?).ok()?;
        Some((org, user))
    }
}

/// The UserInfo answer. Salesforce fills every field; other OIDC providers fill `sub` and a
/// subset of the standard claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    /// Tenant of multi-tenant OpenID providers (Microsoft Entra ID).
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub zoneinfo: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub user_type: Option<String>,
    /// Salesforce's API URLs, with a literal `{version}` placeholder.
    #[serde(default)]
    pub urls: HashMap<String, String>,
}

/// What the introspection endpoint says about a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds since the epoch.
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
}

/// OpenID Provider metadata (`/.well-known/openid-configuration`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OidcMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

impl CrmHttp {
    /// Fetches an issuer's OpenID metadata; the issuer in it must match.
    pub async fn discover(&self, issuer: &str) -> Result<OidcMetadata, CrmError> {
        let issuer = issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let (status, body) = self.send(self.client.get(&url)).await?;
        if !status.is_success() {
            return Err(oauth_error(status, &body));
        }
        let metadata: OidcMetadata = parse_json(&body)?;
        if metadata.issuer.trim_end_matches('/') != issuer {
            return Err(CrmError::MalformedResponse(format!(
                "the discovery document names issuer {} instead of {issuer}",
                metadata.issuer
            )));
        }
        Ok(metadata)
    }

    /// Calls a UserInfo endpoint with an access token. A refused token is `InvalidSession`.
    pub async fn userinfo_at(
        &self,
        endpoint: &str,
        access_token: &str,
    ) -> Result<UserInfo, CrmError> {
        let (status, body) = self
            .send(self.client.get(endpoint).bearer_auth(access_token))
            .await?;
        match status {
            s if s.is_success() => parse_json(&body),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(CrmError::InvalidSession),
            s => Err(oauth_error(s, &body)),
        }
    }
}

impl CrmHttp {
    /// Asks an introspection endpoint (RFC 7662) about a token, authenticating as the client
    /// (Salesforce wants the connected app's id and secret in the form).
    pub async fn introspect_at(
        &self,
        endpoint: &str,
        token: &str,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<Introspection, CrmError> {
        let mut form = vec![
            ("token", token),
            ("token_type_hint", "access_token"),
            ("client_id", client_id),
        ];
        if let Some(secret) = client_secret {
            form.push(("client_secret", secret));
        }
        let (status, body) = self.send(self.client.post(endpoint).form(&form)).await?;
        if !status.is_success() {
            return Err(oauth_error(status, &body));
        }
        parse_json(&body)
    }
}

/// A connected app's view of a Salesforce login server (`https://login.salesforce.com`, a
/// My Domain, or the sandbox's `…/sfdc`).
#[derive(Debug, Clone)]
pub struct SalesforceOAuth {
    http: CrmHttp,
    login_url: String,
    client_id: String,
    client_secret: Option<String>,
    scope: String,
}

impl SalesforceOAuth {
    pub fn new(
        http: CrmHttp,
        login_url: &str,
        client_id: &str,
        client_secret: Option<String>,
    ) -> SalesforceOAuth {
        SalesforceOAuth {
            http,
            login_url: login_url.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret,
            scope: DEFAULT_SCOPE.to_string(),
        }
    }

    pub fn with_scope(mut self, scope: &str) -> SalesforceOAuth {
        self.scope = scope.to_string();
        self
    }

    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn http(&self) -> &CrmHttp {
        &self.http
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/services/oauth2/{name}", self.login_url)
    }

    /// Where to send the browser. With `login_hint` (a username) Salesforce pre-fills the
    /// login; the sandbox logs that user in at once.
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        state: &str,
        code_challenge: &str,
        login_hint: Option<&str>,
    ) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        pairs
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("scope", &self.scope)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = login_hint {
            pairs.append_pair("login_hint", hint);
        }
        format!("{}?{}", self.endpoint("authorize"), pairs.finish())
    }

    async fn token_request(&self, mut form: Vec<(&str, String)>) -> Result<TokenSet, CrmError> {
        form.push(("client_id", self.client_id.clone()));
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.clone()));
        }
        let request = self.http.client.post(self.endpoint("token")).form(&form);
        let (status, body) = self.http.send(request).await?;
        if !status.is_success() {
            return Err(oauth_error(status, &body));
        }
        parse_json(&body)
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenSet, CrmError> {
        self.token_request(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.into()),
            ("code_verifier", code_verifier.into()),
            ("redirect_uri", redirect_uri.into()),
        ])
        .await
    }

    /// A new access token from a refresh token. A revoked or unknown refresh token is
    /// `InvalidSession`: the user must sign in again.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, CrmError> {
        let result = self
            .token_request(vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh_token.into()),
            ])
            .await;
        match result {
            Err(CrmError::OAuth { error, .. }) if error == "invalid_grant" => {
                Err(CrmError::InvalidSession)
            }
            other => other,
        }
    }

    /// Revokes an access or refresh token (a refresh token takes its access tokens with it).
    pub async fn revoke(&self, token: &str) -> Result<(), CrmError> {
        let request = self
            .http
            .client
            .post(self.endpoint("revoke"))
            .form(&[("token", token)]);
        let (status, body) = self.http.send(request).await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(oauth_error(status, &body))
        }
    }

    /// Whether a token is still good, per the introspection endpoint.
    pub async fn introspect(&self, token: &str) -> Result<Introspection, CrmError> {
        self.http
            .introspect_at(
                &self.endpoint("introspect"),
                token,
                &self.client_id,
                self.client_secret.as_deref(),
            )
            .await
    }

    /// Who an access token belongs to; `InvalidSession` when Salesforce refuses the token.
    pub async fn userinfo(&self, access_token: &str) -> Result<UserInfo, CrmError> {
        self.http
            .userinfo_at(&self.endpoint("userinfo"), access_token)
            .await
    }

    /// The login server's OpenID metadata.
    pub async fn discover(&self) -> Result<OidcMetadata, CrmError> {
        self.http.discover(&self.login_url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_pairs_are_fresh_and_s256() {
        let a = pkce_pair();
        let b = pkce_pair();
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.verifier.len(), 43);
        // RFC 7636 appendix B example.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn token_sets_name_org_and_user() {
        let t: TokenSet = serde_json::from_str(
            r#"{"access_token":"a","id":"https://x/id/00DAc0000000001/005Ac0000000001"}"#,
        )
        .unwrap();
        let (org, user) = t.org_and_user().unwrap();
        assert_eq!(org.key_prefix(), "00D");
        assert_eq!(user.key_prefix(), "005");
    }
}
