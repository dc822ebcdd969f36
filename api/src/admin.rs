//! What admins see and send when they manage sales users, seats and the CRM connection.

use serde::{Deserialize, Serialize};

use crate::me::{Role, UserStatus};

/// `GET /api/v1/admin/seats`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Seats {
    pub limit: i64,
    pub used: i64,
    pub left: i64,
}

/// A sales user as admins list them (`GET /api/v1/admin/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SalesUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub crm_user_id: Option<String>,
    /// How the user came in: `crm_import`, `auto_sync`, `scim`, `admin_cli`.
    pub source: String,
    pub has_personal_connection: bool,
    pub team_ids: Vec<String>,
}

/// One of the CRM's users, as offered for import (`GET /api/v1/admin/crm/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmUserRow {
    pub crm_user_id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub api_enabled: bool,
    /// The sales user this CRM user already belongs to, if any.
    pub sales_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmUsersPage {
    pub users: Vec<CrmUserRow>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// `POST /api/v1/admin/users/import`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRequest {
    /// Salesforce user ids (15 or 18 characters).
    pub crm_user_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportResult {
    /// New sales users created.
    pub imported: Vec<SalesUser>,
    /// Existing sales users (same email) now linked to the CRM user instead of duplicated.
    pub mapped: Vec<SalesUser>,
    /// CRM users not imported, each with why.
    pub refused: Vec<ImportRefusal>,
    pub seats: Seats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRefusal {
    pub crm_user_id: String,
    /// Stable code: `no_seat`, `already_imported`, `inactive_in_crm`, `not_found`, `invalid_id`.
    pub code: String,
    pub message: String,
}

/// `PATCH /api/v1/admin/users/{id}`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserUpdate {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// A Salesforce connection a user made, as admins see it (`GET /api/v1/admin/crm/connection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmConnectionInfo {
    pub id: String,
    /// The sales user who connected it.
    pub user_id: String,
    pub user_email: String,
    pub crm_user_id: String,
    pub crm_username: String,
    pub crm_email: String,
    /// The Salesforce user's profile has "API Enabled".
    pub api_enabled: bool,
    /// `active`, `failed` (sign in to Salesforce again) or `revoked`.
    pub status: String,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// `GET /api/v1/admin/crm/connection`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamSyncStatus {
    /// The connection used for team sync, when chosen.
    pub team_sync: Option<CrmConnectionInfo>,
    /// True when team sync is chosen and its connection works.
    pub connected: bool,
    /// Connections of the account's users that could be chosen.
    pub candidates: Vec<CrmConnectionInfo>,
    /// What to do next, for a person, when not connected.
    pub hint: Option<String>,
}

/// `PUT /api/v1/admin/crm/connection`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChooseTeamSync {
    pub connection_id: String,
}

/// `POST /api/v1/admin/users/refresh`: what refreshing sales users from the CRM did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshReport {
    /// CRM-linked users looked up.
    pub checked: i64,
    /// Users whose details changed.
    pub updated: i64,
    /// Users deactivated because they are inactive (or gone) in the CRM.
    pub deactivated: i64,
    /// CRM users Salesforce no longer knows.
    pub missing: i64,
    pub seats: Seats,
}

/// `POST /api/v1/admin/crm/connection/reset`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetResult {
    pub status: TeamSyncStatus,
    pub refresh: RefreshReport,
}
