//! (written below)
fn main() {}
