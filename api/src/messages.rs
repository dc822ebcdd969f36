//! Tracked messages: mail sent by the server, sends the extension records, and the opens and
//! clicks of each. Times are RFC 3339 strings in UTC.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/messages/send`: the server sends this mail as the signed-in user, through
/// the configured relay, with their signature, tracked when `track` is true (mail to oneself
/// never is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    pub subject: String,
    /// The body as HTML; the user's signature is appended.
    pub html: String,
    #[serde(default = "yes")]
    pub track: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/messages`: a send made by the extension, recorded once per message id
/// (a repeat answers 200 with the record already kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordMessage {
    /// The tracking message id the body's pixel and links carry (`msg_…`).
    pub id: String,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    pub subject: String,
    /// The tracked links, by the index their click URLs carry.
    #[serde(default)]
    pub links: Vec<MessageLink>,
    /// When the mail was sent (RFC 3339).
    pub sent_at: String,
    /// False when the body went out without pixel and links.
    #[serde(default = "yes")]
    pub tracked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageLink {
    pub index: u32,
    pub destination: String,
}

/// Where a message was sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageSource {
    Server,
    Extension,
}

/// A sent message with its counted opens and clicks (people only: see `TrackingEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageSummary {
    pub id: String,
    pub subject: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub sent_at: String,
    pub tracked: bool,
    pub source: MessageSource,
    pub opens: i64,
    pub clicks: i64,
    /// The last counted open or click, if any.
    pub last_activity_at: Option<String>,
}

/// `GET /api/v1/messages`: the user's sent messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesPage {
    pub messages: Vec<MessageSummary>,
    pub page: i64,
    pub page_size: i64,
    pub total: i64,
}

/// A tracked link with its counted clicks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkStats {
    pub index: u32,
    pub destination: String,
    pub clicks: i64,
}

/// `GET /api/v1/messages/{id}`, and the answer to a send or a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: MessageSummary,
    pub links: Vec<LinkStats>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Open,
    Click,
}

/// One open or click as the server classified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackingEvent {
    pub kind: EventKind,
    pub at: String,
    /// `human`, `image_proxy`, `privacy_prefetch`, `security_scanner`, `sender` or `duplicate`.
    pub class: String,
    /// True for people: `human` and `image_proxy`.
    pub counted: bool,
    /// Short stable codes saying why (e.g. `ua_google_image_proxy`, `head_request`).
    pub reasons: Vec<String>,
    pub user_agent: Option<String>,
    /// The clicked link's index; null for opens.
    pub link: Option<u32>,
}

/// `GET /api/v1/messages/{id}/events`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageEvents {
    pub events: Vec<TrackingEvent>,
}
