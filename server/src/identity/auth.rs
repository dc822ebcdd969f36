//! Who is calling: the bearer token is verified with the identity provider (identity.rs),
//! then the (organization, user) pair is mapped to a Salespane account and sales user.
//! Handlers take `CurrentUser` (any signed-in sales user) or `AdminUser`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use salespane_api::me::Role;
use sqlx::Row;

use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::verifier::{Identity, IdentityError};

/// Header naming the identity provider (issuer URL) that issued the bearer token, for
/// accounts that sign in with an OpenID Connect provider other than the server's default.
pub const IDP_HEADER: &str = "x-salespane-idp";

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account_id: String,
    pub user_id: String,
    pub role: Role,
    pub email: String,
    pub crm_user_id: Option<String>,
    pub identity: Identity,
}

/// A signed-in user who is an admin of their account.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> ApiError {
        match err {
            IdentityError::Rejected => ApiError::unauthorized("invalid_token", err.to_string()),
            IdentityError::UntrustedIssuer(_) => {
                ApiError::unauthorized("untrusted_issuer", err.to_string())
            }
            IdentityError::WrongClient { .. } => {
                ApiError::unauthorized("token_wrong_client", err.to_string())
            }
            IdentityError::TooManyAttempts { retry_after } => ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_token_checks",
                err.to_string(),
            )
            .with_retry_after(retry_after.as_secs().max(1)),
            IdentityError::Unreachable { .. } => {
                ApiError::unavailable("identity_provider_unreachable", err.to_string())
            }
            IdentityError::Malformed { .. } => {
                ApiError::bad_gateway("identity_provider_error", err.to_string())
            }
        }
    }
}

pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::unauthorized(
            "missing_token",
            "Sign in first: this request needs an Authorization: Bearer <token> header.",
        )
    };
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 4096)
        .ok_or_else(missing)?;
    Ok(token)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        let issuer = parts
            .headers
            .get(IDP_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The client address (behind --trusted-proxy, from X-Forwarded-For): token checks
        // that reach the identity provider are limited per address.
        let address =
            crate::client_addr::of_request(parts, &state.settings.tracking.trusted_proxies);
        let identity = state
            .identity
            .verify(issuer.as_deref(), token, Some(address))
            .await?;
        let user = resolve_user(state, identity).await?;
        crate::tracking::sender_seen::note(state, &user.account_id, &user.user_id, parts).await;
        Ok(user)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ApiError::forbidden(
                "not_admin",
                "Only Salespane administrators of your account can do this. Ask one of them, or ask to be made an administrator.",
            ));
        }
        Ok(AdminUser(user))
    }
}

/// Maps a verified identity to the account and sales user it belongs to, linking the
/// identity provider's user id at first sign-in.
pub async fn resolve_user(state: &AppState, identity: Identity) -> Result<CurrentUser, ApiError> {
    let account = sqlx::query("SELECT id FROM accounts WHERE idp_issuer = $1 AND idp_org_id = $2")
        .bind(&identity.issuer)
        .bind(&identity.org_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(account) = account else {
        return Err(ApiError::forbidden(
            "account_not_connected",
            format!(
                "Your organization ({}) is not connected to Salespane. Ask your Salesforce administrator to set up a Salespane account for it, then sign in again.",
                identity.org_id
            ),
        ));
    };
    let account_id: String = account.try_get("id")?;

    // The identity provider's user id once linked; else the Salesforce user imported for
    // this person (Salesforce sign-in: the user id is the CRM user id); else the email.
    const COLUMNS: &str = "id, role, status, holds_seat, email, crm_user_id, idp_subject";
    let mut row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND idp_subject = $2"
    ))
    .bind(&account_id)
    .bind(&identity.subject)
    .fetch_optional(&state.db.pool)
    .await?;
    if row.is_none() {
        if let Ok(sf_id) = salespane_api::sfid::SfId::parse(&identity.subject) {
            row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND crm_user_id = $2 AND idp_subject IS NULL"
            ))
            .bind(&account_id)
            .bind(sf_id.as_str())
            .fetch_optional(&state.db.pool)
            .await?;
        }
    }
    // By email only when the provider vouches for it: else anyone who can set an unverified
    // email at the provider would become that sales user.
    if row.is_none() && identity.email_verified {
        row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND email = $2 AND idp_subject IS NULL"
        ))
        .bind(&account_id)
        .bind(&identity.email)
        .fetch_optional(&state.db.pool)
        .await?;
    }
    if row.is_none() {
        // A concurrent first sign-in of the same person may have linked the subject between
        // our lookups (the fallbacks above require it unlinked): look once more.
        row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND idp_subject = $2"
        ))
        .bind(&account_id)
        .bind(&identity.subject)
        .fetch_optional(&state.db.pool)
        .await?;
    }
    let Some(row) = row else {
        return Err(ApiError::forbidden(
            "not_imported",
            "You have not been added to Salespane as a sales user. Ask your Salespane administrator to import you from Salesforce (Admin → Sales users → Import).",
        ));
    };
    let user_id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let holds_seat: i64 = row.try_get("holds_seat")?;
    if status != "active" {
        return Err(ApiError::forbidden(
            "user_deactivated",
            "Your Salespane access has been deactivated. Ask your Salespane administrator to reactivate you.",
        ));
    }
    if holds_seat == 0 {
        return Err(ApiError::forbidden(
            "no_seat",
            "Your account has no free sales-user seat for you. Ask your Salespane administrator to free a seat or add seats to the agreement.",
        ));
    }
    let linked: Option<String> = row.try_get("idp_subject")?;
    if linked.is_none() {
        // First sign-in: remember who this is. The condition keeps a concurrent first
        // sign-in from overwriting a link made a moment earlier.
        sqlx::query("UPDATE users SET idp_subject = $1, updated_at = $2 WHERE id = $3 AND idp_subject IS NULL")
            .bind(&identity.subject)
            .bind(crate::ids::now_ms())
            .bind(&user_id)
            .execute(&state.db.pool)
            .await
            .map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    ApiError::conflict(
                        "identity_in_use",
                        "This sign-in is already linked to another Salespane user of your account. Ask your administrator to check the sales users list.",
                    )
                } else {
                    e.into()
                }
            })?;
    }
    let role: String = row.try_get("role")?;
    Ok(CurrentUser {
        account_id,
        user_id,
        role: parse_role(&role),
        email: row.try_get("email")?,
        crm_user_id: row.try_get("crm_user_id")?,
        identity,
    })
}

pub fn parse_role(text: &str) -> Role {
    match text {
        "admin" => Role::Admin,
        _ => Role::SalesUser,
    }
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::SalesUser => "sales_user",
    }
}
