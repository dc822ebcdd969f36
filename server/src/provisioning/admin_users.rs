//! Admin management of sales users: seats, the CRM's user list, import from the CRM (mapping
//! to existing users by email), role and status changes, removal, and refresh of users'
//! details from Salesforce. Every query is scoped by the admin's account.

use axum::extract::State;
use axum::http::StatusCode;
use salespane_api::admin::{
    CrmUserRow, CrmUsersPage, ImportRefusal, ImportRequest, ImportResult, RefreshReport, SalesUser,
    Seats, UserUpdate,
};
use salespane_api::me::{Role, UserStatus};
use salespane_api::sfid::SfId;
use salespane_crm::{CrmError, CrmUser, UserQuery};
use serde::Deserialize;
use sqlx::Row;
use std::collections::HashMap;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::crm::access::{bounded, team_sync_failed, team_sync_session};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::identity::auth::{role_str, AdminUser};
use crate::ids::now_ms;
use crate::provisioning::users::{self, NewUser, Source};

/// Most CRM users one import request may name.
pub const MAX_IMPORT: usize = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_seats))
        .routes(routes!(list_crm_users))
        .routes(routes!(import_users))
        .routes(routes!(list_users))
        .routes(routes!(update_user, delete_user))
        .routes(routes!(refresh_users))
}

/// Seats of the account.
#[utoipa::path(get, path = "/api/v1/admin/seats", tag = "admin", security(("sso" = [])),
    responses(
        (status = 200, body = Seats),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
    ))]
async fn get_seats(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<Seats>> {
    Ok(ApiJson(users::seats(&state.db, &admin.account_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CrmUsersQuery {
    /// Matched against name, username and email.
    search: Option<String>,
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Users per page (default 25, at most 200).
    #[param(minimum = 1, maximum = 200)]
    page_size: Option<i64>,
}

/// The CRM's active standard users, for import, marking those already imported.
#[utoipa::path(get, path = "/api/v1/admin/crm/users", tag = "admin", security(("sso" = [])),
    params(CrmUsersQuery),
    responses(
        (status = 200, body = CrmUsersPage),
        (status = 400, description = "invalid_query, invalid_page", body = salespane_api::error::ErrorBody),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_not_connected, crm_api_disabled, crm_session_expired", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn list_crm_users(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiQuery(query): ApiQuery<CrmUsersQuery>,
) -> ApiResult<ApiJson<CrmUsersPage>> {
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(25);
    if page < 1 || !(1..=i64::from(UserQuery::MAX_LIMIT)).contains(&page_size) {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!(
                "page must be 1 or more and page_size between 1 and {}.",
                UserQuery::MAX_LIMIT
            ),
        ));
    }
    let offset = (page - 1).saturating_mul(page_size);
    if offset > i64::from(UserQuery::MAX_OFFSET) {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!(
                "Salesforce lists at most {} users by paging: narrow the search instead.",
                UserQuery::MAX_OFFSET
            ),
        ));
    }
    let search = query
        .search
        .map(|s| s.trim().chars().take(100).collect::<String>())
        .filter(|s| !s.is_empty());
    let session = team_sync_session(&state, &admin.account_id).await?;
    let query = UserQuery {
        search,
        active_only: true,
        offset: offset as u32,
        limit: page_size as u32,
    };
    let listed = bounded(&state, session.list_users(&query)).await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(err) => return Err(team_sync_failed(&state, &admin.account_id, err).await),
    };
    let imported = imported_map(&state, &admin.account_id).await?;
    let users = listed
        .users
        .into_iter()
        .map(|u| CrmUserRow {
            sales_user_id: imported.get(u.id.as_str()).cloned(),
            crm_user_id: u.id.as_str().to_string(),
            username: u.username,
            email: u.email,
            name: u.name,
            title: u.title,
            api_enabled: u.api_enabled,
        })
        .collect();
    Ok(ApiJson(CrmUsersPage {
        users,
        total: listed.total as i64,
        page,
        page_size,
    }))
}

/// CRM user id → sales user id, for the account.
async fn imported_map(
    state: &AppState,
    account_id: &str,
) -> Result<HashMap<String, String>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, crm_user_id FROM users WHERE account_id = $1 AND crm_user_id IS NOT NULL",
    )
    .bind(account_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut map = HashMap::new();
    for row in rows {
        map.insert(row.try_get("crm_user_id")?, row.try_get("id")?);
    }
    Ok(map)
}

fn refusal(crm_user_id: &str, code: &str, message: impl Into<String>) -> ImportRefusal {
    ImportRefusal {
        crm_user_id: crm_user_id.to_string(),
        code: code.to_string(),
        message: message.into(),
    }
}

/// Imports CRM users as sales users, each taking a seat; a CRM user whose email matches an
/// existing sales user is linked to that user instead. Each id is answered: imported,
/// mapped, or refused with why. Seats are never oversubscribed, even under concurrent imports.
#[utoipa::path(post, path = "/api/v1/admin/users/import", tag = "admin", security(("sso" = [])),
    request_body = ImportRequest,
    responses(
        (status = 200, body = ImportResult),
        (status = 400, description = "invalid_json, too_many", body = salespane_api::error::ErrorBody),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_not_connected (connect Salesforce and choose the team-sync user), crm_api_disabled", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn import_users(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(request): ApiJson<ImportRequest>,
) -> ApiResult<ApiJson<ImportResult>> {
    if request.crm_user_ids.len() > MAX_IMPORT {
        return Err(ApiError::bad_request(
            "too_many",
            format!("Import at most {MAX_IMPORT} users per request."),
        ));
    }
    let account_id = admin.account_id.clone();
    let mut refused = Vec::new();
    let mut wanted: Vec<(String, SfId)> = Vec::new();
    for raw in &request.crm_user_ids {
        match SfId::parse(raw.trim()) {
            Ok(id) if id.key_prefix() == "005" => {
                if !wanted.iter().any(|(_, w)| *w == id) {
                    wanted.push((raw.clone(), id));
                }
            }
            _ => refused.push(refusal(
                raw,
                "invalid_id",
                "This is not a Salesforce user id (15 or 18 characters starting with 005).",
            )),
        }
    }
    // Read every CRM user first: a Salesforce failure then changes nothing.
    let session = team_sync_session(&state, &account_id).await?;
    let mut found: Vec<CrmUser> = Vec::new();
    for (raw, id) in &wanted {
        match bounded(&state, session.get_user(id)).await {
            Ok(user) if user.user_type != "Standard" => refused.push(refusal(raw, "not_found", "This Salesforce user is not a standard (licensed) user and cannot be a sales user.")),
            Ok(user) if !user.is_active => refused.push(refusal(
                raw,
                "inactive_in_crm",
                format!("{} is inactive in Salesforce: activate the user in Salesforce first.", user.username),
            )),
            Ok(user) => found.push(user),
            Err(CrmError::NotFound) => refused.push(refusal(raw, "not_found", "Salesforce has no such user in your org.")),
            Err(err) => return Err(team_sync_failed(&state, &account_id, err).await),
        }
    }
    let mut imported = Vec::new();
    let mut mapped = Vec::new();
    for user in found {
        match import_one(&state, &account_id, &user).await? {
            ImportOutcome::Imported(id) => {
                imported.push(users::sales_user(&state.db, &account_id, &id).await?)
            }
            ImportOutcome::Mapped(id) => {
                mapped.push(users::sales_user(&state.db, &account_id, &id).await?)
            }
            ImportOutcome::Refused(r) => refused.push(r),
        }
    }
    Ok(ApiJson(ImportResult {
        imported,
        mapped,
        refused,
        seats: users::seats(&state.db, &account_id).await?,
    }))
}

enum ImportOutcome {
    Imported(String),
    Mapped(String),
    Refused(ImportRefusal),
}

async fn import_one(
    state: &AppState,
    account_id: &str,
    crm: &CrmUser,
) -> Result<ImportOutcome, ApiError> {
    let crm_id = crm.id.as_str();
    let email = crm.email.trim().to_lowercase();
    let already = || {
        ImportOutcome::Refused(refusal(
            crm_id,
            "already_imported",
            format!(
                "{} is already a Salespane sales user of this account.",
                crm.username
            ),
        ))
    };
    let existing = sqlx::query("SELECT id FROM users WHERE account_id = $1 AND crm_user_id = $2")
        .bind(account_id)
        .bind(crm_id)
        .fetch_optional(&state.db.pool)
        .await?;
    if existing.is_some() {
        return Ok(already());
    }
    // Same email, not yet linked: the same person (e.g. provisioned by SCIM), linked
    // instead of duplicated; no new seat.
    let by_email =
        sqlx::query("SELECT id, crm_user_id FROM users WHERE account_id = $1 AND email = $2")
            .bind(account_id)
            .bind(&email)
            .fetch_optional(&state.db.pool)
            .await?;
    if let Some(row) = by_email {
        let user_id: String = row.try_get("id")?;
        let linked: Option<String> = row.try_get("crm_user_id")?;
        if linked.is_some() {
            return Ok(ImportOutcome::Refused(refusal(
                crm_id,
                "already_imported",
                format!("The sales user with the email {email} is already linked to another Salesforce user."),
            )));
        }
        let changed = sqlx::query("UPDATE users SET crm_user_id = $1, title = COALESCE(title, $2), phone = COALESCE(phone, $3), photo_url = COALESCE(photo_url, $4), updated_at = $5 WHERE id = $6 AND account_id = $7 AND crm_user_id IS NULL")
            .bind(crm_id)
            .bind(&crm.title)
            .bind(&crm.phone)
            .bind(&crm.photo_url)
            .bind(now_ms())
            .bind(&user_id)
            .bind(account_id)
            .execute(&state.db.pool)
            .await;
        return match changed {
            Ok(done) if done.rows_affected() == 1 => Ok(ImportOutcome::Mapped(user_id)),
            Ok(_) => Ok(already()),
            Err(e) if crate::db::is_unique_violation(&e) => Ok(already()),
            Err(e) => Err(e.into()),
        };
    }
    let new = NewUser {
        account_id: account_id.to_string(),
        email,
        name: crm.name.clone(),
        title: crm.title.clone(),
        phone: crm.phone.clone(),
        photo_url: crm.photo_url.clone(),
        role: Role::SalesUser,
        crm_user_id: Some(crm_id.to_string()),
        source: Source::CrmImport,
        scim_external_id: None,
        scim_user_name: None,
    };
    match users::create_with_seat(&state.db, new).await {
        Ok(id) => Ok(ImportOutcome::Imported(id)),
        Err(err) if err.code == "no_seat" => Ok(ImportOutcome::Refused(refusal(
            crm_id,
            "no_seat",
            err.message,
        ))),
        // Imported or created by a concurrent request a moment ago.
        Err(err) if err.code == "crm_user_taken" || err.code == "email_taken" => Ok(already()),
        Err(err) => Err(err),
    }
}

/// Every sales user of the account.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("sso" = [])),
    responses(
        (status = 200, body = [SalesUser]),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
    ))]
async fn list_users(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<Vec<SalesUser>>> {
    Ok(ApiJson(
        users::list_sales_users(&state.db, &admin.account_id).await?,
    ))
}

/// Changes a user's role and/or status. Deactivating frees their seat; reactivating takes one.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Sales user id")),
    request_body = UserUpdate,
    responses(
        (status = 200, body = SalesUser),
        (status = 400, description = "empty_update", body = salespane_api::error::ErrorBody),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 404, description = "user_not_found", body = salespane_api::error::ErrorBody),
        (status = 409, description = "no_seat, last_admin", body = salespane_api::error::ErrorBody),
    ))]
async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(update): ApiJson<UserUpdate>,
) -> ApiResult<ApiJson<SalesUser>> {
    if update.role.is_none() && update.status.is_none() {
        return Err(ApiError::bad_request(
            "empty_update",
            "Send role and/or status to change.",
        ));
    }
    let account_id = &admin.account_id;
    let current = users::sales_user(&state.db, account_id, &user_id).await?;
    let loses_admin = current.role == Role::Admin
        && current.status == UserStatus::Active
        && (update.role == Some(Role::SalesUser) || update.status == Some(UserStatus::Deactivated));
    if loses_admin {
        ensure_other_admin(&state, account_id, &user_id).await?;
    }
    if let Some(status) = update.status {
        users::set_status(&state.db, account_id, &user_id, status).await?;
    }
    if let Some(role) = update.role {
        sqlx::query(
            "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND account_id = $4",
        )
        .bind(role_str(role))
        .bind(now_ms())
        .bind(&user_id)
        .bind(account_id)
        .execute(&state.db.pool)
        .await?;
    }
    Ok(ApiJson(
        users::sales_user(&state.db, account_id, &user_id).await?,
    ))
}

async fn ensure_other_admin(
    state: &AppState,
    account_id: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE account_id = $1 AND role = 'admin' AND status = 'active' AND id <> $2")
        .bind(account_id)
        .bind(user_id)
        .fetch_one(&state.db.pool)
        .await?;
    let others: i64 = row.try_get("n")?;
    if others == 0 {
        return Err(ApiError::conflict(
            "last_admin",
            "This is the account's only active administrator: make another user an administrator first.",
        ));
    }
    Ok(())
}

/// Removes a sales user who owns nothing yet, freeing their seat. Refused (409
/// `user_has_activity`) once the user has a Salesforce connection or has signed links
/// (holds a link-signing key): deactivate such users instead, so their activity stays theirs.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Sales user id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 404, description = "user_not_found", body = salespane_api::error::ErrorBody),
        (status = 409, description = "user_has_activity, cannot_delete_self, last_admin", body = salespane_api::error::ErrorBody),
    ))]
async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let account_id = &admin.account_id;
    let target = users::sales_user(&state.db, account_id, &user_id).await?;
    if user_id == admin.user_id {
        return Err(ApiError::conflict(
            "cannot_delete_self",
            "You cannot remove yourself. Ask another administrator.",
        ));
    }
    if target.role == Role::Admin && target.status == UserStatus::Active {
        ensure_other_admin(&state, account_id, &user_id).await?;
    }
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM crm_connections WHERE user_id = $1 AND account_id = $2) AS connections, \
         (SELECT COUNT(*) FROM signing_keys WHERE user_id = $1 AND account_id = $2) AS key_count",
    )
    .bind(&user_id)
    .bind(account_id)
    .fetch_one(&state.db.pool)
    .await?;
    let connections: i64 = row.try_get("connections")?;
    let keys: i64 = row.try_get("key_count")?;
    if connections > 0 || keys > 0 {
        return Err(has_activity());
    }
    let mut tx = state.db.pool.begin().await?;
    // A write first (SQLite takes its lock now); it also tells whether a seat is held.
    let held = sqlx::query("UPDATE users SET holds_seat = 0, status = 'deactivated', updated_at = $1 WHERE id = $2 AND account_id = $3 AND holds_seat = 1")
        .bind(now_ms())
        .bind(&user_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if held == 1 {
        users::free_seat(&mut tx, account_id).await?;
    }
    for sql in [
        "DELETE FROM team_members WHERE user_id = $1 AND account_id = $2",
        "DELETE FROM oauth_states WHERE user_id = $1 AND account_id = $2",
        "DELETE FROM profiles WHERE user_id = $1 AND account_id = $2",
        "DELETE FROM users WHERE id = $1 AND account_id = $2",
    ] {
        sqlx::query(sql)
            .bind(&user_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => has_activity(),
                _ => e.into(),
            })?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn has_activity() -> ApiError {
    ApiError::conflict(
        "user_has_activity",
        "This user has a Salesforce connection or has signed tracked links, so removing them would orphan their activity. Deactivate them instead (this frees their seat).",
    )
}

/// Updates name, email, title, phone, photo and active-in-CRM of every CRM-linked user
/// from Salesforce; users inactive (or gone) in Salesforce are deactivated, freeing seats.
#[utoipa::path(post, path = "/api/v1/admin/users/refresh", tag = "admin", security(("sso" = [])),
    responses(
        (status = 200, body = RefreshReport),
        (status = 403, description = "not_admin", body = salespane_api::error::ErrorBody),
        (status = 409, description = "crm_not_connected, crm_api_disabled, crm_session_expired", body = salespane_api::error::ErrorBody),
        (status = 502, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
        (status = 504, description = "crm_unavailable", body = salespane_api::error::ErrorBody),
    ))]
async fn refresh_users(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<RefreshReport>> {
    Ok(ApiJson(refresh_from_crm(&state, &admin.account_id).await?))
}

/// Refreshes the account's CRM-linked users from Salesforce through team sync.
pub async fn refresh_from_crm(
    state: &AppState,
    account_id: &str,
) -> Result<RefreshReport, ApiError> {
    let session = team_sync_session(state, account_id).await?;
    let rows = sqlx::query(
        "SELECT id, email, name, title, phone, photo_url, crm_user_id, status, crm_active FROM users WHERE account_id = $1 AND crm_user_id IS NOT NULL ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut report = RefreshReport {
        checked: 0,
        updated: 0,
        deactivated: 0,
        missing: 0,
        seats: Seats {
            limit: 0,
            used: 0,
            left: 0,
        },
    };
    for row in rows {
        let user_id: String = row.try_get("id")?;
        let crm_user_id: String = row.try_get("crm_user_id")?;
        let status: String = row.try_get("status")?;
        let Ok(crm_id) = SfId::parse(&crm_user_id) else {
            continue;
        };
        report.checked += 1;
        let crm = match bounded(state, session.get_user(&crm_id)).await {
            Ok(crm) => Some(crm),
            Err(CrmError::NotFound) => None,
            Err(err) => return Err(team_sync_failed(state, account_id, err).await),
        };
        let now = now_ms();
        let active_in_crm = match &crm {
            None => {
                report.missing += 1;
                false
            }
            Some(crm) => {
                let email = crm.email.trim().to_lowercase();
                let differs = row.try_get::<String, _>("email")? != email
                    || row.try_get::<String, _>("name")? != crm.name
                    || row.try_get::<Option<String>, _>("title")? != crm.title
                    || row.try_get::<Option<String>, _>("phone")? != crm.phone
                    || row.try_get::<Option<String>, _>("photo_url")? != crm.photo_url
                    || row.try_get::<i64, _>("crm_active")? != i64::from(crm.is_active);
                if differs {
                    let updated = sqlx::query("UPDATE users SET email = $1, name = $2, title = $3, phone = $4, photo_url = $5, crm_active = $6, crm_refreshed_at = $7, updated_at = $7 WHERE id = $8 AND account_id = $9")
                        .bind(&email)
                        .bind(&crm.name)
                        .bind(&crm.title)
                        .bind(&crm.phone)
                        .bind(&crm.photo_url)
                        .bind(i64::from(crm.is_active))
                        .bind(now)
                        .bind(&user_id)
                        .bind(account_id)
                        .execute(&state.db.pool)
                        .await;
                    match updated {
                        Ok(_) => {}
                        // Another user of the account has that email: keep ours, update the rest.
                        Err(e) if crate::db::is_unique_violation(&e) => {
                            sqlx::query("UPDATE users SET name = $1, title = $2, phone = $3, photo_url = $4, crm_active = $5, crm_refreshed_at = $6, updated_at = $6 WHERE id = $7 AND account_id = $8")
                                .bind(&crm.name)
                                .bind(&crm.title)
                                .bind(&crm.phone)
                                .bind(&crm.photo_url)
                                .bind(i64::from(crm.is_active))
                                .bind(now)
                                .bind(&user_id)
                                .bind(account_id)
                                .execute(&state.db.pool)
                                .await?;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    report.updated += 1;
                } else {
                    sqlx::query(
                        "UPDATE users SET crm_refreshed_at = $1 WHERE id = $2 AND account_id = $3",
                    )
                    .bind(now)
                    .bind(&user_id)
                    .bind(account_id)
                    .execute(&state.db.pool)
                    .await?;
                }
                crm.is_active
            }
        };
        if !active_in_crm {
            sqlx::query("UPDATE users SET crm_active = 0 WHERE id = $1 AND account_id = $2")
                .bind(&user_id)
                .bind(account_id)
                .execute(&state.db.pool)
                .await?;
            if status == "active" {
                users::set_status(&state.db, account_id, &user_id, UserStatus::Deactivated).await?;
                report.deactivated += 1;
            }
        }
    }
    report.seats = users::seats(&state.db, account_id).await?;
    Ok(report)
}
