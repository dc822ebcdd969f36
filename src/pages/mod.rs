//! The extension's own pages, Leptos components built from `crate::ui::components`:
//! onboarding (`onboarding.html`), the settings sections of the options page, and the admin
//! pages (`admin.html`). Each page's root component is in its own module with its own mount
//! function. Their logic that needs no browser (step order, chunking, field errors, message
//! names) is here and unit-tested natively; the pages themselves are WASM only.

pub mod fields;
pub mod flow;
pub mod messages;
pub mod progress;

#[cfg(target_arch = "wasm32")]
mod admin;
#[cfg(target_arch = "wasm32")]
mod onboarding;
#[cfg(target_arch = "wasm32")]
pub mod rpc;
#[cfg(target_arch = "wasm32")]
mod settings;

/// Why a page action failed, for the person using it: the server's stable `code` and its
/// message (which says what to do). `status` is the HTTP status, 0 when none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PageError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl PageError {
    /// An error raised in the extension itself.
    pub fn local(code: &str, message: &str) -> PageError {
        PageError {
            status: 0,
            code: code.to_string(),
            message: message.to_string(),
        }
    }

    /// An answer without an error body: a missing endpoint reads as "not available yet".
    pub fn from_status(status: u16) -> PageError {
        match status {
            404 | 405 | 501 => PageError {
                status,
                code: "not_available".into(),
                message: "This is not available on your Salespane server yet.".into(),
            },
            401 => PageError {
                status,
                code: "not_signed_in".into(),
                message: "Sign in with Salesforce first.".into(),
            },
            _ => PageError {
                status,
                code: "server_error".into(),
                message: format!("The Salespane server answered {status}. Try again in a moment."),
            },
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn unreachable(error: &wasm_bindgen::JsValue) -> PageError {
        let detail = js_sys::Reflect::get(error, &wasm_bindgen::JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default();
        PageError {
            status: 0,
            code: "background_unreachable".into(),
            message: format!(
                "The extension's background could not be reached ({detail}). Reload the page."
            ),
        }
    }

    /// The `_locales` message explaining what to do for well-known codes (shown before the
    /// server's own message).
    pub fn advice_message(&self) -> Option<&'static str> {
        Some(match self.code.as_str() {
            "not_imported" => "errNotImported",
            "no_seat" => "errNoSeat",
            "user_deactivated" => "errDeactivated",
            "account_not_connected" => "errAccountNotConnected",
            "not_admin" => "errNotAdmin",
            "crm_not_connected" => "errCrmNotConnected",
            "crm_api_disabled" | "crm_user_without_api" | "no_api_access" | "api_disabled" => {
                "errNoApiAccess"
            }
            "crm_session_expired" => "errCrmSessionExpired",
            "not_available" => "errNotAvailable",
            "mailbox_mismatch" => "errMailboxMismatch",
            "not_signed_in" | "unauthorized" | "invalid_token" => "errNotSignedIn",
            _ => return None,
        })
    }
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    /// Renders the onboarding page into `#salespane-page` (onboarding.html).
    #[wasm_bindgen(js_name = renderOnboarding)]
    pub fn render_onboarding() -> Result<(), JsValue> {
        super::onboarding::start()
    }

    /// Renders the admin pages into `#salespane-page` (admin.html).
    #[wasm_bindgen(js_name = renderAdmin)]
    pub fn render_admin() -> Result<(), JsValue> {
        super::admin::start()
    }

    /// Renders the profile and settings sections into `container` (the options page).
    #[wasm_bindgen(js_name = renderSettingsSections)]
    pub fn render_settings_sections(container: web_sys::Element) -> Result<(), JsValue> {
        super::settings::start(container)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_without_a_body_say_what_happened() {
        assert_eq!(PageError::from_status(404).code, "not_available");
        assert_eq!(
            PageError::from_status(404).advice_message(),
            Some("errNotAvailable")
        );
        assert_eq!(PageError::from_status(401).code, "not_signed_in");
        assert_eq!(PageError::from_status(500).code, "server_error");
        let no_api = PageError {
            status: 409,
            code: "crm_api_disabled".into(),
            message: "…".into(),
        };
        assert_eq!(no_api.advice_message(), Some("errNoApiAccess"));
    }
}
