//! The REST API under `/services/data/vNN.N/`: query (with cursors), sObject rows, composite.
//! Requests run against the caller's org only; errors are Salesforce's
//! `[{"message","errorCode","fields"}]`.

use crate::composite;
use crate::schema::{FieldDef, FieldType, ObjectDef};
use crate::soql::eval::{attributes, run};
use crate::state::{Cursor, Cursors, Sandbox};
use crate::store::{
    apply_defaults, derive_fields, format_datetime, make_id, now_string, Org, Record,
};
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use salespane_api::sfid::SfId;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Rows per query page unless `Sforce-Query-Options: batchSize=N` asks otherwise. Salesforce
/// accepts 200..=2000; the sandbox accepts 1..=2000 so tests can page through small sets.
pub const DEFAULT_BATCH_SIZE: usize = 2000;

pub struct RestRequest {
    pub method: Method,
    /// Path after `/services/data/vNN.N/`, without leading slash.
    pub path: String,
    pub query: HashMap<String, String>,
    pub body: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct RestResponse {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub location: Option<String>,
}

impl RestResponse {
    pub fn ok(body: Value) -> RestResponse {
        RestResponse {
            status: StatusCode::OK,
            body: Some(body),
            location: None,
        }
    }

    pub fn no_content() -> RestResponse {
        RestResponse {
            status: StatusCode::NO_CONTENT,
            body: None,
            location: None,
        }
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    pub fn into_http(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        if let Some(location) = &self.location {
            builder = builder.header(header::LOCATION, location);
        }
        let body = match self.body {
            Some(v) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json;charset=UTF-8");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        builder
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

pub fn sf_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    fields: &[&str],
) -> RestResponse {
    RestResponse {
        status,
        body: Some(json!([{"message": message.into(), "errorCode": code, "fields": fields}])),
        location: None,
    }
}

fn not_found() -> RestResponse {
    sf_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
        &[],
    )
}

/// What one request may touch: the caller's org, as the caller.
pub struct Ctx<'a> {
    pub orgs: &'a mut Vec<Org>,
    pub org_index: usize,
    pub user_id: String,
    pub version: String,
    pub cursors: &'a mut Cursors,
    pub batch_size: usize,
}

impl Ctx<'_> {
    fn org(&self) -> &Org {
        &self.orgs[self.org_index]
    }
    fn org_mut(&mut self) -> &mut Org {
        &mut self.orgs[self.org_index]
    }
}

pub async fn handle(
    State(s): State<Arc<Sandbox>>,
    method: Method,
    Path((version, rest)): Path<(String, String)>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(version) = version
        .strip_prefix('v')
        .filter(|v| v.parse::<f32>().is_ok())
    else {
        return not_found().into_http();
    };
    let Some(caller) = s.caller_from_headers(&headers).await else {
        return RestResponse {
            status: StatusCode::UNAUTHORIZED,
            body: Some(json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])),
            location: None,
        }
        .into_http();
    };
    if !s.api_enabled(&caller).await {
        return sf_error(
            StatusCode::FORBIDDEN,
            "API_CURRENTLY_DISABLED",
            "API is disabled for this User",
            &[],
        )
        .into_http();
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                return sf_error(
                    StatusCode::BAD_REQUEST,
                    "JSON_PARSER_ERROR",
                    format!("The request body is not valid JSON: {e}"),
                    &[],
                )
                .into_http()
            }
        }
    };
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let batch_size = batch_size(&headers);
    let mut orgs = s.orgs.write().await;
    let mut cursors = s.cursors.lock().await;
    let Some(org_index) = orgs.iter().position(|o| o.id.as_str() == caller.org_id) else {
        return not_found().into_http();
    };
    let mut ctx = Ctx {
        orgs: &mut orgs,
        org_index,
        user_id: caller.user_id.clone(),
        version: version.to_string(),
        cursors: &mut cursors,
        batch_size,
    };
    let request = RestRequest {
        method,
        path: rest.trim_matches('/').to_string(),
        query,
        body,
    };
    if request.path == "composite" {
        return composite::run(&mut ctx, &request).into_http();
    }
    execute(&mut ctx, &request).into_http()
}

fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("Sforce-Query-Options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',').find_map(|part| {
                let (k, n) = part.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("batchSize"))
                    .then(|| n.trim().parse::<usize>().ok())?
            })
        })
        .map(|n| n.clamp(1, DEFAULT_BATCH_SIZE))
        .unwrap_or(DEFAULT_BATCH_SIZE)
}

/// One REST call (also each composite subrequest).
pub fn execute(ctx: &mut Ctx, req: &RestRequest) -> RestResponse {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let m = &req.method;
    match segments.as_slice() {
        [] if m == Method::GET => RestResponse::ok(json!({
            "sobjects": format!("/services/data/v{}/sobjects", ctx.version),
            "query": format!("/services/data/v{}/query", ctx.version),
            "composite": format!("/services/data/v{}/composite", ctx.version),
        })),
        ["query"] if m == Method::GET => match req.query.get("q") {
            Some(q) => query(ctx, q),
            None => sf_error(
                StatusCode::BAD_REQUEST,
                "MALFORMED_QUERY",
                "SOQL statement cannot be empty: pass it as q",
                &[],
            ),
        },
        ["query", locator] if m == Method::GET => query_more(ctx, locator),
        ["sobjects", object] if m == Method::POST => create(ctx, object, req.body.as_ref()),
        ["sobjects", object, id] if m == Method::GET => {
            get_record(ctx, object, id, req.query.get("fields").map(String::as_str))
        }
        ["sobjects", object, id] if m == Method::PATCH => {
            update(ctx, object, id, req.body.as_ref())
        }
        ["sobjects", object, id] if m == Method::DELETE => delete(ctx, object, id),
        ["composite", "sobjects"] if m == Method::POST => {
            composite::sobjects(ctx, req.body.as_ref())
        }
        ["query"]
        | ["query", _]
        | ["sobjects", _]
        | ["sobjects", _, _]
        | ["composite"]
        | ["composite", "sobjects"] => sf_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{m}' not allowed for this resource"),
            &[],
        ),
        _ => not_found(),
    }
}

fn query(ctx: &mut Ctx, soql: &str) -> RestResponse {
    let result = match run(ctx.org(), soql, &ctx.version) {
        Ok(r) => r,
        Err(e) => return sf_error(StatusCode::BAD_REQUEST, e.code, e.message, &[]),
    };
    let total = result.total_size;
    let mut records = result.records;
    if records.len() <= ctx.batch_size {
        return RestResponse::ok(json!({"totalSize": total, "done": true, "records": records}));
    }
    let rest = records.split_off(ctx.batch_size);
    ctx.cursors.counter += 1;
    let locator = make_id("01g", ctx.org().pod, ctx.cursors.counter)
        .short()
        .to_string();
    let batch = ctx.batch_size;
    let mut all = records.clone();
    all.extend(rest);
    ctx.cursors.insert(
        locator.clone(),
        Cursor {
            org_id: ctx.org().id.to_string(),
            records: all,
            batch_size: batch,
        },
    );
    RestResponse::ok(json!({
        "totalSize": total,
        "done": false,
        "nextRecordsUrl": format!("/services/data/v{}/query/{locator}-{batch}", ctx.version),
        "records": records,
    }))
}

fn query_more(ctx: &mut Ctx, locator: &str) -> RestResponse {
    let invalid = || {
        sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
            &[],
        )
    };
    let Some((id, offset)) = locator.rsplit_once('-') else {
        return invalid();
    };
    let Ok(offset) = offset.parse::<usize>() else {
        return invalid();
    };
    let org_id = ctx.org().id.to_string();
    let Some(cursor) = ctx.cursors.by_id.get(id).filter(|c| c.org_id == org_id) else {
        return invalid();
    };
    let end = (offset + cursor.batch_size).min(cursor.records.len());
    let page: Vec<Value> = cursor
        .records
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({"totalSize": cursor.records.len(), "done": end >= cursor.records.len(), "records": page});
    if end < cursor.records.len() {
        body["nextRecordsUrl"] =
            Value::String(format!("/services/data/v{}/query/{id}-{end}", ctx.version));
    }
    RestResponse::ok(body)
}

/// The object definition for a URL's type name (case-insensitive); `None` → 404.
fn object_name(org: &Org, object: &str) -> Option<&'static str> {
    org.object(object).map(|o| o.name)
}

fn record_json(object: &ObjectDef, record: &Record, fields: Option<&str>, version: &str) -> Value {
    let mut out = Map::new();
    let id = record.get("Id").and_then(Value::as_str);
    out.insert("attributes".into(), attributes(object.name, id, version));
    let wanted: Option<Vec<String>> = fields.map(|f| {
        f.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    });
    for def in &object.fields {
        if wanted
            .as_ref()
            .is_some_and(|w| !w.contains(&def.name.to_ascii_lowercase()))
        {
            continue;
        }
        out.insert(
            def.name.to_string(),
            record.get(def.name).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn get_record(ctx: &mut Ctx, object: &str, id: &str, fields: Option<&str>) -> RestResponse {
    let org = ctx.org();
    let Some(name) = object_name(org, object) else {
        return not_found();
    };
    let Some(def) = org.object(name) else {
        return not_found();
    };
    if let Some(list) = fields {
        if let Some(bad) = list
            .split(',')
            .map(str::trim)
            .find(|f| def.field(f).is_none())
        {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                format!("No such column '{bad}' on sobject of type {name}"),
                &[],
            );
        }
    }
    let Ok(id) = SfId::parse(id) else {
        return not_found();
    };
    match org.tables.get(name).and_then(|t| t.get(id.as_str())) {
        Some(record) => RestResponse::ok(record_json(def, record, fields, &ctx.version)),
        None => not_found(),
    }
}

/// Checks and converts the fields of a create or update body.
fn validate_fields(
    org: &Org,
    def: &ObjectDef,
    body: Option<&Value>,
    creating: bool,
) -> Result<Record, RestResponse> {
    let Some(Value::Object(input)) = body else {
        return Err(sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body must be a JSON object of field values",
            &[],
        ));
    };
    let mut out = Record::new();
    for (key, value) in input {
        if key == "attributes" {
            continue;
        }
        let Some(field) = def.field(key) else {
            return Err(sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {}", def.name),
                &[],
            ));
        };
        let allowed = if creating {
            field.createable
        } else {
            field.updateable
        };
        if !allowed {
            return Err(sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!("Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", field.name),
                &[field.name],
            ));
        }
        out.insert(field.name.to_string(), coerce(org, field, value)?);
    }
    Ok(out)
}

fn coerce(org: &Org, field: &FieldDef, value: &Value) -> Result<Value, RestResponse> {
    let wrong = |expected: &str| {
        sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!(
                "Cannot deserialize value for field {}: expected {expected}, got {value}",
                field.name
            ),
            &[field.name],
        )
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    match field.ty {
        FieldType::Text | FieldType::Id => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(wrong("a string")),
        },
        FieldType::Bool => value
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong("true or false")),
        FieldType::Number => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| wrong("a number")),
            _ => Err(wrong("a number")),
        },
        FieldType::Date => {
            let text = value.as_str().ok_or_else(|| wrong("a date YYYY-MM-DD"))?;
            let date = text
                .get(..10)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            date.map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .ok_or_else(|| wrong("a date YYYY-MM-DD"))
        }
        FieldType::DateTime => {
            let text = value.as_str().ok_or_else(|| wrong("a datetime"))?;
            // Salesforce writes +0000 without a colon; accept it and RFC 3339.
            chrono::DateTime::parse_from_rfc3339(text)
                .or_else(|_| chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map(|t| Value::String(format_datetime(t.with_timezone(&chrono::Utc))))
                .map_err(|_| wrong("a datetime like 2026-11-23T10:00:00.000+0000"))
        }
        FieldType::Reference(targets) => {
            let text = value.as_str().ok_or_else(|| wrong("a record id"))?;
            let id = SfId::parse(text).map_err(|_| {
                sf_error(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED_ID",
                    format!("{}: id value of incorrect type: {text}", field.name),
                    &[field.name],
                )
            })?;
            match org.get(id.as_str()) {
                Some((object, _)) if targets.contains(&object) || targets.is_empty() => {
                    Ok(Value::String(id.to_string()))
                }
                Some(_) => Err(sf_error(
                    StatusCode::BAD_REQUEST,
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!("{}: id value of incorrect type: {text}", field.name),
                    &[field.name],
                )),
                None => Err(sf_error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("invalid cross reference id: {text}"),
                    &[field.name],
                )),
            }
        }
    }
}

pub(crate) fn create(ctx: &mut Ctx, object: &str, body: Option<&Value>) -> RestResponse {
    let org = ctx.org();
    let Some(name) = object_name(org, object) else {
        return not_found();
    };
    let Some(def) = org.object(name) else {
        return not_found();
    };
    if !def.writable {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be inserted: {name}"),
            &[],
        );
    }
    let mut fields = match validate_fields(org, def, body, true) {
        Ok(f) => f,
        Err(e) => return e,
    };
    apply_defaults(name, &mut fields);
    let missing: Vec<&str> = def
        .fields
        .iter()
        .filter(|f| f.required && !fields.get(f.name).is_some_and(|v| !v.is_null() && v != ""))
        .map(|f| f.name)
        .collect();
    if !missing.is_empty() {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            &missing,
        );
    }
    if name == "User" {
        if let Some(err) = duplicate_username(ctx.orgs, fields.get("Username"), None) {
            return err;
        }
    }
    let now = now_string();
    let actor = ctx.user_id.clone();
    if name == "EmailMessage" && !fields.get("ActivityId").is_some_and(Value::is_string) {
        // Salesforce creates the Task behind an email itself (outside cases).
        let task = email_task(ctx.org(), &fields, &actor);
        let task_id = ctx.org_mut().insert("Task", task, &actor, &now);
        fields.insert("ActivityId".into(), Value::String(task_id.to_string()));
    }
    let id = ctx.org_mut().insert(name, fields, &actor, &now);
    RestResponse {
        status: StatusCode::CREATED,
        body: Some(json!({"id": id.as_str(), "success": true, "errors": []})),
        location: Some(format!(
            "/services/data/v{}/sobjects/{name}/{id}",
            ctx.version
        )),
    }
}

fn email_task(org: &Org, email: &Record, actor: &str) -> Record {
    let subject = email.get("Subject").and_then(Value::as_str).unwrap_or("");
    let mut task = Record::new();
    task.insert("Subject".into(), json!(format!("Email: {subject}")));
    task.insert("TaskSubtype".into(), json!("Email"));
    task.insert("Type".into(), json!("Email"));
    task.insert("Status".into(), json!("Completed"));
    task.insert("Priority".into(), json!("Normal"));
    task.insert("OwnerId".into(), json!(actor));
    let date = email
        .get("MessageDate")
        .and_then(Value::as_str)
        .and_then(|d| d.get(..10))
        .map(str::to_string)
        .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string());
    task.insert("ActivityDate".into(), json!(date));
    if let Some(body) = email.get("TextBody") {
        task.insert("Description".into(), body.clone());
    }
    if let Some(related) = email.get("RelatedToId").and_then(Value::as_str) {
        match org.object_of_id(related) {
            Some("Lead" | "Contact") => {
                task.insert("WhoId".into(), json!(related));
            }
            Some("Account" | "Opportunity") => {
                task.insert("WhatId".into(), json!(related));
            }
            _ => {}
        }
    }
    derive_fields("Task", &mut task);
    task
}

fn duplicate_username(
    orgs: &[Org],
    username: Option<&Value>,
    except: Option<&str>,
) -> Option<RestResponse> {
    let username = username?.as_str()?;
    let taken = orgs.iter().any(|o| {
        o.user_by_username(username)
            .is_some_and(|u| u.get("Id").and_then(Value::as_str) != except)
    });
    taken.then(|| {
        sf_error(
            StatusCode::BAD_REQUEST,
            "DUPLICATE_USERNAME",
            "Duplicate Username.The username already exists in this or another Salesforce organization. Usernames must be unique across all Salesforce organizations.",
            &["Username"],
        )
    })
}

fn update(ctx: &mut Ctx, object: &str, id: &str, body: Option<&Value>) -> RestResponse {
    let org = ctx.org();
    let Some(name) = object_name(org, object) else {
        return not_found();
    };
    let Some(def) = org.object(name) else {
        return not_found();
    };
    if !def.writable {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be updated: {name}"),
            &[],
        );
    }
    let Ok(id) = SfId::parse(id) else {
        return not_found();
    };
    let Some(current) = org.tables.get(name).and_then(|t| t.get(id.as_str())) else {
        return not_found();
    };
    let fields = match validate_fields(org, def, body, false) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if name == "EmailMessage" && current.get("Status").and_then(Value::as_str) != Some("5") {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "FIELD_INTEGRITY_EXCEPTION",
            "An email message can be edited only while it is a draft (Status '5'). Create it as a draft, then set Status to '3' (sent).",
            &[],
        );
    }
    if name == "User" {
        if let Some(err) = duplicate_username(ctx.orgs, fields.get("Username"), Some(id.as_str())) {
            return err;
        }
    }
    if let Some(missing) = def
        .fields
        .iter()
        .find(|f| f.required && fields.get(f.name).is_some_and(|v| v.is_null() || v == ""))
    {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.name),
            &[missing.name],
        );
    }
    let now = now_string();
    let actor = ctx.user_id.clone();
    if let Some(record) = ctx.org_mut().get_mut(id.as_str()) {
        record.extend(fields);
        record.insert("LastModifiedById".into(), Value::String(actor));
        record.insert("LastModifiedDate".into(), Value::String(now.clone()));
        record.insert("SystemModstamp".into(), Value::String(now));
        derive_fields(name, record);
    }
    RestResponse::no_content()
}

fn delete(ctx: &mut Ctx, object: &str, id: &str) -> RestResponse {
    let org = ctx.org();
    let Some(name) = object_name(org, object) else {
        return not_found();
    };
    let Some(def) = org.object(name) else {
        return not_found();
    };
    if !def.writable || name == "User" {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE_FOR_OPERATION",
            format!("entity type cannot be deleted: {name}"),
            &[],
        );
    }
    let Ok(id) = SfId::parse(id) else {
        return not_found();
    };
    match ctx
        .org_mut()
        .tables
        .get_mut(name)
        .and_then(|t| t.remove(id.as_str()))
    {
        Some(_) => RestResponse::no_content(),
        None => not_found(),
    }
}
