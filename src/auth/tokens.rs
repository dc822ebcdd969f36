//! The token endpoint: the form bodies sent (code grant, refresh grant, revocation) and the
//! answers read. Salesforce's answer has no `expires_in`: an access token is used until a call
//! answers 401, then refreshed once.

use super::AuthError;
use serde::Deserialize;

/// A successful token answer (RFC 6749 §5.1, with Salesforce's extra fields ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Present on the code grant; a refresh grant usually keeps the old one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Absent at Salesforce; kept when a provider sends it, though refresh is driven by 401s.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Salesforce's instance (API) URL; informational for the extension.
    #[serde(default)]
    pub instance_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Reads the token endpoint's answer: the tokens on 2xx, else the OAuth error it names.
pub fn parse_token_response(status: u16, body: &str) -> Result<TokenResponse, AuthError> {
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_str::<TokenError>(body) {
            Ok(err) if err.error == "invalid_grant" => AuthError::SessionEnded,
            Ok(err) => AuthError::Refused {
                code: err.error,
                description: err.error_description.unwrap_or_default(),
            },
            Err(_) => AuthError::BadTokenResponse(format!("HTTP status {status}")),
        });
    }
    let tokens: TokenResponse =
        serde_json::from_str(body).map_err(|e| AuthError::BadTokenResponse(e.to_string()))?;
    if tokens.access_token.is_empty() {
        return Err(AuthError::BadTokenResponse("no access_token".into()));
    }
    if let Some(kind) = &tokens.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::BadTokenResponse(format!(
                "token_type {kind} is not Bearer"
            )));
        }
    }
    Ok(tokens)
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        body.append_pair(key, value);
    }
    body.finish()
}

/// `grant_type=authorization_code` (RFC 6749 §4.1.3 with RFC 7636's `code_verifier`).
pub fn code_grant_body(code: &str, verifier: &str, redirect_uri: &str, client_id: &str) -> String {
    form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
    ])
}

/// `grant_type=refresh_token` (RFC 6749 §6).
pub fn refresh_grant_body(refresh_token: &str, client_id: &str) -> String {
    form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
    ])
}

/// RFC 7009 revocation request.
pub fn revocation_body(token: &str, client_id: &str) -> String {
    form(&[("token", token), ("client_id", client_id)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_token_answer_without_expires_in_is_read() {
        // The shape Salesforce's token endpoint answers (values shortened).
        let body = r#"{"access_token":"00DAc0000000001!AQ4AQ.abc","refresh_token":"5Aep861.xyz",
            "signature":"c2ln","scope":"refresh_token openid api","id_token":"eyJ.eyJ.sig",
            "instance_url":"https://acme.my.salesforce.com",
            "id":"https://login.salesforce.com/id/00DAc0000000001MAA/005Ac0000000001IAA",
            "token_type":"Bearer","issued_at":"1732300000000"}"#;
        let tokens = parse_token_response(200, body).unwrap();
        assert_eq!(tokens.access_token, "00DAc0000000001!AQ4AQ.abc");
        assert_eq!(tokens.refresh_token.as_deref(), Some("5Aep861.xyz"));
        assert_eq!(tokens.expires_in, None);
        assert_eq!(
            tokens.instance_url.as_deref(),
            Some("https://acme.my.salesforce.com")
        );
        // A refresh answer has no refresh_token.
        let refreshed =
            parse_token_response(200, r#"{"access_token":"new","token_type":"Bearer"}"#).unwrap();
        assert_eq!(refreshed.refresh_token, None);
    }

    #[test]
    fn token_errors_are_typed() {
        assert_eq!(
            parse_token_response(
                400,
                r#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#
            ),
            Err(AuthError::SessionEnded)
        );
        assert!(matches!(
            parse_token_response(400, r#"{"error":"invalid_client_id","error_description":"client identifier invalid"}"#),
            Err(AuthError::Refused { ref code, .. }) if code == "invalid_client_id"
        ));
        assert!(matches!(
            parse_token_response(502, "<html>bad gateway</html>"),
            Err(AuthError::BadTokenResponse(_))
        ));
        assert!(parse_token_response(200, r#"{"access_token":""}"#).is_err());
        assert!(parse_token_response(200, r#"{"access_token":"a","token_type":"mac"}"#).is_err());
    }

    #[test]
    fn grant_bodies_are_form_encoded() {
        let body = code_grant_body("c+1", "ver", "https://x.chromiumapp.org/", "cid");
        assert_eq!(
            body,
            "grant_type=authorization_code&code=c%2B1&code_verifier=ver&redirect_uri=https%3A%2F%2Fx.chromiumapp.org%2F&client_id=cid"
        );
        assert_eq!(
            refresh_grant_body("r/t", "cid"),
            "grant_type=refresh_token&refresh_token=r%2Ft&client_id=cid"
        );
        assert_eq!(revocation_body("t", "c"), "token=t&client_id=c");
    }
}
