//! Automatic user sync (SalesScreen's "Automatically sync users"): when the account's
//! setting is on, CRM records that match an active workflow and changed since the
//! workflow's cursor are looked at through the team-sync connection; the CRM user
//! responsible for each (the owner; for a creation also the creator, for an update also the
//! last modifier) who is not yet a sales user becomes one (source `auto_sync`), seat
//! permitting. New users are on no team, so team views show them only once an admin places
//! them.
//!
//! Who is created: only CRM users that are active, of type Standard and have API access
//! (Salespane signs in and writes through the Salesforce API as them; without it they could
//! not use it). Inactive users never. Others are skipped and reported, never retried in a
//! loop: the cursor moves past them, so they come up again only with new activity.
//!
//! Cursors: a workflow starts at its creation time, and starts again from "now" when it is
//! reactivated or the setting is turned back on, so activity from while sync was off never
//! creates users later. After a pass the cursor stops a little before the newest change
//! seen, so the next pass looks at that stretch again (a record committed late with an
//! earlier timestamp is not lost); creation is idempotent, so a record seen twice creates
//! nothing twice.

use axum::extract::State;
use axum::http::StatusCode;
use salespane_api::admin::SalesUser;
use salespane_api::me::Role;
use salespane_api::settings::{
    AutoSyncRun, AutoSyncSettings, AutoSyncSkip, CrmObject, Workflow, WorkflowCreate,
    WorkflowTrigger, WorkflowUpdate,
};
use salespane_api::sfid::SfId;
use salespane_crm::{ChangedRecord, CrmError};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashSet;
use std::time::Duration;
use tokio::task::JoinHandle;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::identity::auth::AdminUser;
use crate::ids::{new_id, now_ms};
use crate::provisioning::users::{NewUser, Source};

/// How far before the newest change seen the next pass starts again.
const LOOKBACK_MS: i64 = 2_000;
const WORKFLOW_NAME_MAX_CHARS: usize = 100;
const MAX_WORKFLOWS: i64 = 50;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(run_now))
        .routes(routes!(list_workflows, create_workflow))
        .routes(routes!(update_workflow, delete_workflow))
}

/// Whether users are created automatically from CRM activity.
#[utoipa::path(get, path = "/api/v1/admin/autosync", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = AutoSyncSettings),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<AutoSyncSettings>> {
    Ok(ApiJson(AutoSyncSettings {
        enabled: enabled(&state, &admin.account_id).await?,
    }))
}

/// Turns automatic user sync on or off. Turning it on starts every workflow from now.
#[utoipa::path(put, path = "/api/v1/admin/autosync", tag = "admin", security(("sso" = [])),
    request_body = AutoSyncSettings,
    responses((status = 200, body = AutoSyncSettings),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<AutoSyncSettings>,
) -> ApiResult<ApiJson<AutoSyncSettings>> {
    let now = now_ms();
    let mut tx = state.db.pool.begin().await?;
    let switched_on = sqlx::query(
        "UPDATE accounts SET auto_sync_users = $1, updated_at = $2 WHERE id = $3 AND auto_sync_users <> $1",
    )
    .bind(i64::from(body.enabled))
    .bind(now)
    .bind(&admin.account_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1
        && body.enabled;
    if switched_on {
        sqlx::query("UPDATE workflows SET cursor_ms = $1 WHERE account_id = $2")
            .bind(now)
            .bind(&admin.account_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(ApiJson(body))
}

/// Runs one pass now and tells what it did: users created, CRM users skipped and why.
#[utoipa::path(post, path = "/api/v1/admin/autosync/run", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = AutoSyncRun),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody),
        (status = 409, description = "`crm_not_connected` and other CRM connection problems", body = salespane_api::error::ErrorBody),
        (status = 502, description = "Salesforce failed; nothing was skipped, the next pass retries", body = salespane_api::error::ErrorBody)))]
async fn run_now(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<AutoSyncRun>> {
    Ok(ApiJson(run_pass(&state, &admin.account_id).await?))
}

/// The account's workflows.
#[utoipa::path(get, path = "/api/v1/admin/workflows", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = Vec<Workflow>),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn list_workflows(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<Vec<Workflow>>> {
    Ok(ApiJson(workflows(&state, &admin.account_id, false).await?))
}

/// Adds a workflow; it looks at changes from now on.
#[utoipa::path(post, path = "/api/v1/admin/workflows", tag = "admin", security(("sso" = [])),
    request_body = WorkflowCreate,
    responses((status = 201, body = Workflow),
        (status = 400, description = "`invalid_workflow_name` or `too_many_workflows`", body = salespane_api::error::ErrorBody),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody),
        (status = 422, description = "Unknown CRM object or trigger", body = salespane_api::error::ErrorBody)))]
async fn create_workflow(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<WorkflowCreate>,
) -> ApiResult<(StatusCode, ApiJson<Workflow>)> {
    let name = workflow_name(&body.name)?;
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM workflows WHERE account_id = $1")
        .bind(&admin.account_id)
        .fetch_one(&state.db.pool)
        .await?
        .try_get("n")?;
    if count >= MAX_WORKFLOWS {
        return Err(ApiError::bad_request(
            "too_many_workflows",
            format!("An account has at most {MAX_WORKFLOWS} workflows. Delete or reuse one."),
        ));
    }
    let id = new_id("wf");
    let now = now_ms();
    sqlx::query(
        "INSERT INTO workflows (id, account_id, name, crm_object, trigger_on, active, cursor_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&admin.account_id)
    .bind(&name)
    .bind(body.crm_object.as_str())
    .bind(body.trigger.as_str())
    .bind(i64::from(body.active.unwrap_or(true)))
    .bind(now)
    .execute(&state.db.pool)
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(workflow(&state, &admin.account_id, &id).await?),
    ))
}

/// Changes a workflow. Reactivating it starts it from now.
#[utoipa::path(patch, path = "/api/v1/admin/workflows/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Workflow id")),
    request_body = WorkflowUpdate,
    responses((status = 200, body = Workflow),
        (status = 404, description = "`workflow_not_found`", body = salespane_api::error::ErrorBody)))]
async fn update_workflow(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WorkflowUpdate>,
) -> ApiResult<ApiJson<Workflow>> {
    let current = workflow(&state, &admin.account_id, &id).await?;
    let name = match &body.name {
        Some(name) => workflow_name(name)?,
        None => current.name.clone(),
    };
    let active = body.active.unwrap_or(current.active);
    let cursor = if active && !current.active {
        now_ms()
    } else {
        current.cursor_ms
    };
    sqlx::query(
        "UPDATE workflows SET name = $1, crm_object = $2, trigger_on = $3, active = $4, cursor_ms = $5 WHERE id = $6 AND account_id = $7",
    )
    .bind(&name)
    .bind(body.crm_object.unwrap_or(current.crm_object).as_str())
    .bind(body.trigger.unwrap_or(current.trigger).as_str())
    .bind(i64::from(active))
    .bind(cursor)
    .bind(&id)
    .bind(&admin.account_id)
    .execute(&state.db.pool)
    .await?;
    Ok(ApiJson(workflow(&state, &admin.account_id, &id).await?))
}

/// Deletes a workflow (users it created stay).
#[utoipa::path(delete, path = "/api/v1/admin/workflows/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "`workflow_not_found`", body = salespane_api::error::ErrorBody)))]
async fn delete_workflow(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let deleted = sqlx::query("DELETE FROM workflows WHERE id = $1 AND account_id = $2")
        .bind(&id)
        .bind(&admin.account_id)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(workflow_not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

fn workflow_not_found() -> ApiError {
    ApiError::not_found(
        "workflow_not_found",
        "No such workflow in your account. Reload the workflows list.",
    )
}

fn workflow_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > WORKFLOW_NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "invalid_workflow_name",
            format!("name: give the workflow a name of 1 to {WORKFLOW_NAME_MAX_CHARS} characters."),
        ));
    }
    Ok(name.to_string())
}

async fn enabled(state: &AppState, account_id: &str) -> ApiResult<bool> {
    let row = sqlx::query("SELECT auto_sync_users FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>("auto_sync_users")? != 0,
        None => false,
    })
}

const WORKFLOW_COLUMNS: &str = "id, name, crm_object, trigger_on, active, cursor_ms, created_at";

fn workflow_from_row(row: &AnyRow) -> ApiResult<Workflow> {
    let object: String = row.try_get("crm_object")?;
    let trigger: String = row.try_get("trigger_on")?;
    let active: i64 = row.try_get("active")?;
    Ok(Workflow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        crm_object: CrmObject::parse(&object)
            .ok_or_else(|| ApiError::internal(format_args!("stored workflow object {object}")))?,
        trigger: WorkflowTrigger::parse(&trigger)
            .ok_or_else(|| ApiError::internal(format_args!("stored workflow trigger {trigger}")))?,
        active: active != 0,
        cursor_ms: row.try_get("cursor_ms")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn workflows(
    state: &AppState,
    account_id: &str,
    active_only: bool,
) -> ApiResult<Vec<Workflow>> {
    let filter = if active_only { " AND active = 1" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE account_id = $1{filter} ORDER BY created_at, id"
    ))
    .bind(account_id)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter().map(workflow_from_row).collect()
}

async fn workflow(state: &AppState, account_id: &str, id: &str) -> ApiResult<Workflow> {
    let row = sqlx::query(&format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(workflow_not_found)?;
    workflow_from_row(&row)
}

/// One pass over the account's active workflows (see the module doc).
pub async fn run_pass(state: &AppState, account_id: &str) -> ApiResult<AutoSyncRun> {
    let mut run = AutoSyncRun {
        enabled: enabled(state, account_id).await?,
        ..AutoSyncRun::default()
    };
    if !run.enabled {
        return Ok(run);
    }
    let active = workflows(state, account_id, true).await?;
    if active.is_empty() {
        return Ok(run);
    }
    let session = crate::crm::access::team_sync_session(state, account_id).await?;
    let mut handled: HashSet<String> = HashSet::new();
    for wf in active {
        run.workflows_checked += 1;
        let since = format_utc(wf.cursor_ms);
        // One page at a time: only the responsible users' ids are kept, never every record.
        let mut page = session
            .changed_since_page(wf.crm_object.as_str(), &since, &[])
            .await;
        let mut newest = wf.cursor_ms;
        let mut candidates: Vec<SfId> = Vec::new();
        loop {
            let current = match page {
                Ok(current) => current,
                Err(err) => {
                    return Err(crate::crm::access::team_sync_failed(state, account_id, err).await)
                }
            };
            for record in &current.records {
                run.records_seen += 1;
                newest =
                    newest.max(parse_sf_datetime(&record.last_modified_date).unwrap_or(newest));
                for id in responsible(record, wf.trigger, wf.cursor_ms) {
                    if handled.insert(id.as_str().to_string()) {
                        candidates.push(id);
                    }
                }
            }
            let Some(next) = current.next_records_url else {
                break;
            };
            page = session.query_more(&next).await;
        }
        for crm_user_id in candidates {
            match sync_user(state, account_id, &session, &crm_user_id).await {
                Ok(Outcome::Created(user)) => run.created.push(*user),
                Ok(Outcome::Existing) => {}
                Ok(Outcome::Skipped(code, message)) => run.skipped.push(AutoSyncSkip {
                    crm_user_id: crm_user_id.as_str().to_string(),
                    code: code.to_string(),
                    message,
                }),
                Err(err) => return Err(err),
            }
        }
        // Durable progress: a later pass (or another server) never moves it back.
        sqlx::query("UPDATE workflows SET cursor_ms = $1 WHERE id = $2 AND account_id = $3 AND cursor_ms < $1")
            .bind(newest - LOOKBACK_MS)
            .bind(&wf.id)
            .bind(account_id)
            .execute(&state.db.pool)
            .await?;
    }
    if !run.created.is_empty() || !run.skipped.is_empty() {
        tracing::info!(
            account = %account_id,
            created = run.created.len(),
            skipped = run.skipped.len(),
            "automatic user sync pass"
        );
    }
    Ok(run)
}

/// The CRM users a record makes responsible under the trigger, or none when the record's
/// change does not fire it. A record created after `window_start` counts as a creation; one
/// modified after its creation counts as an update.
fn responsible(record: &ChangedRecord, trigger: WorkflowTrigger, window_start: i64) -> Vec<SfId> {
    let created = parse_sf_datetime(&record.created_date).unwrap_or(0);
    let modified = parse_sf_datetime(&record.last_modified_date).unwrap_or(created);
    let is_creation = created > window_start;
    let is_update = !is_creation || modified > created;
    let on_create = is_creation && trigger != WorkflowTrigger::Updated;
    let on_update = is_update && trigger != WorkflowTrigger::Created;
    if !on_create && !on_update {
        return Vec::new();
    }
    let mut ids: Vec<SfId> = record.owner_id.iter().cloned().collect();
    if on_create {
        ids.push(record.created_by_id.clone());
    }
    if on_update {
        ids.push(record.last_modified_by_id.clone());
    }
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.as_str().to_string()));
    // Owners can be queues (key prefix 00G): only users become sales users.
    ids.retain(|id| id.as_str().starts_with("005"));
    ids
}

enum Outcome {
    Created(Box<SalesUser>),
    Existing,
    Skipped(&'static str, String),
}

async fn sync_user(
    state: &AppState,
    account_id: &str,
    session: &salespane_crm::SalesforceSession,
    crm_user_id: &SfId,
) -> ApiResult<Outcome> {
    let existing = sqlx::query("SELECT id FROM users WHERE account_id = $1 AND crm_user_id = $2")
        .bind(account_id)
        .bind(crm_user_id.as_str())
        .fetch_optional(&state.db.pool)
        .await?;
    if existing.is_some() {
        return Ok(Outcome::Existing);
    }
    let crm_user = match session.get_user(crm_user_id).await {
        Ok(user) => user,
        Err(CrmError::NotFound) => {
            return Ok(Outcome::Skipped(
                "not_found",
                "Salesforce has no such user (it may have been deleted).".to_string(),
            ))
        }
        Err(err) => return Err(crate::crm::access::team_sync_failed(state, account_id, err).await),
    };
    if !crm_user.is_active {
        return Ok(Outcome::Skipped(
            "inactive_in_crm",
            format!(
                "{} is inactive in Salesforce; inactive users are never synced.",
                crm_user.username
            ),
        ));
    }
    if crm_user.user_type != "Standard" {
        return Ok(Outcome::Skipped(
            "not_standard_user",
            format!(
                "{} is a {} user, not a standard Salesforce user.",
                crm_user.username, crm_user.user_type
            ),
        ));
    }
    if !crm_user.api_enabled {
        return Ok(Outcome::Skipped(
            "no_api_access",
            format!(
                "{} has no API access in Salesforce (profile without \"API Enabled\"), so Salespane could not work for them. Give them API access, then import them.",
                crm_user.username
            ),
        ));
    }
    let new = NewUser {
        account_id: account_id.to_string(),
        email: crm_user.email.clone(),
        name: crm_user.name.clone(),
        title: crm_user.title.clone(),
        phone: crm_user.phone.clone(),
        photo_url: crm_user
            .photo_url
            .clone()
            .filter(|u| u.starts_with("https://")),
        role: Role::SalesUser,
        crm_user_id: Some(crm_user_id.as_str().to_string()),
        source: Source::AutoSync,
        scim_external_id: None,
        scim_user_name: None,
    };
    match crate::provisioning::users::create_with_seat(&state.db, new).await {
        Ok(user_id) => Ok(Outcome::Created(Box::new(
            crate::provisioning::users::sales_user(&state.db, account_id, &user_id).await?,
        ))),
        // Another pass (or an import) created them a moment ago.
        Err(err) if err.code == "crm_user_taken" => Ok(Outcome::Existing),
        // The person is already a sales user (e.g. provisioned over SCIM) not yet linked to
        // a CRM user: link them, as an import maps by email, instead of a duplicate.
        Err(err) if err.code == "email_taken" => {
            let linked = sqlx::query(
                "UPDATE users SET crm_user_id = $1, updated_at = $2 WHERE account_id = $3 AND email = $4 AND crm_user_id IS NULL",
            )
            .bind(crm_user_id.as_str())
            .bind(now_ms())
            .bind(account_id)
            .bind(crm_user.email.trim().to_lowercase())
            .execute(&state.db.pool)
            .await;
            match linked {
                Ok(done) if done.rows_affected() == 1 => Ok(Outcome::Existing),
                _ => Ok(Outcome::Skipped(
                    "email_taken",
                    format!("{}: {}", crm_user.username, err.message),
                )),
            }
        }
        Err(err) if err.code == "no_seat" => Ok(Outcome::Skipped(
            err.code,
            format!("{}: {}", crm_user.username, err.message),
        )),
        Err(err) => Err(err),
    }
}

/// Background passes over every account with the setting on, every
/// `--autosync-interval-seconds` (0 = off). Stops on `state.shutdown` after finishing the
/// account it is on.
pub fn spawn_workers(state: &AppState) -> Vec<JoinHandle<()>> {
    let seconds = state.settings.autosync_interval_seconds;
    if seconds == 0 {
        return Vec::new();
    }
    let state = state.clone();
    vec![tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(seconds));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate; let the server finish starting first.
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = state.shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            let accounts = sqlx::query(
                "SELECT id FROM accounts WHERE auto_sync_users = 1 AND team_sync_connection_id IS NOT NULL",
            )
            .fetch_all(&state.db.pool)
            .await;
            let accounts = match accounts {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(error = %err, "automatic user sync: cannot list accounts");
                    continue;
                }
            };
            for row in accounts {
                if state.shutdown.is_cancelled() {
                    break;
                }
                let Ok(account_id) = row.try_get::<String, _>("id") else {
                    continue;
                };
                if let Err(err) = run_pass(&state, &account_id).await {
                    tracing::warn!(account = %account_id, code = err.code, error = %err.message, "automatic user sync pass failed");
                }
            }
        }
    })]
}

/// `2026-11-23T10:00:00.123Z` from milliseconds since the epoch (UTC).
pub fn format_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// Milliseconds since the epoch from Salesforce's `2026-11-23T10:00:00.000+0000` (or RFC
/// 3339 with `Z` or an offset).
pub fn parse_sf_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(after) = rest.strip_prefix('.') {
        let n = after.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let digits = &after[..n.min(3)];
        millis = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
        rest = &after[n..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 5 || rest.len() == 6 => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            sign * (digits[..2].parse::<i64>().ok()? * 60 + digits[2..].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(
        ((days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60) * 1000)
            + millis,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00.000Z");
        let ms = parse_sf_datetime("2026-11-23T10:00:00.123+0000").unwrap();
        assert_eq!(format_utc(ms), "2026-11-23T10:00:00.123Z");
        assert_eq!(
            parse_sf_datetime("2026-11-23T12:00:00+02:00"),
            parse_sf_datetime("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_sf_datetime("2024-02-29T00:00:00Z")
                .map(format_utc)
                .as_deref(),
            Some("2024-02-29T00:00:00.000Z")
        );
        assert!(parse_sf_datetime("yesterday").is_none());
        assert!(parse_sf_datetime("2026-13-01T00:00:00Z").is_none());
    }
}
