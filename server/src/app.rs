//! The application: shared state and the HTTP router every module's routes are merged into.

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::error::ApiError;
use crate::identity::verifier::IdentityVerifier;

#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub db: Db,
    pub settings: Settings,
    pub identity: IdentityVerifier,
    pub secrets: SecretBox,
    /// Plain HTTP client with the upstream time-out.
    pub http: reqwest::Client,
    /// Salesforce and OpenID client (no redirects followed, typed errors), same time-out.
    pub crm_http: salespane_crm::CrmHttp,
    /// Cancelled when the server shuts down: background workers finish their step and stop.
    pub shutdown: CancellationToken,
    pub tracking: crate::tracking::Tracking,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(db: Db, settings: Settings, secrets: SecretBox) -> anyhow::Result<AppState> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.upstream_timeout_seconds))
            .connect_timeout(Duration::from_secs(
                settings.upstream_timeout_seconds.min(10),
            ))
            .user_agent(concat!("salespane-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let crm_http =
            salespane_crm::CrmHttp::new(Duration::from_secs(settings.upstream_timeout_seconds))?;
        let identity = IdentityVerifier::new(crm_http.clone(), settings.verifier());
        let tracking = crate::tracking::Tracking::new(&settings.tracking)?;
        Ok(AppState(Arc::new(AppInner {
            db,
            settings,
            identity,
            secrets,
            http,
            crm_http,
            shutdown: CancellationToken::new(),
            tracking,
        })))
    }
}

/// The API's routes with their OpenAPI description (one source for both).
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .merge(crate::health::routes())
        .merge(crate::identity::me::routes())
        .merge(crate::provisioning::admin_users::routes())
        .merge(crate::crm::link::routes())
        .merge(crate::provisioning::profile::routes())
        .merge(crate::provisioning::onboarding::routes())
        .merge(crate::provisioning::privileges::routes())
        .merge(crate::provisioning::teams::routes())
        .merge(crate::provisioning::autosync::routes())
        .merge(crate::scim::routes())
        .merge(crate::tracking::routes())
}

pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document = api_routes().split_for_parts().1;
    crate::openapi::add_shared_responses(&mut document);
    document
}

pub fn router(state: AppState) -> Router {
    let (api, mut document) = api_routes().split_for_parts();
    crate::openapi::add_shared_responses(&mut document);
    let document = Arc::new(document);
    let mut router = api
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    if state.settings.test_panic_route {
        // Off by default (hidden flag): lets a test prove one panic is one 500.
        router = router.route(
            TEST_PANIC_PATH,
            axum::routing::get(|| async {
                if std::hint::black_box(true) {
                    panic!("the test panic route was called");
                }
                StatusCode::NO_CONTENT
            }),
        );
    }
    if state.settings.sandbox {
        router = router.nest_service(
            crate::crm::sandbox_mode::PREFIX,
            crate::crm::sandbox_mode::router(&state),
        );
    }
    let body_read_timeout = Duration::from_secs(state.settings.body_read_timeout_seconds);
    let cors = extension_cors(&state.settings.extension_origins);
    router
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(crate::error::BODY_MAX_BYTES))
        .layer(RequestBodyTimeoutLayer::new(body_read_timeout))
        .layer(axum::middleware::from_fn(
            crate::error::uniform_error_bodies,
        ))
        .layer(cors)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a request handler panicked").into_response()
        }))
        .layer(TraceLayer::new_for_http())
}

/// The route `--enable-test-panic-route` adds.
pub const TEST_PANIC_PATH: &str = "/api/v1/_test/panic";

/// The extension's background calls the API from its own origin; host permissions let it
/// skip CORS in both browsers, but extension pages may not have them, so the configured
/// extension origins (`--extension-origin`) are allowed, and nothing else.
fn extension_cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderName::from_static(crate::identity::auth::IDP_HEADER),
        ])
        .max_age(Duration::from_secs(600))
}

async fn not_found() -> Response {
    ApiError::not_found(
        "not_found",
        "There is nothing at this address. The API is described at /openapi.json.",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This address does not take that method. The API is described at /openapi.json.",
    )
    .into_response()
}
