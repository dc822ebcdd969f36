//! The OpenAPI document's frame: title, security schemes, shared schemas. Paths come from
//! the `#[utoipa::path]` annotations of the handlers themselves (app::api_routes), so the
//! document cannot drift from the router; `server/openapi.json` is the checked-in copy
//! (regenerate with `salespane-server openapi > server/openapi.json`; a test compares).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Salespane API",
        description = "Provisioning and tracking API of Salespane. User endpoints take the user's SSO access token as a Bearer token (header X-Salespane-Idp names a non-default OpenID Connect issuer); SCIM endpoints take a SCIM token issued by an admin.",
    ),
    modifiers(&SecuritySchemes),
    components(schemas(salespane_api::error::ErrorBody, salespane_api::error::ErrorDetail)),
    tags(
        (name = "health", description = "Liveness"),
        (name = "me", description = "The signed-in user"),
        (name = "admin", description = "Account administration (admins only)"),
        (name = "crm", description = "Salesforce connections"),
        (name = "scim", description = "SCIM 2.0 provisioning (Okta, Entra ID)"),
        (name = "messages", description = "Tracked mail: sending, recording sends, opens and clicks"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "sso",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The user's SSO access token (Salesforce by default)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "scim",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A SCIM token issued by an account admin"))
                    .build(),
            ),
        );
    }
}

/// Adds to every operation the error answers the shared layers give, so the document lists
/// what each operation really returns (schemathesis checks it): 401 where a token is needed,
/// 400 where parameters are parsed, 400/408/413/415/422 where a JSON body is read, 429 where an
/// SSO token is checked, and 503 (database busy, with Retry-After) everywhere. SCIM operations answer SCIM error bodies.
pub fn add_shared_responses(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let path_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let scim = operation
                .tags
                .as_ref()
                .is_some_and(|tags| tags.iter().any(|t| t == "scim"));
            let mut shared: Vec<(&str, &str)> = vec![(
                "503",
                "`database_busy` or `database_unavailable`: try again after Retry-After seconds",
            )];
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                shared.push(("401", "The token is missing, invalid or expired"));
            }
            if !scim && operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                // SSO tokens that must be checked at the identity provider are limited per
                // client address (identity::verifier).
                shared.push((
                    "429",
                    "`too_many_token_checks`: try again after Retry-After seconds",
                ));
            }
            let has_parameters =
                path_parameters || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if has_parameters {
                shared.push(("400", "A parameter is not valid"));
            }
            if operation.request_body.is_some() {
                shared.push(("400", "The body is not valid"));
                shared.push(("408", "`body_timeout`: the body stopped arriving"));
                shared.push(("413", "`payload_too_large`: the body is over the limit"));
                shared.push((
                    "415",
                    "`unsupported_media_type`: the body is not sent as JSON",
                ));
                if !scim {
                    shared.push((
                        "422",
                        "`invalid_json`: the JSON does not have the fields this operation takes",
                    ));
                }
            }
            for (status, description) in shared {
                if operation.responses.responses.contains_key(status) {
                    continue;
                }
                let (content_type, schema) = if scim {
                    ("application/scim+json", "ScimErrorBody")
                } else {
                    ("application/json", "ErrorBody")
                };
                let mut response = utoipa::openapi::ResponseBuilder::new()
                    .description(description)
                    .content(
                        content_type,
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name(schema)))
                            .build(),
                    );
                if status == "503" || status == "429" {
                    response = response.header(
                        "Retry-After",
                        utoipa::openapi::HeaderBuilder::new()
                            .schema(
                                utoipa::openapi::ObjectBuilder::new()
                                    .schema_type(utoipa::openapi::Type::Integer),
                            )
                            .description(Some("Seconds to wait before trying again"))
                            .build(),
                    );
                }
                operation
                    .responses
                    .responses
                    .insert(status.to_string(), response.build().into());
            }
        }
    }
}
