use salespane_e2e::fixtures::FixtureServer;
use salespane_e2e::{panel, Browser, BrowserKind};
use serde_json::json;
fn main() {
    let fx = FixtureServer::shared().unwrap();
    for stop in [false, true, true] {
        let b = Browser::launch(BrowserKind::Chromium).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        if stop {
            println!(
                "targets {:?}",
                b.raw(
                    "POST",
                    "/goog/cdp/execute",
                    Some(json!({"cmd":"Target.getTargets","params":{}}))
                )
                .map(|v| v.to_string().chars().take(600).collect::<String>())
            );
            println!(
                "enable {:?}",
                b.raw(
                    "POST",
                    "/goog/cdp/execute",
                    Some(json!({"cmd":"ServiceWorker.enable","params":{}}))
                )
            );
            println!(
                "stop {:?}",
                b.raw(
                    "POST",
                    "/goog/cdp/execute",
                    Some(json!({"cmd":"ServiceWorker.stopAllWorkers","params":{}}))
                )
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        b.navigate(&fx.url(
            "acme.lightning.force.com",
            "/lightning/r/Lead/00Q5e00000AbCdEEAV/view",
        ))
        .unwrap();
        panel::wait_for(
            &b,
            panel::PANEL_IFRAME,
            "ready",
            std::time::Duration::from_secs(20),
            |v| v.is_ready(),
        )
        .unwrap();
        println!(
            "stop={stop} diag {:?}",
            panel::diagnostics(&b, panel::PANEL_IFRAME)
        );
    }
}
