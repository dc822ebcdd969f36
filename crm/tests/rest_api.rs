//! The REST API against the sandbox, driven through salespane-crm: queries and paging, users,
//! records, composite, errors and faults.

mod common;

use common::{start, start_with_timeout};
use salespane_crm::{CompositeSubrequest, CrmError, PersonKind, UserQuery};
use salespane_sandbox::seed;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

const ACME_ACTIVE_USERS: u64 = seed::ACME_USER_COUNT as u64 - 1;

#[tokio::test]
async fn users_list_pages_searches_and_counts() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_ADMIN).await;
    let mut seen = HashSet::new();
    let mut offset = 0;
    loop {
        let page = session
            .list_users(&UserQuery {
                active_only: true,
                offset,
                limit: 20,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, ACME_ACTIVE_USERS);
        if page.users.is_empty() {
            break;
        }
        assert!(page.users.len() <= 20);
        for user in &page.users {
            assert!(user.is_active && user.user_type == "Standard");
            assert!(
                seen.insert(user.id.clone()),
                "user listed twice: {}",
                user.username
            );
        }
        offset += 20;
    }
    assert_eq!(seen.len() as u64, ACME_ACTIVE_USERS);
    assert!(!seen.contains(&seed::user_id(seed::ACME_INACTIVE).unwrap()));

    let all = session
        .list_users(&UserQuery {
            limit: 200,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, seed::ACME_USER_COUNT as u64);
    let nora = all
        .users
        .iter()
        .find(|u| u.username == seed::ACME_NO_API)
        .unwrap();
    assert!(!nora.api_enabled);
    assert_eq!(nora.profile_name.as_deref(), Some(seed::PROFILE_NO_API));
    let dan = all
        .users
        .iter()
        .find(|u| u.username == seed::ACME_EMAIL_DIFFERS)
        .unwrap();
    assert_eq!(dan.email, seed::ACME_EMAIL_DIFFERS_EMAIL);
    assert!(dan.api_enabled && dan.photo_url.is_some() && !dan.last_modified.is_empty());

    let found = session
        .list_users(&UserQuery {
            search: Some("CLOSER".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.users[0].username, seed::ACME_CLOSER);
    assert_eq!(found.users[0].name, "Tom Closer");
    let by_mail = session
        .list_users(&UserQuery {
            search: Some("acme-mail".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_mail.users.len(), 1);

    assert_eq!(
        session
            .count("SELECT COUNT() FROM User WHERE IsActive = true AND UserType = 'Standard'")
            .await
            .unwrap(),
        ACME_ACTIVE_USERS
    );
    let admin = session
        .get_user(&seed::user_id(seed::ACME_ADMIN).unwrap())
        .await
        .unwrap();
    assert_eq!(admin.profile_name.as_deref(), Some(seed::PROFILE_ADMIN));
    assert_eq!(
        session
            .get_user(&seed::user_id(seed::GLOBEX_ADMIN).unwrap())
            .await,
        Err(CrmError::NotFound),
        "another org's user is invisible"
    );
}

#[derive(Deserialize)]
struct UserRow {
    #[serde(rename = "Username")]
    username: String,
}

#[tokio::test]
async fn query_follows_next_records_url() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_REP).await.with_batch_size(10);
    let page = session
        .query_page::<UserRow>("SELECT Username FROM User")
        .await
        .unwrap();
    assert_eq!(page.total_size, seed::ACME_USER_COUNT as u64);
    assert_eq!(page.records.len(), 10);
    assert!(!page.done && page.next_records_url.is_some());
    let rows: Vec<UserRow> = session
        .query("SELECT Username FROM User ORDER BY Username")
        .await
        .unwrap();
    assert_eq!(rows.len(), seed::ACME_USER_COUNT);
    let names: HashSet<String> = rows.into_iter().map(|r| r.username).collect();
    assert_eq!(names.len(), seed::ACME_USER_COUNT);
    assert!(names.contains("rep40@acme.example"));
}

#[tokio::test]
async fn orgs_are_isolated() {
    let sb = start().await;
    let globex = sb.session_for(seed::GLOBEX_ADMIN).await;
    let users = globex.list_users(&UserQuery::default()).await.unwrap();
    assert_eq!(users.total, 3);
    assert!(users
        .users
        .iter()
        .all(|u| u.username.ends_with("@globex.example")));
    assert!(globex
        .find_people_by_email(seed::LEAD_JANE_EMAIL)
        .await
        .unwrap()
        .is_empty());
    let acme_lead = seed::find_seeded("Lead", "Email", seed::LEAD_JANE_EMAIL).unwrap();
    assert_eq!(
        globex.get_record("Lead", &acme_lead).await,
        Err(CrmError::NotFound)
    );
    let people = globex
        .find_people_by_email(seed::GLOBEX_CONTACT_EMAIL)
        .await
        .unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].company.as_deref(), Some("Springfield Power"));
}

#[tokio::test]
async fn people_by_email_lists_leads_then_contacts_with_owner_and_account() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_SELLER).await;
    let people = session
        .find_people_by_email(&seed::CONTACT_MARIA_EMAIL.to_uppercase())
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0].kind, PersonKind::Lead);
    assert_eq!(people[1].kind, PersonKind::Contact);
    assert_eq!(people[1].company.as_deref(), Some("Northwind Traders"));
    assert!(people[1].account_id.is_some());
    let owner = people[1].owner.clone().unwrap();
    assert_eq!(owner.email.as_deref(), Some(seed::ACME_SELLER));
    assert_eq!(owner.name.as_deref(), Some("Sam Seller"));
    let jane = session
        .find_people_by_email(seed::LEAD_JANE_EMAIL)
        .await
        .unwrap();
    assert_eq!(jane.len(), 1);
    assert_eq!(jane[0].name, "Jane Prospect");
    assert_eq!(jane[0].id.key_prefix(), "00Q");
}

#[tokio::test]
async fn user_without_api_access_gets_api_disabled() {
    let sb = start().await;
    let tokens = sb.code_flow(seed::ACME_NO_API).await;
    // Signing in and UserInfo work; the REST API does not.
    assert!(sb.oauth().userinfo(&tokens.access_token).await.is_ok());
    let session = sb.session_from(&tokens);
    let err = session.list_users(&UserQuery::default()).await.unwrap_err();
    assert_eq!(err, CrmError::ApiDisabled);
    assert!(err.to_string().contains("API Enabled"));
}

#[tokio::test]
async fn create_update_and_read_records_with_audit_fields() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_REP).await;
    let me = seed::user_id(seed::ACME_REP).unwrap();
    let id = session
        .create("Lead", json!({"FirstName": "Ola", "LastName": "Nordmann", "Company": "Fjord AS", "Email": "ola@fjord.example"}))
        .await
        .unwrap();
    assert_eq!(id.key_prefix(), "00Q");
    let lead = session.get_record("Lead", &id).await.unwrap();
    assert_eq!(lead["Name"], "Ola Nordmann");
    assert_eq!(lead["OwnerId"], me.as_str());
    assert_eq!(lead["CreatedById"], me.as_str());
    assert_eq!(lead["Status"], "Open - Not Contacted");
    assert_eq!(lead["attributes"]["type"], "Lead");

    let admin = sb.session_for(seed::ACME_ADMIN).await;
    admin
        .update("Lead", &id, json!({"Title": "CEO"}))
        .await
        .unwrap();
    let lead = session.get_record("Lead", &id).await.unwrap();
    assert_eq!(lead["Title"], "CEO");
    assert_eq!(
        lead["LastModifiedById"],
        seed::user_id(seed::ACME_ADMIN).unwrap().as_str()
    );
    assert_eq!(lead["CreatedById"], me.as_str());

    let changed = session
        .changed_since("Lead", "2026-01-01T00:00:00Z", &["Email"])
        .await
        .unwrap();
    let mine = changed.iter().find(|r| r.id == id).unwrap();
    assert_eq!(mine.owner_id.as_ref(), Some(&me));
    assert_eq!(mine.fields["Email"], "ola@fjord.example");
    assert!(changed
        .windows(2)
        .all(|w| w[0].last_modified_date <= w[1].last_modified_date));
    let later = session
        .changed_since("Lead", &mine.last_modified_date, &[])
        .await
        .unwrap();
    assert!(later.iter().all(|r| r.id != id));

    let bad = session
        .create(
            "Lead",
            json!({"LastName": "X", "Company": "Y", "Shoe_Size__c": 9}),
        )
        .await;
    assert!(
        matches!(bad, Err(CrmError::InvalidRequest { ref code, .. }) if code == "INVALID_FIELD"),
        "{bad:?}"
    );
    let missing = session.create("Lead", json!({"LastName": "X"})).await;
    assert!(
        matches!(missing, Err(CrmError::InvalidRequest { ref code, .. }) if code == "REQUIRED_FIELD_MISSING"),
        "{missing:?}"
    );
    session.delete("Lead", &id).await.unwrap();
    assert_eq!(
        session.get_record("Lead", &id).await,
        Err(CrmError::NotFound)
    );
}

#[tokio::test]
async fn composite_resolves_references_and_all_or_none_rolls_back() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_SELLER).await;
    let responses = session
        .composite(
            true,
            vec![
                CompositeSubrequest::create("acct", "Account", json!({"Name": "Tailspin Toys"})),
                CompositeSubrequest::create(
                    "contact",
                    "Contact",
                    json!({"LastName": "Wu", "Email": "mei.wu@tailspin.example", "AccountId": "@{acct.id}"}),
                ),
                CompositeSubrequest::create(
                    "mail",
                    "EmailMessage",
                    json!({"Subject": "Intro", "TextBody": "Hi", "Status": "5", "ToAddress": "mei.wu@tailspin.example", "RelatedToId": "@{acct.id}"}),
                ),
                CompositeSubrequest::update("sent", "EmailMessage", "@{mail.id}", json!({"Status": "3"})),
                CompositeSubrequest::get("check", "sobjects/Contact/@{contact.id}"),
            ],
        )
        .await
        .unwrap();
    assert!(responses.iter().all(|r| r.is_success()), "{responses:?}");
    let account = responses[0].created_id().unwrap();
    assert_eq!(account.key_prefix(), "001");
    assert_eq!(responses[0].http_status_code, 201);
    assert!(responses[0].http_headers["Location"].ends_with(account.as_str()));
    assert_eq!(responses[4].body["AccountId"], account.as_str());
    assert_eq!(responses[3].http_status_code, 204);

    // The email was created with its Task; now sent, it can no longer be edited.
    let mail_id = responses[2].created_id().unwrap();
    assert_eq!(mail_id.key_prefix(), "02s");
    let mail = session.get_record("EmailMessage", &mail_id).await.unwrap();
    assert_eq!(mail["Status"], "3");
    let task_id = salespane_api::sfid::SfId::parse(mail["ActivityId"].as_str().unwrap()).unwrap();
    let task = session.get_record("Task", &task_id).await.unwrap();
    assert_eq!(task["Subject"], "Email: Intro");
    assert_eq!(task["WhatId"], account.as_str());
    let edit = session
        .update("EmailMessage", &mail_id, json!({"Subject": "Changed"}))
        .await;
    assert!(
        matches!(edit, Err(CrmError::InvalidRequest { .. })),
        "{edit:?}"
    );

    // All or none: the second subrequest fails, so the first is rolled back.
    let before = session.count("SELECT COUNT() FROM Account").await.unwrap();
    let responses = session
        .composite(
            true,
            vec![
                CompositeSubrequest::create("ok", "Account", json!({"Name": "Rolled Back Inc"})),
                CompositeSubrequest::create("bad", "Contact", json!({"LastName": "X", "Nope": 1})),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        responses[1]
            .error()
            .and_then(|e| e.code().map(String::from))
            .as_deref(),
        Some("INVALID_FIELD")
    );
    assert_eq!(
        responses[0]
            .error()
            .and_then(|e| e.code().map(String::from))
            .as_deref(),
        Some("PROCESSING_HALTED")
    );
    assert_eq!(
        session.count("SELECT COUNT() FROM Account").await.unwrap(),
        before
    );
    assert_eq!(
        session
            .count("SELECT COUNT() FROM Account WHERE Name = 'Rolled Back Inc'")
            .await
            .unwrap(),
        0
    );

    // Without allOrNone, the good one stays.
    let responses = session
        .composite(
            false,
            vec![
                CompositeSubrequest::create("ok", "Account", json!({"Name": "Kept Inc"})),
                CompositeSubrequest::create(
                    "bad",
                    "Contact",
                    json!({"AccountId": "@{missing.id}", "LastName": "Y"}),
                ),
            ],
        )
        .await
        .unwrap();
    assert!(responses[0].is_success() && !responses[1].is_success());
    assert_eq!(
        session
            .count("SELECT COUNT() FROM Account WHERE Name = 'Kept Inc'")
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn injected_500_is_upstream_and_a_slow_answer_is_a_timeout() {
    let sb = start_with_timeout(Duration::from_secs(1)).await;
    let session = sb.session_for(seed::ACME_SELLER).await;
    sb.hook(
        "faults",
        json!({"path_contains": "/query", "status": 500, "times": 1}),
    )
    .await;
    let err = session.count("SELECT COUNT() FROM Lead").await.unwrap_err();
    assert!(
        matches!(err, CrmError::Upstream { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    // The fault was used up.
    assert!(session.count("SELECT COUNT() FROM Lead").await.unwrap() > 0);

    sb.hook(
        "faults",
        json!({"path_contains": "/sobjects/", "delay_ms": 2500, "times": 1}),
    )
    .await;
    let me = seed::user_id(seed::ACME_SELLER).unwrap();
    let err = session.get_record("User", &me).await.unwrap_err();
    assert_eq!(err, CrmError::Timeout { seconds: 1 });

    sb.hook(
        "faults",
        json!({"path_contains": "/services/oauth2/userinfo", "status": 503, "times": 5}),
    )
    .await;
    let tokens = session.tokens();
    let err = sb.oauth().userinfo(&tokens.access_token).await.unwrap_err();
    assert!(
        matches!(err, CrmError::Upstream { status: 503, .. }),
        "{err:?}"
    );
    let cleared = reqwest::Client::new()
        .delete(format!("{}/_sandbox/faults", sb.base))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert!(sb.oauth().userinfo(&tokens.access_token).await.is_ok());
}

#[tokio::test]
async fn soql_injection_in_search_text_is_harmless() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_ADMIN).await;
    for attack in [
        "x' OR Name LIKE '",
        "%",
        "_",
        "\\' OR IsActive = true OR Name = \\'",
        "') OR (Id != null",
        "a\nb",
    ] {
        let page = session
            .list_users(&UserQuery {
                search: Some(attack.into()),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("search {attack:?} failed: {e}"));
        assert_eq!(page.total, 0, "search {attack:?} matched users");
    }
    let people = session
        .find_people_by_email("x' OR Email != '")
        .await
        .unwrap();
    assert!(people.is_empty());
}

#[tokio::test]
async fn malformed_soql_is_reported_as_malformed_query() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_ADMIN).await;
    for bad in [
        "SELECT FROM User",
        "SELECT Id FROM User WHERE",
        "SELECT Id FROM User WHERE A = 'x' AND B = 'y' OR C = 'z'",
    ] {
        let err = session.query::<Value>(bad).await.unwrap_err();
        assert_eq!(err.code(), Some("MALFORMED_QUERY"), "{bad}: {err:?}");
    }
    let err = session
        .query::<Value>("SELECT Id FROM Widget")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_TYPE"));
}

#[tokio::test]
async fn create_many_saves_each_record_or_none() {
    let sb = start().await;
    let session = sb.session_for(seed::ACME_SELLER).await;
    let jane = seed::find_seeded("Lead", "Email", seed::LEAD_JANE_EMAIL).unwrap();
    let results = session
        .create_many(
            false,
            &[
                ("Task", json!({"WhoId": jane.as_str(), "Subject": "Message Sent: Hello", "Status": "Completed", "TaskSubtype": "Email"})),
                ("Task", json!({"WhoId": "00Q000000000000", "Subject": "bad who"})),
            ],
        )
        .await
        .unwrap();
    let task = results[0].clone().unwrap();
    assert_eq!(task.key_prefix(), "00T");
    assert!(results[1].is_err());
    let row = session.get_record("Task", &task).await.unwrap();
    assert_eq!(
        row["OwnerId"],
        seed::user_id(seed::ACME_SELLER).unwrap().as_str()
    );
    assert_eq!(row["IsClosed"], true);

    let results = session
        .create_many(
            true,
            &[
                ("Account", json!({"Name": "All Or Nothing Ltd"})),
                ("Account", json!({})),
            ],
        )
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_err));
    assert_eq!(
        session
            .count("SELECT COUNT() FROM Account WHERE Name = 'All Or Nothing Ltd'")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn answers_over_the_size_cap_are_refused_not_read_whole() {
    let sb = start().await;
    let tokens = sb.hook_token(seed::ACME_REP).await;
    // The whole user list is tens of KB; with a 4 KB cap it must be refused, and a small
    // answer (one page of 2 users) still read.
    let capped = sb.http.clone().with_max_response_bytes(4 * 1024);
    let session = salespane_crm::SalesforceSession::new(
        capped,
        salespane_crm::SessionTokens {
            instance_url: tokens.instance_url.clone().unwrap(),
            access_token: tokens.access_token.clone(),
            refresh_token: None,
        },
    );
    let Err(err) = session
        .query_page::<UserRow>("SELECT Username FROM User")
        .await
    else {
        panic!("a 4 KB cap let the whole user list through");
    };
    assert!(
        matches!(&err, CrmError::MalformedResponse(m) if m.contains("larger than 4 KB")),
        "{err:?}"
    );
    let small = session
        .query_page::<UserRow>("SELECT Username FROM User LIMIT 2")
        .await
        .unwrap();
    assert_eq!(small.records.len(), 2);
}
