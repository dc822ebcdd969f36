//! Tenant isolation: an admin of one account sees and touches nothing of another.

mod common;

use common::crm_id;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

both_backends! {
    async fn globex_cannot_reach_acme(server) {
        let ada = server.token_for(seed::ACME_ADMIN).await;
        let gina = server.token_for(seed::GLOBEX_ADMIN).await;
        let import = server.post("/api/v1/admin/users/import", &ada, json!({"crm_user_ids": [crm_id(seed::ACME_SELLER)]})).await;
        let sam_id = import.body["imported"][0]["id"].as_str().unwrap().to_string();
        let me = server.get("/api/v1/me", &ada).await;
        let ada_id = me.body["user"]["id"].as_str().unwrap().to_string();

        let list = server.get("/api/v1/admin/users", &gina).await;
        assert_eq!(list.status, StatusCode::OK);
        let emails: Vec<&str> = list.body.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
        assert_eq!(emails, vec![seed::GLOBEX_ADMIN]);
        assert_eq!(server.get("/api/v1/admin/seats", &gina).await.body, json!({"limit": 3, "used": 1, "left": 2}));

        for id in [&sam_id, &ada_id] {
            let path = format!("/api/v1/admin/users/{id}");
            let patch = server.patch(&path, &gina, json!({"status": "deactivated"})).await;
            assert_eq!(patch.status, StatusCode::NOT_FOUND, "{}", patch.text);
            let delete = server.delete(&path, &gina).await;
            assert_eq!(delete.status, StatusCode::NOT_FOUND, "{}", delete.text);
        }
        // Acme is untouched.
        assert_eq!(server.get("/api/v1/me", &server.token_for(seed::ACME_SELLER).await).await.status, StatusCode::OK);

        // Globex's CRM is Globex's org: Acme's users are unknown there.
        let reply = server.post("/api/v1/admin/users/import", &gina, json!({"crm_user_ids": [crm_id(seed::ACME_REP)]})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["refused"][0]["code"], "not_found");
        assert_eq!(reply.body["seats"]["used"], 1);
        let crm = server.get("/api/v1/admin/crm/users?page_size=200", &gina).await;
        assert!(crm.body["users"].as_array().unwrap().iter().all(|u| u["username"].as_str().unwrap().ends_with("@globex.example")), "{}", crm.text);

        // Another account's connection cannot be chosen for team sync.
        let acme_status = server.get("/api/v1/admin/crm/connection", &ada).await;
        let acme_conn = acme_status.body["team_sync"]["id"].clone();
        let reply = server.put("/api/v1/admin/crm/connection", &gina, json!({"connection_id": acme_conn})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let globex_status = server.get("/api/v1/admin/crm/connection", &gina).await;
        assert_eq!(globex_status.body["candidates"].as_array().unwrap().len(), 1);
        assert_eq!(globex_status.body["team_sync"]["crm_username"], seed::GLOBEX_ADMIN);
    }
}
