//! Importing sales users from the CRM: the CRM's user list, import outcomes, seats, mapping
//! by email, user changes and removal, refresh from Salesforce, and Salesforce failures.

mod common;

use common::crm_id;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::{json, Value};
use sqlx::Row;

async fn db(server: &common::TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .expect("test db")
}

fn codes(result: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = result["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["crm_user_id"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

both_backends! {
    async fn crm_users_are_listed_paged_and_searchable(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let page = server.get("/api/v1/admin/crm/users?page=1&page_size=10", &admin).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.body["users"].as_array().unwrap().len(), 10);
        let total = page.body["total"].as_i64().unwrap();
        assert!(total >= 44, "active standard users only: {total}");
        // Inactive users are not offered.
        let all = server.get("/api/v1/admin/crm/users?page_size=200", &admin).await;
        let users = all.body["users"].as_array().unwrap();
        assert_eq!(users.len() as i64, total);
        assert!(users.iter().all(|u| u["username"] != seed::ACME_INACTIVE));
        let ada = users.iter().find(|u| u["username"] == seed::ACME_ADMIN).expect("ada listed");
        assert!(ada["sales_user_id"].is_string(), "already imported users are marked");
        let sam = users.iter().find(|u| u["username"] == seed::ACME_SELLER).expect("sam listed");
        assert!(sam["sales_user_id"].is_null());
        let nora = users.iter().find(|u| u["username"] == seed::ACME_NO_API).expect("nora listed");
        assert_eq!(nora["api_enabled"], false);

        let search = server.get("/api/v1/admin/crm/users?search=rep0", &admin).await;
        assert_eq!(search.status, StatusCode::OK, "{}", search.text);
        assert_eq!(search.body["total"], 9, "{}", search.text);

        for bad in ["page=0", "page_size=0", "page_size=500", "page=abc", "page=1000&page_size=200"] {
            let reply = server.get(&format!("/api/v1/admin/crm/users?{bad}"), &admin).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {}", reply.text);
        }
    }

    async fn import_answers_each_user(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let unknown = salespane_api::sfid::SfId::parse("005Ac00000ZZZZZ").unwrap().as_str().to_string();
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [
            crm_id(seed::ACME_SELLER),
            crm_id(seed::ACME_SELLER),
            crm_id(seed::ACME_INACTIVE),
            crm_id(seed::ACME_ADMIN),
            "not-an-id",
            seed::acme_org_id().as_str(),
            unknown,
        ]})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let imported = reply.body["imported"].as_array().unwrap();
        assert_eq!(imported.len(), 1, "{}", reply.text);
        assert_eq!(imported[0]["email"], seed::ACME_SELLER);
        assert_eq!(imported[0]["source"], "crm_import");
        assert_eq!(imported[0]["status"], "active");
        assert_eq!(reply.body["seats"], json!({"limit": 5, "used": 2, "left": 3}));
        let mut expected = vec![
            (crm_id(seed::ACME_INACTIVE), "inactive_in_crm".to_string()),
            (crm_id(seed::ACME_ADMIN), "already_imported".to_string()),
            ("not-an-id".to_string(), "invalid_id".to_string()),
            (seed::acme_org_id().as_str().to_string(), "invalid_id".to_string()),
            (unknown.clone(), "not_found".to_string()),
        ];
        expected.sort();
        assert_eq!(codes(&reply.body), expected);

        // Again: already imported, no seat taken.
        let again = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        assert_eq!(codes(&again.body), vec![(crm_id(seed::ACME_SELLER), "already_imported".to_string())]);
        assert_eq!(again.body["seats"]["used"], 2);

        // Seats run out: 3 left for 5 reps.
        let reps: Vec<String> = (1..=5).map(|i| crm_id(&format!("rep{i:02}@acme.example"))).collect();
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": reps})).await;
        assert_eq!(reply.body["imported"].as_array().unwrap().len(), 3, "{}", reply.text);
        let refused = codes(&reply.body);
        assert_eq!(refused.len(), 2);
        assert!(refused.iter().all(|(_, c)| c == "no_seat"));
        assert_eq!(reply.body["seats"], json!({"limit": 5, "used": 5, "left": 0}));
        let seats = server.get("/api/v1/admin/seats", &admin).await;
        assert_eq!(seats.body, json!({"limit": 5, "used": 5, "left": 0}));

        // Bad bodies are 4xx, never 500.
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"ids": []})).await;
        assert_eq!(reply.status.as_u16() / 100, 4, "{}", reply.text);
    }

    async fn import_maps_an_existing_user_with_the_same_email(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let first = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        let sam_id = first.body["imported"][0]["id"].as_str().unwrap().to_string();
        // Sam exists without a CRM link (as SCIM or the CLI would create him).
        let pool = db(&server).await;
        sqlx::query("UPDATE users SET crm_user_id = NULL WHERE id = $1").bind(&sam_id).execute(&pool).await.unwrap();
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["imported"], json!([]));
        assert_eq!(reply.body["mapped"][0]["id"], sam_id.as_str());
        assert_eq!(reply.body["mapped"][0]["crm_user_id"], crm_id(seed::ACME_SELLER));
        assert_eq!(reply.body["seats"]["used"], 2, "mapping takes no seat");
        let list = server.get("/api/v1/admin/users", &admin).await;
        assert_eq!(list.body.as_array().unwrap().len(), 2);
    }

    async fn users_are_changed_and_removed_with_their_seats(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER), crm_id(seed::ACME_REP)]})).await;
        let sam_id = reply.body["imported"][0]["id"].as_str().unwrap().to_string();
        let sara_id = reply.body["imported"][1]["id"].as_str().unwrap().to_string();
        assert_eq!(reply.body["seats"]["used"], 3);

        let path = format!("/api/v1/admin/users/{sam_id}");
        let off = server.patch(&path, &admin, json!({"status": "deactivated"})).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.text);
        assert_eq!(off.body["status"], "deactivated");
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 2);
        let on = server.patch(&path, &admin, json!({"status": "active", "role": "admin"})).await;
        assert_eq!(on.status, StatusCode::OK, "{}", on.text);
        assert_eq!(on.body["role"], "admin");
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 3);
        // Sam is an admin now.
        let sam = server.token_for(seed::ACME_SELLER).await;
        assert_eq!(server.get("/api/v1/admin/seats", &sam).await.status, StatusCode::OK);

        let empty = server.patch(&path, &admin, json!({})).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        let bad = server.patch(&path, &admin, json!({"role": "emperor"})).await;
        assert_eq!(bad.status.as_u16() / 100, 4);
        let missing = server.patch("/api/v1/admin/users/usr_nope", &admin, json!({"status": "active"})).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);

        // Sam signed in (holds a signing key): removing him is refused, deactivating is the way.
        assert_eq!(server.get("/api/v1/me", &sam).await.status, StatusCode::OK);
        let refused = server.delete(&path, &admin).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert_eq!(refused.code(), "user_has_activity");
        // Sara never signed in: removed, seat freed.
        let removed = server.delete(&format!("/api/v1/admin/users/{sara_id}"), &admin).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 2);
        assert_eq!(server.delete(&format!("/api/v1/admin/users/{sara_id}"), &admin).await.status, StatusCode::NOT_FOUND);

        // Ada cannot remove herself.
        let me = server.get("/api/v1/me", &admin).await;
        let ada_id = me.body["user"]["id"].as_str().unwrap().to_string();
        let reply = server.delete(&format!("/api/v1/admin/users/{ada_id}"), &admin).await;
        assert_eq!(reply.code(), "cannot_delete_self");
        // The last active admin cannot step down.
        let demote = server.patch(&path, &admin, json!({"role": "sales_user"})).await;
        assert_eq!(demote.status, StatusCode::OK);
        let reply = server.patch(&format!("/api/v1/admin/users/{ada_id}"), &admin, json!({"status": "deactivated"})).await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(reply.code(), "last_admin");
    }

    async fn refresh_updates_users_from_salesforce(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER), crm_id("rep07@acme.example")]})).await;
        assert_eq!(reply.body["seats"]["used"], 3);
        // Change Sam's title and deactivate rep07 in Salesforce (its REST API, as Ada).
        let sf = server.token_for(seed::ACME_ADMIN).await;
        for (user, body) in [(crm_id(seed::ACME_SELLER), json!({"Title": "VP of Sales", "Phone": "+1 555 0100"})), (crm_id("rep07@acme.example"), json!({"IsActive": false}))] {
            let reply = common::read(
                server.http.patch(format!("{}/services/data/v66.0/sobjects/User/{user}", server.sandbox)).bearer_auth(&sf).json(&body),
            )
            .await;
            assert!(reply.status.is_success(), "{}", reply.text);
        }
        let report = server.post("/api/v1/admin/users/refresh", &admin, json!({})).await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.text);
        assert_eq!(report.body["checked"], 3);
        // Sam, rep07, and Ada (seeded with a made-up title, now Salesforce's).
        assert_eq!(report.body["updated"], 3, "{}", report.text);
        assert_eq!(report.body["deactivated"], 1);
        assert_eq!(report.body["seats"]["used"], 2, "the seat of a user inactive in Salesforce is freed");
        let users = server.get("/api/v1/admin/users", &admin).await;
        let list = users.body.as_array().unwrap();
        let sam = list.iter().find(|u| u["email"] == seed::ACME_SELLER).unwrap();
        assert_eq!(sam["title"], "VP of Sales");
        let rep = list.iter().find(|u| u["email"] == "rep07@acme.example").unwrap();
        assert_eq!(rep["status"], "deactivated");

        // Resetting the connector refreshes too (nothing left to change).
        let reset = server.post("/api/v1/admin/crm/connection/reset", &admin, json!({})).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
        assert_eq!(reset.body["refresh"]["checked"], 3);
        assert_eq!(reset.body["refresh"]["updated"], 0);
        assert_eq!(reset.body["status"]["connected"], true);
    }

    async fn import_without_a_connection_says_what_to_do(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        // Ada's own connection is the team-sync one; removing it leaves none.
        let removed = server.delete("/api/v1/me/crm-connection", &admin).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(reply.code(), "crm_not_connected");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("team-sync") && message.contains("Connect"), "{message}");
        let reply = server.get("/api/v1/admin/crm/users", &admin).await;
        assert_eq!(reply.code(), "crm_not_connected");
        let status = server.get("/api/v1/admin/crm/connection", &admin).await;
        assert_eq!(status.body["connected"], false);
        assert!(status.body["hint"].is_string());
        let me = server.get("/api/v1/me", &admin).await;
        assert_eq!(me.body["account"]["crm_connected"], false);
        assert!(me.body["crm_owner"].is_null());
    }

    async fn salesforce_failures_are_clear_errors(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let fault = common::read(server.http.post(format!("{}/_sandbox/faults", server.sandbox)).json(&json!({"path_contains": "/services/data/", "status": 500, "times": 10}))).await;
        assert!(fault.status.is_success());
        let reply = server.get("/api/v1/admin/crm/users", &admin).await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text);
        assert_eq!(reply.code(), "crm_unavailable");
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("try again"));
        let reply = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        assert_eq!(reply.code(), "crm_unavailable");
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 1, "nothing imported");
        common::read(server.http.delete(format!("{}/_sandbox/faults", server.sandbox))).await;

        // A transient failure does not break the connection.
        let status = server.get("/api/v1/admin/crm/connection", &admin).await;
        assert_eq!(status.body["connected"], true, "{}", status.text);

        // Time-out: Salesforce slower than the configured upstream time-out.
        server.restart(&["--upstream-timeout-seconds", "1"]).await;
        let admin = server.token_for(seed::ACME_ADMIN).await;
        common::read(server.http.post(format!("{}/_sandbox/faults", server.sandbox)).json(&json!({"path_contains": "/services/data/", "delay_ms": 2500, "times": 1}))).await;
        let reply = server.get("/api/v1/admin/crm/users", &admin).await;
        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{}", reply.text);
        assert_eq!(reply.code(), "crm_unavailable");
    }

    async fn expired_crm_tokens_are_refreshed_and_stored_sealed(server) {
        let pool = db(&server).await;
        let sealed_before: String = sqlx::query("SELECT access_token_sealed FROM crm_connections").fetch_one(&pool).await.unwrap().try_get("access_token_sealed").unwrap();
        let expired = common::read(server.http.post(format!("{}/_sandbox/expire", server.sandbox)).json(&json!({"all": true}))).await;
        assert!(expired.status.is_success());
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let reply = server.get("/api/v1/admin/crm/users?page_size=5", &admin).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        // The refreshed token is stored (asynchronously, right after the refresh).
        let mut sealed_after = sealed_before.clone();
        for _ in 0..50 {
            sealed_after = sqlx::query("SELECT access_token_sealed FROM crm_connections").fetch_one(&pool).await.unwrap().try_get("access_token_sealed").unwrap();
            if sealed_after != sealed_before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_ne!(sealed_after, sealed_before, "the new access token is persisted");
        // And used: expiring again only what was issued before still works.
        let reply = server.get("/api/v1/admin/crm/users?page_size=5", &admin).await;
        assert_eq!(reply.status, StatusCode::OK);

        // Secrets at rest: sealed, the plaintext nowhere in the row.
        let secrets = salespane_server::crypto::SecretBox::from_base64("dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=").unwrap();
        let row = sqlx::query("SELECT * FROM crm_connections").fetch_one(&pool).await.unwrap();
        let refresh_sealed: String = row.try_get("refresh_token_sealed").unwrap();
        let access_sealed: String = row.try_get("access_token_sealed").unwrap();
        let (id, account): (String, String) = (row.try_get("id").unwrap(), row.try_get("account_id").unwrap());
        let bound = |column| salespane_server::crypto::Binding { table: "crm_connections", column, row_id: &id, account_id: &account };
        let refresh = secrets.open_bound(&refresh_sealed, &bound("refresh_token_sealed")).expect("sealed with the server key, for this row");
        let access = secrets.open_bound(&access_sealed, &bound("access_token_sealed")).expect("sealed with the server key, for this row");
        assert!(refresh.len() > 10 && access.len() > 10);
        for column in 0..row.columns().len() {
            if let Ok(Some(text)) = row.try_get::<Option<String>, _>(column) {
                assert!(!text.contains(&refresh) && !text.contains(&access), "plaintext token in column {column}");
            }
        }
    }
}
