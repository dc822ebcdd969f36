//! A local stand-in for a Salesforce org, served by `salespane-server --sandbox` under a path
//! prefix (the server nests [`router`] at `/sfdc`). It speaks Salesforce's documented OAuth 2.0
//! / OpenID Connect endpoints and the REST shapes Salespane uses, over seeded, deterministic
//! orgs (see [`seed`] and README.md), so pointing the server at a real org is configuration only.
//! Test hooks live apart under `/_sandbox/`.

mod composite;
mod faults;
mod hooks;
mod idtoken;
mod oauth;
mod rest;
pub mod schema;
pub mod seed;
pub mod soql;
mod state;
mod store;
mod tokens;

use axum::routing::{any, get, post};
use axum::Router;
use std::sync::Arc;

pub use hooks::TEST_CLIENT_ID;
pub use rest::DEFAULT_BATCH_SIZE;
pub use state::API_VERSION;
pub use tokens::ACCESS_TOKEN_LIFETIME_MICROS;

/// How the sandbox presents itself.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where the sandbox is reachable, e.g. `http://127.0.0.1:8787/sfdc`: the OpenID issuer,
    /// the login URL and the `instance_url` handed to clients.
    pub public_base_url: String,
    /// Key for the HMAC that signs access and refresh tokens. Keep it stable across restarts
    /// so issued tokens stay valid.
    pub signing_secret: Vec<u8>,
}

/// The sandbox's routes, relative to its prefix.
pub fn router(config: SandboxConfig) -> Router {
    let sandbox = Arc::new(state::Sandbox::new(config));
    let salesforce = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(oauth::openid_configuration),
        )
        .route(
            "/services/oauth2/authorize",
            get(oauth::authorize_get).post(oauth::authorize_post),
        )
        .route("/services/oauth2/token", post(oauth::token))
        .route(
            "/services/oauth2/userinfo",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route(
            "/services/oauth2/revoke",
            get(oauth::revoke).post(oauth::revoke),
        )
        .route("/services/oauth2/introspect", post(oauth::introspect))
        .route("/id/keys", get(oauth::jwks))
        .route("/services/data/{version}/{*rest}", any(rest::handle))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            faults::inject,
        ));
    let hooks = Router::new()
        .route("/_sandbox/token", post(hooks::token))
        .route("/_sandbox/expire", post(hooks::expire))
        .route("/_sandbox/stats", get(hooks::stats))
        .route("/_sandbox/email-verified", post(hooks::email_verified))
        .route(
            "/_sandbox/faults",
            post(hooks::add_fault).delete(hooks::clear_faults),
        );
    salesforce.merge(hooks).with_state(sandbox)
}
