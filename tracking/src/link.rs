//! Signed tracking links: the open pixel's and every click's URL, parsing them back from a
//! request, and verifying their signature.
//!
//! URL shapes on the tracking host (`base`, the server's public URL):
//! - open pixel: `{base}/t/o/{message_id}.gif?k={key_id}&s={sig}`
//! - click: `{base}/t/c/{message_id}/{link_index}?u={destination}&k={key_id}&s={sig}`
//!
//! `sig` is the base64url (no padding) of the first 16 bytes of HMAC-SHA256 under the sender's
//! signing secret over [`signed_bytes`]: a domain-separated, length-prefixed encoding of
//! (kind, message id, link index, destination, key id), so no two different links share their
//! signed bytes. The server redirects only to a destination whose signature verifies, which is
//! what keeps the click endpoint from being an open redirect.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in a link: 128 bits, far beyond guessing, and short URLs.
pub const SIG_BYTES: usize = 16;
/// The path prefix every tracking URL starts with.
pub const PATH_PREFIX: &str = "/t/";
/// The message id prefix.
pub const MESSAGE_ID_PREFIX: &str = "msg_";
/// Longest destination a click link carries. Longer links stay untracked (a browser or mail
/// client may cut them anyway), and the server refuses longer ones.
pub const MAX_DESTINATION_BYTES: usize = 8 * 1024;
/// Longest key id accepted in a link (the server's are `key_` and 24 hex digits).
pub const MAX_KEY_ID_BYTES: usize = 128;
/// Characters of a message id after its prefix: base64url of 16 random bytes.
const MESSAGE_ID_RANDOM_CHARS: usize = 22;
/// Domain separation: these bytes start everything signed here, so a tracking signature can
/// never be replayed as another use of the same key, nor an older format's.
const DOMAIN: &[u8] = b"salespane-tracking-link-v1";

/// Why a link or key was refused. Messages say what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "the signing secret is not base64url ({0}); sign in again so the server sends a fresh key"
    )]
    BadSecret(String),
    #[error("the signing secret is empty; sign in again so the server sends a fresh key")]
    EmptySecret,
    #[error("`{0}` is not a tracking path (expected /t/o/<message id>.gif or /t/c/<message id>/<link index>)")]
    NotATrackingPath(String),
    #[error("`{0}` is not a message id (expected msg_ and 22 base64url characters)")]
    BadMessageId(String),
    #[error("`{0}` is not a link index (expected a decimal number)")]
    BadLinkIndex(String),
    #[error("the link has no `{0}` parameter; the link was cut or altered, use the original one")]
    MissingParameter(&'static str),
    #[error("the link has the `{0}` parameter twice; the link was altered, use the original one")]
    DuplicateParameter(String),
    #[error("the destination is not an http(s) URL of at most {MAX_DESTINATION_BYTES} bytes")]
    BadDestination,
    #[error("the key id is empty or longer than {MAX_KEY_ID_BYTES} bytes")]
    BadKeyId,
    #[error("the signature is not {SIG_BYTES} bytes of base64url")]
    BadSignatureEncoding,
    #[error(
        "the link's signature does not match; the link was altered or signed with another key"
    )]
    BadSignature,
}

/// The sender's signing key: its id (public, carried in links) and secret (raw bytes, never in
/// a link). Decode the base64url secret of `salespane_api::me::SigningKey` with
/// [`decode_secret`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LinkKey<'a> {
    pub id: &'a str,
    pub secret: &'a [u8],
}

// The secret never appears in logs or panics.
impl std::fmt::Debug for LinkKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkKey")
            .field("id", &self.id)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Decodes a signing secret given as base64url (the server's form, without padding; padding
/// is tolerated).
pub fn decode_secret(b64url: &str) -> Result<Vec<u8>, LinkError> {
    let trimmed = b64url.trim().trim_end_matches('=');
    let secret = URL_SAFE_NO_PAD
        .decode(trimmed)
        .map_err(|e| LinkError::BadSecret(e.to_string()))?;
    if secret.is_empty() {
        return Err(LinkError::EmptySecret);
    }
    Ok(secret)
}

/// What a tracking link is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Open,
    Click,
}

impl LinkKind {
    fn label(self) -> &'static [u8] {
        match self {
            LinkKind::Open => b"open",
            LinkKind::Click => b"click",
        }
    }
}

/// The exact bytes a link's HMAC covers: [`DOMAIN`], then each of kind, message id, link index
/// (4 bytes big-endian; 0 for an open), destination (empty for an open) and key id, each
/// preceded by its length as 4 bytes big-endian.
pub fn signed_bytes(
    kind: LinkKind,
    message_id: &str,
    link_index: u32,
    destination: &str,
    key_id: &str,
) -> Vec<u8> {
    let fields: [&[u8]; 5] = [
        kind.label(),
        message_id.as_bytes(),
        &link_index.to_be_bytes(),
        destination.as_bytes(),
        key_id.as_bytes(),
    ];
    let mut out =
        Vec::with_capacity(DOMAIN.len() + fields.iter().map(|f| 4 + f.len()).sum::<usize>());
    out.extend_from_slice(DOMAIN);
    for field in fields {
        out.extend_from_slice(&field_len(field).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// A field's length prefix. Fields are bounded far below 4 GiB by the callers (a destination
/// by the rewriter's input limit); saturate rather than wrap.
fn field_len(field: &[u8]) -> u32 {
    u32::try_from(field.len()).unwrap_or(u32::MAX)
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of every length")
}

/// Signs many links under one key: the HMAC key schedule is computed once (a body with
/// hundreds of links would otherwise redo it for each).
#[derive(Clone)]
pub struct Signer<'a> {
    key_id: &'a str,
    /// The key id as it goes in a URL.
    key_param: String,
    mac: HmacSha256,
}

impl<'a> Signer<'a> {
    pub fn new(key: &LinkKey<'a>) -> Signer<'a> {
        Signer {
            key_id: key.id,
            key_param: encode_component(key.id),
            mac: keyed(key.secret),
        }
    }

    /// The signature of one link, base64url without padding.
    pub fn sign(
        &self,
        kind: LinkKind,
        message_id: &str,
        link_index: u32,
        destination: &str,
    ) -> String {
        let mut out = String::with_capacity(SIG_CHARS);
        self.push_sign(&mut out, kind, message_id, link_index, destination);
        out
    }

    /// [`Signer::sign`], appended to `out` (no allocation of its own).
    fn push_sign(
        &self,
        out: &mut String,
        kind: LinkKind,
        message_id: &str,
        link_index: u32,
        destination: &str,
    ) {
        let mut mac = self.mac.clone();
        // The bytes of `signed_bytes`, fed piece by piece rather than copied first.
        mac.update(DOMAIN);
        for field in [
            kind.label(),
            message_id.as_bytes(),
            &link_index.to_be_bytes(),
            destination.as_bytes(),
            self.key_id.as_bytes(),
        ] {
            mac.update(&field_len(field).to_be_bytes());
            mac.update(field);
        }
        let tag = mac.finalize().into_bytes();
        URL_SAFE_NO_PAD.encode_string(&tag[..SIG_BYTES], out);
    }

    /// See [`pixel_url`].
    pub fn pixel_url(&self, base: &str, message_id: &str) -> String {
        let mut out = String::with_capacity(base.len() + message_id.len() + 64);
        out.push_str(base_of(base));
        out.push_str("/t/o/");
        out.push_str(message_id);
        out.push_str(".gif?k=");
        out.push_str(&self.key_param);
        out.push_str("&s=");
        self.push_sign(&mut out, LinkKind::Open, message_id, 0, "");
        out
    }

    /// See [`click_url`].
    pub fn click_url(
        &self,
        base: &str,
        message_id: &str,
        link_index: u32,
        destination: &str,
    ) -> String {
        let mut out = String::new();
        self.push_click_url(&mut out, base, message_id, link_index, destination);
        out
    }

    /// [`Signer::click_url`], appended to `out`: the rewriter builds every link of a body in
    /// one reused buffer instead of a few strings per link.
    pub fn push_click_url(
        &self,
        out: &mut String,
        base: &str,
        message_id: &str,
        link_index: u32,
        destination: &str,
    ) {
        out.reserve(base.len() + message_id.len() + destination.len() + self.key_param.len() + 64);
        out.push_str(base_of(base));
        out.push_str("/t/c/");
        out.push_str(message_id);
        out.push('/');
        push_decimal(out, link_index);
        out.push_str("?u=");
        out.extend(form_urlencoded::byte_serialize(destination.as_bytes()));
        out.push_str("&k=");
        out.push_str(&self.key_param);
        out.push_str("&s=");
        self.push_sign(out, LinkKind::Click, message_id, link_index, destination);
    }
}

/// Characters of a signature: base64url of [`SIG_BYTES`] bytes, unpadded.
const SIG_CHARS: usize = (SIG_BYTES * 4).div_ceil(3);

fn push_decimal(out: &mut String, value: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // ASCII digits only.
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// The signature of one link, base64url without padding.
pub fn sign(
    secret: &[u8],
    kind: LinkKind,
    message_id: &str,
    link_index: u32,
    destination: &str,
    key_id: &str,
) -> String {
    Signer::new(&LinkKey { id: key_id, secret }).sign(kind, message_id, link_index, destination)
}

fn encode_component(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn base_of(base: &str) -> &str {
    base.trim_end_matches('/')
}

/// The open pixel's URL: `{base}/t/o/{message_id}.gif?k={key_id}&s={sig}`.
pub fn pixel_url(base: &str, message_id: &str, key: &LinkKey) -> String {
    Signer::new(key).pixel_url(base, message_id)
}

/// A click link's URL:
/// `{base}/t/c/{message_id}/{link_index}?u={percent-encoded destination}&k={key_id}&s={sig}`.
/// The destination is signed as given (already entity-decoded by the rewriter).
pub fn click_url(
    base: &str,
    message_id: &str,
    link_index: u32,
    destination: &str,
    key: &LinkKey,
) -> String {
    Signer::new(key).click_url(base, message_id, link_index, destination)
}

/// A request to the tracking host, parsed but not yet verified (see [`TrackedRequest::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackedRequest {
    Open {
        message_id: String,
        key_id: String,
        /// The signature as it came, base64url (checked to decode to [`SIG_BYTES`] bytes).
        sig: String,
    },
    Click {
        message_id: String,
        link_index: u32,
        destination: String,
        key_id: String,
        sig: String,
    },
}

impl TrackedRequest {
    pub fn message_id(&self) -> &str {
        match self {
            TrackedRequest::Open { message_id, .. } | TrackedRequest::Click { message_id, .. } => {
                message_id
            }
        }
    }

    /// The id of the key the link says it was signed with: the server looks its secret up.
    pub fn key_id(&self) -> &str {
        match self {
            TrackedRequest::Open { key_id, .. } | TrackedRequest::Click { key_id, .. } => key_id,
        }
    }

    pub fn kind(&self) -> LinkKind {
        match self {
            TrackedRequest::Open { .. } => LinkKind::Open,
            TrackedRequest::Click { .. } => LinkKind::Click,
        }
    }

    /// Checks the signature under `secret` (raw bytes), in constant time.
    pub fn verify(&self, secret: &[u8]) -> Result<(), LinkError> {
        let (kind, message_id, link_index, destination, key_id, sig) = match self {
            TrackedRequest::Open {
                message_id,
                key_id,
                sig,
            } => (LinkKind::Open, message_id, 0, "", key_id, sig),
            TrackedRequest::Click {
                message_id,
                link_index,
                destination,
                key_id,
                sig,
            } => (
                LinkKind::Click,
                message_id,
                *link_index,
                destination.as_str(),
                key_id,
                sig,
            ),
        };
        let given = decode_sig(sig)?;
        let mut mac = keyed(secret);
        mac.update(&signed_bytes(
            kind,
            message_id,
            link_index,
            destination,
            key_id,
        ));
        mac.verify_truncated_left(&given)
            .map_err(|_| LinkError::BadSignature)
    }
}

fn decode_sig(sig: &str) -> Result<[u8; SIG_BYTES], LinkError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| LinkError::BadSignatureEncoding)?;
    bytes
        .try_into()
        .map_err(|_| LinkError::BadSignatureEncoding)
}

/// Parses a tracking request: `path` is the request path starting with `/t/`, `query` the raw
/// query string without `?`. The result still has to be [verified](TrackedRequest::verify)
/// under the key its `key_id` names.
pub fn parse(path: &str, query: Option<&str>) -> Result<TrackedRequest, LinkError> {
    let not_tracking = || LinkError::NotATrackingPath(shorten(path));
    let rest = path.strip_prefix(PATH_PREFIX).ok_or_else(not_tracking)?;
    let params = Params::parse(query.unwrap_or(""))?;
    if let Some(file) = rest.strip_prefix("o/") {
        let message_id = file.strip_suffix(".gif").ok_or_else(not_tracking)?;
        let message_id = checked_message_id(message_id)?;
        if params.destination.is_some() {
            return Err(LinkError::NotATrackingPath(shorten(path)));
        }
        Ok(TrackedRequest::Open {
            message_id,
            key_id: params.key_id()?,
            sig: params.sig()?,
        })
    } else if let Some(rest) = rest.strip_prefix("c/") {
        let (message_id, index) = rest.split_once('/').ok_or_else(not_tracking)?;
        let message_id = checked_message_id(message_id)?;
        let link_index = parse_index(index)?;
        let destination = params
            .destination
            .clone()
            .ok_or(LinkError::MissingParameter("u"))?;
        if !is_http_destination(&destination) {
            return Err(LinkError::BadDestination);
        }
        Ok(TrackedRequest::Click {
            message_id,
            link_index,
            destination,
            key_id: params.key_id()?,
            sig: params.sig()?,
        })
    } else {
        Err(not_tracking())
    }
}

/// True for a destination a click link may carry: `http:` or `https:` (any case), with
/// something after the scheme, within [`MAX_DESTINATION_BYTES`], and no control characters.
pub fn is_http_destination(destination: &str) -> bool {
    if destination.len() > MAX_DESTINATION_BYTES || has_control(destination) {
        return false;
    }
    let lower_prefix = |prefix: &str| {
        destination
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
            && destination.len() > prefix.len()
    };
    lower_prefix("http://") || lower_prefix("https://")
}

/// True when `text` holds a control character (`char::is_control`: U+0000 to U+001F and
/// U+007F to U+009F), read as bytes: in UTF-8 the C1 controls are 0xC2 then 0x80 to 0x9F.
fn has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        b < 0x20
            || b == 0x7f
            || (b == 0xc2
                && bytes
                    .get(at + 1)
                    .is_some_and(|next| (0x80..=0x9f).contains(next)))
    })
}

fn checked_message_id(id: &str) -> Result<String, LinkError> {
    if is_valid_message_id(id) {
        Ok(id.to_string())
    } else {
        Err(LinkError::BadMessageId(shorten(id)))
    }
}

/// Digits only (no sign, no spaces), so one index has exactly one spelling up to leading zeros,
/// which are refused too.
fn parse_index(text: &str) -> Result<u32, LinkError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .ok_or_else(|| LinkError::BadLinkIndex(shorten(text)))
}

/// Error messages quote at most this much of untrusted input.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The query parameters a tracking link carries; any other parameter is ignored (a mail
/// client or gateway may append its own), a repeated one refused (two values would be
/// ambiguous).
#[derive(Default)]
struct Params {
    destination: Option<String>,
    key_id: Option<String>,
    sig: Option<String>,
}

impl Params {
    fn parse(query: &str) -> Result<Params, LinkError> {
        let mut params = Params::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "u" => &mut params.destination,
                "k" => &mut params.key_id,
                "s" => &mut params.sig,
                _ => continue,
            };
            if slot.is_some() {
                return Err(LinkError::DuplicateParameter(shorten(&name)));
            }
            *slot = Some(value.into_owned());
        }
        Ok(params)
    }

    fn key_id(&self) -> Result<String, LinkError> {
        let key_id = self
            .key_id
            .clone()
            .ok_or(LinkError::MissingParameter("k"))?;
        if key_id.is_empty() || key_id.len() > MAX_KEY_ID_BYTES {
            return Err(LinkError::BadKeyId);
        }
        Ok(key_id)
    }

    fn sig(&self) -> Result<String, LinkError> {
        let sig = self.sig.clone().ok_or(LinkError::MissingParameter("s"))?;
        decode_sig(&sig)?;
        Ok(sig)
    }
}

/// A new message id from 16 random bytes (the caller brings the randomness: the browser's
/// `crypto.getRandomValues` in the extension, the OS in the server): `msg_` and 22 base64url
/// characters.
pub fn new_message_id(random: [u8; 16]) -> String {
    let mut id = String::with_capacity(MESSAGE_ID_PREFIX.len() + MESSAGE_ID_RANDOM_CHARS);
    id.push_str(MESSAGE_ID_PREFIX);
    URL_SAFE_NO_PAD.encode_string(random, &mut id);
    id
}

/// True for ids of [`new_message_id`]'s form: `msg_` and 22 base64url characters.
pub fn is_valid_message_id(s: &str) -> bool {
    s.strip_prefix(MESSAGE_ID_PREFIX).is_some_and(|rest| {
        rest.len() == MESSAGE_ID_RANDOM_CHARS
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8787";
    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn control_characters_are_found_as_char_is_control_finds_them() {
        for code in (0u32..0x800).chain([0x2028, 0xfeff, 0x1f600]) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("https://a.example/{c}x");
            assert_eq!(has_control(&text), c.is_control(), "U+{code:04X}");
        }
    }

    #[test]
    fn click_urls_appended_to_a_buffer_equal_the_built_ones() {
        let signer = Signer::new(&LinkKey {
            id: "key_1",
            secret: SECRET,
        });
        let id = new_message_id([9; 16]);
        let mut out = String::from("kept:");
        for index in [0, 7, 10, 4_294_967_295] {
            out.truncate("kept:".len());
            signer.push_click_url(&mut out, BASE, &id, index, "https://a.example/?q=1 2&r=é");
            let built = click_url(
                BASE,
                &id,
                index,
                "https://a.example/?q=1 2&r=é",
                &LinkKey {
                    id: "key_1",
                    secret: SECRET,
                },
            );
            assert_eq!(out, format!("kept:{built}"));
            assert!(built.contains(&format!("/{index}?u=")), "{built}");
        }
    }

    fn key() -> LinkKey<'static> {
        LinkKey {
            id: "key_00112233445566778899aabb",
            secret: SECRET,
        }
    }

    fn mid() -> String {
        new_message_id([7; 16])
    }

    /// Splits a URL made here into (path, query) as the server's router would.
    fn request_of(url: &str) -> (String, Option<String>) {
        let rest = url.strip_prefix(BASE).unwrap();
        match rest.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (rest.to_string(), None),
        }
    }

    fn parsed(url: &str) -> Result<TrackedRequest, LinkError> {
        let (path, query) = request_of(url);
        parse(&path, query.as_deref())
    }

    #[test]
    fn message_ids_are_url_safe_with_their_prefix() {
        let id = new_message_id([0xfb; 16]);
        assert!(id.starts_with("msg_"));
        assert_eq!(id.len(), 4 + 22);
        assert!(is_valid_message_id(&id), "{id}");
        assert!(!id.contains('+') && !id.contains('/') && !id.contains('='));
        assert_ne!(new_message_id([1; 16]), new_message_id([2; 16]));
        for bad in [
            "",
            "msg_",
            "msg_short",
            "MSG_BwcHBwcHBwcHBwcHBwcHBw",
            "msg_BwcHBwcHBwcHBwcHBwcHB/",
            "msg_BwcHBwcHBwcHBwcHBwcHBwX",
            "msg_BwcHBwcHBwcHBwcHBwcHB.",
            "msg_../../etc/passwd_aaaa",
        ] {
            assert!(!is_valid_message_id(bad), "{bad} accepted");
        }
    }

    #[test]
    fn secrets_decode_from_base64url_with_or_without_padding() {
        assert_eq!(decode_secret("AAEC_-8").unwrap(), vec![0, 1, 2, 255, 239]);
        assert_eq!(decode_secret("AAEC_-8=").unwrap(), vec![0, 1, 2, 255, 239]);
        assert!(matches!(
            decode_secret("not base64!"),
            Err(LinkError::BadSecret(_))
        ));
        assert_eq!(decode_secret(""), Err(LinkError::EmptySecret));
        // Standard base64's alphabet is not base64url's.
        assert!(decode_secret("AAEC/+8").is_err());
    }

    #[test]
    fn pixel_url_has_the_documented_shape_and_verifies() {
        let url = pixel_url(&format!("{BASE}/"), &mid(), &key());
        let prefix = format!("{BASE}/t/o/{}.gif?k=key_00112233445566778899aabb&s=", mid());
        assert!(url.starts_with(&prefix), "{url}");
        let request = parsed(&url).unwrap();
        assert_eq!(request.kind(), LinkKind::Open);
        assert_eq!(request.message_id(), mid());
        assert_eq!(request.key_id(), key().id);
        assert_eq!(request.verify(SECRET), Ok(()));
        assert_eq!(
            request.verify(b"another secret"),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn click_url_round_trips_an_awkward_destination_and_verifies() {
        let destination = "https://shop.example/p?a=1&b=two words&c=%2F+é#frag";
        let url = click_url(BASE, &mid(), 3, destination, &key());
        assert!(
            url.starts_with(&format!("{BASE}/t/c/{}/3?u=https%3A%2F%2F", mid())),
            "{url}"
        );
        // Only URL-safe characters in the link itself.
        assert!(
            !url.contains(' ') && !url.contains('#') && !url.contains('é'),
            "{url}"
        );
        let request = parsed(&url).unwrap();
        assert_eq!(
            request,
            TrackedRequest::Click {
                message_id: mid(),
                link_index: 3,
                destination: destination.into(),
                key_id: key().id.into(),
                sig: match &request {
                    TrackedRequest::Click { sig, .. } => sig.clone(),
                    TrackedRequest::Open { .. } => unreachable!(),
                },
            }
        );
        assert_eq!(request.verify(SECRET), Ok(()));
    }

    #[test]
    fn every_tampered_field_is_refused() {
        let url = click_url(BASE, &mid(), 2, "https://good.example/", &key());
        let TrackedRequest::Click {
            message_id,
            link_index,
            destination,
            key_id,
            sig,
        } = parsed(&url).unwrap()
        else {
            panic!("not a click")
        };
        let click =
            |message_id: &str, link_index: u32, destination: &str, key_id: &str, sig: &str| {
                TrackedRequest::Click {
                    message_id: message_id.into(),
                    link_index,
                    destination: destination.into(),
                    key_id: key_id.into(),
                    sig: sig.into(),
                }
            };
        let original = click(&message_id, link_index, &destination, &key_id, &sig);
        assert_eq!(original.verify(SECRET), Ok(()));
        let tampered = [
            click(
                &message_id,
                link_index,
                "https://evil.example/",
                &key_id,
                &sig,
            ),
            click(&message_id, 1, &destination, &key_id, &sig),
            click(
                &new_message_id([8; 16]),
                link_index,
                &destination,
                &key_id,
                &sig,
            ),
            click(&message_id, link_index, &destination, "key_other", &sig),
            // The same ids as an open: the kind is signed too.
            TrackedRequest::Open {
                message_id: message_id.clone(),
                key_id: key_id.clone(),
                sig: sig.clone(),
            },
        ];
        for request in tampered {
            assert_eq!(
                request.verify(SECRET),
                Err(LinkError::BadSignature),
                "{request:?}"
            );
        }
        // A flipped signature bit.
        let mut raw = URL_SAFE_NO_PAD.decode(&sig).unwrap();
        raw[0] ^= 1;
        let flipped = click(
            &message_id,
            link_index,
            &destination,
            &key_id,
            &URL_SAFE_NO_PAD.encode(&raw),
        );
        assert_eq!(flipped.verify(SECRET), Err(LinkError::BadSignature));
        // Tampering through the URL itself.
        let evil = url.replace("good.example", "evil.example");
        assert_eq!(
            parsed(&evil).unwrap().verify(SECRET),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn signatures_are_the_hmac_of_the_documented_bytes() {
        let bytes = signed_bytes(LinkKind::Click, &mid(), 5, "https://a.example/x", key().id);
        let mut mac = keyed(SECRET);
        mac.update(&bytes);
        let expected = URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..SIG_BYTES]);
        let signer = Signer::new(&key());
        assert_eq!(
            signer.sign(LinkKind::Click, &mid(), 5, "https://a.example/x"),
            expected
        );
    }

    #[test]
    fn the_signed_encoding_is_unambiguous() {
        // Moving bytes between adjacent fields changes the signed bytes.
        let a = signed_bytes(LinkKind::Click, "msg_a", 1, "https://x.example/k", "ey");
        let b = signed_bytes(LinkKind::Click, "msg_a", 1, "https://x.example/", "key");
        assert_ne!(a, b);
        assert!(a.starts_with(DOMAIN));
        let open = signed_bytes(LinkKind::Open, "msg_a", 0, "", "k");
        let click = signed_bytes(LinkKind::Click, "msg_a", 0, "", "k");
        assert_ne!(open, click);
    }

    #[test]
    fn malformed_requests_get_typed_errors() {
        let good = click_url(BASE, &mid(), 0, "https://a.example/", &key());
        let (_, query) = request_of(&good);
        let query = query.unwrap();
        let sig = query.rsplit("s=").next().unwrap().to_string();
        let m = mid();
        type Case = (String, Option<String>, fn(&LinkError) -> bool);
        let cases: Vec<Case> = vec![
            ("/x/o/a.gif".into(), None, |e| {
                matches!(e, LinkError::NotATrackingPath(_))
            }),
            ("/t/x/".into(), None, |e| {
                matches!(e, LinkError::NotATrackingPath(_))
            }),
            (format!("/t/o/{m}.png"), Some(format!("k=k&s={sig}")), |e| {
                matches!(e, LinkError::NotATrackingPath(_))
            }),
            (
                "/t/o/msg_nope.gif".into(),
                Some(format!("k=k&s={sig}")),
                |e| matches!(e, LinkError::BadMessageId(_)),
            ),
            (format!("/t/o/{m}.gif"), Some(format!("s={sig}")), |e| {
                *e == LinkError::MissingParameter("k")
            }),
            (format!("/t/o/{m}.gif"), Some("k=k".into()), |e| {
                *e == LinkError::MissingParameter("s")
            }),
            (format!("/t/o/{m}.gif"), Some("k=k&s=AAAA".into()), |e| {
                *e == LinkError::BadSignatureEncoding
            }),
            (format!("/t/o/{m}.gif"), Some(format!("k=&s={sig}")), |e| {
                *e == LinkError::BadKeyId
            }),
            (
                format!("/t/o/{m}.gif"),
                Some(format!("k=a&k=b&s={sig}")),
                |e| matches!(e, LinkError::DuplicateParameter(_)),
            ),
            (format!("/t/c/{m}"), Some(query.clone()), |e| {
                matches!(e, LinkError::NotATrackingPath(_))
            }),
            (format!("/t/c/{m}/+1"), Some(query.clone()), |e| {
                matches!(e, LinkError::BadLinkIndex(_))
            }),
            (format!("/t/c/{m}/01"), Some(query.clone()), |e| {
                matches!(e, LinkError::BadLinkIndex(_))
            }),
            (format!("/t/c/{m}/99999999999"), Some(query.clone()), |e| {
                matches!(e, LinkError::BadLinkIndex(_))
            }),
            (format!("/t/c/{m}/0/extra"), Some(query.clone()), |e| {
                matches!(e, LinkError::BadLinkIndex(_))
            }),
            (format!("/t/c/{m}/0"), Some(format!("k=k&s={sig}")), |e| {
                *e == LinkError::MissingParameter("u")
            }),
            (
                format!("/t/c/{m}/0"),
                Some(format!("u=javascript%3Aalert(1)&k=k&s={sig}")),
                |e| *e == LinkError::BadDestination,
            ),
            (
                format!("/t/c/{m}/0"),
                Some(format!("u=https%3A%2F%2Fa%0A&k=k&s={sig}")),
                |e| *e == LinkError::BadDestination,
            ),
            (
                format!("/t/c/{m}/0"),
                Some(format!("u=https%3A%2F%2F&k=k&s={sig}")),
                |e| *e == LinkError::BadDestination,
            ),
        ];
        for (path, query, expected) in cases {
            let err = parse(&path, query.as_deref()).unwrap_err();
            assert!(expected(&err), "{path}?{query:?} gave {err:?}");
            assert!(!err.to_string().is_empty());
        }
        // Extra parameters (a gateway's own) are ignored.
        let (path, query) = request_of(&good);
        let extended = format!("{}&utm_source=gateway", query.unwrap());
        assert_eq!(
            parse(&path, Some(&extended)).unwrap().verify(SECRET),
            Ok(())
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let shown = format!("{:?}", key());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(shown.contains("key_00112233445566778899aabb"));
    }
}
