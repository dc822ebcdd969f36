//! SCIM 2.0 at /scim/v2 as Okta and Entra ID use it, over HTTP against the real server:
//! tokens, create/get/list/filter/paging, PUT, PATCH (Okta and Entra shapes), seats moving
//! with `active`, soft DELETE, discovery, error format, and tenant isolation.

mod common;

use common::{Reply, StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::{json, Value};

const SCIM_JSON: &str = "application/scim+json";

async fn issue_token(server: &TestServer, admin: &str) -> String {
    let token = server.token_for(admin).await;
    let reply = server
        .post("/api/v1/admin/scim-tokens", &token, json!({"name": "Okta"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["token"]
        .as_str()
        .expect("token shown once")
        .to_string()
}

async fn scim(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (Reply, String) {
    let mut request = server
        .http
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", SCIM_JSON)
            .body(serde_json::to_vec(&body).unwrap());
    }
    let response = request.send().await.expect("scim request");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (Reply { status, body, text }, content_type)
}

async fn get(server: &TestServer, path: &str, token: &str) -> Reply {
    scim(server, reqwest::Method::GET, path, token, None)
        .await
        .0
}

async fn post(server: &TestServer, path: &str, token: &str, body: Value) -> Reply {
    scim(server, reqwest::Method::POST, path, token, Some(body))
        .await
        .0
}

async fn patch(server: &TestServer, path: &str, token: &str, body: Value) -> Reply {
    scim(server, reqwest::Method::PATCH, path, token, Some(body))
        .await
        .0
}

async fn put(server: &TestServer, path: &str, token: &str, body: Value) -> Reply {
    scim(server, reqwest::Method::PUT, path, token, Some(body))
        .await
        .0
}

async fn delete(server: &TestServer, path: &str, token: &str) -> Reply {
    scim(server, reqwest::Method::DELETE, path, token, None)
        .await
        .0
}

fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "externalId": format!("00u-{given}"),
        "active": true
    })
}

async fn seats_used(server: &TestServer, admin: &str) -> i64 {
    let token = server.token_for(admin).await;
    let reply = server.get("/api/v1/admin/seats", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["used"].as_i64().unwrap()
}

fn assert_scim_error(reply: &Reply, status: u16) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(
        reply.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{}",
        reply.text
    );
    assert_eq!(reply.body["status"], status.to_string(), "{}", reply.text);
    assert!(
        reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        reply.text
    );
}

both_backends! {
    async fn tokens_are_issued_once_listed_without_secret_and_revocable(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let issued = server.post("/api/v1/admin/scim-tokens", &admin, json!({"name": "Okta"})).await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
        let token = issued.body["token"].as_str().unwrap().to_string();
        let id = issued.body["id"].as_str().unwrap().to_string();
        let list = server.get("/api/v1/admin/scim-tokens", &admin).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert!(!list.text.contains(&token), "the secret is never listed");
        assert_eq!(get(&server, "/scim/v2/Users", &token).await.status, StatusCode::OK);

        let bad_name = server.post("/api/v1/admin/scim-tokens", &admin, json!({"name": "  "})).await;
        assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);

        // Globex's admin cannot revoke Acme's token.
        let globex = server.token_for(seed::GLOBEX_ADMIN).await;
        let foreign = server.delete(&format!("/api/v1/admin/scim-tokens/{id}"), &globex).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/admin/scim-tokens", &globex).await.body, json!([]));
        assert_eq!(get(&server, "/scim/v2/Users", &token).await.status, StatusCode::OK);

        let revoked = server.delete(&format!("/api/v1/admin/scim-tokens/{id}"), &admin).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        let after = get(&server, "/scim/v2/Users", &token).await;
        assert_scim_error(&after, 401);
        let listed = server.get("/api/v1/admin/scim-tokens", &admin).await;
        assert!(listed.body[0]["revoked_at"].is_i64());
    }

    async fn scim_needs_a_valid_token_and_answers_scim_errors(server) {
        let (none, content_type) = scim(&server, reqwest::Method::GET, "/scim/v2/Users", "", None).await;
        assert_scim_error(&none, 401);
        assert!(content_type.starts_with(SCIM_JSON), "{content_type}");
        let wrong = get(&server, "/scim/v2/Users", "spscim_not-a-token").await;
        assert_scim_error(&wrong, 401);
        // A user's SSO token is not a SCIM token.
        let sso = server.token_for(seed::ACME_ADMIN).await;
        assert_scim_error(&get(&server, "/scim/v2/Users", &sso).await, 401);

        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let missing = get(&server, "/scim/v2/Users/usr_nope", &token).await;
        assert_scim_error(&missing, 404);
        let bad_filter = get(&server, "/scim/v2/Users?filter=title%20sw%20%22x%22", &token).await;
        assert_scim_error(&bad_filter, 400);
        assert_eq!(bad_filter.body["scimType"], "invalidFilter");
        let not_json = server
            .http
            .post(server.url("/scim/v2/Users"))
            .bearer_auth(&token)
            .header("content-type", SCIM_JSON)
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
        let body: Value = not_json.json().await.unwrap();
        assert_eq!(body["scimType"], "invalidSyntax");
        let no_user_name = post(&server, "/scim/v2/Users", &token, json!({"active": true})).await;
        assert_scim_error(&no_user_name, 400);
        let no_email = post(&server, "/scim/v2/Users", &token, json!({"userName": "justaname"})).await;
        assert_scim_error(&no_email, 400);

        // Discovery.
        for path in ["/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/Schemas"] {
            let (reply, content_type) = scim(&server, reqwest::Method::GET, path, &token, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            assert!(content_type.starts_with(SCIM_JSON), "{path}: {content_type}");
        }
        let config = get(&server, "/scim/v2/ServiceProviderConfig", &token).await;
        assert_eq!(config.body["patch"]["supported"], true);
        assert_eq!(config.body["filter"]["supported"], true);
        let types = get(&server, "/scim/v2/ResourceTypes", &token).await;
        assert_eq!(types.body["Resources"][0]["endpoint"], "/Users");
    }

    async fn okta_creates_looks_up_and_pages_users(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 1);

        // Okta looks the user up first: nothing yet.
        let lookup = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22sam.seller%40acme.example%22&startIndex=1&count=100", &token).await;
        assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.text);
        assert_eq!(lookup.body["totalResults"], 0);
        assert_eq!(lookup.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");

        let (created, content_type) = scim(&server, reqwest::Method::POST, "/scim/v2/Users", &token,
            Some(okta_user(seed::ACME_SELLER, "Sam", "Seller"))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert!(content_type.starts_with(SCIM_JSON));
        let id = created.body["id"].as_str().unwrap().to_string();
        assert_eq!(created.body["userName"], seed::ACME_SELLER);
        assert_eq!(created.body["active"], true);
        assert_eq!(created.body["name"]["givenName"], "Sam");
        assert_eq!(created.body["externalId"], "00u-Sam");
        assert_eq!(created.body["emails"][0]["value"], seed::ACME_SELLER);
        assert!(created.body["meta"]["location"].as_str().unwrap().ends_with(&format!("/scim/v2/Users/{id}")));
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2, "an active SCIM user takes a seat");

        // The provisioned person can sign in, as a sales user.
        let sam = server.token_for(seed::ACME_SELLER).await;
        let denied = server.get("/api/v1/admin/scim-tokens", &sam).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert_eq!(denied.code(), "not_admin");

        // Duplicate userName, in another case: 409 uniqueness.
        let duplicate = post(&server, "/scim/v2/Users", &token, okta_user("SAM.Seller@acme.example", "Sam", "Seller")).await;
        assert_scim_error(&duplicate, 409);
        assert_eq!(duplicate.body["scimType"], "uniqueness");

        // Lookups: userName case-insensitively, externalId, get by id.
        let found = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22Sam.Seller%40ACME.example%22", &token).await;
        assert_eq!(found.body["totalResults"], 1, "{}", found.text);
        assert_eq!(found.body["Resources"][0]["id"], id.as_str());
        let by_external = get(&server, "/scim/v2/Users?filter=externalId%20eq%20%2200u-Sam%22", &token).await;
        assert_eq!(by_external.body["totalResults"], 1, "{}", by_external.text);
        let one = get(&server, &format!("/scim/v2/Users/{id}"), &token).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.body["displayName"], "Sam Seller");

        // The imported admin is visible too, under their email as userName.
        let admin = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22ada.admin%40acme.example%22", &token).await;
        assert_eq!(admin.body["totalResults"], 1);

        // Paging over 2 more users (4 in all, seats 5).
        for (user, given) in [(seed::ACME_REP, "Sara"), (seed::ACME_CLOSER, "Tom")] {
            let reply = post(&server, "/scim/v2/Users", &token, okta_user(user, given, "Rep")).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        }
        let page1 = get(&server, "/scim/v2/Users?startIndex=1&count=3", &token).await;
        assert_eq!(page1.body["totalResults"], 4);
        assert_eq!(page1.body["itemsPerPage"], 3);
        assert_eq!(page1.body["startIndex"], 1);
        let page2 = get(&server, "/scim/v2/Users?startIndex=4&count=3", &token).await;
        assert_eq!(page2.body["totalResults"], 4);
        assert_eq!(page2.body["itemsPerPage"], 1);
        let mut ids: Vec<String> = page1.body["Resources"].as_array().unwrap().iter()
            .chain(page2.body["Resources"].as_array().unwrap())
            .map(|r| r["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 4, "pages do not overlap");
        let counted = get(&server, "/scim/v2/Users?count=0", &token).await;
        assert_eq!(counted.body["totalResults"], 4);
        assert_eq!(counted.body["Resources"], json!([]));
        let bad_count = get(&server, "/scim/v2/Users?count=many", &token).await;
        assert_scim_error(&bad_count, 400);
    }

    async fn okta_and_entra_patches_move_seats(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let created = post(&server, "/scim/v2/Users", &token, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        let path = format!("/scim/v2/Users/{id}");
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2);

        // Okta: path-less replace with a value object.
        let okta = patch(&server, &path, &token, json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })).await;
        assert_eq!(okta.status, StatusCode::OK, "{}", okta.text);
        assert_eq!(okta.body["active"], false);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 1, "deactivation frees the seat");
        // A deactivated user cannot sign in.
        let sam = server.token_for(seed::ACME_SELLER).await;
        let refused = server.get("/api/v1/me/profile", &sam).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.code(), "user_deactivated");

        // Entra: capitalised ops, string booleans, attribute paths.
        let entra = patch(&server, &path, &token, json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "True"},
                {"op": "Replace", "path": "name.givenName", "value": "Samuel"},
                {"op": "Replace", "path": "name.familyName", "value": "Sellers"},
                {"op": "Add", "path": "title", "value": "Account Executive"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "Sam.Seller@acme.example"},
                {"op": "Add", "path": "externalId", "value": "entra-42"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}
            ]
        })).await;
        assert_eq!(entra.status, StatusCode::OK, "{}", entra.text);
        assert_eq!(entra.body["active"], true);
        assert_eq!(entra.body["name"]["givenName"], "Samuel");
        // displayName is its own attribute: changing the name parts leaves it as it was.
        assert_eq!(entra.body["displayName"], "Sam Seller");
        assert_eq!(entra.body["name"]["familyName"], "Sellers");
        assert_eq!(entra.body["title"], "Account Executive");
        assert_eq!(entra.body["externalId"], "entra-42");
        assert_eq!(entra.body["emails"][0]["value"], "sam.seller@acme.example");
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2, "reactivation takes a seat again");
        assert_eq!(server.get("/api/v1/me/profile", &sam).await.status, StatusCode::OK);

        // Entra deactivation with a string boolean, then displayName and userName paths.
        let off = patch(&server, &path, &token, json!({"Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "replace", "path": "displayName", "value": "Sam S."},
            {"op": "remove", "path": "title"}
        ]})).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.text);
        assert_eq!(off.body["active"], false);
        assert_eq!(off.body["displayName"], "Sam S.");
        assert!(off.body.get("title").is_none(), "{}", off.text);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 1);
        // Idempotent: deactivating again changes no seat count.
        let again = patch(&server, &path, &token, json!({"Operations": [{"op": "replace", "value": {"active": "False"}}]})).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 1);

        // Bad PATCHes are SCIM 400s, and change nothing.
        for (body, scim_type) in [
            (json!({"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}), "invalidValue"),
            (json!({"Operations": [{"op": "replace", "path": "salary", "value": "1"}]}), "invalidPath"),
            (json!({"Operations": [{"op": "frobnicate", "path": "active", "value": true}]}), "invalidSyntax"),
            (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
            (json!({"nothing": true}), "invalidSyntax"),
        ] {
            let reply = patch(&server, &path, &token, body).await;
            assert_scim_error(&reply, 400);
            assert_eq!(reply.body["scimType"], scim_type, "{}", reply.text);
        }
        assert_eq!(get(&server, &path, &token).await.body["displayName"], "Sam S.");

        // userName change, and a clash with another user's userName.
        let renamed = patch(&server, &path, &token, json!({"Operations": [{"op": "replace", "path": "userName", "value": "sam@okta.example"}]})).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        assert_eq!(renamed.body["userName"], "sam@okta.example");
        let clash = patch(&server, &path, &token, json!({"Operations": [{"op": "replace", "path": "userName", "value": "ADA.admin@acme.example"}]})).await;
        assert_scim_error(&clash, 409);
        assert_eq!(clash.body["scimType"], "uniqueness");
    }

    async fn put_replaces_and_seats_are_never_oversubscribed(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let created = post(&server, "/scim/v2/Users", &token, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        let replaced = put(&server, &format!("/scim/v2/Users/{id}"), &token, json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": seed::ACME_SELLER,
            "name": {"givenName": "Samantha", "familyName": "Seller"},
            "emails": [{"value": seed::ACME_SELLER, "primary": true}],
            "active": true
        })).await;
        assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
        assert_eq!(replaced.body["name"]["givenName"], "Samantha");
        assert!(replaced.body.get("displayName").is_none(), "PUT without displayName unassigns it: {}", replaced.text);
        assert!(replaced.body.get("externalId").is_none(), "PUT clears what it leaves out: {}", replaced.text);

        // Acme has 5 seats: admin + Sam + 3 more fill them.
        for (user, given) in [(seed::ACME_REP, "Sara"), (seed::ACME_CLOSER, "Tom"), ("rep01@acme.example", "Rep")] {
            let reply = post(&server, "/scim/v2/Users", &token, okta_user(user, given, "X")).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        }
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 5);
        let full = post(&server, "/scim/v2/Users", &token, okta_user("rep02@acme.example", "Rep", "Two")).await;
        assert_scim_error(&full, 403);
        assert!(full.body["detail"].as_str().unwrap().contains("seat"), "{}", full.text);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 5);
        // An inactive user takes no seat, and cannot be activated while none is free.
        let parked = post(&server, "/scim/v2/Users", &token, json!({"userName": "rep02@acme.example", "active": false})).await;
        assert_eq!(parked.status, StatusCode::CREATED, "{}", parked.text);
        assert_eq!(parked.body["active"], false);
        let parked_id = parked.body["id"].as_str().unwrap().to_string();
        let activate = patch(&server, &format!("/scim/v2/Users/{parked_id}"), &token,
            json!({"Operations": [{"op": "replace", "path": "active", "value": true}]})).await;
        assert_scim_error(&activate, 403);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 5);

        // Concurrent activations of one free seat: exactly one wins.
        let deactivate = patch(&server, &format!("/scim/v2/Users/{id}"), &token,
            json!({"Operations": [{"op": "replace", "value": {"active": false}}]})).await;
        assert_eq!(deactivate.status, StatusCode::OK);
        let (parked_path, sam_path) = (format!("/scim/v2/Users/{parked_id}"), format!("/scim/v2/Users/{id}"));
        let (a, b) = tokio::join!(
            patch(&server, &parked_path, &token, json!({"Operations": [{"op": "replace", "path": "active", "value": true}]})),
            patch(&server, &sam_path, &token, json!({"Operations": [{"op": "replace", "path": "active", "value": true}]})),
        );
        let wins = [&a, &b].iter().filter(|r| r.status == StatusCode::OK).count();
        assert_eq!(wins, 1, "{} / {}", a.text, b.text);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 5);
    }

    async fn delete_deactivates_and_hides_but_never_deletes(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let created = post(&server, "/scim/v2/Users", &token, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2);
        let deleted = delete(&server, &format!("/scim/v2/Users/{id}"), &token).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 1, "the seat is freed");
        assert_scim_error(&get(&server, &format!("/scim/v2/Users/{id}"), &token).await, 404);
        assert_scim_error(&delete(&server, &format!("/scim/v2/Users/{id}"), &token).await, 404);
        let listed = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22sam.seller%40acme.example%22", &token).await;
        assert_eq!(listed.body["totalResults"], 0);

        // Still a (deactivated) Salespane user, with whatever activity they own.
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let users = server.get("/api/v1/admin/users", &admin).await;
        assert_eq!(users.status, StatusCode::OK, "{}", users.text);
        let list = users.body.as_array().or_else(|| users.body["users"].as_array()).expect("user list");
        let sam = list.iter().find(|u| u["id"] == id.as_str()).cloned();
        assert_eq!(sam.expect("user kept")["status"], "deactivated");

        // Provisioned again: the same user comes back, active.
        let again = post(&server, "/scim/v2/Users", &token, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
        assert_eq!(again.body["id"], id.as_str());
        assert_eq!(again.body["active"], true);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2);
    }

    async fn a_globex_token_never_sees_or_changes_acme_users(server) {
        let acme = issue_token(&server, seed::ACME_ADMIN).await;
        let globex = issue_token(&server, seed::GLOBEX_ADMIN).await;
        let created = post(&server, "/scim/v2/Users", &acme, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        let id = created.body["id"].as_str().unwrap().to_string();
        let path = format!("/scim/v2/Users/{id}");

        let list = get(&server, "/scim/v2/Users", &globex).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.body["totalResults"], 1, "only Globex's own admin: {}", list.text);
        assert!(!list.text.contains("acme.example"));
        let filtered = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22sam.seller%40acme.example%22", &globex).await;
        assert_eq!(filtered.body["totalResults"], 0);
        assert_scim_error(&get(&server, &path, &globex).await, 404);
        assert_scim_error(&patch(&server, &path, &globex, json!({"Operations": [{"op": "replace", "value": {"active": false}}]})).await, 404);
        assert_scim_error(&put(&server, &path, &globex, okta_user(seed::ACME_SELLER, "X", "Y")).await, 404);
        assert_scim_error(&delete(&server, &path, &globex).await, 404);
        let still = get(&server, &path, &acme).await;
        assert_eq!(still.body["active"], true);
        assert_eq!(still.body["displayName"], "Sam Seller");

        // The same person may exist in both accounts: uniqueness is per account.
        let twin = post(&server, "/scim/v2/Users", &globex, okta_user(seed::ACME_SELLER, "Sam", "Seller")).await;
        assert_eq!(twin.status, StatusCode::CREATED, "{}", twin.text);
        assert_ne!(twin.body["id"], id.as_str());
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, 2);
        assert_eq!(seats_used(&server, seed::GLOBEX_ADMIN).await, 2);
    }

    async fn the_last_admin_and_admin_emails_are_kept_over_scim(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let found = get(&server, &format!("/scim/v2/Users?filter=userName%20eq%20%22{}%22", seed::ACME_ADMIN), &token).await;
        let id = found.body["Resources"][0]["id"].as_str().expect("the admin is a SCIM resource").to_string();
        let path = format!("/scim/v2/Users/{id}");
        for body in [
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
            json!({"Operations": [{"op": "replace", "value": {"active": "False"}}]}),
            json!({"Operations": [{"op": "remove", "path": "active"}]}),
        ] {
            let refused = patch(&server, &path, &token, body).await;
            assert_scim_error(&refused, 400);
            assert_eq!(refused.body["scimType"], "mutability", "{}", refused.text);
        }
        let refused = put(&server, &path, &token, json!({"userName": seed::ACME_ADMIN, "emails": [{"value": seed::ACME_ADMIN}], "active": false})).await;
        assert_scim_error(&refused, 400);
        let refused = delete(&server, &path, &token).await;
        assert_scim_error(&refused, 400);
        // An administrator's email is how they sign in: not changed over SCIM.
        let refused = patch(&server, &path, &token, json!({"Operations": [
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "attacker@evil.example"}]})).await;
        assert_scim_error(&refused, 400);
        assert_eq!(refused.body["scimType"], "mutability", "{}", refused.text);
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let me = server.get("/api/v1/me", &admin).await;
        assert_eq!(me.status, StatusCode::OK, "the admin still signs in: {}", me.text);
        assert_eq!(get(&server, &path, &token).await.body["emails"][0]["value"], seed::ACME_ADMIN);
    }

    async fn scim_keeps_attributes_as_sent_and_projects_answers(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let (created, _) = scim(&server, reqwest::Method::POST, "/scim/v2/Users", &token, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "kim-0042",
            "name": {"formatted": "Ms Kim Lee", "givenName": "Kim", "familyName": "Lee", "honorificPrefix": "Ms"},
            "displayName": "Kimmy",
            "emails": [{"value": "kim@acme.example", "type": "home", "primary": false}],
            "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile", "primary": true}],
            "favouriteColour": "teal",
            "active": true
        }))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.body["id"].as_str().unwrap().to_string();
        let path = format!("/scim/v2/Users/{id}");
        let user = get(&server, &path, &token).await;
        assert_eq!(user.body["displayName"], "Kimmy");
        assert_eq!(user.body["name"]["formatted"], "Ms Kim Lee");
        assert_eq!(user.body["emails"], json!([{"value": "kim@acme.example", "type": "home", "primary": false}]));
        assert_eq!(user.body["phoneNumbers"], json!([{"value": "+1 555 0100", "type": "mobile", "primary": true}]));
        assert!(user.body.get("favouriteColour").is_none());

        // 201 says where the new user is.
        let response = server.http.post(server.url("/scim/v2/Users")).bearer_auth(&token)
            .header("content-type", SCIM_JSON)
            .body(serde_json::to_vec(&json!({"userName": "lee@acme.example", "active": false})).unwrap())
            .send().await.expect("create");
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body: Value = response.json().await.expect("json");
        assert_eq!(location.as_deref(), body["meta"]["location"].as_str());
        assert!(location.unwrap_or_default().ends_with(&format!("/scim/v2/Users/{}", body["id"].as_str().unwrap())));

        // attributes / excludedAttributes, on one user and on the list.
        let only = get(&server, &format!("{path}?attributes=userName,name.givenName"), &token).await;
        let mut keys: Vec<&str> = only.body.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, vec!["id", "name", "schemas", "userName"], "{}", only.text);
        assert_eq!(only.body["name"], json!({"givenName": "Kim"}));
        let without = get(&server, &format!("{path}?excludedAttributes=emails,phoneNumbers"), &token).await;
        assert!(without.body.get("emails").is_none() && without.body.get("phoneNumbers").is_none(), "{}", without.text);
        assert_eq!(without.body["displayName"], "Kimmy");
        let listed = get(&server, "/scim/v2/Users?filter=userName%20eq%20%22kim-0042%22&attributes=displayName", &token).await;
        assert_eq!(listed.body["Resources"][0], json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id, "displayName": "Kimmy"}));
        // The same through POST .search, at the root and on /Users.
        for search_path in ["/scim/v2/.search", "/scim/v2/Users/.search"] {
            let found = post(&server, search_path, &token, json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "userName eq \"kim-0042\"", "attributes": ["displayName"], "startIndex": 1, "count": 10
            })).await;
            assert_eq!(found.status, StatusCode::OK, "{search_path}: {}", found.text);
            assert_eq!(found.body["totalResults"], 1);
            assert_eq!(found.body["Resources"][0], listed.body["Resources"][0]);
        }

        // remove unassigns optional attributes; removing active frees the seat.
        let seats = seats_used(&server, seed::ACME_ADMIN).await;
        let removed = patch(&server, &path, &token, json!({"Operations": [
            {"op": "remove", "path": "displayName"},
            {"op": "remove", "path": "active"},
            {"op": "remove", "path": "name"},
            {"op": "remove", "path": "phoneNumbers"}
        ]})).await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
        for attribute in ["displayName", "active", "name", "phoneNumbers"] {
            assert!(removed.body.get(attribute).is_none(), "{attribute} left: {}", removed.text);
        }
        assert_eq!(get(&server, &path, &token).await.body, removed.body);
        assert_eq!(seats_used(&server, seed::ACME_ADMIN).await, seats - 1);
    }

    async fn every_scim_answer_is_scim_and_discovery_goes_by_id(server) {
        let token = issue_token(&server, seed::ACME_ADMIN).await;
        let schemas = get(&server, "/scim/v2/Schemas", &token).await;
        let names: Vec<&str> = schemas.body["Resources"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(names, vec!["User", "ServiceProviderConfig", "ResourceType", "Schema"]);
        for schema in schemas.body["Resources"].as_array().unwrap() {
            let location = schema["meta"]["location"].as_str().unwrap();
            let path = location.strip_prefix(&server.base).unwrap();
            let one = get(&server, path, &token).await;
            assert_eq!(one.status, StatusCode::OK, "{path}: {}", one.text);
            assert_eq!(&one.body, schema);
        }
        let user_type = get(&server, "/scim/v2/ResourceTypes/User", &token).await;
        assert_eq!(user_type.status, StatusCode::OK, "{}", user_type.text);
        assert_eq!(user_type.body["schema"], "urn:ietf:params:scim:schemas:core:2.0:User");

        for (method, path, status) in [
            (reqwest::Method::GET, "/scim/v2/Schemas/urn:nope", 404),
            (reqwest::Method::GET, "/scim/v2/ResourceTypes/Group", 404),
            (reqwest::Method::GET, "/scim/v2/Groups", 404),
            (reqwest::Method::GET, "/scim/v2/Users/usr_nobody", 404),
            (reqwest::Method::GET, "/scim/v2/Users/%FF%FE", 404),
            (reqwest::Method::DELETE, "/scim/v2/Schemas", 405),
            (reqwest::Method::POST, "/scim/v2/ServiceProviderConfig", 405),
            (reqwest::Method::PUT, "/scim/v2/Users", 405),
        ] {
            let (reply, content_type) = scim(&server, method.clone(), path, &token, None).await;
            assert!(reply.status.as_u16() == status || (path.contains("%FF") && reply.status.as_u16() == 400), "{method} {path}: {}", reply.text);
            assert_scim_error(&reply, reply.status.as_u16());
            assert!(content_type.starts_with(SCIM_JSON), "{method} {path}: {content_type}");
        }
    }
}
