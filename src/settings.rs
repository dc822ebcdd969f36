//! Where the extension finds its server and identity provider, kept sealed in `storage.local`
//! under [`SETTINGS_KEY`] (they say where tokens go: see `auth::store`) and edited on the
//! options page. The defaults of development builds are the local demo: `salespane-server
//! --sandbox` on `http://127.0.0.1:8787`, signing in with its built-in Salesforce stand-in at
//! `<server>/sfdc`. Store builds (feature `store`, `cargo xtask dist`'s zips) have no default
//! server: the user enters their company's on the options page.

use crate::auth::oidc::{check_endpoint, is_loopback, OIDC_SCOPES, SALESFORCE_SCOPES};
use crate::weburl::WebUrl;
use serde::{Deserialize, Serialize};

pub const SETTINGS_KEY: &str = "salespane.settings";
/// The server of a fresh install: the local demo in development builds, none in store builds.
#[cfg(not(feature = "store"))]
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8787";
#[cfg(feature = "store")]
pub const DEFAULT_SERVER_URL: &str = "";
/// The OAuth client id of the Salespane app (a Salesforce Connected App's consumer key).
pub const DEFAULT_CLIENT_ID: &str = "salespane-extension";
const MAX_FIELD_CHARS: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdpKind {
    /// Salesforce (the default): the server checks tokens with Salesforce UserInfo.
    #[default]
    Salesforce,
    /// The account's OpenID Connect provider (Okta, Entra ID...): API calls name its issuer
    /// in `X-Salespane-Idp`.
    Oidc,
}

/// The options page's settings. JSON: `{"serverUrl","idp":"salesforce"|"oidc","issuer",
/// "idpName","clientId","loginHint"}`; `issuer`/`clientId`/`idpName`/`loginHint` may be
/// empty, meaning the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub server_url: String,
    pub idp: IdpKind,
    /// The OpenID issuer; empty means `<server>/sfdc` (the server's Salesforce sandbox).
    pub issuer: String,
    /// Shown on the sign-in button ("Sign in with Okta"); empty means "Salesforce".
    pub idp_name: String,
    pub client_id: String,
    /// Prefills the user name at the identity provider (Salesforce's `login_hint`).
    pub login_hint: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            server_url: DEFAULT_SERVER_URL.into(),
            idp: IdpKind::Salesforce,
            issuer: String::new(),
            idp_name: String::new(),
            client_id: String::new(),
            login_hint: String::new(),
        }
    }
}

/// Why settings were refused; the message names the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the server URL `{0}` is not usable: enter an https:// address (http:// only for this machine), without a path")]
    ServerUrl(String),
    #[error("the identity provider issuer `{0}` is not usable: enter its https:// address as its discovery document names it")]
    Issuer(String),
    #[error("an OpenID Connect provider needs its issuer URL and client id: fill both in")]
    OidcIncomplete,
    #[error("`{0}` is too long")]
    TooLong(&'static str),
}

impl Settings {
    /// Trims, fills the defaults' blanks where needed, and refuses what cannot work.
    pub fn validated(mut self) -> Result<Settings, SettingsError> {
        for (name, value) in [
            ("serverUrl", &mut self.server_url),
            ("issuer", &mut self.issuer),
            ("idpName", &mut self.idp_name),
            ("clientId", &mut self.client_id),
            ("loginHint", &mut self.login_hint),
        ] {
            *value = value.trim().to_string();
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(SettingsError::TooLong(name));
            }
        }
        self.server_url = self.server_url.trim_end_matches('/').to_string();
        let server = WebUrl::parse(&self.server_url)
            .map_err(|_| SettingsError::ServerUrl(self.server_url.clone()))?;
        if server.path != "/" || self.server_url.contains(['?', '#']) {
            return Err(SettingsError::ServerUrl(self.server_url.clone()));
        }
        check_endpoint(&self.server_url)
            .map_err(|_| SettingsError::ServerUrl(self.server_url.clone()))?;
        self.issuer = self.issuer.trim_end_matches('/').to_string();
        if !self.issuer.is_empty() {
            check_endpoint(&self.issuer).map_err(|_| SettingsError::Issuer(self.issuer.clone()))?;
        }
        if self.idp == IdpKind::Oidc && (self.issuer.is_empty() || self.client_id.is_empty()) {
            return Err(SettingsError::OidcIncomplete);
        }
        Ok(self)
    }

    /// The issuer sign-in uses: the configured one, else the server's Salesforce sandbox.
    pub fn effective_issuer(&self) -> String {
        if self.issuer.is_empty() {
            self.default_issuer()
        } else {
            self.issuer.clone()
        }
    }

    /// `<server>/sfdc`: the Salesforce stand-in `salespane-server --sandbox` serves (none
    /// while no server is set).
    pub fn default_issuer(&self) -> String {
        if self.server_url.is_empty() {
            return String::new();
        }
        format!("{}/sfdc", self.server_url.trim_end_matches('/'))
    }

    /// False until a server is set (a fresh store install): nothing can be signed in to.
    pub fn has_server(&self) -> bool {
        !self.server_url.is_empty()
    }

    pub fn effective_client_id(&self) -> &str {
        if self.client_id.is_empty() {
            DEFAULT_CLIENT_ID
        } else {
            &self.client_id
        }
    }

    pub fn scopes(&self) -> &'static str {
        match self.idp {
            IdpKind::Salesforce => SALESFORCE_SCOPES,
            IdpKind::Oidc => OIDC_SCOPES,
        }
    }

    /// The `X-Salespane-Idp` header value, when the identity provider is not the default.
    pub fn idp_header(&self) -> Option<String> {
        let issuer = self.effective_issuer();
        (self.idp == IdpKind::Oidc || issuer != self.default_issuer()).then_some(issuer)
    }

    /// The name on the sign-in button.
    pub fn display_idp_name(&self) -> &str {
        match (self.idp, self.idp_name.is_empty()) {
            (_, false) => &self.idp_name,
            (IdpKind::Salesforce, true) => "Salesforce",
            (IdpKind::Oidc, true) => "OpenID Connect",
        }
    }

    /// Host permission patterns to request at run time: the server's and the identity
    /// provider's origins, unless on this machine (granted by the manifest).
    pub fn permission_patterns(&self) -> Vec<String> {
        let mut patterns = Vec::new();
        for url in [self.server_url.clone(), self.effective_issuer()] {
            if let Ok(parsed) = WebUrl::parse(&url) {
                let pattern = format!("{}/*", parsed.origin());
                if !is_loopback(&parsed.host) && !patterns.contains(&pattern) {
                    patterns.push(pattern);
                }
            }
        }
        patterns
    }

    /// True when tokens granted under `self` cannot be used under `other`.
    pub fn identity_differs(&self, other: &Settings) -> bool {
        self.server_url != other.server_url
            || self.effective_issuer() != other.effective_issuer()
            || self.effective_client_id() != other.effective_client_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "store"))]
    #[test]
    fn defaults_are_the_local_demo() {
        let settings = Settings::default().validated().unwrap();
        assert_eq!(settings.server_url, "http://127.0.0.1:8787");
        assert_eq!(settings.effective_issuer(), "http://127.0.0.1:8787/sfdc");
        assert_eq!(settings.effective_client_id(), DEFAULT_CLIENT_ID);
        assert_eq!(settings.idp_header(), None);
        assert_eq!(settings.display_idp_name(), "Salesforce");
        assert!(settings.permission_patterns().is_empty());
        // Missing fields take the defaults.
        let partial: Settings =
            serde_json::from_str(r#"{"serverUrl":"http://localhost:9000/"}"#).unwrap();
        assert_eq!(
            partial.validated().unwrap().effective_issuer(),
            "http://localhost:9000/sfdc"
        );
    }

    #[cfg(feature = "store")]
    #[test]
    fn store_builds_have_no_default_server() {
        let settings = Settings::default();
        assert!(!settings.has_server());
        assert_eq!(settings.effective_issuer(), "");
        assert!(settings.permission_patterns().is_empty());
        // Nothing to save until the user enters a server.
        assert!(matches!(
            settings.validated(),
            Err(SettingsError::ServerUrl(_))
        ));
    }

    #[test]
    fn other_servers_and_providers() {
        let okta = Settings {
            server_url: " https://salespane.acme.example/ ".into(),
            idp: IdpKind::Oidc,
            issuer: "https://acme.okta.com/oauth2/default".into(),
            idp_name: "Okta".into(),
            client_id: "0oa1".into(),
            login_hint: String::new(),
        }
        .validated()
        .unwrap();
        assert_eq!(okta.server_url, "https://salespane.acme.example");
        assert_eq!(
            okta.idp_header().as_deref(),
            Some("https://acme.okta.com/oauth2/default")
        );
        assert_eq!(okta.display_idp_name(), "Okta");
        assert_eq!(
            okta.permission_patterns(),
            vec![
                "https://salespane.acme.example/*",
                "https://acme.okta.com/*"
            ]
        );
        assert!(okta.identity_differs(&Settings::default()));

        let bad = |s: Settings| s.validated().unwrap_err();
        let base = || Settings {
            server_url: "http://127.0.0.1:8787".into(),
            ..Settings::default()
        };
        assert!(matches!(
            bad(Settings {
                server_url: "http://salespane.example".into(),
                ..base()
            }),
            SettingsError::ServerUrl(_)
        ));
        assert!(matches!(
            bad(Settings {
                server_url: "https://x.example/api".into(),
                ..base()
            }),
            SettingsError::ServerUrl(_)
        ));
        assert!(matches!(
            bad(Settings {
                server_url: "javascript:alert(1)".into(),
                ..base()
            }),
            SettingsError::ServerUrl(_)
        ));
        assert!(matches!(
            bad(Settings {
                issuer: "http://idp.example".into(),
                ..base()
            }),
            SettingsError::Issuer(_)
        ));
        assert_eq!(
            bad(Settings {
                idp: IdpKind::Oidc,
                ..base()
            }),
            SettingsError::OidcIncomplete
        );
    }
}
