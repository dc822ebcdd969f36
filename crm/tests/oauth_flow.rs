//! The OAuth / OpenID Connect flow against the sandbox, driven through salespane-crm.

mod common;

use common::{start, start_with, TestSandbox, CLIENT_ID, REDIRECT_URI};
use salespane_crm::{pkce_pair, CrmError};
use salespane_sandbox::seed;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn code_flow_with_pkce_and_login_hint_yields_salesforce_shaped_tokens() {
    let sb = start().await;
    let oauth = sb.oauth();
    let pkce = pkce_pair();
    let url = oauth.authorize_url(
        REDIRECT_URI,
        "state-42",
        &pkce.challenge,
        Some(seed::ACME_SELLER),
    );
    let params = TestSandbox::redirect_params(&sb.open(&url).await);
    assert_eq!(TestSandbox::param(&params, "state"), Some("state-42"));
    let code = TestSandbox::param(&params, "code").unwrap().to_string();

    let tokens = oauth
        .exchange_code(&code, &pkce.verifier, REDIRECT_URI)
        .await
        .unwrap();
    assert_eq!(tokens.instance_url.as_deref(), Some(sb.base.as_str()));
    assert!(tokens.refresh_token.is_some());
    assert!(tokens
        .id_token
        .as_deref()
        .is_some_and(|t| t.split('.').count() == 3));
    assert_eq!(tokens.token_type.as_deref(), Some("Bearer"));
    assert!(tokens.signature.is_some());
    assert!(tokens
        .issued_at
        .as_deref()
        .is_some_and(|t| t.parse::<u64>().is_ok()));
    assert_eq!(tokens.expires_in, None, "Salesforce sends no expires_in");
    let (org, user) = tokens.org_and_user().unwrap();
    assert_eq!(org, seed::acme_org_id());
    assert_eq!(Some(user.clone()), seed::user_id(seed::ACME_SELLER));
    assert_eq!(
        tokens.id.as_deref(),
        Some(format!("{}/id/{org}/{user}", sb.base).as_str())
    );

    // Codes are single-use.
    let again = oauth
        .exchange_code(&code, &pkce.verifier, REDIRECT_URI)
        .await;
    assert!(
        matches!(again, Err(CrmError::OAuth { ref error, .. }) if error == "invalid_grant"),
        "{again:?}"
    );

    // UserInfo.
    let info = oauth.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(info.user_id.as_deref(), Some(user.as_str()));
    assert_eq!(info.organization_id.as_deref(), Some(org.as_str()));
    assert_eq!(info.sub, tokens.id.clone().unwrap());
    assert_eq!(info.preferred_username.as_deref(), Some(seed::ACME_SELLER));
    assert_eq!(info.email.as_deref(), Some(seed::ACME_SELLER));
    assert_eq!(info.name.as_deref(), Some("Sam Seller"));
    assert_eq!(info.given_name.as_deref(), Some("Sam"));
    assert_eq!(info.family_name.as_deref(), Some("Seller"));
    assert_eq!(info.active, Some(true));
    assert_eq!(info.user_type.as_deref(), Some("STANDARD"));
    assert_eq!(info.email_verified, Some(true));
    assert!(info.zoneinfo.is_some() && info.locale.is_some());
    assert_eq!(
        info.urls["rest"],
        format!("{}/services/data/v{{version}}/", sb.base)
    );
    assert!(info.urls["query"].ends_with("/query/"));
}

#[tokio::test]
async fn userinfo_reports_email_when_it_differs_from_username() {
    let sb = start().await;
    let tokens = sb.code_flow(seed::ACME_EMAIL_DIFFERS).await;
    let info = sb.oauth().userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(
        info.preferred_username.as_deref(),
        Some(seed::ACME_EMAIL_DIFFERS)
    );
    assert_eq!(info.email.as_deref(), Some(seed::ACME_EMAIL_DIFFERS_EMAIL));
}

#[tokio::test]
async fn pkce_mismatch_and_wrong_redirect_are_rejected() {
    let sb = start().await;
    let oauth = sb.oauth();
    let pkce = pkce_pair();
    let url = oauth.authorize_url(REDIRECT_URI, "s", &pkce.challenge, Some(seed::ACME_REP));
    let params = TestSandbox::redirect_params(&sb.open(&url).await);
    let code = TestSandbox::param(&params, "code").unwrap();
    let wrong = pkce_pair();
    let result = oauth
        .exchange_code(code, &wrong.verifier, REDIRECT_URI)
        .await;
    assert!(
        matches!(result, Err(CrmError::OAuth { ref error, .. }) if error == "invalid_grant"),
        "{result:?}"
    );

    let url = oauth.authorize_url(REDIRECT_URI, "s", &pkce.challenge, Some(seed::ACME_REP));
    let params = TestSandbox::redirect_params(&sb.open(&url).await);
    let code = TestSandbox::param(&params, "code").unwrap();
    let result = oauth
        .exchange_code(code, &pkce.verifier, "https://evil.example/")
        .await;
    assert!(
        matches!(result, Err(CrmError::OAuth { ref error, .. }) if error == "invalid_grant"),
        "{result:?}"
    );
}

#[tokio::test]
async fn authorize_requires_pkce_and_refuses_inactive_users() {
    let sb = start().await;
    let oauth = sb.oauth();
    let pkce = pkce_pair();
    let url = oauth.authorize_url(
        REDIRECT_URI,
        "s",
        &pkce.challenge,
        Some(seed::ACME_INACTIVE),
    );
    let params = TestSandbox::redirect_params(&sb.open(&url).await);
    assert_eq!(TestSandbox::param(&params, "error"), Some("access_denied"));
    assert_eq!(TestSandbox::param(&params, "state"), Some("s"));
    assert!(TestSandbox::param(&params, "code").is_none());

    let no_pkce = format!(
        "{}/services/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&login_hint={}",
        sb.base,
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>(),
        seed::ACME_SELLER
    );
    let params = TestSandbox::redirect_params(&sb.open(&no_pkce).await);
    assert_eq!(
        TestSandbox::param(&params, "error"),
        Some("invalid_request")
    );

    // Without a login hint: an HTML page to pick a user from.
    let page = sb
        .open(&oauth.authorize_url(REDIRECT_URI, "s", &pkce.challenge, None))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(seed::ACME_ADMIN) && html.contains(seed::GLOBEX_ADMIN));
}

#[tokio::test]
async fn discovery_points_at_the_sandbox_endpoints() {
    let sb = start().await;
    let metadata = sb.oauth().discover().await.unwrap();
    assert_eq!(metadata.issuer, sb.base);
    assert_eq!(
        metadata.token_endpoint,
        format!("{}/services/oauth2/token", sb.base)
    );
    assert_eq!(
        metadata.code_challenge_methods_supported,
        vec!["S256".to_string()]
    );
    let userinfo = metadata.userinfo_endpoint.unwrap();
    let tokens = sb.hook_token(seed::ACME_REP).await;
    let info = sb
        .http
        .userinfo_at(&userinfo, &tokens.access_token)
        .await
        .unwrap();
    assert_eq!(info.preferred_username.as_deref(), Some(seed::ACME_REP));
}

#[tokio::test]
async fn refresh_issues_a_new_access_token_and_revoke_ends_the_session() {
    let sb = start().await;
    let oauth = sb.oauth();
    let tokens = sb.code_flow(seed::ACME_CLOSER).await;
    let refresh = tokens.refresh_token.clone().unwrap();
    let refreshed = oauth.refresh(&refresh).await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_eq!(
        refreshed.refresh_token, None,
        "a refresh grant returns no new refresh token"
    );
    assert!(oauth.userinfo(&refreshed.access_token).await.is_ok());

    let live = oauth.introspect(&refreshed.access_token).await.unwrap();
    assert!(live.active);
    assert_eq!(live.token_type.as_deref(), Some("access_token"));
    assert_eq!(live.username.as_deref(), Some(seed::ACME_CLOSER));
    assert_eq!(live.client_id.as_deref(), Some(CLIENT_ID));

    // Revoking an access token kills just that token.
    oauth.revoke(&refreshed.access_token).await.unwrap();
    assert_eq!(
        oauth.userinfo(&refreshed.access_token).await,
        Err(CrmError::InvalidSession)
    );
    assert!(oauth.userinfo(&tokens.access_token).await.is_ok());
    assert!(
        !oauth
            .introspect(&refreshed.access_token)
            .await
            .unwrap()
            .active
    );

    // Revoking the refresh token kills it and its access tokens.
    oauth.revoke(&refresh).await.unwrap();
    assert_eq!(
        oauth.userinfo(&tokens.access_token).await,
        Err(CrmError::InvalidSession)
    );
    assert_eq!(oauth.refresh(&refresh).await, Err(CrmError::InvalidSession));
    let session = sb.session_from(&tokens);
    let err = session
        .get_user(&seed::user_id(seed::ACME_CLOSER).unwrap())
        .await;
    assert_eq!(err, Err(CrmError::InvalidSession));
}

#[tokio::test]
async fn expired_token_is_refreshed_once_and_the_call_retried() {
    let sb = start().await;
    let tokens = sb.hook_token(seed::ACME_SELLER).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let session = sb
        .session_from(&tokens)
        .on_refresh(move |t| sink.lock().unwrap().push(t.access_token.clone()));
    sb.hook("expire", json!({"access_token": tokens.access_token}))
        .await;
    assert_eq!(
        sb.oauth().userinfo(&tokens.access_token).await,
        Err(CrmError::InvalidSession)
    );

    let me = seed::user_id(seed::ACME_SELLER).unwrap();
    let user = session.get_user(&me).await.unwrap();
    assert_eq!(user.username, seed::ACME_SELLER);
    let reported = seen.lock().unwrap().clone();
    assert_eq!(reported.len(), 1, "refreshed exactly once");
    assert_eq!(session.tokens().access_token, reported[0]);
    assert_ne!(reported[0], tokens.access_token);

    // Expiring everything again: the next call refreshes again; without a refresh token it cannot.
    sb.hook("expire", json!({"all": true})).await;
    assert!(session.get_user(&me).await.is_ok());
    assert_eq!(seen.lock().unwrap().len(), 2);
    let bare = salespane_crm::SalesforceSession::new(
        sb.http.clone(),
        salespane_crm::SessionTokens {
            refresh_token: None,
            ..session.tokens()
        },
    );
    sb.hook("expire", json!({"all": true})).await;
    assert_eq!(bare.get_user(&me).await, Err(CrmError::InvalidSession));
}

#[tokio::test]
async fn tokens_survive_a_restart_signed_with_the_same_secret() {
    let before = start().await;
    let tokens = before.code_flow(seed::ACME_SELLER).await;
    // A new sandbox instance (as after a server restart) with the same signing secret.
    let after = start().await;
    let info = after.oauth().userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(info.preferred_username.as_deref(), Some(seed::ACME_SELLER));
    let refreshed = after
        .oauth()
        .refresh(tokens.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert!(after
        .oauth()
        .userinfo(&refreshed.access_token)
        .await
        .is_ok());
    // Another secret: the tokens are worthless.
    let stranger = start_with(std::time::Duration::from_secs(15), b"another secret").await;
    assert_eq!(
        stranger.oauth().userinfo(&tokens.access_token).await,
        Err(CrmError::InvalidSession)
    );
    assert_eq!(
        stranger
            .oauth()
            .refresh(tokens.refresh_token.as_deref().unwrap())
            .await,
        Err(CrmError::InvalidSession)
    );
}
