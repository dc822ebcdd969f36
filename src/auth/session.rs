//! The sign-in flows as the background runs them (WASM only): the browser's identity window,
//! storage and `fetch`, driven by the pure pieces of [`crate::auth`] and [`crate::api_client`].

use super::oidc::{self, AuthorizeRequest, Endpoints};
use super::pkce::{random_state, Pkce, VERIFIER_ENTROPY_BYTES};
use super::single_flight::SingleFlight;
use super::store::{self, SessionTokens, StoredGrant};
use super::tokens::{self, TokenResponse};
use super::AuthError;
use crate::api_client::{self, ApiError, ApiMethod};
use crate::protocol::{RequestError, Response};
use crate::settings::{Settings, SETTINGS_KEY};
use salespane_api::error::{ErrorBody, ErrorDetail};
use salespane_api::me::Me;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    // The browser adapter (extension/adapter.js): the one place that knows chrome vs browser.
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = storageGet, catch)]
    async fn storage_get(area: &str, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = storageSet, catch)]
    async fn storage_set(area: &str, key: &str, value: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = storageRemove, catch)]
    async fn storage_remove(area: &str, keys: Vec<String>) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = redirectUrl, catch)]
    fn redirect_url() -> Result<String, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = launchWebAuthFlow, catch)]
    async fn launch_web_auth_flow(url: &str, interactive: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = openPage, catch)]
    async fn open_page_js(path: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = sealLocal, catch)]
    async fn seal_local(plain: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = openLocal, catch)]
    async fn open_local(sealed: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = salespaneBrowser, js_name = randomBytes)]
    fn random_bytes(count: u32) -> Vec<u8>;

    #[wasm_bindgen(js_name = fetch)]
    fn fetch_request(request: &web_sys::Request) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

const SESSION: &str = "session";
const LOCAL: &str = "local";

thread_local! {
    /// The refresh under way, shared by every call that needs a new access token meanwhile.
    static REFRESH: Rc<SingleFlight<Result<String, ErrorDetail>>> = Rc::default();
}

fn js_text(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(error, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".into())
}

fn unavailable(what: &str, error: &JsValue) -> RequestError {
    RequestError::Unavailable(format!(
        "the extension could not {what} ({}); reload the extension or restart the browser",
        js_text(error)
    ))
}

async fn read<T: DeserializeOwned>(area: &str, key: &str) -> Option<T> {
    let value = storage_get(area, key).await.ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    serde_wasm_bindgen::from_value(value).ok()
}

async fn write<T: Serialize>(area: &str, key: &str, value: &T) -> Result<(), RequestError> {
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| RequestError::Unavailable(e.to_string()))?;
    storage_set(area, key, js)
        .await
        .map(|_| ())
        .map_err(|e| unavailable("save its state", &e))
}

/// Forgets tokens and the cached user: sign-out, a dead refresh token, or new settings.
async fn clear_tokens() -> Result<(), RequestError> {
    let strings = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    storage_remove(SESSION, strings(&store::SESSION_KEYS))
        .await
        .map_err(|e| unavailable("clear its session", &e))?;
    storage_remove(LOCAL, strings(&store::LOCAL_KEYS))
        .await
        .map_err(|e| unavailable("clear its sign-in", &e))?;
    Ok(())
}

/// Seals a refresh token for storage.local; None when this browser cannot (no IndexedDB or
/// WebCrypto): the session then lasts as long as its access token, and no clear token is kept.
async fn seal(refresh_token: &str) -> Option<String> {
    seal_local(refresh_token).await.ok()?.as_string()
}

/// The grant's refresh token in clear, or None when there is none or it cannot be opened (the
/// sealing key was wiped with the extension's IndexedDB, or the value was altered).
async fn unseal(grant: &StoredGrant) -> Option<String> {
    let sealed = grant.refresh_token_sealed.as_deref()?;
    open_local(sealed).await.ok()?.as_string()
}

/// The last `GET /api/v1/me` answer, with its link-signing secret (for `crate::tracking`).
pub async fn cached_me() -> Option<Me> {
    read(SESSION, store::ME_KEY).await
}

pub async fn load_settings() -> Settings {
    read::<Settings>(LOCAL, SETTINGS_KEY)
        .await
        .and_then(|s| s.validated().ok())
        .unwrap_or_default()
}

pub fn settings_response(settings: Settings) -> Response {
    Response::Settings {
        effective_issuer: settings.effective_issuer(),
        idp_name: settings.display_idp_name().to_string(),
        permission_patterns: settings.permission_patterns(),
        defaults: Settings::default(),
        settings,
    }
}

/// Saves new settings; a different server or identity provider ends the session.
pub async fn save_settings(new: Settings) -> Result<Response, RequestError> {
    let old = load_settings().await;
    if old.identity_differs(&new) {
        sign_out_quietly(&old).await;
    }
    write(LOCAL, SETTINGS_KEY, &new).await?;
    Ok(settings_response(new))
}

/// Opens an extension page in a new tab (the background has the `tabs` API everywhere).
pub async fn open_page(path: &str) -> Result<(), RequestError> {
    open_page_js(path)
        .await
        .map(|_| ())
        .map_err(|e| unavailable("open the page", &e))
}

// ---- HTTP ---------------------------------------------------------------------------------

/// One HTTP exchange: status and body text, or why there was no answer.
async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<String>,
    server: &str,
) -> Result<(u16, String), ApiError> {
    let unreachable = |reason: String| ApiError::Unreachable {
        server: server.to_string(),
        reason,
    };
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_cache(web_sys::RequestCache::NoStore);
    let header_map = web_sys::Headers::new().map_err(|e| unreachable(js_text(&e)))?;
    for (name, value) in headers {
        header_map
            .set(name, value)
            .map_err(|e| unreachable(js_text(&e)))?;
    }
    init.set_headers(&header_map);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let controller = web_sys::AbortController::new().map_err(|e| unreachable(js_text(&e)))?;
    init.set_signal(Some(&controller.signal()));
    let request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|e| unreachable(js_text(&e)))?;
    let abort = controller.clone();
    let on_timeout = Closure::once_into_js(move || abort.abort());
    let timer = set_timeout(on_timeout.unchecked_ref(), api_client::TIMEOUT_MS);
    let result = async {
        let response: web_sys::Response =
            JsFuture::from(fetch_request(&request)).await?.dyn_into()?;
        let text = JsFuture::from(response.text()?).await?;
        Ok::<_, JsValue>((response.status(), text.as_string().unwrap_or_default()))
    }
    .await;
    clear_timeout(&timer);
    result.map_err(|e| {
        if controller.signal().aborted() {
            ApiError::Timeout {
                server: server.to_string(),
                seconds: api_client::TIMEOUT_MS / 1000,
            }
        } else {
            unreachable(js_text(&e))
        }
    })
}

fn detail(code: &str, message: impl ToString) -> ErrorDetail {
    ErrorDetail {
        code: code.to_string(),
        message: message.to_string(),
    }
}

fn auth_detail(err: &AuthError) -> ErrorDetail {
    detail(err.code(), err)
}

fn api_detail(err: &ApiError) -> ErrorDetail {
    detail(err.code(), err)
}

// ---- Sign-in ------------------------------------------------------------------------------

async fn discover(settings: &Settings) -> Result<Endpoints, ErrorDetail> {
    let issuer = settings.effective_issuer();
    let url = oidc::discovery_url(&issuer);
    let (status, text) = http("GET", &url, &[], None, &issuer)
        .await
        .map_err(|e| api_detail(&e))?;
    if status != 200 {
        return Err(auth_detail(&AuthError::Discovery {
            url,
            reason: format!("HTTP status {status}"),
        }));
    }
    oidc::parse_discovery(&issuer, &url, &text).map_err(|e| auth_detail(&e))
}

/// `N` random bytes from the browser (`crypto.getRandomValues`).
pub fn entropy<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let bytes = random_bytes(N as u32);
    out.iter_mut().zip(bytes).for_each(|(o, b)| *o = b);
    out
}

/// The code flow with PKCE through the browser's identity window, then the token exchange.
pub async fn sign_in(interactive: bool, login_hint: Option<String>) -> Response {
    match sign_in_inner(interactive, login_hint).await {
        Ok(()) => auth_status().await,
        Err(error) => Response::AuthStatus {
            signed_in: false,
            me: None,
            error: Some(error),
        },
    }
}

async fn sign_in_inner(interactive: bool, login_hint: Option<String>) -> Result<(), ErrorDetail> {
    let settings = load_settings().await;
    let endpoints = discover(&settings).await?;
    let redirect_uri = redirect_url().map_err(|e| {
        detail(
            "identity_unavailable",
            format!(
                "this browser does not offer sign-in windows to extensions ({}); update the browser",
                js_text(&e)
            ),
        )
    })?;
    let pkce = Pkce::from_entropy(&entropy::<VERIFIER_ENTROPY_BYTES>());
    let state = random_state(&entropy::<16>());
    let nonce = random_state(&entropy::<16>());
    let hint = login_hint.unwrap_or_else(|| settings.login_hint.clone());
    let url = AuthorizeRequest {
        endpoints: &endpoints,
        client_id: settings.effective_client_id(),
        redirect_uri: &redirect_uri,
        scope: settings.scopes(),
        pkce: &pkce,
        state: &state,
        nonce: &nonce,
        login_hint: Some(hint.as_str()),
    }
    .url();
    let returned = launch_web_auth_flow(&url, interactive)
        .await
        .map_err(|e| {
            detail(
                AuthError::Cancelled.code(),
                format!("{} ({})", AuthError::Cancelled, js_text(&e)),
            )
        })?
        .as_string()
        .unwrap_or_default();
    let code =
        oidc::read_redirect(&returned, &redirect_uri, &state).map_err(|e| auth_detail(&e))?;
    let body = tokens::code_grant_body(
        &code,
        &pkce.verifier,
        &redirect_uri,
        settings.effective_client_id(),
    );
    let tokens = token_call(&endpoints.token_endpoint, body, &endpoints.issuer)
        .await
        .map_err(|e| e.either())?;
    // A new sign-in replaces whatever was there, and revokes it: an old refresh token must
    // not stay usable behind the user's back.
    forget_and_revoke()
        .await
        .map_err(|e| detail("unavailable", e))?;
    let sealed = match &tokens.refresh_token {
        Some(refresh_token) => seal(refresh_token).await,
        None => None,
    };
    let grant = StoredGrant {
        refresh_token_sealed: sealed,
        issuer: settings.effective_issuer(),
        client_id: settings.effective_client_id().to_string(),
        token_endpoint: endpoints.token_endpoint.clone(),
        revocation_endpoint: endpoints.revocation_endpoint.clone(),
    };
    write(LOCAL, store::GRANT_KEY, &grant)
        .await
        .map_err(|e| detail("unavailable", e))?;
    write(
        SESSION,
        store::SESSION_KEY,
        &SessionTokens {
            access_token: tokens.access_token,
            issuer: grant.issuer,
        },
    )
    .await
    .map_err(|e| detail("unavailable", e))
}

enum TokenCallError {
    Auth(AuthError),
    Net(ApiError),
}

impl TokenCallError {
    fn either(self) -> ErrorDetail {
        match self {
            TokenCallError::Auth(e) => auth_detail(&e),
            TokenCallError::Net(e) => api_detail(&e),
        }
    }
}

async fn token_call(
    endpoint: &str,
    body: String,
    issuer: &str,
) -> Result<TokenResponse, TokenCallError> {
    let headers = [
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept", "application/json".to_string()),
    ];
    let (status, text) = http("POST", endpoint, &headers, Some(body), issuer)
        .await
        .map_err(TokenCallError::Net)?;
    tokens::parse_token_response(status, &text).map_err(TokenCallError::Auth)
}

/// A new access token from the refresh token. A refused refresh token ends the session.
async fn refresh(settings: &Settings) -> Result<String, ErrorDetail> {
    let grant: StoredGrant = read(LOCAL, store::GRANT_KEY)
        .await
        .filter(|g: &StoredGrant| g.issuer == settings.effective_issuer())
        .ok_or_else(|| auth_detail(&AuthError::NotSignedIn))?;
    let Some(refresh_token) = unseal(&grant).await else {
        let _ = clear_tokens().await;
        return Err(auth_detail(&AuthError::SessionEnded));
    };
    let body = tokens::refresh_grant_body(&refresh_token, &grant.client_id);
    match token_call(&grant.token_endpoint, body, &grant.issuer).await {
        Ok(tokens) => {
            if let Some(rotated) = &tokens.refresh_token {
                let grant = StoredGrant {
                    refresh_token_sealed: seal(rotated).await,
                    ..grant.clone()
                };
                write(LOCAL, store::GRANT_KEY, &grant)
                    .await
                    .map_err(|e| detail("unavailable", e))?;
            }
            write(
                SESSION,
                store::SESSION_KEY,
                &SessionTokens {
                    access_token: tokens.access_token.clone(),
                    issuer: grant.issuer,
                },
            )
            .await
            .map_err(|e| detail("unavailable", e))?;
            Ok(tokens.access_token)
        }
        // Only a refused grant ends the session; a provider's passing trouble (a 5xx, an
        // unreadable answer) leaves it for the next call to try again.
        Err(TokenCallError::Auth(AuthError::SessionEnded)) => {
            let _ = clear_tokens().await;
            Err(auth_detail(&AuthError::SessionEnded))
        }
        Err(TokenCallError::Auth(err)) => Err(auth_detail(&err)),
        Err(TokenCallError::Net(err)) => Err(api_detail(&err)),
    }
}

async fn stored_access_token(settings: &Settings) -> Option<String> {
    let session: Option<SessionTokens> = read(SESSION, store::SESSION_KEY).await;
    session
        .filter(|s| s.issuer == settings.effective_issuer())
        .map(|s| s.access_token)
}

async fn access_token(settings: &Settings) -> Result<String, ErrorDetail> {
    match stored_access_token(settings).await {
        Some(token) => Ok(token),
        // The browser was restarted (session storage is gone): the refresh token remains.
        None => renewed_token(settings, None).await,
    }
}

/// A new access token, after `refused` was answered 401 (or none was stored). Calls arriving
/// together share one refresh; a call whose token was already replaced uses the new one.
async fn renewed_token(settings: &Settings, refused: Option<&str>) -> Result<String, ErrorDetail> {
    let flight = REFRESH.with(Rc::clone);
    if !flight.in_flight() {
        if let Some(current) = stored_access_token(settings).await {
            if refused.is_some_and(|refused| refused != current) {
                return Ok(current);
            }
        }
    }
    let settings = settings.clone();
    flight
        .run(move || async move { refresh(&settings).await })
        .await
}

async fn signed_in() -> bool {
    read::<StoredGrant>(LOCAL, store::GRANT_KEY).await.is_some()
        || read::<SessionTokens>(SESSION, store::SESSION_KEY)
            .await
            .is_some()
}

// ---- API calls ----------------------------------------------------------------------------

/// The server's answer, or why there was none (`status` 0, or 401 when signed out).
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub error: Option<ErrorDetail>,
}

impl Reply {
    fn failed(status: u16, error: ErrorDetail) -> Reply {
        Reply {
            status,
            body: Value::Null,
            error: Some(error),
        }
    }

    /// No usable token: 401 when the user must sign in again, else 0 (no answer; try again).
    fn renewal_failed(error: ErrorDetail) -> Reply {
        let status = if super::ends_session(&error.code) {
            401
        } else {
            0
        };
        Reply::failed(status, error)
    }

    pub fn into_response(self) -> Response {
        Response::ApiReply {
            status: self.status,
            body: self.body,
            error: self.error,
        }
    }
}

async fn send(
    settings: &Settings,
    method: ApiMethod,
    path: &str,
    body: Option<&Value>,
    token: &str,
) -> Result<(u16, String), ApiError> {
    let mut headers = vec![
        ("Authorization", format!("Bearer {token}")),
        ("Accept", "application/json".to_string()),
    ];
    if let Some(issuer) = settings.idp_header() {
        headers.push(("X-Salespane-Idp", issuer));
    }
    let body = body.filter(|b| !b.is_null()).map(|b| {
        headers.push(("Content-Type", "application/json".to_string()));
        b.to_string()
    });
    let url = format!("{}{path}", settings.server_url);
    http(method.as_str(), &url, &headers, body, &settings.server_url).await
}

/// An API call for a page: the server's answer without the link-signing secret (which the
/// background keeps: a fresh `Me` or rotated key updates its copy).
pub async fn api(method: ApiMethod, path: &str, body: Option<Value>) -> Reply {
    let mut reply = call(method, path, body).await;
    if reply.status == 200 {
        remember_signing_key(method, path, &reply.body).await;
    }
    api_client::redact_for_page(path, &mut reply.body);
    reply
}

async fn remember_signing_key(method: ApiMethod, path: &str, body: &Value) {
    let route = path.split_once('?').map_or(path, |(route, _)| route);
    if method == ApiMethod::Get && route == "/api/v1/me" {
        if let Ok(me) = serde_json::from_value::<Me>(body.clone()) {
            let _ = write(SESSION, store::ME_KEY, &me).await;
        }
    } else if method == ApiMethod::Post && route == api_client::SIGNING_KEY_ROTATE_PATH {
        let key = serde_json::from_value(body.clone());
        let me: Option<Me> = read(SESSION, store::ME_KEY).await;
        if let (Ok(key), Some(mut me)) = (key, me) {
            me.signing_key = key;
            let _ = write(SESSION, store::ME_KEY, &me).await;
        }
    }
}

/// Calls the API with the user's token; on 401, refreshes (once, shared) and retries.
async fn call(method: ApiMethod, path: &str, body: Option<Value>) -> Reply {
    let settings = load_settings().await;
    let token = match access_token(&settings).await {
        Ok(token) => token,
        Err(error) => return Reply::renewal_failed(error),
    };
    let mut answer = send(&settings, method, path, body.as_ref(), &token).await;
    if matches!(answer, Ok((401, _))) {
        match renewed_token(&settings, Some(&token)).await {
            Ok(token) => answer = send(&settings, method, path, body.as_ref(), &token).await,
            Err(error) => return Reply::renewal_failed(error),
        }
    }
    match answer {
        Ok((status, text)) => {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let error = (!(200..300).contains(&status))
                .then(|| serde_json::from_value::<ErrorBody>(body.clone()).ok())
                .flatten()
                .map(|b| b.error);
            Reply {
                status,
                body,
                error,
            }
        }
        Err(err) => Reply::failed(0, api_detail(&err)),
    }
}

/// Who is signed in, as the server sees it (`GET /api/v1/me`).
pub async fn auth_status() -> Response {
    if !signed_in().await {
        return Response::AuthStatus {
            signed_in: false,
            me: None,
            error: None,
        };
    }
    let reply = call(ApiMethod::Get, "/api/v1/me", None).await;
    match reply.status {
        200 => match serde_json::from_value::<Me>(reply.body) {
            Ok(mut me) => {
                let _ = write(SESSION, store::ME_KEY, &me).await;
                // The link-signing secret stays in the background, with the tokens.
                me.signing_key.secret.clear();
                Response::AuthStatus {
                    signed_in: true,
                    me: Some(Box::new(me)),
                    error: None,
                }
            }
            Err(e) => Response::AuthStatus {
                signed_in: true,
                me: None,
                error: Some(detail(
                    "bad_answer",
                    format!("the server's answer about you is not understood ({e}); update the extension"),
                )),
            },
        },
        401 => {
            let _ = clear_tokens().await;
            Response::AuthStatus {
                signed_in: false,
                me: None,
                error: reply.error,
            }
        }
        status => Response::AuthStatus {
            signed_in: true,
            me: None,
            error: reply.error.or_else(|| {
                Some(detail(
                    "server_error",
                    format!("the Salespane server answered with status {status}; try again in a minute"),
                ))
            }),
        },
    }
}

/// Revokes the grant at the identity provider (best effort) and forgets everything.
pub async fn sign_out() -> Response {
    let settings = load_settings().await;
    sign_out_quietly(&settings).await;
    Response::AuthStatus {
        signed_in: false,
        me: None,
        error: None,
    }
}

async fn sign_out_quietly(_settings: &Settings) {
    let _ = forget_and_revoke().await;
}

/// Forgets the stored grant and session, then revokes them at the identity provider (best
/// effort: a refresh token that cannot be unsealed any more cannot be revoked either).
async fn forget_and_revoke() -> Result<(), RequestError> {
    let grant: Option<StoredGrant> = read(LOCAL, store::GRANT_KEY).await;
    let session: Option<SessionTokens> = read(SESSION, store::SESSION_KEY).await;
    let refresh_token = match &grant {
        Some(grant) => unseal(grant).await,
        None => None,
    };
    // Clear first: a slow or unreachable identity provider must not keep tokens around.
    clear_tokens().await?;
    if let Some(grant) = grant {
        if let Some(endpoint) = &grant.revocation_endpoint {
            let headers = [(
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            )];
            // Revoking the refresh token also ends its access tokens at Salesforce; revoke the
            // access token too for providers that do not.
            let tokens = refresh_token
                .iter()
                .chain(session.as_ref().map(|s| &s.access_token));
            for token in tokens {
                let body = tokens::revocation_body(token, &grant.client_id);
                let _ = http("POST", endpoint, &headers, Some(body), &grant.issuer).await;
            }
        }
    }
    Ok(())
}
