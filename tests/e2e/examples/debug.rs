use salespane_e2e::fixtures::FixtureServer;
use salespane_e2e::{env, Browser, BrowserKind};
fn main() {
    let kind = if std::env::args().nth(1).as_deref() == Some("firefox") {
        BrowserKind::Firefox
    } else {
        BrowserKind::Chromium
    };
    let ext = std::env::args()
        .nth(2)
        .map(std::path::PathBuf::from)
        .unwrap_or(env::fixtures_dir().join("probe-extension"));
    let fx = FixtureServer::shared().unwrap();
    let b = Browser::launch_with_extension(kind, &ext).unwrap();
    b.navigate(&fx.url("mail.google.com", "/mail/u/0/"))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    println!("{:?}", b.execute("return [document.documentElement.outerHTML.slice(0,300), document.documentElement.getAttribute('data-salespane-probe'), document.querySelectorAll('iframe').length]", vec![]));
    println!(
        "raw {:?}",
        b.raw(
            "POST",
            "/elements",
            Some(serde_json::json!({"using":"css selector","value":"iframe"}))
        )
    );
    let f = b.find("iframe").unwrap().unwrap();
    println!("src {:?}", b.attribute(&f, "src"));
    println!("switch {:?}", b.switch_to_frame(&f));
    println!(
        "in frame {:?}",
        b.execute(
            "return [location.href, document.documentElement.outerHTML.slice(0,400)]",
            vec![]
        )
    );
    b.switch_to_top().unwrap();
    if kind == BrowserKind::Chromium {
        b.navigate("chrome://extensions").unwrap();
        std::thread::sleep(std::time::Duration::from_secs(1));
        println!("{:?}", b.execute("const m = document.querySelector('extensions-manager'); const items = m.shadowRoot.querySelector('extensions-item-list').shadowRoot.querySelectorAll('extensions-item'); return Array.from(items).map(i => i.id + ' ' + i.shadowRoot.textContent.replace(/\\s+/g,' ').slice(0,300));", vec![]));
    }
    for h in b.window_handles().unwrap() {
        println!("handle {h}");
    }
}
