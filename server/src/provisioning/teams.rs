//! Teams: admins group sales users; team views (`GET /api/v1/teams`) show only users placed
//! on a team, so users created by automatic sync stay out of them until an admin places them.

use axum::extract::State;
use axum::http::StatusCode;
use salespane_api::settings::{Team, TeamCreate, TeamMember, TeamMembers, TeamUpdate};
use sqlx::{Any, Row, Transaction};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::db::{is_unique_violation, Db};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::identity::auth::{AdminUser, CurrentUser};
use crate::ids::{new_id, now_ms};

const TEAM_NAME_MAX_CHARS: usize = 100;
const TEAM_MAX_MEMBERS: usize = 5000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams_admin, create_team))
        .routes(routes!(update_team, delete_team))
        .routes(routes!(set_members))
        .routes(routes!(team_view))
}

/// Every team of the account with its members (all members, active or not).
#[utoipa::path(get, path = "/api/v1/admin/teams", tag = "admin", security(("sso" = [])),
    responses((status = 200, body = Vec<Team>),
        (status = 403, description = "`not_admin`", body = salespane_api::error::ErrorBody)))]
async fn list_teams_admin(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<ApiJson<Vec<Team>>> {
    Ok(ApiJson(list(&state.db, &admin.account_id, false).await?))
}

/// Creates a team, optionally with its first members.
#[utoipa::path(post, path = "/api/v1/admin/teams", tag = "admin", security(("sso" = [])),
    request_body = TeamCreate,
    responses((status = 201, body = Team),
        (status = 400, description = "`invalid_team_name`", body = salespane_api::error::ErrorBody),
        (status = 404, description = "A user is not in this account", body = salespane_api::error::ErrorBody),
        (status = 409, description = "`team_name_taken`", body = salespane_api::error::ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<TeamCreate>,
) -> ApiResult<(StatusCode, ApiJson<Team>)> {
    let name = team_name(&body.name)?;
    let team_id = new_id("team");
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("INSERT INTO teams (id, account_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&team_id)
        .bind(&admin.account_id)
        .bind(&name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(|e| name_conflict(e, &name))?;
    replace_members(&mut tx, &admin.account_id, &team_id, &body.user_ids).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(get(&state.db, &admin.account_id, &team_id).await?),
    ))
}

/// Renames a team.
#[utoipa::path(patch, path = "/api/v1/admin/teams/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Team id")),
    request_body = TeamUpdate,
    responses((status = 200, body = Team),
        (status = 404, description = "`team_not_found`", body = salespane_api::error::ErrorBody),
        (status = 409, description = "`team_name_taken`", body = salespane_api::error::ErrorBody)))]
async fn update_team(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(team_id): ApiPath<String>,
    ApiJson(body): ApiJson<TeamUpdate>,
) -> ApiResult<ApiJson<Team>> {
    if let Some(name) = body.name {
        let name = team_name(&name)?;
        let changed = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2 AND account_id = $3")
            .bind(&name)
            .bind(&team_id)
            .bind(&admin.account_id)
            .execute(&state.db.pool)
            .await
            .map_err(|e| name_conflict(e, &name))?
            .rows_affected();
        if changed == 0 {
            return Err(team_not_found());
        }
    }
    Ok(ApiJson(get(&state.db, &admin.account_id, &team_id).await?))
}

/// Deletes a team; its members stay sales users, just on no team (or their other teams).
#[utoipa::path(delete, path = "/api/v1/admin/teams/{id}", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Team id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "`team_not_found`", body = salespane_api::error::ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(team_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND account_id = $2")
        .bind(&team_id)
        .bind(&admin.account_id)
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("DELETE FROM teams WHERE id = $1 AND account_id = $2")
        .bind(&team_id)
        .bind(&admin.account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(team_not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the team's whole member list.
#[utoipa::path(put, path = "/api/v1/admin/teams/{id}/members", tag = "admin", security(("sso" = [])),
    params(("id" = String, Path, description = "Team id")),
    request_body = TeamMembers,
    responses((status = 200, body = Team),
        (status = 404, description = "`team_not_found`, or `user_not_found` when a user is not in this account", body = salespane_api::error::ErrorBody)))]
async fn set_members(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(team_id): ApiPath<String>,
    ApiJson(body): ApiJson<TeamMembers>,
) -> ApiResult<ApiJson<Team>> {
    let mut tx = state.db.pool.begin().await?;
    // Lock the team row first (and check it is this account's).
    let found = sqlx::query("UPDATE teams SET name = name WHERE id = $1 AND account_id = $2")
        .bind(&team_id)
        .bind(&admin.account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if found == 0 {
        return Err(team_not_found());
    }
    replace_members(&mut tx, &admin.account_id, &team_id, &body.user_ids).await?;
    tx.commit().await?;
    Ok(ApiJson(get(&state.db, &admin.account_id, &team_id).await?))
}

/// Teams of the account with their active members, for any signed-in user. Only users
/// placed on a team appear.
#[utoipa::path(get, path = "/api/v1/teams", tag = "me", security(("sso" = [])),
    responses((status = 200, body = Vec<Team>), (status = 401, body = salespane_api::error::ErrorBody)))]
async fn team_view(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<ApiJson<Vec<Team>>> {
    Ok(ApiJson(list(&state.db, &user.account_id, true).await?))
}

async fn replace_members(
    tx: &mut Transaction<'_, Any>,
    account_id: &str,
    team_id: &str,
    user_ids: &[String],
) -> ApiResult<()> {
    if user_ids.len() > TEAM_MAX_MEMBERS {
        return Err(ApiError::bad_request(
            "too_many_members",
            format!("user_ids: a team holds at most {TEAM_MAX_MEMBERS} users."),
        ));
    }
    let mut unique: Vec<&String> = Vec::with_capacity(user_ids.len());
    for id in user_ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    for id in &unique {
        let found = sqlx::query("SELECT id FROM users WHERE id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(ApiError::not_found(
                "user_not_found",
                format!(
                    "user_ids: no sales user {} in your account. Reload the sales users list.",
                    crate::provisioning::profile::clip(id)
                ),
            ));
        }
    }
    sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND account_id = $2")
        .bind(team_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    for id in unique {
        sqlx::query("INSERT INTO team_members (team_id, user_id, account_id) VALUES ($1, $2, $3)")
            .bind(team_id)
            .bind(id.as_str())
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The account's teams ordered by name; `active_only` leaves deactivated users out.
pub async fn list(db: &Db, account_id: &str, active_only: bool) -> ApiResult<Vec<Team>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at FROM teams WHERE account_id = $1 ORDER BY LOWER(name), id",
    )
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    let mut teams = Vec::with_capacity(rows.len());
    for row in rows {
        teams.push(Team {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
            members: Vec::new(),
        });
    }
    let filter = if active_only {
        " AND u.status = 'active'"
    } else {
        ""
    };
    let members = sqlx::query(&format!(
        "SELECT m.team_id, u.id, u.name, u.email, u.title FROM team_members m JOIN users u ON u.id = m.user_id AND u.account_id = m.account_id \
         WHERE m.account_id = $1{filter} ORDER BY LOWER(u.name), u.email"
    ))
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    for row in members {
        let team_id: String = row.try_get("team_id")?;
        if let Some(team) = teams.iter_mut().find(|t| t.id == team_id) {
            team.members.push(TeamMember {
                user_id: row.try_get("id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                title: row.try_get("title")?,
            });
        }
    }
    Ok(teams)
}

async fn get(db: &Db, account_id: &str, team_id: &str) -> ApiResult<Team> {
    list(db, account_id, false)
        .await?
        .into_iter()
        .find(|t| t.id == team_id)
        .ok_or_else(team_not_found)
}

fn team_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > TEAM_NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "invalid_team_name",
            format!("name: give the team a name of 1 to {TEAM_NAME_MAX_CHARS} characters."),
        ));
    }
    Ok(name.to_string())
}

fn name_conflict(err: sqlx::Error, name: &str) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::conflict(
            "team_name_taken",
            format!("Your account already has a team named {name}. Pick another name."),
        )
    } else {
        err.into()
    }
}

fn team_not_found() -> ApiError {
    ApiError::not_found(
        "team_not_found",
        "No such team in your account. Reload the teams list.",
    )
}
