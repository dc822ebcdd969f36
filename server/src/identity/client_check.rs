//! Which application a user token was issued to, and whether this server accepts it: a token
//! another client of the same identity provider obtained must not work here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::identity::verifier::IdentityError;

/// The client a token names (`azp`, `client_id`, `cid` or `appid`, or introspection's
/// `client_id`) and its audiences (`aud`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clients {
    pub client: Option<String>,
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct JwtClaims {
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    /// Okta's access tokens.
    #[serde(default)]
    cid: Option<String>,
    /// Microsoft Entra ID's v1 access tokens.
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    aud: Option<OneOrMany>,
}

/// The clients of a JWT access token, or `None` when the token is not a JWT (opaque tokens
/// are asked of the introspection endpoint). Read only after the provider accepted the token:
/// the provider checked its signature, so the claims are the provider's.
pub fn jwt_clients(token: &str) -> Option<Clients> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: JwtClaims = serde_json::from_slice(&bytes).ok()?;
    Some(Clients {
        client: claims
            .azp
            .or(claims.client_id)
            .or(claims.cid)
            .or(claims.appid),
        audiences: match claims.aud {
            Some(OneOrMany::One(aud)) => vec![aud],
            Some(OneOrMany::Many(auds)) => auds,
            None => Vec::new(),
        },
    })
}

/// The token's client must be accepted; a token naming no client must have an accepted
/// audience.
pub fn accepted(clients: &Clients, accepted: &[String]) -> Result<(), IdentityError> {
    let ok = match &clients.client {
        Some(client) => accepted.contains(client),
        None => clients.audiences.iter().any(|a| accepted.contains(a)),
    };
    if ok {
        return Ok(());
    }
    let shown = clients
        .client
        .clone()
        .or_else(|| clients.audiences.first().cloned())
        .unwrap_or_else(|| "unnamed".to_string());
    Err(IdentityError::WrongClient { client: shown })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn jwt_clients_come_from_azp_client_id_cid_or_appid() {
        for claim in ["azp", "client_id", "cid", "appid"] {
            let token = jwt(serde_json::json!({ claim: "salespane", "aud": "api://default" }));
            let clients = jwt_clients(&token).unwrap();
            assert_eq!(clients.client.as_deref(), Some("salespane"), "{claim}");
            assert!(accepted(&clients, &ids(&["salespane"])).is_ok());
            assert!(matches!(
                accepted(&clients, &ids(&["other"])),
                Err(IdentityError::WrongClient { client }) if client == "salespane"
            ));
        }
    }

    #[test]
    fn a_token_naming_no_client_needs_an_accepted_audience() {
        let token = jwt(serde_json::json!({ "aud": ["x", "salespane"] }));
        let clients = jwt_clients(&token).unwrap();
        assert!(accepted(&clients, &ids(&["salespane"])).is_ok());
        assert!(accepted(&clients, &ids(&["y"])).is_err());
        assert!(accepted(&Clients::default(), &ids(&["salespane"])).is_err());
    }

    #[test]
    fn opaque_tokens_are_not_jwts() {
        assert_eq!(jwt_clients("00DAc0000000001!AQ4AQ.abc"), None);
        assert_eq!(jwt_clients("a.b.c.d"), None);
        assert_eq!(jwt_clients("not-a-token"), None);
    }
}
