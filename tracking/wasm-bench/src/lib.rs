//! `salespane_tracking::rewrite`, the code the extension's background runs at send time,
//! exported on its own for the in-browser benchmark (`cargo xtask bench --only
//! rewrite-browser`). The background module itself reaches the rewriter only through its
//! message router with a signed-in user's cached key, which a benchmark page cannot drive;
//! this export calls the same function with the same inputs and nothing else.

use salespane_tracking::link::LinkKey;
use salespane_tracking::rewrite::{rewrite, RewriteOptions};
use wasm_bindgen::prelude::*;

/// The tracked body (links rewritten, pixel added), as the background produces it.
#[wasm_bindgen(js_name = rewriteBody)]
pub fn rewrite_body(
    html: &str,
    base: &str,
    message_id: &str,
    key_id: &str,
    secret: &[u8],
) -> Result<String, JsError> {
    let opts = RewriteOptions {
        base,
        message_id,
        key: LinkKey { id: key_id, secret },
        add_pixel: true,
    };
    rewrite(html, &opts)
        .map(|out| out.html)
        .map_err(|err| JsError::new(&err.to_string()))
}
