//! The SOQL subset the sandbox answers: tokenizer, recursive-descent parser, evaluator.

pub mod eval;
pub mod lexer;
pub mod parser;

/// A query Salesforce would refuse, with its error code (`MALFORMED_QUERY`, `INVALID_FIELD`,
/// `INVALID_TYPE`, `INVALID_QUERY_FILTER_OPERATOR`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SoqlError {
    pub code: &'static str,
    pub message: String,
}

impl SoqlError {
    pub fn malformed(message: impl Into<String>) -> SoqlError {
        SoqlError {
            code: "MALFORMED_QUERY",
            message: message.into(),
        }
    }
}
