//! A sales user's own settings: signature, alert preferences, personal details, default
//! tracking, the never-log list, and where they are in onboarding.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// Email signature, HTML as the user wrote it (rendered as untrusted markup by clients).
    pub signature: String,
    pub alerts: AlertPreferences,
    /// New compose windows start with Track on when true.
    pub default_track: bool,
    /// Addresses (`a@b.example`) and domains (`b.example`) never logged to the CRM.
    pub never_log: Vec<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            signature: String::new(),
            alerts: AlertPreferences::default(),
            default_track: true,
            never_log: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertPreferences {
    pub on_open: bool,
    pub on_click: bool,
    pub on_reply: bool,
    pub on_website_visit: bool,
    /// No notifications between these local times ("22:00" to "07:00"), when set.
    pub quiet_hours: Option<QuietHours>,
}

impl Default for AlertPreferences {
    fn default() -> Self {
        AlertPreferences {
            on_open: true,
            on_click: true,
            on_reply: true,
            on_website_visit: false,
            quiet_hours: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuietHours {
    /// "HH:MM", 24-hour.
    pub start: String,
    /// "HH:MM", 24-hour; may be earlier than start (over midnight).
    pub end: String,
    /// IANA time zone name, e.g. "Europe/Paris".
    pub time_zone: String,
}

/// `PUT /api/v1/me/profile`: every field optional; what is absent is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileUpdate {
    pub signature: Option<String>,
    pub alerts: Option<AlertPreferences>,
    pub default_track: Option<bool>,
    pub never_log: Option<Vec<String>>,
    /// Personal details.
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub photo_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmailClient {
    Gmail,
    Outlook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StepChoice {
    Done,
    Skipped,
}

/// Where a user is in the Sales Insight Actions onboarding; the extension resumes from it.
/// Each field is `None` until the step is passed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Onboarding {
    /// Signed in with Salesforce at least once (time, ms since epoch).
    pub activated_at: Option<i64>,
    /// Authorized Salespane to act for them in Salesforce (personal connection made or waived).
    pub authorized: Option<StepChoice>,
    pub email_client: Option<EmailClient>,
    /// The mailbox address they send from; must match their Salesforce identity or be confirmed.
    pub mailbox: Option<String>,
    pub signature: Option<StepChoice>,
    pub finished_at: Option<i64>,
    pub tour: Option<StepChoice>,
}

/// `PUT /api/v1/me/onboarding`: set the steps given; absent ones are left as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnboardingUpdate {
    pub authorized: Option<StepChoice>,
    pub email_client: Option<EmailClient>,
    pub mailbox: Option<String>,
    pub signature: Option<StepChoice>,
    pub finished: Option<bool>,
    pub tour: Option<StepChoice>,
}
