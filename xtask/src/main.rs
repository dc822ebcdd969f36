//! Build tooling for Salespane: `cargo xtask <verb>`.
//!
//! - `dist`:  build the extension (WASM core, optimized) into `dist/chrome`, `dist/firefox` and
//!   their store archives.
//! - `demo`:  set up what is missing, build, and run the server with its SQLite database and
//!   Salesforce sandbox; print how to load the extension.
//! - `test`:  set up what is missing and run every test (unit, server on SQLite and PostgreSQL,
//!   WASM, end to end in Chromium and Firefox, lints).
//! - `bench`: the benchmarks behind the budgets in DESIGN.md §7.

mod bench;
mod bench_hits;
mod bench_rewrite_browser;
mod bench_tracking;
mod demo;
mod dist;
mod setup;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <dist|demo|test|bench> [options]\n\
  dist   build dist/chrome, dist/firefox and the store archives\n\
  demo   set up, build and run the server with the Salesforce sandbox\n\
  test   set up and run the whole test suite\n\
  bench  run the benchmarks";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((verb, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = match verb.as_str() {
        "dist" => dist::run(rest),
        "demo" => demo::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown verb `{other}`\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask {verb}: {err:#}");
            ExitCode::FAILURE
        }
    }
}
