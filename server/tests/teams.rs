//! Teams: admin CRUD and membership, the team view every signed-in user sees (only users
//! placed on a team), 403 for sales users on admin routes, and account isolation.

mod common;

use common::{StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::{json, Value};

/// Provisions seeded Salesforce users as sales users (over SCIM); returns their user ids.
async fn provision(server: &TestServer, admin: &str, usernames: &[&str]) -> Vec<String> {
    let admin = server.token_for(admin).await;
    let issued = server
        .post("/api/v1/admin/scim-tokens", &admin, json!({"name": "test"}))
        .await;
    let scim = issued.body["token"]
        .as_str()
        .expect("scim token")
        .to_string();
    let mut ids = Vec::new();
    for username in usernames {
        let created = common::read(
            server
                .http
                .post(server.url("/scim/v2/Users"))
                .bearer_auth(&scim)
                .json(&json!({"userName": username, "active": true})),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        ids.push(created.body["id"].as_str().unwrap().to_string());
    }
    ids
}

fn member_ids(team: &Value) -> Vec<String> {
    let mut ids: Vec<String> = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

both_backends! {
    async fn admins_manage_teams_and_members(server) {
        let ids = provision(&server, seed::ACME_ADMIN, &[seed::ACME_SELLER, seed::ACME_REP]).await;
        let (sam, sara) = (ids[0].clone(), ids[1].clone());
        let admin = server.token_for(seed::ACME_ADMIN).await;

        let created = server.post("/api/v1/admin/teams", &admin, json!({"name": "  West  ", "user_ids": [sam, sam]})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.body["name"], "West");
        assert_eq!(member_ids(&created.body), vec![sam.clone()]);
        let team = created.body["id"].as_str().unwrap().to_string();

        let duplicate = server.post("/api/v1/admin/teams", &admin, json!({"name": "West"})).await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT);
        assert_eq!(duplicate.code(), "team_name_taken");
        let unnamed = server.post("/api/v1/admin/teams", &admin, json!({"name": " "})).await;
        assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
        assert_eq!(unnamed.code(), "invalid_team_name");
        let east = server.post("/api/v1/admin/teams", &admin, json!({"name": "East"})).await;
        assert_eq!(east.status, StatusCode::CREATED);
        let east_id = east.body["id"].as_str().unwrap().to_string();
        let clash = server.patch(&format!("/api/v1/admin/teams/{east_id}"), &admin, json!({"name": "West"})).await;
        assert_eq!(clash.code(), "team_name_taken");

        let renamed = server.patch(&format!("/api/v1/admin/teams/{team}"), &admin, json!({"name": "West Coast"})).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        assert_eq!(renamed.body["name"], "West Coast");

        let members = server.put(&format!("/api/v1/admin/teams/{team}/members"), &admin, json!({"user_ids": [sara, sam]})).await;
        assert_eq!(members.status, StatusCode::OK, "{}", members.text);
        assert_eq!(member_ids(&members.body), sorted(vec![sam.clone(), sara.clone()]));

        let list = server.get("/api/v1/admin/teams", &admin).await;
        assert_eq!(list.status, StatusCode::OK);
        let names: Vec<&str> = list.body.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["East", "West Coast"]);

        // Unknown member: 404, and the team keeps its members.
        let unknown = server.put(&format!("/api/v1/admin/teams/{team}/members"), &admin, json!({"user_ids": [sam, "usr_nobody"]})).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.code(), "user_not_found");
        let list = server.get("/api/v1/admin/teams", &admin).await;
        let west = list.body.as_array().unwrap().iter().find(|t| t["id"] == team.as_str()).unwrap();
        assert_eq!(member_ids(west), sorted(vec![sam.clone(), sara.clone()]));

        let deleted = server.delete(&format!("/api/v1/admin/teams/{team}"), &admin).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(server.delete(&format!("/api/v1/admin/teams/{team}"), &admin).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.patch(&format!("/api/v1/admin/teams/{team}"), &admin, json!({"name": "X"})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.put(&format!("/api/v1/admin/teams/{team}/members"), &admin, json!({"user_ids": []})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/admin/teams", &admin).await.body.as_array().unwrap().len(), 1);
    }

    async fn team_views_show_only_users_placed_on_a_team(server) {
        let ids = provision(&server, seed::ACME_ADMIN, &[seed::ACME_SELLER, seed::ACME_REP, seed::ACME_CLOSER]).await;
        let (sam, sara, tom) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let created = server.post("/api/v1/admin/teams", &admin, json!({"name": "Hunters", "user_ids": [sam, tom]})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

        let sam_token = server.token_for(seed::ACME_SELLER).await;
        let view = server.get("/api/v1/teams", &sam_token).await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.text);
        let teams = view.body.as_array().unwrap();
        assert_eq!(teams.len(), 1);
        assert_eq!(member_ids(&teams[0]), sorted(vec![sam.clone(), tom.clone()]));
        assert!(!view.text.contains(&sara), "Sara is on no team");
        assert!(!view.text.contains(seed::ACME_ADMIN), "nor is the admin");
        assert_eq!(teams[0]["members"][0]["email"].as_str().map(|e| e.ends_with("@acme.example")), Some(true));

        // A deactivated member leaves the team view (admins still see the membership).
        let scim = server.post("/api/v1/admin/scim-tokens", &admin, json!({"name": "t2"})).await;
        let scim = scim.body["token"].as_str().unwrap().to_string();
        let off = common::read(server.http.patch(server.url(&format!("/scim/v2/Users/{tom}"))).bearer_auth(&scim)
            .json(&json!({"Operations": [{"op": "replace", "value": {"active": false}}]}))).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.text);
        let view = server.get("/api/v1/teams", &sam_token).await;
        assert_eq!(member_ids(&view.body[0]), vec![sam.clone()]);
        let admin_view = server.get("/api/v1/admin/teams", &admin).await;
        assert_eq!(member_ids(&admin_view.body[0]), sorted(vec![sam.clone(), tom.clone()]));

        // Sales users cannot manage teams.
        for reply in [
            server.get("/api/v1/admin/teams", &sam_token).await,
            server.post("/api/v1/admin/teams", &sam_token, json!({"name": "Mine"})).await,
            server.put(&format!("/api/v1/admin/teams/{}/members", created.body["id"].as_str().unwrap()), &sam_token, json!({"user_ids": [sara]})).await,
        ] {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
            assert_eq!(reply.code(), "not_admin");
        }
    }

    async fn globex_sees_and_changes_nothing_of_acme(server) {
        let acme_ids = provision(&server, seed::ACME_ADMIN, &[seed::ACME_SELLER]).await;
        let globex_ids = provision(&server, seed::GLOBEX_ADMIN, &[seed::GLOBEX_SELLER]).await;
        let acme = server.token_for(seed::ACME_ADMIN).await;
        let globex = server.token_for(seed::GLOBEX_ADMIN).await;
        let team = server.post("/api/v1/admin/teams", &acme, json!({"name": "Acme team", "user_ids": [acme_ids[0]]})).await;
        let team_id = team.body["id"].as_str().unwrap().to_string();

        assert_eq!(server.get("/api/v1/admin/teams", &globex).await.body, json!([]));
        assert_eq!(server.get("/api/v1/teams", &globex).await.body, json!([]));
        assert_eq!(server.patch(&format!("/api/v1/admin/teams/{team_id}"), &globex, json!({"name": "Mine"})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.put(&format!("/api/v1/admin/teams/{team_id}/members"), &globex, json!({"user_ids": [globex_ids[0]]})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.delete(&format!("/api/v1/admin/teams/{team_id}"), &globex).await.status, StatusCode::NOT_FOUND);

        // Members must belong to the team's account.
        let foreign = server.put(&format!("/api/v1/admin/teams/{team_id}/members"), &acme, json!({"user_ids": [globex_ids[0]]})).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        assert_eq!(foreign.code(), "user_not_found");
        let foreign_create = server.post("/api/v1/admin/teams", &globex, json!({"name": "G", "user_ids": [acme_ids[0]]})).await;
        assert_eq!(foreign_create.status, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/admin/teams", &globex).await.body, json!([]), "nothing half-created");

        // Same team name in another account is fine.
        let same = server.post("/api/v1/admin/teams", &globex, json!({"name": "Acme team"})).await;
        assert_eq!(same.status, StatusCode::CREATED);
        let after = server.get("/api/v1/admin/teams", &acme).await;
        assert_eq!(after.body.as_array().unwrap().len(), 1);
        assert_eq!(after.body[0]["name"], "Acme team");
        assert_eq!(member_ids(&after.body[0]), vec![acme_ids[0].clone()]);
    }
}
