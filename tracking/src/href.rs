//! What an `href` means and whether it may be tracked: the URL's surrounding whitespace
//! stripped as the URL parser does, and the links never to rewrite (not http(s), unsubscribe,
//! already tracked). Character references are decoded by the tokenizer (html5gum).

/// The URL a browser follows for an href value (decoded): leading and trailing C0 controls and
/// spaces removed, tabs and newlines removed everywhere (the URL standard's first steps).
pub fn url_of(decoded: &str) -> String {
    let trimmed = decoded.trim_matches(|c: char| c <= ' ');
    if !trimmed.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
        // Nearly every link: one copy, no per-character work.
        return trimmed.to_owned();
    }
    trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// True when the URL's scheme is `http` or `https` (any case).
pub fn is_http(url: &str) -> bool {
    crate::link::is_http_destination(url)
}

/// The start of every URL on the tracking host's `/t/` paths.
pub fn tracked_prefix(base: &str) -> String {
    format!("{}/t/", base.trim_end_matches('/'))
}

/// True when `url` already points at the tracking host's `/t/` paths ([`tracked_prefix`]).
pub fn is_tracked(url: &str, prefix: &str) -> bool {
    url.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Words that mark an unsubscribe (or opt-out) link, in its URL or its text, after
/// [`fold`]: English, and French `désinscrire` / `désabonner` in their forms.
const UNSUBSCRIBE_WORDS: [&str; 7] = [
    "unsubscribe",
    "unsub",
    "opt-out",
    "opt out",
    "optout",
    "desinscri",
    "desabonn",
];

/// Lower case with the accents on `e` dropped, so "Se désabonner" and "DÉSINSCRIPTION" match
/// the words above; `_` read as `-` (`opt_out`).
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            '_' => '-',
            c => c,
        })
        .collect()
}

/// True when `text` holds one of the words, compared as [`fold`] does. ASCII text (nearly
/// every URL and most link texts) is compared in place in one pass, without allocating.
fn mentions_unsubscribe(text: &str) -> bool {
    if !text.is_ascii() {
        let folded = fold(text);
        return UNSUBSCRIBE_WORDS.iter().any(|word| folded.contains(word));
    }
    let bytes = text.as_bytes();
    let folded = |b: u8| {
        if b == b'_' {
            b'-'
        } else {
            b.to_ascii_lowercase()
        }
    };
    (0..bytes.len()).any(|at| {
        // Every word starts with `un`, `op` or `de`: nearly every position is rejected on
        // its first two bytes.
        let second = match folded(bytes[at]) {
            b'u' => b'n',
            b'o' => b'p',
            b'd' => b'e',
            _ => return false,
        };
        bytes.get(at + 1).is_some_and(|&b| folded(b) == second)
            && UNSUBSCRIBE_WORDS.iter().any(|word| {
                bytes.get(at..at + word.len()).is_some_and(|window| {
                    window
                        .iter()
                        .zip(word.bytes())
                        .all(|(&b, w)| folded(b) == w)
                })
            })
    })
}

/// True when the link is an unsubscribe link: by its URL (`/unsubscribe`, `?optout=`,
/// List-Unsubscribe style paths, French ones, percent-encoded or not) or its text.
pub fn is_unsubscribe(url: &str, text: &str) -> bool {
    let in_url = if url.contains('%') {
        mentions_unsubscribe(&percent_encoding::percent_decode_str(url).decode_utf8_lossy())
    } else {
        mentions_unsubscribe(url)
    };
    in_url || mentions_unsubscribe(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_surrounding_space_and_inner_newlines() {
        assert_eq!(
            url_of("  https://a.example/\n  x\t\r \u{1}"),
            "https://a.example/  x"
        );
        assert!(is_http("HTTPS://a.example/"));
        assert!(is_http("http://a"));
        for not in [
            "mailto:a@b.example",
            "tel:+33",
            "#top",
            "/relative",
            "javascript:x",
            "https://",
            "ftp://a",
            "data:text/html,x",
        ] {
            assert!(!is_http(not), "{not}");
        }
    }

    #[test]
    fn tracked_links_are_recognised_by_their_base() {
        let prefix = tracked_prefix("http://127.0.0.1:8787/");
        assert_eq!(prefix, tracked_prefix("http://127.0.0.1:8787"));
        assert!(is_tracked("http://127.0.0.1:8787/t/c/msg_x/0?u=a", &prefix));
        assert!(is_tracked("HTTP://127.0.0.1:8787/t/o/msg_x.gif", &prefix));
        assert!(!is_tracked("http://127.0.0.1:8787/other", &prefix));
        assert!(!is_tracked("https://evil.example/t/c/", &prefix));
    }

    #[test]
    fn unsubscribe_links_are_found_by_url_or_text() {
        assert!(is_unsubscribe(
            "https://news.example/unsubscribe?id=1",
            "here"
        ));
        assert!(is_unsubscribe(
            "https://news.example/u?list=unsub-42",
            "here"
        ));
        assert!(is_unsubscribe("https://news.example/prefs?opt_out=1", ""));
        assert!(is_unsubscribe(
            "https://news.example/d%C3%A9sinscription",
            ""
        ));
        assert!(is_unsubscribe("https://news.example/x", "Unsubscribe"));
        assert!(is_unsubscribe("https://news.example/x", "Se désabonner"));
        assert!(is_unsubscribe("https://news.example/x", "DÉSINSCRIPTION"));
        assert!(is_unsubscribe(
            "https://news.example/x",
            "Opt out of these emails"
        ));
        assert!(!is_unsubscribe(
            "https://shop.example/subscribe",
            "Subscribe now"
        ));
        assert!(!is_unsubscribe(
            "https://school.example/inscription",
            "S'inscrire"
        ));
    }
}
