//! `GET/PUT /api/v1/me/onboarding`: the Sales Insight Actions steps, resumable, with the
//! mailbox checked against the user's Salesforce identity and "finished" only when complete.

mod common;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

both_backends! {
    async fn onboarding_is_resumable_and_finishes_only_when_complete(server) {
        let sam = server.provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER).await;
        let fresh = server.get("/api/v1/me/onboarding", &sam).await;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
        assert!(fresh.body["finished_at"].is_null());
        assert!(fresh.body["authorized"].is_null());

        // Finishing at once: 409 listing what is missing.
        let early = server.put("/api/v1/me/onboarding", &sam, json!({"finished": true})).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
        assert_eq!(early.code(), "onboarding_incomplete");
        let message = early.body["error"]["message"].as_str().unwrap();
        for step in ["authorized", "email_client", "mailbox", "signature"] {
            assert!(message.contains(step), "{step} listed: {message}");
        }

        // Step by step; each answer is the state to resume from.
        let step = server.put("/api/v1/me/onboarding", &sam, json!({"authorized": "done"})).await;
        assert_eq!(step.status, StatusCode::OK, "{}", step.text);
        assert_eq!(step.body["authorized"], "done");
        assert!(step.body["activated_at"].is_i64(), "signing in counts as activation");
        let step = server.put("/api/v1/me/onboarding", &sam, json!({"email_client": "outlook"})).await;
        assert_eq!(step.body["email_client"], "outlook");
        let resumed = server.get("/api/v1/me/onboarding", &sam).await;
        assert_eq!(resumed.body["authorized"], "done");
        assert_eq!(resumed.body["email_client"], "outlook");
        assert!(resumed.body["mailbox"].is_null());

        let still = server.put("/api/v1/me/onboarding", &sam, json!({"finished": true})).await;
        assert_eq!(still.status, StatusCode::CONFLICT);
        let message = still.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("mailbox") && message.contains("signature") && !message.contains("email_client"), "{message}");

        let mailbox = server.put("/api/v1/me/onboarding", &sam, json!({"mailbox": " Sam.Seller@ACME.example "})).await;
        assert_eq!(mailbox.status, StatusCode::OK, "{}", mailbox.text);
        assert_eq!(mailbox.body["mailbox"], "sam.seller@acme.example");

        // Signature skipped and finish in one request.
        let done = server.put("/api/v1/me/onboarding", &sam, json!({"signature": "skipped", "finished": true})).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert!(done.body["finished_at"].is_i64());
        assert_eq!(done.body["signature"], "skipped");
        let tour = server.put("/api/v1/me/onboarding", &sam, json!({"tour": "skipped"})).await;
        assert_eq!(tour.body["tour"], "skipped");
        let end = server.get("/api/v1/me/onboarding", &sam).await;
        assert_eq!(end.body["tour"], "skipped");
        assert_eq!(end.body["finished_at"], done.body["finished_at"]);

        // Bad values are 4xx, never 500.
        let bad = server.put("/api/v1/me/onboarding", &sam, json!({"email_client": "lotus_notes"})).await;
        assert!(bad.status.is_client_error(), "{}", bad.text);

        // Someone else's onboarding is their own.
        let admin = server.token_for(seed::ACME_ADMIN).await;
        let theirs = server.get("/api/v1/me/onboarding", &admin).await;
        assert!(theirs.body["finished_at"].is_null(), "{}", theirs.text);
    }

    async fn the_mailbox_must_be_the_users_salesforce_address(server) {
        let sam = server.provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER).await;
        let other = server.put("/api/v1/me/onboarding", &sam, json!({"mailbox": "sam.private@gmail.example"})).await;
        assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text);
        assert_eq!(other.code(), "mailbox_mismatch");
        let message = other.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Authorize step") && message.contains("Salesforce email"), "{message}");
        let invalid = server.put("/api/v1/me/onboarding", &sam, json!({"mailbox": "not-an-address"})).await;
        assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
        assert_eq!(invalid.code(), "invalid_mailbox");
        assert!(server.get("/api/v1/me/onboarding", &sam).await.body["mailbox"].is_null());

        // Dan signs in as dan.diff@acme.example; his Salesforce email is another address.
        // Both his login and his Salesforce identity email are accepted.
        let dan = server.provision_sales_user(seed::ACME_EMAIL_DIFFERS, seed::ACME_EMAIL_DIFFERS_EMAIL).await;
        for address in [seed::ACME_EMAIL_DIFFERS_EMAIL, seed::ACME_EMAIL_DIFFERS] {
            let reply = server.put("/api/v1/me/onboarding", &dan, json!({"mailbox": address})).await;
            assert_eq!(reply.status, StatusCode::OK, "{address}: {}", reply.text);
            assert_eq!(reply.body["mailbox"], address);
        }
        let wrong = server.put("/api/v1/me/onboarding", &dan, json!({"mailbox": seed::ACME_SELLER})).await;
        assert_eq!(wrong.code(), "mailbox_mismatch");
    }
}
