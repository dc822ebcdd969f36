//! Automatic user sync end to end against the sandbox: CRM activity matching an active
//! workflow creates the responsible CRM user as a sales user (seat permitting), only with
//! the setting on; workflows CRUD; admins only; per account.

mod common;

use common::crm_id;

use common::{Reply, StatusCode, TestServer};
use salespane_sandbox::seed;
use serde_json::{json, Value};

/// Creates an Opportunity in the sandbox through its REST API as `username`.
async fn create_opportunity(server: &TestServer, username: &str, extra: Value) -> String {
    let token = server.token_for(username).await;
    let mut body = json!({"Name": format!("Deal by {username}"), "StageName": "Prospecting", "CloseDate": "2027-03-31"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let reply = common::read(
        server
            .http
            .post(format!(
                "{}/services/data/v66.0/sobjects/Opportunity",
                server.sandbox
            ))
            .bearer_auth(&token)
            .json(&body),
    )
    .await;
    assert!(
        reply.status.is_success(),
        "create opportunity as {username}: {}",
        reply.text
    );
    reply.body["id"].as_str().expect("record id").to_string()
}

async fn run(server: &TestServer, admin: &str) -> Reply {
    let reply = server
        .post("/api/v1/admin/autosync/run", admin, json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply
}

async fn users(server: &TestServer, admin: &str) -> Vec<Value> {
    let reply = server.get("/api/v1/admin/users", admin).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply
        .body
        .as_array()
        .or_else(|| reply.body["users"].as_array())
        .expect("user list")
        .clone()
}

async fn has_user(server: &TestServer, admin: &str, username: &str) -> Option<Value> {
    let id = crm_id(username);
    users(server, admin)
        .await
        .into_iter()
        .find(|u| u["crm_user_id"] == id.as_str())
}

fn created_ids(reply: &Reply) -> Vec<String> {
    reply.body["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["crm_user_id"].as_str().unwrap().to_string())
        .collect()
}

both_backends! {
    async fn crm_activity_creates_the_responsible_user(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        assert_eq!(server.get("/api/v1/admin/autosync", &admin).await.body, json!({"enabled": false}));
        let workflow = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "Opportunities", "crm_object": "Opportunity", "trigger": "created_or_updated"})).await;
        assert_eq!(workflow.status, StatusCode::CREATED, "{}", workflow.text);

        // Setting off: nothing happens.
        create_opportunity(&server, seed::ACME_SELLER, json!({})).await;
        let off = run(&server, &admin).await;
        assert_eq!(off.body["enabled"], false);
        assert_eq!(off.body["created"], json!([]));
        assert!(has_user(&server, &admin, seed::ACME_SELLER).await.is_none());

        // Turned on: activity from while it was off does not count.
        let on = server.put("/api/v1/admin/autosync", &admin, json!({"enabled": true})).await;
        assert_eq!(on.status, StatusCode::OK, "{}", on.text);
        assert_eq!(server.get("/api/v1/admin/autosync", &admin).await.body, json!({"enabled": true}));
        let quiet = run(&server, &admin).await;
        assert_eq!(quiet.body["enabled"], true);
        assert_eq!(quiet.body["created"], json!([]), "{}", quiet.text);

        // New activity by Sam (not a sales user yet): Sam is created.
        create_opportunity(&server, seed::ACME_SELLER, json!({})).await;
        let pass = run(&server, &admin).await;
        assert_eq!(pass.body["workflows_checked"], 1);
        assert!(pass.body["records_seen"].as_i64().unwrap() >= 1);
        assert_eq!(created_ids(&pass), vec![crm_id(seed::ACME_SELLER)], "{}", pass.text);
        let sam = has_user(&server, &admin, seed::ACME_SELLER).await.expect("Sam is a sales user now");
        assert_eq!(sam["source"], "auto_sync");
        assert_eq!(sam["role"], "sales_user");
        assert_eq!(sam["status"], "active");
        assert_eq!(sam["team_ids"], json!([]));
        let seats = server.get("/api/v1/admin/seats", &admin).await;
        assert_eq!(seats.body["used"], 2);

        // Sam can sign in; team views do not show him until an admin places him.
        let sam_token = server.token_for(seed::ACME_SELLER).await;
        assert_eq!(server.get("/api/v1/me/profile", &sam_token).await.status, StatusCode::OK);
        server.post("/api/v1/admin/teams", &admin, json!({"name": "Closers"})).await;
        let view = server.get("/api/v1/teams", &sam_token).await;
        assert_eq!(view.body[0]["members"], json!([]), "{}", view.text);
        // And as a sales user he gets 403 on the admin routes.
        for reply in [
            server.get("/api/v1/admin/autosync", &sam_token).await,
            server.post("/api/v1/admin/autosync/run", &sam_token, json!({})).await,
            server.get("/api/v1/admin/workflows", &sam_token).await,
        ] {
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
            assert_eq!(reply.code(), "not_admin");
        }

        // A second pass creates nothing more.
        let second = run(&server, &admin).await;
        assert_eq!(second.body["created"], json!([]), "{}", second.text);
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 2);
    }

    async fn inactive_workflows_and_ineligible_users_create_nothing(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        server.put("/api/v1/admin/autosync", &admin, json!({"enabled": true})).await;
        let workflow = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "New deals", "crm_object": "Opportunity", "trigger": "created", "active": false})).await;
        assert_eq!(workflow.body["active"], false);
        let id = workflow.body["id"].as_str().unwrap().to_string();

        create_opportunity(&server, seed::ACME_REP, json!({})).await;
        let idle = run(&server, &admin).await;
        assert_eq!(idle.body["workflows_checked"], 0);
        assert_eq!(idle.body["created"], json!([]));
        assert!(has_user(&server, &admin, seed::ACME_REP).await.is_none());

        // Reactivated: starts from now, so Sara's earlier deal still creates nothing.
        let active = server.patch(&format!("/api/v1/admin/workflows/{id}"), &admin, json!({"active": true})).await;
        assert_eq!(active.status, StatusCode::OK, "{}", active.text);
        assert_eq!(run(&server, &admin).await.body["created"], json!([]));

        // The admin creates deals owned by users who may not be synced: no API access, and
        // inactive. They are reported, never created; the admin already exists.
        create_opportunity(&server, seed::ACME_ADMIN, json!({"OwnerId": crm_id(seed::ACME_NO_API)})).await;
        create_opportunity(&server, seed::ACME_ADMIN, json!({"OwnerId": crm_id(seed::ACME_INACTIVE)})).await;
        let pass = run(&server, &admin).await;
        assert_eq!(pass.body["created"], json!([]), "{}", pass.text);
        let skipped: Vec<(String, String)> = pass.body["skipped"].as_array().unwrap().iter()
            .map(|s| (s["crm_user_id"].as_str().unwrap().to_string(), s["code"].as_str().unwrap().to_string())).collect();
        assert!(skipped.contains(&(crm_id(seed::ACME_NO_API), "no_api_access".to_string())), "{skipped:?}");
        assert!(skipped.contains(&(crm_id(seed::ACME_INACTIVE), "inactive_in_crm".to_string())), "{skipped:?}");
        assert!(has_user(&server, &admin, seed::ACME_NO_API).await.is_none());
        assert!(has_user(&server, &admin, seed::ACME_INACTIVE).await.is_none());

        // Deals owned by others: the owner is created (the creator is the admin).
        create_opportunity(&server, seed::ACME_ADMIN, json!({"OwnerId": crm_id(seed::ACME_CLOSER)})).await;
        let pass = run(&server, &admin).await;
        assert_eq!(created_ids(&pass), vec![crm_id(seed::ACME_CLOSER)], "{}", pass.text);
    }

    async fn no_seat_is_skipped_and_reported_not_an_error(server) {
        // Acme: 5 seats, the admin holds one.
        let admin = server.token_for(seed::ACME_ADMIN).await;
        server.put("/api/v1/admin/autosync", &admin, json!({"enabled": true})).await;
        server.post("/api/v1/admin/workflows", &admin, json!({"name": "All", "crm_object": "Opportunity", "trigger": "created_or_updated"})).await;
        let reps = ["rep01@acme.example", "rep02@acme.example", "rep03@acme.example", "rep04@acme.example", "rep05@acme.example"];
        for rep in reps {
            create_opportunity(&server, seed::ACME_ADMIN, json!({"OwnerId": crm_id(rep)})).await;
        }
        let pass = run(&server, &admin).await;
        assert_eq!(pass.body["created"].as_array().unwrap().len(), 4, "{}", pass.text);
        let no_seat: Vec<&Value> = pass.body["skipped"].as_array().unwrap().iter().filter(|s| s["code"] == "no_seat").collect();
        assert_eq!(no_seat.len(), 1, "{}", pass.text);
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 5);
        let again = run(&server, &admin).await;
        assert_eq!(again.body["created"], json!([]));
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 5);
    }

    async fn an_existing_user_with_the_same_email_is_linked_not_duplicated(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let issued = server.post("/api/v1/admin/scim-tokens", &admin, json!({"name": "Okta"})).await;
        let scim = issued.body["token"].as_str().unwrap().to_string();
        let provisioned = common::read(server.http.post(server.url("/scim/v2/Users")).bearer_auth(&scim)
            .json(&json!({"userName": seed::ACME_REP, "active": true}))).await;
        assert_eq!(provisioned.status, StatusCode::CREATED, "{}", provisioned.text);
        server.put("/api/v1/admin/autosync", &admin, json!({"enabled": true})).await;
        server.post("/api/v1/admin/workflows", &admin, json!({"name": "All", "crm_object": "Opportunity", "trigger": "created"})).await;
        create_opportunity(&server, seed::ACME_REP, json!({})).await;
        let pass = run(&server, &admin).await;
        assert_eq!(pass.body["created"], json!([]), "{}", pass.text);
        assert_eq!(pass.body["skipped"], json!([]), "{}", pass.text);
        let sara = has_user(&server, &admin, seed::ACME_REP).await.expect("Sara linked to her CRM user");
        assert_eq!(sara["id"], provisioned.body["id"]);
        assert_eq!(sara["source"], "scim");
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body["used"], 2);
    }

    async fn workflows_are_managed_by_admins_of_their_account(server) {
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let created = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "Tasks", "crm_object": "Task", "trigger": "updated"})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.body["active"], true);
        assert_eq!(created.body["crm_object"], "Task");
        let id = created.body["id"].as_str().unwrap().to_string();

        for object in ["Opportunity", "Task", "Event", "Lead", "Contact", "Account"] {
            let reply = server.post("/api/v1/admin/workflows", &admin,
                json!({"name": format!("{object} changes"), "crm_object": object, "trigger": "created"})).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{object}: {}", reply.text);
        }
        let unknown_object = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "Cases", "crm_object": "Case", "trigger": "created"})).await;
        assert!(unknown_object.status.is_client_error(), "{}", unknown_object.text);
        let unknown_trigger = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "X", "crm_object": "Lead", "trigger": "deleted"})).await;
        assert!(unknown_trigger.status.is_client_error(), "{}", unknown_trigger.text);
        let unnamed = server.post("/api/v1/admin/workflows", &admin,
            json!({"name": "", "crm_object": "Lead", "trigger": "created"})).await;
        assert_eq!(unnamed.code(), "invalid_workflow_name");

        let patched = server.patch(&format!("/api/v1/admin/workflows/{id}"), &admin,
            json!({"name": "Events", "crm_object": "Event", "trigger": "created_or_updated", "active": false})).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
        assert_eq!(patched.body["crm_object"], "Event");
        assert_eq!(patched.body["trigger"], "created_or_updated");
        assert_eq!(patched.body["active"], false);
        assert_eq!(server.get("/api/v1/admin/workflows", &admin).await.body.as_array().unwrap().len(), 7);

        // Globex's admin sees and changes nothing of Acme's.
        let globex = server.token_for(seed::GLOBEX_ADMIN).await;
        assert_eq!(server.get("/api/v1/admin/workflows", &globex).await.body, json!([]));
        assert_eq!(server.patch(&format!("/api/v1/admin/workflows/{id}"), &globex, json!({"active": true})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.delete(&format!("/api/v1/admin/workflows/{id}"), &globex).await.status, StatusCode::NOT_FOUND);
        server.put("/api/v1/admin/autosync", &globex, json!({"enabled": true})).await;
        assert_eq!(server.get("/api/v1/admin/autosync", &admin).await.body["enabled"], false);

        let deleted = server.delete(&format!("/api/v1/admin/workflows/{id}"), &admin).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(server.delete(&format!("/api/v1/admin/workflows/{id}"), &admin).await.status, StatusCode::NOT_FOUND);
        assert_eq!(server.get("/api/v1/admin/workflows", &admin).await.body.as_array().unwrap().len(), 6);
    }
}

/// The background worker (`SALESPANE_AUTOSYNC_INTERVAL_SECONDS`) runs passes on its own and
/// stops with the server. Started by hand: the harness has no per-server environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_worker_syncs_on_its_own_and_stops_on_shutdown() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir =
        std::env::temp_dir().join(format!("salespane-autosync-worker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/worker.db", dir.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_salespane-server"))
        .args([
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &database,
        ])
        .env(
            "SALESPANE_SECRET_KEY",
            "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=",
        )
        .env("SALESPANE_AUTOSYNC_INTERVAL_SECONDS", "1")
        .env("SALESPANE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(url) = line.strip_prefix("salespane-server listening on ") {
            break url.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let http = reqwest::Client::new();
    let token = |username: &'static str| {
        let http = http.clone();
        let url = format!("{base}/sfdc/_sandbox/token");
        async move {
            let reply = common::read(http.post(url).json(&json!({"username": username}))).await;
            reply.body["access_token"].as_str().unwrap().to_string()
        }
    };
    let admin = token(seed::ACME_ADMIN).await;
    let call = |method: reqwest::Method, path: &str, body: Value| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(&admin)
            .json(&body)
    };
    let on = common::read(call(
        reqwest::Method::PUT,
        "/api/v1/admin/autosync",
        json!({"enabled": true}),
    ))
    .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    let wf = common::read(call(
        reqwest::Method::POST,
        "/api/v1/admin/workflows",
        json!({"name": "Opps", "crm_object": "Opportunity", "trigger": "created"}),
    ))
    .await;
    assert_eq!(wf.status, StatusCode::CREATED, "{}", wf.text);
    let sam = token(seed::ACME_SELLER).await;
    let created = common::read(
        http.post(format!(
            "{base}/sfdc/services/data/v66.0/sobjects/Opportunity"
        ))
        .bearer_auth(&sam)
        .json(
            &json!({"Name": "Worker deal", "StageName": "Prospecting", "CloseDate": "2027-03-31"}),
        ),
    )
    .await;
    assert!(created.status.is_success(), "{}", created.text);

    let sam_id = crm_id(seed::ACME_SELLER);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = common::read(call(
            reqwest::Method::GET,
            "/api/v1/admin/users",
            Value::Null,
        ))
        .await;
        let found = list
            .body
            .as_array()
            .or_else(|| list.body["users"].as_array())
            .is_some_and(|users| {
                users
                    .iter()
                    .any(|u| u["crm_user_id"] == sam_id.as_str() && u["source"] == "auto_sync")
            });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never created Sam: {}",
            list.text
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // SIGTERM: the worker stops with the server.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}
