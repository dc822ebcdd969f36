//! Liveness and readiness.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::ApiJson;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub database: &'static str,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// The server is up and its database answers.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = salespane_api::error::ErrorBody)))]
async fn health(State(state): State<AppState>) -> ApiResult<ApiJson<Health>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(ApiJson(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        database: match state.db.backend {
            crate::db::Backend::Sqlite => "sqlite",
            crate::db::Backend::Postgres => "postgres",
        },
    }))
}
