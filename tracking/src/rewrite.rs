//! The tracked body: every `http(s)` link rewritten to a signed click link and the open pixel
//! added, everything else left byte for byte.
//!
//! Built on html5gum, a WHATWG-conformant HTML tokenizer (it passes html5lib's tokenizer
//! tests, decodes character references as browsers do, and reports the byte span of every
//! token and attribute value). One pass over the tokens finds each `<a href>`, the span of its
//! value, whether it sits in a quoted earlier message, its text, and where `</body>` starts;
//! the output is then the input with just those spans replaced. So no byte outside a changed
//! href or the pixel can change, whatever the markup, and the decision about a link can use
//! its text, which comes after its start tag. lol_html was measured too and left out: it
//! makes the background WASM ~240 KB gzip bigger (see the crate README for both figures).
//!
//! Left as they are: links that are not `http(s)` (`mailto:`, `tel:`, in-page anchors,
//! relative ones), unsubscribe links (by URL or text), links already on the tracking host,
//! links inside a quoted earlier message (Gmail `div.gmail_quote` / `blockquote.gmail_quote`,
//! Outlook `#divRplyFwdMsg` / `#appendonsend` and everything after them,
//! `blockquote[type=cite]`), and links whose href span the tokenizer reports cannot be
//! confirmed in the input (never a guess).

use crate::href;
use crate::link::{self, LinkKey, Signer};
use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Emitter, ForwardingEmitter, Span, Tokenizer};
use std::ops::Range;

/// Largest body rewritten: above any mail relay's whole-message limit (25 to 35 MB with
/// attachments, which are not in the HTML).
pub const MAX_HTML_BYTES: usize = 32 * 1024 * 1024;

/// How much of a link's text is kept to recognise an unsubscribe link, and how much of the
/// text just before it ("To unsubscribe, <a>click here</a>").
const LINK_TEXT_BYTES: usize = 256;
const TEXT_BEFORE_BYTES: usize = 48;

/// What to rewrite with.
#[derive(Debug, Clone, Copy)]
pub struct RewriteOptions<'a> {
    /// The tracking host's public URL, e.g. `https://track.salespane.example`.
    pub base: &'a str,
    /// From [`link::new_message_id`].
    pub message_id: &'a str,
    pub key: LinkKey<'a>,
    /// Add the open pixel (false: rewrite the links only).
    pub add_pixel: bool,
}

/// The tracked body and the links it now carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub html: String,
    /// In link-index order: `links[i].index == i`.
    pub links: Vec<TrackedLink>,
}

/// One rewritten link: its index in the click URL and where it leads (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedLink {
    pub index: u32,
    pub destination: String,
}

/// Why a body could not be rewritten. The caller sends it untracked or tells the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("the message body has {0} bytes, more than the {MAX_HTML_BYTES} that can be tracked; send it without tracking")]
    TooLarge(usize),
    #[error("the tracking server URL `{0}` is not an http(s) URL; check the server URL in Salespane's options")]
    BadBase(String),
    #[error("`{0}` is not a message id; send without tracking and report this")]
    BadMessageId(String),
    #[error("the signing key is incomplete; sign in again so the server sends a fresh key")]
    BadKey,
}

/// One `<a href>` as found in the input.
#[derive(Debug)]
struct Anchor {
    /// The href value's bytes in the input, without quotes.
    value: Range<usize>,
    quoted_value: bool,
    /// Decoded by the tokenizer.
    href: String,
    in_quote: bool,
    text: String,
    /// The text just before it in its block mentions unsubscribing.
    after_unsubscribe_text: bool,
}

/// A tag name, kept without allocating: its first bytes and its length. Two long names that
/// share both compare equal, which only matters for custom elements and never for the names
/// looked at here (`a`, `body`, `div`, `blockquote`).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Name {
    head: [u8; 10],
    len: usize,
}

impl Name {
    fn of(name: &[u8]) -> Name {
        let mut head = [0; 10];
        let kept = name.len().min(head.len());
        head[..kept].copy_from_slice(&name[..kept]);
        Name {
            head,
            len: name.len(),
        }
    }

    fn is(&self, name: &[u8]) -> bool {
        let kept = name.len().min(self.head.len());
        self.len == name.len() && self.head[..kept] == name[..kept]
    }

    /// The whole name when it is short enough to be kept whole (every name looked at is).
    fn whole(&self) -> &[u8] {
        if self.len <= self.head.len() {
            &self.head[..self.len]
        } else {
            &[]
        }
    }
}

/// An open element, for knowing when a quoted block ends.
struct Open {
    name: Name,
    quote: bool,
}

/// The start tag being read: the tokenizer reports its name, then each attribute.
#[derive(Default)]
struct StartTag {
    name: Name,
    attribute: Name,
    href: Option<(Span<usize>, Vec<u8>)>,
    /// The first `href` was read: later ones are ignored, as browsers do.
    href_seen: bool,
    quote_class: bool,
    cite: bool,
    outlook_marker: bool,
}

/// What the pass over the tokens collects.
#[derive(Default)]
struct Scan {
    anchors: Vec<Anchor>,
    open: Vec<Open>,
    quote_depth: usize,
    /// After Outlook's quoted-message marker.
    rest_quoted: bool,
    /// The anchor whose text is being read.
    in_anchor: Option<usize>,
    /// The last bytes of text seen, for "To unsubscribe, click here".
    recent_text: String,
    tag: StartTag,
    body_end: Option<usize>,
}

/// Elements that start or end a block of text: the text before a link is only looked for in
/// its own block ("To unsubscribe, <a>click here</a>"), never in the paragraph before.
fn is_block(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"div"
            | b"br"
            | b"li"
            | b"ul"
            | b"ol"
            | b"td"
            | b"th"
            | b"tr"
            | b"table"
            | b"blockquote"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"hr"
            | b"body"
            | b"section"
    )
}

/// HTML elements that never have content, so never get an end tag.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
            | b"param"
    )
}

/// At most `cap` bytes from the start of `bytes` (cut on a character boundary), as text.
/// Only the kept part is decoded: text can be megabytes long.
fn head_text(bytes: &[u8], cap: usize) -> std::borrow::Cow<'_, str> {
    let mut end = bytes.len().min(cap);
    while end > 0 && end < bytes.len() && is_continuation(bytes[end]) {
        end -= 1;
    }
    String::from_utf8_lossy(&bytes[..end])
}

/// The last `cap` bytes of `bytes` at most (from a character boundary), as text.
fn tail_text(bytes: &[u8], cap: usize) -> std::borrow::Cow<'_, str> {
    let mut start = bytes.len().saturating_sub(cap);
    while start < bytes.len() && is_continuation(bytes[start]) {
        start += 1;
    }
    String::from_utf8_lossy(&bytes[start..])
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

fn push_capped(into: &mut String, bytes: &[u8], cap: usize) {
    if into.len() < cap {
        into.push_str(&head_text(bytes, cap - into.len()));
    }
}

fn keep_tail(buffer: &mut String, bytes: &[u8], cap: usize) {
    buffer.push_str(&tail_text(bytes, cap));
    if buffer.len() > cap {
        let mut cut = buffer.len() - cap;
        while !buffer.is_char_boundary(cut) {
            cut += 1;
        }
        buffer.drain(..cut);
    }
}

fn has_class(value: &[u8], class: &[u8]) -> bool {
    value
        .split(|b| b.is_ascii_whitespace())
        .any(|word| word == class)
}

impl Scan {
    fn event(&mut self, input: &str, event: CallbackEvent<'_>, span: Span<usize>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag = StartTag {
                    name: Name::of(name),
                    ..StartTag::default()
                };
            }
            CallbackEvent::AttributeName { name } => self.tag.attribute = Name::of(name),
            CallbackEvent::AttributeValue { value } => self.attribute(value, span),
            CallbackEvent::CloseStartTag { .. } => self.start_tag(input),
            CallbackEvent::EndTag { name } => self.end_tag(name, span),
            CallbackEvent::String { value } => {
                if let Some(anchor) = self.in_anchor.and_then(|i| self.anchors.get_mut(i)) {
                    push_capped(&mut anchor.text, value, LINK_TEXT_BYTES);
                }
                keep_tail(&mut self.recent_text, value, TEXT_BEFORE_BYTES);
            }
            CallbackEvent::Comment { .. }
            | CallbackEvent::Doctype { .. }
            | CallbackEvent::Error(_) => {}
        }
    }

    fn attribute(&mut self, value: &[u8], span: Span<usize>) {
        let tag = &mut self.tag;
        let attribute = tag.attribute;
        if attribute.is(b"href") && !tag.href_seen && tag.name.is(b"a") {
            tag.href_seen = true;
            tag.href = Some((span, value.to_vec()));
        } else if attribute.is(b"class") {
            tag.quote_class = has_class(value, b"gmail_quote");
        } else if attribute.is(b"type") {
            tag.cite = value.eq_ignore_ascii_case(b"cite");
        } else if attribute.is(b"id") {
            tag.outlook_marker = value == b"divRplyFwdMsg" || value == b"appendonsend";
        }
    }

    fn start_tag(&mut self, input: &str) {
        let tag = std::mem::take(&mut self.tag);
        if is_block(tag.name.whole()) {
            self.recent_text.clear();
        }
        if tag.outlook_marker {
            self.rest_quoted = true;
        }
        let quote = if tag.name.is(b"div") {
            tag.quote_class
        } else if tag.name.is(b"blockquote") {
            tag.quote_class || tag.cite
        } else {
            false
        };
        if tag.name.is(b"a") {
            // A new link ends the previous one (browsers close an open `<a>` here).
            self.in_anchor = None;
            if let Some((span, value)) = tag.href {
                if let Some((range, quoted_value)) = value_range(input, span) {
                    self.in_anchor = Some(self.anchors.len());
                    self.anchors.push(Anchor {
                        value: range,
                        quoted_value,
                        href: String::from_utf8(value)
                            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                        in_quote: self.quote_depth > 0 || self.rest_quoted,
                        text: String::new(),
                        after_unsubscribe_text: href::is_unsubscribe("", &self.recent_text),
                    });
                }
            }
        }
        // `<div/>` opens a div in HTML: the slash does not close anything, so it is not
        // looked at; only void elements stay off the stack.
        if !is_void(tag.name.whole()) {
            self.quote_depth += usize::from(quote);
            self.open.push(Open {
                name: tag.name,
                quote,
            });
        }
    }

    fn end_tag(&mut self, name: &[u8], span: Span<usize>) {
        let name = Name::of(name);
        if name.is(b"a") {
            self.in_anchor = None;
            // A link's own text is not the text before the next one.
            self.recent_text.clear();
        }
        if is_block(name.whole()) {
            self.recent_text.clear();
        }
        if name.is(b"body") && self.body_end.is_none() {
            self.body_end = Some(span.start);
        }
        // An end tag closes the nearest open element of its name and everything opened inside
        // it (the tree builder's "any other end tag" rule); a stray one is ignored.
        if let Some(at) = self.open.iter().rposition(|open| open.name == name) {
            let closed = self.open.split_off(at);
            self.quote_depth -= closed.iter().filter(|open| open.quote).count();
        }
    }
}

/// The input bytes of an attribute value from the tokenizer's span, and whether the value is
/// quoted; `None` when the span cannot be confirmed against the input.
///
/// html5gum's span of a quoted value is exactly its content; for an unquoted value it starts
/// one byte late (html5gum 0.8 notes the start after reading the first character). Both are
/// checked here so an off span leaves the link alone instead of corrupting the tag.
fn value_range(html: &str, span: Span<usize>) -> Option<(Range<usize>, bool)> {
    let input = html.as_bytes();
    let (start, end) = (span.start, span.end);
    if start > end || end > input.len() || !html.is_char_boundary(end) {
        return None;
    }
    if let Some(&quote) = start.checked_sub(1).and_then(|i| input.get(i)) {
        if (quote == b'"' || quote == b'\'')
            && html.is_char_boundary(start)
            && input.get(end) == Some(&quote)
            && !input[start..end].contains(&quote)
        {
            return Some((start..end, true));
        }
    }
    let start = start.checked_sub(1)?;
    let before = *input.get(start.checked_sub(1)?)?;
    let after_ok = match input.get(end) {
        None => true,
        Some(b) => b.is_ascii_whitespace() || *b == b'>',
    };
    let raw = &input[start..end];
    let confirmed = (before == b'=' || before.is_ascii_whitespace())
        && after_ok
        && !raw.is_empty()
        && raw[0] != b'"'
        && raw[0] != b'\''
        && !raw.iter().any(|b| b.is_ascii_whitespace() || *b == b'>');
    confirmed.then_some((start..end, false))
}

/// The callback emitter with parse-error reporting switched off: the rewriter keeps going
/// on any markup, and validating every character for errors nobody reads costs throughput.
struct Quiet<E>(E);

impl<E: Emitter> ForwardingEmitter for Quiet<E> {
    type Token = E::Token;

    fn inner(&mut self) -> &mut impl Emitter<Token = Self::Token> {
        &mut self.0
    }

    #[inline]
    fn should_emit_errors(&mut self) -> bool {
        false
    }
}

fn scan(html: &str) -> Scan {
    let mut scan = Scan::default();
    {
        let mut emitter = CallbackEmitter::new(
            |event: CallbackEvent<'_>, span: Span<usize>| -> Option<()> {
                scan.event(html, event, span);
                None
            },
        );
        // Text in `<script>`, `<style>`, `<textarea>`, `<title>`… is text, not tags.
        emitter.naively_switch_states(true);
        // The tokenizer never fails on a string: every error is a recoverable parse error,
        // reported as an event and ignored here.
        for _ in Tokenizer::new_with_emitter(html, Quiet(emitter)) {}
    }
    scan
}

/// The text of an attribute value, escaped for either quote and for `&`, `<` and `>`.
fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 32);
    push_escaped_attribute(&mut out, value);
    out
}

/// [`escape_attribute`], appended to `out`.
fn push_escaped_attribute(out: &mut String, value: &str) {
    let mut copied = 0;
    for (at, byte) in value.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => continue,
        };
        // Only ASCII bytes are replaced, so `at` is a character boundary.
        out.push_str(&value[copied..at]);
        out.push_str(entity);
        copied = at + 1;
    }
    out.push_str(&value[copied..]);
}

/// The open pixel's markup: 1x1, empty alt text, taking no room, and not `display:none` (some
/// clients skip loading hidden images).
pub fn pixel_html(src: &str) -> String {
    format!(
        "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" border=\"0\" \
         style=\"display:block;width:1px;height:1px;max-width:1px;max-height:1px;border:0;margin:0;padding:0;overflow:hidden\">",
        escape_attribute(src)
    )
}

fn check(html: &str, opts: &RewriteOptions) -> Result<(), RewriteError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(RewriteError::TooLarge(html.len()));
    }
    if !href::is_http(opts.base) || opts.base.contains(['?', '#', '"', '\'', '<', '>', ' ']) {
        return Err(RewriteError::BadBase(opts.base.chars().take(200).collect()));
    }
    if !link::is_valid_message_id(opts.message_id) {
        return Err(RewriteError::BadMessageId(
            opts.message_id.chars().take(80).collect(),
        ));
    }
    if opts.key.id.is_empty()
        || opts.key.id.len() > link::MAX_KEY_ID_BYTES
        || opts.key.secret.is_empty()
    {
        return Err(RewriteError::BadKey);
    }
    Ok(())
}

/// The destination of a link to rewrite, or `None` to leave it.
fn destination_to_track(anchor: &Anchor, tracked_prefix: &str) -> Option<String> {
    if anchor.in_quote || anchor.after_unsubscribe_text {
        return None;
    }
    let url = href::url_of(&anchor.href);
    let track = href::is_http(&url)
        && !href::is_tracked(&url, tracked_prefix)
        && !href::is_unsubscribe(&url, &anchor.text);
    track.then_some(url)
}

/// Rewrites `html` for tracking: see the module documentation for what changes and what does
/// not. Never panics, whatever the input.
pub fn rewrite(html: &str, opts: &RewriteOptions) -> Result<Rewritten, RewriteError> {
    check(html, opts)?;
    let scan = scan(html);
    let signer = Signer::new(&opts.key);
    let tracked_prefix = href::tracked_prefix(opts.base);
    let pixel = opts.add_pixel.then(|| {
        let src = signer.pixel_url(opts.base, opts.message_id);
        (scan.body_end.unwrap_or(html.len()), pixel_html(&src))
    });
    // One output buffer sized up front and written in document order (the spans come from
    // one pass and never overlap; the pixel goes before an end tag, outside every
    // attribute), and one scratch buffer for each link's URL before it is escaped.
    let per_link = opts.base.len() + opts.message_id.len() + opts.key.id.len() + 96;
    let estimate: usize = scan
        .anchors
        .iter()
        .map(|anchor| per_link + 3 * anchor.value.len())
        .sum();
    let mut out = String::with_capacity(
        html.len() + estimate + pixel.as_ref().map_or(0, |(_, text)| text.len()),
    );
    let mut url = String::new();
    let mut links = Vec::new();
    let mut copied = 0;
    let mut pixel = pixel;
    for anchor in &scan.anchors {
        let Some(destination) = destination_to_track(anchor, &tracked_prefix) else {
            continue;
        };
        let Ok(index) = u32::try_from(links.len()) else {
            break;
        };
        if let Some((at, text)) = pixel.take_if(|(at, _)| *at < anchor.value.start) {
            splice(&mut out, html, &mut copied, at..at, &text);
        }
        url.clear();
        signer.push_click_url(&mut url, opts.base, opts.message_id, index, &destination);
        out.push_str(html.get(copied..anchor.value.start).unwrap_or_default());
        // An unquoted value becomes a quoted one: the new one holds `&` and `=`.
        let quote = if anchor.quoted_value { "" } else { "\"" };
        out.push_str(quote);
        push_escaped_attribute(&mut out, &url);
        out.push_str(quote);
        copied = anchor.value.end.max(copied);
        links.push(TrackedLink { index, destination });
    }
    if let Some((at, text)) = pixel {
        splice(&mut out, html, &mut copied, at..at, &text);
    }
    out.push_str(html.get(copied..).unwrap_or_default());
    Ok(Rewritten { html: out, links })
}

/// Appends the input up to `range` and then `text` in its place.
fn splice(out: &mut String, html: &str, copied: &mut usize, range: Range<usize>, text: &str) {
    out.push_str(html.get(*copied..range.start).unwrap_or_default());
    out.push_str(text);
    *copied = range.end.max(*copied);
}
