//! SCIM discovery (RFC 7644 §4): what this service provider supports, so IdPs configure
//! themselves. Authenticated like the rest of SCIM. The schemas published here are exactly
//! what `users` and `patch` accept: what they require is marked required, nothing more.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{scim_response, ScimAccount, ScimError, ScimResult, LIST_SCHEMA, USER_SCHEMA};
use crate::app::AppState;

const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(resource_types))
        .routes(routes!(resource_type))
        .routes(routes!(schemas))
        .routes(routes!(schema))
}

/// Supported features: PATCH and filtering yes; bulk, sorting, ETags and passwords no.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn service_provider_config(State(state): State<AppState>, _account: ScimAccount) -> Response {
    scim_response(
        StatusCode::OK,
        &json!({
            "schemas": [CONFIG_SCHEMA],
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
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "Salespane sales users",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/User")}
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(),
        "Resources": resources
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
        &list(vec![user_resource_type(&state.settings.public_url)]),
    ))
}

/// One resource type by id (`User`).
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path, description = "Resource type id: User")),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn resource_type(
    State(state): State<AppState>,
    _account: ScimAccount,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ScimResult<Response> {
    if id != "User" {
        return Err(ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            format!(
                "No resource type {}: this service provider has User only.",
                crate::provisioning::profile::clip(&id)
            ),
        ));
    }
    Ok(scim_response(
        StatusCode::OK,
        &user_resource_type(&state.settings.public_url),
    ))
}

/// A simple (non-complex) attribute definition.
fn simple(name: &str, kind: &str, required: bool) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": "none", "description": name
    })
}

fn with(mut attribute: Value, changes: Value) -> Value {
    if let (Some(target), Value::Object(changes)) = (attribute.as_object_mut(), changes) {
        target.extend(changes);
    }
    attribute
}

fn complex(name: &str, multi_valued: bool, required: bool, sub: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": multi_valued, "required": required,
        "mutability": "readWrite", "returned": "default", "uniqueness": "none",
        "description": name, "subAttributes": sub
    })
}

fn read_only(attribute: Value) -> Value {
    with(attribute, json!({"mutability": "readOnly"}))
}

/// The User schema as Salespane keeps it.
fn user_schema() -> Value {
    let contact = |name: &str| {
        complex(
            name,
            true,
            name == "emails",
            vec![
                simple("value", "string", true),
                simple("type", "string", false),
                simple("primary", "boolean", false),
            ],
        )
    };
    json!({
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A Salespane sales user. userName and one email (emails[].value) are required; only the attributes listed here are kept, and others sent in a resource or a path-less PATCH value are ignored (a PATCH path naming one is refused with invalidPath). Of several emails or phone numbers, the primary one (else the work one, else the first) is kept, with its type and primary as sent. Removing active deactivates the user.",
        "attributes": [
            with(simple("userName", "string", true), json!({"uniqueness": "server"})),
            with(simple("externalId", "string", false), json!({"caseExact": true})),
            complex("name", false, false, vec![
                simple("formatted", "string", false),
                simple("familyName", "string", false),
                simple("givenName", "string", false),
            ]),
            simple("displayName", "string", false),
            simple("title", "string", false),
            simple("active", "boolean", false),
            contact("emails"),
            contact("phoneNumbers"),
        ]
    })
}

/// RFC 7643 §5: the ServiceProviderConfig schema (the parts this server answers with).
fn config_schema() -> Value {
    let supported = |name: &str, more: Vec<Value>| {
        let mut sub = vec![read_only(simple("supported", "boolean", true))];
        sub.extend(more);
        read_only(complex(name, false, true, sub))
    };
    json!({
        "id": CONFIG_SCHEMA,
        "name": "ServiceProviderConfig",
        "description": "Schema for representing the service provider's configuration",
        "attributes": [
            read_only(with(simple("documentationUri", "reference", false), json!({"referenceTypes": ["external"]}))),
            supported("patch", vec![]),
            supported("bulk", vec![
                read_only(simple("maxOperations", "integer", true)),
                read_only(simple("maxPayloadSize", "integer", true)),
            ]),
            supported("filter", vec![read_only(simple("maxResults", "integer", true))]),
            supported("changePassword", vec![]),
            supported("sort", vec![]),
            supported("etag", vec![]),
            read_only(complex("authenticationSchemes", true, true, vec![
                read_only(simple("type", "string", true)),
                read_only(simple("name", "string", true)),
                read_only(simple("description", "string", true)),
                read_only(simple("primary", "boolean", false)),
            ])),
        ]
    })
}

/// RFC 7643 §6: the ResourceType schema.
fn resource_type_schema() -> Value {
    json!({
        "id": RESOURCE_TYPE_SCHEMA,
        "name": "ResourceType",
        "description": "Specifies the schema that describes a SCIM resource type",
        "attributes": [
            read_only(simple("id", "string", false)),
            read_only(simple("name", "string", true)),
            read_only(simple("description", "string", false)),
            read_only(with(simple("endpoint", "reference", true), json!({"referenceTypes": ["uri"]}))),
            read_only(with(simple("schema", "reference", true), json!({"referenceTypes": ["uri"], "caseExact": true}))),
            read_only(complex("schemaExtensions", true, false, vec![
                read_only(with(simple("schema", "reference", true), json!({"referenceTypes": ["uri"], "caseExact": true}))),
                read_only(simple("required", "boolean", true)),
            ])),
        ]
    })
}

/// RFC 7643 §7: the Schema schema.
fn schema_schema() -> Value {
    let attribute_fields = |with_sub: bool| {
        let mut fields = vec![
            read_only(simple("name", "string", true)),
            read_only(with(
                simple("type", "string", true),
                json!({"canonicalValues": ["string", "complex", "boolean", "decimal", "integer", "dateTime", "reference", "binary"]}),
            )),
            read_only(simple("multiValued", "boolean", true)),
            read_only(simple("description", "string", false)),
            read_only(simple("required", "boolean", false)),
            read_only(with(
                simple("canonicalValues", "string", false),
                json!({"multiValued": true}),
            )),
            read_only(simple("caseExact", "boolean", false)),
            read_only(simple("mutability", "string", false)),
            read_only(simple("returned", "string", false)),
            read_only(simple("uniqueness", "string", false)),
            read_only(with(
                simple("referenceTypes", "string", false),
                json!({"multiValued": true}),
            )),
        ];
        if with_sub {
            fields.push(read_only(complex(
                "subAttributes",
                true,
                false,
                attribute_fields_flat(),
            )));
        }
        fields
    };
    json!({
        "id": SCHEMA_SCHEMA,
        "name": "Schema",
        "description": "Specifies the schema attribute definitions of a SCIM resource",
        "attributes": [
            read_only(simple("id", "string", true)),
            read_only(simple("name", "string", true)),
            read_only(simple("description", "string", false)),
            read_only(complex("attributes", true, true, attribute_fields(true))),
        ]
    })
}

/// The attribute definition fields of sub-attributes (no further nesting).
fn attribute_fields_flat() -> Vec<Value> {
    vec![
        read_only(simple("name", "string", true)),
        read_only(simple("type", "string", true)),
        read_only(simple("multiValued", "boolean", true)),
        read_only(simple("description", "string", false)),
        read_only(simple("required", "boolean", false)),
        read_only(with(
            simple("canonicalValues", "string", false),
            json!({"multiValued": true}),
        )),
        read_only(simple("caseExact", "boolean", false)),
        read_only(simple("mutability", "string", false)),
        read_only(simple("returned", "string", false)),
        read_only(simple("uniqueness", "string", false)),
        read_only(with(
            simple("referenceTypes", "string", false),
            json!({"multiValued": true}),
        )),
    ]
}

/// Every schema this server publishes, each with its `schemas` and `meta`.
fn all_schemas(base: &str) -> Vec<Value> {
    [
        user_schema(),
        config_schema(),
        resource_type_schema(),
        schema_schema(),
    ]
    .into_iter()
    .map(|schema| {
        let id = schema["id"].as_str().unwrap_or_default().to_string();
        with(
            schema,
            json!({
                "schemas": [SCHEMA_SCHEMA],
                "meta": {"resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{id}")}
            }),
        )
    })
    .collect()
}

/// The schemas: User, and the discovery schemas themselves.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn schemas(State(state): State<AppState>, _account: ScimAccount) -> ScimResult<Response> {
    Ok(scim_response(
        StatusCode::OK,
        &list(all_schemas(&state.settings.public_url)),
    ))
}

/// One schema by its URI.
#[utoipa::path(get, path = "/scim/v2/Schemas/{uri}", tag = "scim", security(("scim" = [])),
    params(("uri" = String, Path, description = "Schema URI, e.g. urn:ietf:params:scim:schemas:core:2.0:User")),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 401, body = super::ScimErrorBody, content_type = "application/scim+json"),
        (status = 404, body = super::ScimErrorBody, content_type = "application/scim+json")))]
async fn schema(
    State(state): State<AppState>,
    _account: ScimAccount,
    axum::extract::Path(uri): axum::extract::Path<String>,
) -> ScimResult<Response> {
    all_schemas(&state.settings.public_url)
        .into_iter()
        .find(|schema| schema["id"].as_str() == Some(uri.as_str()))
        .map(|schema| scim_response(StatusCode::OK, &schema))
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::NOT_FOUND,
                None,
                format!(
                    "No schema {}: GET /scim/v2/Schemas lists them.",
                    crate::provisioning::profile::clip(&uri)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_schema_requires_exactly_user_name_and_an_email_value() {
        let schema = user_schema();
        let attributes = schema["attributes"].as_array().unwrap();
        let required: Vec<&str> = attributes
            .iter()
            .filter(|a| a["required"] == json!(true))
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(required, vec!["userName", "emails"]);
        let emails = attributes.iter().find(|a| a["name"] == "emails").unwrap();
        let value = emails["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "value")
            .unwrap();
        assert_eq!(value["required"], json!(true));
    }
}
