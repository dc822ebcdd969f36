//! `/scim/v2/Users`: create, read, list with filter and paging, replace, patch and
//! (soft) delete the account's users.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use salespane_api::me::{Role, UserStatus};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::filter::{self, Filter};
use super::patch::{apply_patch, apply_resource, Changes};
use super::{
    scim_response, ScimAccount, ScimBody, ScimError, ScimResult, LIST_SCHEMA, USER_SCHEMA,
};
use crate::app::AppState;
use crate::db::is_unique_violation;
use crate::extract::ApiPath;
use crate::ids::now_ms;
use crate::provisioning::users::{NewUser, Source};

const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
}

/// A User resource as Salespane returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    pub schemas: Vec<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub user_name: String,
    pub name: ScimName,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub active: bool,
    pub emails: Vec<ScimMultiValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<ScimMultiValue>,
    pub meta: ScimMeta,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimName {
    pub formatted: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimMultiValue {
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    pub resource_type: String,
    pub created: String,
    pub last_modified: String,
    pub location: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimUserList {
    pub schemas: Vec<String>,
    #[serde(rename = "totalResults")]
    pub total_results: i64,
    #[serde(rename = "startIndex")]
    pub start_index: i64,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: i64,
    #[serde(rename = "Resources")]
    pub resources: Vec<ScimUser>,
}

/// What POST and PUT take (documentation; bodies are read leniently: unknown attributes and
/// the enterprise extension are accepted and ignored, booleans may be "True"/"False").
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimUserRequest {
    pub schemas: Option<Vec<String>>,
    /// Required; an email address unless `emails` gives one.
    pub user_name: String,
    pub external_id: Option<String>,
    pub name: Option<ScimName>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    /// Default true; an active user takes a seat.
    pub active: Option<bool>,
    /// The primary (else work, else first) value is the user's email.
    pub emails: Option<Vec<ScimMultiValue>>,
    pub phone_numbers: Option<Vec<ScimMultiValue>>,
}

/// A PatchOp request (documentation of the body PATCH takes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimPatchRequest {
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<ScimPatchOperation>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimPatchOperation {
    /// add, replace or remove (any case).
    pub op: String,
    /// Attribute path; absent for a value object of attributes (Okta).
    pub path: Option<String>,
    pub value: Option<serde_json::Value>,
}

const USER_COLUMNS: &str = "id, email, name, given_name, family_name, title, phone, status, scim_external_id, scim_user_name, created_at, updated_at";
/// Users SCIM can see: the account's, not deleted over SCIM.
const VISIBLE: &str = "account_id = $1 AND scim_deleted_at IS NULL";

/// Lists users, optionally filtered (`userName eq "…"` case-insensitively, `externalId eq
/// "…"`, `emails.value eq "…"`, `id eq "…"`), paged by `startIndex` (1-based) and `count`
/// (at most 200).
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", security(("scim" = [])),
    params(
        ("filter" = Option<String>, Query, description = "userName eq \"…\" | externalId eq \"…\" | emails.value eq \"…\" | id eq \"…\""),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "Results per page (default 100, at most 200)"),
    ),
    responses(
        (status = 200, body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn list_users(
    State(state): State<AppState>,
    account: ScimAccount,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let mut filter_text = None;
    let mut start_index = 1i64;
    let mut count = DEFAULT_COUNT;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.to_ascii_lowercase().as_str() {
            "filter" => filter_text = Some(value.into_owned()),
            "startindex" => start_index = parse_number("startIndex", &value)?.max(1),
            "count" => count = parse_number("count", &value)?.clamp(0, MAX_COUNT),
            _ => {}
        }
    }
    let (condition, bind) = match filter_text.as_deref().map(filter::parse).transpose()? {
        None => (String::new(), None),
        Some(Filter::UserName(v)) => (
            " AND LOWER(COALESCE(scim_user_name, email)) = $2".to_string(),
            Some(v.to_lowercase()),
        ),
        Some(Filter::ExternalId(v)) => (" AND scim_external_id = $2".to_string(), Some(v)),
        Some(Filter::Email(v)) => (" AND email = $2".to_string(), Some(v.to_lowercase())),
        Some(Filter::Id(v)) => (" AND id = $2".to_string(), Some(v)),
    };
    let count_sql = format!("SELECT COUNT(*) AS n FROM users WHERE {VISIBLE}{condition}");
    let mut total_query = sqlx::query(&count_sql).bind(&account.account_id);
    if let Some(value) = &bind {
        total_query = total_query.bind(value);
    }
    let total: i64 = total_query.fetch_one(&state.db.pool).await?.try_get("n")?;
    let next = if bind.is_some() { 3 } else { 2 };
    let page_sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {VISIBLE}{condition} ORDER BY created_at, id LIMIT ${next} OFFSET ${}",
        next + 1
    );
    let mut page_query = sqlx::query(&page_sql).bind(&account.account_id);
    if let Some(value) = &bind {
        page_query = page_query.bind(value);
    }
    let rows = page_query
        .bind(count)
        .bind(start_index - 1)
        .fetch_all(&state.db.pool)
        .await?;
    let resources = rows
        .iter()
        .map(|row| to_resource(&state, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(scim_response(
        StatusCode::OK,
        &ScimUserList {
            schemas: vec![LIST_SCHEMA.to_string()],
            total_results: total,
            start_index,
            items_per_page: resources.len() as i64,
            resources,
        },
    ))
}

fn parse_number(name: &str, value: &str) -> ScimResult<i64> {
    value.trim().parse::<i64>().map_err(|_| {
        ScimError::bad(
            "invalidValue",
            format!(
                "{name} must be a whole number, not {}.",
                crate::provisioning::profile::clip(value)
            ),
        )
    })
}

/// Creates a user (409 `uniqueness` when the userName or email is taken). An active user
/// takes a seat; without a free seat the answer is 403 saying so.
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", security(("scim" = [])),
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    responses(
        (status = 201, body = ScimUser, content_type = "application/scim+json"),
        (status = 400, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`", body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn create_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::default();
    apply_resource(&mut changes, &body)?;
    let user_name = changes
        .user_name
        .clone()
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required."))?;
    let email = resolve_email(&changes, &user_name)?;
    let active = changes.active.unwrap_or(true);

    // The same person deleted over SCIM before comes back as the same user.
    if let Some(user_id) = deleted_match(&state, &account.account_id, &user_name, &email).await? {
        check_unique(
            &state,
            &account.account_id,
            &user_name,
            &email,
            Some(&user_id),
        )
        .await?;
        if active {
            crate::provisioning::users::set_status(
                &state.db,
                &account.account_id,
                &user_id,
                UserStatus::Active,
            )
            .await?;
        }
        sqlx::query("UPDATE users SET scim_deleted_at = NULL WHERE id = $1 AND account_id = $2")
            .bind(&user_id)
            .bind(&account.account_id)
            .execute(&state.db.pool)
            .await?;
        let mut replace = Changes::replacing();
        apply_resource(&mut replace, &body)?;
        write_attributes(
            &state,
            &account.account_id,
            &user_id,
            &replace,
            &user_name,
            &email,
        )
        .await?;
        return Ok(scim_response(
            StatusCode::CREATED,
            &load(&state, &account.account_id, &user_id).await?,
        ));
    }

    check_unique(&state, &account.account_id, &user_name, &email, None).await?;
    let new = NewUser {
        account_id: account.account_id.clone(),
        email: email.clone(),
        name: display_name(&changes, &user_name),
        title: changes.title.clone().flatten(),
        phone: changes.phone.clone().flatten(),
        photo_url: None,
        role: Role::SalesUser,
        crm_user_id: None,
        source: Source::Scim,
        scim_external_id: changes.external_id.clone().flatten(),
        scim_user_name: Some(user_name.clone()),
    };
    let user_id = if active {
        crate::provisioning::users::create_with_seat(&state.db, new).await?
    } else {
        // Provisioned but not unlocked: no seat is taken.
        let mut tx = state.db.pool.begin().await?;
        let id = crate::provisioning::users::insert_user(&mut tx, &new, false).await?;
        tx.commit().await?;
        id
    };
    sqlx::query(
        "UPDATE users SET given_name = $1, family_name = $2 WHERE id = $3 AND account_id = $4",
    )
    .bind(changes.given_name.clone().flatten())
    .bind(changes.family_name.clone().flatten())
    .bind(&user_id)
    .bind(&account.account_id)
    .execute(&state.db.pool)
    .await?;
    Ok(scim_response(
        StatusCode::CREATED,
        &load(&state, &account.account_id, &user_id).await?,
    ))
}

/// One user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn get_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ApiPath(user_id): ApiPath<String>,
) -> ScimResult<Response> {
    Ok(scim_response(
        StatusCode::OK,
        &load(&state, &account.account_id, &user_id).await?,
    ))
}

/// Replaces a user's attributes (absent optional ones are cleared). `active` moves the seat.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`", body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn replace_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ApiPath(user_id): ApiPath<String>,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::replacing();
    apply_resource(&mut changes, &body)?;
    update(&state, &account.account_id, &user_id, changes).await
}

/// Changes a user with PatchOp operations (add / replace / remove, any case; path-less value
/// objects; string booleans). `active: false` deactivates the user and frees the seat.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body(content = ScimPatchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidPath`, `invalidValue`, `invalidSyntax`, `noTarget`, `mutability`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn patch_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ApiPath(user_id): ApiPath<String>,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::default();
    apply_patch(&mut changes, &body)?;
    update(&state, &account.account_id, &user_id, changes).await
}

/// Never deletes: the user (and the activity they own) stays in Salespane, deactivated with
/// the seat freed, and is gone for SCIM from then on (404), as RFC 7644 §3.6 allows.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated and removed from SCIM"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn delete_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ApiPath(user_id): ApiPath<String>,
) -> ScimResult<StatusCode> {
    load(&state, &account.account_id, &user_id).await?;
    crate::provisioning::users::set_status(
        &state.db,
        &account.account_id,
        &user_id,
        UserStatus::Deactivated,
    )
    .await?;
    sqlx::query(
        "UPDATE users SET scim_deleted_at = $1, updated_at = $1 WHERE id = $2 AND account_id = $3",
    )
    .bind(now_ms())
    .bind(&user_id)
    .bind(&account.account_id)
    .execute(&state.db.pool)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn update(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    changes: Changes,
) -> ScimResult<Response> {
    let current = load_row(state, account_id, user_id).await?;
    let current_user_name: String = current
        .try_get::<Option<String>, _>("scim_user_name")?
        .unwrap_or(current.try_get("email")?);
    let user_name = changes.user_name.clone().unwrap_or(current_user_name);
    let email = match &changes.email {
        Some(_) => resolve_email(&changes, &user_name)?,
        None => current.try_get("email")?,
    };
    check_unique(state, account_id, &user_name, &email, Some(user_id)).await?;
    // Seat first: activation is what can be refused.
    if let Some(active) = changes.active {
        let status = if active {
            UserStatus::Active
        } else {
            UserStatus::Deactivated
        };
        crate::provisioning::users::set_status(&state.db, account_id, user_id, status).await?;
    }
    let mut merged = changes;
    // Keep what the request does not touch.
    if merged.given_name.is_none() {
        merged.given_name = Some(current.try_get("given_name")?);
    }
    if merged.family_name.is_none() {
        merged.family_name = Some(current.try_get("family_name")?);
    }
    if merged.title.is_none() {
        merged.title = Some(current.try_get("title")?);
    }
    if merged.phone.is_none() {
        merged.phone = Some(current.try_get("phone")?);
    }
    if merged.external_id.is_none() {
        merged.external_id = Some(current.try_get("scim_external_id")?);
    }
    let current_name: String = current.try_get("name")?;
    if merged.display_name.is_none() {
        let names_changed = merged.given_name != Some(current.try_get("given_name")?)
            || merged.family_name != Some(current.try_get("family_name")?);
        if !names_changed {
            merged.display_name = Some(current_name);
        }
    }
    write_attributes(state, account_id, user_id, &merged, &user_name, &email).await?;
    Ok(scim_response(
        StatusCode::OK,
        &load(state, account_id, user_id).await?,
    ))
}

async fn write_attributes(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    changes: &Changes,
    user_name: &str,
    email: &str,
) -> ScimResult<()> {
    let name = display_name(changes, user_name);
    sqlx::query(
        "UPDATE users SET email = $1, name = $2, given_name = $3, family_name = $4, title = $5, phone = $6, scim_external_id = $7, scim_user_name = $8, updated_at = $9 \
         WHERE id = $10 AND account_id = $11",
    )
    .bind(email.to_lowercase())
    .bind(name)
    .bind(changes.given_name.clone().flatten())
    .bind(changes.family_name.clone().flatten())
    .bind(changes.title.clone().flatten())
    .bind(changes.phone.clone().flatten())
    .bind(changes.external_id.clone().flatten())
    .bind(user_name)
    .bind(now_ms())
    .bind(user_id)
    .bind(account_id)
    .execute(&state.db.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ScimError::uniqueness(format!("Another user of this account already has the email {email}."))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// displayName, else "given family", else the user name's local part.
fn display_name(changes: &Changes, user_name: &str) -> String {
    if let Some(name) = &changes.display_name {
        return name.clone();
    }
    let parts: Vec<String> = [&changes.given_name, &changes.family_name]
        .into_iter()
        .filter_map(|p| p.clone().flatten())
        .collect();
    if !parts.is_empty() {
        return parts.join(" ");
    }
    user_name.split('@').next().unwrap_or(user_name).to_string()
}

/// The email from `emails`, else the userName when it is an address.
fn resolve_email(changes: &Changes, user_name: &str) -> ScimResult<String> {
    let email = changes
        .email
        .clone()
        .unwrap_or_else(|| user_name.to_string())
        .trim()
        .to_lowercase();
    if !crate::provisioning::profile::is_email(&email) {
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "Salespane needs the user's work email: send emails [{{\"value\":\"…\",\"type\":\"work\",\"primary\":true}}] or a userName that is an email address (got {}).",
                crate::provisioning::profile::clip(&email)
            ),
        ));
    }
    Ok(email)
}

async fn check_unique(
    state: &AppState,
    account_id: &str,
    user_name: &str,
    email: &str,
    except: Option<&str>,
) -> ScimResult<()> {
    let taken = sqlx::query(
        "SELECT id FROM users WHERE account_id = $1 AND id <> $2 AND (LOWER(COALESCE(scim_user_name, email)) = $3 OR email = $4)",
    )
    .bind(account_id)
    .bind(except.unwrap_or(""))
    .bind(user_name.to_lowercase())
    .bind(email.to_lowercase())
    .fetch_optional(&state.db.pool)
    .await?;
    if taken.is_some() {
        return Err(ScimError::uniqueness(format!(
            "A user with the userName {} or email {email} already exists in this account; look it up with filter=userName eq \"{}\" and update it instead.",
            crate::provisioning::profile::clip(user_name),
            crate::provisioning::profile::clip(user_name)
        )));
    }
    Ok(())
}

async fn deleted_match(
    state: &AppState,
    account_id: &str,
    user_name: &str,
    email: &str,
) -> ScimResult<Option<String>> {
    let row = sqlx::query(
        "SELECT id FROM users WHERE account_id = $1 AND scim_deleted_at IS NOT NULL AND (LOWER(COALESCE(scim_user_name, email)) = $2 OR email = $3) ORDER BY scim_deleted_at DESC",
    )
    .bind(account_id)
    .bind(user_name.to_lowercase())
    .bind(email.to_lowercase())
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("id")?),
        None => None,
    })
}

async fn load_row(state: &AppState, account_id: &str, user_id: &str) -> ScimResult<AnyRow> {
    sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {VISIBLE} AND id = $2"
    ))
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| ScimError::not_found(user_id))
}

async fn load(state: &AppState, account_id: &str, user_id: &str) -> ScimResult<ScimUser> {
    to_resource(state, &load_row(state, account_id, user_id).await?)
}

fn to_resource(state: &AppState, row: &AnyRow) -> ScimResult<ScimUser> {
    let id: String = row.try_get("id")?;
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("name")?;
    let given: Option<String> = row.try_get("given_name")?;
    let family: Option<String> = row.try_get("family_name")?;
    let status: String = row.try_get("status")?;
    let phone: Option<String> = row.try_get("phone")?;
    let user_name: Option<String> = row.try_get("scim_user_name")?;
    let created: i64 = row.try_get("created_at")?;
    let updated: i64 = row.try_get("updated_at")?;
    // Users who came from the CRM have one name; split it for IdPs that need both parts.
    let (given, family) = match (given, family) {
        (None, None) => match name.rsplit_once(' ') {
            Some((g, f)) => (Some(g.to_string()), Some(f.to_string())),
            None => (None, Some(name.clone()).filter(|n| !n.is_empty())),
        },
        pair => pair,
    };
    Ok(ScimUser {
        schemas: vec![USER_SCHEMA.to_string()],
        external_id: row.try_get("scim_external_id")?,
        user_name: user_name.unwrap_or_else(|| email.clone()),
        name: ScimName {
            formatted: name.clone(),
            given_name: given,
            family_name: family,
        },
        display_name: name,
        title: row.try_get("title")?,
        active: status == "active",
        emails: vec![ScimMultiValue {
            value: email,
            kind: "work".to_string(),
            primary: true,
        }],
        phone_numbers: phone
            .map(|value| ScimMultiValue {
                value,
                kind: "work".to_string(),
                primary: true,
            })
            .into_iter()
            .collect(),
        meta: ScimMeta {
            resource_type: "User".to_string(),
            created: super::rfc3339(created),
            last_modified: super::rfc3339(updated),
            location: format!("{}/scim/v2/Users/{id}", state.settings.public_url),
        },
        id,
    })
}
