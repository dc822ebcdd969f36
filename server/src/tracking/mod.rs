//! Tracking: the per-user keys that sign tracked links.

pub mod signing_keys;
