//! The in-memory orgs: records by object, deterministic id allocation and timestamps.

use crate::schema::{has_person_name, objects, ObjectDef};
use salespane_api::sfid::SfId;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub type Record = Map<String, Value>;

/// Salesforce's JSON datetime form, always UTC.
pub fn format_datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

pub fn now_string() -> String {
    format_datetime(chrono::Utc::now())
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `{prefix}{pod}{10 base-62 digits of n}` plus the checksum: unique per org and object.
pub fn make_id(prefix: &str, pod: &str, n: u64) -> SfId {
    let mut digits = [b'0'; 10];
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    let body = String::from_utf8_lossy(&digits).into_owned();
    // Prefixes and pods are our own ASCII alphanumeric constants, so this always parses.
    SfId::parse(&format!("{prefix}{pod}{body}")).expect("sandbox ids are 15 alphanumerics")
}

#[derive(Clone)]
pub struct Org {
    pub id: SfId,
    pub name: String,
    pub pod: &'static str,
    pub tables: BTreeMap<&'static str, BTreeMap<String, Record>>,
    counters: HashMap<&'static str, u64>,
    pub schema: Arc<Vec<ObjectDef>>,
}

impl Org {
    pub fn new(name: &str, pod: &'static str, schema: Arc<Vec<ObjectDef>>) -> Org {
        let tables = schema.iter().map(|o| (o.name, BTreeMap::new())).collect();
        Org {
            id: make_id("00D", pod, 1),
            name: name.to_string(),
            pod,
            tables,
            counters: HashMap::new(),
            schema,
        }
    }

    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.schema
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }

    pub fn next_id(&mut self, object: &'static str, prefix: &str) -> SfId {
        let n = self.counters.entry(object).or_insert(0);
        *n += 1;
        make_id(prefix, self.pod, *n)
    }

    /// The object an id belongs to, by key prefix.
    pub fn object_of_id(&self, id: &str) -> Option<&'static str> {
        let prefix = id.get(..3)?;
        self.schema
            .iter()
            .find(|o| o.key_prefix == prefix)
            .map(|o| o.name)
    }

    /// A record by 15- or 18-character id, in whichever object its prefix names.
    pub fn get(&self, id: &str) -> Option<(&'static str, &Record)> {
        let id = SfId::parse(id).ok()?;
        let object = self.object_of_id(id.as_str())?;
        let record = self.tables.get(object)?.get(id.as_str())?;
        Some((object, record))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        let id = SfId::parse(id).ok()?;
        let object = self.object_of_id(id.as_str())?;
        self.tables.get_mut(object)?.get_mut(id.as_str())
    }

    /// Inserts a record with system fields stamped; `fields` are already validated.
    pub fn insert(
        &mut self,
        object: &'static str,
        mut fields: Record,
        actor: &str,
        at: &str,
    ) -> SfId {
        let prefix = self.object(object).map(|o| o.key_prefix).unwrap_or("000");
        let id = self.next_id(object, prefix);
        fields.insert("Id".into(), Value::String(id.to_string()));
        for key in ["CreatedById", "LastModifiedById"] {
            fields.insert(key.into(), Value::String(actor.to_string()));
        }
        for key in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            fields.insert(key.into(), Value::String(at.to_string()));
        }
        fields.insert("IsDeleted".into(), Value::Bool(false));
        let owned = self
            .object(object)
            .is_some_and(|o| o.field("OwnerId").is_some());
        if owned && !fields.get("OwnerId").is_some_and(|v| v.is_string()) {
            fields.insert("OwnerId".into(), Value::String(actor.to_string()));
        }
        derive_fields(object, &mut fields);
        if let Some(table) = self.tables.get_mut(object) {
            table.insert(id.to_string(), fields);
        }
        id
    }

    /// Users of this org by username (case-insensitive, as Salesforce logins are).
    pub fn user_by_username(&self, username: &str) -> Option<&Record> {
        self.tables.get("User")?.values().find(|u| {
            u.get("Username")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
        })
    }
}

/// Values Salesforce fills in when a create leaves them out.
pub fn apply_defaults(object: &str, fields: &mut Record) {
    let defaults: &[(&str, Value)] = match object {
        "Lead" => &[
            ("Status", json!("Open - Not Contacted")),
            ("IsConverted", json!(false)),
        ],
        "Task" => &[
            ("Status", json!("Not Started")),
            ("Priority", json!("Normal")),
        ],
        "User" => &[("IsActive", json!(true)), ("UserType", json!("Standard"))],
        "EmailMessage" => &[("Incoming", json!(false))],
        "OpportunityContactRole" => &[("IsPrimary", json!(false))],
        _ => &[],
    };
    for (k, v) in defaults {
        if fields.get(*k).is_none_or(Value::is_null) {
            fields.insert((*k).to_string(), v.clone());
        }
    }
}

/// Fields Salesforce computes from others.
pub fn derive_fields(object: &str, fields: &mut Record) {
    if has_person_name(object) {
        let first = fields
            .get("FirstName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let last = fields.get("LastName").and_then(Value::as_str).unwrap_or("");
        let name = format!("{first} {last}").trim().to_string();
        fields.insert("Name".into(), Value::String(name));
    }
    match object {
        "Opportunity" => {
            let stage = fields
                .get("StageName")
                .and_then(Value::as_str)
                .unwrap_or("");
            let won = stage == "Closed Won";
            let closed = won || stage == "Closed Lost";
            fields.insert("IsWon".into(), Value::Bool(won));
            fields.insert("IsClosed".into(), Value::Bool(closed));
        }
        "Task" => {
            let closed = fields.get("Status").and_then(Value::as_str) == Some("Completed");
            fields.insert("IsClosed".into(), Value::Bool(closed));
        }
        _ => {}
    }
}

pub fn new_schema() -> Arc<Vec<ObjectDef>> {
    Arc::new(objects())
}
