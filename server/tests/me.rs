//! `GET /api/v1/me`, the link-signing key and its rotation, and why a caller is refused.

mod common;

use common::crm_id;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;
use sqlx::Row;

async fn db(server: &common::TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&server.database_url)
        .await
        .expect("test db")
}

both_backends! {
    async fn me_describes_the_signed_in_admin(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        let me = server.get("/api/v1/me", &token).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        let body = &me.body;
        assert_eq!(body["account"]["seat_limit"], 5);
        assert_eq!(body["account"]["seats_used"], 1);
        assert_eq!(body["account"]["crm_connected"], true, "the sandbox connects Ada as team sync");
        assert_eq!(body["user"]["email"], seed::ACME_ADMIN);
        assert_eq!(body["user"]["role"], "admin");
        assert_eq!(body["user"]["crm_user_id"], crm_id(seed::ACME_ADMIN));
        assert_eq!(body["privileges"]["can_manage_users"], true);
        assert_eq!(body["profile"]["default_track"], true);
        let activated = body["onboarding"]["activated_at"].as_i64().expect("activated at first sign-in");
        let key_id = body["signing_key"]["id"].as_str().unwrap().to_string();
        let secret = body["signing_key"]["secret"].as_str().unwrap().to_string();
        assert!(secret.len() >= 40);
        assert_eq!(body["crm_owner"]["via"], "personal", "{}", me.text);
        assert_eq!(body["crm_owner"]["crm_user_id"], crm_id(seed::ACME_ADMIN));

        // Stable across requests: same key, first activation time kept.
        let again = server.get("/api/v1/me", &token).await;
        assert_eq!(again.body["signing_key"]["id"], key_id.as_str());
        assert_eq!(again.body["onboarding"]["activated_at"].as_i64(), Some(activated));

        // Rotation: a new key; the old one kept, retired, for links already sent.
        let rotated = server.post("/api/v1/me/signing-key/rotate", &token, json!({})).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
        assert_ne!(rotated.body["id"], key_id.as_str());
        assert_ne!(rotated.body["secret"], secret.as_str());
        let after = server.get("/api/v1/me", &token).await;
        assert_eq!(after.body["signing_key"]["id"], rotated.body["id"]);
        let pool = db(&server).await;
        let rows = sqlx::query("SELECT id, secret_sealed, retired_at FROM signing_keys ORDER BY created_at").fetch_all(&pool).await.unwrap();
        assert_eq!(rows.len(), 2);
        let old_id: String = rows[0].try_get("id").unwrap();
        let old_retired: Option<i64> = rows[0].try_get("retired_at").unwrap();
        let new_retired: Option<i64> = rows[1].try_get("retired_at").unwrap();
        assert_eq!(old_id, key_id);
        assert!(old_retired.is_some() && new_retired.is_none());
        for row in rows {
            let sealed: String = row.try_get("secret_sealed").unwrap();
            assert!(sealed.starts_with("v2.") && !sealed.contains(&secret), "secrets are sealed at rest, bound to their row");
        }
    }

    async fn concurrent_first_requests_share_one_signing_key(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        // First sign-in alone (it links the identity), then the first key requests at once.
        assert_eq!(server.get("/api/v1/admin/seats", &token).await.status, StatusCode::OK);
        let replies = futures::future::join_all((0..6).map(|_| server.get("/api/v1/me", &token))).await;
        let ids: std::collections::HashSet<String> = replies
            .iter()
            .map(|r| {
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                r.body["signing_key"]["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1);
    }

    async fn concurrent_first_sign_ins_all_succeed(server) {
        // Nobody has linked Ada's identity yet: every one of these requests races to do it.
        let token = server.token_for(seed::ACME_ADMIN).await;
        let replies = futures::future::join_all((0..8).map(|_| server.get("/api/v1/admin/seats", &token))).await;
        for reply in replies {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        }
    }

    async fn unprovisioned_callers_are_told_why(server) {
        // Not imported yet.
        let sam = server.token_for(seed::ACME_SELLER).await;
        let reply = server.get("/api/v1/me", &sam).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "not_imported");

        // Imported: in.
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let import = server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        assert_eq!(import.status, StatusCode::OK, "{}", import.text);
        let sam_id = import.body["imported"][0]["id"].as_str().unwrap().to_string();
        let reply = server.get("/api/v1/me", &sam).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["user"]["role"], "sales_user");
        assert_eq!(reply.body["privileges"]["can_manage_users"], false);
        assert_eq!(reply.body["crm_owner"]["via"], "team_sync");
        assert_eq!(reply.body["crm_owner"]["crm_user_id"], crm_id(seed::ACME_SELLER));

        // Sales users are not admins.
        let reply = server.get("/api/v1/admin/seats", &sam).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "not_admin");

        // Deactivated.
        let patch = server.patch(&format!("/api/v1/admin/users/{sam_id}"), &admin, json!({"status": "deactivated"})).await;
        assert_eq!(patch.status, StatusCode::OK, "{}", patch.text);
        let reply = server.get("/api/v1/me", &sam).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "user_deactivated");

        // Active but without a seat (e.g. provisioned when none was left).
        let pool = db(&server).await;
        sqlx::query("UPDATE users SET status = 'active', holds_seat = 0 WHERE id = $1").bind(&sam_id).execute(&pool).await.unwrap();
        let reply = server.get("/api/v1/me", &sam).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "no_seat");

        // An org without a Salespane account.
        sqlx::query("UPDATE accounts SET idp_org_id = '00D000000000001AAA' WHERE idp_org_id = $1")
            .bind(seed::globex_org_id().as_str())
            .execute(&pool)
            .await
            .unwrap();
        let gina = server.token_for(seed::GLOBEX_ADMIN).await;
        let reply = server.get("/api/v1/me", &gina).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "account_not_connected");

        // No token at all.
        let reply = common::read(server.http.get(server.url("/api/v1/me"))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
}
