//! OpenID Connect discovery, the authorize URL, and reading the redirect the browser hands
//! back after sign-in. Salesforce and other providers differ only in their discovery document.

use super::pkce::Pkce;
use super::AuthError;
use crate::weburl::{Scheme, WebUrl};
use serde::Deserialize;

/// The scopes asked for: the API (Salesforce's `api`), a refresh token, and OpenID identity.
/// Providers ignore scopes they do not know only if asked politely, so these are per kind.
pub const SALESFORCE_SCOPES: &str = "api refresh_token openid";
pub const OIDC_SCOPES: &str = "openid email profile offline_access";

/// The endpoints sign-in needs, from `<issuer>/.well-known/openid-configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// Not called by the extension (the server verifies tokens there), but checked like the
    /// others: a discovery document that sends identity traffic off the issuer is refused.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

/// `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Parses a discovery document and checks it: the issuer must be the one configured (§4.3),
/// every endpoint must be https (or http on this machine, for the local sandbox), and the
/// endpoints that receive tokens (token, revocation, userinfo) must be on the issuer's origin,
/// so a document altered in transit or at rest cannot send a refresh token elsewhere.
pub fn parse_discovery(issuer: &str, url: &str, json: &str) -> Result<Endpoints, AuthError> {
    let fail = |reason: String| AuthError::Discovery {
        url: url.to_string(),
        reason,
    };
    let endpoints: Endpoints =
        serde_json::from_str(json).map_err(|e| fail(format!("not a discovery document: {e}")))?;
    if endpoints.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(fail(format!(
            "it names issuer {} instead of {issuer}",
            endpoints.issuer
        )));
    }
    let mut all = vec![
        ("authorization_endpoint", &endpoints.authorization_endpoint),
        ("token_endpoint", &endpoints.token_endpoint),
    ];
    if let Some(revocation) = &endpoints.revocation_endpoint {
        all.push(("revocation_endpoint", revocation));
    }
    if let Some(userinfo) = &endpoints.userinfo_endpoint {
        all.push(("userinfo_endpoint", userinfo));
    }
    for (name, endpoint) in all {
        check_endpoint(endpoint).map_err(|reason| fail(format!("{name}: {reason}")))?;
        if name != "authorization_endpoint" && !same_origin(&endpoints.issuer, endpoint) {
            return Err(fail(format!(
                "{name} {endpoint} is not on the issuer's origin"
            )));
        }
    }
    Ok(endpoints)
}

/// True when both URLs parse and share scheme, host and port (a default port written out
/// counts as the same origin).
pub fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| {
        WebUrl::parse(url).ok().map(|u| {
            let default = match u.scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
            };
            (u.scheme, u.host, u.port.unwrap_or(default))
        })
    };
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// https anywhere; plain http only on loopback (the local demo's sandbox).
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = WebUrl::parse(url).map_err(|e| e.to_string())?;
    if parsed.scheme == Scheme::Http && !is_loopback(&parsed.host) {
        return Err(format!(
            "{url} is plain http on another machine; only https is accepted there"
        ));
    }
    Ok(())
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

/// What goes into one authorize request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub endpoints: &'a Endpoints,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub pkce: &'a Pkce,
    pub state: &'a str,
    pub nonce: &'a str,
    /// Prefills the user name (Salesforce: the username; the sandbox signs in at once).
    pub login_hint: Option<&'a str>,
}

impl AuthorizeRequest<'_> {
    /// The authorization endpoint with the code-flow parameters (RFC 6749 §4.1.1, RFC 7636 §4.3).
    pub fn url(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", self.scope)
            .append_pair("state", self.state)
            .append_pair("nonce", self.nonce)
            .append_pair("code_challenge", &self.pkce.challenge)
            .append_pair("code_challenge_method", Pkce::METHOD);
        if let Some(hint) = self.login_hint.filter(|h| !h.trim().is_empty()) {
            query.append_pair("login_hint", hint.trim());
        }
        let endpoint = &self.endpoints.authorization_endpoint;
        let joiner = if endpoint.contains('?') { '&' } else { '?' };
        format!("{endpoint}{joiner}{}", query.finish())
    }
}

/// Reads the URL the browser returned from the identity window: it must start with the
/// redirect URI, carry our `state`, and either a `code` or an OAuth `error`.
pub fn read_redirect(
    returned: &str,
    redirect_uri: &str,
    expected_state: &str,
) -> Result<String, AuthError> {
    let rest = returned
        .strip_prefix(redirect_uri)
        .filter(|rest| rest.is_empty() || rest.starts_with(['?', '#', '/']))
        .ok_or_else(|| AuthError::Refused {
            code: "wrong_redirect".into(),
            description: "the sign-in came back to an unexpected address".into(),
        })?;
    let query = rest
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('#')
        .next()
        .unwrap_or_default();
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = String::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = value.into_owned(),
            _ => {}
        }
    }
    if state.as_deref() != Some(expected_state) {
        return Err(AuthError::StateMismatch);
    }
    if let Some(code) = error {
        if code == "access_denied" && description.is_empty() {
            return Err(AuthError::Cancelled);
        }
        return Err(AuthError::Refused { code, description });
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| AuthError::Refused {
            code: "no_code".into(),
            description: "the identity provider sent no authorization code".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "http://127.0.0.1:8787/sfdc";

    fn sandbox_discovery() -> String {
        serde_json::json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/services/oauth2/authorize"),
            "token_endpoint": format!("{ISSUER}/services/oauth2/token"),
            "revocation_endpoint": format!("{ISSUER}/services/oauth2/revoke"),
            "userinfo_endpoint": format!("{ISSUER}/services/oauth2/userinfo"),
            "code_challenge_methods_supported": ["S256"]
        })
        .to_string()
    }

    #[test]
    fn discovery_is_parsed_and_checked() {
        let url = discovery_url(&format!("{ISSUER}/"));
        assert_eq!(url, format!("{ISSUER}/.well-known/openid-configuration"));
        let endpoints = parse_discovery(ISSUER, &url, &sandbox_discovery()).unwrap();
        assert_eq!(
            endpoints.token_endpoint,
            "http://127.0.0.1:8787/sfdc/services/oauth2/token"
        );
        assert!(endpoints.revocation_endpoint.is_some());

        let other = parse_discovery("https://login.salesforce.com", &url, &sandbox_discovery());
        assert!(
            matches!(other, Err(AuthError::Discovery { ref reason, .. }) if reason.contains("issuer")),
            "{other:?}"
        );
        let remote_http = serde_json::json!({
            "issuer": "https://idp.example",
            "authorization_endpoint": "http://idp.example/authorize",
            "token_endpoint": "https://idp.example/token"
        })
        .to_string();
        assert!(parse_discovery("https://idp.example", &url, &remote_http).is_err());
        assert!(parse_discovery(ISSUER, &url, "<html>").is_err());
    }

    #[test]
    fn token_endpoints_must_be_on_the_issuers_origin() {
        let issuer = "https://acme.okta.com/oauth2/default";
        let document = |field: &str, value: &str| {
            let mut doc = serde_json::json!({
                "issuer": issuer,
                // The authorize page may live elsewhere: it never receives a token.
                "authorization_endpoint": "https://login.acme.example/authorize",
                "token_endpoint": "https://acme.okta.com/oauth2/default/v1/token",
                "revocation_endpoint": "https://acme.okta.com/oauth2/default/v1/revoke",
                "userinfo_endpoint": "https://acme.okta.com:443/oauth2/default/v1/userinfo",
            });
            doc[field] = serde_json::json!(value);
            doc.to_string()
        };
        let fine = parse_discovery(issuer, "x", &document("issuer", issuer)).unwrap();
        assert_eq!(
            fine.userinfo_endpoint.as_deref(),
            Some("https://acme.okta.com:443/oauth2/default/v1/userinfo")
        );
        for field in ["token_endpoint", "revocation_endpoint", "userinfo_endpoint"] {
            for elsewhere in [
                "https://attacker.example/token",
                "https://acme.okta.com.attacker.example/token",
                "https://acme.okta.com:8443/token",
                "http://127.0.0.1:9/token",
            ] {
                let refused = parse_discovery(issuer, "x", &document(field, elsewhere));
                assert!(
                    matches!(refused, Err(AuthError::Discovery { ref reason, .. }) if reason.contains(field)),
                    "{field} at {elsewhere}: {refused:?}"
                );
            }
        }
        assert!(same_origin(
            "http://127.0.0.1:8787/sfdc",
            "http://127.0.0.1:8787/x"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:8787",
            "http://127.0.0.1:8788"
        ));
        assert!(!same_origin("not a url", "not a url"));
    }

    #[test]
    fn authorize_url_carries_the_code_flow_parameters() {
        let endpoints = parse_discovery(ISSUER, "x", &sandbox_discovery()).unwrap();
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let request = AuthorizeRequest {
            endpoints: &endpoints,
            client_id: "salespane-extension",
            redirect_uri: "https://fhjdpaofeopnedbooopnkmdeclfpmkmd.chromiumapp.org/",
            scope: SALESFORCE_SCOPES,
            pkce: &pkce,
            state: "st4te",
            nonce: "n0nce",
            login_hint: Some("ada.admin@acme.example"),
        };
        let url = request.url();
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, endpoints.authorization_endpoint);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("salespane-extension"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://fhjdpaofeopnedbooopnkmdeclfpmkmd.chromiumapp.org/")
        );
        assert_eq!(
            get("code_challenge"),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("scope"), Some("api refresh_token openid"));
        assert_eq!(get("state"), Some("st4te"));
        assert_eq!(get("login_hint"), Some("ada.admin@acme.example"));
        // Encoded, not pasted: the redirect URI's ':' and '/' are escaped.
        assert!(query.contains("redirect_uri=https%3A%2F%2F"));

        let no_hint = AuthorizeRequest {
            login_hint: Some("  "),
            ..request
        };
        assert!(!no_hint.url().contains("login_hint"));
    }

    #[test]
    fn the_redirect_gives_the_code_only_with_our_state() {
        let redirect = "https://abc.chromiumapp.org/";
        assert_eq!(
            read_redirect(
                "https://abc.chromiumapp.org/?code=aPrx%2Bc0de&state=s1",
                redirect,
                "s1"
            ),
            Ok("aPrx+c0de".to_string())
        );
        assert_eq!(
            read_redirect(
                "https://abc.chromiumapp.org/?code=x&state=s2",
                redirect,
                "s1"
            ),
            Err(AuthError::StateMismatch)
        );
        assert!(matches!(
            read_redirect(
                "https://abc.chromiumapp.org/?error=access_denied&error_description=user%20is%20inactive&state=s1",
                redirect,
                "s1"
            ),
            Err(AuthError::Refused { ref description, .. }) if description == "user is inactive"
        ));
        assert!(read_redirect("https://evil.example/?code=x&state=s1", redirect, "s1").is_err());
        assert!(read_redirect(
            "https://abc.chromiumapp.org.evil.example/?code=x&state=s1",
            "https://abc.chromiumapp.org",
            "s1"
        )
        .is_err());
        assert!(read_redirect("https://abc.chromiumapp.org/?state=s1", redirect, "s1").is_err());
    }
}
