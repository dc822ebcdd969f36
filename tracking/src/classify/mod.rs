//! Who is behind a pixel or click hit: a person, a mail image proxy, a privacy prefetch, a
//! security scanner, the sender, or a repeat. Pure: the server feeds it the hit, what it knows
//! about the message, and the [`Signatures`]; only people count ([`HitClass::counted`]).
//!
//! Signals, in the order they decide (every signal that fires is kept as a reason):
//! 1. mail to oneself, or the address and user agent the sender's extension last called the
//!    API from: `sender`;
//! 2. a HEAD request: `security_scanner`;
//! 3. a documented user agent (image proxies, Apple's bare prefetch agent, gateways, bots);
//! 4. a published address range (privacy relays, gateways);
//! 5. no user agent, a hit within seconds of delivery, every link clicked in a burst, a click
//!    without the headers every browser sends: `security_scanner`;
//! 6. otherwise a person: `human`; and a counted hit that repeats one of the same reader
//!    within a short window is a `duplicate`.

mod corpus;
mod signatures;

pub use corpus::{evaluate, CorpusCase, CorpusError, CorpusReport};
pub use signatures::{AgentSignature, RangeSignature, SignatureError, Signatures, Source};

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A click within this long after the send is a machine: gateways follow links as they scan
/// mail on delivery, and no reader opens a message and clicks that fast.
pub const CLICK_DELIVERY_WINDOW_MS: i64 = 10_000;
/// The same for the pixel, shorter: a gateway fetches it within a second or two of delivery,
/// while a reader watching the inbox can open a new message within several seconds.
pub const OPEN_DELIVERY_WINDOW_MS: i64 = 5_000;
/// Every link of a message clicked within this long is a scanner following them all.
pub const BURST_WINDOW_MS: i64 = 10_000;
/// This many different links clicked within [`FAST_BURST_WINDOW_MS`] is a scanner too, even if
/// the message has more links.
pub const FAST_BURST_LINKS: usize = 3;
pub const FAST_BURST_WINDOW_MS: i64 = 3_000;
/// Repeated opens by the same reader within this long are one open.
pub const OPEN_REPEAT_WINDOW_MS: i64 = 5 * 60_000;
/// Repeated clicks of the same link by the same reader within this long are one click.
pub const CLICK_REPEAT_WINDOW_MS: i64 = 60_000;

/// What a hit is. Serialised in snake_case (`image_proxy`, `security_scanner`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitClass {
    /// A person, directly.
    Human,
    /// Gmail's or Yahoo's image proxy fetching for the reader who opens: a real open whose
    /// place and device are unknown.
    ImageProxy,
    /// Apple Mail Privacy Protection preloading on delivery, whether or not anyone reads.
    PrivacyPrefetch,
    /// Link scanners, gateways and bots (Safe Links, Proofpoint, Mimecast, curl…).
    SecurityScanner,
    /// The sender looking at their own mail.
    Sender,
    /// A repeat of a counted hit by the same reader within a short window.
    Duplicate,
}

impl HitClass {
    /// True for the hits that count as a person reading or clicking.
    pub fn counted(self) -> bool {
        matches!(self, HitClass::Human | HitClass::ImageProxy)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HitClass::Human => "human",
            HitClass::ImageProxy => "image_proxy",
            HitClass::PrivacyPrefetch => "privacy_prefetch",
            HitClass::SecurityScanner => "security_scanner",
            HitClass::Sender => "sender",
            HitClass::Duplicate => "duplicate",
        }
    }
}

/// Open pixel or click.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HitKind {
    Open,
    Click { link_index: u32 },
}

/// The request headers a real browser sends, as they came (absent when not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrowserHeaders {
    pub accept: Option<String>,
    pub accept_language: Option<String>,
    pub sec_fetch_mode: Option<String>,
    pub sec_fetch_site: Option<String>,
    pub sec_fetch_dest: Option<String>,
    pub referer: Option<String>,
}

/// One pixel or click request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    #[serde(flatten)]
    pub kind: HitKind,
    #[serde(default)]
    pub method_head: bool,
    pub ip: IpAddr,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub headers: BrowserHeaders,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// An earlier hit of the same message, as classified then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorHit {
    #[serde(flatten)]
    pub kind: HitKind,
    pub at_ms: i64,
    pub ip: IpAddr,
    #[serde(default)]
    pub user_agent: Option<String>,
    pub class: HitClass,
}

/// What the server knows about the message when a hit comes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// When the message was sent (None: the "sent" record has not arrived yet).
    pub sent_at_ms: Option<i64>,
    /// The address and user agent the sender's extension last called the API from.
    pub sender_last_seen: Option<(IpAddr, &'a str)>,
    /// Earlier hits of the same message.
    pub previous: &'a [PriorHit],
    /// How many tracked links the message has (0 when unknown).
    pub links_in_message: u32,
    /// The message was sent to the sender's own address only.
    pub to_self: bool,
}

/// The class of a hit and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub class: HitClass,
    pub counted: bool,
    /// Short stable snake_case strings (`ua_google_image_proxy`, `head_request`…).
    pub reasons: Vec<String>,
}

/// Collects the reasons and the first class decided.
struct Verdict {
    class: Option<HitClass>,
    reasons: Vec<String>,
}

impl Verdict {
    fn add(&mut self, class: HitClass, reason: &str) {
        self.class.get_or_insert(class);
        if !self.reasons.iter().any(|r| r == reason) {
            self.reasons.push(reason.to_string());
        }
    }
}

fn is_navigation(headers: &BrowserHeaders) -> bool {
    let accepts_html = headers
        .accept
        .as_deref()
        .is_some_and(|accept| accept.contains("text/html"));
    let has_language = headers
        .accept_language
        .as_deref()
        .is_some_and(|lang| !lang.trim().is_empty());
    accepts_html && has_language
}

/// Every link clicked within the burst window (when the message has two or more), or many
/// different links within a few seconds.
fn clicked_in_burst(hit: &Hit, ctx: &Context) -> Option<&'static str> {
    let HitKind::Click { link_index } = hit.kind else {
        return None;
    };
    let links_within = |window: i64| {
        let mut links: Vec<u32> = ctx
            .previous
            .iter()
            .filter(|prior| (hit.at_ms - prior.at_ms).abs() <= window)
            .filter_map(|prior| match prior.kind {
                HitKind::Click { link_index } => Some(link_index),
                HitKind::Open => None,
            })
            .chain([link_index])
            .collect();
        links.sort_unstable();
        links.dedup();
        links.len()
    };
    if ctx.links_in_message >= 2 && links_within(BURST_WINDOW_MS) >= ctx.links_in_message as usize {
        return Some("all_links_clicked_in_burst");
    }
    (links_within(FAST_BURST_WINDOW_MS) >= FAST_BURST_LINKS)
        .then_some("many_links_clicked_in_burst")
}

/// A counted hit of the same kind (and link) by the same reader within the repeat window. An
/// image proxy's addresses change from fetch to fetch, so there the proxy is the reader.
fn repeats(hit: &Hit, class: HitClass, ctx: &Context) -> bool {
    let window = match hit.kind {
        HitKind::Open => OPEN_REPEAT_WINDOW_MS,
        HitKind::Click { .. } => CLICK_REPEAT_WINDOW_MS,
    };
    ctx.previous.iter().any(|prior| {
        prior.kind == hit.kind
            && prior.class == class
            && prior.at_ms <= hit.at_ms
            && hit.at_ms - prior.at_ms <= window
            && prior.user_agent == hit.user_agent
            && (class == HitClass::ImageProxy || prior.ip == hit.ip)
    })
}

/// Classifies one hit. See the module documentation for the signals and their order.
pub fn classify(hit: &Hit, ctx: &Context, sigs: &Signatures) -> Classification {
    let mut verdict = Verdict {
        class: None,
        reasons: Vec::new(),
    };
    let agent = hit
        .user_agent
        .as_deref()
        .map(str::trim)
        .filter(|ua| !ua.is_empty());

    if ctx.to_self {
        verdict.add(HitClass::Sender, "mail_to_self");
    }
    if let (Some((ip, sender_agent)), Some(agent)) = (ctx.sender_last_seen, agent) {
        if ip == hit.ip && sender_agent.trim() == agent {
            verdict.add(HitClass::Sender, "sender_address_and_agent");
        }
    }
    if hit.method_head {
        verdict.add(HitClass::SecurityScanner, "head_request");
    }
    let matched_agent = agent.and_then(|agent| sigs.agent(agent, hit.kind));
    if let Some(signature) = matched_agent {
        verdict.add(signature.class, &signature.reason);
    }
    for range in sigs.ranges_of(hit.ip, hit.kind) {
        match &range.confirms {
            Some(confirmed) => {
                if matched_agent.is_some_and(|a| &a.reason == confirmed) {
                    verdict.add(range.class, &range.reason);
                }
            }
            None => verdict.add(range.class, &range.reason),
        }
    }
    if agent.is_none() {
        verdict.add(HitClass::SecurityScanner, "missing_user_agent");
    }
    let delivery_window = match hit.kind {
        HitKind::Open => OPEN_DELIVERY_WINDOW_MS,
        HitKind::Click { .. } => CLICK_DELIVERY_WINDOW_MS,
    };
    if let Some(sent) = ctx.sent_at_ms {
        if hit.at_ms >= sent && hit.at_ms - sent <= delivery_window {
            verdict.add(HitClass::SecurityScanner, "within_seconds_of_delivery");
        }
    }
    if let Some(reason) = clicked_in_burst(hit, ctx) {
        verdict.add(HitClass::SecurityScanner, reason);
    }
    if matches!(hit.kind, HitKind::Click { .. }) && !is_navigation(&hit.headers) {
        verdict.add(HitClass::SecurityScanner, "missing_browser_headers");
    }
    let class = verdict.class.unwrap_or(HitClass::Human);
    let class = if class.counted() && repeats(hit, class, ctx) {
        verdict.reasons.push("repeat_within_window".to_string());
        HitClass::Duplicate
    } else {
        class
    };
    Classification {
        class,
        counted: class.counted(),
        reasons: verdict.reasons,
    }
}

#[cfg(test)]
mod tests;
