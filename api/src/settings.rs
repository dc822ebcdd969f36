//! Account settings admins manage: privileges (hidden panel components), teams, automatic
//! user sync with its workflows, and SCIM tokens.

use serde::{Deserialize, Serialize};

use crate::admin::SalesUser;
use crate::me::PanelComponent;

/// `GET/PUT /api/v1/admin/privileges`: panel components hidden from the account's sales
/// users (admins always see everything).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivilegeSettings {
    pub hidden_components: Vec<PanelComponent>,
}

/// A team and the users placed on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: String,
    pub name: String,
    pub members: Vec<TeamMember>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
}

/// `POST /api/v1/admin/teams`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamCreate {
    pub name: String,
    /// Users to place on the team at once (same account).
    #[serde(default)]
    pub user_ids: Vec<String>,
}

/// `PATCH /api/v1/admin/teams/{id}`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamUpdate {
    pub name: Option<String>,
}

/// `PUT /api/v1/admin/teams/{id}/members`: the team's whole member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMembers {
    pub user_ids: Vec<String>,
}

/// `GET/PUT /api/v1/admin/autosync`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoSyncSettings {
    /// Create sales users automatically from CRM activity matching an active workflow.
    pub enabled: bool,
}

/// CRM objects a workflow can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CrmObject {
    Opportunity,
    Task,
    Event,
    Lead,
    Contact,
    Account,
}

impl CrmObject {
    pub fn as_str(self) -> &'static str {
        match self {
            CrmObject::Opportunity => "Opportunity",
            CrmObject::Task => "Task",
            CrmObject::Event => "Event",
            CrmObject::Lead => "Lead",
            CrmObject::Contact => "Contact",
            CrmObject::Account => "Account",
        }
    }

    pub fn parse(text: &str) -> Option<CrmObject> {
        [
            CrmObject::Opportunity,
            CrmObject::Task,
            CrmObject::Event,
            CrmObject::Lead,
            CrmObject::Contact,
            CrmObject::Account,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// Which changes of a record fire a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkflowTrigger {
    Created,
    Updated,
    CreatedOrUpdated,
}

impl WorkflowTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowTrigger::Created => "created",
            WorkflowTrigger::Updated => "updated",
            WorkflowTrigger::CreatedOrUpdated => "created_or_updated",
        }
    }

    pub fn parse(text: &str) -> Option<WorkflowTrigger> {
        match text {
            "created" => Some(WorkflowTrigger::Created),
            "updated" => Some(WorkflowTrigger::Updated),
            "created_or_updated" => Some(WorkflowTrigger::CreatedOrUpdated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workflow {
    pub id: String,
    pub name: String,
    pub crm_object: CrmObject,
    pub trigger: WorkflowTrigger,
    pub active: bool,
    /// CRM changes after this time (ms since epoch) are still to be looked at.
    pub cursor_ms: i64,
    pub created_at: i64,
}

/// `POST /api/v1/admin/workflows`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowCreate {
    pub name: String,
    pub crm_object: CrmObject,
    pub trigger: WorkflowTrigger,
    /// Active unless false.
    #[serde(default)]
    pub active: Option<bool>,
}

/// `PATCH /api/v1/admin/workflows/{id}`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowUpdate {
    pub name: Option<String>,
    pub crm_object: Option<CrmObject>,
    pub trigger: Option<WorkflowTrigger>,
    pub active: Option<bool>,
}

/// What one automatic-sync pass did (`POST /api/v1/admin/autosync/run`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoSyncRun {
    /// False when the setting is off (nothing was looked at).
    pub enabled: bool,
    /// Active workflows looked at.
    pub workflows_checked: i64,
    /// CRM records looked at.
    pub records_seen: i64,
    /// Sales users created.
    pub created: Vec<SalesUser>,
    /// CRM users not created, each with why.
    pub skipped: Vec<AutoSyncSkip>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoSyncSkip {
    pub crm_user_id: String,
    /// Stable code: `no_seat`, `inactive_in_crm`, `no_api_access`, `not_standard_user`,
    /// `not_found`, `email_taken`.
    pub code: String,
    pub message: String,
}

/// A SCIM token as listed (the secret itself is shown only once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimToken {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// `POST /api/v1/admin/scim-tokens`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimTokenCreate {
    /// What the token is for, e.g. "Okta".
    pub name: String,
}

/// The answer to `POST /api/v1/admin/scim-tokens`: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimTokenIssued {
    pub id: String,
    pub name: String,
    /// Give this to the identity provider as its bearer token; it cannot be shown again.
    pub token: String,
    pub created_at: i64,
}
