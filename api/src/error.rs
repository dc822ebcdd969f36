//! The one error body every endpoint answers with.

use serde::{Deserialize, Serialize};

/// `{"error": {"code": "no_seat", "message": "…what to do…"}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code (snake_case); clients branch on it.
    pub code: String,
    /// What went wrong and what to do about it, for a person.
    pub message: String,
}
