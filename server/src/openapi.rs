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
