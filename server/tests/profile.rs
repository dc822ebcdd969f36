//! `GET/PUT /api/v1/me/profile`: signature, alerts with quiet hours, default Track, the
//! never-log list and personal details; validation answers 400 naming the field.

mod common;

use common::StatusCode;
use salespane_sandbox::seed;
use serde_json::json;

both_backends! {
    async fn profile_starts_with_defaults_and_keeps_what_is_saved(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        let fresh = server.get("/api/v1/me/profile", &token).await;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
        assert_eq!(fresh.body["default_track"], true);
        assert_eq!(fresh.body["never_log"], json!([]));
        assert_eq!(fresh.body["alerts"]["on_open"], true);

        let saved = server.put("/api/v1/me/profile", &token, json!({
            "signature": "<p>Ada <b>Admin</b></p><script>alert(1)</script>",
            "default_track": false,
            "alerts": {"on_open": false, "on_click": true, "on_reply": true, "on_website_visit": true,
                       "quiet_hours": {"start": "22:00", "end": "07:30", "time_zone": "Europe/Paris"}},
            "never_log": ["Jane.Prospect@Northwind.example", "northwind.example", "@Globex.example", "jane.prospect@northwind.example"]
        })).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert_eq!(saved.body["never_log"], json!(["jane.prospect@northwind.example", "northwind.example", "globex.example"]));
        let again = server.get("/api/v1/me/profile", &token).await;
        assert_eq!(again.body, saved.body);
        assert_eq!(again.body["signature"], "<p>Ada <b>Admin</b></p><script>alert(1)</script>", "kept as written; clients render it as untrusted");
        assert_eq!(again.body["alerts"]["quiet_hours"]["time_zone"], "Europe/Paris");
        assert_eq!(again.body["default_track"], false);

        // Partial update: only what is given changes.
        let partial = server.put("/api/v1/me/profile", &token, json!({"default_track": true})).await;
        assert_eq!(partial.status, StatusCode::OK);
        assert_eq!(partial.body["default_track"], true);
        assert_eq!(partial.body["never_log"], saved.body["never_log"]);
        assert_eq!(partial.body["signature"], saved.body["signature"]);

        // Each user has their own.
        let sam = server.provision_sales_user(seed::ACME_SELLER, seed::ACME_SELLER).await;
        let theirs = server.get("/api/v1/me/profile", &sam).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
        assert_eq!(theirs.body["never_log"], json!([]));
        assert_eq!(theirs.body["signature"], "");

        let anonymous = common::read(server.http.get(server.url("/api/v1/me/profile"))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }

    async fn bad_fields_are_400s_naming_the_field_and_change_nothing(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        let ok = server.put("/api/v1/me/profile", &token, json!({"signature": "x".repeat(20 * 1024), "never_log": ["a.example"]})).await;
        assert_eq!(ok.status, StatusCode::OK, "a 20 KB signature fits: {}", ok.text);
        let quiet = |start: &str, end: &str, zone: &str| json!({"alerts": {"on_open": true, "on_click": true, "on_reply": true,
            "on_website_visit": false, "quiet_hours": {"start": start, "end": end, "time_zone": zone}}});
        for (body, code, field) in [
            (json!({"signature": "x".repeat(20 * 1024 + 1)}), "signature_too_large", "signature"),
            (quiet("25:00", "07:00", "UTC"), "invalid_quiet_hours", "alerts.quiet_hours.start"),
            (quiet("22:00", "7:00", "UTC"), "invalid_quiet_hours", "alerts.quiet_hours.end"),
            (quiet("22:00", "07:00", "Mars/Olympus Mons"), "invalid_time_zone", "alerts.quiet_hours.time_zone"),
            (quiet("22:00", "07:00", "Paris"), "invalid_time_zone", "alerts.quiet_hours.time_zone"),
            (json!({"never_log": ["ok.example", "not an address"]}), "invalid_never_log", "never_log[1]"),
            (json!({"never_log": ["localhost"]}), "invalid_never_log", "never_log[0]"),
            (json!({"never_log": ["a@@b.example"]}), "invalid_never_log", "never_log[0]"),
            (json!({"name": "   "}), "invalid_name", "name"),
            (json!({"phone": "call me maybe"}), "invalid_phone", "phone"),
            (json!({"photo_url": "http://cdn.example/ada.png"}), "invalid_photo_url", "photo_url"),
            (json!({"photo_url": "javascript:alert(1)"}), "invalid_photo_url", "photo_url"),
            (json!({"photo_url": "data:image/png;base64,AAAA"}), "invalid_photo_url", "photo_url"),
            (json!({"title": "x".repeat(201)}), "invalid_title", "title"),
        ] {
            // A valid change alongside must not be applied either.
            let mut body = body;
            body["default_track"] = json!(false);
            let reply = server.put("/api/v1/me/profile", &token, body.clone()).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.text);
            assert_eq!(reply.code(), code, "{}", reply.text);
            let message = reply.body["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(field), "message names {field}: {message}");
        }
        let unchanged = server.get("/api/v1/me/profile", &token).await;
        assert_eq!(unchanged.body["default_track"], true);
        assert_eq!(unchanged.body["never_log"], json!(["a.example"]));

        // Wrong JSON types: a 4xx, never a 500.
        let wrong = server.put("/api/v1/me/profile", &token, json!({"never_log": "a.example"})).await;
        assert!(wrong.status.is_client_error(), "{}", wrong.text);
        let not_json = common::read(server.http.put(server.url("/api/v1/me/profile")).bearer_auth(&token).body("{")).await;
        assert!(not_json.status.is_client_error(), "{}", not_json.text);
    }

    async fn personal_details_are_saved_on_the_user(server) {
        let token = server.token_for(seed::ACME_ADMIN).await;
        let saved = server.put("/api/v1/me/profile", &token, json!({
            "name": "  Ada Lovelace ", "title": "Head of Sales", "phone": "+1 (415) 555-0100",
            "photo_url": "https://cdn.acme.example/ada.png"
        })).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let me = server.get("/api/v1/me", &token).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_eq!(me.body["user"]["name"], "Ada Lovelace");
        assert_eq!(me.body["user"]["title"], "Head of Sales");
        assert_eq!(me.body["user"]["phone"], "+1 (415) 555-0100");
        assert_eq!(me.body["user"]["photo_url"], "https://cdn.acme.example/ada.png");

        // Empty clears the optional ones; absent keeps them.
        let cleared = server.put("/api/v1/me/profile", &token, json!({"title": "", "photo_url": ""})).await;
        assert_eq!(cleared.status, StatusCode::OK);
        let me = server.get("/api/v1/me", &token).await;
        assert!(me.body["user"]["title"].is_null());
        assert!(me.body["user"]["photo_url"].is_null());
        assert_eq!(me.body["user"]["phone"], "+1 (415) 555-0100");
        assert_eq!(me.body["user"]["name"], "Ada Lovelace");

        // Globex's admin is untouched.
        let globex = server.token_for(seed::GLOBEX_ADMIN).await;
        let theirs = server.get("/api/v1/me", &globex).await;
        assert_ne!(theirs.body["user"]["name"], "Ada Lovelace");
    }
}
