//! The rewriter on arbitrary bytes read as text: it must never panic, every link it reports
//! must be in its output, and a body in which it tracks nothing must come back unchanged
//! apart from the pixel.
#![no_main]

use libfuzzer_sys::fuzz_target;
use salespane_tracking::link::{self, LinkKey};
use salespane_tracking::rewrite::{pixel_html, rewrite, RewriteOptions};

const BASE: &str = "https://track.example";

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let message_id = link::new_message_id([3; 16]);
    let key = LinkKey {
        id: "key_fuzz",
        secret: b"fuzzing secret",
    };
    let opts = RewriteOptions {
        base: BASE,
        message_id: &message_id,
        key,
        add_pixel: true,
    };
    let Ok(out) = rewrite(&html, &opts) else {
        return;
    };
    for tracked in &out.links {
        let url = link::click_url(BASE, &message_id, tracked.index, &tracked.destination, &key);
        assert!(out.html.contains(&url.replace('&', "&amp;")));
    }
    if out.links.is_empty() {
        let pixel = pixel_html(&link::pixel_url(BASE, &message_id, &key));
        assert_eq!(out.html.replacen(&pixel, "", 1), html);
    }
});
