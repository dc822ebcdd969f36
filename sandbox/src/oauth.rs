//! The OAuth 2.0 / OpenID Connect endpoints, with Salesforce's shapes: discovery, authorize
//! (PKCE S256 required), token (code and refresh grants), userinfo, revoke, introspect, JWKS.

use crate::state::{PendingCode, Sandbox, API_VERSION};
use crate::tokens::{new_nonce, now_micros, TokenKind};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

type Params = HashMap<String, String>;

/// Authorization codes are single-use and live this long.
const CODE_LIFETIME_MICROS: i64 = 10 * 60 * 1_000_000;
const DEFAULT_SCOPE: &str = "api refresh_token openid";

pub async fn openid_configuration(State(s): State<Arc<Sandbox>>) -> Json<Value> {
    let b = &s.base;
    Json(json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/services/oauth2/authorize"),
        "token_endpoint": format!("{b}/services/oauth2/token"),
        "revocation_endpoint": format!("{b}/services/oauth2/revoke"),
        "userinfo_endpoint": format!("{b}/services/oauth2/userinfo"),
        "introspection_endpoint": format!("{b}/services/oauth2/introspect"),
        "jwks_uri": format!("{b}/id/keys"),
        "scopes_supported": ["id", "api", "email", "address", "phone", "web", "openid", "refresh_token", "offline_access", "profile"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "display_values_supported": ["page", "popup", "touch"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["active", "address", "email", "email_verified", "family_name", "given_name", "is_app_installed", "language", "locale", "name", "nickname", "organization_id", "phone_number", "phone_number_verified", "photos", "picture", "preferred_username", "profile", "sub", "updated_at", "urls", "user_id", "user_type", "zoneinfo"],
    }))
}

pub async fn jwks(State(s): State<Arc<Sandbox>>) -> Json<Value> {
    Json(s.signer.jwks())
}

pub async fn authorize_get(State(s): State<Arc<Sandbox>>, Query(p): Query<Params>) -> Response {
    authorize(&s, &p).await
}

pub async fn authorize_post(State(s): State<Arc<Sandbox>>, Form(p): Form<Params>) -> Response {
    authorize(&s, &p).await
}

fn bad_request_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Salesforce sandbox: error</title><h1>OAuth error</h1><p>{}</p>",
        escape_html(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Redirects back to the client with these query parameters added (and `state`).
fn redirect_with(
    redirect_uri: &url::Url,
    state: Option<&String>,
    pairs: &[(&str, &str)],
) -> Response {
    let mut target = redirect_uri.clone();
    {
        let mut q = target.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    // Salesforce answers 302 Found (axum's Redirect helpers send 303/307).
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

async fn authorize(s: &Sandbox, p: &Params) -> Response {
    let Some(client_id) = p.get("client_id").filter(|c| !c.is_empty()) else {
        return bad_request_page("error=invalid_client_id: client_id is missing");
    };
    let redirect = match p.get("redirect_uri").map(|r| url::Url::parse(r)) {
        Some(Ok(u)) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => {
            return bad_request_page(
                "error=redirect_uri_mismatch: redirect_uri must be an absolute http(s) URL",
            )
        }
    };
    let state = p.get("state");
    let fail = |error: &str, description: &str| {
        redirect_with(
            &redirect,
            state,
            &[("error", error), ("error_description", description)],
        )
    };
    if p.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "response type not supported: use response_type=code",
        );
    }
    let challenge = match (
        p.get("code_challenge"),
        p.get("code_challenge_method").map(String::as_str),
    ) {
        (Some(c), Some("S256")) if c.len() >= 43 => c.clone(),
        _ => {
            return fail(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            )
        }
    };
    let Some(hint) = p.get("login_hint").filter(|h| !h.is_empty()) else {
        return login_page(s, p).await;
    };
    let orgs = s.orgs.read().await;
    let Some((org, user)) = orgs
        .iter()
        .find_map(|o| o.user_by_username(hint).map(|u| (o, u)))
    else {
        drop(orgs);
        return login_page(s, p).await;
    };
    if user.get("IsActive") != Some(&Value::Bool(true)) {
        return fail(
            "access_denied",
            "this user is inactive: ask your Salesforce administrator to activate it",
        );
    }
    let code = format!("aPrx{}", new_nonce());
    let pending = PendingCode {
        org_id: org.id.to_string(),
        user_id: user
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        client_id: client_id.clone(),
        redirect_uri: p.get("redirect_uri").cloned().unwrap_or_default(),
        code_challenge: challenge,
        scope: p
            .get("scope")
            .cloned()
            .unwrap_or_else(|| DEFAULT_SCOPE.to_string()),
        nonce: p.get("nonce").cloned(),
        expires_at: now_micros() + CODE_LIFETIME_MICROS,
    };
    drop(orgs);
    s.auth.lock().await.codes.insert(code.clone(), pending);
    redirect_with(&redirect, state, &[("code", &code)])
}

/// Without a login hint: a page listing every sandbox user; picking one resubmits the
/// authorize request with that user as `login_hint`.
async fn login_page(s: &Sandbox, p: &Params) -> Response {
    let mut hidden = String::new();
    for (k, v) in p.iter().filter(|(k, _)| k.as_str() != "login_hint") {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape_html(k),
            escape_html(v)
        ));
    }
    let mut body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Log in | Salesforce sandbox</title></head><body>\
         <h1>Salesforce sandbox</h1><p>Pick the user to log in as.</p>\
         <form method=\"post\" action=\"{}/services/oauth2/authorize\">{hidden}",
        escape_html(&s.base)
    );
    let orgs = s.orgs.read().await;
    for org in orgs.iter() {
        body.push_str(&format!("<h2>{}</h2><ul>", escape_html(&org.name)));
        for user in org.tables.get("User").into_iter().flat_map(|t| t.values()) {
            let get = |k: &str| user.get(k).and_then(Value::as_str).unwrap_or_default();
            let inactive = if user.get("IsActive") == Some(&Value::Bool(true)) {
                ""
            } else {
                " (inactive)"
            };
            body.push_str(&format!(
                "<li><button type=\"submit\" name=\"login_hint\" value=\"{u}\" data-username=\"{u}\">{n}</button> {u}{inactive}</li>",
                u = escape_html(get("Username")),
                n = escape_html(get("Name")),
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str("</form></body></html>");
    Html(body).into_response()
}

pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub async fn token(State(s): State<Arc<Sandbox>>, Form(p): Form<Params>) -> Response {
    match p.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(&s, &p).await,
        Some("refresh_token") => refresh_grant(&s, &p).await,
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type not supported",
        ),
    }
}

async fn code_grant(s: &Sandbox, p: &Params) -> Response {
    let code = p.get("code").cloned().unwrap_or_default();
    // Taken out whatever happens next: a code is good for one attempt only.
    let pending = s.auth.lock().await.codes.remove(&code);
    let Some(pending) = pending.filter(|c| c.expires_at > now_micros()) else {
        return invalid_grant("invalid authorization code");
    };
    if p.get("client_id") != Some(&pending.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    }
    if p.get("redirect_uri") != Some(&pending.redirect_uri) {
        return invalid_grant("redirect_uri must match configuration");
    }
    match p.get("code_verifier") {
        Some(v) if s256(v) == pending.code_challenge => {}
        _ => return invalid_grant("invalid code verifier"),
    }
    let orgs = s.orgs.read().await;
    let Some(org) = orgs.iter().find(|o| o.id.as_str() == pending.org_id) else {
        return invalid_grant("unknown organization");
    };
    let Some(user) = org.tables.get("User").and_then(|t| t.get(&pending.user_id)) else {
        return invalid_grant("unknown user");
    };
    if user.get("IsActive") != Some(&Value::Bool(true)) {
        return invalid_grant("inactive user");
    }
    let body = s
        .issue_tokens(
            org,
            user,
            &pending.client_id,
            &pending.scope,
            None,
            pending.nonce.as_deref(),
        )
        .await;
    Json(body).into_response()
}

async fn refresh_grant(s: &Sandbox, p: &Params) -> Response {
    let Some(claims) = p
        .get("refresh_token")
        .and_then(|t| s.codec.decode(t))
        .filter(|c| c.kind == TokenKind::Refresh)
    else {
        return invalid_grant("expired access/refresh token");
    };
    if s.auth.lock().await.revoked.contains(&claims.nonce) {
        return invalid_grant("expired access/refresh token");
    }
    if p.get("client_id").is_some_and(|c| c != &claims.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    }
    let orgs = s.orgs.read().await;
    let org = orgs.iter().find(|o| o.id.as_str() == claims.org_id);
    let user = org
        .and_then(|o| o.tables.get("User"))
        .and_then(|t| t.get(&claims.user_id));
    let (Some(org), Some(user)) = (org, user) else {
        return invalid_grant("expired access/refresh token");
    };
    if user.get("IsActive") != Some(&Value::Bool(true)) {
        return invalid_grant("inactive user");
    }
    let body = s
        .issue_tokens(
            org,
            user,
            &claims.client_id,
            &claims.scope,
            Some(&claims),
            None,
        )
        .await;
    Json(body).into_response()
}

/// The identity of a token's user, as `/services/oauth2/userinfo` returns it.
pub async fn userinfo(State(s): State<Arc<Sandbox>>, headers: HeaderMap) -> Response {
    s.identity_calls
        .userinfo
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Some(caller) = s.caller_from_headers(&headers).await else {
        // Salesforce answers a bad token here with this bare string.
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")],
            "Bad_OAuth_Token",
        )
            .into_response();
    };
    let orgs = s.orgs.read().await;
    let Some(org) = orgs.iter().find(|o| o.id.as_str() == caller.org_id) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(user) = org.tables.get("User").and_then(|t| t.get(&caller.user_id)) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let text = |k: &str| user.get(k).cloned().unwrap_or(Value::Null);
    let email_verified = !s
        .auth
        .lock()
        .await
        .unverified_emails
        .contains(&caller.user_id);
    let b = &s.base;
    let (o, u) = (caller.org_id.as_str(), caller.user_id.as_str());
    let data = format!("{b}/services/data/v{{version}}/");
    Json(json!({
        "sub": s.id_url(o, u),
        "user_id": u,
        "organization_id": o,
        "preferred_username": text("Username"),
        "nickname": text("Alias"),
        "name": text("Name"),
        "email": text("Email"),
        "email_verified": email_verified,
        "given_name": text("FirstName"),
        "family_name": text("LastName"),
        "zoneinfo": text("TimeZoneSidKey"),
        "photos": {"picture": text("FullPhotoUrl"), "thumbnail": text("SmallPhotoUrl")},
        "profile": format!("{b}/{u}"),
        "picture": text("FullPhotoUrl"),
        "address": {},
        "is_salesforce_integration_user": false,
        "urls": {
            "enterprise": format!("{b}/services/Soap/c/{{version}}/{o}"),
            "partner": format!("{b}/services/Soap/u/{{version}}/{o}"),
            "rest": data.clone(),
            "sobjects": format!("{data}sobjects/"),
            "search": format!("{data}search/"),
            "query": format!("{data}query/"),
            "recent": format!("{data}recent/"),
            "profile": format!("{b}/{u}"),
            "users": format!("{data}chatter/users"),
            "custom_domain": b,
        },
        "active": text("IsActive"),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": text("LocaleSidKey"),
        "utcOffset": -28800000,
        "updated_at": text("LastModifiedDate"),
        "is_app_installed": true,
        "api_version": API_VERSION,
    }))
    .into_response()
}

pub async fn revoke(
    State(s): State<Arc<Sandbox>>,
    Query(q): Query<Params>,
    body: axum::body::Bytes,
) -> Response {
    // Salesforce takes the token in a form body or, for GET, in the query string.
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .or_else(|| q.get("token").cloned());
    let Some(claims) = token.and_then(|t| s.codec.decode(&t)) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token");
    };
    s.auth.lock().await.revoked.insert(claims.nonce);
    StatusCode::OK.into_response()
}

pub async fn introspect(State(s): State<Arc<Sandbox>>, Form(p): Form<Params>) -> Response {
    s.identity_calls
        .introspect
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let inactive = || Json(json!({"active": false})).into_response();
    let Some(token) = p.get("token") else {
        return inactive();
    };
    let Some(claims) = s.codec.decode(token) else {
        return inactive();
    };
    let active = match claims.kind {
        TokenKind::Access => s.check_access_token(token).await.is_some(),
        TokenKind::Refresh => !s.auth.lock().await.revoked.contains(&claims.nonce),
    };
    if !active {
        return inactive();
    }
    let orgs = s.orgs.read().await;
    let username = orgs
        .iter()
        .find(|o| o.id.as_str() == claims.org_id)
        .and_then(|o| o.tables.get("User")?.get(&claims.user_id))
        .and_then(|u| u.get("Username").cloned())
        .unwrap_or(Value::Null);
    let mut body = json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "username": username,
        "sub": s.id_url(&claims.org_id, &claims.user_id),
        "token_type": match claims.kind { TokenKind::Access => "access_token", TokenKind::Refresh => "refresh_token" },
        "iat": claims.iat / 1_000_000,
        "nbf": claims.iat / 1_000_000,
    });
    if let Some(exp) = claims.exp {
        body["exp"] = json!(exp / 1_000_000);
    }
    Json(body).into_response()
}
