//! The HTTP client shared by the OAuth and REST parts, and how Salesforce's error answers
//! map onto [`CrmError`].

use crate::CrmError;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// How long a call to Salesforce may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The largest answer read from Salesforce or an identity provider. A query page of 2,000
/// records with every field Salespane asks for stays far below it; a larger answer is a
/// broken or hostile server, and reading it whole would let it fill the server's memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A reqwest client (rustls) with the call time-out. Cheap to clone; build one and share it.
#[derive(Debug, Clone)]
pub struct CrmHttp {
    pub(crate) client: reqwest::Client,
    pub(crate) timeout: Duration,
    max_response_bytes: usize,
}

impl CrmHttp {
    pub fn new(timeout: Duration) -> Result<CrmHttp, CrmError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // Salesforce API calls never redirect; following one could leak a bearer token.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("salespane-crm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CrmError::Network(format!("cannot set up the HTTP client: {e}")))?;
        Ok(CrmHttp {
            client,
            timeout,
            max_response_bytes: MAX_RESPONSE_BYTES,
        })
    }

    pub fn with_default_timeout() -> Result<CrmHttp, CrmError> {
        CrmHttp::new(DEFAULT_TIMEOUT)
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same client with another cap on answers' size.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> CrmHttp {
        self.max_response_bytes = bytes;
        self
    }

    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Vec<u8>), CrmError> {
        let mut response = request
            .send()
            .await
            .map_err(|e| CrmError::from_reqwest(e, self.timeout))?;
        let status = response.status();
        let too_large = || {
            CrmError::MalformedResponse(format!(
                "the answer is larger than {} KB, more than Salespane reads",
                self.max_response_bytes / 1024
            ))
        };
        if response
            .content_length()
            .is_some_and(|length| length > self.max_response_bytes as u64)
        {
            return Err(too_large());
        }
        // Read chunk by chunk so an answer without (or lying about) its length stops at the cap.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| CrmError::from_reqwest(e, self.timeout))?
        {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, CrmError> {
    serde_json::from_slice(body).map_err(|e| CrmError::MalformedResponse(e.to_string()))
}

#[derive(Deserialize)]
struct RestErrorItem {
    #[serde(default)]
    message: String,
    #[serde(rename = "errorCode", default)]
    error_code: String,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

fn short_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The REST API's `[{"message","errorCode"}]` error list, as a [`CrmError`].
pub(crate) fn rest_error(status: StatusCode, body: &[u8]) -> CrmError {
    let first = serde_json::from_slice::<Vec<RestErrorItem>>(body)
        .ok()
        .and_then(|v| v.into_iter().next());
    let (code, message) = match first {
        Some(e) => (e.error_code, e.message),
        None => (String::new(), short_text(body)),
    };
    match status.as_u16() {
        401 => CrmError::InvalidSession,
        403 if code == "API_CURRENTLY_DISABLED" || code == "API_DISABLED_FOR_ORG" => {
            CrmError::ApiDisabled
        }
        404 if code.is_empty() || code == "NOT_FOUND" => CrmError::NotFound,
        429 | 500..=599 => CrmError::Upstream {
            status: status.as_u16(),
            message: if message.is_empty() { code } else { message },
        },
        _ => CrmError::InvalidRequest {
            code: if code.is_empty() {
                format!("HTTP_{}", status.as_u16())
            } else {
                code
            },
            message,
        },
    }
}

/// The OAuth endpoints' `{"error","error_description"}`, as a [`CrmError`].
pub(crate) fn oauth_error(status: StatusCode, body: &[u8]) -> CrmError {
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return CrmError::Upstream {
            status: status.as_u16(),
            message: short_text(body),
        };
    }
    match serde_json::from_slice::<OAuthErrorBody>(body) {
        Ok(e) => CrmError::OAuth {
            error: e.error,
            description: e.error_description,
        },
        Err(_) => CrmError::OAuth {
            error: format!("http_{}", status.as_u16()),
            description: short_text(body),
        },
    }
}
