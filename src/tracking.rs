//! Send and track, in the background (DESIGN §3): when the user sends, the content script hands
//! over the body, subject and recipients (`trackBody`); the background answers the tracked body
//! (links signed, pixel added), its message id and its links, from local state only (the
//! signed-in user's link-signing key from `/api/v1/me`, the server URL from the settings). No
//! network round trip stands between the user and the send. The rewriting and signing are the
//! shared `salespane-tracking` crate, the same code the server sends with.

use crate::email::EmailAddress;
use crate::limits::{MAX_RECIPIENTS_PER_FIELD, MAX_SUBJECT_CHARS};
use crate::protocol::{RequestError, Response, TrackedLinkInfo, UntrackedReason};
use crate::router::{Privileged, Sender};
use salespane_api::me::Me;
use salespane_tracking::link::{self, LinkKey};
use salespane_tracking::rewrite::{rewrite, RewriteOptions};

/// A `trackBody` request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackBody {
    pub html: String,
    pub subject: String,
    /// To, Cc and Bcc together.
    pub recipients: Vec<EmailAddress>,
}

/// Checks what a content script sent: sizes, recipient syntax, at least one recipient.
pub fn check(
    html: String,
    subject: String,
    fields: [(&str, Vec<String>); 3],
) -> Result<TrackBody, RequestError> {
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(RequestError::invalid(
            "subject",
            format!("longer than {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    let mut recipients = Vec::new();
    for (field, addresses) in fields {
        if addresses.len() > MAX_RECIPIENTS_PER_FIELD {
            return Err(RequestError::invalid(
                field,
                format!("more than {MAX_RECIPIENTS_PER_FIELD} recipients"),
            ));
        }
        for address in addresses {
            recipients
                .push(EmailAddress::parse(&address).map_err(|e| RequestError::invalid(field, e))?);
        }
    }
    if recipients.is_empty() {
        return Err(RequestError::invalid(
            "to",
            "no recipient: add one before sending",
        ));
    }
    Ok(TrackBody {
        html,
        subject,
        recipients,
    })
}

/// Routes a `trackBody`: accepted from a tab's top frame (the content script, at send time) or
/// from one of the extension's own pages, then checked; answered by [`run`].
pub fn route(
    html: String,
    subject: String,
    fields: [(&str, Vec<String>); 3],
    sender: &Sender,
    extension_origin: &str,
) -> Result<Privileged, RequestError> {
    let top_frame = sender.tab_id.is_some() && sender.frame_id == Some(0);
    if !top_frame && !sender.is_extension_page(extension_origin) {
        return Err(RequestError::invalid(
            "sender",
            "only a tab's top frame or Salespane's own pages may send a body to track",
        ));
    }
    Ok(Privileged::TrackBody(check(html, subject, fields)?))
}

fn untracked(body: &TrackBody, reason: UntrackedReason) -> Response {
    Response::TrackedBody {
        tracked: false,
        html: body.html.clone(),
        message_id: None,
        links: Vec::new(),
        reason: Some(reason),
    }
}

/// The answer to a checked `trackBody`: the tracked body, or the body unchanged with the reason
/// it is not tracked (mail to oneself is never tracked; no key without signing in). `random`
/// makes the message id.
pub fn track(body: &TrackBody, me: Option<&Me>, server_url: &str, random: [u8; 16]) -> Response {
    let Some(me) = me else {
        return untracked(body, UntrackedReason::NotSignedIn);
    };
    let own = EmailAddress::parse(&me.user.email).ok();
    if own.is_some() && body.recipients.iter().all(|r| Some(r) == own.as_ref()) {
        return untracked(body, UntrackedReason::ToSelf);
    }
    let Ok(secret) = link::decode_secret(&me.signing_key.secret) else {
        return untracked(body, UntrackedReason::NoSigningKey);
    };
    let message_id = link::new_message_id(random);
    let opts = RewriteOptions {
        base: server_url,
        message_id: &message_id,
        key: LinkKey {
            id: &me.signing_key.id,
            secret: &secret,
        },
        add_pixel: true,
    };
    match rewrite(&body.html, &opts) {
        Ok(out) => Response::TrackedBody {
            tracked: true,
            html: out.html,
            message_id: Some(message_id),
            links: out
                .links
                .into_iter()
                .map(|l| TrackedLinkInfo {
                    index: l.index,
                    destination: l.destination,
                })
                .collect(),
            reason: None,
        },
        Err(_) => untracked(body, UntrackedReason::BodyRefused),
    }
}

/// Answers a checked `trackBody` in the background: the cached `Me` (kept with its signing
/// secret in `storage.session`), the settings, and fresh randomness.
#[cfg(target_arch = "wasm32")]
pub async fn run(body: TrackBody) -> Response {
    use crate::auth::session;
    let me = session::cached_me().await;
    let settings = session::load_settings().await;
    track(
        &body,
        me.as_ref(),
        &settings.server_url,
        session::entropy::<16>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SERVER: &str = "http://127.0.0.1:8787";
    const SECRET_B64: &str = "c2VjcmV0LW9mLXRoZS1saW5rLXNpZ25pbmcta2V5IQ";

    fn me(email: &str, secret: &str) -> Me {
        serde_json::from_value(json!({
            "account": {"id": "acc_1", "name": "Acme", "seat_limit": 5, "seats_used": 1, "crm_connected": false},
            "user": {"id": "usr_1", "email": email, "name": "Bob", "title": null, "phone": null,
                     "photo_url": null, "role": "sales_user", "status": "active", "crm_user_id": null},
            "privileges": {"hidden_components": [], "can_manage_users": false},
            "profile": serde_json::to_value(salespane_api::profile::Profile::default()).unwrap(),
            "onboarding": {"activated_at": 1, "authorized": null, "email_client": null, "mailbox": null,
                           "signature": null, "finished_at": 5, "tour": null},
            "signing_key": {"id": "key_0123456789abcdef01234567", "secret": secret, "created_at": 0},
            "crm_owner": null
        }))
        .expect("a Me")
    }

    fn body(to: &[&str]) -> TrackBody {
        check(
            "<p>Hi, see <a href=\"https://acme.example/pricing?a=1&amp;b=2\">pricing</a> or <a href=\"mailto:bob@acme.example\">mail me</a>.</p>".into(),
            "Pricing".into(),
            [
                ("to", to.iter().map(|s| s.to_string()).collect()),
                ("cc", vec![]),
                ("bcc", vec![]),
            ],
        )
        .expect("a valid request")
    }

    #[test]
    fn a_sent_body_comes_back_tracked_with_links_that_verify() {
        let me = me("bob@acme.example", SECRET_B64);
        let answer = track(
            &body(&["Ann <ann@client.example>"]),
            Some(&me),
            SERVER,
            [9; 16],
        );
        let Response::TrackedBody {
            tracked: true,
            html,
            message_id: Some(message_id),
            links,
            reason: None,
        } = answer
        else {
            panic!("not tracked: {answer:?}")
        };
        assert!(link::is_valid_message_id(&message_id));
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].destination, "https://acme.example/pricing?a=1&b=2");
        assert!(html.contains("mailto:bob@acme.example"));
        assert!(html.contains(&format!("{SERVER}/t/o/{message_id}.gif")));
        // The click link in the body verifies under the user's key, as the server checks it.
        let start = html.find(&format!("{SERVER}/t/c/")).unwrap() + SERVER.len();
        let end = start + html[start..].find('"').unwrap();
        let url = html[start..end].replace("&amp;", "&");
        let (path, query) = url.split_once('?').unwrap();
        let request = link::parse(path, Some(query)).unwrap();
        let secret = link::decode_secret(SECRET_B64).unwrap();
        assert_eq!(request.verify(&secret), Ok(()));
        assert_eq!(request.message_id(), message_id);
    }

    #[test]
    fn mail_to_oneself_and_signed_out_users_are_not_tracked() {
        let me = me("bob@acme.example", SECRET_B64);
        let original = body(&["Bob@Acme.example"]);
        assert_eq!(
            track(&original, Some(&me), SERVER, [1; 16]),
            Response::TrackedBody {
                tracked: false,
                html: original.html.clone(),
                message_id: None,
                links: vec![],
                reason: Some(UntrackedReason::ToSelf),
            }
        );
        let answer = track(&original, None, SERVER, [1; 16]);
        assert!(matches!(
            answer,
            Response::TrackedBody {
                tracked: false,
                reason: Some(UntrackedReason::NotSignedIn),
                ..
            }
        ));
        // A key whose secret was blanked (the pages' copy) cannot sign.
        let blanked = me_with_secret("");
        assert!(matches!(
            track(
                &body(&["ann@client.example"]),
                Some(&blanked),
                SERVER,
                [1; 16]
            ),
            Response::TrackedBody {
                reason: Some(UntrackedReason::NoSigningKey),
                ..
            }
        ));
    }

    fn me_with_secret(secret: &str) -> Me {
        me("bob@acme.example", secret)
    }

    #[test]
    fn the_router_accepts_track_body_from_a_compose_and_refuses_frames() {
        use crate::router::{Routed, Router};
        let mut router = Router::for_extension("chrome-extension://abc");
        let message = json!({"v": 1, "type": "trackBody", "html": "<p>x</p>", "subject": "Hi",
                             "to": ["ann@client.example"], "cc": [], "bcc": []})
        .to_string();
        let gmail = |frame| Sender {
            tab_id: Some(4),
            frame_id: Some(frame),
            url: Some("https://mail.google.com/mail/u/0/".into()),
        };
        match router.route_json(&message, &gmail(0), || 1.0) {
            Routed::Privileged(Privileged::TrackBody(body)) => {
                assert_eq!(body.recipients[0].as_str(), "ann@client.example");
                assert_eq!(body.subject, "Hi");
            }
            other => panic!("{other:?}"),
        }
        let Routed::Answer(refused) = router.route_json(&message, &gmail(3), || 1.0) else {
            panic!("a subframe's request was accepted")
        };
        let refused = serde_json::to_value(refused).unwrap();
        assert_eq!(refused["type"], "error");
        assert_eq!(refused["code"], "invalid");
        let bad =
            json!({"v": 1, "type": "trackBody", "html": "<p>x</p>", "to": ["nope"]}).to_string();
        let Routed::Answer(refused) = router.route_json(&bad, &gmail(0), || 1.0) else {
            panic!("a bad recipient was accepted")
        };
        assert_eq!(serde_json::to_value(refused).unwrap()["code"], "invalid");
    }

    #[test]
    fn the_answer_has_its_documented_wire_shape() {
        let answer = crate::protocol::Versioned::new(Response::TrackedBody {
            tracked: true,
            html: "<p>x</p>".into(),
            message_id: Some("msg_AAAAAAAAAAAAAAAAAAAAAA".into()),
            links: vec![TrackedLinkInfo {
                index: 0,
                destination: "https://a.example/".into(),
            }],
            reason: None,
        });
        assert_eq!(
            serde_json::to_value(answer).unwrap(),
            json!({"v": 1, "type": "trackedBody", "tracked": true, "html": "<p>x</p>",
                   "messageId": "msg_AAAAAAAAAAAAAAAAAAAAAA",
                   "links": [{"index": 0, "destination": "https://a.example/"}], "reason": null})
        );
        let untracked = serde_json::to_value(UntrackedReason::ToSelf).unwrap();
        assert_eq!(untracked, json!("toSelf"));
    }

    #[test]
    fn bad_requests_are_refused_with_the_field_named() {
        let refuse = |to: Vec<String>, subject: String| {
            check(
                "<p>x</p>".into(),
                subject,
                [("to", to), ("cc", vec![]), ("bcc", vec![])],
            )
            .unwrap_err()
            .to_string()
        };
        assert!(refuse(vec!["not an address".into()], "s".into()).contains("to"));
        assert!(refuse(vec![], "s".into()).contains("no recipient"));
        assert!(refuse(
            vec!["a@b.example".into()],
            "x".repeat(MAX_SUBJECT_CHARS + 1)
        )
        .contains("subject"));
    }
}
