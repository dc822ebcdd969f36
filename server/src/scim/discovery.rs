//! SCIM discovery (RFC 7644 §4): what this service provider supports, so IdPs configure
//! themselves. Authenticated like the rest of SCIM.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{scim_response, ScimAccount, ScimResult, LIST_SCHEMA, USER_SCHEMA};
use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(resource_types))
        .routes(routes!(schemas))
}

/// Supported features: PATCH and filtering yes; bulk, sorting, ETags and passwords no.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn service_provider_config(State(state): State<AppState>, _account: ScimAccount) -> Response {
    scim_response(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": format!("{}/openapi.json", state.settings.public_url),
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": 200},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A SCIM token issued by an account admin in Salespane (Admin → SCIM tokens).",
                "primary": true
            }],
            "meta": {"resourceType": "ServiceProviderConfig",
                "location": format!("{}/scim/v2/ServiceProviderConfig", state.settings.public_url)}
        }),
    )
}

fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "Salespane sales users",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/User")}
    })
}

/// The one resource type: User.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn resource_types(
    State(state): State<AppState>,
    _account: ScimAccount,
) -> ScimResult<Response> {
    Ok(scim_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
            "Resources": [user_resource_type(&state.settings.public_url)]
        }),
    ))
}

fn attribute(name: &str, kind: &str, required: bool, case_exact: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": case_exact, "mutability": "readWrite", "returned": "default",
        "uniqueness": uniqueness
    })
}

/// The User schema as Salespane keeps it.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn schemas(State(state): State<AppState>, _account: ScimAccount) -> ScimResult<Response> {
    let sub = |name: &str| {
        json!({"name": name, "type": "string", "multiValued": false, "required": false,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"})
    };
    let multi = |name: &str, required: bool| {
        json!({
            "name": name, "type": "complex", "multiValued": true, "required": required,
            "mutability": "readWrite", "returned": "default",
            "subAttributes": [sub("value"), sub("type"),
                {"name": "primary", "type": "boolean", "multiValued": false, "required": false,
                 "mutability": "readWrite", "returned": "default"}]
        })
    };
    let user_schema = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A Salespane sales user. Only these attributes are kept; others are accepted and ignored.",
        "attributes": [
            attribute("userName", "string", true, false, "server"),
            attribute("externalId", "string", false, true, "none"),
            {"name": "name", "type": "complex", "multiValued": false, "required": false,
             "mutability": "readWrite", "returned": "default",
             "subAttributes": [sub("formatted"), sub("givenName"), sub("familyName")]},
            attribute("displayName", "string", false, false, "none"),
            attribute("title", "string", false, false, "none"),
            {"name": "active", "type": "boolean", "multiValued": false, "required": false,
             "mutability": "readWrite", "returned": "default"},
            multi("emails", true),
            multi("phoneNumbers", false)
        ],
        "meta": {"resourceType": "Schema",
            "location": format!("{}/scim/v2/Schemas/{USER_SCHEMA}", state.settings.public_url)}
    });
    Ok(scim_response(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
            "Resources": [user_schema]
        }),
    ))
}
