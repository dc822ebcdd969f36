//! A small, strict parser for the `http(s)` page URLs content scripts report. Only what host
//! detection and record detection need (scheme, host, port, path); anything unusual is refused
//! rather than guessed, because the text comes from a content script and is untrusted.

use crate::limits::MAX_URL_BYTES;

/// Why a reported URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the URL is longer than {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error("only http and https pages are supported")]
    Scheme,
    #[error("the URL holds spaces or control characters")]
    Character,
    #[error("the URL has no valid host name")]
    Host,
    #[error("the URL's port is not a number between 1 and 65535")]
    Port,
    #[error("URLs with a user name or password are not accepted")]
    UserInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed page URL. The host is lower-cased; the path keeps its case (Salesforce ids are
/// case-sensitive) and never includes the query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    pub scheme: Scheme,
    pub host: String,
    pub port: Option<u16>,
    pub path: String,
}

impl WebUrl {
    pub fn parse(text: &str) -> Result<WebUrl, UrlError> {
        if text.len() > MAX_URL_BYTES {
            return Err(UrlError::TooLong);
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(UrlError::Character);
        }
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (Scheme::Http, rest)
        } else {
            return Err(UrlError::Scheme);
        };
        let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_port(authority)?;
        let host = host.to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(UrlError::Host);
        }
        let path_end = after.find(['?', '#']).unwrap_or(after.len());
        let path = match &after[..path_end] {
            "" => "/".to_string(),
            p if p.starts_with('/') => p.to_string(),
            _ => return Err(UrlError::Character),
        };
        Ok(WebUrl {
            scheme,
            host,
            port,
            path,
        })
    }

    /// `scheme://host[:port]`, to compare where two URLs come from.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        match self.port {
            Some(port) => format!("{scheme}://{}:{port}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }

    /// The non-empty path segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    // IPv6 literals are bracketed; their colons are not a port separator.
    let port_sep = if authority.starts_with('[') {
        authority.find("]:").map(|i| i + 1)
    } else {
        authority.rfind(':')
    };
    match port_sep {
        None => Ok((authority, None)),
        Some(i) => {
            let digits = &authority[i + 1..];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::Port);
            }
            match digits.parse::<u16>() {
                Ok(0) | Err(_) => Err(UrlError::Port),
                Ok(port) => Ok((&authority[..i], Some(port))),
            }
        }
    }
}

fn valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        return inner.is_some_and(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        });
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_path_without_query() {
        let url =
            WebUrl::parse("https://Acme.Lightning.Force.com:8443/lightning/r/Lead/00Q/view?x=1#y")
                .unwrap();
        assert_eq!(url.scheme, Scheme::Https);
        assert_eq!(url.host, "acme.lightning.force.com");
        assert_eq!(url.port, Some(8443));
        assert_eq!(url.path, "/lightning/r/Lead/00Q/view");
        assert_eq!(url.origin(), "https://acme.lightning.force.com:8443");
        assert_eq!(
            url.segments().collect::<Vec<_>>(),
            ["lightning", "r", "Lead", "00Q", "view"]
        );
        assert_eq!(WebUrl::parse("http://127.0.0.1").unwrap().path, "/");
        assert_eq!(WebUrl::parse("http://[::1]:80/a").unwrap().host, "[::1]");
    }

    #[test]
    fn refuses_what_is_not_a_plain_web_page() {
        assert_eq!(WebUrl::parse("javascript:alert(1)"), Err(UrlError::Scheme));
        assert_eq!(
            WebUrl::parse("chrome-extension://abc/panel.html"),
            Err(UrlError::Scheme)
        );
        assert_eq!(WebUrl::parse("https://a b.com/"), Err(UrlError::Character));
        assert_eq!(
            WebUrl::parse("https://evil.com@mail.google.com/"),
            Err(UrlError::UserInfo)
        );
        assert_eq!(
            WebUrl::parse("https://mail.google.com:0/"),
            Err(UrlError::Port)
        );
        assert_eq!(
            WebUrl::parse("https://mail.google.com:99999/"),
            Err(UrlError::Port)
        );
        assert_eq!(WebUrl::parse("https:///x"), Err(UrlError::Host));
        assert_eq!(WebUrl::parse("https://-bad-.com/"), Err(UrlError::Host));
        assert_eq!(
            WebUrl::parse("https://mail.google.com\\@x/"),
            Err(UrlError::Character)
        );
        assert_eq!(
            WebUrl::parse(&format!("https://a.com/{}", "x".repeat(MAX_URL_BYTES))),
            Err(UrlError::TooLong)
        );
        assert!(WebUrl::parse("httpsé://x").is_err());
    }
}
