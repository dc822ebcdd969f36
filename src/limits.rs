//! Bounds on what a content script may report. Generous for real pages, small enough that a
//! hostile or broken page cannot make the background hold or process much.

/// One message, serialised as JSON.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Open compose windows on one page (Gmail allows a handful of pop-outs plus inline replies).
pub const MAX_COMPOSES: usize = 20;
/// Recipients per field (Gmail's own limit per message is 500).
pub const MAX_RECIPIENTS_PER_FIELD: usize = 500;
/// Mail subjects: RFC 5322 lines stop at 998 characters; leave room for long unfolded ones.
pub const MAX_SUBJECT_CHARS: usize = 2_000;
pub const MAX_TITLE_CHARS: usize = 1_000;
pub const MAX_COMPOSE_KEY_CHARS: usize = 64;
