//! Browser benchmarks behind DESIGN.md §7, measured and reported (never asserted):
//!
//! - service worker cold start to its first answered message: `coldStartMs` from the
//!   background's diagnostics, over several fresh Chromium launches (new profile each; the
//!   worker that starts with the browser is stopped first, so the page's first message
//!   starts it cold);
//! - how soon the content script marks a Gmail compose window after the page inserts it
//!   (the fixture page records both moments with `performance.now()`);
//! - the panel's time from iframe creation to first paint ([`salespane_e2e::paint`]).
//!
//! Usage: `salespane-bench [--launches N] [--composes N] [--only cold-start|compose|panel]`
//! (`--only` repeatable); needs `SALESPANE_DIST` (run it through `cargo xtask bench`).

use salespane_e2e::fixtures::{FixtureServer, GMAIL, LIGHTNING};
use salespane_e2e::scenario::open_fixture;
use salespane_e2e::{panel, wait, Browser, BrowserKind, Error, Result};
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;

const LEAD_PAGE: &str = "/lightning/r/Lead/00Q5e00000AbCdEEAV/view";
const TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let mut launches = 7usize;
    let mut composes = 20usize;
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let number = value.as_deref().and_then(|v| v.parse::<usize>().ok());
        match (arg.as_str(), number, value.as_deref()) {
            ("--launches", Some(n), _) => launches = n.max(1),
            ("--composes", Some(n), _) => composes = n.max(1),
            ("--only", _, Some(part @ ("cold-start" | "compose" | "panel"))) => {
                only.push(part.to_string())
            }
            _ => {
                eprintln!(
                    "usage: salespane-bench [--launches N] [--composes N] [--only cold-start|compose|panel]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let wanted = |part: &str| only.is_empty() || only.iter().any(|p| p == part);
    let mut failed = false;
    if wanted("cold-start") {
        match cold_starts(launches) {
            Ok(samples) => report(
                &format!(
                    "service worker cold start to first answer ({launches} fresh Chromium launches)"
                ),
                &samples,
                "budget: median <= 50 ms",
            ),
            Err(err) => {
                eprintln!("bench: cold start: {err}");
                failed = true;
            }
        }
    }
    if wanted("compose") {
        match compose_marking(composes) {
            Ok(samples) => report(
                &format!(
                    "Gmail compose inserted -> marked by the extension ({composes} composes, Chromium)"
                ),
                &samples,
                "budget: track toggle <= 100 ms",
            ),
            Err(err) => {
                eprintln!("bench: compose marking: {err}");
                failed = true;
            }
        }
    }
    if wanted("panel") {
        match panel_paint(launches) {
            Ok(samples) => report(
                &format!(
                    "panel iframe created -> first paint ({launches} loads of a Lightning Lead, Chromium)"
                ),
                &samples,
                "budget: median <= 150 ms",
            ),
            Err(err) => {
                eprintln!("bench: panel first paint: {err}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn cold_starts(launches: usize) -> Result<Vec<f64>> {
    let fixtures = FixtureServer::shared()?;
    let mut samples = Vec::with_capacity(launches);
    for run in 1..=launches {
        let browser = Browser::launch(BrowserKind::Chromium)?;
        // The background starts with the browser (install); stop it so that the page's
        // first message meets a cold worker, as after Chromium's idle shutdown.
        std::thread::sleep(Duration::from_secs(1));
        browser.stop_service_workers()?;
        open_fixture(&browser, &fixtures.url(LIGHTNING, LEAD_PAGE))?;
        panel::wait_for(
            &browser,
            panel::PANEL_IFRAME,
            "a ready panel",
            TIMEOUT,
            |v| v.is_ready(),
        )?;
        let answer = panel::diagnostics(&browser, panel::PANEL_IFRAME)?;
        let cold = answer
            .get("coldStartMs")
            .and_then(|v| v.as_f64())
            .ok_or_else(|| {
                Error::Expectation(format!("diagnostics without coldStartMs: {answer}"))
            })?;
        println!("  launch {run}/{launches}: coldStartMs = {cold:.1}");
        samples.push(cold);
    }
    Ok(samples)
}

fn panel_paint(loads: usize) -> Result<Vec<f64>> {
    let fixtures = FixtureServer::shared()?;
    let browser = Browser::launch(BrowserKind::Chromium)?;
    salespane_e2e::paint::panel_first_paint(&browser, &fixtures.url(LIGHTNING, LEAD_PAGE), loads)
}

fn compose_marking(composes: usize) -> Result<Vec<f64>> {
    let fixtures = FixtureServer::shared()?;
    let browser = Browser::launch(BrowserKind::Chromium)?;
    open_fixture(&browser, &fixtures.url(GMAIL, "/mail/u/0/"))?;
    // Let the extension settle (background started, panel placed) before measuring.
    panel::wait_for(
        &browser,
        panel::PANEL_IFRAME,
        "a ready panel",
        TIMEOUT,
        |v| v.is_ready(),
    )?;
    for n in 1..=composes {
        let id = browser.execute(
            "window.__fixture.closeAll(); return window.__fixture.openCompose(arguments[0]);",
            vec![json!({
                "to": [{ "name": "Ann Lee", "email": format!("ann{n}@acme.example") }],
                "subject": format!("Benchmark {n}"),
            })],
        )?;
        wait::until(
            &format!("compose {id} to be marked (data-salespane-compose)"),
            TIMEOUT,
            || {
                let marked = browser.execute(
                    "return arguments[0] in window.__fixture.markedAt;",
                    vec![id.clone()],
                )?;
                Ok(marked.as_bool().filter(|m| *m))
            },
        )?;
    }
    let latencies = browser.execute("return window.__fixture.latencies();", vec![])?;
    Ok(latencies
        .as_array()
        .map(|items| items.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default())
}

fn report(what: &str, samples: &[f64], budget: &str) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        println!("{what}: no samples");
        return;
    }
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    let quartile = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}:\n  median {median:.1} ms, interquartile {:.1}-{:.1} ms, range {:.1}-{:.1} ms, n={} ({budget})",
        quartile(0.25),
        quartile(0.75),
        sorted[0],
        sorted[sorted.len() - 1],
        sorted.len()
    );
}
