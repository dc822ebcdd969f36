//! Parsing tracking requests from arbitrary paths and queries: never a panic, and nothing
//! unsigned ever verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use salespane_tracking::link;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, query) = match text.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (text.as_ref(), None),
    };
    if let Ok(request) = link::parse(path, query) {
        assert!(request.verify(b"a secret the input cannot know").is_err());
    }
});
