//! Onboarding (`/api/v1/me/onboarding`), the Sales Insight Actions steps: activate with
//! Salesforce, authorize, choose the email client, give the mailbox, save or skip the
//! signature, finish, then see or skip the tour. The state is kept per user so the extension
//! resumes where the user left.

use axum::extract::State;
use salespane_api::profile::{Onboarding, OnboardingUpdate};
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::CurrentUser;
use crate::ids::now_ms;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_onboarding, put_onboarding))
}

/// Where the signed-in user is in onboarding.
#[utoipa::path(get, path = "/api/v1/me/onboarding", tag = "me", security(("sso" = [])),
    responses((status = 200, body = Onboarding), (status = 401, body = salespane_api::error::ErrorBody)))]
async fn get_onboarding(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<Onboarding>> {
    Ok(ApiJson(
        load(&state.db, &user.account_id, &user.user_id).await?,
    ))
}

/// Records the steps given (absent ones are kept). `finished: true` is accepted only once
/// every required step is passed (409 `onboarding_incomplete` lists the missing ones); the
/// mailbox must be the user's Salesforce or sign-in address (409 `mailbox_mismatch`).
#[utoipa::path(put, path = "/api/v1/me/onboarding", tag = "me", security(("sso" = [])),
    request_body = OnboardingUpdate,
    responses((status = 200, body = Onboarding),
        (status = 400, description = "The mailbox is not an email address", body = salespane_api::error::ErrorBody),
        (status = 409, description = "`mailbox_mismatch` or `onboarding_incomplete`", body = salespane_api::error::ErrorBody),
        (status = 401, body = salespane_api::error::ErrorBody)))]
async fn put_onboarding(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(update): ApiJson<OnboardingUpdate>,
) -> ApiResult<ApiJson<Onboarding>> {
    let mut onboarding = load(&state.db, &user.account_id, &user.user_id).await?;
    let now = now_ms();
    // Calling this means they signed in; /me normally records it first.
    onboarding.activated_at.get_or_insert(now);
    if let Some(choice) = update.authorized {
        onboarding.authorized = Some(choice);
    }
    if let Some(client) = update.email_client {
        onboarding.email_client = Some(client);
    }
    if let Some(mailbox) = update.mailbox {
        onboarding.mailbox = Some(check_mailbox(&state, &user, &mailbox).await?);
    }
    if let Some(choice) = update.signature {
        onboarding.signature = Some(choice);
    }
    if let Some(choice) = update.tour {
        onboarding.tour = Some(choice);
    }
    match update.finished {
        Some(true) if onboarding.finished_at.is_none() => {
            let missing = missing_steps(&onboarding);
            if !missing.is_empty() {
                return Err(ApiError::conflict(
                    "onboarding_incomplete",
                    format!(
                        "Onboarding cannot be finished yet; still to do: {}.",
                        missing.join(", ")
                    ),
                ));
            }
            onboarding.finished_at = Some(now);
        }
        // Starting over (e.g. after switching mail client) reopens the steps.
        Some(false) => onboarding.finished_at = None,
        _ => {}
    }
    save(&state.db, &user.account_id, &user.user_id, &onboarding).await?;
    Ok(ApiJson(onboarding))
}

/// The required steps not yet passed, by their field names.
pub fn missing_steps(onboarding: &Onboarding) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if onboarding.activated_at.is_none() {
        missing.push("activated");
    }
    if onboarding.authorized.is_none() {
        missing.push("authorized");
    }
    if onboarding.email_client.is_none() {
        missing.push("email_client");
    }
    if onboarding.mailbox.is_none() {
        missing.push("mailbox");
    }
    if onboarding.signature.is_none() {
        missing.push("signature");
    }
    missing
}

/// The mailbox must be an address Salesforce knows for this user: the identity's email or
/// username, the sign-in email stored for them, or the email of their own Salesforce
/// connection. Otherwise their mail would be logged under someone else's CRM user.
async fn check_mailbox(state: &AppState, user: &CurrentUser, mailbox: &str) -> ApiResult<String> {
    let mailbox = mailbox.trim().to_lowercase();
    if !crate::provisioning::profile::is_email(&mailbox) {
        return Err(ApiError::bad_request(
            "invalid_mailbox",
            format!(
                "mailbox: \"{}\" is not an email address. Enter the address you send mail from.",
                crate::provisioning::profile::clip(&mailbox)
            ),
        ));
    }
    let mut known: Vec<String> = vec![
        user.email.to_lowercase(),
        user.identity.email.to_lowercase(),
    ];
    if let Some(username) = &user.identity.username {
        known.push(username.to_lowercase());
    }
    let connection = sqlx::query(
        "SELECT crm_email FROM crm_connections WHERE account_id = $1 AND user_id = $2 AND status = 'active'",
    )
    .bind(&user.account_id)
    .bind(&user.user_id)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some(row) = connection {
        let email: String = row.try_get("crm_email")?;
        known.push(email.to_lowercase());
    }
    if known.contains(&mailbox) {
        return Ok(mailbox);
    }
    Err(ApiError::conflict(
        "mailbox_mismatch",
        format!(
            "The mailbox {mailbox} is not the email of your Salesforce user ({}). Use your Salesforce email address, or connect Salesforce in the Authorize step and confirm which Salesforce user you are, then try again.",
            user.identity.email
        ),
    ))
}

/// The user's onboarding state (empty when none is stored yet).
pub async fn load(db: &Db, account_id: &str, user_id: &str) -> Result<Onboarding, ApiError> {
    let row =
        sqlx::query("SELECT onboarding_json FROM profiles WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(&db.pool)
            .await?;
    let Some(row) = row else {
        return Ok(Onboarding::default());
    };
    let text: String = row.try_get("onboarding_json")?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

pub async fn save(
    db: &Db,
    account_id: &str,
    user_id: &str,
    onboarding: &Onboarding,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(onboarding).map_err(ApiError::internal)?;
    let now = now_ms();
    let updated = sqlx::query("UPDATE profiles SET onboarding_json = $1, updated_at = $2 WHERE user_id = $3 AND account_id = $4")
        .bind(&json)
        .bind(now)
        .bind(user_id)
        .bind(account_id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    if updated == 0 {
        let profile = serde_json::to_string(&salespane_api::profile::Profile::default())
            .map_err(ApiError::internal)?;
        sqlx::query("INSERT INTO profiles (user_id, account_id, profile_json, onboarding_json, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(account_id)
            .bind(&profile)
            .bind(&json)
            .bind(now)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}
