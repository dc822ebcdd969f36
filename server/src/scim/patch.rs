//! Turning SCIM bodies into changes of a user: whole resources (POST, PUT) and PATCH
//! operations (RFC 7644 §3.5.2), including what Okta and Entra really send: Okta's
//! path-less `{"op":"replace","value":{"active":false}}`, Entra's `"op":"Replace"`, string
//! booleans `"True"`/`"False"`, and attribute paths such as `emails[type eq "work"].value`.

use serde_json::{Map, Value};

use super::ScimError;

/// One value of a multi-valued attribute (emails, phoneNumbers) as sent: `type` and
/// `primary` are kept as they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiValue {
    pub value: String,
    pub kind: Option<String>,
    pub primary: Option<bool>,
}

/// A change to a multi-valued attribute: the whole value (type and primary with it), or
/// only its `value` through a path such as `emails[type eq "work"].value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiChange {
    Whole(Option<MultiValue>),
    Value(Option<String>),
}

/// What a request changes. `Some(None)` unassigns an optional attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub user_name: Option<String>,
    pub external_id: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub formatted: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub email: Option<MultiChange>,
    pub phone: Option<MultiChange>,
    /// `Some(None)`: `active` removed (the user is deactivated and shows no `active`).
    pub active: Option<Option<bool>>,
}

impl Changes {
    /// For PUT: optional attributes a replacement leaves out are unassigned (RFC 7644
    /// §3.5.1); the required ones (userName, emails) and `active` (it moves a seat) keep
    /// their value when absent.
    pub fn replacing() -> Changes {
        Changes {
            external_id: Some(None),
            given_name: Some(None),
            family_name: Some(None),
            formatted: Some(None),
            display_name: Some(None),
            title: Some(None),
            phone: Some(MultiChange::Whole(None)),
            ..Changes::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Reads a whole User resource (POST, PUT) into `changes`.
pub fn apply_resource(changes: &mut Changes, body: &Value) -> Result<(), ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "The body must be a User object."))?;
    apply_object(changes, object, Op::Replace)
}

/// Reads a PatchOp body into `changes`.
pub fn apply_patch(changes: &mut Changes, body: &Value) -> Result<(), ScimError> {
    let operations = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ScimError::bad(
                "invalidSyntax",
                "A PATCH body needs an \"Operations\" array (urn:ietf:params:scim:api:messages:2.0:PatchOp).",
            )
        })?;
    for operation in operations {
        let op_text = operation
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let op = match op_text.as_str() {
            "add" => Op::Add,
            "replace" => Op::Replace,
            "remove" => Op::Remove,
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!(
                        "Unknown PATCH op \"{}\": use add, replace or remove.",
                        crate::provisioning::profile::clip(&op_text)
                    ),
                ))
            }
        };
        let path = operation
            .get("path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty());
        let value = operation.get("value");
        match (path, op) {
            (Some(path), _) => apply_path(changes, path, value, op)?,
            (None, Op::Remove) => {
                return Err(ScimError::bad(
                    "noTarget",
                    "A remove operation needs a path.",
                ));
            }
            (None, _) => {
                let object = value.and_then(Value::as_object).ok_or_else(|| {
                    ScimError::bad(
                        "invalidValue",
                        "An add or replace operation without a path needs an object value of attributes.",
                    )
                })?;
                apply_object(changes, object, op)?;
            }
        }
    }
    Ok(())
}

/// The attributes of a whole resource or of a path-less PATCH value. Attributes outside the
/// published schema are ignored here (the schema's description says so: IdPs send many);
/// an explicit PATCH path naming one is refused with `invalidPath` instead.
fn apply_object(
    changes: &mut Changes,
    object: &Map<String, Value>,
    op: Op,
) -> Result<(), ScimError> {
    for (key, value) in object {
        match apply_path(changes, key, Some(value), op) {
            Err(err) if err.scim_type == Some("invalidPath") => {}
            other => other?,
        }
    }
    Ok(())
}

const CORE_PREFIX: &str = "urn:ietf:params:scim:schemas:core:2.0:user:";
const EXTENSION_PREFIX: &str = "urn:ietf:params:scim:schemas:extension:";

/// Attributes IdPs send that Salespane accepts and does not keep.
const IGNORED: &[&str] = &[
    "schemas",
    "id",
    "meta",
    "groups",
    "password",
    "nickname",
    "profileurl",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "addresses",
    "photos",
    "ims",
    "roles",
    "entitlements",
    "x509certificates",
    "name.middlename",
    "name.honorificprefix",
    "name.honorificsuffix",
];

fn apply_path(
    changes: &mut Changes,
    path: &str,
    value: Option<&Value>,
    op: Op,
) -> Result<(), ScimError> {
    let lower = path.trim().to_ascii_lowercase();
    let lower = lower
        .strip_prefix(CORE_PREFIX)
        .unwrap_or(&lower)
        .to_string();
    if lower.starts_with(EXTENSION_PREFIX) {
        return Ok(());
    }
    let base = lower.split(['[', '.']).next().unwrap_or("");
    if IGNORED.contains(&lower.as_str()) || (IGNORED.contains(&base) && base != "name") {
        return Ok(());
    }
    let remove = op == Op::Remove;
    match lower.as_str() {
        "active" => {
            changes.active = Some(if remove {
                None
            } else {
                Some(boolean(path, value)?)
            });
        }
        "username" => {
            if remove {
                return Err(cannot_remove(path));
            }
            let name = required_string(path, value)?;
            changes.user_name = Some(name);
        }
        "externalid" => changes.external_id = Some(optional(path, value, remove)?),
        "displayname" => changes.display_name = Some(optional(path, value, remove)?),
        "name.formatted" => changes.formatted = Some(optional(path, value, remove)?),
        "title" => changes.title = Some(optional(path, value, remove)?),
        "name.givenname" => changes.given_name = Some(optional(path, value, remove)?),
        "name.familyname" => changes.family_name = Some(optional(path, value, remove)?),
        "name" => {
            if remove || matches!(value, None | Some(Value::Null)) {
                changes.given_name = Some(None);
                changes.family_name = Some(None);
                changes.formatted = Some(None);
                return Ok(());
            }
            let object = value.and_then(Value::as_object).ok_or_else(|| {
                ScimError::bad("invalidValue", "name must be an object such as {\"givenName\":\"Sam\",\"familyName\":\"Seller\"}.")
            })?;
            // Replacing `name` replaces the whole complex value: parts left out are unassigned.
            if op == Op::Replace {
                changes.given_name = Some(None);
                changes.family_name = Some(None);
                changes.formatted = Some(None);
            }
            apply_object_under(changes, "name", object, op)?;
        }
        "emails" => {
            if remove {
                return Err(cannot_remove(path));
            }
            let chosen = pick_multi_valued(path, value)?.ok_or_else(|| {
                ScimError::bad("invalidValue", "emails must hold at least one address.")
            })?;
            changes.email = Some(MultiChange::Whole(Some(chosen)));
        }
        "phonenumbers" => {
            changes.phone = Some(MultiChange::Whole(if remove {
                None
            } else {
                pick_multi_valued(path, value)?
            }));
        }
        _ if is_sub_value(&lower, "emails") => {
            if remove {
                return Err(cannot_remove(path));
            }
            changes.email = Some(MultiChange::Value(Some(required_string(path, value)?)));
        }
        _ if is_sub_value(&lower, "phonenumbers") => {
            changes.phone = Some(MultiChange::Value(optional(path, value, remove)?));
        }
        _ => {
            return Err(ScimError::bad(
                "invalidPath",
                format!(
                    "The attribute path {} is not supported. Supported: active, userName, externalId, displayName, title, name, name.formatted, name.givenName, name.familyName, emails, emails[type eq \"work\"].value, phoneNumbers, phoneNumbers[type eq \"work\"].value.",
                    crate::provisioning::profile::clip(path)
                ),
            ))
        }
    }
    Ok(())
}

/// The sub-attributes of a complex value (`name`), unknown ones ignored like in resources.
fn apply_object_under(
    changes: &mut Changes,
    parent: &str,
    object: &Map<String, Value>,
    op: Op,
) -> Result<(), ScimError> {
    for (key, inner) in object {
        match apply_path(changes, &format!("{parent}.{key}"), Some(inner), op) {
            Err(err) if err.scim_type == Some("invalidPath") => {}
            other => other?,
        }
    }
    Ok(())
}

/// `emails[type eq "work"].value`, `emails[primary eq true].value`, `emails.value`.
fn is_sub_value(path: &str, attribute: &str) -> bool {
    path == format!("{attribute}.value")
        || (path.starts_with(&format!("{attribute}[")) && path.ends_with("].value"))
}

fn cannot_remove(path: &str) -> ScimError {
    ScimError::bad(
        "mutability",
        format!(
            "{} is required and cannot be removed.",
            crate::provisioning::profile::clip(path)
        ),
    )
}

/// SCIM booleans, also as Entra's strings "True" / "False".
fn boolean(path: &str, value: Option<&Value>) -> Result<bool, ScimError> {
    match value {
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!(
                "{} must be true or false.",
                crate::provisioning::profile::clip(path)
            ),
        )),
    }
}

fn required_string(path: &str, value: Option<&Value>) -> Result<String, ScimError> {
    match optional(path, value, false)? {
        Some(text) => Ok(text),
        None => Err(ScimError::bad(
            "invalidValue",
            format!(
                "{} cannot be empty.",
                crate::provisioning::profile::clip(path)
            ),
        )),
    }
}

/// A string attribute; null, empty or removed clears it.
fn optional(path: &str, value: Option<&Value>, remove: bool) -> Result<Option<String>, ScimError> {
    if remove {
        return Ok(None);
    }
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > 500 || s.chars().any(char::is_control) {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!(
                        "{} is too long or holds control characters.",
                        crate::provisioning::profile::clip(path)
                    ),
                ));
            }
            Ok(Some(s.to_string()).filter(|s| !s.is_empty()))
        }
        // Entra sometimes sends one-element arrays for single values.
        Some(Value::Array(items)) if items.len() == 1 => optional(path, items.first(), false),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            format!(
                "{} must be a string.",
                crate::provisioning::profile::clip(path)
            ),
        )),
    }
}

/// The one value Salespane keeps of a multi-valued attribute (emails, phoneNumbers): the
/// primary one, else the work one, else the first; with its `type` and `primary` as sent.
fn pick_multi_valued(path: &str, value: Option<&Value>) -> Result<Option<MultiValue>, ScimError> {
    let items: Vec<&Value> = match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(object @ Value::Object(_)) => vec![object],
        None | Some(Value::Null) => return Ok(None),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                format!(
                    "{} must be a list of {{\"value\":…}} objects.",
                    crate::provisioning::profile::clip(path)
                ),
            ))
        }
    };
    let is_true = |v: &Value| {
        matches!(v, Value::Bool(true)) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
    };
    let chosen = items
        .iter()
        .find(|item| item.get("primary").is_some_and(is_true))
        .or_else(|| {
            items.iter().find(|item| {
                item.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| items.first());
    let Some(item) = chosen else {
        return Ok(None);
    };
    if !item.is_object() {
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "{} must be a list of {{\"value\":…}} objects.",
                crate::provisioning::profile::clip(path)
            ),
        ));
    }
    let Some(value) = optional(path, item.get("value"), false)? else {
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "{}: every item needs a \"value\".",
                crate::provisioning::profile::clip(path)
            ),
        ));
    };
    let kind = optional(path, item.get("type"), false)?;
    let primary = match item.get("primary") {
        None | Some(Value::Null) => None,
        Some(flag) => Some(boolean(path, Some(flag))?),
    };
    Ok(Some(MultiValue {
        value,
        kind,
        primary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(body: Value) -> Result<Changes, ScimError> {
        let mut changes = Changes::default();
        apply_patch(&mut changes, &body).map(|_| changes)
    }

    #[test]
    fn okta_pathless_deactivation() {
        let changes = patch(json!({"schemas":[super::super::PATCH_SCHEMA],
            "Operations":[{"op":"replace","value":{"active":false}}]}))
        .unwrap();
        assert_eq!(changes.active, Some(Some(false)));
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let changes = patch(json!({"Operations":[
            {"op":"Replace","path":"active","value":"False"},
            {"op":"Add","path":"emails[type eq \"work\"].value","value":"New@acme.example"},
            {"op":"Replace","path":"name.givenName","value":"Samuel"},
            {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
            {"op":"Remove","path":"title"}
        ]})).unwrap();
        assert_eq!(changes.active, Some(Some(false)));
        assert_eq!(
            changes.email,
            Some(MultiChange::Value(Some("New@acme.example".into())))
        );
        assert_eq!(changes.given_name, Some(Some("Samuel".into())));
        assert_eq!(changes.title, Some(None));
    }

    #[test]
    fn bad_patches_are_refused() {
        assert!(patch(json!({"Operations":[{"op":"explode","path":"active"}]})).is_err());
        assert!(
            patch(json!({"Operations":[{"op":"replace","path":"active","value":"maybe"}]}))
                .is_err()
        );
        assert!(patch(json!({"Operations":[{"op":"remove"}]})).is_err());
        assert!(
            patch(json!({"Operations":[{"op":"replace","path":"salary","value":"1"}]})).is_err()
        );
        assert!(patch(json!({"ops":[]})).is_err());
    }

    #[test]
    fn optional_attributes_can_be_removed() {
        let changes = patch(json!({"Operations":[
            {"op":"remove","path":"displayName"},
            {"op":"remove","path":"active"},
            {"op":"remove","path":"name"}
        ]}))
        .unwrap();
        assert_eq!(changes.display_name, Some(None));
        assert_eq!(changes.active, Some(None));
        assert_eq!(changes.formatted, Some(None));
        assert!(patch(json!({"Operations":[{"op":"remove","path":"userName"}]})).is_err());
        assert!(patch(json!({"Operations":[{"op":"remove","path":"emails"}]})).is_err());
    }

    #[test]
    fn unknown_attributes_of_objects_are_ignored() {
        let mut changes = Changes::default();
        apply_resource(
            &mut changes,
            &json!({"userName":"sam","nickName2":"x","name":{"givenName":"Sam","salutation":"Dr"}}),
        )
        .unwrap();
        assert_eq!(changes.given_name, Some(Some("Sam".into())));
    }

    #[test]
    fn types_and_primary_are_kept() {
        let mut changes = Changes::default();
        apply_resource(
            &mut changes,
            &json!({"phoneNumbers":[{"value":"555","type":"mobile","primary":false}]}),
        )
        .unwrap();
        assert_eq!(
            changes.phone,
            Some(MultiChange::Whole(Some(MultiValue {
                value: "555".into(),
                kind: Some("mobile".into()),
                primary: Some(false)
            })))
        );
    }

    #[test]
    fn resources_pick_the_primary_email() {
        let mut changes = Changes::replacing();
        apply_resource(
            &mut changes,
            &json!({"userName":"sam","emails":[
            {"value":"home@x.example","type":"home"},{"value":"work@x.example","primary":true}],
            "name":{"givenName":"Sam","familyName":"Seller"},"active":true}),
        )
        .unwrap();
        assert_eq!(
            changes.email,
            Some(MultiChange::Whole(Some(MultiValue {
                value: "work@x.example".into(),
                kind: None,
                primary: Some(true)
            })))
        );
        assert_eq!(changes.family_name, Some(Some("Seller".into())));
        assert_eq!(changes.title, Some(None));
    }
}
