//! Evaluates a parsed query against one org: validation against the schema, filtering,
//! ordering, paging and the Salesforce JSON shape of the records (relationships nested).

use super::parser::{parse, CmpOp, Cond, Literal, Query, Select};
use super::SoqlError;
use crate::schema::{FieldDef, FieldType, ObjectDef};
use crate::store::{Org, Record};
use salespane_api::sfid::SfId;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// What a query produced: all matching records (already shaped) or a count.
pub struct QueryResult {
    pub total_size: usize,
    pub records: Vec<Value>,
}

pub fn run(org: &Org, soql: &str, api_version: &str) -> Result<QueryResult, SoqlError> {
    let query = parse(soql)?;
    let object = org.object(&query.from).ok_or_else(|| SoqlError {
        code: "INVALID_TYPE",
        message: format!(
            "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.",
            query.from
        ),
    })?;
    validate(org, object, &query)?;
    let table = org.tables.get(object.name);
    let mut matches: Vec<&Record> = Vec::new();
    for record in table.into_iter().flat_map(|t| t.values()) {
        let keep = match &query.filter {
            Some(cond) => eval_cond(org, object, record, cond)?,
            None => true,
        };
        if keep {
            matches.push(record);
        }
    }
    if !query.order_by.is_empty() {
        matches.sort_by(|a, b| {
            for item in &query.order_by {
                let va = resolve(org, object, a, &item.field);
                let vb = resolve(org, object, b, &item.field);
                let ord = match (va.is_null(), vb.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => null_order(item.nulls_last),
                    (false, true) => null_order(item.nulls_last).reverse(),
                    (false, false) => {
                        let o = compare_values(&va, &vb);
                        if item.descending {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let offset = query.offset.unwrap_or(0);
    let limited: Vec<&Record> = matches
        .into_iter()
        .skip(offset)
        .take(query.limit.unwrap_or(usize::MAX))
        .collect();
    match &query.select {
        Select::Count => Ok(QueryResult {
            total_size: limited.len(),
            records: Vec::new(),
        }),
        Select::Fields(fields) => Ok(QueryResult {
            total_size: limited.len(),
            records: limited
                .iter()
                .map(|r| shape(org, object, r, fields, api_version))
                .collect(),
        }),
    }
}

fn null_order(nulls_last: bool) -> Ordering {
    if nulls_last {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

/// The field a path names, following relationships through the schema.
fn field_def<'a>(
    org: &'a Org,
    object: &'a ObjectDef,
    path: &[String],
) -> Result<&'a FieldDef, SoqlError> {
    let unknown = |name: &str, on: &str| {
        SoqlError {
        code: "INVALID_FIELD",
        message: format!("No such column '{name}' on entity '{on}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name."),
    }
    };
    match path {
        [] => Err(SoqlError::malformed("empty field path")),
        [name] => object.field(name).ok_or_else(|| unknown(name, object.name)),
        [rel, rest @ ..] => {
            let lookup = object
                .relationship(rel)
                .ok_or_else(|| unknown(rel, object.name))?;
            let FieldType::Reference(targets) = lookup.ty else {
                return Err(unknown(rel, object.name));
            };
            let mut last_err = unknown(&rest.join("."), targets.first().copied().unwrap_or("?"));
            for target in targets.iter() {
                if let Some(target_def) = org.object(target) {
                    match field_def(org, target_def, rest) {
                        Ok(def) => return Ok(def),
                        Err(e) => last_err = e,
                    }
                }
            }
            Err(last_err)
        }
    }
}

fn validate(org: &Org, object: &ObjectDef, query: &Query) -> Result<(), SoqlError> {
    if let Select::Fields(fields) = &query.select {
        for path in fields {
            field_def(org, object, path)?;
        }
    }
    for item in &query.order_by {
        field_def(org, object, &item.field)?;
    }
    if let Some(cond) = &query.filter {
        validate_cond(org, object, cond)?;
    }
    Ok(())
}

fn validate_cond(org: &Org, object: &ObjectDef, cond: &Cond) -> Result<(), SoqlError> {
    match cond {
        Cond::And(parts) | Cond::Or(parts) => {
            parts.iter().try_for_each(|c| validate_cond(org, object, c))
        }
        Cond::Not(inner) => validate_cond(org, object, inner),
        Cond::Compare { field, op, value } => {
            let def = field_def(org, object, field)?;
            check_literal(def, value)?;
            if *op == CmpOp::Like && !matches!(def.ty, FieldType::Text | FieldType::Id) {
                return Err(SoqlError {
                    code: "INVALID_QUERY_FILTER_OPERATOR",
                    message: format!(
                        "invalid operator on field '{}': LIKE needs a text field",
                        def.name
                    ),
                });
            }
            Ok(())
        }
        Cond::In { field, values, .. } => {
            let def = field_def(org, object, field)?;
            values.iter().try_for_each(|v| check_literal(def, v))
        }
    }
}

fn check_literal(def: &FieldDef, value: &Literal) -> Result<(), SoqlError> {
    let ok = matches!(
        (def.ty, value),
        (_, Literal::Null)
            | (
                FieldType::Text | FieldType::Id | FieldType::Reference(_),
                Literal::Str(_)
            )
            | (FieldType::Bool, Literal::Bool(_))
            | (FieldType::Number, Literal::Number(_))
            | (FieldType::Date, Literal::Date(_))
            | (FieldType::DateTime, Literal::DateTime(_))
    );
    if ok {
        return Ok(());
    }
    let expected = match def.ty {
        FieldType::Text | FieldType::Id | FieldType::Reference(_) => {
            "string and should be enclosed in quotes"
        }
        FieldType::Bool => "boolean (true or false)",
        FieldType::Number => "number",
        FieldType::Date => "date (YYYY-MM-DD, not quoted)",
        FieldType::DateTime => "dateTime (YYYY-MM-DDThh:mm:ssZ, not quoted)",
    };
    Err(SoqlError {
        code: "INVALID_QUERY_FILTER_OPERATOR",
        message: format!(
            "value of filter criterion for field '{}' must be of type {expected}",
            def.name
        ),
    })
}

/// The value a field path has on a record; `Null` when a lookup on the way is empty.
pub fn resolve(org: &Org, object: &ObjectDef, record: &Record, path: &[String]) -> Value {
    match path {
        [] => Value::Null,
        [name] => object
            .field(name)
            .and_then(|def| record.get(def.name).cloned())
            .unwrap_or(Value::Null),
        [rel, rest @ ..] => {
            let Some(lookup) = object.relationship(rel) else {
                return Value::Null;
            };
            let Some(target_id) = record.get(lookup.name).and_then(Value::as_str) else {
                return Value::Null;
            };
            match org.get(target_id) {
                Some((target_object, target)) => match org.object(target_object) {
                    Some(def) => resolve(org, def, target, rest),
                    None => Value::Null,
                },
                None => Value::Null,
            }
        }
    }
}

/// Removes SOQL's backslash escapes (kept by the lexer for LIKE).
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn normalize_id(s: &str) -> String {
    SfId::parse(s)
        .map(|id| id.to_string().to_ascii_lowercase())
        .unwrap_or_else(|_| s.to_ascii_lowercase())
}

/// Compares a record value with a literal: `None` when they are not comparable (SOQL then
/// treats the row as not matching).
fn compare_literal(def: &FieldDef, value: &Value, literal: &Literal) -> Option<Ordering> {
    match (value, literal) {
        (Value::String(v), Literal::Str(l)) => Some(match def.ty {
            FieldType::Id | FieldType::Reference(_) => {
                normalize_id(v).cmp(&normalize_id(&plain(l)))
            }
            _ => v.to_lowercase().cmp(&plain(l).to_lowercase()),
        }),
        (Value::String(v), Literal::Date(l)) => Some(v.as_str().cmp(l.as_str())),
        // Date fields hold `YYYY-MM-DD`, datetime fields the canonical UTC form: both sort as text.
        (Value::String(v), Literal::DateTime(l)) => Some(v.as_str().cmp(l.as_str())),
        (Value::Number(v), Literal::Number(l)) => v.as_f64()?.partial_cmp(l),
        (Value::Bool(v), Literal::Bool(l)) => Some(v.cmp(l)),
        _ => None,
    }
}

fn eval_cond(
    org: &Org,
    object: &ObjectDef,
    record: &Record,
    cond: &Cond,
) -> Result<bool, SoqlError> {
    Ok(match cond {
        Cond::And(parts) => {
            for p in parts {
                if !eval_cond(org, object, record, p)? {
                    return Ok(false);
                }
            }
            true
        }
        Cond::Or(parts) => {
            for p in parts {
                if eval_cond(org, object, record, p)? {
                    return Ok(true);
                }
            }
            false
        }
        Cond::Not(inner) => !eval_cond(org, object, record, inner)?,
        Cond::Compare { field, op, value } => {
            let def = field_def(org, object, field)?;
            let actual = resolve(org, object, record, field);
            match (op, value) {
                (CmpOp::Eq, Literal::Null) => actual.is_null(),
                (CmpOp::Ne, Literal::Null) => !actual.is_null(),
                (_, Literal::Null) => false,
                (CmpOp::Like, Literal::Str(pattern)) => actual
                    .as_str()
                    .is_some_and(|text| like(&text.to_lowercase(), &pattern.to_lowercase())),
                (CmpOp::Ne, _) if actual.is_null() => true,
                (op, _) => match compare_literal(def, &actual, value) {
                    Some(ord) => match op {
                        CmpOp::Eq => ord == Ordering::Equal,
                        CmpOp::Ne => ord != Ordering::Equal,
                        CmpOp::Lt => ord == Ordering::Less,
                        CmpOp::Le => ord != Ordering::Greater,
                        CmpOp::Gt => ord == Ordering::Greater,
                        CmpOp::Ge => ord != Ordering::Less,
                        CmpOp::Like => false,
                    },
                    None => false,
                },
            }
        }
        Cond::In {
            field,
            values,
            negated,
        } => {
            let def = field_def(org, object, field)?;
            let actual = resolve(org, object, record, field);
            let found = values.iter().any(|v| match v {
                Literal::Null => actual.is_null(),
                _ => compare_literal(def, &actual, v) == Some(Ordering::Equal),
            });
            found != *negated
        }
    })
}

/// SOQL LIKE: `%` any run, `_` one character, backslash escapes the next character.
pub fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Lit(chars.next().unwrap_or('\\')),
            c => P::Lit(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match parts.get(p) {
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    parts[p..].iter().all(|x| *x == P::Any)
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

pub fn attributes(object: &str, id: Option<&str>, api_version: &str) -> Value {
    let mut attrs = Map::new();
    attrs.insert("type".into(), Value::String(object.to_string()));
    if let Some(id) = id {
        attrs.insert(
            "url".into(),
            Value::String(format!(
                "/services/data/v{api_version}/sobjects/{object}/{id}"
            )),
        );
    }
    Value::Object(attrs)
}

/// A record as the query API returns it: `attributes`, then the selected fields in order,
/// relationship fields nested under the relationship name (or `null`).
fn shape(
    org: &Org,
    object: &ObjectDef,
    record: &Record,
    fields: &[Vec<String>],
    api_version: &str,
) -> Value {
    let mut out = Map::new();
    let id = record.get("Id").and_then(Value::as_str);
    out.insert(
        "attributes".into(),
        attributes(object.name, id, api_version),
    );
    for path in fields {
        insert_path(org, object, record, path, &mut out, api_version);
    }
    Value::Object(out)
}

fn insert_path(
    org: &Org,
    object: &ObjectDef,
    record: &Record,
    path: &[String],
    out: &mut Map<String, Value>,
    api_version: &str,
) {
    match path {
        [] => {}
        [name] => {
            if let Some(def) = object.field(name) {
                out.insert(
                    def.name.to_string(),
                    record.get(def.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        [rel, rest @ ..] => {
            let Some(lookup) = object.relationship(rel) else {
                return;
            };
            let Some(rel_name) = lookup.relationship_name() else {
                return;
            };
            let target = record
                .get(lookup.name)
                .and_then(Value::as_str)
                .and_then(|id| org.get(id))
                .and_then(|(name, rec)| org.object(name).map(|def| (def, rec)));
            match target {
                None => {
                    out.insert(rel_name.to_string(), Value::Null);
                }
                Some((def, rec)) => {
                    let entry = out.entry(rel_name.to_string()).or_insert_with(|| {
                        let mut m = Map::new();
                        m.insert(
                            "attributes".into(),
                            attributes(
                                def.name,
                                rec.get("Id").and_then(Value::as_str),
                                api_version,
                            ),
                        );
                        Value::Object(m)
                    });
                    if let Value::Object(nested) = entry {
                        insert_path(org, def, rec, rest, nested, api_version);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{self, seeded_orgs};

    fn acme() -> Org {
        seeded_orgs("http://sandbox.test").remove(0)
    }

    fn ids(result: &QueryResult) -> Vec<String> {
        result
            .records
            .iter()
            .map(|r| r["Id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn like_matches_wildcards_and_escapes() {
        assert!(like("jane.prospect@northwind.example", "%northwind%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "a_"));
        assert!(like("a%c", "a\\%c"));
        assert!(!like("abc", "a\\%c"));
        assert!(like("", "%"));
        assert!(like("mississippi", "%iss%ppi"));
    }

    #[test]
    fn filters_with_relationships_and_case_insensitive_text() {
        let org = acme();
        let r = run(
            &org,
            "SELECT Id, Username, Profile.Name, Profile.PermissionsApiEnabled FROM User \
             WHERE Profile.PermissionsApiEnabled = false",
            "66.0",
        )
        .unwrap();
        assert_eq!(r.total_size, 1);
        assert_eq!(r.records[0]["Username"], seed::ACME_NO_API);
        assert_eq!(r.records[0]["Profile"]["Name"], seed::PROFILE_NO_API);
        assert_eq!(r.records[0]["Profile"]["attributes"]["type"], "Profile");
        let r = run(
            &org,
            "SELECT Id FROM Lead WHERE Email = 'JANE.PROSPECT@northwind.example'",
            "66.0",
        )
        .unwrap();
        assert_eq!(
            ids(&r),
            vec![seed::find_seeded("Lead", "Email", seed::LEAD_JANE_EMAIL)
                .unwrap()
                .to_string()]
        );
    }

    #[test]
    fn counts_orders_and_pages() {
        let org = acme();
        let active = run(
            &org,
            "SELECT COUNT() FROM User WHERE IsActive = true AND UserType = 'Standard'",
            "66.0",
        )
        .unwrap();
        assert_eq!(active.total_size, seed::ACME_USER_COUNT - 1);
        assert!(active.records.is_empty());
        let page = run(
            &org,
            "SELECT Username FROM User ORDER BY Username DESC LIMIT 3 OFFSET 1",
            "66.0",
        )
        .unwrap();
        let names: Vec<&str> = page
            .records
            .iter()
            .map(|r| r["Username"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            vec![
                "sara.rep@acme.example",
                "sam.seller@acme.example",
                "rep40@acme.example"
            ]
        );
        let opps = run(
            &org,
            "SELECT Name, Account.Name FROM Opportunity WHERE Amount >= 90000 ORDER BY Amount",
            "66.0",
        )
        .unwrap();
        assert_eq!(opps.records[0]["Account"]["Name"], "Umbrella Health");
        assert_eq!(opps.records[1]["Name"], "Contoso Expansion");
    }

    #[test]
    fn dates_in_and_not_and_null_lookups() {
        let org = acme();
        let r = run(&org, "SELECT Id FROM Opportunity WHERE CloseDate < 2027-01-01 AND NOT StageName IN ('Closed Won')", "66.0").unwrap();
        assert_eq!(r.total_size, 2);
        let r = run(
            &org,
            "SELECT Id, Account.Name FROM Contact WHERE AccountId = null",
            "66.0",
        )
        .unwrap();
        assert_eq!(r.total_size, 2);
        assert!(r.records[0]["Account"].is_null());
        let r = run(
            &org,
            "SELECT Id FROM User WHERE CreatedDate > 2026-01-05T09:00:00Z",
            "66.0",
        )
        .unwrap();
        assert_eq!(r.total_size, seed::ACME_USER_COUNT);
        let r = run(
            &org,
            "SELECT Id FROM User WHERE CreatedDate > 2030-01-05T09:00:00+01:00",
            "66.0",
        )
        .unwrap();
        assert_eq!(r.total_size, 0);
    }

    #[test]
    fn schema_errors_have_salesforce_codes() {
        let org = acme();
        let err = |q: &str| run(&org, q, "66.0").err().map(|e| e.code);
        assert_eq!(err("SELECT Id FROM Widget"), Some("INVALID_TYPE"));
        assert_eq!(err("SELECT Nope FROM Lead"), Some("INVALID_FIELD"));
        assert_eq!(err("SELECT Owner.Nope FROM Lead"), Some("INVALID_FIELD"));
        assert_eq!(
            err("SELECT Id FROM Lead WHERE Email = 5"),
            Some("INVALID_QUERY_FILTER_OPERATOR")
        );
        assert_eq!(
            err("SELECT Id FROM Lead WHERE IsConverted = 'x'"),
            Some("INVALID_QUERY_FILTER_OPERATOR")
        );
        assert_eq!(err("SELECT Id FROM Lead WHERE"), Some("MALFORMED_QUERY"));
    }

    #[test]
    fn injected_quotes_stay_inside_the_literal() {
        let org = acme();
        // What an escaping client sends for the search text `x' OR Name LIKE '%`.
        let r = run(
            &org,
            "SELECT Id FROM User WHERE Name LIKE '%x\\' OR Name LIKE \\'\\%%'",
            "66.0",
        )
        .unwrap();
        assert_eq!(r.total_size, 0);
    }
}
