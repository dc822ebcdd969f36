//! What the extension learns at sign-in: who the user is, in which account, with which
//! rights, and the key it signs tracked links with.

use serde::{Deserialize, Serialize};

use crate::profile::{Onboarding, Profile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    SalesUser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Deactivated,
}

/// `GET /api/v1/me`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub account: AccountSummary,
    pub user: UserSummary,
    /// Panel components this user may see (admins see all).
    pub privileges: Privileges,
    pub profile: Profile,
    pub onboarding: Onboarding,
    pub signing_key: SigningKey,
    /// The Salesforce user activity is written as, and through which connection.
    pub crm_owner: Option<CrmOwner>,
    /// Base URL of tracked pixels and links (`{base}/t/o/…`, `{base}/t/c/…`).
    #[serde(default)]
    pub tracking_base_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
    pub seat_limit: i64,
    pub seats_used: i64,
    /// True when a team-sync Salesforce connection is chosen and working.
    pub crm_connected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub photo_url: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    /// The Salesforce user (18-character id) this sales user is, once known.
    pub crm_user_id: Option<String>,
}

/// Per-user key for signing tracked links (DESIGN §3). The secret is base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningKey {
    pub id: String,
    pub secret: String,
    pub created_at: i64,
}

/// Panel components an admin can hide from sales users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PanelComponent {
    Timeline,
    Score,
    HotProspects,
    SentMessages,
    WebsiteVisits,
    SendEmail,
    LogCall,
    LogNote,
    LogTask,
    CreateLead,
}

impl PanelComponent {
    pub const ALL: [PanelComponent; 10] = [
        PanelComponent::Timeline,
        PanelComponent::Score,
        PanelComponent::HotProspects,
        PanelComponent::SentMessages,
        PanelComponent::WebsiteVisits,
        PanelComponent::SendEmail,
        PanelComponent::LogCall,
        PanelComponent::LogNote,
        PanelComponent::LogTask,
        PanelComponent::CreateLead,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Privileges {
    /// Components hidden from sales users of the account.
    pub hidden_components: Vec<PanelComponent>,
    /// What this user may manage.
    pub can_manage_users: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwnerVia {
    /// The user's own Salesforce connection.
    Personal,
    /// The account's team-sync ("superuser") connection, writing as the user's CRM user
    /// when known, else as the team-sync user.
    TeamSync,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmOwner {
    pub crm_user_id: String,
    pub via: OwnerVia,
}

/// `POST /api/v1/me/crm-connection/start` (request)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartCrmConnection {
    /// The extension's sign-in redirect (`identity.getRedirectURL()`:
    /// `https://<id>.chromiumapp.org/` or `https://<id>.extensions.allizom.org/`). Salesforce
    /// sends the code there, so it comes back to the extension that started, never to a page.
    pub redirect_uri: String,
}

/// `POST /api/v1/me/crm-connection/start` (answer)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectStart {
    /// Open this with `identity.launchWebAuthFlow`: Salesforce's sign-in, which comes back
    /// to the extension's redirect with `code` and `state`.
    pub authorize_url: String,
    /// The `state` the redirect must carry back.
    pub state: String,
}

/// `POST /api/v1/me/crm-connection/finish`: what Salesforce handed back to the extension,
/// posted under the same user's token that started the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinishCrmConnection {
    pub code: String,
    pub state: String,
}

/// A Salesforce user the signed-in user may say they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmUserCandidate {
    pub crm_user_id: String,
    pub username: String,
    pub email: String,
    pub name: String,
}

/// `GET /api/v1/me/crm-connection`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyCrmConnection {
    pub connected: bool,
    /// `none`, `active`, `failed` (sign in to Salesforce again) or `revoked`.
    pub status: String,
    pub connection_id: Option<String>,
    pub crm_user_id: Option<String>,
    pub crm_username: Option<String>,
    pub crm_email: Option<String>,
    pub api_enabled: bool,
    pub last_error: Option<String>,
    /// The connected Salesforce user's email differs from yours: say which Salesforce user
    /// you are (`POST /api/v1/me/crm-user`).
    pub needs_confirmation: bool,
    pub candidates: Vec<CrmUserCandidate>,
    /// True when this connection is the account's team-sync connection.
    pub is_team_sync: bool,
}

/// `POST /api/v1/me/crm-user`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmCrmUser {
    pub crm_user_id: String,
}
