//! `/scim/v2/Users`: create, read, list with filter and paging, replace, patch and
//! (soft) delete the account's users.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use salespane_api::me::{Role, UserStatus};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::filter::{self, Filter};
use super::patch::{apply_patch, apply_resource, Changes, MultiChange, MultiValue};
use super::{
    scim_response, ScimAccount, ScimBody, ScimError, ScimResult, LIST_SCHEMA, USER_SCHEMA,
};
use crate::app::AppState;
use crate::db::is_unique_violation;
use crate::error::ApiError;
use crate::ids::now_ms;
use crate::provisioning::users::{NewUser, Source};

const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(search_users))
        .routes(routes!(search_all))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
}

/// A User resource as Salespane returns it (unassigned attributes are left out).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    pub schemas: Vec<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Always, unless left out by `attributes` / `excludedAttributes`.
    #[schema(required = false)]
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<ScimName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Always, unless left out by `attributes` / `excludedAttributes`.
    #[schema(required = false)]
    pub emails: Vec<ScimMultiValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<ScimMultiValue>,
    /// Always, unless left out by `attributes` / `excludedAttributes`.
    #[schema(required = false)]
    pub meta: ScimMeta,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimName {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScimMultiValue {
    pub value: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
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

const USER_COLUMNS: &str = "id, email, name, given_name, family_name, title, phone, status, role, scim_external_id, scim_user_name, scim_display_name, scim_name_formatted, scim_email_type, scim_email_primary, scim_phone_type, scim_phone_primary, scim_active_unassigned, created_at, updated_at";
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
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return (id and schemas always come)"),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out"),
    ),
    responses(
        (status = 200, body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `invalidValue`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn list_users(
    State(state): State<AppState>,
    account: ScimAccount,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let mut search = Search {
        projection: Projection::from_query(query.as_deref()),
        ..Search::default()
    };
    for (key, value) in url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match key.to_ascii_lowercase().as_str() {
            "filter" => search.filter = Some(value.into_owned()),
            "startindex" => search.start_index = Some(parse_number("startIndex", &value)?),
            "count" => search.count = Some(parse_number("count", &value)?),
            _ => {}
        }
    }
    list(&state, &account, search).await
}

/// Searches users with a SearchRequest body (RFC 7644 §3.4.3): `filter`, `startIndex`,
/// `count`, `attributes`, `excludedAttributes`, as GET /scim/v2/Users takes them. At the
/// root (`/scim/v2/.search`) it searches every resource type, which here is User.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim", security(("scim" = [])),
    request_body(content = ScimSearchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `invalidValue`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn search_all(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    list(&state, &account, Search::from_body(&body)?).await
}

/// Searches users with a SearchRequest body, as `POST /scim/v2/.search` does.
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "scim", security(("scim" = [])),
    request_body(content = ScimSearchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUserList, content_type = "application/scim+json"),
        (status = 400, description = "`invalidFilter`, `invalidValue`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn search_users(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    list(&state, &account, Search::from_body(&body)?).await
}

/// A SearchRequest (documentation of the body `.search` takes).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimSearchRequest {
    pub schemas: Option<Vec<String>>,
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<Vec<String>>,
    pub excluded_attributes: Option<Vec<String>>,
}

/// What a list or search asks for.
#[derive(Debug, Default)]
struct Search {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    projection: Projection,
}

impl Search {
    fn from_body(body: &Value) -> ScimResult<Search> {
        let field = |name: &str| {
            body.as_object().and_then(|object| {
                object
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value)
            })
        };
        let number = |name: &str| -> ScimResult<Option<i64>> {
            match field(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                    ScimError::bad("invalidValue", format!("{name} must be a whole number."))
                }),
                Some(Value::String(text)) => parse_number(name, text).map(Some),
                Some(_) => Err(ScimError::bad(
                    "invalidValue",
                    format!("{name} must be a whole number."),
                )),
            }
        };
        let names = |name: &str| -> ScimResult<Vec<String>> {
            match field(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str().map(str::to_string).ok_or_else(|| {
                            ScimError::bad(
                                "invalidValue",
                                format!("{name} must be a list of attribute names."),
                            )
                        })
                    })
                    .collect(),
                Some(Value::String(text)) => Ok(text.split(',').map(str::to_string).collect()),
                Some(_) => Err(ScimError::bad(
                    "invalidValue",
                    format!("{name} must be a list of attribute names."),
                )),
            }
        };
        let filter = match field("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                return Err(ScimError::bad(
                    "invalidFilter",
                    "filter must be a string such as userName eq \"…\".",
                ))
            }
        };
        Ok(Search {
            filter,
            start_index: number("startIndex")?,
            count: number("count")?,
            projection: Projection::from_names(
                &names("attributes")?,
                &names("excludedAttributes")?,
            ),
        })
    }
}

async fn list(state: &AppState, account: &ScimAccount, search: Search) -> ScimResult<Response> {
    let start_index = search.start_index.unwrap_or(1).max(1);
    let count = search.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_COUNT);
    let (condition, bind) = match search.filter.as_deref().map(filter::parse).transpose()? {
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
        .bind(start_index.saturating_sub(1))
        .fetch_all(&state.db.pool)
        .await?;
    let mut resources = Vec::with_capacity(rows.len());
    for row in &rows {
        resources.push(search.projection.apply(&to_resource(state, row)?)?);
    }
    Ok(scim_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
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
/// takes a seat; without a free seat the answer is 403 saying so. The answer carries the
/// new user's URL in `Location`.
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim", security(("scim" = [])),
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    params(
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out"),
    ),
    responses(
        (status = 201, body = ScimUser, content_type = "application/scim+json",
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 400, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 413, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 415, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn create_user(
    State(state): State<AppState>,
    account: ScimAccount,
    RawQuery(query): RawQuery,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::default();
    apply_resource(&mut changes, &body)?;
    let user_name = changes
        .user_name
        .clone()
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required."))?;
    // Nothing to start from: the userName stands in for a missing email, active by default.
    let blank = View {
        user_name: user_name.clone(),
        email: MultiValue {
            value: user_name.clone(),
            ..MultiValue::default()
        },
        active: Some(true),
        ..View::default()
    };
    let view = blank.merge(changes)?;
    let email = checked_email(&view)?;
    let active = view.active == Some(true);

    // The same person deleted over SCIM before comes back as the same user.
    let user_id = if let Some(user_id) =
        deleted_match(&state, &account.account_id, &view.user_name, &email).await?
    {
        check_unique(
            &state,
            &account.account_id,
            &view.user_name,
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
        user_id
    } else {
        check_unique(&state, &account.account_id, &view.user_name, &email, None).await?;
        let new = NewUser {
            account_id: account.account_id.clone(),
            email: email.clone(),
            name: view.app_name(),
            title: view.title.clone(),
            phone: view.phone.as_ref().map(|p| p.value.clone()),
            photo_url: None,
            role: Role::SalesUser,
            crm_user_id: None,
            source: Source::Scim,
            scim_external_id: view.external_id.clone(),
            scim_user_name: Some(view.user_name.clone()),
        };
        if active {
            crate::provisioning::users::create_with_seat(&state.db, new).await?
        } else {
            // Provisioned but not unlocked: no seat is taken.
            let mut tx = state.db.pool.begin().await?;
            let id = crate::provisioning::users::insert_user(&mut tx, &new, false).await?;
            tx.commit().await?;
            id
        }
    };
    write_view(&state, &account.account_id, &user_id, &view, &email).await?;
    let user = load(&state, &account.account_id, &user_id).await?;
    let mut response = scim_response(
        StatusCode::CREATED,
        &Projection::from_query(query.as_deref()).apply(&user)?,
    );
    if let Ok(location) = HeaderValue::from_str(&user.meta.location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id"),
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out"),
    ),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn get_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimPath(user_id): ScimPath,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let user = load(&state, &account.account_id, &user_id).await?;
    Ok(scim_response(
        StatusCode::OK,
        &Projection::from_query(query.as_deref()).apply(&user)?,
    ))
}

/// Replaces a user's attributes (absent optional ones are unassigned). `active` moves the
/// seat. An administrator's email cannot change over SCIM, and the account's last active
/// administrator cannot be deactivated.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id"),
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out"),
    ),
    request_body(content = ScimUserRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidValue`, `invalidSyntax`, `mutability`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 413, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 415, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn replace_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimPath(user_id): ScimPath,
    RawQuery(query): RawQuery,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::replacing();
    apply_resource(&mut changes, &body)?;
    update(
        &state,
        &account.account_id,
        &user_id,
        changes,
        query.as_deref(),
    )
    .await
}

/// Changes a user with PatchOp operations (add / replace / remove, any case; path-less value
/// objects; string booleans). `active: false` deactivates the user and frees the seat;
/// `remove` unassigns an optional attribute (removing `active` deactivates the user).
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id"),
        ("attributes" = Option<String>, Query, description = "Comma-separated attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Comma-separated attributes to leave out"),
    ),
    request_body(content = ScimPatchRequest, content_type = "application/scim+json"),
    responses(
        (status = 200, body = ScimUser, content_type = "application/scim+json"),
        (status = 400, description = "`invalidPath`, `invalidValue`, `invalidSyntax`, `noTarget`, `mutability`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 403, description = "No free seat", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "`uniqueness`", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 413, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 415, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn patch_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimPath(user_id): ScimPath,
    RawQuery(query): RawQuery,
    ScimBody(body): ScimBody,
) -> ScimResult<Response> {
    let mut changes = Changes::default();
    apply_patch(&mut changes, &body)?;
    update(
        &state,
        &account.account_id,
        &user_id,
        changes,
        query.as_deref(),
    )
    .await
}

/// Never deletes: the user (and the activity they own) stays in Salespane, deactivated with
/// the seat freed, and is gone for SCIM from then on (404), as RFC 7644 §3.6 allows. The
/// account's last active administrator cannot be deleted.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated and removed from SCIM"),
        (status = 400, description = "`mutability`: the last active administrator", body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn delete_user(
    State(state): State<AppState>,
    account: ScimAccount,
    ScimPath(user_id): ScimPath,
) -> ScimResult<StatusCode> {
    let row = load_row(&state, &account.account_id, &user_id).await?;
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    if role == "admin" && status == "active" {
        keep_an_admin(&state, &account.account_id, &user_id).await?;
    }
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

/// The user id of a `/Users/{id}` path; a bad path segment answers in SCIM form.
pub struct ScimPath(pub String);

impl axum::extract::FromRequestParts<AppState> for ScimPath {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ScimError> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| {
                    ScimError::bad("invalidValue", "The user id in the URL is not valid.")
                })?;
        Ok(ScimPath(id))
    }
}

/// Refuses to leave the account without an active administrator.
async fn keep_an_admin(state: &AppState, account_id: &str, user_id: &str) -> ScimResult<()> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE account_id = $1 AND role = 'admin' AND status = 'active' AND id <> $2")
        .bind(account_id)
        .bind(user_id)
        .fetch_one(&state.db.pool)
        .await?;
    let others: i64 = row.try_get("n")?;
    if others == 0 {
        return Err(ScimError::bad(
            "mutability",
            "This is the account's only active administrator: make another user an administrator in Salespane first, then deactivate this one.",
        ));
    }
    Ok(())
}

async fn update(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    changes: Changes,
    query: Option<&str>,
) -> ScimResult<Response> {
    let current = load_row(state, account_id, user_id).await?;
    let role: String = current.try_get("role")?;
    let status: String = current.try_get("status")?;
    let current_email: String = current.try_get("email")?;
    let view = View::from_row(&current)?.merge(changes)?;
    let email = checked_email(&view)?;
    if role == "admin" && email != current_email {
        return Err(ScimError::bad(
            "mutability",
            "An administrator's email cannot be changed over SCIM (it is how they sign in to Salespane). Change it in Salespane, or make them a sales user first.",
        ));
    }
    check_unique(state, account_id, &view.user_name, &email, Some(user_id)).await?;
    let was_active = status == "active";
    let active = view.active == Some(true);
    // Seat first: activation is what can be refused.
    if was_active != active {
        if !active && role == "admin" {
            keep_an_admin(state, account_id, user_id).await?;
        }
        let status = if active {
            UserStatus::Active
        } else {
            UserStatus::Deactivated
        };
        crate::provisioning::users::set_status(&state.db, account_id, user_id, status).await?;
    }
    write_view(state, account_id, user_id, &view, &email).await?;
    let user = load(state, account_id, user_id).await?;
    Ok(scim_response(
        StatusCode::OK,
        &Projection::from_query(query).apply(&user)?,
    ))
}

/// A user's SCIM attributes: what GET returns, what PATCH and PUT change.
#[derive(Debug, Clone, Default)]
struct View {
    user_name: String,
    email: MultiValue,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    formatted: Option<String>,
    display_name: Option<String>,
    title: Option<String>,
    phone: Option<MultiValue>,
    /// None: unassigned (removed), which leaves the user deactivated.
    active: Option<bool>,
}

impl View {
    fn from_row(row: &AnyRow) -> ScimResult<View> {
        let email: String = row.try_get("email")?;
        let name: String = row.try_get("name")?;
        let given: Option<String> = row.try_get("given_name")?;
        let family: Option<String> = row.try_get("family_name")?;
        let status: String = row.try_get("status")?;
        let phone: Option<String> = row.try_get("phone")?;
        let user_name: Option<String> = row.try_get("scim_user_name")?;
        let primary = |column: &str| -> ScimResult<Option<bool>> {
            Ok(row.try_get::<Option<i64>, _>(column)?.map(|flag| flag != 0))
        };
        let active = if row.try_get::<i64, _>("scim_active_unassigned")? != 0 {
            None
        } else {
            Some(status == "active")
        };
        let Some(user_name) = user_name else {
            // Never written by SCIM (imported from the CRM, created by an admin): shown
            // from Salespane's own fields; CRM users have one name, split for IdPs.
            let (given, family) = match (given, family) {
                (None, None) => match name.rsplit_once(' ') {
                    Some((g, f)) => (Some(g.to_string()), Some(f.to_string())),
                    None => (None, Some(name.clone()).filter(|n| !n.is_empty())),
                },
                pair => pair,
            };
            let shown = Some(name).filter(|n| !n.is_empty());
            return Ok(View {
                user_name: email.clone(),
                email: MultiValue {
                    value: email,
                    kind: Some("work".to_string()),
                    primary: Some(true),
                },
                external_id: row.try_get("scim_external_id")?,
                given_name: given,
                family_name: family,
                formatted: shown.clone(),
                display_name: shown,
                title: row.try_get("title")?,
                phone: phone.map(|value| MultiValue {
                    value,
                    kind: Some("work".to_string()),
                    primary: Some(true),
                }),
                active,
            });
        };
        Ok(View {
            user_name,
            email: MultiValue {
                value: email,
                kind: row.try_get("scim_email_type")?,
                primary: primary("scim_email_primary")?,
            },
            external_id: row.try_get("scim_external_id")?,
            given_name: given,
            family_name: family,
            formatted: row.try_get("scim_name_formatted")?,
            display_name: row.try_get("scim_display_name")?,
            title: row.try_get("title")?,
            phone: match phone {
                Some(value) => Some(MultiValue {
                    value,
                    kind: row.try_get("scim_phone_type")?,
                    primary: primary("scim_phone_primary")?,
                }),
                None => None,
            },
            active,
        })
    }

    fn merge(mut self, changes: Changes) -> ScimResult<View> {
        if let Some(user_name) = changes.user_name {
            self.user_name = user_name;
        }
        let set = |target: &mut Option<String>, change: Option<Option<String>>| {
            if let Some(value) = change {
                *target = value;
            }
        };
        set(&mut self.external_id, changes.external_id);
        set(&mut self.given_name, changes.given_name);
        set(&mut self.family_name, changes.family_name);
        set(&mut self.formatted, changes.formatted);
        set(&mut self.display_name, changes.display_name);
        set(&mut self.title, changes.title);
        match changes.email {
            Some(MultiChange::Whole(Some(email))) => self.email = email,
            Some(MultiChange::Value(Some(value))) => self.email.value = value,
            Some(MultiChange::Whole(None) | MultiChange::Value(None)) => {
                return Err(ScimError::bad(
                    "mutability",
                    "emails is required and cannot be removed.",
                ))
            }
            None => {}
        }
        match changes.phone {
            Some(MultiChange::Whole(phone)) => self.phone = phone,
            Some(MultiChange::Value(Some(value))) => match &mut self.phone {
                Some(phone) => phone.value = value,
                None => {
                    self.phone = Some(MultiValue {
                        value,
                        ..MultiValue::default()
                    })
                }
            },
            Some(MultiChange::Value(None)) => self.phone = None,
            None => {}
        }
        if let Some(active) = changes.active {
            self.active = active;
        }
        Ok(self)
    }

    /// The name Salespane shows: displayName, else name.formatted, else "given family",
    /// else the user name's local part.
    fn app_name(&self) -> String {
        if let Some(name) = self.display_name.as_ref().or(self.formatted.as_ref()) {
            return name.clone();
        }
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.user_name
            .split('@')
            .next()
            .unwrap_or(&self.user_name)
            .to_string()
    }
}

/// The user's work email: `emails`, else the userName when it is an address.
fn checked_email(view: &View) -> ScimResult<String> {
    let email = view.email.value.trim().to_lowercase();
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

async fn write_view(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    view: &View,
    email: &str,
) -> ScimResult<()> {
    let flag = |primary: Option<bool>| primary.map(i64::from);
    sqlx::query(
        "UPDATE users SET email = $1, name = $2, given_name = $3, family_name = $4, title = $5, phone = $6, scim_external_id = $7, scim_user_name = $8, \
         scim_display_name = $9, scim_name_formatted = $10, scim_email_type = $11, scim_email_primary = $12, scim_phone_type = $13, scim_phone_primary = $14, \
         scim_active_unassigned = $15, updated_at = $16 \
         WHERE id = $17 AND account_id = $18",
    )
    .bind(email)
    .bind(view.app_name())
    .bind(view.given_name.clone())
    .bind(view.family_name.clone())
    .bind(view.title.clone())
    .bind(view.phone.as_ref().map(|p| p.value.clone()))
    .bind(view.external_id.clone())
    .bind(&view.user_name)
    .bind(view.display_name.clone())
    .bind(view.formatted.clone())
    .bind(view.email.kind.clone())
    .bind(flag(view.email.primary))
    .bind(view.phone.as_ref().and_then(|p| p.kind.clone()))
    .bind(view.phone.as_ref().and_then(|p| flag(p.primary)))
    .bind(i64::from(view.active.is_none()))
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
    let created: i64 = row.try_get("created_at")?;
    let updated: i64 = row.try_get("updated_at")?;
    let view = View::from_row(row)?;
    let multi = |value: MultiValue| ScimMultiValue {
        value: value.value,
        kind: value.kind,
        primary: value.primary,
    };
    let name =
        if view.formatted.is_some() || view.given_name.is_some() || view.family_name.is_some() {
            Some(ScimName {
                formatted: view.formatted,
                given_name: view.given_name,
                family_name: view.family_name,
            })
        } else {
            None
        };
    Ok(ScimUser {
        schemas: vec![USER_SCHEMA.to_string()],
        external_id: view.external_id,
        user_name: view.user_name,
        name,
        display_name: view.display_name,
        title: view.title,
        active: view.active,
        emails: vec![multi(view.email)],
        phone_numbers: view.phone.map(multi).into_iter().collect(),
        meta: ScimMeta {
            resource_type: "User".to_string(),
            created: super::rfc3339(created),
            last_modified: super::rfc3339(updated),
            location: format!("{}/scim/v2/Users/{id}", state.settings.public_url),
        },
        id,
    })
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9): which attributes an answer carries.
/// `id` and `schemas` always come (returned "always"); names are case-insensitive and may
/// carry the core schema URN or name a sub-attribute (`name.givenName`).
#[derive(Debug, Default)]
struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Projection {
    fn from_query(query: Option<&str>) -> Projection {
        let mut attributes = Vec::new();
        let mut excluded = Vec::new();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let names = value.split(',').map(str::to_string);
            match key.to_ascii_lowercase().as_str() {
                "attributes" => attributes.extend(names),
                "excludedattributes" => excluded.extend(names),
                _ => {}
            }
        }
        Projection::from_names(&attributes, &excluded)
    }

    fn from_names(attributes: &[String], excluded: &[String]) -> Projection {
        let normalise = |names: &[String]| -> Vec<String> {
            let prefix = format!("{}:", USER_SCHEMA.to_ascii_lowercase());
            names
                .iter()
                .map(|name| {
                    let name = name.trim().to_ascii_lowercase();
                    name.strip_prefix(&prefix)
                        .map(str::to_string)
                        .unwrap_or(name)
                })
                .filter(|name| !name.is_empty())
                .collect()
        };
        Projection {
            attributes: normalise(attributes),
            excluded: normalise(excluded),
        }
    }

    fn apply(&self, user: &ScimUser) -> ScimResult<Value> {
        let value = serde_json::to_value(user)
            .map_err(|err| ApiError::internal(format_args!("scim serialization: {err}")))?;
        let Value::Object(object) = value else {
            return Ok(value);
        };
        let always = |key: &str| key == "id" || key == "schemas";
        let mut kept = serde_json::Map::new();
        for (key, inner) in object {
            let lower = key.to_ascii_lowercase();
            if always(&lower) {
                kept.insert(key, inner);
                continue;
            }
            if !self.attributes.is_empty() {
                if self.attributes.contains(&lower) {
                    kept.insert(key, inner);
                } else if let Value::Object(sub) = inner {
                    let prefix = format!("{lower}.");
                    let wanted: serde_json::Map<String, Value> = sub
                        .into_iter()
                        .filter(|(k, _)| {
                            self.attributes
                                .contains(&format!("{prefix}{}", k.to_ascii_lowercase()))
                        })
                        .collect();
                    if !wanted.is_empty() {
                        kept.insert(key, Value::Object(wanted));
                    }
                }
                continue;
            }
            if self.excluded.contains(&lower) {
                continue;
            }
            if let Value::Object(sub) = inner {
                let prefix = format!("{lower}.");
                let left: serde_json::Map<String, Value> = sub
                    .into_iter()
                    .filter(|(k, _)| {
                        !self
                            .excluded
                            .contains(&format!("{prefix}{}", k.to_ascii_lowercase()))
                    })
                    .collect();
                kept.insert(key, Value::Object(left));
            } else {
                kept.insert(key, inner);
            }
        }
        Ok(Value::Object(kept))
    }
}
