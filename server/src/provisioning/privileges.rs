//! Privileges (`/api/v1/admin/privileges`): which panel components the account's sales
//! users do not see. Admins always see everything.

use axum::extract::State;
use salespane_api::me::PanelComponent;
use salespane_api::settings::PrivilegeSettings;
use sqlx::Row;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::identity::auth::AdminUser;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_privileges, put_privileges))
}

/// Panel components hidden from the account's sales users.
#[utoipa::path(get, path = "/api/v1/admin/privileges", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = PrivilegeSettings),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn get_privileges(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<PrivilegeSettings>> {
    Ok(ApiJson(PrivilegeSettings {
        hidden_components: hidden_components(&state.db, &admin.account_id).await?,
    }))
}

/// Replaces the set of hidden components.
#[utoipa::path(put, path = "/api/v1/admin/privileges", tag = "admin", security(("sso" = [])),
    request_body = PrivilegeSettings,
    responses((status = 200, body = PrivilegeSettings),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody),
        (status = 422, description = "Unknown component", body = salespane_api::error::ErrorBody)))]
async fn put_privileges(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<PrivilegeSettings>,
) -> ApiResult<ApiJson<PrivilegeSettings>> {
    let mut wanted = body.hidden_components;
    wanted.sort();
    wanted.dedup();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("DELETE FROM hidden_components WHERE account_id = $1")
        .bind(&admin.account_id)
        .execute(&mut *tx)
        .await?;
    for component in &wanted {
        sqlx::query("INSERT INTO hidden_components (account_id, component) VALUES ($1, $2)")
            .bind(&admin.account_id)
            .bind(component_str(*component))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(ApiJson(PrivilegeSettings {
        hidden_components: wanted,
    }))
}

/// The components hidden from the account's sales users, in a stable order.
pub async fn hidden_components(db: &Db, account_id: &str) -> Result<Vec<PanelComponent>, ApiError> {
    let rows = sqlx::query("SELECT component FROM hidden_components WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("component")?;
        // A component a newer version stored and this one does not know is skipped.
        if let Some(component) = parse_component(&text) {
            out.push(component);
        }
    }
    out.sort();
    Ok(out)
}

pub fn component_str(component: PanelComponent) -> String {
    serde_json::to_value(component)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn parse_component(text: &str) -> Option<PanelComponent> {
    PanelComponent::ALL
        .into_iter()
        .find(|c| component_str(*c) == text)
}
