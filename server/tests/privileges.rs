//! `GET/PUT /api/v1/admin/privileges`: panel components hidden from sales users; admins only,
//! per account.

mod common;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

both_backends! {
    async fn admins_hide_components_from_their_sales_users(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let empty = server.get("/api/v1/admin/privileges", &admin).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
        assert_eq!(empty.body["hidden_components"], json!([]));

        let saved = server.put("/api/v1/admin/privileges", &admin,
            json!({"hidden_components": ["website_visits", "create_lead", "website_visits"]})).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert_eq!(saved.body["hidden_components"], json!(["website_visits", "create_lead"]));
        assert_eq!(server.get("/api/v1/admin/privileges", &admin).await.body, saved.body);

        // Sales users learn what is hidden from them at sign-in.
        let sam = server.provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER).await;
        let me = server.get("/api/v1/me", &sam).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_eq!(me.body["privileges"]["hidden_components"], json!(["website_visits", "create_lead"]));

        // Replaced as a whole.
        let replaced = server.put("/api/v1/admin/privileges", &admin, json!({"hidden_components": ["score"]})).await;
        assert_eq!(replaced.body["hidden_components"], json!(["score"]));
        let cleared = server.put("/api/v1/admin/privileges", &admin, json!({"hidden_components": []})).await;
        assert_eq!(cleared.body["hidden_components"], json!([]));

        let unknown = server.put("/api/v1/admin/privileges", &admin, json!({"hidden_components": ["self_destruct"]})).await;
        assert!(unknown.status.is_client_error(), "{}", unknown.text);
    }

    async fn sales_users_get_403_and_globex_sees_nothing_of_acme(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        server.put("/api/v1/admin/privileges", &admin, json!({"hidden_components": ["timeline"]})).await;

        let sam = server.provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER).await;
        for reply in [
            server.get("/api/v1/admin/privileges", &sam).await,
            server.put("/api/v1/admin/privileges", &sam, json!({"hidden_components": []})).await,
        ] {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
            assert_eq!(reply.code(), "not_admin");
        }

        let globex = server.token_for(seed::GLOBEX_ADMIN).await;
        assert_eq!(server.get("/api/v1/admin/privileges", &globex).await.body["hidden_components"], json!([]));
        let theirs = server.put("/api/v1/admin/privileges", &globex, json!({"hidden_components": ["score", "log_call"]})).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert_eq!(server.get("/api/v1/admin/privileges", &admin).await.body["hidden_components"], json!(["timeline"]));
        let anonymous = common::read(server.http.get(server.url("/api/v1/admin/privileges"))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}
