//! Starts the sandbox on a real loopback listener and wires salespane-crm to it.
#![allow(dead_code)]

use salespane_crm::{CrmHttp, SalesforceOAuth, SalesforceSession, SessionTokens, TokenSet};
use salespane_sandbox::SandboxConfig;
use serde_json::{json, Value};
use std::time::Duration;

pub const CLIENT_ID: &str = "salespane-test-app";
pub const REDIRECT_URI: &str = "https://abcdefghijklmnop.chromiumapp.org/";

pub struct TestSandbox {
    /// The login URL and instance URL: `http://127.0.0.1:{port}/sfdc`.
    pub base: String,
    pub http: CrmHttp,
    raw: reqwest::Client,
}

pub async fn start() -> TestSandbox {
    start_with_timeout(Duration::from_secs(15)).await
}

pub async fn start_with_timeout(timeout: Duration) -> TestSandbox {
    start_with(timeout, b"integration-test-secret").await
}

pub async fn start_with(timeout: Duration, secret: &[u8]) -> TestSandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/sfdc");
    let app = axum::Router::new().nest(
        "/sfdc",
        salespane_sandbox::router(SandboxConfig {
            public_base_url: base.clone(),
            signing_secret: secret.to_vec(),
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    TestSandbox {
        base,
        http: CrmHttp::new(timeout).unwrap(),
        raw: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl TestSandbox {
    pub fn oauth(&self) -> SalesforceOAuth {
        SalesforceOAuth::new(self.http.clone(), &self.base, CLIENT_ID, None)
    }

    /// Opens an authorize URL like a browser would, without following the redirect.
    pub async fn open(&self, url: &str) -> reqwest::Response {
        self.raw.get(url).send().await.unwrap()
    }

    /// The query parameters of the 302 the authorize endpoint answered with.
    pub fn redirect_params(response: &reqwest::Response) -> Vec<(String, String)> {
        assert_eq!(response.status(), 302, "authorize should redirect");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with(REDIRECT_URI),
            "redirected to {location}"
        );
        url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The full authorization-code flow with PKCE, logging in through `login_hint`.
    pub async fn code_flow(&self, username: &str) -> TokenSet {
        let oauth = self.oauth();
        let pkce = salespane_crm::pkce_pair();
        let url = oauth.authorize_url(REDIRECT_URI, "st-1", &pkce.challenge, Some(username));
        let response = self.open(&url).await;
        let params = Self::redirect_params(&response);
        let code = Self::param(&params, "code").expect("a code");
        oauth
            .exchange_code(code, &pkce.verifier, REDIRECT_URI)
            .await
            .unwrap()
    }

    /// Test hook: tokens for a user without the browser flow.
    pub async fn hook_token(&self, username: &str) -> TokenSet {
        let response = self
            .raw
            .post(format!("{}/_sandbox/token", self.base))
            .json(&json!({"username": username, "client_id": CLIENT_ID}))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "token hook: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    pub async fn session_for(&self, username: &str) -> SalesforceSession {
        let tokens = self.hook_token(username).await;
        self.session_from(&tokens)
    }

    pub fn session_from(&self, tokens: &TokenSet) -> SalesforceSession {
        SalesforceSession::new(
            self.http.clone(),
            SessionTokens {
                instance_url: tokens.instance_url.clone().unwrap(),
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
            },
        )
        .with_refresher(self.oauth())
    }

    pub async fn hook(&self, path: &str, body: Value) {
        let response = self
            .raw
            .post(format!("{}/_sandbox/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "hook {path}: {}",
            response.status()
        );
    }
}
