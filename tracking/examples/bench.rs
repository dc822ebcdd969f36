//! The tracking crate's figures for `cargo xtask bench` (run in release:
//! `cargo run --release -p salespane-tracking --example bench -- rewrite|classifier`).
//!
//! - `rewrite`: native rewrite throughput (MB/s) on a 100 KB and a 10 MB sales mail.
//! - `classifier`: precision and recall of `counted` on the labelled corpus in `tests/corpus/`.

use salespane_tracking::classify::{evaluate, Signatures};
use salespane_tracking::link::{new_message_id, LinkKey};
use salespane_tracking::rewrite::{rewrite, RewriteOptions};
use std::time::Instant;

/// One block of a realistic sales mail (paragraphs, inline markup, links with query strings,
/// a signature table, and a quoted earlier message), repeated to the wanted size. In its own
/// file so that `cargo xtask bench --only rewrite-browser` rewrites the very same mail in the
/// browser.
const BLOCK: &str = include_str!("bench_mail_block.html");

fn body_of(size: usize) -> String {
    let mut html = String::with_capacity(size + BLOCK.len() + 32);
    html.push_str("<html><body>");
    while html.len() < size {
        html.push_str(BLOCK);
    }
    html.push_str("</body></html>");
    html
}

/// This thread's CPU time so far (Linux), to tell the rewriter's speed from the machine's load:
/// on a shared machine the wall clock also counts the time other processes held the CPU.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

fn rewrite_figures() {
    let secret = [7u8; 32];
    let message_id = new_message_id([1; 16]);
    let opts = RewriteOptions {
        base: "https://track.salespane.example",
        message_id: &message_id,
        key: LinkKey {
            id: "key_0123456789abcdef01234567",
            secret: &secret,
        },
        add_pixel: true,
    };
    for (label, size, runs) in [("100 KB", 100 * 1024, 300), ("10 MB", 10 * 1024 * 1024, 5)] {
        let html = body_of(size);
        // One run first: warm caches and check it works.
        let links = match rewrite(&html, &opts) {
            Ok(out) => out.links.len(),
            Err(err) => {
                println!("  rewrite {label}: failed: {err}");
                continue;
            }
        };
        let cpu_before = thread_cpu_seconds();
        let started = Instant::now();
        for _ in 0..runs {
            let _ = std::hint::black_box(rewrite(std::hint::black_box(&html), &opts));
        }
        let seconds = started.elapsed().as_secs_f64();
        let megabytes = (html.len() * runs) as f64 / 1_000_000.0;
        let cpu = match (cpu_before, thread_cpu_seconds()) {
            (Some(before), Some(after)) if after > before => {
                format!(", {:.0} MB/s of CPU time", megabytes / (after - before))
            }
            _ => String::new(),
        };
        println!(
            "  rewrite, native, {label} body ({} bytes, {links} links tracked): {:.0} MB/s wall clock{cpu} over {runs} runs (budget: >= 100 MB/s)",
            html.len(),
            megabytes / seconds
        );
    }
}

/// Precision and recall of `counted` on the labelled corpus, with the cases it gets wrong.
fn classifier_figures() {
    const CORPUS: &str = include_str!("../tests/corpus/hits.jsonl");
    match evaluate(CORPUS, &Signatures::builtin()) {
        Ok(report) => {
            println!(
                "  classifier, counted = human or image_proxy, on {} labelled hits (tracking/tests/corpus/hits.jsonl): precision {:.3}, recall {:.3}, exact class {}/{} (budget: >= 0.95 each)",
                report.cases,
                report.precision(),
                report.recall(),
                report.classes_matched,
                report.cases
            );
            for mismatch in &report.mismatches {
                println!("    missed: {mismatch}");
            }
        }
        Err(err) => println!("  classifier: {err}"),
    }
}

fn main() {
    let what: Vec<String> = std::env::args().skip(1).collect();
    let wants = |part: &str| what.is_empty() || what.iter().any(|w| w == part);
    if wants("rewrite") {
        rewrite_figures();
    }
    if wants("classifier") {
        classifier_figures();
    }
}
