//! (being written)

use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// Background workers of automatic user sync; they stop when `state.shutdown` is cancelled.
pub fn spawn_workers(_state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    Vec::new()
}
