//! Seats are never oversubscribed, even when many imports race.

mod common;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;
use sqlx::Row;

both_backends! {
    async fn parallel_imports_fill_exactly_the_free_seats(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["left"], 4);
        let requests = (1..=24).map(|i| {
            let id = seed::user_id(&format!("rep{i:02}@acme.example")).unwrap().as_str().to_string();
            server.post("/api/v1/admin/users/import", &admin, json!({"crm_user_ids": [id]}))
        });
        let replies = futures::future::join_all(requests).await;
        let mut imported = 0;
        let mut no_seat = 0;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            imported += reply.body["imported"].as_array().unwrap().len();
            no_seat += reply.body["refused"].as_array().unwrap().iter().filter(|r| r["code"] == "no_seat").count();
        }
        assert_eq!(imported, 4);
        assert_eq!(no_seat, 20);
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body, json!({"limit": 5, "used": 5, "left": 0}));

        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&server.database_url).await.unwrap();
        let row = sqlx::query("SELECT a.seats_used, (SELECT COUNT(*) FROM users u WHERE u.account_id = a.id AND u.holds_seat = 1) AS holders, (SELECT COUNT(*) FROM users u WHERE u.account_id = a.id) AS total FROM accounts a WHERE a.idp_org_id = $1")
            .bind(seed::acme_org_id().as_str())
            .fetch_one(&pool)
            .await
            .unwrap();
        let used: i64 = row.try_get("seats_used").unwrap();
        let holders: i64 = row.try_get("holders").unwrap();
        let total: i64 = row.try_get("total").unwrap();
        assert_eq!((used, holders, total), (5, 5, 5));

        // Deactivating and reactivating in parallel also keeps the count exact.
        let users = server.get("/api/v1/admin/users", &admin).await;
        let ids: Vec<String> = users.body.as_array().unwrap().iter().filter(|u| u["role"] == "sales_user").map(|u| u["id"].as_str().unwrap().to_string()).collect();
        let paths: Vec<String> = ids.iter().map(|id| format!("/api/v1/admin/users/{id}")).collect();
        let off = paths.iter().map(|path| server.patch(path, &admin, json!({"status": "deactivated"})));
        futures::future::join_all(off).await;
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 1);
        let on = paths.iter().chain(paths.iter()).map(|path| server.patch(path, &admin, json!({"status": "active"})));
        futures::future::join_all(on).await;
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 5);
    }
}
