//! One test per signature and signal.

use super::*;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36";
const GMAIL_PROXY: &str =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const T0: i64 = 1_800_000_000_000;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn browser_headers() -> BrowserHeaders {
    BrowserHeaders {
        accept: Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8".into()),
        accept_language: Some("fr-FR,fr;q=0.9,en;q=0.8".into()),
        sec_fetch_mode: Some("navigate".into()),
        sec_fetch_site: Some("cross-site".into()),
        sec_fetch_dest: Some("document".into()),
        referer: None,
    }
}

fn open(from: &str, agent: Option<&str>, at_ms: i64) -> Hit {
    Hit {
        kind: HitKind::Open,
        method_head: false,
        ip: ip(from),
        user_agent: agent.map(str::to_string),
        headers: BrowserHeaders {
            accept: Some("image/avif,image/webp,*/*".into()),
            ..BrowserHeaders::default()
        },
        at_ms,
    }
}

fn click(link_index: u32, from: &str, agent: Option<&str>, at_ms: i64) -> Hit {
    Hit {
        kind: HitKind::Click { link_index },
        method_head: false,
        ip: ip(from),
        user_agent: agent.map(str::to_string),
        headers: browser_headers(),
        at_ms,
    }
}

/// An hour after sending, nothing before.
fn later() -> Context<'static> {
    Context {
        sent_at_ms: Some(T0 - 3_600_000),
        links_in_message: 3,
        ..Context::default()
    }
}

fn class_of(hit: &Hit, ctx: &Context) -> Classification {
    classify(hit, ctx, &Signatures::builtin())
}

fn assert_class(hit: &Hit, ctx: &Context, class: HitClass, reason: &str) {
    let got = class_of(hit, ctx);
    assert_eq!(got.class, class, "{got:?} for {hit:?}");
    assert_eq!(got.counted, class.counted());
    assert!(
        got.reasons.iter().any(|r| r == reason),
        "{reason} missing from {:?}",
        got.reasons
    );
}

#[test]
fn the_builtin_data_parses_and_names_its_sources() {
    let sigs = Signatures::builtin();
    assert!(sigs.agents.len() >= 8);
    assert!(sigs.ranges.len() >= 7);
    for agent in &sigs.agents {
        assert!(agent.sources.iter().all(|s| s.url.starts_with("https://")));
    }
    for range in &sigs.ranges {
        assert!(range.sources.iter().all(|s| s.url.starts_with("https://")));
    }
}

#[test]
fn bad_signature_data_is_refused_with_the_file_named() {
    let agents = include_str!("../../data/user_agents.json");
    let err = Signatures::from_strs(agents, r#"{"about":"x","ranges":[{"reason":"r","class":"security_scanner","cidrs":["10.0.0.0/33"],"sources":[]}]}"#).unwrap_err();
    assert!(err.to_string().contains("ip_ranges.json"), "{err}");
    let err = Signatures::from_strs("{", "{}").unwrap_err();
    assert!(err.to_string().contains("user_agents.json"), "{err}");
    let no_source = r#"{"about":"x","signatures":[{"reason":"r","class":"human","contains":["a"],"sources":[]}]}"#;
    assert!(Signatures::from_strs(no_source, r#"{"about":"x","ranges":[]}"#).is_err());
}

#[test]
fn a_person_in_a_browser_is_human() {
    let got = class_of(&click(0, "203.0.113.9", Some(CHROME), T0), &later());
    assert_eq!(got.class, HitClass::Human, "{got:?}");
    assert!(got.counted);
    assert!(got.reasons.is_empty(), "{got:?}");
}

#[test]
fn gmail_image_proxy_is_a_counted_open() {
    let hit = open("66.249.84.3", Some(GMAIL_PROXY), T0);
    assert_class(
        &hit,
        &later(),
        HitClass::ImageProxy,
        "ua_google_image_proxy",
    );
    assert_class(
        &hit,
        &later(),
        HitClass::ImageProxy,
        "ip_range_google_image_proxy",
    );
    // The agent alone decides; the range only confirms it.
    let elsewhere = open("198.51.100.7", Some(GMAIL_PROXY), T0);
    let got = class_of(&elsewhere, &later());
    assert_eq!(got.class, HitClass::ImageProxy);
    assert!(!got
        .reasons
        .iter()
        .any(|r| r == "ip_range_google_image_proxy"));
    // A person on Google's network in a browser is still a person.
    let googler = click(0, "74.125.1.1", Some(CHROME), T0);
    assert_eq!(class_of(&googler, &later()).class, HitClass::Human);
}

#[test]
fn yahoo_mail_proxy_is_a_counted_open() {
    let hit = open(
        "98.136.1.1",
        Some("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"),
        T0,
    );
    assert_class(&hit, &later(), HitClass::ImageProxy, "ua_yahoo_mail_proxy");
}

#[test]
fn apple_privacy_protection_prefetch_is_not_counted() {
    let by_agent = open("198.51.100.20", Some("Mozilla/5.0"), T0);
    assert_class(
        &by_agent,
        &later(),
        HitClass::PrivacyPrefetch,
        "ua_apple_mpp_bare_mozilla",
    );
    let by_range = open(
        "104.28.40.2",
        Some("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15"),
        T0,
    );
    assert_class(
        &by_range,
        &later(),
        HitClass::PrivacyPrefetch,
        "ip_range_apple_private_relay",
    );
    let relay = open("172.225.10.10", Some("Mozilla/5.0"), T0);
    assert_class(
        &relay,
        &later(),
        HitClass::PrivacyPrefetch,
        "ip_range_apple_private_relay",
    );
    // A click through Private Relay from Safari with a browser's headers is a person.
    let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
    assert_eq!(
        class_of(&click(1, "172.225.10.10", Some(safari), T0), &later()).class,
        HitClass::Human
    );
}

#[test]
fn microsoft_safe_links_addresses_are_scanners() {
    let hit = click(0, "40.94.29.1", Some(CHROME), T0);
    // 40.94 is outside the published EOP blocks: a person.
    assert_eq!(class_of(&hit, &later()).class, HitClass::Human);
    let safelinks = click(0, "40.107.22.5", Some(CHROME), T0);
    assert_class(
        &safelinks,
        &later(),
        HitClass::SecurityScanner,
        "ip_range_microsoft_safelinks",
    );
    let v6 = click(0, "2a01:111:f403:c200::5", Some(CHROME), T0);
    assert_class(
        &v6,
        &later(),
        HitClass::SecurityScanner,
        "ip_range_microsoft_safelinks",
    );
    let preview = click(
        0,
        "203.0.113.1",
        Some("Mozilla/5.0 (compatible; BingPreview/1.0b)"),
        T0,
    );
    assert_class(
        &preview,
        &later(),
        HitClass::SecurityScanner,
        "ua_microsoft_link_preview",
    );
}

#[test]
fn gateway_addresses_are_scanners() {
    for (addr, reason) in [
        ("148.163.150.10", "ip_range_proofpoint"),
        ("67.231.150.1", "ip_range_proofpoint"),
        ("205.139.110.30", "ip_range_mimecast"),
        ("195.130.217.9", "ip_range_mimecast"),
        ("64.235.150.2", "ip_range_barracuda"),
        ("68.232.140.1", "ip_range_cisco_ironport"),
        // An IPv4 address as a dual-stack server reports it.
        ("::ffff:148.163.150.10", "ip_range_proofpoint"),
    ] {
        assert_class(
            &click(0, addr, Some(CHROME), T0),
            &later(),
            HitClass::SecurityScanner,
            reason,
        );
    }
    let named = click(
        0,
        "203.0.113.1",
        Some("Mozilla/5.0 Proofpoint URL Defense"),
        T0,
    );
    assert_class(
        &named,
        &later(),
        HitClass::SecurityScanner,
        "ua_security_gateway",
    );
}

#[test]
fn http_libraries_and_headless_browsers_are_scanners() {
    for (agent, reason) in [
        ("curl/8.5.0", "ua_http_library"),
        ("python-requests/2.32.3", "ua_http_library"),
        ("Go-http-client/1.1", "ua_http_library"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36", "ua_headless_browser"),
        ("Mozilla/5.0 (compatible; SomeBot/2.1; +https://bot.example/)", "ua_crawler"),
    ] {
        assert_class(&click(0, "203.0.113.5", Some(agent), T0), &later(), HitClass::SecurityScanner, reason);
    }
}

#[test]
fn head_requests_are_scanners() {
    let mut hit = click(0, "203.0.113.5", Some(CHROME), T0);
    hit.method_head = true;
    assert_class(&hit, &later(), HitClass::SecurityScanner, "head_request");
}

#[test]
fn hits_within_seconds_of_delivery_are_scanners() {
    let ctx = Context {
        sent_at_ms: Some(T0 - 4_000),
        ..later()
    };
    assert_class(
        &click(0, "203.0.113.5", Some(CHROME), T0),
        &ctx,
        HitClass::SecurityScanner,
        "within_seconds_of_delivery",
    );
    assert_class(
        &open("203.0.113.5", Some(CHROME), T0),
        &ctx,
        HitClass::SecurityScanner,
        "within_seconds_of_delivery",
    );
    // An open 8 s after the send can be a reader watching the inbox; a click cannot.
    let eight = Context {
        sent_at_ms: Some(T0 - 8_000),
        ..later()
    };
    assert_eq!(
        class_of(&open("203.0.113.5", Some(CHROME), T0), &eight).class,
        HitClass::Human
    );
    assert_eq!(
        class_of(&click(0, "203.0.113.5", Some(CHROME), T0), &eight).class,
        HitClass::SecurityScanner
    );
    // A minute later is a person; an unknown send time decides nothing.
    let minute = Context {
        sent_at_ms: Some(T0 - 60_000),
        ..later()
    };
    assert_eq!(
        class_of(&click(0, "203.0.113.5", Some(CHROME), T0), &minute).class,
        HitClass::Human
    );
    let unknown = Context {
        sent_at_ms: None,
        ..later()
    };
    assert_eq!(
        class_of(&click(0, "203.0.113.5", Some(CHROME), T0), &unknown).class,
        HitClass::Human
    );
}

fn prior(kind: HitKind, from: &str, agent: &str, at_ms: i64, class: HitClass) -> PriorHit {
    PriorHit {
        kind,
        at_ms,
        ip: ip(from),
        user_agent: Some(agent.to_string()),
        class,
    }
}

#[test]
fn every_link_clicked_in_a_burst_is_a_scanner() {
    let previous = [
        prior(
            HitKind::Click { link_index: 0 },
            "203.0.113.5",
            CHROME,
            T0 - 1_500,
            HitClass::Human,
        ),
        prior(
            HitKind::Click { link_index: 1 },
            "203.0.113.5",
            CHROME,
            T0 - 800,
            HitClass::Human,
        ),
    ];
    let ctx = Context {
        previous: &previous,
        ..later()
    };
    assert_class(
        &click(2, "203.0.113.5", Some(CHROME), T0),
        &ctx,
        HitClass::SecurityScanner,
        "all_links_clicked_in_burst",
    );
    // The same clicks spread over minutes are a person reading.
    let spread = [
        prior(
            HitKind::Click { link_index: 0 },
            "203.0.113.5",
            CHROME,
            T0 - 300_000,
            HitClass::Human,
        ),
        prior(
            HitKind::Click { link_index: 1 },
            "203.0.113.5",
            CHROME,
            T0 - 120_000,
            HitClass::Human,
        ),
    ];
    let ctx = Context {
        previous: &spread,
        ..later()
    };
    assert_eq!(
        class_of(&click(2, "203.0.113.5", Some(CHROME), T0), &ctx).class,
        HitClass::Human
    );
    // Many different links within seconds in a long message.
    let fast = [
        prior(
            HitKind::Click { link_index: 4 },
            "203.0.113.5",
            CHROME,
            T0 - 900,
            HitClass::Human,
        ),
        prior(
            HitKind::Click { link_index: 7 },
            "203.0.113.5",
            CHROME,
            T0 - 400,
            HitClass::Human,
        ),
    ];
    let ctx = Context {
        previous: &fast,
        links_in_message: 20,
        ..later()
    };
    assert_class(
        &click(9, "203.0.113.5", Some(CHROME), T0),
        &ctx,
        HitClass::SecurityScanner,
        "many_links_clicked_in_burst",
    );
}

#[test]
fn clicks_without_browser_headers_are_scanners() {
    let mut hit = click(0, "203.0.113.5", Some(CHROME), T0);
    hit.headers = BrowserHeaders {
        accept: Some("*/*".into()),
        ..BrowserHeaders::default()
    };
    assert_class(
        &hit,
        &later(),
        HitClass::SecurityScanner,
        "missing_browser_headers",
    );
    let mut no_agent = click(0, "203.0.113.5", None, T0);
    no_agent.headers = browser_headers();
    assert_class(
        &no_agent,
        &later(),
        HitClass::SecurityScanner,
        "missing_user_agent",
    );
    // An open pixel is an image load: no navigation headers expected.
    assert_eq!(
        class_of(&open("203.0.113.5", Some(CHROME), T0), &later()).class,
        HitClass::Human
    );
}

#[test]
fn the_senders_own_view_and_mail_to_self_are_sender() {
    let ctx = Context {
        sender_last_seen: Some((ip("198.51.100.44"), CHROME)),
        ..later()
    };
    assert_class(
        &open("198.51.100.44", Some(CHROME), T0),
        &ctx,
        HitClass::Sender,
        "sender_address_and_agent",
    );
    // Same address, another browser: a colleague behind the same NAT, a person.
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    assert_eq!(
        class_of(&open("198.51.100.44", Some(firefox), T0), &ctx).class,
        HitClass::Human
    );
    let to_self = Context {
        to_self: true,
        ..later()
    };
    assert_class(
        &open("203.0.113.5", Some(CHROME), T0),
        &to_self,
        HitClass::Sender,
        "mail_to_self",
    );
}

#[test]
fn repeats_by_the_same_reader_within_the_window_are_duplicates() {
    let previous = [prior(
        HitKind::Open,
        "203.0.113.5",
        CHROME,
        T0 - 60_000,
        HitClass::Human,
    )];
    let ctx = Context {
        previous: &previous,
        ..later()
    };
    assert_class(
        &open("203.0.113.5", Some(CHROME), T0),
        &ctx,
        HitClass::Duplicate,
        "repeat_within_window",
    );
    // Another reader, or the same one an hour later, counts again.
    assert_eq!(
        class_of(&open("203.0.113.99", Some(CHROME), T0), &ctx).class,
        HitClass::Human
    );
    assert_eq!(
        class_of(&open("203.0.113.5", Some(CHROME), T0 + 3_600_000), &ctx).class,
        HitClass::Human
    );
    // An image proxy changes address between fetches: the proxy is the reader.
    let proxied = [prior(
        HitKind::Open,
        "66.249.84.3",
        GMAIL_PROXY,
        T0 - 30_000,
        HitClass::ImageProxy,
    )];
    let ctx = Context {
        previous: &proxied,
        ..later()
    };
    assert_eq!(
        class_of(&open("66.249.84.9", Some(GMAIL_PROXY), T0), &ctx).class,
        HitClass::Duplicate
    );
    // Scanner hits are never duplicates: they are not counted to begin with.
    let scanned = [prior(
        HitKind::Open,
        "203.0.113.5",
        "curl/8",
        T0 - 1_000,
        HitClass::SecurityScanner,
    )];
    let ctx = Context {
        previous: &scanned,
        ..later()
    };
    assert_eq!(
        class_of(&open("203.0.113.5", Some("curl/8"), T0), &ctx).class,
        HitClass::SecurityScanner
    );
}

#[test]
fn classes_serialise_in_snake_case_and_only_people_count() {
    let all = [
        (HitClass::Human, "human", true),
        (HitClass::ImageProxy, "image_proxy", true),
        (HitClass::PrivacyPrefetch, "privacy_prefetch", false),
        (HitClass::SecurityScanner, "security_scanner", false),
        (HitClass::Sender, "sender", false),
        (HitClass::Duplicate, "duplicate", false),
    ];
    for (class, text, counted) in all {
        assert_eq!(
            serde_json::to_value(class).unwrap(),
            serde_json::json!(text)
        );
        assert_eq!(class.as_str(), text);
        assert_eq!(class.counted(), counted);
    }
}
