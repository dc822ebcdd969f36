//! The objects and fields the sandbox knows, with the properties Salesforce's describe would
//! report (type, createable/updateable, required). Writes and SOQL are validated against it.

use salespane_api::sfid::SfObject;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Id,
    Text,
    Bool,
    Number,
    Date,
    DateTime,
    /// A lookup; the relationship name is the field name without its `Id` suffix.
    Reference(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    pub createable: bool,
    pub updateable: bool,
    pub required: bool,
}

impl FieldDef {
    /// The relationship name a SOQL path uses for this lookup (`OwnerId` → `Owner`).
    pub fn relationship_name(&self) -> Option<&'static str> {
        match self.ty {
            FieldType::Reference(_) => self.name.strip_suffix("Id"),
            _ => None,
        }
    }
}

pub struct ObjectDef {
    pub name: &'static str,
    pub key_prefix: &'static str,
    pub fields: Vec<FieldDef>,
    /// Users can insert/update/delete this object over the REST API.
    pub writable: bool,
}

impl ObjectDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The lookup field behind a relationship name (`owner` → `OwnerId`).
    pub fn relationship(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }
}

const fn f(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        createable: true,
        updateable: true,
        required: false,
    }
}
const fn req(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        createable: true,
        updateable: true,
        required: true,
    }
}
const fn ro(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        createable: false,
        updateable: false,
        required: false,
    }
}
const fn create_only(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        createable: true,
        updateable: false,
        required: false,
    }
}

use FieldType::*;

const USER: &[&str] = &["User"];
const WHO: &[&str] = &["Lead", "Contact"];
const WHAT: &[&str] = &["Account", "Opportunity"];
const ANY: &[&str] = &["Lead", "Contact", "Account", "Opportunity", "User"];

pub const PROFILE_PREFIX: &str = "00e";
pub const CONTACT_ROLE_PREFIX: &str = "00K";

fn system_fields(owned: bool) -> Vec<FieldDef> {
    let mut v = vec![
        ro("Id", Id),
        ro("CreatedDate", DateTime),
        ro("CreatedById", Reference(USER)),
        ro("LastModifiedDate", DateTime),
        ro("LastModifiedById", Reference(USER)),
        ro("SystemModstamp", DateTime),
        ro("IsDeleted", Bool),
    ];
    if owned {
        v.push(f("OwnerId", Reference(USER)));
    }
    v
}

fn object(name: &'static str, owned: bool, writable: bool, fields: &[FieldDef]) -> ObjectDef {
    let key_prefix = match name {
        "Profile" => PROFILE_PREFIX,
        "OpportunityContactRole" => CONTACT_ROLE_PREFIX,
        other => SfObject::from_api_name(other)
            .map(SfObject::key_prefix)
            .unwrap_or("000"),
    };
    let mut all = system_fields(owned);
    all.extend_from_slice(fields);
    ObjectDef {
        name,
        key_prefix,
        fields: all,
        writable,
    }
}

/// Every object the sandbox serves.
pub fn objects() -> Vec<ObjectDef> {
    vec![
        object(
            "Organization",
            false,
            false,
            &[
                ro("Name", Text),
                ro("OrganizationType", Text),
                ro("InstanceName", Text),
                ro("IsSandbox", Bool),
                ro("DefaultLocaleSidKey", Text),
                ro("TimeZoneSidKey", Text),
            ],
        ),
        object(
            "Profile",
            false,
            false,
            &[
                ro("Name", Text),
                ro("PermissionsApiEnabled", Bool),
                ro("UserType", Text),
            ],
        ),
        object(
            "User",
            false,
            true,
            &[
                req("Username", Text),
                req("Email", Text),
                f("FirstName", Text),
                req("LastName", Text),
                ro("Name", Text),
                f("Title", Text),
                f("Phone", Text),
                f("Department", Text),
                f("CompanyName", Text),
                f("Alias", Text),
                f("IsActive", Bool),
                ro("UserType", Text),
                req("ProfileId", Reference(&["Profile"])),
                ro("SmallPhotoUrl", Text),
                ro("FullPhotoUrl", Text),
                f("TimeZoneSidKey", Text),
                f("LocaleSidKey", Text),
                ro("LastLoginDate", DateTime),
            ],
        ),
        object(
            "Account",
            true,
            true,
            &[
                req("Name", Text),
                f("Website", Text),
                f("Industry", Text),
                f("Phone", Text),
                f("Type", Text),
                f("BillingCity", Text),
                f("BillingCountry", Text),
                f("NumberOfEmployees", Number),
                f("AnnualRevenue", Number),
                f("Description", Text),
            ],
        ),
        object(
            "Lead",
            true,
            true,
            &[
                f("FirstName", Text),
                req("LastName", Text),
                ro("Name", Text),
                req("Company", Text),
                f("Email", Text),
                f("Phone", Text),
                f("Title", Text),
                f("Status", Text),
                f("LeadSource", Text),
                f("Industry", Text),
                f("City", Text),
                f("Country", Text),
                f("Website", Text),
                ro("IsConverted", Bool),
            ],
        ),
        object(
            "Contact",
            true,
            true,
            &[
                f("FirstName", Text),
                req("LastName", Text),
                ro("Name", Text),
                f("Email", Text),
                f("Phone", Text),
                f("Title", Text),
                f("Department", Text),
                f("MailingCity", Text),
                f("AccountId", Reference(&["Account"])),
            ],
        ),
        object(
            "Opportunity",
            true,
            true,
            &[
                req("Name", Text),
                f("AccountId", Reference(&["Account"])),
                req("StageName", Text),
                f("Amount", Number),
                req("CloseDate", Date),
                f("Probability", Number),
                f("Type", Text),
                f("LeadSource", Text),
                f("Description", Text),
                ro("IsClosed", Bool),
                ro("IsWon", Bool),
            ],
        ),
        object(
            "OpportunityContactRole",
            false,
            true,
            &[
                req("OpportunityId", Reference(&["Opportunity"])),
                req("ContactId", Reference(&["Contact"])),
                f("Role", Text),
                f("IsPrimary", Bool),
            ],
        ),
        object(
            "Task",
            true,
            true,
            &[
                f("WhoId", Reference(WHO)),
                f("WhatId", Reference(WHAT)),
                f("Subject", Text),
                f("ActivityDate", Date),
                f("Status", Text),
                f("Priority", Text),
                f("Type", Text),
                f("TaskSubtype", Text),
                f("Description", Text),
                ro("IsClosed", Bool),
            ],
        ),
        object(
            "EmailMessage",
            false,
            true,
            &[
                f("Subject", Text),
                f("HtmlBody", Text),
                f("TextBody", Text),
                f("FromAddress", Text),
                f("FromName", Text),
                f("ToAddress", Text),
                f("CcAddress", Text),
                f("BccAddress", Text),
                req("Status", Text),
                f("MessageDate", DateTime),
                f("Incoming", Bool),
                create_only("ActivityId", Reference(&["Task"])),
                f("RelatedToId", Reference(ANY)),
            ],
        ),
    ]
}

/// Objects whose `Name` is computed from first and last name.
pub fn has_person_name(object: &str) -> bool {
    matches!(object, "User" | "Lead" | "Contact")
}
