//! Personal Salesforce connections (OAuth code flow with PKCE driven over HTTP, as the
//! extension would: the code comes back to its redirect and is posted under the user's token),
//! the refusal of a colleague's grant, and the team-sync choice.

mod common;

use common::crm_id;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

/// The extension's sign-in redirect, as `identity.getRedirectURL()` gives it in Chromium.
const EXTENSION_REDIRECT: &str = "https://fhjdpaofeopnedbooopnkmdeclfpmkmd.chromiumapp.org/";

/// What Salesforce hands back to the extension: (code, state).
type Grant = (String, String);

/// Starts a connection as `token`'s user; returns the authorize URL.
async fn start(server: &common::TestServer, token: &str) -> String {
    let start = server
        .post(
            "/api/v1/me/crm-connection/start",
            token,
            json!({"redirect_uri": EXTENSION_REDIRECT}),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let authorize = start.body["authorize_url"].as_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&format!("{}/services/oauth2/authorize?", server.sandbox)),
        "{authorize}"
    );
    assert!(authorize.contains("code_challenge_method=S256"));
    assert!(authorize.contains(&format!("state={}", start.body["state"].as_str().unwrap())));
    authorize
}

/// Signs in to the sandbox as `username` on `authorize` (whoever's browser that is); the
/// code and state come back on the extension's redirect.
async fn sign_in_at(server: &common::TestServer, authorize: &str, username: &str) -> Grant {
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
        location.starts_with(&format!("{EXTENSION_REDIRECT}?")),
        "{location}"
    );
    let url = url::Url::parse(&location).unwrap();
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    (get("code"), get("state"))
}

/// The extension posts what came back, under the user's token.
async fn finish(server: &common::TestServer, token: &str, (code, state): &Grant) -> common::Reply {
    server
        .post(
            "/api/v1/me/crm-connection/finish",
            token,
            json!({"code": code, "state": state}),
        )
        .await
}

/// Starts a connection as `token`'s user, signs in to the sandbox as `username` and posts
/// the code back as that user; returns the finish answer.
async fn connect(server: &common::TestServer, token: &str, username: &str) -> common::Reply {
    let authorize = start(server, token).await;
    let grant = sign_in_at(server, &authorize, username).await;
    finish(server, token, &grant).await
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
        assert_eq!(page.body["connected"], true, "{}", page.text);
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

        // Nobody else may connect Sam's Salesforce user: Sara signs in to Salespane with this
        // org, so she can connect only her own.
        let sara = server.token_for(seed::ACME_REP).await;
        let taken = connect(&server, &sara, seed::ACME_SELLER).await;
        assert_eq!(taken.status, StatusCode::FORBIDDEN, "{}", taken.text);
        assert_eq!(taken.code(), "crm_user_not_you");
        assert_eq!(server.get("/api/v1/me/crm-connection", &sara).await.body["status"], "none");

        // A sign-in is good once, and never with an unknown state.
        let authorize = start(&server, &sam).await;
        let grant = sign_in_at(&server, &authorize, seed::ACME_SELLER).await;
        assert_eq!(finish(&server, &sam, &grant).await.status, StatusCode::OK);
        let replay = finish(&server, &sam, &grant).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.text);
        assert_eq!(replay.code(), "crm_sign_in_failed");
        let unknown = finish(&server, &sam, &("x".into(), "unknown".into())).await;
        assert_eq!(unknown.code(), "crm_sign_in_failed");
        // Only the extension's own redirect is accepted.
        for bad in ["https://attacker.example/", "http://x.chromiumapp.org/", "https://x.chromiumapp.org/?a=1", "https://chromiumapp.org.attacker.example/"] {
            let refused = server.post("/api/v1/me/crm-connection/start", &sam, json!({"redirect_uri": bad})).await;
            assert_eq!(refused.code(), "invalid_redirect_uri", "{bad}: {}", refused.text);
        }

        // Disconnecting revokes and removes.
        let gone = server.delete("/api/v1/me/crm-connection", &sam).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT);
        assert_eq!(server.get("/api/v1/me/crm-connection", &sam).await.body["status"], "none");
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.body["crm_owner"]["via"], "team_sync");
        assert_eq!(server.delete("/api/v1/me/crm-connection", &sam).await.status, StatusCode::NOT_FOUND);
    }

    async fn a_colleagues_salesforce_grant_never_becomes_yours(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_SELLER, seed::ACME_REP]).await;
        let sam = server.token_for(seed::ACME_SELLER).await;
        let sara = server.token_for(seed::ACME_REP).await;

        // Sam starts a connection and gets his colleague Sara, signed in to Salesforce, to
        // open the link: the code goes to the extension redirect in *her* browser.
        let authorize = start(&server, &sam).await;
        let (code, state) = sign_in_at(&server, &authorize, seed::ACME_REP).await;
        // The old browser callback completes nothing any more.
        let callback = common::read(server.http.get(server.url(&format!("/oauth/salesforce/callback?code={code}&state={state}")))).await;
        assert_eq!(callback.status, StatusCode::NOT_FOUND, "{}", callback.text);
        // Sara cannot finish Sam's sign-in under her own token...
        let hers = finish(&server, &sara, &(code.clone(), state.clone())).await;
        assert_eq!(hers.status, StatusCode::BAD_REQUEST, "{}", hers.text);
        assert_eq!(hers.code(), "crm_sign_in_failed");
        assert_eq!(server.get("/api/v1/me/crm-connection", &sara).await.body["status"], "none");
        // ...and Sam, who started it, gets no connection as Sara: he signs in to Salespane
        // with this Salesforce org, so only his own Salesforce user can be his.
        let refused = finish(&server, &sam, &(code, state)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
        assert_eq!(refused.code(), "crm_user_not_you");
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("sign in as yourself"));
        assert_eq!(server.get("/api/v1/me/crm-connection", &sam).await.body["status"], "none");
        // Nor as any other Salesforce user he can sign in as.
        let other = connect(&server, &sam, seed::ACME_EMAIL_DIFFERS).await;
        assert_eq!(other.code(), "crm_user_not_you", "{}", other.text);

        // Connected as himself, he still cannot say he is Sara.
        assert_eq!(connect(&server, &sam, seed::ACME_SELLER).await.status, StatusCode::OK);
        let claim = server.post("/api/v1/me/crm-user", &sam, json!({"crm_user_id": crm_id(seed::ACME_REP)})).await;
        assert_eq!(claim.status, StatusCode::FORBIDDEN, "{}", claim.text);
        assert_eq!(claim.code(), "crm_user_not_you");
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.body["user"]["crm_user_id"], crm_id(seed::ACME_SELLER));
        assert_eq!(me.body["crm_owner"], json!({"crm_user_id": crm_id(seed::ACME_SELLER), "via": "personal"}));
        let junk = server.post("/api/v1/me/crm-user", &sam, json!({"crm_user_id": "nope"})).await;
        assert_eq!(junk.code(), "invalid_id");
        let mine = server.post("/api/v1/me/crm-user", &sam, json!({"crm_user_id": crm_id(seed::ACME_SELLER)})).await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
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
    async fn a_colleague_link_made_before_the_fix_is_not_written_as(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_SELLER, seed::ACME_REP]).await;
        let sam = server.token_for(seed::ACME_SELLER).await;
        assert_eq!(connect(&server, &sam, seed::ACME_SELLER).await.status, StatusCode::OK);
        // What the old flow allowed: Sam's connection and CRM link are Sara's.
        let pool = pool(&server).await;
        let sara_id = crm_id(seed::ACME_REP);
        sqlx::query("UPDATE users SET crm_user_id = NULL WHERE crm_user_id = $1").bind(&sara_id).execute(&pool).await.unwrap();
        for table in ["users", "crm_connections"] {
            let column = if table == "users" { "email" } else { "crm_username" };
            sqlx::query(&format!("UPDATE {table} SET crm_user_id = $1 WHERE {column} = $2")).bind(&sara_id).bind(seed::ACME_SELLER).execute(&pool).await.unwrap();
        }
        pool.close().await;
        // Sam signs in as himself with this org: his activity is written as him, never as Sara.
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_eq!(me.body["crm_owner"], json!({"crm_user_id": crm_id(seed::ACME_SELLER), "via": "team_sync"}));
    }

    async fn sealed_tokens_work_only_in_their_own_row(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_SELLER]).await;
        let sam = server.token_for(seed::ACME_SELLER).await;
        assert_eq!(connect(&server, &sam, seed::ACME_SELLER).await.status, StatusCode::OK);
        let status = server.get("/api/v1/admin/crm/connection", &admin).await;
        let id_of = |name: &str| status.body["candidates"].as_array().unwrap().iter().find(|c| c["crm_username"] == name).unwrap()["id"].as_str().unwrap().to_string();
        let (sams, adas) = (id_of(seed::ACME_SELLER), id_of(seed::ACME_ADMIN));
        let choose = |id: String| server.put("/api/v1/admin/crm/connection", &admin, json!({"connection_id": id}));
        assert_eq!(choose(sams.clone()).await.status, StatusCode::OK);

        // Someone with the database swaps the two rows' sealed tokens.
        let pool = pool(&server).await;
        swap_tokens(&pool, &sams, &adas).await;
        for id in [&sams, &adas] {
            let refused = choose(id.clone()).await;
            assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
            assert_eq!(refused.code(), "crm_not_connected");
            assert!(refused.text.contains("cannot be read"), "{}", refused.text);
        }
        // Put back where they were sealed, they work again.
        swap_tokens(&pool, &sams, &adas).await;
        assert_eq!(choose(adas).await.status, StatusCode::OK);
        assert_eq!(choose(sams).await.status, StatusCode::OK);
        pool.close().await;
    }

    async fn tokens_sealed_by_an_older_version_are_bound_at_start(server) {
        use salespane_server::crypto::SecretBox;
        use sqlx::Row;
        let admin = server.token_for(seed::ACME_ADMIN).await;
        import(&server, &admin, &[seed::ACME_SELLER]).await;
        let sam = server.token_for(seed::ACME_SELLER).await;
        let connection = connect(&server, &sam, seed::ACME_SELLER).await;
        let id = connection.body["connection_id"].as_str().unwrap().to_string();
        // Re-seal the stored tokens the way the previous version did: unbound (`v1.`).
        let secrets = SecretBox::from_base64(&server.secret_key).unwrap();
        let pool = pool(&server).await;
        let row = sqlx::query("SELECT account_id, refresh_token_sealed, access_token_sealed FROM crm_connections WHERE id = $1").bind(&id).fetch_one(&pool).await.unwrap();
        let account: String = row.get("account_id");
        for column in ["refresh_token_sealed", "access_token_sealed"] {
            let sealed: String = row.get(column);
            let binding = salespane_server::crypto::Binding { table: "crm_connections", column, row_id: &id, account_id: &account };
            let plain = secrets.open_bound(&sealed, &binding).unwrap();
            sqlx::query(&format!("UPDATE crm_connections SET {column} = $1 WHERE id = $2")).bind(secrets.seal(&plain)).bind(&id).execute(&pool).await.unwrap();
        }
        pool.close().await;

        server.restart(&[]).await;
        let pool = self::pool(&server).await;
        let row = sqlx::query("SELECT refresh_token_sealed, access_token_sealed FROM crm_connections WHERE id = $1").bind(&id).fetch_one(&pool).await.unwrap();
        for column in ["refresh_token_sealed", "access_token_sealed"] {
            let sealed: String = row.get(column);
            assert!(sealed.starts_with("v2."), "{column} not bound: {sealed}");
        }
        pool.close().await;
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let chosen = server.put("/api/v1/admin/crm/connection", &admin, json!({"connection_id": id})).await;
        assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.text);
    }
}

async fn pool(server: &common::TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .unwrap()
}

/// Swaps two connections' sealed tokens in the database.
async fn swap_tokens(pool: &sqlx::AnyPool, a: &str, b: &str) {
    use sqlx::Row;
    let read = |id: String| async move {
        let row = sqlx::query(
            "SELECT refresh_token_sealed, access_token_sealed FROM crm_connections WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        (
            row.get::<String, _>("refresh_token_sealed"),
            row.get::<String, _>("access_token_sealed"),
        )
    };
    let (ta, tb) = (read(a.to_string()).await, read(b.to_string()).await);
    for (id, (refresh, access)) in [(a, tb), (b, ta)] {
        sqlx::query("UPDATE crm_connections SET refresh_token_sealed = $1, access_token_sealed = $2 WHERE id = $3")
            .bind(refresh)
            .bind(access)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    }
}
