//! Salesforce connections. A sales user connects their own Salesforce user (OAuth code flow
//! with PKCE: the server starts it, the extension's `launchWebAuthFlow` receives the code and
//! posts it back under the same user's token, the server exchanges it); an admin
//! picks one connected user with API access as the account's team-sync ("superuser")
//! connection. Tokens are sealed at rest.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use salespane_api::admin::{ChooseTeamSync, CrmConnectionInfo, ResetResult, TeamSyncStatus};
use salespane_api::me::{
    ConfirmCrmUser, ConnectStart, CrmUserCandidate, FinishCrmConnection, MyCrmConnection,
    StartCrmConnection,
};
use salespane_api::sfid::SfId;
use salespane_crm::{CrmError, SalesforceSession, SessionTokens, TokenSet, UserInfo};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::crm::access::{self, bounded, map_crm_error, record_failure};
use crate::crypto::Binding;
use crate::db::is_unique_violation;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::{AdminUser, CurrentUser};
use crate::identity::verifier::Identity;
use crate::ids::{new_id, now_ms, random_secret};

/// The redirect of the sandbox bootstrap's in-process sign-in (never served: the code is
/// read from the sandbox's answer).
pub const CALLBACK_PATH: &str = "/oauth/salesforce/callback";
/// How long a started connection may take to come back.
const STATE_LIFETIME_MS: i64 = 10 * 60 * 1000;
const PURPOSE_PERSONAL: &str = "personal";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_connection))
        .routes(routes!(finish_connection))
        .routes(routes!(my_connection, delete_my_connection))
        .routes(routes!(confirm_crm_user))
        .routes(routes!(team_sync_status, choose_team_sync))
        .routes(routes!(reset_connection))
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.settings.public_url)
}

/// Starts connecting the signed-in user's own Salesforce user: the extension opens
/// `authorize_url` with `identity.launchWebAuthFlow`; Salesforce hands the code back to the
/// extension, which posts it to `/api/v1/me/crm-connection/finish` under the same user's token.
#[utoipa::path(post, path = "/api/v1/me/crm-connection/start", tag = "crm", security(("sso" = [])),
    request_body = StartCrmConnection,
    responses(
        (status = 200, body = ConnectStart),
        (status = 400, description = "invalid_redirect_uri", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
    ))]
async fn start_connection(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<StartCrmConnection>,
) -> ApiResult<ApiJson<ConnectStart>> {
    let redirect = extension_redirect_uri(&body.redirect_uri)?;
    let now = now_ms();
    sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
        .bind(now)
        .execute(&state.db.pool)
        .await?;
    let oauth_state = random_secret(24);
    let pkce = salespane_crm::pkce_pair();
    sqlx::query(
        "INSERT INTO oauth_states (state, account_id, user_id, purpose, verifier_sealed, redirect_uri, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&oauth_state)
    .bind(&user.account_id)
    .bind(&user.user_id)
    .bind(PURPOSE_PERSONAL)
    .bind(
        state
            .secrets
            .seal_bound(&pkce.verifier, &pending_sign_in(&oauth_state, &user.account_id)),
    )
    .bind(&redirect)
    .bind(now + STATE_LIFETIME_MS)
    .execute(&state.db.pool)
    .await?;
    let authorize_url =
        access::oauth(&state)?.authorize_url(&redirect, &oauth_state, &pkce.challenge, None);
    Ok(ApiJson(ConnectStart {
        authorize_url,
        state: oauth_state,
    }))
}

/// Where a pending sign-in's PKCE verifier is sealed.
fn pending_sign_in<'a>(oauth_state: &'a str, account_id: &'a str) -> Binding<'a> {
    Binding {
        table: "oauth_states",
        column: "verifier_sealed",
        row_id: oauth_state,
        account_id,
    }
}

/// Browsers' extension sign-in redirects: the code lands in the extension's own
/// `launchWebAuthFlow`, which no web page (and no other person's browser) can read.
const EXTENSION_REDIRECT_HOSTS: [&str; 2] = [".chromiumapp.org", ".extensions.allizom.org"];

fn extension_redirect_uri(text: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_redirect_uri",
            "redirect_uri must be the extension's sign-in redirect (identity.getRedirectURL(): https://<extension id>.chromiumapp.org/ or https://<id>.extensions.allizom.org/). Update Salespane.",
        )
    };
    let url = url::Url::parse(text.trim()).map_err(|_| invalid())?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let extension_host = EXTENSION_REDIRECT_HOSTS
        .iter()
        .any(|suffix| host.len() > suffix.len() && host.ends_with(suffix));
    if url.scheme() != "https"
        || !extension_host
        || url.port().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid());
    }
    Ok(url.to_string())
}

fn sign_in_again(message: &str) -> ApiError {
    ApiError::bad_request(
        "crm_sign_in_failed",
        format!("{message} Start connecting Salesforce again from Salespane."),
    )
}

/// Completes the connection the signed-in user started: the state must be theirs (another
/// user's, or a used or expired one, is unknown here), and the Salesforce user must be them.
#[utoipa::path(post, path = "/api/v1/me/crm-connection/finish", tag = "crm", security(("sso" = [])),
    request_body = FinishCrmConnection,
    responses(
        (status = 200, body = MyCrmConnection),
        (status = 400, description = "crm_sign_in_failed", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, description = "crm_user_not_you", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_user_taken, crm_wrong_org", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn finish_connection(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<FinishCrmConnection>,
) -> ApiResult<ApiJson<MyCrmConnection>> {
    complete_connection(&state, &user, &body).await?;
    Ok(ApiJson(load_my_connection(&state, &user).await?.0))
}

async fn complete_connection(
    state: &AppState,
    user: &CurrentUser,
    body: &FinishCrmConnection,
) -> Result<String, ApiError> {
    let oauth_state = body.state.trim();
    if oauth_state.is_empty() || oauth_state.len() > 200 {
        return Err(sign_in_again("Salesforce sent back no sign-in state."));
    }
    // Only the user who started it may finish it, once: taking the row makes a replay fail.
    const MINE: &str = "state = $1 AND account_id = $2 AND user_id = $3 AND purpose = $4";
    let row = sqlx::query(&format!(
        "SELECT verifier_sealed, redirect_uri, expires_at FROM oauth_states WHERE {MINE}"
    ))
    .bind(oauth_state)
    .bind(&user.account_id)
    .bind(&user.user_id)
    .bind(PURPOSE_PERSONAL)
    .fetch_optional(&state.db.pool)
    .await?;
    let taken = sqlx::query(&format!("DELETE FROM oauth_states WHERE {MINE}"))
        .bind(oauth_state)
        .bind(&user.account_id)
        .bind(&user.user_id)
        .bind(PURPOSE_PERSONAL)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    let Some(row) = row.filter(|_| taken == 1) else {
        return Err(sign_in_again(
            "This Salesforce sign-in is unknown, was already used, or was started by someone else.",
        ));
    };
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at < now_ms() {
        return Err(sign_in_again(
            "This sign-in took more than 10 minutes and expired.",
        ));
    }
    let code = body.code.trim();
    if code.is_empty() || code.len() > 2048 {
        return Err(sign_in_again("Salesforce sent no authorization code."));
    }
    let verifier_sealed: String = row.try_get("verifier_sealed")?;
    let redirect: String = row.try_get("redirect_uri")?;
    let verifier = state
        .secrets
        .open_bound(
            &verifier_sealed,
            &pending_sign_in(oauth_state, &user.account_id),
        )
        .map_err(|_| sign_in_again("The sign-in could not be read back."))?;
    let oauth = access::oauth(state)?;
    let tokens = bounded(state, oauth.exchange_code(code, &verifier, &redirect))
        .await
        .map_err(|e| match e {
            CrmError::OAuth { .. } | CrmError::InvalidSession => {
                sign_in_again(&format!("Salesforce refused the sign-in ({e})."))
            }
            other => map_crm_error(other),
        })?;
    let info = bounded(state, oauth.userinfo(&tokens.access_token))
        .await
        .map_err(map_crm_error)?;
    let (org, crm_user) = identify(&tokens, &info)?;
    let signed_in_as = sso_crm_user(&user.identity, Some(&org));
    if signed_in_as.as_ref().is_some_and(|me| *me != crm_user) {
        // Someone else's grant (a colleague who opened the link): never keep it.
        if let Some(refresh) = tokens.refresh_token.as_deref() {
            if let Err(err) = bounded(state, oauth.revoke(refresh)).await {
                tracing::warn!(error = %err, "could not revoke a refused Salesforce grant");
            }
        }
        return Err(not_you());
    }
    // Whether the user may use the REST API (a team-sync user must).
    let api_enabled = check_api_access(state, &tokens, &info).await?;
    let stored = store_connection(
        state,
        &user.account_id,
        &user.user_id,
        &tokens,
        &info,
        api_enabled,
        signed_in_as.is_some(),
    )
    .await?;
    Ok(stored.crm_username)
}

/// The Salesforce user the signed-in person is, when they signed in with Salesforce itself
/// and (when `crm_org` is given) with that same org: then no other CRM user can be theirs.
fn sso_crm_user(identity: &Identity, crm_org: Option<&SfId>) -> Option<SfId> {
    let org = SfId::parse(&identity.org_id).ok()?;
    if org.key_prefix() != "00D" || crm_org.is_some_and(|crm| *crm != org) {
        return None;
    }
    SfId::parse(&identity.subject)
        .ok()
        .filter(|user| user.key_prefix() == "005")
}

fn not_you() -> ApiError {
    ApiError::forbidden(
        "crm_user_not_you",
        "You signed in to Salesforce as someone else. Your company signs in to Salespane with this Salesforce org, so you can only connect your own Salesforce user: sign out of Salesforce, sign in as yourself, and connect again.",
    )
}

/// The Salesforce user and org a token set belongs to.
fn identify(tokens: &TokenSet, info: &UserInfo) -> Result<(SfId, SfId), ApiError> {
    if let Some((org, user)) = tokens.org_and_user() {
        return Ok((org, user));
    }
    let user = info.user_id.as_deref().and_then(|u| SfId::parse(u).ok());
    let org = info
        .organization_id
        .as_deref()
        .and_then(|o| SfId::parse(o).ok());
    match (org, user) {
        (Some(org), Some(user)) => Ok((org, user)),
        _ => Err(ApiError::bad_gateway(
            "crm_unavailable",
            "Salesforce did not say which user signed in. Try connecting again.",
        )),
    }
}

async fn check_api_access(
    state: &AppState,
    tokens: &TokenSet,
    info: &UserInfo,
) -> Result<bool, ApiError> {
    let (_, user) = identify(tokens, info)?;
    let Some(instance_url) = tokens.instance_url.clone() else {
        return Ok(false);
    };
    let session = SalesforceSession::new(
        access::crm_http(state)?,
        SessionTokens {
            instance_url,
            access_token: tokens.access_token.clone(),
            refresh_token: None,
        },
    );
    match bounded(state, session.get_user(&user)).await {
        Ok(_) => Ok(true),
        Err(CrmError::ApiDisabled) => Ok(false),
        Err(err) => Err(map_crm_error(err)),
    }
}

pub struct StoredConnection {
    pub id: String,
    pub crm_username: String,
}

/// Stores (or replaces) the user's connection. Errors: `crm_user_taken` (409) when another
/// sales user connected, or is, that Salesforce user; `crm_wrong_org` (409) when the
/// Salesforce user belongs to another org than the account's.
pub async fn store_connection(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    tokens: &TokenSet,
    info: &UserInfo,
    api_enabled: bool,
    signed_in_as_crm_user: bool,
) -> Result<StoredConnection, ApiError> {
    let (org, crm_user) = identify(tokens, info)?;
    let account = sqlx::query("SELECT idp_issuer, idp_org_id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&state.db.pool)
        .await?;
    let issuer: String = account.try_get("idp_issuer")?;
    let org_id: String = account.try_get("idp_org_id")?;
    // Accounts that sign in with Salesforce are one org: its users only.
    let signs_in_with_salesforce =
        issuer.trim_end_matches('/') == state.settings.salesforce_login_url.trim_end_matches('/');
    if signs_in_with_salesforce && SfId::parse(&org_id).map(|o| o != org).unwrap_or(true) {
        return Err(ApiError::conflict(
            "crm_wrong_org",
            "You signed in to another Salesforce org than your Salespane account's. Connect with your user of your company's org.",
        ));
    }
    let Some(instance_url) = tokens.instance_url.clone() else {
        return Err(ApiError::bad_gateway(
            "crm_unavailable",
            "Salesforce did not say where its API is. Try connecting again.",
        ));
    };
    let Some(refresh_token) = tokens.refresh_token.as_deref() else {
        return Err(sign_in_again("Salesforce gave no refresh token: the connected app must allow the refresh_token scope."));
    };
    let crm_user_id = crm_user.as_str().to_string();
    let username = info
        .preferred_username
        .clone()
        .unwrap_or_else(|| crm_user_id.clone());
    let crm_email = info
        .email
        .clone()
        .unwrap_or_else(|| username.clone())
        .to_lowercase();

    let user =
        sqlx::query("SELECT email, crm_user_id FROM users WHERE id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(&state.db.pool)
            .await?
            .ok_or_else(crate::provisioning::users::user_not_found)?;
    let user_email: String = user.try_get("email")?;
    let user_crm: Option<String> = user.try_get("crm_user_id")?;
    let other =
        sqlx::query("SELECT id FROM users WHERE account_id = $1 AND crm_user_id = $2 AND id <> $3")
            .bind(account_id)
            .bind(&crm_user_id)
            .bind(user_id)
            .fetch_optional(&state.db.pool)
            .await?;
    if other.is_some() {
        return Err(crm_user_taken());
    }

    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    // Same email (or username) and no CRM user yet: this is who they are, no question asked.
    let same_person =
        signed_in_as_crm_user || crm_email == user_email || username.to_lowercase() == user_email;
    if user_crm.is_none() && same_person {
        sqlx::query("UPDATE users SET crm_user_id = $1, updated_at = $2 WHERE id = $3 AND account_id = $4 AND crm_user_id IS NULL")
            .bind(&crm_user_id)
            .bind(now)
            .bind(user_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { crm_user_taken() } else { e.into() })?;
    }
    let confirmed = same_person || user_crm.as_deref() == Some(crm_user_id.as_str());
    let confirmed_at = confirmed.then_some(now);
    let seal = |column: &str, id: &str, plain: &str| {
        state
            .secrets
            .seal_bound(plain, &access::sealed_in(column, id, account_id))
    };
    let existing =
        sqlx::query("SELECT id FROM crm_connections WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let connection_id = match existing {
        Some(row) => {
            // Reconnecting keeps the id, so a team-sync choice survives a new sign-in.
            let id: String = row.try_get("id")?;
            let access_sealed = seal(access::ACCESS_COLUMN, &id, &tokens.access_token);
            let refresh_sealed = seal(access::REFRESH_COLUMN, &id, refresh_token);
            sqlx::query(
                "UPDATE crm_connections SET crm_user_id = $1, crm_username = $2, crm_email = $3, instance_url = $4, refresh_token_sealed = $5, access_token_sealed = $6, api_enabled = $7, status = 'active', last_error = NULL, confirmed_at = $8, updated_at = $9 WHERE id = $10",
            )
            .bind(&crm_user_id)
            .bind(&username)
            .bind(&crm_email)
            .bind(&instance_url)
            .bind(&refresh_sealed)
            .bind(&access_sealed)
            .bind(i64::from(api_enabled))
            .bind(confirmed_at)
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { crm_user_taken() } else { e.into() })?;
            id
        }
        None => {
            let id = new_id("crm");
            let access_sealed = seal(access::ACCESS_COLUMN, &id, &tokens.access_token);
            let refresh_sealed = seal(access::REFRESH_COLUMN, &id, refresh_token);
            sqlx::query(
                "INSERT INTO crm_connections (id, account_id, user_id, crm_user_id, crm_username, crm_email, instance_url, refresh_token_sealed, access_token_sealed, api_enabled, status, confirmed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12, $12)",
            )
            .bind(&id)
            .bind(account_id)
            .bind(user_id)
            .bind(&crm_user_id)
            .bind(&username)
            .bind(&crm_email)
            .bind(&instance_url)
            .bind(&refresh_sealed)
            .bind(&access_sealed)
            .bind(i64::from(api_enabled))
            .bind(confirmed_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { crm_user_taken() } else { e.into() })?;
            id
        }
    };
    tx.commit().await?;
    Ok(StoredConnection {
        id: connection_id,
        crm_username: username,
    })
}

fn crm_user_taken() -> ApiError {
    ApiError::conflict(
        "crm_user_taken",
        "That Salesforce user is already connected to (or is) another Salespane user of your account. Each person connects their own Salesforce user; sign in to Salesforce as yourself and try again.",
    )
}

/// The signed-in user's Salesforce connection and, when its user's email differs from
/// theirs, the Salesforce users they may confirm being.
#[utoipa::path(get, path = "/api/v1/me/crm-connection", tag = "crm", security(("sso" = [])),
    responses(
        (status = 200, body = MyCrmConnection),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
    ))]
async fn my_connection(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<MyCrmConnection>> {
    Ok(ApiJson(load_my_connection(&state, &user).await?.0))
}

/// The connection as the user sees it, and the candidate ids they may confirm.
async fn load_my_connection(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(MyCrmConnection, Option<String>), ApiError> {
    let row = sqlx::query(
        "SELECT c.id, c.crm_user_id, c.crm_username, c.crm_email, c.api_enabled, c.status, c.last_error, c.confirmed_at, u.crm_user_id AS user_crm_id, u.email AS user_email, \
         (SELECT COUNT(*) FROM accounts a WHERE a.id = c.account_id AND a.team_sync_connection_id = c.id) AS team_sync \
         FROM crm_connections c JOIN users u ON u.id = c.user_id WHERE c.account_id = $1 AND c.user_id = $2",
    )
    .bind(&user.account_id)
    .bind(&user.user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else {
        return Ok((
            MyCrmConnection {
                connected: false,
                status: "none".into(),
                connection_id: None,
                crm_user_id: None,
                crm_username: None,
                crm_email: None,
                api_enabled: false,
                last_error: None,
                needs_confirmation: false,
                candidates: Vec::new(),
                is_team_sync: false,
            },
            None,
        ));
    };
    let id: String = row.try_get("id")?;
    let crm_user_id: String = row.try_get("crm_user_id")?;
    let crm_username: String = row.try_get("crm_username")?;
    let crm_email: String = row.try_get("crm_email")?;
    let status: String = row.try_get("status")?;
    let confirmed_at: Option<i64> = row.try_get("confirmed_at")?;
    let user_crm: Option<String> = row.try_get("user_crm_id")?;
    let user_email: String = row.try_get("user_email")?;
    let needs_confirmation =
        confirmed_at.is_none() && user_crm.as_deref() != Some(crm_user_id.as_str());
    let mut candidates = Vec::new();
    if needs_confirmation {
        candidates.push(CrmUserCandidate {
            crm_user_id: crm_user_id.clone(),
            username: crm_username.clone(),
            email: crm_email.clone(),
            name: crm_username.clone(),
        });
        // Best effort: Salesforce users matching the sales user's email, and the CRM user
        // they are already linked to; without Salesforce the connected user is offered.
        if let Ok(session) = access::connection_session(state, &user.account_id, &id).await {
            if let Ok(found) = bounded(state, session.find_users_by_email(&user_email)).await {
                for u in found.into_iter().filter(|u| u.is_active) {
                    push_candidate(&mut candidates, u);
                }
            }
            if let Some(linked) = user_crm.as_deref().and_then(|c| SfId::parse(c).ok()) {
                if let Ok(u) = bounded(state, session.get_user(&linked)).await {
                    push_candidate(&mut candidates, u);
                }
            }
        }
    }
    let api_enabled: i64 = row.try_get("api_enabled")?;
    let team_sync: i64 = row.try_get("team_sync")?;
    Ok((
        MyCrmConnection {
            connected: status == "active",
            status,
            connection_id: Some(id),
            crm_user_id: Some(crm_user_id),
            crm_username: Some(crm_username),
            crm_email: Some(crm_email),
            api_enabled: api_enabled != 0,
            last_error: row.try_get("last_error")?,
            needs_confirmation,
            candidates,
            is_team_sync: team_sync > 0,
        },
        user_crm,
    ))
}

fn push_candidate(candidates: &mut Vec<CrmUserCandidate>, user: salespane_crm::CrmUser) {
    if candidates.iter().any(|c| c.crm_user_id == user.id.as_str()) {
        return;
    }
    candidates.push(CrmUserCandidate {
        crm_user_id: user.id.as_str().to_string(),
        username: user.username,
        email: user.email,
        name: user.name,
    });
}

/// Says which Salesforce user the signed-in user is (one of the candidates of
/// `GET /api/v1/me/crm-connection`).
#[utoipa::path(post, path = "/api/v1/me/crm-user", tag = "crm", security(("sso" = [])),
    request_body = ConfirmCrmUser,
    responses(
        (status = 200, body = MyCrmConnection),
        (status = 400, description = "invalid_id, not_a_candidate", body = salespane_api::error::ErrorBody),
        (status = 403, description = "crm_user_not_you", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_not_connected, crm_user_taken", body = salespane_api::error::ErrorBody),
    ))]
async fn confirm_crm_user(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<ConfirmCrmUser>,
) -> ApiResult<ApiJson<MyCrmConnection>> {
    let chosen = SfId::parse(body.crm_user_id.trim()).map_err(|_| {
        ApiError::bad_request(
            "invalid_id",
            "crm_user_id is not a Salesforce user id (15 or 18 characters starting with 005).",
        )
    })?;
    // Signed in with Salesforce itself: they are that Salesforce user and no other.
    if sso_crm_user(&user.identity, None).is_some_and(|me| me != chosen) {
        return Err(not_you());
    }
    let (current, user_crm) = load_my_connection(&state, &user).await?;
    let Some(connection_id) = current.connection_id.clone() else {
        return Err(ApiError::conflict(
            "crm_not_connected",
            "Connect your Salesforce user first (Settings → Salesforce → Connect).",
        ));
    };
    let allowed = current.crm_user_id.as_deref() == Some(chosen.as_str())
        || user_crm.as_deref() == Some(chosen.as_str())
        || current
            .candidates
            .iter()
            .any(|c| c.crm_user_id == chosen.as_str());
    if !allowed {
        return Err(ApiError::bad_request(
            "not_a_candidate",
            "That Salesforce user is not one you can confirm: choose the connected Salesforce user or one with your email address.",
        ));
    }
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "UPDATE users SET crm_user_id = $1, updated_at = $2 WHERE id = $3 AND account_id = $4",
    )
    .bind(chosen.as_str())
    .bind(now)
    .bind(&user.user_id)
    .bind(&user.account_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            crm_user_taken()
        } else {
            e.into()
        }
    })?;
    sqlx::query("UPDATE crm_connections SET confirmed_at = $1, updated_at = $1 WHERE id = $2 AND account_id = $3")
        .bind(now)
        .bind(&connection_id)
        .bind(&user.account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ApiJson(load_my_connection(&state, &user).await?.0))
}

/// Disconnects the signed-in user's Salesforce user: the token is revoked at Salesforce and
/// the connection removed (and team sync unset if it was this connection).
#[utoipa::path(delete, path = "/api/v1/me/crm-connection", tag = "crm", security(("sso" = [])),
    responses(
        (status = 204, description = "Disconnected"),
        (status = 404, description = "not_connected", body = salespane_api::error::ErrorBody),
    ))]
async fn delete_my_connection(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<StatusCode> {
    let row = sqlx::query("SELECT id, refresh_token_sealed FROM crm_connections WHERE account_id = $1 AND user_id = $2")
        .bind(&user.account_id)
        .bind(&user.user_id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("not_connected", "You have no Salesforce connection to remove."))?;
    let id: String = row.try_get("id")?;
    let sealed: String = row.try_get("refresh_token_sealed")?;
    let binding = access::sealed_in(access::REFRESH_COLUMN, &id, &user.account_id);
    if let Ok(refresh) = state.secrets.open_bound(&sealed, &binding) {
        // Removing it here matters more than Salesforce hearing of it: a failed revoke is
        // logged, and the token dies with the connected app's policy.
        let oauth = access::oauth(&state)?;
        if let Err(err) = bounded(&state, oauth.revoke(&refresh)).await {
            tracing::warn!(connection = %id, error = %err, "could not revoke the Salesforce token");
        }
    }
    remove_connection(&state, &user.account_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a connection of the account, unsetting team sync when it was that one.
pub async fn remove_connection(
    state: &AppState,
    account_id: &str,
    connection_id: &str,
) -> Result<(), ApiError> {
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE accounts SET team_sync_connection_id = NULL, updated_at = $1 WHERE id = $2 AND team_sync_connection_id = $3")
        .bind(now_ms())
        .bind(account_id)
        .bind(connection_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM crm_connections WHERE id = $1 AND account_id = $2")
        .bind(connection_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

const CONNECTION_COLUMNS: &str = "c.id, c.user_id, u.email AS user_email, c.crm_user_id, c.crm_username, c.crm_email, c.api_enabled, c.status, c.last_error, c.updated_at";

fn connection_info(row: &AnyRow) -> Result<CrmConnectionInfo, ApiError> {
    let api_enabled: i64 = row.try_get("api_enabled")?;
    Ok(CrmConnectionInfo {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        user_email: row.try_get("user_email")?,
        crm_user_id: row.try_get("crm_user_id")?,
        crm_username: row.try_get("crm_username")?,
        crm_email: row.try_get("crm_email")?,
        api_enabled: api_enabled != 0,
        status: row.try_get("status")?,
        last_error: row.try_get("last_error")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The account's team-sync status and the connections an admin may choose from.
pub async fn load_team_sync_status(
    state: &AppState,
    account_id: &str,
) -> Result<TeamSyncStatus, ApiError> {
    let chosen = access::team_sync_connection_id(state, account_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM crm_connections c JOIN users u ON u.id = c.user_id WHERE c.account_id = $1 ORDER BY u.email"
    ))
    .bind(account_id)
    .fetch_all(&state.db.pool)
    .await?;
    let candidates = rows
        .iter()
        .map(connection_info)
        .collect::<Result<Vec<_>, _>>()?;
    let team_sync = chosen.and_then(|id| candidates.iter().find(|c| c.id == id).cloned());
    let connected = team_sync.as_ref().is_some_and(|c| c.status == "active");
    let hint = match &team_sync {
        _ if connected => None,
        None => Some("Connect Salesforce with your own Salesforce user (Settings → Salesforce → Connect), then choose a connected user with \"API Enabled\" as the team-sync user here.".to_string()),
        Some(c) => Some(format!(
            "The team-sync connection of {} stopped working{}. Its owner must connect Salesforce again, or choose another connected user.",
            c.crm_username,
            c.last_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
        )),
    };
    Ok(TeamSyncStatus {
        team_sync,
        connected,
        candidates,
        hint,
    })
}

/// Which connection is the team-sync connection, whether it works, and the candidates.
#[utoipa::path(get, path = "/api/v1/admin/crm/connection", tag = "admin", security(("sso" = [])),
    responses(
        (status = 200, body = TeamSyncStatus),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
    ))]
async fn team_sync_status(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<TeamSyncStatus>> {
    Ok(ApiJson(
        load_team_sync_status(&state, &admin.account_id).await?,
    ))
}

/// Chooses an already-connected user of the account, with API access, as the team-sync user.
#[utoipa::path(put, path = "/api/v1/admin/crm/connection", tag = "admin", security(("sso" = [])),
    request_body = ChooseTeamSync,
    responses(
        (status = 200, body = TeamSyncStatus),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 404, description = "connection_not_found", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_user_without_api, crm_not_connected", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn choose_team_sync(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<ChooseTeamSync>,
) -> ApiResult<ApiJson<TeamSyncStatus>> {
    let row = sqlx::query("SELECT crm_user_id, crm_username, status FROM crm_connections WHERE id = $1 AND account_id = $2")
        .bind(&body.connection_id)
        .bind(&admin.account_id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("connection_not_found", "No such Salesforce connection in your account. Reload the connection list."))?;
    let crm_user_id: String = row.try_get("crm_user_id")?;
    let username: String = row.try_get("crm_username")?;
    let crm_user = SfId::parse(&crm_user_id).map_err(ApiError::internal)?;
    let session =
        access::connection_session(&state, &admin.account_id, &body.connection_id).await?;
    match bounded(&state, session.get_user(&crm_user)).await {
        Ok(_) => {}
        Err(CrmError::ApiDisabled) => {
            record_failure(&state, &body.connection_id, &CrmError::ApiDisabled).await;
            // The connection still serves its owner's sign-in; only API use is impossible.
            sqlx::query("UPDATE crm_connections SET status = 'active' WHERE id = $1")
                .bind(&body.connection_id)
                .execute(&state.db.pool)
                .await?;
            return Err(without_api(&username));
        }
        Err(err) => {
            record_failure(&state, &body.connection_id, &err).await;
            return Err(map_crm_error(err));
        }
    }
    let now = now_ms();
    sqlx::query("UPDATE crm_connections SET api_enabled = 1, last_error = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&body.connection_id)
        .execute(&state.db.pool)
        .await?;
    sqlx::query("UPDATE accounts SET team_sync_connection_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&body.connection_id)
        .bind(now)
        .bind(&admin.account_id)
        .execute(&state.db.pool)
        .await?;
    Ok(ApiJson(
        load_team_sync_status(&state, &admin.account_id).await?,
    ))
}

fn without_api(username: &str) -> ApiError {
    ApiError::conflict(
        "crm_user_without_api",
        format!("The Salesforce user {username} has no API access, so it cannot sync the team. A Salesforce administrator must turn on \"API Enabled\" in that user's profile (or a permission set), or choose a connected user who has it."),
    )
}

/// Resets the team-sync connector: checks it works again (clearing a past failure when it
/// does) and refreshes every CRM-linked sales user from Salesforce.
#[utoipa::path(post, path = "/api/v1/admin/crm/connection/reset", tag = "admin", security(("sso" = [])),
    responses(
        (status = 200, body = ResetResult),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_not_connected, crm_api_disabled, crm_session_expired", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn reset_connection(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<ResetResult>> {
    let connection_id = access::team_sync_connection_id(&state, &admin.account_id)
        .await?
        .ok_or_else(access::crm_not_connected)?;
    // Give a failed connection another chance: its refresh token may work again.
    sqlx::query("UPDATE crm_connections SET status = 'active', last_error = NULL, updated_at = $1 WHERE id = $2 AND account_id = $3 AND status = 'failed'")
        .bind(now_ms())
        .bind(&connection_id)
        .bind(&admin.account_id)
        .execute(&state.db.pool)
        .await?;
    let refresh =
        crate::provisioning::admin_users::refresh_from_crm(&state, &admin.account_id).await?;
    Ok(ApiJson(ResetResult {
        status: load_team_sync_status(&state, &admin.account_id).await?,
        refresh,
    }))
}

/// Sandbox demo: gives each seeded account whose team sync is not set a team-sync
/// connection of its seeded admin, made through the sandbox's own OAuth endpoints (called
/// in-process on `router`, since the server is not accepting connections yet).
pub async fn connect_sandbox_team_sync(state: &AppState, router: axum::Router) {
    // The sandbox's address carries this run's port: every stored connection is to it.
    let instance_url = format!(
        "{}{}",
        state.settings.public_url,
        crate::crm::sandbox_mode::PREFIX
    );
    // Only connections that are the sandbox's (of its seeded orgs' accounts, to a previous
    // run's `/sfdc`): a database that also holds real orgs keeps their connections as they are.
    let org_ids = [
        salespane_sandbox::seed::acme_org_id().to_string(),
        salespane_sandbox::seed::globex_org_id().to_string(),
    ];
    if let Err(err) = sqlx::query(
        "UPDATE crm_connections SET instance_url = $1 WHERE instance_url <> $1 AND instance_url LIKE $2 \
         AND account_id IN (SELECT id FROM accounts WHERE idp_org_id IN ($3, $4))",
    )
    .bind(&instance_url)
    .bind(format!("%{}", crate::crm::sandbox_mode::PREFIX))
    .bind(&org_ids[0])
    .bind(&org_ids[1])
    .execute(&state.db.pool)
    .await
    {
        tracing::warn!(error = %err, "could not point CRM connections at this run's sandbox");
    }
    for (org_id, username) in [
        (
            salespane_sandbox::seed::acme_org_id(),
            salespane_sandbox::seed::ACME_ADMIN,
        ),
        (
            salespane_sandbox::seed::globex_org_id(),
            salespane_sandbox::seed::GLOBEX_ADMIN,
        ),
    ] {
        if let Err(err) =
            connect_seeded_admin(state, router.clone(), org_id.as_str(), username).await
        {
            tracing::warn!(%username, error = %err, "could not connect the sandbox team-sync user");
        }
    }
}

async fn connect_seeded_admin(
    state: &AppState,
    router: axum::Router,
    org_id: &str,
    username: &str,
) -> Result<(), ApiError> {
    let row = sqlx::query("SELECT a.id, a.team_sync_connection_id, u.id AS user_id FROM accounts a JOIN users u ON u.account_id = a.id AND u.email = $2 WHERE a.idp_org_id = $1")
        .bind(org_id)
        .bind(username)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let chosen: Option<String> = row.try_get("team_sync_connection_id")?;
    if chosen.is_some() {
        return Ok(());
    }
    let account_id: String = row.try_get("id")?;
    let user_id: String = row.try_get("user_id")?;
    let prefix = crate::crm::sandbox_mode::PREFIX;
    let pkce = salespane_crm::pkce_pair();
    let redirect = redirect_uri(state);
    let authorize = access::oauth(state)?.authorize_url(
        &redirect,
        "sandbox-bootstrap",
        &pkce.challenge,
        Some(username),
    );
    let path = authorize
        .strip_prefix(&state.settings.public_url)
        .ok_or_else(|| ApiError::internal("the sandbox login URL is not on this server"))?
        .to_string();
    let reply = call(
        router.clone(),
        axum::http::Request::get(path).body(axum::body::Body::empty()),
    )
    .await?;
    let location = reply
        .headers()
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::internal("the sandbox authorize endpoint did not redirect"))?;
    let code = url::Url::parse(location)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| {
            ApiError::internal(format!("the sandbox refused to authorize: {location}"))
        })?;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("code_verifier", &pkce.verifier)
        .append_pair("redirect_uri", &redirect)
        .append_pair("client_id", &state.settings.salesforce_client_id)
        .finish();
    let reply = call(
        router.clone(),
        axum::http::Request::post(format!("{prefix}/services/oauth2/token"))
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(form)),
    )
    .await?;
    let tokens: TokenSet = json_body(reply).await?;
    let reply = call(
        router,
        axum::http::Request::get(format!("{prefix}/services/oauth2/userinfo"))
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {}", tokens.access_token),
            )
            .body(axum::body::Body::empty()),
    )
    .await?;
    let info: UserInfo = json_body(reply).await?;
    let stored =
        store_connection(state, &account_id, &user_id, &tokens, &info, true, false).await?;
    sqlx::query("UPDATE accounts SET team_sync_connection_id = $1, updated_at = $2 WHERE id = $3 AND team_sync_connection_id IS NULL")
        .bind(&stored.id)
        .bind(now_ms())
        .bind(&account_id)
        .execute(&state.db.pool)
        .await?;
    tracing::info!(%username, "sandbox team-sync connection made");
    Ok(())
}

async fn call(
    router: axum::Router,
    request: Result<axum::http::Request<axum::body::Body>, axum::http::Error>,
) -> Result<Response, ApiError> {
    use tower::ServiceExt;
    let request = request.map_err(ApiError::internal)?;
    router.oneshot(request).await.map_err(ApiError::internal)
}

async fn json_body<T: serde::de::DeserializeOwned>(reply: Response) -> Result<T, ApiError> {
    let status = reply.status();
    let bytes = axum::body::to_bytes(reply.into_body(), 1024 * 1024)
        .await
        .map_err(ApiError::internal)?;
    if !status.is_success() {
        return Err(ApiError::internal(format!(
            "sandbox answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}
