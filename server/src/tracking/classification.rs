//! The bridge between stored hits and the pure classifier of `salespane_tracking`: the
//! writer and the re-classification of early hits both call [`classify_hit`].

use salespane_tracking::classify::{self, Classification, Signatures};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A hit as the server knows it (just received, or read back from the database).
#[derive(Debug, Clone)]
pub struct HitFacts {
    pub link_index: Option<u32>,
    pub at_ms: i64,
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub head: bool,
    pub headers: BTreeMap<String, String>,
}

/// What the database knows of the hit's message and sender.
#[derive(Debug, Clone, Default)]
pub struct MessageFacts {
    pub sent_at_ms: Option<i64>,
    pub links_in_message: u32,
    pub to_self: bool,
}

/// An earlier hit of the same message, with the class it was given.
#[derive(Debug, Clone)]
pub struct EarlierHit {
    pub facts: HitFacts,
    pub class: classify::HitClass,
}

pub fn classify_hit(
    signatures: &Signatures,
    hit: &HitFacts,
    message: &MessageFacts,
    sender_last_seen: Option<&(IpAddr, String)>,
    earlier: &[EarlierHit],
) -> Classification {
    let previous: Vec<classify::PriorHit> = earlier.iter().map(prior).collect();
    let ctx = classify::Context {
        sent_at_ms: message.sent_at_ms,
        sender_last_seen: sender_last_seen.map(|(ip, ua)| (*ip, ua.as_str())),
        previous: &previous,
        links_in_message: message.links_in_message,
        to_self: message.to_self,
    };
    classify::classify(&to_hit(hit), &ctx, signatures)
}

fn kind(hit: &HitFacts) -> classify::HitKind {
    match hit.link_index {
        Some(link_index) => classify::HitKind::Click { link_index },
        None => classify::HitKind::Open,
    }
}

fn to_hit(hit: &HitFacts) -> classify::Hit {
    let header = |name: &str| hit.headers.get(name).cloned();
    classify::Hit {
        kind: kind(hit),
        method_head: hit.head,
        ip: hit.ip,
        user_agent: hit.user_agent.clone(),
        headers: classify::BrowserHeaders {
            accept: header("accept"),
            accept_language: header("accept-language"),
            sec_fetch_mode: header("sec-fetch-mode"),
            sec_fetch_site: header("sec-fetch-site"),
            sec_fetch_dest: header("sec-fetch-dest"),
            referer: header("referer"),
        },
        at_ms: hit.at_ms,
    }
}

fn prior(earlier: &EarlierHit) -> classify::PriorHit {
    classify::PriorHit {
        kind: kind(&earlier.facts),
        at_ms: earlier.facts.at_ms,
        ip: earlier.facts.ip,
        user_agent: earlier.facts.user_agent.clone(),
        class: earlier.class,
    }
}

/// The snake_case name the API shows (`human`, `image_proxy`, …).
pub fn class_name(class: classify::HitClass) -> String {
    class.as_str().to_string()
}

pub fn parse_class(name: &str) -> Option<classify::HitClass> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}
