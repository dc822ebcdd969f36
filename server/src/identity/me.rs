//! `GET /api/v1/me`: everything the extension needs at sign-in, and the rotation of the
//! user's link-signing key.

use axum::extract::State;
use salespane_api::me::{
    AccountSummary, CrmOwner, Me, PanelComponent, Privileges, Role, SigningKey, UserSummary,
};
use salespane_api::profile::{Onboarding, Profile};
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::{parse_role, CurrentUser};
use crate::ids::now_ms;
use crate::provisioning::users::parse_status;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(rotate_signing_key))
}

/// The signed-in user: account, rights, settings, onboarding, link-signing key, CRM owner.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("sso" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, description = "No or invalid token", body = salespane_api::error::ErrorBody),
        (status = 403, description = "account_not_connected, not_imported, no_seat or user_deactivated", body = salespane_api::error::ErrorBody),
    ))]
async fn get_me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<ApiJson<Me>> {
    let signing_key =
        crate::tracking::signing_keys::current(&state, &user.account_id, &user.user_id).await?;
    Ok(ApiJson(load_me(&state, &user, signing_key).await?))
}

/// Retires the current link-signing key (links already sent keep verifying) and returns a
/// new one.
#[utoipa::path(post, path = "/api/v1/me/signing-key/rotate", tag = "me", security(("sso" = [])),
    responses(
        (status = 200, body = SigningKey),
        (status = 401, body = salespane_api::error::ErrorBody),
        (status = 403, body = salespane_api::error::ErrorBody),
        (status = 409, description = "rotation_in_progress", body = salespane_api::error::ErrorBody),
    ))]
async fn rotate_signing_key(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<SigningKey>> {
    Ok(ApiJson(
        crate::tracking::signing_keys::rotate(&state, &user.account_id, &user.user_id).await?,
    ))
}

async fn load_me(
    state: &AppState,
    user: &CurrentUser,
    signing_key: SigningKey,
) -> Result<Me, ApiError> {
    let account =
        sqlx::query("SELECT id, name, seat_limit, seats_used FROM accounts WHERE id = $1")
            .bind(&user.account_id)
            .fetch_one(&state.db.pool)
            .await?;
    let row = sqlx::query(
        "SELECT id, email, name, title, phone, photo_url, role, status, crm_user_id FROM users WHERE id = $1 AND account_id = $2",
    )
    .bind(&user.user_id)
    .bind(&user.account_id)
    .fetch_one(&state.db.pool)
    .await?;
    let role = parse_role(&row.try_get::<String, _>("role")?);
    let summary = UserSummary {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        title: row.try_get("title")?,
        phone: row.try_get("phone")?,
        photo_url: row.try_get("photo_url")?,
        role,
        status: parse_status(&row.try_get::<String, _>("status")?),
        crm_user_id: row.try_get("crm_user_id")?,
    };

    let hidden_rows = sqlx::query(
        "SELECT component FROM hidden_components WHERE account_id = $1 ORDER BY component",
    )
    .bind(&user.account_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut hidden_components: Vec<PanelComponent> = hidden_rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>("component").ok())
        .filter_map(|c| serde_json::from_value(serde_json::Value::String(c)).ok())
        .collect();
    hidden_components.sort();
    let privileges = Privileges {
        hidden_components,
        can_manage_users: role == Role::Admin,
    };

    let (profile, onboarding) = profile_and_onboarding(state, user).await?;

    let owner = crate::crm::access::owner_mapping(state, &user.account_id, &user.user_id).await?;
    let crm_connected = team_sync_working(state, &user.account_id).await?;
    Ok(Me {
        account: AccountSummary {
            id: account.try_get("id")?,
            name: account.try_get("name")?,
            seat_limit: account.try_get("seat_limit")?,
            seats_used: account.try_get("seats_used")?,
            crm_connected,
        },
        user: summary,
        privileges,
        profile,
        onboarding,
        signing_key,
        crm_owner: owner.map(|o| CrmOwner {
            crm_user_id: o.crm_user_id,
            via: o.via,
        }),
        tracking_base_url: state.settings.public_url.clone(),
    })
}

/// The stored profile and onboarding; marks the user activated at their first sign-in.
async fn profile_and_onboarding(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(Profile, Onboarding), ApiError> {
    let row = sqlx::query(
        "SELECT profile_json, onboarding_json FROM profiles WHERE user_id = $1 AND account_id = $2",
    )
    .bind(&user.user_id)
    .bind(&user.account_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let (profile, mut onboarding) = match row {
        Some(row) => {
            let profile: String = row.try_get("profile_json")?;
            let onboarding: String = row.try_get("onboarding_json")?;
            (
                serde_json::from_str::<Profile>(&profile).unwrap_or_default(),
                serde_json::from_str::<Onboarding>(&onboarding).unwrap_or_default(),
            )
        }
        None => (Profile::default(), Onboarding::default()),
    };
    if onboarding.activated_at.is_none() {
        onboarding.activated_at = Some(now_ms());
        let json = serde_json::to_string(&onboarding).map_err(ApiError::internal)?;
        // Only the first sign-in's time is kept, even when two arrive together.
        sqlx::query(
            "UPDATE profiles SET onboarding_json = $1, updated_at = $2 WHERE user_id = $3 AND account_id = $4 AND onboarding_json LIKE '%\"activated_at\":null%'",
        )
        .bind(json)
        .bind(now_ms())
        .bind(&user.user_id)
        .bind(&user.account_id)
        .execute(&state.db.pool)
        .await?;
    }
    Ok((profile, onboarding))
}

/// True when a team-sync connection is chosen and active.
pub async fn team_sync_working(state: &AppState, account_id: &str) -> Result<bool, ApiError> {
    let row = sqlx::query(
        "SELECT c.status FROM accounts a JOIN crm_connections c ON c.id = a.team_sync_connection_id AND c.account_id = a.id WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(row) => row.try_get::<String, _>("status")? == "active",
        None => false,
    })
}
