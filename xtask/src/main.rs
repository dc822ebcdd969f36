//! Build tooling: `cargo xtask dist | demo | test | bench`.
fn main() {}
