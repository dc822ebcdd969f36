//! `salespane-server admin …` against the server's database.

mod common;

use common::StatusCode;
use serde_json::json;
use sqlx::Row;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

both_backends! {
    async fn operators_set_up_accounts_from_the_command_line(server) {
        let created = server.admin_cli(&[
            "create-account", "--name", "Initech", "--org-id", "00D5g000004ABCD",
            "--idp-issuer", "https://initech.okta.example", "--seats", "3",
            "--admin-email", "Bill.Lumbergh@initech.example", "--admin-crm-user-id", "005Ac0000000001",
        ]);
        assert!(created.status.success(), "{}", stderr(&created));
        let text = stdout(&created);
        let account = text.split_whitespace().nth(1).unwrap().to_string();
        assert!(account.starts_with("acc_"), "{text}");

        let list = server.admin_cli(&["list-accounts"]);
        assert!(list.status.success());
        let listing = stdout(&list);
        assert!(listing.contains("Initech") && listing.contains("1/3") && listing.contains("Acme Sandbox"), "{listing}");
        let users = server.admin_cli(&["list-users", "--account", &account]);
        let users = stdout(&users);
        assert!(users.contains("bill.lumbergh@initech.example") && users.contains("admin") && users.contains("admin_cli"), "{users}");

        // Duplicates, bad ids and bad numbers are refused clearly.
        let again = server.admin_cli(&["create-account", "--name", "Initech 2", "--org-id", "00D5g000004ABCD", "--idp-issuer", "https://initech.okta.example", "--seats", "3", "--admin-email", "x@initech.example"]);
        assert!(!again.status.success());
        assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
        let bad = server.admin_cli(&["create-account", "--name", "X", "--org-id", "nonsense", "--seats", "3", "--admin-email", "x@x.example"]);
        assert!(!bad.status.success());
        assert!(stderr(&bad).contains("Salesforce organization id"), "{}", stderr(&bad));
        let bad = server.admin_cli(&["create-account", "--name", "X", "--org-id", "00D5g000004ABCE", "--seats", "0", "--admin-email", "x@x.example"]);
        assert!(stderr(&bad).contains("--seats"));

        // Seats: never below those in use.
        let acme = listing.lines().find(|l| l.contains("Acme Sandbox")).unwrap().split('\t').next().unwrap().to_string();
        let below = server.admin_cli(&["set-seats", "--account", &acme, "--seats", "0"]);
        assert!(!below.status.success());
        assert!(stderr(&below).contains("1 seats in use"), "{}", stderr(&below));
        let raised = server.admin_cli(&["set-seats", "--account", &acme, "--seats", "12"]);
        assert!(raised.status.success(), "{}", stderr(&raised));
        let admin = server.token_for(salespane_sandbox::seed::ACME_ADMIN).await;
        assert_eq!(server.get("/api/v1/admin/seats", &admin).await.body, json!({"limit": 12, "used": 1, "left": 11}));
        let unknown = server.admin_cli(&["set-seats", "--account", "acc_nope", "--seats", "3"]);
        assert!(stderr(&unknown).contains("no account acc_nope"));

        // SCIM tokens: printed once, only the hash kept.
        let issued = server.admin_cli(&["issue-scim-token", "--account", &acme, "--name", "Okta"]);
        assert!(issued.status.success(), "{}", stderr(&issued));
        let token = stdout(&issued).lines().last().unwrap().trim().to_string();
        assert!(token.starts_with("spscim_") && token.len() > 40, "{token}");
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&server.database_url).await.unwrap();
        let row = sqlx::query("SELECT token_hash, name FROM scim_tokens WHERE account_id = $1").bind(&acme).fetch_one(&pool).await.unwrap();
        let hash: String = row.try_get("token_hash").unwrap();
        assert_eq!(hash, salespane_server::crypto::token_hash(&token));
        assert_ne!(hash, token);
        let _ = StatusCode::OK;
    }
}
