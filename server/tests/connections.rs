//! Personal Salesforce connections (OAuth code flow with PKCE driven over HTTP, as a browser
//! would), the email-differs confirmation, and the team-sync choice.

mod common;

use common::crm_id;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

/// Starts a connection as `token`'s user and signs in to the sandbox as `username`;
/// returns the callback page.
async fn connect(server: &common::TestServer, token: &str, username: &str) -> common::Reply {
    let start = server
        .post("/api/v1/me/crm-connection/start", token, json!({}))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let authorize = start.body["authorize_url"].as_str().unwrap();
    assert!(
        authorize.starts_with(&format!("{}/services/oauth2/authorize?", server.sandbox)),
        "{authorize}"
    );
    assert!(authorize.contains("code_challenge_method=S256"));
    let response = server
        .http
        .get(format!(
            "{authorize}&login_hint={}",
            username.replace('@', "%40")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&server.url("/oauth/salesforce/callback?")),
        "{location}"
    );
    common::read(server.http.get(location)).await
}

async fn import(server: &common::TestServer, admin: &str, usernames: &[&str]) {
    let ids: Vec<String> = usernames.iter().map(|u| crm_id(u)).collect();
    let reply = server
        .post(
            "/api/v1/admin/users/import",
            admin,
            json!({"crm_user_ids": ids}),
        )
        .await;
    assert_eq!(
        reply.body["imported"].as_array().unwrap().len(),
        usernames.len(),
        "{}",
        reply.text
    );
}

both_backends! {
    async fn a_user_connects_their_own_salesforce_user(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_SELLER, seed::ACME_REP]).await;
        let sam = server.token_for(seed::ACME_SELLER).await;
        let none = server.get("/api/v1/me/crm-connection", &sam).await;
        assert_eq!(none.status, StatusCode::OK, "{}", none.text);
        assert_eq!(none.body["status"], "none");

        let page = connect(&server, &sam, seed::ACME_SELLER).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("Connected") && page.text.contains("close this tab"), "{}", page.text);
        let mine = server.get("/api/v1/me/crm-connection", &sam).await;
        assert_eq!(mine.body["connected"], true, "{}", mine.text);
        assert_eq!(mine.body["crm_user_id"], crm_id(seed::ACME_SELLER));
        assert_eq!(mine.body["needs_confirmation"], false);
        assert_eq!(mine.body["api_enabled"], true);
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.body["crm_owner"], json!({"crm_user_id": crm_id(seed::ACME_SELLER), "via": "personal"}));
        let users = server.get("/api/v1/admin/users", &admin).await;
        let listed = users.body.as_array().unwrap().iter().find(|u| u["email"] == seed::ACME_SELLER).unwrap().clone();
        assert_eq!(listed["has_personal_connection"], true);

        // Nobody else may connect Sam's Salesforce user.
        let sara = server.token_for(seed::ACME_REP).await;
        let taken = connect(&server, &sara, seed::ACME_SELLER).await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
        assert!(taken.text.contains("already connected"), "{}", taken.text);
        assert_eq!(server.get("/api/v1/me/crm-connection", &sara).await.body["status"], "none");

        // A callback is good once, and never without its state.
        let replay = common::read(server.http.get(server.url("/oauth/salesforce/callback?code=x&state=unknown"))).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST);
        assert!(replay.text.contains("Start connecting Salesforce again"));
        let bare = common::read(server.http.get(server.url("/oauth/salesforce/callback"))).await;
        assert_eq!(bare.status, StatusCode::BAD_REQUEST);
        assert!(bare.text.starts_with("<!doctype html>"));

        // Disconnecting revokes and removes.
        let gone = server.delete("/api/v1/me/crm-connection", &sam).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT);
        assert_eq!(server.get("/api/v1/me/crm-connection", &sam).await.body["status"], "none");
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.body["crm_owner"]["via"], "team_sync");
        assert_eq!(server.delete("/api/v1/me/crm-connection", &sam).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_different_email_asks_which_salesforce_user_you_are(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_REP]).await;
        let sara = server.token_for(seed::ACME_REP).await;
        // Sara signs in to Salesforce as dan.diff, whose email is not hers.
        let page = connect(&server, &sara, seed::ACME_EMAIL_DIFFERS).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let mine = server.get("/api/v1/me/crm-connection", &sara).await;
        assert_eq!(mine.body["connected"], true);
        assert_eq!(mine.body["crm_email"], seed::ACME_EMAIL_DIFFERS_EMAIL);
        assert_eq!(mine.body["needs_confirmation"], true, "{}", mine.text);
        let candidates: Vec<String> = mine.body["candidates"].as_array().unwrap().iter().map(|c| c["crm_user_id"].as_str().unwrap().to_string()).collect();
        assert!(candidates.contains(&crm_id(seed::ACME_EMAIL_DIFFERS)), "{candidates:?}");
        assert!(candidates.contains(&crm_id(seed::ACME_REP)), "{candidates:?}");
        // Until confirmed, activity is not written as dan.
        let me = server.get("/api/v1/me", &sara).await;
        assert_eq!(me.body["crm_owner"]["via"], "team_sync");

        let wrong = server.post("/api/v1/me/crm-user", &sara, json!({"crm_user_id": crm_id("rep01@acme.example")})).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert_eq!(wrong.code(), "not_a_candidate");
        let junk = server.post("/api/v1/me/crm-user", &sara, json!({"crm_user_id": "nope"})).await;
        assert_eq!(junk.code(), "invalid_id");

        let confirmed = server.post("/api/v1/me/crm-user", &sara, json!({"crm_user_id": crm_id(seed::ACME_EMAIL_DIFFERS)})).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
        assert_eq!(confirmed.body["needs_confirmation"], false);
        let me = server.get("/api/v1/me", &sara).await;
        assert_eq!(me.body["user"]["crm_user_id"], crm_id(seed::ACME_EMAIL_DIFFERS));
        assert_eq!(me.body["crm_owner"], json!({"crm_user_id": crm_id(seed::ACME_EMAIL_DIFFERS), "via": "personal"}));
    }

    async fn team_sync_needs_a_connected_user_with_api_access(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let status = server.get("/api/v1/admin/crm/connection", &admin).await;
        assert_eq!(status.status, StatusCode::OK, "{}", status.text);
        assert_eq!(status.body["connected"], true);
        assert_eq!(status.body["team_sync"]["crm_username"], seed::ACME_ADMIN);

        import(&server, &admin, &[seed::ACME_NO_API, seed::ACME_SELLER]).await;
        let nora = server.token_for(seed::ACME_NO_API).await;
        let page = connect(&server, &nora, seed::ACME_NO_API).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let sam = server.token_for(seed::ACME_SELLER).await;
        assert_eq!(connect(&server, &sam, seed::ACME_SELLER).await.status, StatusCode::OK);

        let status = server.get("/api/v1/admin/crm/connection", &admin).await;
        let candidates = status.body["candidates"].as_array().unwrap();
        assert_eq!(candidates.len(), 3);
        let nora_conn = candidates.iter().find(|c| c["crm_username"] == seed::ACME_NO_API).unwrap();
        assert_eq!(nora_conn["api_enabled"], false);
        let sam_conn = candidates.iter().find(|c| c["crm_username"] == seed::ACME_SELLER).unwrap()["id"].clone();

        let refused = server.put("/api/v1/admin/crm/connection", &admin, json!({"connection_id": nora_conn["id"]})).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
        assert_eq!(refused.code(), "crm_user_without_api");
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("API Enabled"));
        let missing = server.put("/api/v1/admin/crm/connection", &admin, json!({"connection_id": "crm_nope"})).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        // Sales users cannot choose.
        let reply = server.put("/api/v1/admin/crm/connection", &sam, json!({"connection_id": sam_conn})).await;
        assert_eq!(reply.code(), "not_admin");

        let chosen = server.put("/api/v1/admin/crm/connection", &admin, json!({"connection_id": sam_conn})).await;
        assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.text);
        assert_eq!(chosen.body["team_sync"]["crm_username"], seed::ACME_SELLER);
        // Team sync works through Sam now.
        let users = server.get("/api/v1/admin/crm/users?page_size=5", &admin).await;
        assert_eq!(users.status, StatusCode::OK, "{}", users.text);
        // Nora's own connection cannot use the API: her activity goes through team sync,
        // still as her.
        let me = server.get("/api/v1/me", &nora).await;
        assert_eq!(me.body["crm_owner"], json!({"crm_user_id": crm_id(seed::ACME_NO_API), "via": "team_sync"}));
    }
}
