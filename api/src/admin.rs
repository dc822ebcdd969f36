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
