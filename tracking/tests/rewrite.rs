//! The rewriter at its public boundary: what is rewritten, what stays, byte for byte, and that
//! no input makes it panic.

use proptest::prelude::*;
use salespane_tracking::link::{self, LinkKey, TrackedRequest};
use salespane_tracking::rewrite::{pixel_html, rewrite, RewriteError, RewriteOptions, Rewritten};

const BASE: &str = "https://track.salespane.example";
const SECRET: &[u8] = b"a secret of thirty-two bytes....";

fn key() -> LinkKey<'static> {
    LinkKey {
        id: "key_0123456789abcdef01234567",
        secret: SECRET,
    }
}

fn message_id() -> String {
    link::new_message_id([42; 16])
}

fn tracked(html: &str) -> Rewritten {
    let id = message_id();
    rewrite(
        html,
        &RewriteOptions {
            base: BASE,
            message_id: &id,
            key: key(),
            add_pixel: true,
        },
    )
    .expect("rewrites")
}

fn pixel() -> String {
    pixel_html(&link::pixel_url(BASE, &message_id(), &key()))
}

/// The href text a rewritten link carries in the HTML (`&` escaped).
fn escaped_click(index: u32, destination: &str) -> String {
    link::click_url(BASE, &message_id(), index, destination, &key()).replace('&', "&amp;")
}

/// Undoes the documented changes: each rewritten href back to its original text, the pixel
/// removed. `originals[i]` is link i's href exactly as written in the input (quotes included
/// when the input had none, since the rewriter adds them).
fn undo(out: &Rewritten, originals: &[&str]) -> String {
    assert_eq!(out.links.len(), originals.len(), "{:?}", out.links);
    let mut html = out.html.replacen(&pixel(), "", 1);
    for (link, original) in out.links.iter().zip(originals) {
        let new = escaped_click(link.index, &link.destination);
        let quoted_new = format!("\"{new}\"");
        if let Some(unquoted) = original.strip_prefix('\u{0}') {
            // Marker for "was unquoted": the rewriter quoted it.
            html = html.replacen(&quoted_new, unquoted, 1);
        } else {
            assert!(
                html.contains(&new),
                "link {} missing in {}",
                link.index,
                out.html
            );
            html = html.replacen(&new, original, 1);
        }
    }
    html
}

#[test]
fn links_are_rewritten_and_everything_else_kept_byte_for_byte() {
    let input = "<!DOCTYPE html>\r\n<html><head><style>a { color: red }</style></head>\n\
        <body>\n<p class=x>Hello <b>Ann</b>,</p>\n\
        <p>See <a  href=\"https://shop.example/p?a=1&amp;b=2\"   class='l'>our offer</a>\n\
        and <A HREF='http://blog.example/Post'>the blog</A>.</p>\n\
        <p><a href=https://unquoted.example/x?y=1>unquoted</a></p>\n\
        <!-- <a href=\"https://in-comment.example/\">no</a> -->\n\
        <script>var s = '<a href=\"https://in-script.example/\">';</script>\n\
        </body>\n</html>\n";
    let out = tracked(input);
    let destinations: Vec<&str> = out.links.iter().map(|l| l.destination.as_str()).collect();
    assert_eq!(
        destinations,
        [
            "https://shop.example/p?a=1&b=2",
            "http://blog.example/Post",
            "https://unquoted.example/x?y=1"
        ]
    );
    assert!(out
        .links
        .iter()
        .enumerate()
        .all(|(i, l)| l.index as usize == i));
    assert_eq!(
        undo(
            &out,
            &[
                "https://shop.example/p?a=1&amp;b=2",
                "http://blog.example/Post",
                "\u{0}https://unquoted.example/x?y=1"
            ]
        ),
        input
    );
    // The pixel sits just before </body>.
    let pixel_at = out.html.find(&pixel()).expect("pixel");
    assert_eq!(
        &out.html[pixel_at + pixel().len()..pixel_at + pixel().len() + 7],
        "</body>"
    );
    assert!(out.html.contains("https://in-comment.example/"));
    assert!(out.html.contains("https://in-script.example/"));
}

#[test]
fn each_rewritten_link_parses_and_verifies_on_the_server_side() {
    let out = tracked(r#"<a href="https://a.example/x?q=caf%C3%A9&amp;n=1#top">x</a>"#);
    let href_start = out.html.find("href=\"").unwrap() + 6;
    let href_end = href_start + out.html[href_start..].find('"').unwrap();
    // What a browser would request: the attribute decoded.
    let url = out.html[href_start..href_end].replace("&amp;", "&");
    let rest = url.strip_prefix(BASE).unwrap();
    let (path, query) = rest.split_once('?').unwrap();
    let request = link::parse(path, Some(query)).unwrap();
    assert_eq!(request.verify(SECRET), Ok(()));
    match request {
        TrackedRequest::Click {
            destination,
            link_index,
            ..
        } => {
            assert_eq!(destination, "https://a.example/x?q=caf%C3%A9&n=1#top");
            assert_eq!(link_index, 0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn links_that_must_stay_are_left_alone() {
    let input = concat!(
        "<p><a href=\"mailto:ann@x.example\">mail</a> <a href=\"tel:+331234\">call</a> ",
        "<a href=\"#section\">jump</a> <a href=\"/relative\">rel</a> ",
        "<a href=\"javascript:alert(1)\">js</a> <a href=\"ftp://files.example/\">ftp</a></p>",
        "<p><a href=\"https://news.example/unsubscribe?u=1\">here</a> ",
        "<a href=\"https://news.example/prefs\">Unsubscribe</a> ",
        "<a href=\"https://news.example/l/9\">Se désabonner</a> ",
        "<a href=\"https://news.example/l/10\">Me d&eacute;sinscrire</a> ",
        "To unsubscribe, <a href=\"https://news.example/l/11\">click here</a>.</p>",
        "<p><a href=\"https://track.salespane.example/t/c/msg_x/0?u=a\">already</a></p>",
        "<p><a href=\"https://kept.example/\">the one tracked</a></p>",
    );
    let out = tracked(input);
    let destinations: Vec<&str> = out.links.iter().map(|l| l.destination.as_str()).collect();
    assert_eq!(destinations, ["https://kept.example/"]);
    assert_eq!(undo(&out, &["https://kept.example/"]), input);
}

#[test]
fn quoted_earlier_messages_keep_their_links() {
    let gmail = concat!(
        "<div dir=\"ltr\">Thanks! <a href=\"https://new.example/\">new</a></div><br>",
        "<div class=\"gmail_quote gmail_quote_container\"><div class=\"gmail_attr\">On Mon, Ann wrote:<br></div>",
        "<blockquote class=\"gmail_quote\" style=\"margin:0\"><div><a href=\"https://old.example/1\">old</a>",
        "<div><div><a href=\"https://old.example/2\">older</a></div></div></div></blockquote></div>",
        "<p><a href=\"https://after-quote.example/\">after</a></p>",
    );
    let out = tracked(gmail);
    let destinations: Vec<&str> = out.links.iter().map(|l| l.destination.as_str()).collect();
    assert_eq!(
        destinations,
        ["https://new.example/", "https://after-quote.example/"]
    );

    let cite = "<p><a href=\"https://new.example/\">n</a></p><blockquote type=\"cite\"><a href=\"https://old.example/\">o</a></blockquote>";
    assert_eq!(tracked(cite).links.len(), 1);

    let outlook = concat!(
        "<div>Reply <a href=\"https://new.example/\">n</a></div>",
        "<div id=\"appendonsend\"></div><hr style=\"display:inline-block\">",
        "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>From:</b> Ann</div>",
        "<div><a href=\"https://old.example/1\">o</a></div><p><a href=\"https://old.example/2\">o2</a></p>",
    );
    let out = tracked(outlook);
    let destinations: Vec<&str> = out.links.iter().map(|l| l.destination.as_str()).collect();
    assert_eq!(destinations, ["https://new.example/"]);

    let outlook_without_appendonsend = "<p><a href=\"https://new.example/\">n</a></p><div id=\"divRplyFwdMsg\"></div><a href=\"https://old.example/\">o</a>";
    assert_eq!(tracked(outlook_without_appendonsend).links.len(), 1);
}

#[test]
fn the_pixel_goes_at_the_end_of_a_fragment_and_can_be_left_out() {
    let fragment = "<div>Hi <a href=\"https://a.example/\">a</a></div>";
    let out = tracked(fragment);
    assert!(out.html.ends_with(&pixel()), "{}", out.html);
    let id = message_id();
    let links_only = rewrite(
        fragment,
        &RewriteOptions {
            base: BASE,
            message_id: &id,
            key: key(),
            add_pixel: false,
        },
    )
    .unwrap();
    assert!(!links_only.html.contains("<img"));
    assert_eq!(links_only.links.len(), 1);
    // The pixel: 1x1, empty alt, not display:none.
    let pixel = pixel();
    for needed in [
        "width=\"1\"",
        "height=\"1\"",
        "alt=\"\"",
        "/t/o/",
        ".gif?k=",
    ] {
        assert!(pixel.contains(needed), "{needed} missing in {pixel}");
    }
    assert!(!pixel.contains("display:none"));
}

#[test]
fn entities_and_odd_hrefs_decode_as_browsers_do() {
    let cases = [
        (
            "<a href=\"&#104;ttps://a.example/?x=1&amp;y=2\">e</a>",
            Some("https://a.example/?x=1&y=2"),
        ),
        (
            "<a href=\"https://a.example/?a=1&copy=2\">legacy</a>",
            Some("https://a.example/?a=1&copy=2"),
        ),
        (
            "<a href=\"  https://a.example/\n  spaced  \">ws</a>",
            Some("https://a.example/  spaced"),
        ),
        ("<a href=\"&#106;avascript:alert(1)\">js</a>", None),
        ("<a href=\"\">empty</a><a href>none</a>", None),
        (
            "<a href=\"https://first.example/\" href=\"https://second.example/\">dup</a>",
            Some("https://first.example/"),
        ),
        (
            "<a href='https://a.example/\"quoted\"'>q</a>",
            Some("https://a.example/\"quoted\""),
        ),
    ];
    for (html, expected) in cases {
        let out = tracked(html);
        let got = out.links.first().map(|l| l.destination.as_str());
        assert_eq!(got, expected, "{html}");
        if let Some(link) = out.links.first() {
            // The new href is escaped for its attribute: it round-trips through a tokenizer.
            let new = escaped_click(0, &link.destination);
            assert!(out.html.contains(&new), "{}", out.html);
        }
    }
}

#[test]
fn bad_options_are_refused_with_what_to_do() {
    let id = message_id();
    let opts = |base: &'static str, message_id: &str, secret: &'static [u8]| {
        rewrite(
            "<a href=\"https://a.example/\">a</a>",
            &RewriteOptions {
                base,
                message_id,
                key: LinkKey {
                    id: "key_1",
                    secret,
                },
                add_pixel: true,
            },
        )
    };
    assert!(matches!(
        opts("ftp://x", &id, SECRET),
        Err(RewriteError::BadBase(_))
    ));
    assert!(matches!(
        opts(BASE, "msg_bad", SECRET),
        Err(RewriteError::BadMessageId(_))
    ));
    assert_eq!(opts(BASE, &id, b""), Err(RewriteError::BadKey));
    let err = opts("ftp://x", &id, SECRET).unwrap_err().to_string();
    assert!(err.contains("options"), "{err}");
}

#[test]
fn a_ten_megabyte_body_is_rewritten_whole() {
    let block = "<p>Paragraph with <a href=\"https://a.example/p?i=1&amp;j=2\">a link</a> and text &amp; more text.</p>\n";
    let mut html = String::from("<html><body>");
    while html.len() < 10 * 1024 * 1024 {
        html.push_str(block);
    }
    html.push_str("</body></html>");
    let out = tracked(&html);
    let count = html.matches("<a href").count();
    assert_eq!(out.links.len(), count);
    assert!(out.html.len() > html.len());
    assert!(out.html.ends_with("</body></html>"));
}

#[test]
fn malformed_markup_never_panics_and_keeps_bytes() {
    let nasty = [
        "<a href=\"https://a.example/",
        "<a href='https://a.example/'",
        "<a href=https://a.example/",
        "<<<a href=\"https://a.example/\">>>",
        "<a href=\"https://a.example/\"<b>x",
        "</a></body></body><a href=\"https://late.example/\">x</a>",
        "<div class=gmail_quote><a href=\"https://q.example/\">never closed",
        "<!--<a href=\"https://a.example/\">",
        "<svg><a href=\"https://svg.example/\"/><![CDATA[<a href=\"https://cdata.example/\">]]></svg>",
        "<table><a href=\"https://t.example/\">in table</a></table>",
        "\u{feff}<a href=\"https://bom.example/\">é</a>\u{0}",
        "<a href=\"https://a.example/&#xD800;&#0;&#x110000;\">bad refs</a>",
        "<a href=\"https://a.example/&#99999999999999999999;\">huge</a>",
        "<a href=\"https://ü.example/ü\">unicode</a>",
        "<textarea><a href=\"https://ta.example/\"></textarea>",
        "<plaintext><a href=\"https://pt.example/\">",
        "",
    ];
    for html in nasty {
        let out = tracked(html);
        // Every tracked link's new href is present, and removing the pixel plus putting the
        // original text back in place gives the input again.
        for link in &out.links {
            assert!(out
                .html
                .contains(&escaped_click(link.index, &link.destination)));
        }
        if out.links.is_empty() {
            assert_eq!(out.html.replacen(&pixel(), "", 1), html);
        }
    }
}

/// A generated mail: pieces of text, markup and links, with each link's href as written.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Link {
        href: String,
        quote: char,
        text: String,
    },
    Markup(&'static str),
}

fn piece() -> impl Strategy<Value = Piece> {
    let href = prop_oneof![
        "https?://[a-z]{1,8}\\.example/[a-zA-Z0-9/_.~-]{0,12}(\\?[a-z]{1,4}=[a-z0-9]{0,4}(&amp;[a-z]{1,3}=[0-9]{1,3}){0,2})?",
        "(mailto:[a-z]{1,5}@x\\.example|tel:\\+[0-9]{4,8}|#[a-z]{1,6}|/[a-z]{0,6})",
    ];
    prop_oneof![
        "[^<&]{0,40}".prop_map(Piece::Text),
        (
            href,
            prop_oneof![Just('"'), Just('\''), Just(' ')],
            "[a-zA-Z ]{0,12}"
        )
            .prop_map(|(href, quote, text)| Piece::Link { href, quote, text }),
        prop_oneof![
            Just("<p>"),
            Just("</p>"),
            Just("<br>"),
            Just("<div style=\"x\">"),
            Just("</div>"),
            Just("<b>"),
            Just("</b>"),
            Just("<img src=\"https://img.example/a.png\">"),
            Just("<!-- note -->"),
        ]
        .prop_map(Piece::Markup),
    ]
}

fn render(pieces: &[Piece]) -> (String, Vec<String>) {
    let mut html = String::new();
    let mut http_originals = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => html.push_str(text),
            Piece::Markup(markup) => html.push_str(markup),
            Piece::Link { href, quote, text } => {
                let is_http = href.starts_with("http");
                match quote {
                    ' ' if !href.contains('&') => {
                        html.push_str(&format!("<a href={href} >{text}</a>"));
                        if is_http {
                            http_originals.push(format!("\u{0}{href}"));
                        }
                    }
                    _ => {
                        let q = if *quote == ' ' { '"' } else { *quote };
                        html.push_str(&format!("<a href={q}{href}{q}>{text}</a>"));
                        if is_http {
                            http_originals.push(href.clone());
                        }
                    }
                }
            }
        }
    }
    (html, http_originals)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Output minus the changed hrefs and the pixel equals the input, for generated mail.
    #[test]
    fn only_hrefs_and_the_pixel_change(pieces in proptest::collection::vec(piece(), 0..40)) {
        let (html, originals) = render(&pieces);
        let out = tracked(&html);
        let originals: Vec<&str> = originals.iter().map(String::as_str).collect();
        prop_assert_eq!(undo(&out, &originals), html);
    }

    /// Arbitrary text never panics the rewriter, and a body without links only gains the pixel.
    #[test]
    fn arbitrary_input_never_panics(html in "\\PC{0,300}") {
        let out = tracked(&html);
        if out.links.is_empty() {
            prop_assert_eq!(out.html.replacen(&pixel(), "", 1), html);
        }
    }

    /// Markup-heavy noise (tags, quotes, references, quoted-reply markers) never panics.
    #[test]
    fn markup_soup_never_panics(html in "([<>\"'=&#;/ a-z!-]|href|https://|gmail_quote|blockquote|divRplyFwdMsg|</a>|<a |&amp;|&#x|body){0,80}") {
        let out = tracked(&html);
        for link in &out.links {
            prop_assert!(link.destination.to_ascii_lowercase().starts_with("http"));
        }
    }
}
