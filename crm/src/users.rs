//! The org's users: the list an admin imports sales users from, and profile refresh.

use crate::session::SalesforceSession;
use crate::soql::{soql_like_contains, soql_string};
use crate::CrmError;
use salespane_api::sfid::SfId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Filters and paging for [`SalesforceSession::list_users`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Matched (case-insensitively, anywhere) against name, username and email.
    pub search: Option<String>,
    pub active_only: bool,
    pub offset: u32,
    /// Page size; 0 means [`UserQuery::DEFAULT_LIMIT`]; capped at [`UserQuery::MAX_LIMIT`].
    pub limit: u32,
}

impl UserQuery {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;
    /// Salesforce refuses OFFSET above 2000.
    pub const MAX_OFFSET: u32 = 2000;
}

/// A Salesforce user as Salespane needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmUser {
    pub id: SfId,
    pub username: String,
    pub email: String,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub is_active: bool,
    /// `Standard` for full users.
    pub user_type: String,
    /// The profile's "API Enabled" (`Profile.PermissionsApiEnabled`).
    pub api_enabled: bool,
    pub profile_name: Option<String>,
    pub photo_url: Option<String>,
    /// `LastModifiedDate`, as Salesforce writes it.
    pub last_modified: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub users: Vec<CrmUser>,
    /// Matching users in all pages.
    pub total: u64,
}

const USER_FIELDS: &str =
    "Id, Username, Email, Name, FirstName, LastName, Title, Phone, IsActive, UserType, \
     Profile.Name, Profile.PermissionsApiEnabled, SmallPhotoUrl, LastModifiedDate";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserRow {
    id: SfId,
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    is_active: bool,
    #[serde(default)]
    user_type: Option<String>,
    #[serde(default)]
    profile: Option<ProfileRow>,
    #[serde(default)]
    small_photo_url: Option<String>,
    #[serde(default)]
    last_modified_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileRow {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    permissions_api_enabled: Option<bool>,
}

impl From<UserRow> for CrmUser {
    fn from(row: UserRow) -> CrmUser {
        let profile = row.profile;
        CrmUser {
            id: row.id,
            email: row.email.unwrap_or_else(|| row.username.clone()),
            username: row.username,
            name: row.name.unwrap_or_default(),
            first_name: row.first_name.filter(|s| !s.is_empty()),
            last_name: row.last_name.unwrap_or_default(),
            title: row.title.filter(|s| !s.is_empty()),
            phone: row.phone.filter(|s| !s.is_empty()),
            is_active: row.is_active,
            user_type: row.user_type.unwrap_or_default(),
            api_enabled: profile
                .as_ref()
                .and_then(|p| p.permissions_api_enabled)
                .unwrap_or(false),
            profile_name: profile.and_then(|p| p.name),
            photo_url: row.small_photo_url.filter(|s| !s.is_empty()),
            last_modified: row.last_modified_date.unwrap_or_default(),
        }
    }
}

fn user_filter(query: &UserQuery) -> String {
    let mut conditions = vec!["UserType = 'Standard'".to_string()];
    if query.active_only {
        conditions.push("IsActive = true".into());
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = soql_like_contains(search);
        conditions.push(format!(
            "(Name LIKE {pattern} OR Username LIKE {pattern} OR Email LIKE {pattern})"
        ));
    }
    conditions.join(" AND ")
}

impl SalesforceSession {
    /// A page of the org's standard users, by name, with the total for paging.
    pub async fn list_users(&self, query: &UserQuery) -> Result<UsersPage, CrmError> {
        let filter = user_filter(query);
        let limit = match query.limit {
            0 => UserQuery::DEFAULT_LIMIT,
            n => n.min(UserQuery::MAX_LIMIT),
        };
        let offset = query.offset.min(UserQuery::MAX_OFFSET);
        let total = self
            .count(&format!("SELECT COUNT() FROM User WHERE {filter}"))
            .await?;
        let rows: Vec<UserRow> = self
            .query(&format!(
                "SELECT {USER_FIELDS} FROM User WHERE {filter} ORDER BY Name ASC, Id ASC LIMIT {limit} OFFSET {offset}"
            ))
            .await?;
        Ok(UsersPage {
            users: rows.into_iter().map(CrmUser::from).collect(),
            total,
        })
    }

    /// One user by id (any type, active or not). `NotFound` if the org has no such user.
    pub async fn get_user(&self, id: &SfId) -> Result<CrmUser, CrmError> {
        let rows: Vec<UserRow> = self
            .query(&format!(
                "SELECT {USER_FIELDS} FROM User WHERE Id = {}",
                soql_string(id.as_str())
            ))
            .await?;
        rows.into_iter()
            .next()
            .map(CrmUser::from)
            .ok_or(CrmError::NotFound)
    }

    /// Users whose Email or Username is this address (for mapping a person to a CRM user).
    pub async fn find_users_by_email(&self, email: &str) -> Result<Vec<CrmUser>, CrmError> {
        let e = soql_string(email.trim());
        let rows: Vec<UserRow> = self
            .query(&format!("SELECT {USER_FIELDS} FROM User WHERE Email = {e} OR Username = {e} ORDER BY IsActive DESC, LastModifiedDate DESC"))
            .await?;
        Ok(rows.into_iter().map(CrmUser::from).collect())
    }
}

/// Leads and contacts are read as JSON so callers can ask for more fields later.
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_escaped_into_the_filter() {
        let q = UserQuery {
            search: Some("o'hara%".into()),
            active_only: true,
            ..Default::default()
        };
        assert_eq!(
            user_filter(&q),
            "UserType = 'Standard' AND IsActive = true AND (Name LIKE '%o\\'hara\\%%' OR Username LIKE '%o\\'hara\\%%' OR Email LIKE '%o\\'hara\\%%')"
        );
    }
}
