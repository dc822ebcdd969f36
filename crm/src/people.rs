//! Leads and contacts by email address, with owner and account: what the panel and the
//! logging worker match a mail's recipients against.

use crate::session::SalesforceSession;
use crate::soql::soql_string;
use crate::users::text;
use crate::CrmError;
use salespane_api::sfid::SfId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonKind {
    Lead,
    Contact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmOwner {
    pub id: SfId,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A lead or contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmPerson {
    pub id: SfId,
    pub kind: PersonKind,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    /// The lead's Company, or the contact's Account name.
    pub company: Option<String>,
    pub account_id: Option<SfId>,
    pub owner: Option<CrmOwner>,
    pub last_modified: String,
}

fn person(kind: PersonKind, r: &Value) -> Option<CrmPerson> {
    let id = SfId::parse(r.get("Id")?.as_str()?).ok()?;
    let owner = r.get("Owner").filter(|o| o.is_object()).and_then(|o| {
        Some(CrmOwner {
            id: SfId::parse(r.get("OwnerId")?.as_str()?).ok()?,
            name: text(o, "Name"),
            email: text(o, "Email"),
        })
    });
    let account = r.get("Account").filter(|a| a.is_object());
    Some(CrmPerson {
        id,
        kind,
        name: text(r, "Name").unwrap_or_default(),
        first_name: text(r, "FirstName"),
        last_name: text(r, "LastName"),
        email: text(r, "Email"),
        title: text(r, "Title"),
        company: text(r, "Company").or_else(|| account.and_then(|a| text(a, "Name"))),
        account_id: text(r, "AccountId").and_then(|s| SfId::parse(&s).ok()),
        owner,
        last_modified: text(r, "LastModifiedDate").unwrap_or_default(),
    })
}

impl SalesforceSession {
    /// Unconverted leads, then contacts, with this email; most recently modified first.
    pub async fn find_people_by_email(&self, email: &str) -> Result<Vec<CrmPerson>, CrmError> {
        let e = soql_string(email.trim());
        let leads: Vec<Value> = self
            .query(&format!(
                "SELECT Id, FirstName, LastName, Name, Email, Title, Company, OwnerId, Owner.Name, Owner.Email, LastModifiedDate \
                 FROM Lead WHERE Email = {e} AND IsConverted = false ORDER BY LastModifiedDate DESC"
            ))
            .await?;
        let contacts: Vec<Value> = self
            .query(&format!(
                "SELECT Id, FirstName, LastName, Name, Email, Title, AccountId, Account.Name, OwnerId, Owner.Name, Owner.Email, LastModifiedDate \
                 FROM Contact WHERE Email = {e} ORDER BY LastModifiedDate DESC"
            ))
            .await?;
        Ok(leads
            .iter()
            .filter_map(|r| person(PersonKind::Lead, r))
            .chain(
                contacts
                    .iter()
                    .filter_map(|r| person(PersonKind::Contact, r)),
            )
            .collect())
    }
}
