//! `POST /composite`: up to 25 subrequests run in order, later ones naming earlier results
//! with `@{referenceId.path}`; with `allOrNone` a failure rolls every change back.

use crate::rest::{create, execute, sf_error, Ctx, RestRequest, RestResponse};
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const MAX_SUBREQUESTS: usize = 25;

pub fn run(ctx: &mut Ctx, req: &RestRequest) -> RestResponse {
    if req.method != Method::POST {
        return sf_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{}' not allowed. Allowed are POST", req.method),
            &[],
        );
    }
    let body = req.body.as_ref();
    let all_or_none = body
        .and_then(|b| b.get("allOrNone"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(subs) = body
        .and_then(|b| b.get("compositeRequest"))
        .and_then(Value::as_array)
    else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "compositeRequest (an array of subrequests) is required",
            &[],
        );
    };
    if subs.is_empty() || subs.len() > MAX_SUBREQUESTS {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_BATCH_REQUEST",
            format!(
                "A composite request takes 1 to {MAX_SUBREQUESTS} subrequests; this one has {}",
                subs.len()
            ),
            &[],
        );
    }
    let mut seen = Vec::new();
    for sub in subs {
        let reference = sub.get("referenceId").and_then(Value::as_str).unwrap_or("");
        let valid = reference
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || seen.contains(&reference) {
            return sf_error(
                StatusCode::BAD_REQUEST,
                "INVALID_BATCH_REQUEST",
                format!("Each subrequest needs a unique referenceId of letters, digits and underscores; got '{reference}'"),
                &[],
            );
        }
        seen.push(reference);
    }

    let snapshot = all_or_none.then(|| ctx.orgs[ctx.org_index].clone());
    let mut results: HashMap<String, Value> = HashMap::new();
    let mut responses: Vec<(String, RestResponse)> = Vec::new();
    let mut failed_at: Option<usize> = None;
    for (i, sub) in subs.iter().enumerate() {
        let reference = sub
            .get("referenceId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if all_or_none && failed_at.is_some() {
            responses.push((reference, rolled_back()));
            continue;
        }
        let response = run_one(ctx, sub, &results);
        if response.is_success() {
            results.insert(
                reference.clone(),
                response.body.clone().unwrap_or(Value::Null),
            );
        } else if failed_at.is_none() {
            failed_at = Some(i);
        }
        responses.push((reference, response));
    }
    if let (Some(failed), Some(snapshot)) = (failed_at, snapshot) {
        ctx.orgs[ctx.org_index] = snapshot;
        for (i, (_, response)) in responses.iter_mut().enumerate() {
            if i != failed {
                *response = rolled_back();
            }
        }
    }
    let out: Vec<Value> = responses
        .into_iter()
        .map(|(reference, r)| {
            let mut headers = Map::new();
            if let Some(location) = r.location {
                headers.insert("Location".into(), Value::String(location));
            }
            json!({
                "body": r.body.unwrap_or(Value::Null),
                "httpHeaders": headers,
                "httpStatusCode": r.status.as_u16(),
                "referenceId": reference,
            })
        })
        .collect();
    RestResponse::ok(json!({ "compositeResponse": out }))
}

fn rolled_back() -> RestResponse {
    sf_error(
        StatusCode::BAD_REQUEST,
        "PROCESSING_HALTED",
        "The transaction was rolled back since another operation in the same transaction failed.",
        &[],
    )
}

fn run_one(ctx: &mut Ctx, sub: &Value, results: &HashMap<String, Value>) -> RestResponse {
    let method = sub
        .get("method")
        .and_then(Value::as_str)
        .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok());
    let Some(method) = method else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_BATCH_REQUEST",
            "method must be GET, POST, PATCH or DELETE",
            &[],
        );
    };
    let url = match substitute_text(
        sub.get("url").and_then(Value::as_str).unwrap_or(""),
        results,
    ) {
        Ok(u) => u,
        Err(e) => return e,
    };
    let body = match sub
        .get("body")
        .map(|b| substitute_value(b, results))
        .transpose()
    {
        Ok(b) => b,
        Err(e) => return e,
    };
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let Some(rest) = path
        .strip_prefix("/services/data/v")
        .and_then(|p| p.split_once('/'))
        .map(|(_, rest)| rest.to_string())
    else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "INVALID_BATCH_REQUEST",
            format!("subrequest url must start with /services/data/vNN.N/: {url}"),
            &[],
        );
    };
    let query: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    execute(
        ctx,
        &RestRequest {
            method,
            path: rest.trim_matches('/').to_string(),
            query,
            body,
        },
    )
}

fn substitute_value(
    value: &Value,
    results: &HashMap<String, Value>,
) -> Result<Value, RestResponse> {
    Ok(match value {
        Value::String(s) => Value::String(substitute_text(s, results)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, results))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_value(v, results)?)))
                .collect::<Result<_, RestResponse>>()?,
        ),
        other => other.clone(),
    })
}

/// Replaces each `@{ref.path}` in a string with that value of an earlier subrequest's body.
fn substitute_text(text: &str, results: &HashMap<String, Value>) -> Result<String, RestResponse> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let expression = &after[..end];
        let value = lookup(expression, results).ok_or_else(|| {
            let reference = expression.split(['.', '[']).next().unwrap_or("");
            sf_error(
                StatusCode::BAD_REQUEST,
                "PROCESSING_HALTED",
                format!("Invalid reference specified. No value for {expression} found in {reference}. Provided referenceId ('{reference}') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_')."),
                &[],
            )
        })?;
        match value {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `ref.records[0].Id` → that value of the body stored under `ref`.
fn lookup(expression: &str, results: &HashMap<String, Value>) -> Option<Value> {
    let mut parts = expression.split('.');
    let mut current = results.get(parts.next()?)?;
    for part in parts {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
        if !name.is_empty() {
            current = current.get(name)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(n)?;
        }
    }
    (!current.is_null()).then(|| current.clone())
}

/// Most records `POST /composite/sobjects` takes at once.
pub const MAX_SOBJECT_RECORDS: usize = 200;

/// `POST /composite/sobjects {"allOrNone", "records": [{"attributes":{"type"}, …}]}`: creates
/// up to 200 records; answers one `{"id","success","errors"}` per record, in order.
pub fn sobjects(ctx: &mut Ctx, body: Option<&Value>) -> RestResponse {
    let all_or_none = body
        .and_then(|b| b.get("allOrNone"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(records) = body
        .and_then(|b| b.get("records"))
        .and_then(Value::as_array)
    else {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "records (an array of sObjects with attributes.type) is required",
            &[],
        );
    };
    if records.is_empty() || records.len() > MAX_SOBJECT_RECORDS {
        return sf_error(
            StatusCode::BAD_REQUEST,
            "EXCEEDED_ID_LIMIT",
            format!(
                "composite/sobjects takes 1 to {MAX_SOBJECT_RECORDS} records; this request has {}",
                records.len()
            ),
            &[],
        );
    }
    let snapshot = all_or_none.then(|| ctx.orgs[ctx.org_index].clone());
    let mut results = Vec::new();
    let mut failed = false;
    for record in records {
        let object = record
            .pointer("/attributes/type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let response = create(ctx, object, Some(record));
        let result = if response.is_success() {
            json!({"id": response.body.as_ref().and_then(|b| b.get("id")).cloned().unwrap_or(Value::Null), "success": true, "errors": []})
        } else {
            failed = true;
            let error = response
                .body
                .as_ref()
                .and_then(|b| b.get(0))
                .cloned()
                .unwrap_or(Value::Null);
            json!({"success": false, "errors": [{
                "statusCode": error.get("errorCode").cloned().unwrap_or(Value::Null),
                "message": error.get("message").cloned().unwrap_or(Value::Null),
                "fields": error.get("fields").cloned().unwrap_or(json!([])),
            }]})
        };
        results.push(result);
    }
    if let (true, Some(snapshot)) = (failed, snapshot) {
        ctx.orgs[ctx.org_index] = snapshot;
        for result in results.iter_mut().filter(|r| r["success"] == true) {
            *result = json!({"id": null, "success": false, "errors": [{
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
                "fields": [],
            }]});
        }
    }
    RestResponse::ok(Value::Array(results))
}
